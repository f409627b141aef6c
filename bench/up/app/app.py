#!/usr/bin/env python3
"""The benchmark's trivial app: answers every GET with 200 "ok" on $STRATA_ADDRESS:$PORT (default 8000).

Only the standard library and a plain single-threaded HTTPServer, so it starts about as fast as a Python process can.
"""
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")

    def log_message(self, fmt, *args):
        pass


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
HTTPServer((os.environ.get("STRATA_ADDRESS", "127.0.0.1"), int(os.environ.get("PORT", "8000"))), Handler).serve_forever()
