#!/usr/bin/env python3
"""The Services page's backup columns in headless Chromium, against the
console of tests/continuity/test_backup.sh.

usage: ui_backups.py BASE_URL PASSWORD SPKI SCRATCH_DIR

Logs in as admin, opens #/services and checks the backup cells: archives
(a snapshot 2 days old, RPO 1 h) marked CRITICAL with "2 d / 60 min",
e-payments within its RPO with its integrity check and restore test
passed, erp with both failed. Prints what failed and exits 1, or exits 0;
77 when the browser is missing.
"""
import os
import sys

import uilib


def main():
    base, pw, spki, tmp = sys.argv[1:5]
    d = uilib.start(tmp, spki, "chromium", size="1600,900")
    if d is None:
        return 77
    from selenium.webdriver.common.by import By
    css = lambda s: uilib.css(d, s)  # noqa: E731

    def check():
        uilib.login(d, base, pw)
        d.find_element(By.ID, "nav-services").click()
        uilib.wait(d, lambda: len(css("#services-table tr.service-row")) == 3)
        heads = [h.text for h in css("#services-table th")]
        assert "Backup / RPO" in heads and "Restore test" in heads, heads
        rows = {r.get_attribute("data-name"): r for r in css("#services-table tr.service-row")}
        cell = lambda n, c: rows[n].find_element(By.CSS_SELECTOR, c)  # noqa: E731
        a = cell("archives", ".svc-backup")
        assert a.get_attribute("data-rpo") == "CRITICAL", a.get_attribute("outerHTML")
        assert a.text == "2 d / 60 min", a.text
        e = cell("e-payments", ".svc-backup")
        assert e.get_attribute("data-rpo") == "OK", e.get_attribute("outerHTML")
        assert cell("e-payments", ".svc-verified").text.startswith("passed"), rows["e-payments"].text
        assert cell("e-payments", ".svc-restore").text.startswith("passed"), rows["e-payments"].text
        assert cell("erp", ".svc-verified").text.startswith("failed"), rows["erp"].text
        assert cell("erp", ".svc-restore").text.startswith("failed"), rows["erp"].text
        assert "svc-CRITICAL" in cell("erp", ".svc-restore").get_attribute("class")
        d.save_screenshot(os.path.join(tmp, "services-backups.png"))

    return uilib.run(d, check)


if __name__ == "__main__":
    sys.exit(main())
