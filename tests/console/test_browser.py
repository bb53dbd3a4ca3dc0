#!/usr/bin/env python3
"""The officers' web UI in a real browser: headless Chromium driven by
Selenium against a real kastro-console on loopback, fed by a test gateway
(sensor.py). Proves that an officer can sign in, sees the gateway's alerts
on the dashboard (counts and a chart drawn from the data), lists, filters
and pages through alerts, opens one, acknowledges it, adds a note (shown
as text, not markup), finds both in the audit log under the officer's
name, makes an API token with an expiry under My account and revokes it
(the token stops working), switches the UI to Greek (remembered across a
reload) and signs out
(the session ends); and that no page hit a script error or a
Content-Security-Policy violation. Screenshots of the dashboard, the alert
list and the alert page go to ARTEFACT_DIR.

usage: tests/console/test_browser.py BUILD_DIR ARTEFACT_DIR

Set-up as tests/console/test_console.sh: `kastro-console init` in a
scratch dir, a config with free loopback ports, the console started and
stopped by this script (always, with the scratch dir deleted).
Needs Debian's python3-selenium, chromium and chromium-driver
(packaging/deps.sh test). One line per check, "PASS console_browser: ..."
or "FAIL console_browser: ...: why", also appended to $KASTRO_RESULTS when
set; exit status 1 if any check failed.
"""
import base64
import hashlib
import os
import re
import shutil
import http.client
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

T = "console_browser"
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "continuity"))
import uilib  # noqa: E402
FAILED = False


def report(line):
    print(line, flush=True)
    res = os.environ.get("KASTRO_RESULTS")
    if res:
        with open(res, "a") as f:
            f.write(line + "\n")


def ok(what):
    report("PASS %s: %s" % (T, what))


def fail(what, why):
    global FAILED
    FAILED = True
    why = " ".join(str(why).split())[:400]
    report("FAIL %s: %s: %s" % (T, what, why))


def check(cond, what, why):
    if cond:
        ok(what)
    else:
        fail(what, why)
    return cond


# ---- tools -----------------------------------------------------------------

def import_selenium():
    """Debian's python3-selenium lives in /usr/lib/python3/dist-packages: if
    this interpreter is another one (a pyenv shim first on PATH), run the
    script again with the system's python3."""
    try:
        import selenium  # noqa: F401
        return True
    except ImportError:
        sysp = "/usr/bin/python3"
        if (os.path.exists(sysp) and os.path.realpath(sys.executable) != os.path.realpath(sysp)
                and not os.environ.get("KASTRO_BROWSER_REEXEC")):
            os.environ["KASTRO_BROWSER_REEXEC"] = "1"
            os.execv(sysp, [sysp] + sys.argv)
        return False


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def run(args, timeout=60, text=True):
    return subprocess.run(args, capture_output=True, text=text, timeout=timeout)


def spki_hash(key_pem):
    """base64(SHA-256(SubjectPublicKeyInfo)) of the server's key: what
    Chromium's --ignore-certificate-errors-spki-list takes, so the browser
    trusts this console's certificate and nothing else."""
    der = run(["openssl", "pkey", "-in", key_pem, "-pubout", "-outform", "DER"], text=False).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode() if der else None


class Console:
    """A console in a scratch dir, as test_console.sh starts it."""

    def __init__(self, build, tmp):
        self.bin = os.path.join(build, "kastro-console")
        self.ctl = os.path.join(build, "kastroctl")
        self.tmp = tmp
        self.data = os.path.join(tmp, "data")
        self.sock = os.path.join(tmp, "console.sock")
        self.log = os.path.join(tmp, "console.log")
        self.proc = None
        self.hp, self.sp = free_ports(2)
        self.password = self.fp = None

    def init(self):
        r = run([self.bin, "init", "--data", self.data, "--name", "127.0.0.1"])
        out = r.stdout + r.stderr
        m = re.match(r"admin password: (\S+)", out)
        f = re.search(r"^CA fingerprint: (\S+)", out, re.M)
        if r.returncode != 0 or not m or not f:
            raise RuntimeError("init: " + out[:300])
        self.password, self.fp = m.group(1), f.group(1)
        conf = os.path.join(self.tmp, "test.conf")
        with open(conf, "w") as fh:
            fh.write('data "%s"\nlisten https on 127.0.0.1 port %d\nlisten sensors on 127.0.0.1 port %d\n'
                     'control "%s"\nsensor offline-after 300s\n' % (self.data, self.hp, self.sp, self.sock))
        self.conf = conf

    def start(self):
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen([self.bin, "-c", self.conf], stdout=logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        logf.close()
        for _ in range(150):
            if self.proc.poll() is not None:
                break
            with open(self.log, "rb") as fh:
                if b"ready" in fh.read() and os.path.exists(self.sock):
                    return
            time.sleep(0.1)
        raise RuntimeError("console did not start: " + self.tail())

    def tail(self):
        try:
            with open(self.log, errors="replace") as fh:
                return " ".join(fh.read().splitlines()[-5:])
        except OSError:
            return ""

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def feed(self):
        """Enrol a gateway and send it 30 alerts: 15 alert rows (5 hosts x
        3 rules, sensor.py's pattern), severity 2, action blocked."""
        r = run([self.ctl, "-s", self.sock, "token", "create", "--kind", "gateway"])
        m = re.search(r"^token=(\S+)", r.stdout, re.M)
        if not m:
            raise RuntimeError("token create: " + r.stdout + r.stderr)
        gw = os.path.join(self.tmp, "gw")
        sensor = [sys.executable, os.path.join(HERE, "sensor.py")]
        r = run(sensor + ["enroll", "127.0.0.1:%d" % self.hp, m.group(1), self.fp, gw, "gw-kavala"])
        if r.returncode != 0:
            raise RuntimeError("enrol: " + r.stderr)
        r = run(sensor + ["send", "127.0.0.1:%d" % self.sp, gw, "1", "30", "10"])
        if r.returncode != 0 or "acked 30" not in r.stdout:
            raise RuntimeError("send: " + r.stdout + r.stderr)


def check_headers(con):
    """The page and a script come with the strict CSP the UI is written for."""
    ctx = ssl.create_default_context(cafile=os.path.join(con.data, "ca.crt"))
    for path in ("/", "/ui/app.js"):
        try:
            c = http.client.HTTPSConnection("127.0.0.1", con.hp, context=ctx, timeout=10)
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            csp = r.getheader("Content-Security-Policy") or ""
            c.close()
        except (OSError, http.client.HTTPException) as e:
            fail("GET %s" % path, e)
            continue
        check(r.status == 200 and "script-src 'self'" in csp and "style-src 'self'" in csp and
              "unsafe" not in csp, "GET %s: 200 with a strict Content-Security-Policy" % path,
              "status %d, CSP %r" % (r.status, csp))


# ---- the browser ---------------------------------------------------------------

def ui_test(d, con, art):
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    base = "https://127.0.0.1:%d" % con.hp
    css = lambda s: d.find_elements(By.CSS_SELECTOR, s)  # noqa: E731
    logs = []

    def collect_logs():
        try:
            logs.extend(d.get_log("browser"))
        except Exception:  # not every driver keeps a log
            pass

    def shot(name):
        """The whole page (the window stretched to its height), then back
        to 1366x768."""
        p = os.path.join(art, name)
        h, extra = d.execute_script("return [document.documentElement.scrollHeight,"
                                    " window.outerHeight - window.innerHeight]")
        d.set_window_size(1366, max(768, min(int(h or 0) + int(extra or 0), 4000)))
        time.sleep(0.4)  # let the last paint finish
        done = d.save_screenshot(p)
        d.set_window_size(1366, 768)
        return p if done else None

    # A page that renders again (the alert page loads its related events
    # after its header) may replace an element between finding and using
    # it: waits take that as "not yet", clicks find the element again.
    def until(what, fn, timeout=10):
        try:
            return WebDriverWait(d, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
                lambda _d: fn())
        except TimeoutException:
            fail(what, "timed out at %s" % d.current_url)
            return None

    def click_id(eid):
        for _ in range(5):
            try:
                d.find_element(By.ID, eid).click()
                return
            except StaleElementReferenceException:
                time.sleep(0.2)
        d.find_element(By.ID, eid).click()

    def text(sel):
        e = css(sel)
        return e[0].text if e else ""

    # ---- sign in ----
    d.get(base + "/")
    if not until("the login page loads", lambda: css("#login-user")):
        return
    ok("the login page loads over HTTPS with the console's own certificate")
    d.find_element(By.ID, "login-user").send_keys("admin")
    d.find_element(By.ID, "login-password").send_keys("not the password")
    d.find_element(By.ID, "login-submit").click()
    until("a wrong password is refused", lambda: css("#login-error") and css("#login-error")[0].is_displayed())
    check(not css("#dash-chart"), "a wrong password is refused", "the dashboard was shown")
    pw = d.find_element(By.ID, "login-password")
    pw.clear()
    pw.send_keys(con.password)
    d.find_element(By.ID, "login-submit").click()
    if not until("login as admin shows the dashboard", lambda: css("#dash-chart")):
        return
    ok("login as admin shows the dashboard")
    check(text("#user-name") == "admin", "the top bar names the officer", "user box says %r" % text("#user-name"))

    # ---- dashboard ----
    counts = {}
    for s in range(1, 5):
        v = text('[data-test="sev-count-%d"]' % s).replace(",", "").replace(".", "")
        counts[s] = int(v) if v.isdigit() else -1
    check(counts[2] == 15 and sum(counts.values()) == 15,
          "the dashboard counts the gateway's 15 open alerts by severity (2: high)", "counts %s" % counts)
    bars = css("#dash-chart rect.bar")
    total = sum(int(b.get_attribute("data-alerts") or 0) for b in bars)
    check(len(bars) >= 1 and total == 15, "the chart has bars drawn from the histogram (15 new alerts)",
          "%d bars, %d alerts in them" % (len(bars), total))
    check(text('[data-test="sensors-online"]') == "1", "the dashboard shows the gateway online",
          "online: %r" % text('[data-test="sensors-online"]'))
    apps = css("#dash-top-apps tbody tr")
    check(len(apps) >= 1 and apps[0].text.split()[0] in ("YouTube", "BitTorrent"),
          "the top blocked applications name what nDPI found", "rows: %r" % [a.text for a in apps])
    hosts = css("#dash-top-hosts tbody tr")
    check(len(hosts) == 5 and "10.10.0." in hosts[0].text, "the top blocked hosts list the 5 hosts",
          "%d rows: %s" % (len(hosts), [h.text for h in hosts]))
    p = shot("dashboard.png")
    check(p, "screenshot of the dashboard", "save_screenshot failed")

    # ---- alert list: filters and keyset paging ----
    d.find_element(By.ID, "nav-alerts").click()
    if not until("the alert list shows the alerts", lambda: len(css(".alert-row")) == 15):
        return
    ok("the alert list shows the 15 open alerts")
    check("test rule" in text("#alerts-table"), "alert rows name the rule", text("#alerts-table")[:200])
    p = shot("alerts.png")
    check(p, "screenshot of the alert list", "save_screenshot failed")
    host = d.find_element(By.ID, "filter-host")
    host.send_keys("10.10.0.3")
    d.find_element(By.ID, "filter-apply").click()
    until("the host filter", lambda: "host=10.10.0.3" in d.current_url and css(".alert-row") and
          not css(".loading"))
    rows = css(".alert-row")
    check(len(rows) == 3 and all("10.10.0.3" in r.text for r in rows),
          "filtering by host shows only that host's 3 alerts", "%d rows" % len(rows))
    d.get(base + "/#/alerts?limit=6")
    seen = []
    pages = 0
    while pages < 5:
        if not until("keyset paging", lambda: css(".alert-row") and not css(".loading")):
            break
        ids = [r.get_attribute("data-id") for r in css(".alert-row")]
        seen.append(ids)
        pages += 1
        nxt = d.find_element(By.ID, "alerts-next")
        if not nxt.is_enabled():
            break
        first = ids[0]
        nxt.click()
        until("keyset paging", lambda: css(".alert-row") and css(".alert-row")[0].get_attribute("data-id") != first)
    flat = [i for p_ in seen for i in p_]
    check([len(p_) for p_ in seen] == [6, 6, 3] and len(set(flat)) == 15,
          "paging with the API's next cursor: 6 + 6 + 3 alerts, none twice",
          "pages %s" % [len(p_) for p_ in seen])
    if len(seen) == 3:
        d.find_element(By.ID, "alerts-prev").click()
        if until("Previous goes back to the page before",
                 lambda: [r.get_attribute("data-id") for r in css(".alert-row")] == seen[1]):
            ok("Previous goes back to the page before")

    # ---- one alert: acknowledge, note ----
    d.get(base + "/#/alerts?status=open")
    if not until("open the alert", lambda: css(".alert-row a.alert-link")):
        return
    link = css(".alert-row a.alert-link")[0]
    aid = css(".alert-row")[0].get_attribute("data-id")
    link.click()
    if not until("open the alert", lambda: css("#alert-status")):
        return
    check(css("#alert-status")[0].get_attribute("data-status") == "new" and "test rule" in text("#alert-title"),
          "the alert page shows alert %s, status new" % aid,
          "status %r, title %r" % (css("#alert-status")[0].get_attribute("data-status"), text("#alert-title")))
    check("10.20.0.2" in text("#alert-event"), "the alert page shows the gateway's event",
          text("#alert-event")[:200])
    check(len(css("#alert-related .related-row")) >= 1, "the alert page lists related events of the host",
          "no related rows")
    p = shot("alert.png")
    check(p, "screenshot of the alert page", "save_screenshot failed")
    click_id("alert-ack")
    if until("acknowledge", lambda: css("#alert-status") and
             css("#alert-status")[0].get_attribute("data-status") == "acknowledged"):
        ok("Acknowledge sets the alert's status to acknowledged")
    note = "Checked from the browser <b>not bold</b> & Δήμος Καβάλας"
    d.find_element(By.ID, "alert-note-text").send_keys(note)
    click_id("alert-note-add")
    if until("a note is added and shown with its author",
             lambda: any(note in n.text and "admin" in n.text for n in css("#alert-notes .note"))):
        ok("a note is added and shown with its author")
        check(not css("#alert-notes .note b"), "a note's markup is shown as text, not as HTML",
              "a <b> element was made from the note")
    d.get(base + "/#/alerts?status=acknowledged")
    until("the list shows the new status", lambda: css(".alert-row") and not css(".loading"))
    ack = [r.get_attribute("data-id") for r in css(".alert-row")]
    check(ack == [aid], "the alert list shows the alert as acknowledged", "acknowledged ids %s" % ack)

    # ---- audit log ----
    d.find_element(By.ID, "nav-audit").click()
    if until("the audit log", lambda: css("#audit-table .audit-row")):
        entries = [(r.get_attribute("data-action"), r.find_element(By.CSS_SELECTOR, ".audit-user").text,
                    r.find_element(By.CSS_SELECTOR, ".audit-detail").text) for r in css("#audit-table .audit-row")]
        check(any(a == "alert.status" and u == "admin" and ("alert %s: acknowledged" % aid) in dt
                  for a, u, dt in entries),
              "the audit log shows admin's acknowledgement of alert %s" % aid, "entries %s" % entries[:6])
        check(any(a == "alert.note" and u == "admin" for a, u, dt in entries),
              "the audit log shows admin's note", "entries %s" % entries[:6])

    # ---- API tokens under My account: made with an expiry, listed, revoked ----
    def bearer_status(tok):
        ctx = ssl.create_default_context(cafile=os.path.join(con.data, "ca.crt"))
        try:
            c = http.client.HTTPSConnection("127.0.0.1", con.hp, context=ctx, timeout=10)
            c.request("GET", "/api/v1/me", headers={"Authorization": "Bearer " + tok})
            r = c.getresponse()
            r.read()
            c.close()
            return r.status
        except (OSError, http.client.HTTPException) as e:
            return str(e)

    d.get(base + "/#/account")
    if until("the account page", lambda: css("#apitoken-name") and css("#apitoken-list table")):
        d.find_element(By.ID, "apitoken-name").send_keys("browser-ci")
        Select(d.find_element(By.ID, "apitoken-ttl")).select_by_value("2592000")
        d.find_element(By.ID, "apitoken-create").click()
        row = '#apitoken-table .apitoken-row[data-name="browser-ci"]'
        if until("a new API token is shown and listed", lambda: css("#apitoken-value") and css(row)):
            tok = text("#apitoken-value")
            cells = [c.text for c in css(row + " td")]
            exp = d.execute_script("return document.querySelector(arguments[0] + ' td:nth-child(2) time')"
                                   " ? document.querySelector(arguments[0] + ' td:nth-child(2) time')"
                                   ".getAttribute('datetime') : null", row)
            in30 = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 30 * 86400))
            check(exp is not None and exp.startswith(in30) and bearer_status(tok) == 200,
                  "an API token made in the UI for 30 days is listed with its expiry and works",
                  "cells %s, expiry %r (wanted %s...), status %s" % (cells, exp, in30, bearer_status(tok)))
            css(row + " button")[0].click()
            try:
                WebDriverWait(d, 5).until(lambda _d: _d.switch_to.alert).accept()
            except TimeoutException:
                fail("revoke an API token", "no confirmation asked")
            if until("a revoked token leaves the list", lambda: not css(row)):
                check(bearer_status(tok) == 401, "an API token revoked in the UI stops working (401)",
                      "status %s" % bearer_status(tok))

        # an admin sees every user's tokens on the Users page and revokes one there
        d.get(base + "/#/account")
        if until("the account page again", lambda: css("#apitoken-name") and css("#apitoken-list table")):
            d.find_element(By.ID, "apitoken-name").send_keys("browser-admin")
            d.find_element(By.ID, "apitoken-create").click()
            if until("a second API token", lambda: css('#apitoken-table .apitoken-row[data-name="browser-admin"]')):
                tok = text("#apitoken-value")
                d.get(base + "/#/users")
                row = '#all-tokens-table .all-token-row[data-user="admin"][data-name="browser-admin"]'
                if until("every user's tokens on the Users page", lambda: css(row)):
                    css(row + " button")[0].click()
                    try:
                        WebDriverWait(d, 5).until(lambda _d: _d.switch_to.alert).accept()
                    except TimeoutException:
                        fail("revoke a token on the Users page", "no confirmation asked")
                    if until("the revoked token leaves the Users page", lambda: not css(row)):
                        check(bearer_status(tok) == 401,
                              "an admin sees every user's API tokens on the Users page and revokes one (401 after)",
                              "status %s" % bearer_status(tok))

    d.get(base + "/#/audit")
    until("back to the audit log", lambda: css("#audit-table .audit-row"))

    # ---- Greek ----
    Select(d.find_element(By.ID, "lang-switch")).select_by_value("el")
    if until("switch to Greek", lambda: text("#nav-audit") == "Αρχείο ενεργειών"):
        check(d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "el" and
              "Χρήστης" in text("#audit-table thead"),
              "the language switch shows the UI in Greek (<html lang=el>)", "lang %r, head %r" % (
                  d.find_element(By.TAG_NAME, "html").get_attribute("lang"), text("#audit-table thead")))
    d.get(base + "/#/dashboard")
    if until("Greek is remembered", lambda: css("#dash-chart")):
        check(text("#nav-alerts") == "Ειδοποιήσεις" and "Ανοιχτές ειδοποιήσεις" in text(".dash-sev h2"),
              "the choice of Greek is remembered across a reload", "nav %r" % text("#nav-alerts"))

    # ---- logout ----
    d.find_element(By.ID, "user-menu-button").click()
    until("log out", lambda: d.find_element(By.ID, "logout").is_displayed())
    d.find_element(By.ID, "logout").click()
    if until("log out", lambda: css("#login-user")):
        st = d.execute_async_script(
            "var done = arguments[arguments.length - 1];"
            "fetch('/api/v1/me', {credentials: 'same-origin'}).then(function (r) { done(r.status); },"
            " function () { done(-1); });")
        check(st == 401, "logout ends the session (GET /api/v1/me: 401)", "status %s" % st)

    collect_logs()
    bad = [e.get("message", "") for e in logs
           if e.get("level") == "SEVERE" and "Failed to load resource" not in e.get("message", "")]
    bad += [e.get("message", "") for e in logs if "Content Security Policy" in e.get("message", "")]
    check(not bad, "no script errors or CSP violations in the browser's console", "; ".join(bad[:3]))


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: %s BUILD_DIR ARTEFACT_DIR\n" % sys.argv[0])
        return 2
    build = os.path.abspath(sys.argv[1])
    art = os.path.abspath(sys.argv[2])
    have_sel = import_selenium()
    chromium = uilib.find_tool(["chromium", "chromium-browser"])
    driver_bin = uilib.find_tool(["chromedriver"])
    missing = [n for n, v in (("python3-selenium", have_sel), ("chromium", chromium),
                              ("chromium-driver", driver_bin), ("openssl", shutil.which("openssl"))) if not v]
    if missing:
        fail(", ".join(missing), "not installed (packaging/deps.sh test installs it)")
        return 1
    for b in ("kastro-console", "kastroctl"):
        if not os.access(os.path.join(build, b), os.X_OK):
            fail(b, "not built in %s" % build)
            return 1
    os.makedirs(art, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="kastro-browser-test.")
    # the console drops root for its own user (made here when absent),
    # which must reach its data in tmp
    os.chmod(tmp, 0o755)
    if subprocess.run(["id", "kastro-console"], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        "kastro-console"], capture_output=True)
    con = Console(build, tmp)
    d = None
    t0 = time.time()
    try:
        try:
            con.init()
            con.start()
            con.feed()
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
            fail("console set-up", e)
            return 1
        ok("console with a gateway and 30 alerts (HTTPS %d, sensors %d)" % (con.hp, con.sp))
        check_headers(con)
        spki = spki_hash(os.path.join(con.data, "server.key"))
        if not spki:
            fail("browser set-up", "cannot read the SPKI of %s/server.key" % con.data)
            return 1
        try:
            d = uilib.browser(chromium, driver_bin, tmp, spki)
        except Exception as e:  # selenium raises many kinds
            fail("browser set-up", "%s: %s" % (type(e).__name__, e))
            return 1
        try:
            ui_test(d, con, art)
        except Exception as e:
            fail("browser session", "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else ""))
            try:
                d.save_screenshot(os.path.join(art, "failure.png"))
            except Exception:
                pass
        if con.proc is None or con.proc.poll() is not None:
            fail("console", "exited during the test: " + con.tail())
        print("# screenshots in %s; %.1f s" % (art, time.time() - t0))
    finally:
        if d is not None:
            try:
                d.quit()
            except Exception:
                pass
        con.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
