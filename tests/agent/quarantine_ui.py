#!/usr/bin/env python3
"""The web UI's Quarantine page in headless Chromium, against the console
and agent tests/agent/test_agent.sh runs: an admin picks the agent, sees
its quarantined files (path, sha256, rule), restores one and purges
another, each after a confirmation; a viewer sees the list without the
buttons; no script error or CSP violation.

usage: quarantine_ui.py HTTPS_PORT ADMIN_PASSWORD SERVER_KEY SENSOR_ID
       RESTORE_QID RESTORE_PATH PURGE_QID VIEWER VIEWER_PASSWORD TMPDIR
Prints PASS/FAIL lines (tests/lib.sh's form); exit 1 if any failed.
Uses the browser set-up of tests/console/test_browser.py.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "console"))
import test_browser as tb  # noqa: E402

tb.T = "agent_quarantine_ui"


def main():
    port, pw, key, sid, rq, rpath, pq, vname, vpw, tmp = sys.argv[1:11]
    if not tb.import_selenium():
        tb.fail("selenium", "not installed")
        return 1
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    chromium = tb.find_tool(["chromium", "chromium-browser"])
    driver_bin = tb.find_tool(["chromedriver"])
    base = "https://127.0.0.1:%s" % port

    def session(user, password, sub):
        d = tb.browser(chromium, driver_bin, os.path.join(tmp, sub), tb.spki_hash(key))
        css = lambda s: d.find_elements(By.CSS_SELECTOR, s)  # noqa: E731

        def until(what, fn, timeout=15):
            try:
                return WebDriverWait(d, timeout).until(lambda _d: fn())
            except TimeoutException:
                tb.fail(what, "timed out at %s" % d.current_url)
                return None
        d.get(base + "/")
        if not until("login page", lambda: css("#login-user")):
            return d, css, until, False
        d.find_element(By.ID, "login-user").send_keys(user)
        d.find_element(By.ID, "login-password").send_keys(password)
        d.find_element(By.ID, "login-submit").click()
        return d, css, until, bool(until("login as " + user, lambda: css("#dash-chart")))

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
    d, css, until, ok = session("admin", pw, "admin")
    try:
        if not ok:
            return 1
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
        errs = [e for e in d.get_log("browser")
                if e.get("level") == "SEVERE" and "Failed to load resource" not in e.get("message", "")]
        tb.check(not errs, "no script error or CSP violation on the Quarantine page", errs[:2])
    finally:
        d.quit()
    d, css, until, ok = session(vname, vpw, "viewer")
    try:
        if not ok:
            return 1
        d.get(base + "/#/quarantine?sensor=" + sid)
        if until("a viewer sees the list", lambda: css("#q-total"), 40):
            tb.check(not css("button.q-restore") and not css("button.q-purge"),
                     "a viewer sees the quarantine without Restore or Purge", d.page_source[:200])
    finally:
        d.quit()
    return 1 if tb.FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
