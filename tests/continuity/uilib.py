"""Headless Chromium for the continuity tests' page checks (ui_services.py,
ui_sla.py): the browser made the same way, the login, and a check run so
that a failure says where it happened.

start() gives None when selenium, chromium or chromedriver is missing (the
caller then exits 77, a skip).
"""
import os


def start(tmp, spki, profile):
    """A headless Chromium that trusts the console's key (spki), its profile in tmp/profile."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        return None
    chromium = "/usr/bin/chromium"
    driver = "/usr/bin/chromedriver"
    if not (os.path.exists(chromium) and os.path.exists(driver)):
        return None
    o = webdriver.ChromeOptions()
    o.binary_location = chromium
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--window-size=1366,768", "--lang=en-US", "--no-first-run",
              "--user-data-dir=" + os.path.join(tmp, profile),
              "--ignore-certificate-errors-spki-list=" + spki):
        o.add_argument(a)
    d = webdriver.Chrome(service=Service(driver), options=o)
    d.set_page_load_timeout(20)
    return d


def css(d, sel):
    from selenium.webdriver.common.by import By
    return d.find_elements(By.CSS_SELECTOR, sel)


def wait(d, fn, seconds=10):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(d, seconds).until(lambda _d: fn())


def login(d, base, pw, lang=None):
    """Log in as admin (in lang, when given) and wait for the dashboard."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    d.get(base + "/")
    wait(d, lambda: css(d, "#login-user"))
    if lang is not None:
        Select(d.find_element(By.ID, "lang-switch")).select_by_value(lang)
    d.find_element(By.ID, "login-user").send_keys("admin")
    d.find_element(By.ID, "login-password").send_keys(pw)
    d.find_element(By.ID, "login-submit").click()
    wait(d, lambda: css(d, "#dash-chart"))


def run(d, check):
    """check(); 0, or 1 after printing where it failed; the browser is closed either way."""
    try:
        check()
    except Exception as e:  # an assertion or a timeout: say where
        print("at %s: %r" % (d.current_url, e))
        return 1
    finally:
        d.quit()
    return 0
