#!/usr/bin/env bash
# Benchmark of `strata up`: time to N servers in service vs the app's own start time, and the control plane's idle
# cost with 50 servers. Usage: bench/up/run.sh [--sizes 1,10,50] [--runs 3] [--idle-seconds 60] [--no-cold] [--no-idle]
# STRATA_BENCH_APP=FOLDER measures that published CLI instead of this checkout's (to compare two commits).
# Everything runs on loopback in a private STRATA_HOME under /tmp (removed afterwards unless KEEP=1), and every
# process started under it is stopped on exit, also on failure or Ctrl-C. The whole run is bounded by BENCH_TIMEOUT
# seconds (default 1800).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bench=up
limit=1800
# shellcheck source=../common/sandbox.sh
source "$here/../common/sandbox.sh"
