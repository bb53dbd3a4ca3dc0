#!/usr/bin/env python3
"""A stand-in for a municipal service, for the continuity tests.

usage: standin.py PORT DOCROOT [CERT KEY]

Serves DOCROOT over HTTP on 127.0.0.1:PORT, or HTTPS with CERT and KEY.
The test edits the files to break a keyword and kills the process to take
the service down.
"""
import functools
import http.server
import ssl
import sys


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


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
