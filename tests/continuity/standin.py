#!/usr/bin/env python3
"""A stand-in for a municipal service, for the continuity tests.

usage: standin.py PORT DOCROOT [CERT KEY]

Serves DOCROOT over HTTP on 127.0.0.1:PORT, or HTTPS with CERT and KEY.
The test edits the files to break a keyword and kills the process to take
the service down. A query `?delay=MS` answers that much later (up to 10 s),
for response time thresholds.
"""
import functools
import http.server
import ssl
import sys
import time
import urllib.parse


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        if "delay" in q:
            time.sleep(min(int(q["delay"][0]), 10000) / 1000)
        super().do_GET()


def main():
    port, root = int(sys.argv[1]), sys.argv[2]
    handler = functools.partial(Quiet, directory=root)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    if len(sys.argv) > 4:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[3], sys.argv[4])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
