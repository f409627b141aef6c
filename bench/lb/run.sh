#!/bin/sh
# Load-balancer benchmark: requests per second and p99 latency through wrk, on loopback, against the same pool of
# three backends (haproxy instances answering 200), for (1) one backend directly, (2) all three directly, (3) the
# built-in proxy, (4) HAProxy, both started by the product's own drivers. Needs: haproxy, wrk, the .NET SDK.
# Usage: bench/lb/run.sh [DURATION_SECONDS] [CONNECTIONS] [ROUNDS] [RESPONSE_MS] [BACKEND]
# BACKEND is haproxy (the default: no-op backends) or python: Python's standard http.server with its defaults, as the
# hello example's app (HTTP/1.0, one connection per request closed after the response, a listen backlog of 5,
# single-threaded), which no load balancer may fail a request of; RESPONSE_MS does not apply to it.
# RESPONSE_MS (default 0) makes each backend answer after that many milliseconds, as an application waiting on its
# database would, instead of at once. A no-op backend makes requests/s a measure of the machine's per-request CPU,
# where any proxy hop costs several times the backend; with a response time it measures what a load balancer adds
# to a real application's throughput and latency.
# With ROUNDS > 1 the four targets are measured in turn, round after round, so that a busy moment of the machine
# hits all of them; report the median of each.
# Each row also gives the CPU time (user + system, from /proc/PID/stat) that the load balancer and the backends spent
# during the wrk run, divided by the requests: what one request costs, which moves far less than requests/s when
# something else keeps the machine busy (contention and batching still shift it by some 10-30%). The backends' figure
# of the direct run is the baseline; behind a load balancer they get requests less batched and spend more on each.
# Times are counted in clock ticks (getconf CLK_TCK, usually 100 a second), a rounding well below 1% of a run.
set -eu
DURATION=${1:-10}
CONNECTIONS=${2:-32}
ROUNDS=${3:-1}
RESPONSE_MS=${4:-0}
BACKEND=${5:-haproxy}
case "$BACKEND" in haproxy|python) ;; *) echo "bench/lb: BACKEND must be haproxy or python, not '$BACKEND'" >&2; exit 2 ;; esac
[ "$CONNECTIONS" -ge 3 ] || { echo "bench/lb: CONNECTIONS must be at least 3 (one per backend in the direct run)" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/strata-bench-lb.XXXXXX)
PIDS=""
LBBENCH=""
# LbBench stops both load balancers through their drivers on SIGTERM; wait for it before removing their folders.
cleanup() {
  if [ -n "$LBBENCH" ]; then kill "$LBBENCH" 2>/dev/null || true; wait "$LBBENCH" 2>/dev/null || true; fi
  for p in $PIDS; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"
}
# dash runs an EXIT trap also on exit from a signal trap, and would carry on after a signal trap that does not exit.
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE
for tool in haproxy wrk dotnet python3; do
  command -v "$tool" >/dev/null || { echo "bench/lb: '$tool' not found; apt-get install -y haproxy wrk (and the .NET SDK)" >&2; exit 1; }
done

# core.msleep in an HTTP service yields to HAProxy's scheduler: a waiting request costs no CPU, as one waiting on I/O.
cat > "$WORK/respond.lua" <<LUA
core.register_service("respond", "http", function(applet)
  core.msleep($RESPONSE_MS)
  local body = applet.sf:fe_name()
  applet:set_status(200)
  applet:add_header("content-type", "text/plain")
  applet:add_header("content-length", string.len(body))
  applet:start_response()
  applet:send(body)
end)
LUA
cat > "$WORK/app.py" <<'PY'
import http.server, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
PY
for i in 1 2 3; do
  if [ "$BACKEND" = python ]; then
    python3 "$WORK/app.py" "1810$i" >/dev/null 2>&1 & PIDS="$PIDS $!"
    continue
  fi
  if [ "$RESPONSE_MS" -gt 0 ]; then
    lua="lua-load $WORK/respond.lua"; answer="http-request use-service lua.respond"
  else
    lua=""; answer="http-request return status 200 content-type text/plain string \"backend$i\""
  fi
  cat > "$WORK/backend$i.cfg" <<CFG
global
    maxconn 4096
    $lua
defaults
    mode http
    timeout client 30s
frontend backend$i
    bind 127.0.0.1:1810$i
    $answer
CFG
  haproxy -f "$WORK/backend$i.cfg" -db >/dev/null 2>&1 & PIDS="$PIDS $!"
done

# Both load balancers come from the product's drivers (bench/lb/LbBench): HAProxy with the configuration the
# haproxy driver generates and members put into its server slots through its Runtime API, the built-in proxy as the
# separate process the builtin driver starts. The generated haproxy.cfg and HAProxy's server connection counters are
# printed at the end for the record.
export STRATA_ARTIFACTS=${STRATA_ARTIFACTS:-/tmp/artifacts-bench-lb} MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
dotnet build -c Release "$ROOT/bench/lb/LbBench" -o "$WORK/lbbench" >/dev/null
dotnet "$WORK/lbbench/LbBench.dll" "$WORK/lb" 18110 18111 18101 18102 18103 >"$WORK/lbbench.log" 2>&1 & LBBENCH=$!
n=0; until grep -q '^ready' "$WORK/lbbench.log"; do
  n=$((n+1)); [ $n -lt 300 ] && kill -0 "$LBBENCH" 2>/dev/null || { echo "load balancers did not start" >&2; cat "$WORK/lbbench.log" >&2; exit 1; }; sleep 0.1
done

BACKENDS=$PIDS
HAPROXY=$(awk '$1 == "haproxy" {print $NF}' "$WORK/lbbench.log")
BUILTIN=$(awk '$1 == "builtin" {print $NF}' "$WORK/lbbench.log")
TICKS=$(getconf CLK_TCK)

for port in 18101 18102 18103 18110 18111; do
  n=0; until wrk -t1 -c1 -d1s "http://127.0.0.1:$port/" >/dev/null 2>&1; do n=$((n+1)); [ $n -lt 50 ] || { echo "port $port never answered" >&2; cat "$WORK/lbbench.log" >&2; exit 1; }; sleep 0.2; done
done

# utime + stime of the processes, in clock ticks: fields 14 and 15 of /proc/PID/stat, counted after the command name,
# which is in parentheses and may hold spaces. A thread's time is included in its process's.
cputicks() {
  total=0
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || { echo "bench/lb: process $pid is gone" >&2; return 1; }
    total=$((total + $(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')))
  done
  echo "$total"
}

per_request() { # ticks requests: microseconds of CPU per request
  awk -v t="$1" -v n="$2" -v hz="$TICKS" 'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "-" }'
}

# wrk prints latencies as 812.00us, 3.42ms or 1.02s; in milliseconds.
to_ms() { echo "$1" | awk '{ v = $1 + 0; if ($1 ~ /us$/) v /= 1000; else if ($1 ~ /[0-9]s$/) v *= 1000; printf "%.2f", v }'; }

# Loads the URLs at once, the connections split between them (one wrk each, the first ones taking the remainder),
# and prints the requests, requests/s (both summed) and the highest p99 of them, in ms. Fails when any wrk does.
measure() {
  threads=2; [ $# -gt 1 ] && threads=1; n=0; wrks=""
  for url in "$@"; do
    share=$((CONNECTIONS / $# + (n < CONNECTIONS % $# ? 1 : 0))); n=$((n+1))
    wrk -t"$threads" -c"$share" -d"${DURATION}s" --latency "$url" >"$WORK/wrk$n.out" & wrks="$wrks $!"
  done
  for w in $wrks; do wait "$w" || { echo "bench/lb: wrk failed; its output is in $WORK" >&2; return 1; }; done
  for i in $(seq 1 $n); do
    out=$(cat "$WORK/wrk$i.out")
    echo "$(echo "$out" | awk '/requests in/ {print $1}') $(echo "$out" | awk '/Requests\/sec/ {print $2}') $(to_ms "$(echo "$out" | awk '$1=="99%" {print $2}')") $(echo "$out" | awk '/Non-2xx|Socket errors/ {printf "%s;", $0}')"
  done | awk '{ n += $1; r += $2; if ($3 > p) p = $3; $1 = $2 = $3 = ""; e = e $0 } END { printf "%d %.0f %.2f %s\n", n, r, p, e }'
}

run() { # name load-balancer-pid (none for the direct runs) url...
  name=$1; pid=$2; shift 2
  [ "$ROUNDS" -gt 1 ] && name="$name (round $round)"
  lb0=$(cputicks $pid); backends0=$(cputicks $BACKENDS)
  result=$(measure "$@") || exit 1
  set -- $result
  lb1=$(cputicks $pid); backends1=$(cputicks $BACKENDS)
  requests=$1; rps=$2; p99=$3; shift 3; errors=$*
  lb=-; [ -n "$pid" ] && lb=$(per_request $((lb1 - lb0)) "$requests")
  printf '| %s | %s | %s ms | %s | %s | %s |\n' "$name" "$rps" "$p99" "$lb" "$(per_request $((backends1 - backends0)) "$requests")" "${errors:-none}"
}
# JIT warm-up of the built-in proxy: under load, tiered compilation keeps a core busy for its first 5-6 seconds.
wrk -t2 -c"$CONNECTIONS" -d8s http://127.0.0.1:18111/ >/dev/null
echo "| target | requests/s | p99 | load balancer CPU µs/request | backends CPU µs/request | errors |"
echo "| --- | --- | --- | --- | --- | --- |"
round=1
while [ "$round" -le "$ROUNDS" ]; do
  run "direct to one backend" "" http://127.0.0.1:18101/
  run "direct to all three" "" http://127.0.0.1:18101/ http://127.0.0.1:18102/ http://127.0.0.1:18103/
  run "built-in proxy" "$BUILTIN" http://127.0.0.1:18111/
  run "HAProxy" "$HAPROXY" http://127.0.0.1:18110/
  round=$((round+1))
done
echo
echo "HAProxy server slots after the run (requests, new connections, reused connections):"
python3 - "$WORK/lb/haproxy/bench-haproxy/admin.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"show stat\n")
rows = [l.split(",") for l in s.makefile().read().splitlines() if l]
h = [c.lstrip("# ") for c in rows[0]]
for r in rows[1:]:
    if r[0] == "members" and r[1] not in ("BACKEND", "FRONTEND") and int(r[h.index("stot")] or 0) > 0:
        print(f"    {r[1]}: stot {r[h.index('stot')]} connect {r[h.index('connect')]} reuse {r[h.index('reuse')]}")
PY
echo
echo "haproxy.cfg as the driver generated it (slots s1-sN filled at run time; use-server lines elided):"
grep -v '^    use-server ' "$WORK/lb/haproxy/bench-haproxy/haproxy.cfg" | sed 's/^/    /'
