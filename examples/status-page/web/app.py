#!/usr/bin/env python3
"""The status page: lists services and their state from PostgreSQL, read through psql.

Settings come from the environment Strata gives each server: DB_HOST, DB_PORT, DB_PASSWORD, STRATA_SERVER_NAME.
GET / renders the page, GET /healthz answers 200 while the process runs (the database is checked by its own tier),
GET /ready answers 200 only while this server can read the database: the load balancer's own check, so a server that
cannot reach the database leaves the rotation without being replaced.
"""
import argparse
import html
import os
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVER_NAME = os.environ.get("STRATA_SERVER_NAME", "unknown")
QUERY = "SELECT name, state, to_char(updated, 'YYYY-MM-DD HH24:MI') FROM service ORDER BY name"


def read_services():
    env = dict(os.environ, PGPASSWORD=os.environ.get("DB_PASSWORD", ""))
    result = subprocess.run(
        ["psql", "-h", os.environ.get("DB_HOST", "127.0.0.1"), "-p", os.environ.get("DB_PORT", "5432"),
         "-U", "status", "-d", "status", "-At", "-F", "\t", "-c", QUERY],
        env=env, capture_output=True, text=True, timeout=5)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip() or "psql failed")
    return [line.split("\t") for line in result.stdout.splitlines() if line]


def render(services):
    rows = "".join(
        f"<tr><td>{html.escape(n)}</td><td class='{html.escape(s)}'>{html.escape(s)}</td><td>{html.escape(u)}</td></tr>"
        for n, s, u in services)
    return (f"<!doctype html><title>Status</title><h1>Service status</h1>"
            f"<table><tr><th>Service</th><th>State</th><th>Updated</th></tr>{rows}</table>"
            f"<footer>served by {html.escape(SERVER_NAME)}</footer>\n")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/healthz":
            self._reply(200, "text/plain", "ok\n")
            return
        if self.path == "/ready":
            try:
                read_services()
                self._reply(200, "text/plain", "ready\n")
            except (RuntimeError, subprocess.TimeoutExpired, OSError) as error:
                self._reply(503, "text/plain", f"database unavailable: {error}\n")
            return
        if self.path != "/":
            self._reply(404, "text/plain", "not found\n")
            return
        try:
            self._reply(200, "text/html", render(read_services()))
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as error:
            self._reply(503, "text/plain", f"database unavailable: {error}\n")

    def _reply(self, status, content_type, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write(f"{SERVER_NAME} {self.address_string()} {fmt % args}\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", default=f"{os.environ.get('STRATA_ADDRESS', '127.0.0.1')}:8000")
    host, _, port = parser.parse_args().bind.rpartition(":")
    server = ThreadingHTTPServer((host, int(port)), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    print(f"{SERVER_NAME} listening on {host}:{port}", flush=True)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
