# Shared by bench/up/run.sh and bench/recovery/run.sh, sourced after setting:
#   bench  the benchmark's name (its folder under bench/), used in /tmp names and log lines
#   limit  the default of BENCH_TIMEOUT, in seconds
#   here   the benchmark's folder, holding bench.py
#   root   the repository
# Runs "$here/bench.py --work WORK ARGS…" against a private copy of the CLI and a private STRATA_HOME under /tmp
# (removed afterwards unless KEEP=1), and stops every process started under it on exit, also on failure or Ctrl-C.

work="$(mktemp -d "/tmp/strata-bench-$bench.XXXXXX")"
export STRATA_HOME="$work/home"
mkdir -p "$STRATA_HOME"

# Every process of this user whose command line, working folder or environment mentions $work, space-separated.
# Called as "$(leftovers)" and not through a pipe: the other side of a pipe is a child of the command substitution,
# inherits STRATA_HOME (under $work) and would list itself.
leftovers() {
  local p
  for p in /proc/[0-9]*; do
    [[ -O "$p" && "${p#/proc/}" != "$$" && "${p#/proc/}" != "$BASHPID" ]] || continue
    local ppid; ppid="$(awk '{print $4}' "$p/stat" 2>/dev/null)"   # skip the commands this function runs
    [[ "$ppid" != "$BASHPID" ]] || continue
    if { tr '\0' '\n' <"$p/cmdline" | grep -qF "$work"; } 2>/dev/null \
      || [[ "$(readlink "$p/cwd" 2>/dev/null)" == "$work"* ]] \
      || { tr '\0' '\n' <"$p/environ" | grep -qF "$work"; } 2>/dev/null; then
      printf '%s ' "${p#/proc/}"
    fi
  done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  echo "[bench/$bench] cleaning up $work" >&2
  for d in $(timeout 20 "$work/cli/strata" status --json 2>/dev/null | python3 -c \
      'import json,sys; d=json.load(sys.stdin); print(" ".join(x["name"] for x in (d if isinstance(d,list) else d.get("deployments",[]))))' 2>/dev/null); do
    timeout 120 "$work/cli/strata" down "$d" --yes >/dev/null 2>&1
  done
  timeout 30 "$work/cli/strata" server stop >/dev/null 2>&1
  local pids
  pids="$(leftovers)"
  if [[ -n "${pids// }" ]]; then
    echo "[bench/$bench] stopping leftover processes: $pids" >&2
    local list="${pids% }"
    ps -o pid=,ppid=,etimes=,args= -p "${list// /,}" 2>/dev/null | sed "s|^|[bench/$bench]   |" >&2
    kill -TERM $pids 2>/dev/null; sleep 2
    pids="$(leftovers)"; [[ -n "${pids// }" ]] && kill -KILL $pids 2>/dev/null
  fi
  if [[ "${KEEP:-0}" == 1 ]]; then echo "[bench/$bench] kept $work (results.json, home/logs)" >&2; else rm -rf "$work"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Build the CLI if needed (outside the timings), then run a private copy of it, so that a rebuild triggered by
# someone else's ./strata while the benchmark runs can neither land inside a timed `up` nor swap the binary.
# STRATA_BENCH_APP names another published CLI folder to measure instead (an older commit's, to compare back to back).
if [[ -n "${STRATA_BENCH_APP:-}" ]]; then
  cp -a "$STRATA_BENCH_APP" "$work/cli"
else
  "$root/strata" --version >/dev/null
  cp -a "$root/artifacts/launcher/app" "$work/cli"
fi
export STRATA_BENCH_CLI="$work/cli/strata"
# In the background and waited for: bash runs a signal trap only once the foreground command ends, and timeout puts
# the benchmark in a process group of its own, so Ctrl-C would otherwise wait for the whole run.
timeout "${BENCH_TIMEOUT:-$limit}" python3 "$here/bench.py" --work "$work" "$@" &
wait $!
