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
import time


def main():
    base, pw, spki, tmp = sys.argv[1:5]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select, WebDriverWait
    except ImportError:
        return 77
    chromium = "/usr/bin/chromium"
    driver = "/usr/bin/chromedriver"
    if not (os.path.exists(chromium) and os.path.exists(driver)):
        return 77
    o = webdriver.ChromeOptions()
    o.binary_location = chromium
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--window-size=1366,768", "--lang=en-US", "--no-first-run",
              "--user-data-dir=" + os.path.join(tmp, "chromium"),
              "--ignore-certificate-errors-spki-list=" + spki):
        o.add_argument(a)
    d = webdriver.Chrome(service=Service(driver), options=o)
    d.set_page_load_timeout(20)
    css = lambda s: d.find_elements(By.CSS_SELECTOR, s)  # noqa: E731
    wait = lambda fn: WebDriverWait(d, 10).until(lambda _d: fn())  # noqa: E731
    try:
        d.get(base + "/")
        wait(lambda: css("#login-user"))
        d.find_element(By.ID, "login-user").send_keys("admin")
        d.find_element(By.ID, "login-password").send_keys(pw)
        d.find_element(By.ID, "login-submit").click()
        wait(lambda: css("#dash-chart"))
        d.find_element(By.ID, "nav-services").click()
        wait(lambda: len(css("#services-table tr.service-row")) == 9)
        rows = {r.get_attribute("data-name"): r for r in css("#services-table tr.service-row")}
        states = {n: r.get_attribute("data-state") for n, r in rows.items()}
        assert states["e-payments"] == "OK", states
        assert states["expired"] == "CRITICAL", states
        assert states["soon"] == "WARNING", states
        assert "10 days" in rows["soon"].text or "9 days" in rows["soon"].text, rows["soon"].text
        assert "100.00 %" in rows["e-payments"].text, rows["e-payments"].text
        d.save_screenshot(os.path.join(tmp, "services.png"))
        Select(d.find_element(By.ID, "svc-owner")).select_by_value("finance")
        wait(lambda: len(css("#services-table tr.service-row")) == 1)
        assert "owner=finance" in d.current_url, d.current_url
        assert css("#services-table tr.service-row")[0].get_attribute("data-name") == "e-payments"
    except Exception as e:  # an assertion or a timeout: say where
        print("at %s: %r" % (d.current_url, e))
        return 1
    finally:
        d.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
