#!/usr/bin/env python3
"""Receivers and checkers for the hooks test (tests/console/test_hooks.sh),
written against the specifications, not against the console's code.

usage:
  hook_peers.py webhook PORT CERT KEY SECRET_FILE OUT
      HTTPS server: every POST's signature (X-Kastro-Signature: t=TS,v1=HEX,
      HMAC-SHA256 over "TS." + body) is verified; one JSON line per request
      to OUT: {"key", "sig_ok", "alert", "path", "body"}. POST /refuse gets
      400, everything else 200. Runs until killed.
  hook_peers.py smtp PORT CERT KEY USER PASSWORD OUTDIR
      SMTP server (aiosmtpd) that requires STARTTLS and AUTH; each mail it
      accepts is written to OUTDIR/N.eml. Runs until killed.
  hook_peers.py check-syslog FILE SDID
      FILE holds one raw RFC 5424 message per line as rsyslog received it;
      checks header, structured data and the body by its format (CEF, LEEF
      or JSON); prints "ok N cef=N leef=N json=N greek=N" or the first error.
  hook_peers.py check-mail OUTDIR
      every mail: headers, Greek or English subject decoded, both parts of
      multipart/alternative; prints "ok N subjects=..." or the error.
  hook_peers.py send-hostile HOST:SENSOR_PORT DIR FIRST COUNT
      as sensor.py send, but each alert's signature and category hold
      Greek, '=', '|', '\\', ']' and '"' (HOSTILE_SIG below)
  hook_peers.py bare tls|relp|web PORT N OUT SECRET_FILE MESSAGE
      (make bench) the reference sender: MESSAGE N times over one
      connection, each RELP message and webhook POST waiting for its
      answer as the console's do; prints messages/s once OUT holds them all
  hook_peers.py latency HOST:SENSOR_PORT DIR FIRST COUNT OUT
      (make bench) COUNT alerts one at a time: from the acknowledgement of
      the alert's batch to OUT growing; prints lat_p50=, lat_p99=, lat_max= (ms)
  hook_peers.py check-webhook OUT FIRST_ALERT COUNT
      requests from OUT: every signature valid, the alerts FIRST..FIRST+COUNT-1
      all present, in order (a repeat carries the same key); prints
      "ok requests=N duplicates=N" or the error.
"""
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import os
import re
import ssl
import sys
import time


def webhook(port, cert, key, secret_file, out):
    secret = open(secret_file, "rb").read().strip()
    f = open(out, "a", buffering=1)

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *a):
            pass

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            sig = self.headers.get("X-Kastro-Signature", "")
            ok = False
            m = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", sig)
            if m:
                want = hmac.new(secret, m.group(1).encode() + b"." + body, hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(want, m.group(2)) and \
                    self.headers.get("X-Kastro-Timestamp") == m.group(1)
            alert = None
            try:
                doc = json.loads(body)
                alert = doc.get("alert", {}).get("id")
            except Exception:
                doc = None
            f.write(json.dumps({"key": self.headers.get("Idempotency-Key"), "sig_ok": ok,
                                "alert": alert, "path": self.path,
                                "body": body.decode("utf-8", "replace")}) + "\n")
            code = 400 if self.path == "/refuse" else 200
            reply = b'{"ok":true}' if code == 200 else b'{"error":"refused by the test"}'
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), H)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


def smtp(port, cert, key, user, password, outdir):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    os.makedirs(outdir, exist_ok=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)

    class Handler:
        n = 0

        async def handle_DATA(self, server, session, envelope):
            Handler.n += 1
            with open(os.path.join(outdir, "%d.eml" % Handler.n), "wb") as f:
                f.write(envelope.original_content or envelope.content)
            return "250 2.0.0 Message accepted for delivery"

    def auth(server, session, envelope, mechanism, data):
        ok = isinstance(data, LoginPassword) and data.login == user.encode() and \
            data.password == password.encode()
        return AuthResult(success=ok, handled=False)

    c = Controller(Handler(), hostname="127.0.0.1", port=int(port), tls_context=ctx,
                   require_starttls=True, authenticator=auth, auth_required=True,
                   auth_require_tls=True)
    c.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        c.stop()


HOSTILE_SIG = 'hostile Κακόβουλο λογισμικό a=b|c\\d]"e'
HOSTILE_CAT = 'x=y|z\\'


def send_hostile(hostport, d, first, count):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import sensor
    plain = sensor.event

    def event(seq):
        e = plain(seq)
        e["alert"]["signature"] = HOSTILE_SIG
        e["alert"]["category"] = HOSTILE_CAT
        return e
    sensor.event = event
    sensor.send(hostport, d, int(first), int(count), 10, 0)


def lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except OSError:
        return 0


def bare(kind, port, n, out, secret_file, msg):
    import socket
    import http.client
    n, port = int(n), int(port)
    before = lines(out)
    data = msg.encode()
    t0 = time.monotonic()
    if kind == "tls":
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
        frame = b"%d " % len(data) + data
        buf = []
        for i in range(n):
            buf.append(frame)
            if len(buf) == 64:
                s.sendall(b"".join(buf))
                buf = []
        s.sendall(b"".join(buf))
    elif kind == "relp":
        s = socket.create_connection(("127.0.0.1", port))
        f = s.makefile("rb")

        def call(tx, cmd, d):
            s.sendall(b"%d %s %d %s\n" % (tx, cmd, len(d), d))
            while True:
                line = f.readline()
                parts = line.split(b" ", 3)
                ln = int(parts[2])
                rest = line.split(b" ", 3)[3] if len(parts) > 3 else b""
                while len(rest) < ln + 1:
                    rest += f.readline()
                if parts[1] == b"rsp" and int(parts[0]) == tx:
                    return rest.startswith(b"200")
        call(1, b"open", b"relp_version=0\nrelp_software=bare\ncommands=syslog")
        for i in range(n):
            if not call(i + 2, b"syslog", data):
                fail("refused")
    else:
        secret = open(secret_file, "rb").read().strip()
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
        c.connect()
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        body = json.dumps({"alert": {"id": 0, "signature": msg}}).encode()
        for i in range(n):
            ts = str(int(time.time()))
            sig = hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
            c.request("POST", "/in", body, {"Content-Type": "application/json", "X-Kastro-Timestamp": ts,
                                            "X-Kastro-Signature": "t=%s,v1=%s" % (ts, sig),
                                            "Idempotency-Key": "bare-%d" % i})
            r = c.getresponse()
            r.read()
            if r.status != 200:
                fail("HTTP %d" % r.status)
    while lines(out) < before + n:
        if time.monotonic() - t0 > 600:
            fail("the receiver wrote %d of %d" % (lines(out) - before, n))
        time.sleep(0.005)
    print("%.0f" % (n / (time.monotonic() - t0)))


def latency(hostport, d, first, count, out):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import sensor
    first, count = int(first), int(count)
    c = sensor.sensor_conn(hostport, d)
    lat = []
    for seq in range(first, first + count):
        before = lines(out)
        body = json.dumps({"first_seq": seq, "events": [sensor.event(seq)]})
        c.request("POST", "/sensor/v1/events", body, {"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        if r.status != 200:
            fail("batch %d: %d" % (seq, r.status))
        t = time.monotonic()
        while lines(out) <= before:
            if time.monotonic() - t > 30:
                fail("alert %d did not arrive in 30 s" % seq)
            time.sleep(0.0005)
        lat.append((time.monotonic() - t) * 1000)
    lat.sort()
    print("lat_p50=%.1f\nlat_p99=%.1f\nlat_max=%.1f" % (lat[len(lat) // 2], lat[min(len(lat) - 1, len(lat) * 99 // 100)], lat[-1]))


def fail(msg):
    print("error: " + msg)
    sys.exit(1)


HDR = re.compile(r'<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) ')


def parse_sd(s, sdid):
    """[SDID name="v" ...] at s; returns (params, rest)."""
    if not s.startswith("[" + sdid):
        fail("no SD element %s: %.80s" % (sdid, s))
    i = 1 + len(sdid)
    params = {}
    while s[i] == " ":
        j = s.index("=", i)
        name = s[i + 1:j]
        if s[j + 1] != '"':
            fail("SD-PARAM without a quote")
        k = j + 2
        v = []
        while s[k] != '"':
            if s[k] == "\\" and s[k + 1] in '"\\]':
                k += 1
            elif s[k] == "]":
                fail("unescaped ] in SD-PARAM")
            v.append(s[k])
            k += 1
        params[name] = "".join(v)
        i = k + 1
    if s[i] != "]":
        fail("SD element not closed")
    return params, s[i + 2:]


def cef_fields(body):
    """CEF:0|vendor|product|version|id|name|severity|ext per the CEF spec."""
    hdr, i, cur = [], 0, []
    while len(hdr) < 7:
        c = body[i]
        if c == "\\" and body[i + 1] in "\\|":
            cur.append(body[i + 1])
            i += 2
            continue
        if c == "|":
            hdr.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    # extension: scan with escapes; at an unescaped '=' the key is the word
    # after the last unescaped space of what came before
    ext, key, cur, j = {}, None, [], i   # cur: (char, escaped) pairs
    while j <= len(body):
        c = body[j] if j < len(body) else None
        if c == "\\" and j + 1 < len(body):
            nxt = body[j + 1]
            if nxt not in "\\=nr":
                fail("bad CEF escape \\%s" % nxt)
            cur.append(({"n": "\n", "r": "\r"}.get(nxt, nxt), True))
            j += 2
            continue
        if c == "=" or c is None:
            if c is None:
                if key is None:
                    fail("CEF extension without a key")
                ext[key] = "".join(ch for ch, _ in cur)
                break
            k = len(cur)
            while k > 0 and not cur[k - 1][1] and (cur[k - 1][0].isalnum() or cur[k - 1][0] == "_"):
                k -= 1
            newkey = "".join(ch for ch, _ in cur[k:])
            if not newkey or (k > 0 and cur[k - 1] != (" ", False)):
                fail("unescaped = in a CEF value near %.40s" % body[max(0, j - 20):j + 20])
            if key is not None:
                ext[key] = "".join(ch for ch, _ in cur[:k - 1])
            elif k != 0:
                fail("text before the first CEF key")
            key, cur = newkey, []
            j += 1
            continue
        cur.append((c, False))
        j += 1
    return hdr, ext


def check_syslog(path, sdid):
    counts = {"cef": 0, "leef": 0, "json": 0, "greek": 0}
    lines = [l for l in open(path, encoding="utf-8").read().split("\n") if l]
    for line in lines:
        m = HDR.match(line)
        if not m:
            fail("not an RFC 5424 header: %.100s" % line)
        pri = int(m.group(1))
        if pri // 8 != 16:
            fail("facility is not local0: %d" % pri)
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", m.group(2)):
            fail("timestamp %s" % m.group(2))
        if m.group(4) != "kastro":
            fail("app-name %s" % m.group(4))
        params, body = parse_sd(line[m.end():], sdid)
        for k in ("id", "sensor", "host", "severity", "delivery"):
            if k not in params:
                fail("SD-PARAM %s missing" % k)
        if "Κ" in line or "λ" in line:
            counts["greek"] += 1
        if body.startswith("CEF:0|"):
            hdr, ext = cef_fields(body)
            if hdr[1] != "Kastro" or not hdr[6].isdigit():
                fail("CEF header %r" % hdr)
            if ext.get("externalId") != params["id"]:
                fail("CEF externalId %r != SD id %r" % (ext.get("externalId"), params["id"]))
            if "rt" not in ext or "dhost" not in ext:
                fail("CEF rt or dhost missing")
            if ext.get("cn1") != params["delivery"]:
                fail("CEF delivery")
            if "hostile" in line and (hdr[5] != HOSTILE_SIG or ext.get("cat") != HOSTILE_CAT):
                fail("CEF unescaped %r %r, want %r %r" % (hdr[5], ext.get("cat"), HOSTILE_SIG, HOSTILE_CAT))
            counts["cef"] += 1
        elif body.startswith("LEEF:2.0|"):
            parts = re.split(r'(?<!\\)\|', body, maxsplit=6)
            if len(parts) != 7 or parts[5] != "x09":
                fail("LEEF header %.100s" % body)
            attrs = dict(a.split("=", 1) for a in parts[6].split("\t"))
            for k in ("devTime", "sev", "identHostName", "alertId"):
                if k not in attrs:
                    fail("LEEF %s missing" % k)
            if attrs["alertId"] != params["id"]:
                fail("LEEF alertId")
            if "hostile" in line and attrs.get("signature") != HOSTILE_SIG:
                fail("LEEF signature %r" % attrs.get("signature"))
            counts["leef"] += 1
        elif body.startswith("{"):
            doc = json.loads(body)
            if "event" in doc:
                if doc["event"]["kind"] != "alert" or "name" not in doc["rule"] or \
                        doc["host"]["name"] != params["host"] or "observer" not in doc:
                    fail("ECS fields")
                if "hostile" in line and (doc["rule"]["name"] != HOSTILE_SIG or
                                          doc["source"]["ip"] == "" or doc["destination"]["ip"] != "10.20.0.2"):
                    fail("ECS values %r" % doc["rule"])
            counts["json"] += 1
        elif not body.startswith("Kastro alert"):
            fail("unknown body %.80s" % body)
    print("ok %d cef=%d leef=%d json=%d greek=%d" % (len(lines), counts["cef"], counts["leef"],
                                                     counts["json"], counts["greek"]))


def check_mail(outdir):
    subjects = []
    names = sorted(os.listdir(outdir), key=lambda n: int(n.split(".")[0]))
    for n in names:
        raw = open(os.path.join(outdir, n), "rb").read()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        for h in ("Date", "Message-ID", "From", "To", "Subject"):
            if msg[h] is None:
                fail("%s: no %s" % (n, h))
        if email.utils.parsedate_to_datetime(msg["Date"]) is None:
            fail("%s: Date" % n)
        if msg.get_content_type() != "multipart/alternative":
            fail("%s: %s" % (n, msg.get_content_type()))
        types = [p.get_content_type() for p in msg.iter_parts()]
        if types != ["text/plain", "text/html"]:
            fail("%s: parts %r" % (n, types))
        plain = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        if "<html" not in html or len(plain) < 20:
            fail("%s: parts empty" % n)
        subjects.append(str(msg["Subject"]))
    print("ok %d subjects=%s" % (len(names), json.dumps(subjects, ensure_ascii=False)))


def check_webhook(out, first, count, skip=""):
    """count alerts from id first on, but the ids in skip (comma-separated:
    the console's own alerts raised meanwhile, which the hook does not take)."""
    first, count = int(first), int(count)
    skip = {int(x) for x in skip.split(",") if x}
    reqs = [json.loads(l) for l in open(out, encoding="utf-8") if l.strip()]
    bad = [r for r in reqs if not r["sig_ok"]]
    if bad:
        fail("%d requests with a bad signature" % len(bad))
    seen, order, dup = {}, [], 0
    for r in reqs:
        a = r["alert"]
        if a is None or a < first or a >= first + count + len(skip) or a in skip:
            continue
        if a in seen:
            if seen[a] != r["key"]:
                fail("alert %d sent twice under different keys" % a)
            dup += 1
            continue
        seen[a] = r["key"]
        order.append(a)
    missing = count - len(seen)
    if missing:
        fail("%d of %d alerts missing" % (missing, count))
    if order != sorted(order):
        fail("alerts out of order")
    print("ok requests=%d duplicates=%d" % (len(reqs), dup))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"webhook": webhook, "smtp": smtp, "check-syslog": check_syslog,
     "check-mail": check_mail, "check-webhook": check_webhook,
     "send-hostile": send_hostile, "bare": bare, "latency": latency}[cmd](*args)
