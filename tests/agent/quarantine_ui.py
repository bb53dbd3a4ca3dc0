#!/usr/bin/env python3
"""The web UI's Quarantine page in headless Chromium, against the console
and agent tests/agent/test_agent.sh runs: an admin picks the agent, sees
its quarantined files (path, sha256, rule), restores one and purges
another, each after a confirmation; a viewer sees the list without the
buttons; no script error or CSP violation.

usage: quarantine_ui.py HTTPS_PORT ADMIN_PASSWORD SERVER_KEY SENSOR_ID
       RESTORE_QID RESTORE_PATH PURGE_QID VIEWER VIEWER_PASSWORD TMPDIR
Prints PASS/FAIL lines (tests/lib.sh's form); exit 1 if any failed.
Reports through tests/console/test_browser.py; the browser from
tests/continuity/uilib.py.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "console"))
sys.path.insert(0, os.path.join(HERE, "..", "continuity"))
import test_browser as tb  # noqa: E402
import uilib  # noqa: E402

tb.T = "agent_quarantine_ui"


def main():
    port, pw, key, sid, rq, rpath, pq, vname, vpw, tmp = sys.argv[1:11]
    if not tb.import_selenium():
        tb.fail("selenium", "not installed")
        return 1
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    base = "https://127.0.0.1:%s" % port
    spki = tb.spki_hash(key)

    def session(user, password, sub):
        return uilib.session(os.path.join(tmp, sub), spki, base, user, password, tb.fail, 15)

    def row(css, qid):
        return css('#q-table tr.q-row[data-id="%s"]' % qid)

    def accept(d, what):
        try:
            a = WebDriverWait(d, 5).until(lambda _d: _d.switch_to.alert)
            text = a.text
            a.accept()
            return text
        except TimeoutException:
            tb.fail(what, "no confirmation asked")
            return ""

    for sub in ("admin", "viewer"):
        os.makedirs(os.path.join(tmp, sub), exist_ok=True)
    d, css, until = session("admin", pw, "admin")
    if d is None:
        return 1
    try:
        d.find_element(By.ID, "nav-quarantine").click()
        if not until("the Quarantine page offers the agents", lambda: css('#q-sensor option[value="%s"]' % sid)):
            return 1
        d.execute_script("var s = document.getElementById('q-sensor'); s.value = arguments[0];"
                         "s.dispatchEvent(new Event('change'));", sid)
        if not until("the agent's quarantine is listed", lambda: row(css, rq) and row(css, pq), 40):
            return 1
        r = row(css, rq)[0]
        cells = {c: r.find_element(By.CSS_SELECTOR, "td." + c).text for c in ("q-path", "q-sha256", "q-rule")}
        tb.check(cells["q-path"] == rpath and len(cells["q-sha256"]) == 64 and "Kastro_Test_Quarantine" in cells["q-rule"],
                 "an admin sees each quarantined file's path, sha256 and rule", cells)
        r.find_element(By.CSS_SELECTOR, "button.q-restore").click()
        text = accept(d, "restore")
        tb.check(rpath in text, "Restore asks for a confirmation naming the file", text)
        if until("a restored file leaves the list", lambda: not row(css, rq) and css("#q-table"), 40):
            tb.check(os.path.isfile(rpath), "an admin restores a file from the Quarantine page: it is back",
                     "%s missing" % rpath)
        if not row(css, pq):
            tb.fail("the file to purge is still listed", "no row %s" % pq)
            return 1
        row(css, pq)[0].find_element(By.CSS_SELECTOR, "button.q-purge").click()
        text = accept(d, "purge")
        tb.check("for good" in text, "Purge asks for a confirmation, saying it cannot be undone", text)
        until("a purged file leaves the list", lambda: not row(css, pq) and css("#q-table"), 40) and \
            tb.ok("an admin purges a file from the Quarantine page")
        errs = uilib.errors(d)
        tb.check(not errs, "no script error or CSP violation on the Quarantine page", errs[:2])
    finally:
        d.quit()
    d, css, until = session(vname, vpw, "viewer")
    if d is None:
        return 1
    try:
        d.get(base + "/#/quarantine?sensor=" + sid)
        if until("a viewer sees the list", lambda: css("#q-total"), 40):
            tb.check(not css("button.q-restore") and not css("button.q-purge"),
                     "a viewer sees the quarantine without Restore or Purge", d.page_source[:200])
    finally:
        d.quit()
    return 1 if tb.FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
