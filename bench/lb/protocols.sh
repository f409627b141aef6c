#!/bin/sh
# Load-balancer benchmark for the protocols beyond HTTP/1.1, both load balancers started by the product's drivers
# (bench/lb/LbBench), the targets in turn for each round:
#   HTTP/2: h2load over TLS (ALPN h2) through each load balancer to three no-op HTTP/1.1 backends (haproxy instances
#     answering 200): requests/s, p99 (from h2load's per-request log) and the load balancer's CPU per request.
#   WebSocket: LbBench --ws-load keeps CONNECTIONS WebSockets through each load balancer to three echo servers, each
#     sending a 16-byte message and waiting for its echo: messages/s, p99 and the load balancer's CPU per message.
# Needs: haproxy, h2load (apt-get install -y nghttp2-client), openssl, the .NET SDK.
# Usage: bench/lb/protocols.sh [DURATION_SECONDS] [CONNECTIONS] [ROUNDS] [STREAMS]
# STREAMS (default 10) is h2load's concurrent streams per HTTP/2 connection.
set -eu
DURATION=${1:-6}
CONNECTIONS=${2:-32}
ROUNDS=${3:-1}
STREAMS=${4:-10}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/strata-bench-lbp.XXXXXX)
PIDS=""
LBBENCH=""
cleanup() {
  for p in $LBBENCH; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  for p in $PIDS; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE
for tool in haproxy h2load openssl dotnet; do
  command -v "$tool" >/dev/null || { echo "bench/lb: '$tool' not found; apt-get install -y haproxy nghttp2-client openssl (and the .NET SDK)" >&2; exit 1; }
done

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
for i in 1 2 3; do
  cat > "$WORK/backend$i.cfg" <<CFG
global
    maxconn 4096
defaults
    mode http
    timeout client 30s
frontend backend$i
    bind 127.0.0.1:1820$i
    http-request return status 200 content-type text/plain string "backend$i"
CFG
  haproxy -f "$WORK/backend$i.cfg" -db >/dev/null 2>&1 & PIDS="$PIDS $!"
done

export STRATA_ARTIFACTS=${STRATA_ARTIFACTS:-/tmp/artifacts-bench-lb} MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
dotnet build -c Release "$ROOT/bench/lb/LbBench" -o "$WORK/lbbench" >/dev/null
dotnet "$WORK/lbbench/LbBench.dll" --ws-echo 18211 18212 18213 >/dev/null 2>&1 & PIDS="$PIDS $!"
BACKENDS=$PIDS
dotnet "$WORK/lbbench/LbBench.dll" "$WORK/h2" 18220 18221 18201 18202 18203 --tls "$WORK/cert.pem" "$WORK/key.pem" >"$WORK/h2.log" 2>&1 & LBBENCH="$!"
dotnet "$WORK/lbbench/LbBench.dll" "$WORK/ws" 18230 18231 18211 18212 18213 >"$WORK/ws.log" 2>&1 & LBBENCH="$LBBENCH $!"
for log in h2 ws; do
  n=0; until grep -q '^ready' "$WORK/$log.log"; do
    n=$((n+1)); [ $n -lt 300 ] || { echo "load balancers did not start" >&2; cat "$WORK/$log.log" >&2; exit 1; }; sleep 0.1
  done
done
H2_HAPROXY=$(awk '$1 == "haproxy" {print $NF}' "$WORK/h2.log"); H2_BUILTIN=$(awk '$1 == "builtin" {print $NF}' "$WORK/h2.log")
WS_HAPROXY=$(awk '$1 == "haproxy" {print $NF}' "$WORK/ws.log"); WS_BUILTIN=$(awk '$1 == "builtin" {print $NF}' "$WORK/ws.log")
TICKS=$(getconf CLK_TCK)

cputicks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
per_request() { awk -v t="$1" -v n="$2" -v hz="$TICKS" 'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "-" }'; }

# h2load's log file has one line per request: start time, status, elapsed µs. Prints requests, requests/s, p99 ms
# and the count of requests that were not 200.
h2() {
  h2load -c "$CONNECTIONS" -m "$STREAMS" -D "$DURATION" --warm-up-time=1 --log-file="$WORK/h2load.log" "$1" >"$WORK/h2load.out" 2>&1 \
    || { cat "$WORK/h2load.out" >&2; return 1; }
  rps=$(awk '/^finished in/ {print $4}' "$WORK/h2load.out")
  sort -n -k3 "$WORK/h2load.log" | awk -v rps="$rps" '{ t[NR] = $3; if ($2 != 200) bad++ } END { printf "%d %.0f %.2f %d\n", NR, rps, t[int(NR * 0.99)] / 1000, bad }'
}

ws() { dotnet "$WORK/lbbench/LbBench.dll" --ws-load "$1" "$CONNECTIONS" "$DURATION" | awk '{print $2, $4, $6, 0}'; }

run() { # name kind load-balancer-pid url
  name=$1; kind=$2; pid=$3; url=$4
  [ "$ROUNDS" -gt 1 ] && name="$name (round $round)"
  lb0=$(cputicks "$pid")
  result=$($kind "$url") || exit 1
  lb1=$(cputicks "$pid")
  set -- $result
  printf '| %s | %s | %s ms | %s | %s |\n' "$name" "$2" "$3" "$(per_request $((lb1 - lb0)) "$1")" "$4"
}
# JIT warm-up of the built-in proxy on both paths.
h2load -c "$CONNECTIONS" -m "$STREAMS" -D 6 https://127.0.0.1:18221/ >/dev/null 2>&1
dotnet "$WORK/lbbench/LbBench.dll" --ws-load ws://127.0.0.1:18231/ "$CONNECTIONS" 6 >/dev/null
echo "| target | requests or messages/s | p99 | load balancer CPU µs/request or message | failed |"
echo "| --- | --- | --- | --- | --- |"
round=1
while [ "$round" -le "$ROUNDS" ]; do
  run "HTTP/2, built-in proxy" h2 "$H2_BUILTIN" https://127.0.0.1:18221/
  run "HTTP/2, HAProxy" h2 "$H2_HAPROXY" https://127.0.0.1:18220/
  run "WebSocket, built-in proxy" ws "$WS_BUILTIN" ws://127.0.0.1:18231/
  run "WebSocket, HAProxy" ws "$WS_HAPROXY" ws://127.0.0.1:18230/
  round=$((round+1))
done
