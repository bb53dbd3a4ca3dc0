#!/usr/bin/env python3
"""A service's page in headless Chromium, against a running console.

usage: ui_service.py BASE_URL PASSWORD SPKI SCRATCH_DIR

Logs in as admin (in Greek), follows the Services list's link to web's
page (web was down and came back) and checks the timeline's CRITICAL and
OK segments, the response-time chart's points and axes, the checks table;
then files's page, whose push check's last body carries markup that must
show as text and never run; library's maintenance band and window; erp's
link to db's page. Prints what failed and exits 1, or exits 0; 77 when
the browser is missing.
"""
import os
import sys

import uilib


def main():
    base, pw, spki, tmp = sys.argv[1:5]
    d = uilib.start(tmp, spki, "chromium-service")
    if d is None:
        return 77
    from selenium.webdriver.common.by import By
    css = lambda s: uilib.css(d, s)  # noqa: E731

    def open_page(name):
        d.get(base + "/#/services/" + name)
        uilib.wait(d, lambda: css("#service-head") and css("h1")[0].text == name)

    def check():
        uilib.login(d, base, pw, "el")
        d.find_element(By.ID, "nav-services").click()
        uilib.wait(d, lambda: css("#services-table a.svc-link"))
        link = [a for a in css("#services-table a.svc-link") if a.text == "web"][0]
        link.click()
        uilib.wait(d, lambda: css("#service-head"))
        assert d.current_url.endswith("#/services/web"), d.current_url
        assert css("#service-head")[0].get_attribute("data-state") == "OK"
        segs = [r.get_attribute("data-state") for r in
                sorted(css("#svc-timeline rect.seg:not(.seg-maint)"), key=lambda r: int(r.get_attribute("data-from")))]
        assert "CRITICAL" in segs and "OK" in segs, segs
        assert segs.index("CRITICAL") < len(segs) - 1 and segs[-1] == "OK", segs
        assert "Κατάσταση τις τελευταίες 7 ημέρες" in d.find_element(By.ID, "service-body").text
        chart = css("#svc-chart-0")
        assert chart, "no response-time chart"
        n = int(chart[0].get_attribute("data-points"))
        assert 2 <= n <= 300, n
        pts = css("#svc-chart-0 polyline")[0].get_attribute("points").split()
        assert len(pts) == n, (len(pts), n)
        labels = [x.text for x in css("#svc-chart-0 text")]
        assert "0 ms" in labels and any(x.endswith(" ms") and x != "0 ms" for x in labels), labels
        rows = css("#svc-checks tr.check-row")
        assert len(rows) == 1 and rows[0].get_attribute("data-state") == "OK", len(rows)
        d.set_window_size(1366, 2000)     # the whole page in the screenshot
        d.save_screenshot(os.path.join(tmp, "service-web.png"))
        d.set_window_size(1366, 768)

        open_page("files")
        out = css("#svc-checks td.check-output pre")[0]
        assert "<script>window.__pwned=1</script><b>sync ok</b>" in out.text, out.text
        assert not css("#svc-checks script") and not css("#svc-checks b")
        assert d.execute_script("return window.__pwned === undefined")

        open_page("library")
        assert css("#svc-timeline rect.seg-maint"), "no maintenance band"
        assert css("#svc-maint li"), "no maintenance window listed"
        d.save_screenshot(os.path.join(tmp, "service-library.png"))

        open_page("erp")
        dep = css('#svc-deps a[href="#/services/db"]')
        assert dep, "no link to db"
        dep[0].click()
        uilib.wait(d, lambda: d.current_url.endswith("#/services/db") and css("#service-head")
                   and "db" in d.find_element(By.TAG_NAME, "h1").text)

        d.get(base + "/#/services/nosuch")
        uilib.wait(d, lambda: css("#service-body .error"))

    return uilib.run(d, check)


if __name__ == "__main__":
    sys.exit(main())
