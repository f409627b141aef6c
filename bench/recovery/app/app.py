#!/usr/bin/env python3
"""The recovery benchmark's app: answers every GET with 200 and its server name, so a client of the load balancer
can tell a replacement from the servers it replaced. Standard library only; binds $STRATA_ADDRESS:$PORT (8000)."""
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAME = os.environ.get("STRATA_SERVER_NAME", "baseline").encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The handler sends the headers and the body in two writes. With Nagle's algorithm on, the body waits for the
    # ACK of the headers, which the load balancer delays (40 ms, up to 200 ms, on a kept-alive connection): every
    # request after a connection's first took 40-60 ms, and one in a few waited for a retransmission (~210 ms).
    disable_nagle_algorithm = True

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(NAME)))
        self.end_headers()
        self.wfile.write(NAME)

    def log_message(self, fmt, *args):
        pass


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
ThreadingHTTPServer((os.environ.get("STRATA_ADDRESS", "127.0.0.1"), int(os.environ.get("PORT", "8000"))), Handler).serve_forever()
