#!/bin/sh
# Load-balancer benchmark: requests per second and p99 latency through wrk, on loopback, against the same pool of
# three backends (haproxy instances answering a fixed 200), for (1) one backend directly, (2) the built-in proxy,
# (3) HAProxy, both started by the product's own drivers. Needs: haproxy, wrk, the .NET SDK.
# Usage: bench/lb/run.sh [DURATION_SECONDS] [CONNECTIONS] [ROUNDS]
# With ROUNDS > 1 the three targets are measured in turn, round after round, so that a busy moment of the machine
# hits all of them; report the median of each.
set -eu
DURATION=${1:-10}
CONNECTIONS=${2:-32}
ROUNDS=${3:-1}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/strata-bench-lb.XXXXXX)
PIDS=""
LBBENCH=""
# LbBench stops both load balancers through their drivers on SIGTERM; wait for it before removing their folders.
cleanup() {
  if [ -n "$LBBENCH" ]; then kill "$LBBENCH" 2>/dev/null || true; wait "$LBBENCH" 2>/dev/null || true; fi
  for p in $PIDS; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
for tool in haproxy wrk dotnet; do
  command -v "$tool" >/dev/null || { echo "bench/lb: '$tool' not found; apt-get install -y haproxy wrk (and the .NET SDK)" >&2; exit 1; }
done

for i in 1 2 3; do
  cat > "$WORK/backend$i.cfg" <<CFG
global
    maxconn 4096
defaults
    mode http
    timeout client 30s
frontend backend$i
    bind 127.0.0.1:1810$i
    http-request return status 200 content-type text/plain string "backend$i"
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

for port in 18101 18102 18103 18110 18111; do
  n=0; until wrk -t1 -c1 -d1s "http://127.0.0.1:$port/" >/dev/null 2>&1; do n=$((n+1)); [ $n -lt 50 ] || { echo "port $port never answered" >&2; cat "$WORK/lbbench.log" >&2; exit 1; }; sleep 0.2; done
done

run() { # name url
  [ "$ROUNDS" -gt 1 ] && set -- "$1 (round $round)" "$2"
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$2")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
  printf '| %s | %s | %s | %s |\n' "$1" "$rps" "$p99" "${errors:-none}"
}
wrk -t2 -c"$CONNECTIONS" -d2s http://127.0.0.1:18111/ >/dev/null   # JIT warm-up of the built-in proxy
echo "| target | requests/s | p99 | errors |"
echo "| --- | --- | --- | --- |"
round=1
while [ "$round" -le "$ROUNDS" ]; do
  run "direct to one backend" http://127.0.0.1:18101/
  run "built-in proxy" http://127.0.0.1:18111/
  run "HAProxy" http://127.0.0.1:18110/
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
