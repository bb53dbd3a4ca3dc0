#!/usr/bin/env python3
"""The web UI's hooks pages in headless Chromium, against a console that
tests/console/test_hooks.sh set up (hooks, deliveries in every state):
the Hooks page lists each hook with its counters and a webhook's URL
without its path; a hook's Deliveries page lists its deliveries with the
receiver's answer, filters them by state, and an admin gives one up.

usage: hooks_ui.py HTTPS_PORT ADMIN_PASSWORD SERVER_KEY HOOK DELIVERY_ID TMPDIR
Prints PASS/FAIL lines (tests/lib.sh's form); exit 1 if any failed.
Reports through tests/console/test_browser.py; the browser from
tests/continuity/uilib.py.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "continuity"))
import test_browser as tb  # noqa: E402
import uilib  # noqa: E402

tb.T = "hooks_ui"


def main():
    port, pw, key, hook, did, tmp = sys.argv[1:7]
    if not tb.import_selenium():
        tb.fail("selenium", "not installed")
        return 1
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base = "https://127.0.0.1:%s" % port
    d, css, until = uilib.session(tmp, tb.spki_hash(key), base, "admin", pw, tb.fail)
    if d is None:
        return 1
    try:
        d.find_element(By.ID, "nav-hooks").click()
        if not until("the Hooks page lists the hooks", lambda: css("#hooks-table tr.hook-row")):
            return 1
        rows = {r.get_attribute("data-name"): r for r in css("#hooks-table tr.hook-row")}
        chat = rows.get("chat")
        tb.check(len(rows) == 16 and chat is not None and "/..." in chat.text and "hooks/abc" not in d.page_source,
                 "the Hooks page lists 16 hooks, a webhook's URL without its secret path",
                 "rows %r" % list(rows))
        tb.check(chat is not None and chat.find_element(By.CSS_SELECTOR, ".hook-delivered").text.replace(",", "").replace(".", "").isdigit(),
                 "each hook shows its counters", chat.text if chat else "")
        d.get(base + "/#/hooks/" + hook)
        if not until("the Deliveries page lists a hook's deliveries", lambda: css("#deliveries-table tr.delivery-row")):
            return 1
        tb.ok("the Deliveries page of %s lists its deliveries with the receiver's answer" % hook)
        Select(d.find_element(By.ID, "deliveries-state")).select_by_value("queued")
        until("filter by state", lambda: "state=queued" in d.current_url and css("#deliveries-table tr.delivery-row"))
        states = {r.get_attribute("data-state") for r in css("#deliveries-table tr.delivery-row")}
        tb.check(states == {"queued"}, "the state filter shows only waiting deliveries", "states %r" % states)
        row = [r for r in css("#deliveries-table tr.delivery-row") if r.get_attribute("data-id") == did]
        if not row:
            tb.fail("the delivery to give up is listed", "no row %s" % did)
            return 1
        row[0].find_element(By.CSS_SELECTOR, "button.delivery-drop").click()
        gone = "return !document.querySelector('#deliveries-table tr.delivery-row[data-id=\"%s\"]')" % did
        if not until("an admin gives a delivery up", lambda: d.execute_script(gone)):
            return 1
        tb.ok("an admin gives a delivery up from the Deliveries page")
        errs = uilib.errors(d)
        tb.check(not errs, "no script error or CSP violation on the hooks pages", errs[:2])
    finally:
        d.quit()
    return 1 if tb.FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
