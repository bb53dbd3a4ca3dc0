"""Headless Chromium for the web UI's page checks: the browser made the
same way, the login, the waits, the script errors a page hit, and a check
run so that a failure says where it happened.

Two kinds of caller. The continuity tests (ui_services.py, ui_sla.py,
ui_service.py, ui_backups.py) assert and let run() print where a check
failed: start() gives None when selenium, chromium or chromedriver is
missing (the caller then exits 77, a skip). The console's tests that
report each check as a PASS/FAIL line (tests/console/test_browser.py and
the pages it serves for: hooks_ui.py, hooks_edit_ui.py,
tests/agent/quarantine_ui.py) take a logged-in session() whose waits
report a timeout through their fail().
"""
import os
import shutil


def find_tool(names):
    """The first of names on PATH or in Debian's places for chromium; None."""
    for n in names:
        p = shutil.which(n)
        if p:
            return p
        for d in ("/usr/bin", "/usr/lib/chromium"):
            if os.path.exists(os.path.join(d, n)):
                return os.path.join(d, n)
    return None


def browser(chromium, driver_bin, tmp, spki, profile="chromium", size="1366,768"):
    """A headless Chromium that trusts exactly the console's key (spki), its
    profile in tmp/profile, its driver's log in tmp/profile-driver.log,
    the page's console messages kept (errors())."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    o = webdriver.ChromeOptions()
    o.binary_location = chromium
    # --no-sandbox: Chromium refuses to start as root (CI containers)
    # without it; the pages it loads are our own.
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--window-size=" + size, "--lang=en-US", "--no-first-run", "--disable-extensions",
              "--user-data-dir=" + os.path.join(tmp, profile)):
        o.add_argument(a)
    # Trust exactly this console's key (Chromium honours the list only with
    # its own user data dir, given above).
    o.add_argument("--ignore-certificate-errors-spki-list=" + spki)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    log = os.path.join(tmp, profile + "-driver.log")
    try:
        svc = Service(driver_bin, log_output=log)   # selenium >= 4.11
    except TypeError:
        svc = Service(driver_bin, log_path=log)     # Debian 12's 4.8
    d = webdriver.Chrome(service=svc, options=o)
    d.set_page_load_timeout(20)
    return d


def start(tmp, spki, profile, size="1366,768"):
    """browser(), or None when selenium, chromium or chromedriver is missing."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return None
    chromium = find_tool(["chromium", "chromium-browser"])
    driver = find_tool(["chromedriver"])
    if chromium is None or driver is None:
        return None
    return browser(chromium, driver, tmp, spki, profile, size)


def css(d, sel):
    from selenium.webdriver.common.by import By
    return d.find_elements(By.CSS_SELECTOR, sel)


def wait(d, fn, seconds=10):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(d, seconds).until(lambda _d: fn())


def until(d, what, fn, fail, seconds=10):
    """fn()'s value once true within seconds; else fail(what, where it
    timed out) and None."""
    from selenium.common.exceptions import TimeoutException
    try:
        return wait(d, fn, seconds)
    except TimeoutException:
        fail(what, "timed out at %s" % d.current_url)
        return None


def sign_in(d, base, user, pw, lang=None):
    """Open the login page, (pick lang,) and send user's credentials."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    d.get(base + "/")
    wait(d, lambda: css(d, "#login-user"))
    if lang is not None:
        Select(d.find_element(By.ID, "lang-switch")).select_by_value(lang)
    d.find_element(By.ID, "login-user").send_keys(user)
    d.find_element(By.ID, "login-password").send_keys(pw)
    d.find_element(By.ID, "login-submit").click()


def login(d, base, pw, lang=None):
    """Log in as admin (in lang, when given) and wait for the dashboard."""
    sign_in(d, base, "admin", pw, lang)
    wait(d, lambda: css(d, "#dash-chart"))


def session(tmp, spki, base, user, pw, fail, seconds=10):
    """A browser (profile in tmp/chromium) logged in as user, for a test
    that reports each check: (d, css, until), until(what, fn[, seconds])
    reporting a timeout through fail(what, why). (None, None, None) when
    the browser or the login failed, said through fail; the caller quits d."""
    from selenium.common.exceptions import TimeoutException
    d = start(tmp, spki, "chromium")
    if d is None:
        fail("browser", "python3-selenium, chromium or chromium-driver not installed")
        return None, None, None
    try:
        sign_in(d, base, user, pw)
        wait(d, lambda: css(d, "#dash-chart"), seconds)
    except TimeoutException:
        fail("login as " + user, "timed out at %s" % d.current_url)
        d.quit()
        return None, None, None
    return (d, lambda s: css(d, s),
            lambda what, fn, timeout=seconds: until(d, what, fn, fail, timeout))


def errors(d):
    """The script errors and CSP violations the pages hit (a resource that
    failed to load is the test's own doing, not counted)."""
    return [e for e in d.get_log("browser")
            if e.get("level") == "SEVERE" and "Failed to load resource" not in e.get("message", "")]


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
