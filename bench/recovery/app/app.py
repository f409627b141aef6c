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

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(NAME)))
        self.end_headers()
        self.wfile.write(NAME)

    def log_message(self, fmt, *args):
        pass


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
ThreadingHTTPServer((os.environ.get("STRATA_ADDRESS", "127.0.0.1"), int(os.environ.get("PORT", "8000"))), Handler).serve_forever()
