#!/usr/bin/env python3
"""An admin edits alert hooks in the web UI (headless Chromium), against
the console that tests/console/test_hooks_edit.sh set up: a hook of
console.conf is read-only and says where it is defined; a hook with an
error is refused with the grammar's line:col message; a good one is saved
and listed; a hook made in the console opens with its text for a change,
and is deleted.

usage: hooks_edit_ui.py HTTPS_PORT ADMIN_PASSWORD SERVER_KEY SYSLOG_PORT TMPDIR
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

tb.T = "hooks_edit_ui"


def main():
    port, pw, key, sport, tmp = sys.argv[1:6]
    if not tb.import_selenium():
        tb.fail("selenium", "not installed")
        return 1
    from selenium.webdriver.common.by import By

    base = "https://127.0.0.1:%s" % port
    d, css, until = uilib.session(tmp, tb.spki_hash(key), base, "admin", pw, tb.fail)
    if d is None:
        return 1

    def row(name):
        r = css('#hookdefs-table tr.hookdef-row[data-name="%s"]' % name)
        return r[0] if r else None

    def write(text):
        box = d.find_element(By.ID, "hook-config")
        box.clear()
        box.send_keys(text)
        d.find_element(By.ID, "hook-save").click()
    try:
        d.find_element(By.ID, "nav-hooks").click()
        if not until("the Hooks page has the editor", lambda: css("#hookdefs-table tr.hookdef-row")):
            return 1
        f, s = row("filehook"), row("siem")
        tb.check(f is not None and not f.find_elements(By.CSS_SELECTOR, "button") and "console.conf" in f.text,
                 "a hook of console.conf is read-only and says where it is defined", f.text if f else "no row")
        tb.check(s is not None and s.find_elements(By.CSS_SELECTOR, "button.hook-edit"),
                 "a hook made in the console can be changed", s.text if s else "no row")

        write('hook webui { syslog "tcp://127.0.0.1:%s" format ecz }' % sport)
        err = until("a bad hook is refused", lambda: d.find_element(By.ID, "hook-error").is_displayed()
                    and d.find_element(By.ID, "hook-error").text)
        tb.check(err and "hook:1:" in err and "ecs" in err,
                 "the grammar's line:col error and the close match are shown", err)

        write('hook webui { syslog "tcp://127.0.0.1:%s" format ecs sensor "nobody" }' % sport)
        if not until("a good hook is saved and listed", lambda: row("webui")):
            return 1
        tb.ok("an admin makes a hook in the web UI; it is listed as made in the console")
        tb.check(css('#hooks-table tr.hook-row[data-name="webui"]'),
                 "the new hook has its counters in the hooks table", "")

        row("siem").find_element(By.CSS_SELECTOR, "button.hook-edit").click()
        text = d.find_element(By.ID, "hook-config").get_attribute("value")
        tb.check(text.startswith("hook siem {") and "format leef" in text,
                 "Change opens the hook's text", text)

        row("webui").find_element(By.CSS_SELECTOR, "button.hook-delete").click()
        until("the delete is confirmed", lambda: d.switch_to.alert)
        d.switch_to.alert.accept()
        if not until("the hook is deleted", lambda: css("#hookdefs-table") and row("webui") is None):
            return 1
        tb.ok("an admin deletes a hook in the web UI")
        errs = uilib.errors(d)
        tb.check(not errs, "no script error or CSP violation in the hook editor", errs[:2])
    finally:
        d.quit()
    return 1 if tb.FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
