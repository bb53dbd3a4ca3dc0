#!/usr/bin/env python3
"""A small sensor for the console's tests: speaks the sensor API the way
kastrod and kastro-agent do (docs/sensor-api.md), with Python's own TLS and
HTTP client, so the console is tested against a client it does not share
code with.

usage:
  sensor.py enroll HOST:HTTPS_PORT TOKEN FINGERPRINT DIR [HOSTNAME]
      fetch the console's certificate chain, keep the CA whose SHA-256
      matches FINGERPRINT (refuse otherwise), make a key and CSR (openssl),
      enrol; writes DIR/{key.pem,cert.pem,ca.pem,sensor_id}
  sensor.py send HOST:SENSOR_PORT DIR FIRST COUNT BATCH [--retry SECONDS]
      send events FIRST..FIRST+COUNT-1 in batches of BATCH; every event is
      an EVE alert; with --retry, a batch that fails (console down) is sent
      again until acknowledged or SECONDS pass; prints "acked N"
  sensor.py poll HOST:SENSOR_PORT DIR SECONDS
      long-poll for commands for SECONDS, answer each "ping" with
      {"pong": ...}; prints each command handled
Exit status 0 on success, 1 on failure (message on stderr).
"""
import hashlib
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import time


def die(msg):
    sys.stderr.write("sensor.py: %s\n" % msg)
    sys.exit(1)


def split_hostport(s):
    host, _, port = s.rpartition(":")
    return host.strip("[]"), int(port)


def fetch_ca(host, port, pin):
    """The console's chain, unverified (openssl s_client shows it; Python
    3.11's ssl module does not); the CA in it must match the pin."""
    out = subprocess.run(["openssl", "s_client", "-connect", "%s:%d" % (host, port), "-showcerts"],
                         input=b"", capture_output=True, timeout=20).stdout.decode()
    pems, cur = [], None
    for line in out.splitlines():
        if line.startswith("-----BEGIN CERTIFICATE-----"):
            cur = [line]
        elif cur is not None:
            cur.append(line)
            if line.startswith("-----END CERTIFICATE-----"):
                pems.append("\n".join(cur) + "\n")
                cur = None
    want = pin.lower().replace(":", "")
    if want.startswith("sha256"):
        want = want[6:]
    for pem in pems:
        der = ssl.PEM_cert_to_DER_cert(pem)
        if hashlib.sha256(der).hexdigest() == want:
            return pem
    die("the console's CA does not match the fingerprint %s" % pin)


def enroll(hostport, token, pin, d, hostname):
    host, port = split_hostport(hostport)
    os.makedirs(d, mode=0o700, exist_ok=True)
    ca = fetch_ca(host, port, pin)
    with open(os.path.join(d, "ca.pem"), "w") as f:
        f.write(ca)
    key = os.path.join(d, "key.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-out", key], check=True, capture_output=True)
    os.chmod(key, 0o600)
    csr = subprocess.run(["openssl", "req", "-new", "-key", key, "-subj", "/CN=" + hostname],
                         check=True, capture_output=True).stdout.decode()
    ctx = ssl.create_default_context(cafile=os.path.join(d, "ca.pem"))
    ctx.check_hostname = False  # the console's names are its own business; the CA is pinned
    c = http.client.HTTPSConnection(host, port, context=ctx, timeout=20)
    body = json.dumps({"token": token, "csr": csr, "hostname": hostname,
                       "facts": {"os": "test", "agent_version": "test"}})
    c.request("POST", "/sensor/v1/enroll", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    ans = r.read().decode()
    if r.status != 200:
        die("enrolment refused: %d %s" % (r.status, ans.strip()))
    j = json.loads(ans)
    with open(os.path.join(d, "cert.pem"), "w") as f:
        f.write(j["certificate"])
    with open(os.path.join(d, "sensor_id"), "w") as f:
        f.write(j["sensor_id"] + "\n")
    print(j["sensor_id"])


def sensor_conn(hostport, d, timeout=20):
    host, port = split_hostport(hostport)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(os.path.join(d, "ca.pem"))
    ctx.check_hostname = False
    ctx.load_cert_chain(os.path.join(d, "cert.pem"), os.path.join(d, "key.pem"))
    return http.client.HTTPSConnection(host, port, context=ctx, timeout=timeout)


def event(seq):
    return {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000000+0000", time.gmtime()),
            "event_type": "alert", "src_ip": "10.10.0.%d" % (2 + seq % 5), "src_port": 40000 + seq % 20000,
            "dest_ip": "10.20.0.2", "dest_port": 443, "proto": "TCP", "app_proto": "tls",
            "ndpi": {"protocol": "TLS.YouTube", "app_protocol": "YouTube" if seq % 2 else "BitTorrent"},
            "alert": {"action": "blocked", "signature_id": 1 + seq % 3,
                      "signature": "test rule %d" % (1 + seq % 3), "category": "Test",
                      "severity": 2}, "seq_in_test": seq}


def send(hostport, d, first, count, batch, retry):
    deadline = time.time() + retry
    seq = first
    c = None
    while seq < first + count:
        n = min(batch, first + count - seq)
        body = json.dumps({"first_seq": seq, "events": [event(s) for s in range(seq, seq + n)]})
        try:
            if c is None:
                c = sensor_conn(hostport, d)
            c.request("POST", "/sensor/v1/events", body, {"Content-Type": "application/json"})
            r = c.getresponse()
            ans = r.read().decode()
            if r.status != 200:
                die("batch at %d refused: %d %s" % (seq, r.status, ans.strip()))
            ack = json.loads(ans)["ack"]
            if ack != seq + n - 1:
                die("batch at %d: ack %d, want %d" % (seq, ack, seq + n - 1))
            seq += n
        except (OSError, http.client.HTTPException) as e:
            c = None
            if retry <= 0 or time.time() > deadline:
                die("batch at %d: %s" % (seq, e))
            time.sleep(0.2)
    print("acked %d" % (seq - 1))


def poll(hostport, d, seconds):
    end = time.time() + seconds
    c = None
    while time.time() < end:
        wait = max(1, min(10, int(end - time.time())))
        try:
            if c is None:
                c = sensor_conn(hostport, d, timeout=wait + 10)
            c.request("GET", "/sensor/v1/commands?wait=%d" % wait)
            r = c.getresponse()
            ans = r.read().decode()
            if r.status != 200:
                die("commands: %d %s" % (r.status, ans.strip()))
            for cmd in json.loads(ans)["commands"]:
                if cmd["type"] == "ping":
                    res = {"id": cmd["id"], "status": "done", "result": {"pong": int(time.time())}}
                else:
                    res = {"id": cmd["id"], "status": "failed",
                           "result": {"error": "unknown command " + cmd["type"]}}
                c.request("POST", "/sensor/v1/results", json.dumps(res),
                          {"Content-Type": "application/json"})
                r2 = c.getresponse()
                r2.read()
                print("command %d %s -> %d" % (cmd["id"], cmd["type"], r2.status), flush=True)
        except (OSError, http.client.HTTPException) as e:
            die("commands: %s" % e)


def main(a):
    if len(a) >= 5 and a[0] == "enroll":
        enroll(a[1], a[2], a[3], a[4], a[5] if len(a) > 5 else socket.gethostname())
    elif len(a) >= 6 and a[0] == "send":
        retry = float(a[7]) if len(a) > 7 and a[6] == "--retry" else 0
        send(a[1], a[2], int(a[3]), int(a[4]), int(a[5]), retry)
    elif len(a) == 4 and a[0] == "poll":
        poll(a[1], a[2], int(a[3]))
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
