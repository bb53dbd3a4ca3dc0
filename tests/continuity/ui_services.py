#!/usr/bin/env python3
"""The Services page in headless Chromium, against a running console.

usage: ui_services.py BASE_URL PASSWORD SPKI SCRATCH_DIR

Logs in as admin, opens #/services, and checks one row per service with
its state (e-payments OK, expired CRITICAL, soon WARNING with its
certificate's days), then the owner filter. Prints what failed and exits
1, or exits 0; 77 when the browser is missing.
"""
import os
import sys

import uilib


def main():
    base, pw, spki, tmp = sys.argv[1:5]
    d = uilib.start(tmp, spki, "chromium")
    if d is None:
        return 77
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    css = lambda s: uilib.css(d, s)  # noqa: E731

    def check():
        uilib.login(d, base, pw)
        d.find_element(By.ID, "nav-services").click()
        uilib.wait(d, lambda: len(css("#services-table tr.service-row")) == 9)
        rows = {r.get_attribute("data-name"): r for r in css("#services-table tr.service-row")}
        states = {n: r.get_attribute("data-state") for n, r in rows.items()}
        assert states["e-payments"] == "OK", states
        assert states["expired"] == "CRITICAL", states
        assert states["soon"] == "WARNING", states
        assert "10 days" in rows["soon"].text or "9 days" in rows["soon"].text, rows["soon"].text
        assert "100.00 %" in rows["e-payments"].text, rows["e-payments"].text
        d.save_screenshot(os.path.join(tmp, "services.png"))
        Select(d.find_element(By.ID, "svc-owner")).select_by_value("finance")
        uilib.wait(d, lambda: len(css("#services-table tr.service-row")) == 1)
        assert "owner=finance" in d.current_url, d.current_url
        assert css("#services-table tr.service-row")[0].get_attribute("data-name") == "e-payments"

    return uilib.run(d, check)


if __name__ == "__main__":
    sys.exit(main())
