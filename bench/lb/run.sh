#!/bin/sh
# Load-balancer benchmark: requests per second and p99 latency through wrk, on loopback, against the same pool of
# three backends (haproxy instances answering a fixed 200), for (1) one backend directly, (2) the built-in proxy,
# (3) HAProxy configured as the haproxy driver configures it. Needs: haproxy, wrk, the .NET SDK.
# Usage: bench/lb/run.sh [DURATION_SECONDS] [CONNECTIONS]
set -eu
DURATION=${1:-10}
CONNECTIONS=${2:-32}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/strata-bench-lb.XXXXXX)
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
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

cat > "$WORK/lb.cfg" <<CFG
global
    maxconn 4096
defaults
    mode http
    option http-keep-alive
    option forwardfor
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout
    timeout connect 2s
    timeout client 60s
    timeout server 60s
frontend lb
    bind 127.0.0.1:18110
    default_backend members
backend members
    balance roundrobin
    server m1 127.0.0.1:18101 check observe layer7 error-limit 3 on-error mark-down
    server m2 127.0.0.1:18102 check observe layer7 error-limit 3 on-error mark-down
    server m3 127.0.0.1:18103 check observe layer7 error-limit 3 on-error mark-down
CFG
haproxy -f "$WORK/lb.cfg" -db >/dev/null 2>&1 & PIDS="$PIDS $!"

export STRATA_ARTIFACTS=${STRATA_ARTIFACTS:-/tmp/artifacts-bench-lb} MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
dotnet build -c Release "$ROOT/tests/Strata.LoadBalancing.ProxyHost" -o "$WORK/proxyhost" >/dev/null
cat > "$WORK/proxy.json" <<JSON
{ "id": "bench", "listenHost": "127.0.0.1", "listenPort": 18111, "adminToken": "bench-admin-token-0123456789",
  "algorithm": "RoundRobin", "adminHost": "127.0.0.1", "adminPort": 0, "drainTimeout": "00:00:10",
  "connectTimeout": "00:00:05", "passiveHealthFailures": 3,
  "members": [ { "name": "m1", "address": "127.0.0.1", "port": 18101 },
               { "name": "m2", "address": "127.0.0.1", "port": 18102 },
               { "name": "m3", "address": "127.0.0.1", "port": 18103 } ] }
JSON
STRATA_LB_ID=bench dotnet "$WORK/proxyhost/Strata.LoadBalancing.ProxyHost.dll" --config "$WORK/proxy.json" >"$WORK/proxy.log" 2>&1 & PIDS="$PIDS $!"

for port in 18101 18102 18103 18110 18111; do
  n=0; until wrk -t1 -c1 -d1s "http://127.0.0.1:$port/" >/dev/null 2>&1; do n=$((n+1)); [ $n -lt 50 ] || { echo "port $port never answered" >&2; cat "$WORK/proxy.log" >&2; exit 1; }; sleep 0.2; done
done

run() { # name url
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$2")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
  printf '| %s | %s | %s | %s |\n' "$1" "$rps" "$p99" "${errors:-none}"
}
wrk -t2 -c"$CONNECTIONS" -d2s http://127.0.0.1:18111/ >/dev/null   # JIT warm-up of the built-in proxy
echo "| target | requests/s | p99 | errors |"
echo "| --- | --- | --- | --- |"
run "direct to one backend" http://127.0.0.1:18101/
run "built-in proxy" http://127.0.0.1:18111/
run "HAProxy" http://127.0.0.1:18110/
