#!/usr/bin/env python3
"""A minimal HTTP CONNECT proxy on loopback for tests: the agent's
enrolment and link through a proxy, as a PC behind a library's proxy.

usage: connect_proxy.py PORTFILE LOGFILE

Listens on 127.0.0.1 (a free port, written to PORTFILE), accepts
CONNECT HOST:PORT only to 127.0.0.1, logs one line per tunnel to LOGFILE,
and relays bytes both ways until either side closes. Runs until killed.
"""
import select
import socket
import sys
import threading


def relay(a, b):
    socks = [a, b]
    try:
        while True:
            r, _, _ = select.select(socks, [], [], 60)
            if not r:
                return
            for s in r:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except OSError:
        return
    finally:
        a.close()
        b.close()


def handle(c, log):
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 8192:
        d = c.recv(4096)
        if not d:
            c.close()
            return
        head += d
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split()
    if len(parts) != 3 or parts[0] != "CONNECT" or not parts[1].startswith("127.0.0.1:"):
        c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        c.close()
        return
    port = int(parts[1].split(":")[1])
    try:
        u = socket.create_connection(("127.0.0.1", port), timeout=10)
    except OSError:
        c.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        c.close()
        return
    with open(log, "a") as f:
        f.write("CONNECT %s\n" % parts[1])
    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    rest = head.split(b"\r\n\r\n", 1)[1]
    if rest:
        u.sendall(rest)
    relay(c, u)


def main():
    portfile, log = sys.argv[1], sys.argv[2]
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    import os
    os.rename(portfile + ".tmp", portfile)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c, log), daemon=True).start()


if __name__ == "__main__":
    main()
