#!/usr/bin/env python3
"""The SLA report page in headless Chromium, against a running console.

usage: ui_sla.py BASE_URL PASSWORD SPKI SCRATCH_DIR

Logs in as admin, goes from the Services page to the SLA report, checks one
row per service (web with an outage and under 100 %, backups' RPO missed,
files' met), the CSV link, the Greek strings, and that printing leaves out
the menus and buttons (print media, and a PDF is made). Prints what failed
and exits 1, or exits 0; 77 when the browser is missing.
"""
import base64
import os
import sys

import uilib


def main():
    base, pw, spki, tmp = sys.argv[1:5]
    d = uilib.start(tmp, spki, "chromium-sla")
    if d is None:
        return 77
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    css = lambda s: uilib.css(d, s)  # noqa: E731
    wait = lambda fn: uilib.wait(d, fn)  # noqa: E731
    shown = lambda s: d.execute_script(  # noqa: E731
        "var e = document.querySelector(arguments[0]);"
        "return e !== null && getComputedStyle(e).display !== 'none';", s)

    def check():
        uilib.login(d, base, pw, lang="en")
        d.find_element(By.ID, "nav-services").click()
        wait(lambda: css("#svc-sla"))
        d.find_element(By.ID, "svc-sla").click()
        wait(lambda: len(css("#sla-table tr.sla-row")) == 7)
        rows = {r.get_attribute("data-name"): r for r in css("#sla-table tr.sla-row")}
        web = rows["web"]
        av = web.find_element(By.CSS_SELECTOR, ".sla-availability").text
        assert av.endswith(" %") and float(av.split()[0]) < 100, av
        assert web.find_element(By.CSS_SELECTOR, ".sla-outages").text == "1", web.text
        assert "missed" in rows["backups"].find_element(By.CSS_SELECTOR, ".sla-rpo").text, rows["backups"].text
        assert "met" in rows["files"].find_element(By.CSS_SELECTOR, ".sla-rpo").text, rows["files"].text
        assert rows["soon"].find_element(By.CSS_SELECTOR, ".sla-availability").text == "100.000 %"
        href = d.find_element(By.ID, "sla-csv").get_attribute("href")
        assert "/api/v1/sla?" in href and "format=csv" in href, href
        h1 = d.find_element(By.CSS_SELECTOR, "main h1").text
        assert h1.startswith("SLA report"), h1
        # printing: the menus and buttons go
        assert shown(".topbar") and shown("#sla-print")
        d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        assert not shown(".topbar") and not shown("#sla-print") and shown("#sla-table"), "print style"
        pdf = d.execute_cdp_cmd("Page.printToPDF", {})
        data = base64.b64decode(pdf["data"])
        assert data[:5] == b"%PDF-" and len(data) > 2000, len(data)
        with open(os.path.join(tmp, "sla.pdf"), "wb") as f:
            f.write(data)
        d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        # Greek
        Select(d.find_element(By.ID, "lang-switch")).select_by_value("el")
        wait(lambda: d.find_element(By.CSS_SELECTOR, "main h1").text.startswith("Αναφορά"))
        wait(lambda: len(css("#sla-table tr.sla-row")) == 7)
        rpo = d.find_element(By.CSS_SELECTOR, "tr.sla-row[data-name='backups'] .sla-rpo").text
        assert "δεν τηρήθηκε" in rpo, rpo
        d.save_screenshot(os.path.join(tmp, "sla.png"))

    return uilib.run(d, check)


if __name__ == "__main__":
    sys.exit(main())
