#!/usr/bin/env bash
# Benchmark of recovery and scaling: time from `kill -9` of a server to its replacement serving through the load
# balancer, and from a load spike to new capacity in service. Usage: bench/recovery/run.sh [--runs 5] [--spike-runs 3]
# Everything runs on loopback in a private STRATA_HOME under /tmp (removed afterwards unless KEEP=1), and every
# process started under it is stopped on exit, also on failure or Ctrl-C. The whole run is bounded by BENCH_TIMEOUT
# seconds (default 900).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bench=recovery
limit=900
# shellcheck source=../common/sandbox.sh
source "$here/../common/sandbox.sh"
