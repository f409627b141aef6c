#!/usr/bin/env python3
"""A tiny web server for the hello example: GET / names the server, GET /healthz answers 200.

Binds to --bind HOST:PORT, or to $STRATA_ADDRESS and $PORT (default 8000). Exits cleanly on SIGTERM.
"""
import argparse
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVER_NAME = os.environ.get("STRATA_SERVER_NAME", "unknown")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/healthz":
            self._reply(200, "ok\n")
        elif self.path == "/":
            self._reply(200, f"hello from {SERVER_NAME}\n")
        else:
            self._reply(404, "not found\n")

    def _reply(self, status, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write(f"{SERVER_NAME} {self.address_string()} {fmt % args}\n")


def parse_bind():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", help="HOST:PORT to listen on")
    args = parser.parse_args()
    if args.bind:
        host, _, port = args.bind.rpartition(":")
        return host, int(port)
    return os.environ.get("STRATA_ADDRESS", "127.0.0.1"), int(os.environ.get("PORT", "8000"))


def main():
    host, port = parse_bind()
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True

    def stop(signum, frame):
        # shutdown() waits for serve_forever to return, so it must run on another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"{SERVER_NAME} listening on {host}:{port}", flush=True)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
