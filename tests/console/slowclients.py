#!/usr/bin/env python3
"""Slow clients against a console port: many TLS connections from one
source address, each sending a request head one header line every few
seconds and never finishing it (the attack of a "slowloris").

usage: slowclients.py HOST PORT SOURCE COUNT SECONDS [--every S]
                      [--reconnect] [--cafile FILE] [--ready FILE]

Opens COUNT connections from SOURCE, each sending "GET / HTTP/1.1" and
then a header line every S seconds (default 3) for SECONDS seconds. With
--reconnect a connection the server refused or closed is opened again
after 2 to 5 s, as an attacker would (sooner only burns the test
machine's CPU on TLS handshakes, which is not what is tested). With --ready, the number of
connections up is written to FILE whenever it changes. At the end one
JSON object on standard output:
  attempts, handshakes (completed), refused (handshake failed), closed
  (by the server), max_up (connections up at once), max_hold (longest
  seconds a connection lived until the server closed it), answers (status
  lines received).
Traffic stays on the given loopback addresses.
"""
import argparse
import asyncio
import json
import random
import ssl
import sys
import time


class Stats:
    def __init__(self):
        self.attempts = 0
        self.handshakes = 0
        self.refused = 0
        self.closed = 0
        self.up = 0
        self.max_up = 0
        self.max_hold = 0.0
        self.answers = {}
        self.ready_file = None

    def set_up(self, delta):
        self.up += delta
        self.max_up = max(self.max_up, self.up)
        if self.ready_file:
            with open(self.ready_file, "w") as f:
                f.write("%d\n" % self.up)


async def one(a, ctx, st, end):
    while time.monotonic() < end:
        st.attempts += 1
        t0 = time.monotonic()
        try:
            r, w = await asyncio.wait_for(
                asyncio.open_connection(a.host, a.port, ssl=ctx,
                                        local_addr=(a.source, 0),
                                        server_hostname=a.host),
                timeout=10)
        except (OSError, ssl.SSLError, asyncio.TimeoutError, ConnectionError):
            st.refused += 1
            if not a.reconnect:
                return
            await asyncio.sleep(random.uniform(2, 5))
            continue
        st.handshakes += 1
        st.set_up(1)
        n = 0
        closed = False
        try:
            w.write(b"GET /api/v1/me HTTP/1.1\r\nHost: %s\r\n" % a.host.encode())
            while time.monotonic() < end:
                try:
                    data = await asyncio.wait_for(r.read(4096), timeout=a.every)
                except asyncio.TimeoutError:
                    n += 1
                    w.write(b"X-Slow-%d: still typing\r\n" % n)
                    await w.drain()
                    continue
                if not data:
                    closed = True
                    break
                if data.startswith(b"HTTP/1."):
                    code = data[9:12].decode("ascii", "replace")
                    st.answers[code] = st.answers.get(code, 0) + 1
        except (OSError, ssl.SSLError, ConnectionError):
            closed = True
        st.set_up(-1)
        if closed:
            st.closed += 1
            st.max_hold = max(st.max_hold, time.monotonic() - t0)
        try:
            w.close()
        except Exception:
            pass
        if not a.reconnect:
            return
        if closed:
            await asyncio.sleep(random.uniform(2, 5))


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("source")
    p.add_argument("count", type=int)
    p.add_argument("seconds", type=float)
    p.add_argument("--every", type=float, default=3.0)
    p.add_argument("--reconnect", action="store_true")
    p.add_argument("--cafile")
    p.add_argument("--ready")
    a = p.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if a.cafile:
        ctx.load_verify_locations(a.cafile)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    st = Stats()
    st.ready_file = a.ready
    end = time.monotonic() + a.seconds
    tasks = []
    for _ in range(a.count):
        tasks.append(asyncio.create_task(one(a, ctx, st, end)))
        await asyncio.sleep(0.002)
    await asyncio.gather(*tasks, return_exceptions=True)
    print(json.dumps({"attempts": st.attempts, "handshakes": st.handshakes,
                      "refused": st.refused, "closed": st.closed,
                      "max_up": st.max_up, "max_hold": round(st.max_hold, 2),
                      "answers": st.answers}))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(130)
