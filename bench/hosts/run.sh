#!/usr/bin/env bash
# Benchmark of servers on hosts: `up` of N servers across 5 hosts (each its own sshd on loopback, reached over SSH
# with the agent installed through it) against the app's own start, the bytes of a first and a second image
# transfer, the time from a host's loss to all its servers serving elsewhere, and the control plane's idle cost.
# Usage: bench/hosts/run.sh [--servers 200] [--runs 3] [--loss-rounds 5] [--idle-seconds 60] [--phases up,transfer,loss,idle]
# Needs sshd (Debian's openssh-server) and ssh-keygen. Everything runs on loopback (hosts on 127.61.0.1-5:2222) in a
# private STRATA_HOME under /tmp (removed afterwards unless KEEP=1); every process started under it is stopped on
# exit, also on failure or Ctrl-C. The whole run is bounded by BENCH_TIMEOUT seconds (default 2400).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bench=hosts
limit=2400
command -v /usr/sbin/sshd >/dev/null || { echo "bench/hosts needs sshd: apt-get install openssh-server" >&2; exit 2; }
# shellcheck source=../common/sandbox.sh
source "$here/../common/sandbox.sh"
