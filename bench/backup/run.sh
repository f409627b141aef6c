#!/usr/bin/env bash
# Strata snapshots against restic on the same 1 GiB volume, ROUNDS times (default 3), medians reported: first
# snapshot, second after changing 1 % in place, restore. Times are wall clock of each process, both tools alike.
# Needs restic and bc (apt-get install -y restic bc), GNU time (/usr/bin/time) and the .NET SDK.
# STRATA_BACKUP_PROFILE=1 also prints where Strata's time went (stage times summed over threads) to stderr.
# Everything lives under $WORK and is deleted at the end.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export STRATA_ARTIFACTS="${STRATA_ARTIFACTS:-/tmp/artifacts-bench}" DOTNET_CLI_TELEMETRY_OPTOUT=1 MSBUILDDISABLENODEREUSE=1
WORK="${WORK:-/tmp/strata-bench-backup}"
ROUNDS="${ROUNDS:-3}"
SIZE_GIB="${SIZE_GIB:-1}"
export RESTIC_PASSWORD=bench-secret
rm -rf "$WORK"; mkdir -p "$WORK/data" "$WORK/blocks"
trap 'rm -rf "$WORK"' EXIT

command -v restic >/dev/null || { echo "restic is needed: apt-get install -y restic" >&2; exit 1; }
# Published ReadyToRun, as ./strata publishes the CLI and the control plane that take snapshots: a plain build
# would spend about a second of CPU per snapshot JIT-compiling the managed zstd, which the product does not.
# Where the precompiler cannot be had, a plain build runs the same code. STRATA_BENCH_DLL runs another build.
bench_app="$STRATA_ARTIFACTS/bench-backup-app"
case "$(uname -m)" in aarch64|arm64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac
publish() { dotnet publish -c Release "$here/Strata.Backups.Bench.csproj" -v q -nologo -o "$bench_app" "$@" >/dev/null; }
if [ -z "${STRATA_BENCH_DLL:-}" ]; then
  rm -rf "$bench_app"
  publish -r "$rid" --self-contained false -p:PublishReadyToRun=true || { rm -rf "$bench_app"; publish; }
fi
bench_dll="${STRATA_BENCH_DLL:-$bench_app/Strata.Backups.Bench.dll}"
mib() { echo "scale=1; $1 / 1048576" | bc; }
size() { du -sb "$1" | cut -f1; }
# timed NAME CMD...: runs CMD, records its wall time in $WORK/t.NAME, its CPU time (user + system: less
# sensitive than wall time to other work on a shared machine) in $WORK/c.NAME and its peak RSS (KiB) in $WORK/m.NAME.
timed() {
  local name=$1; shift
  local t0 t1; t0=$(date +%s.%N)
  /usr/bin/time -f '%M %U %S' -o "$WORK/time.$name" "$@" >/dev/null
  t1=$(date +%s.%N); echo "$t1 - $t0" | bc >"$WORK/t.$name"
  read -r rss user sys <"$WORK/time.$name"; echo "$rss" >"$WORK/m.$name"; echo "$user + $sys" | bc >"$WORK/c.$name"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
collect() { for r in $(seq 1 "$ROUNDS"); do cat "$WORK/$1.$r.$2"; done | median; }

echo "generating ${SIZE_GIB} GiB: per GiB 512 MiB random, 256 MiB base64 text, 256 MiB log-like text" >&2
mkdir -p "$WORK/data/text"
for g in $(seq 1 "$SIZE_GIB"); do
  p=$([ "$g" -eq 1 ] && echo "" || echo "g$g-")
  for i in $(seq 1 8); do head -c 64M /dev/urandom > "$WORK/data/${p}random-$i.bin"; done
  for i in $(seq 1 8); do head -c 24M /dev/urandom | base64 -w 100 > "$WORK/data/text/${p}b64-$i.txt"; done
  for i in $(seq 1 4); do
    awk -v seed="$g$i" 'BEGIN { srand(seed); while (n < 67108864) { line = sprintf("2026-11-22T%02d:%02d:%02d level=info req=%08x path=/api/v1/items/%d status=200 ms=%d\n", int(rand()*24), int(rand()*60), int(rand()*60), int(rand()*4294967295), int(rand()*100000), int(rand()*500)); printf "%s", line; n += length(line) } }' > "$WORK/data/text/${p}log-$i.txt"
  done
done
# The 1 % change: 10 MiB of new random bytes over 10 places in the middle of files, the same for both tools; the
# original blocks are kept so that every round starts from the same content (in place: inodes stay).
changed() { [ "$1" -le 5 ] && echo "$WORK/data/random-$1.bin" || echo "$WORK/data/text/b64-$(( $1 - 5 )).txt"; }
for i in $(seq 1 10); do
  head -c 1M /dev/urandom > "$WORK/blocks/new-$i"
  dd if="$(changed "$i")" of="$WORK/blocks/old-$i" bs=1M count=1 skip=$((i + 3)) status=none
done
put_blocks() { for i in $(seq 1 10); do dd if="$WORK/blocks/$1-$i" of="$(changed "$i")" bs=1M count=1 seek=$((i + 3)) conv=notrunc status=none; done; sync; }
sync
total=$(size "$WORK/data")
t0=$(date +%s.%N); find "$WORK/data" -type f -exec cat {} + > /dev/null; t1=$(date +%s.%N); read_s=$(echo "$t1 - $t0" | bc)

for r in $(seq 1 "$ROUNDS"); do
  echo "round $r" >&2
  put_blocks old
  rm -rf "$WORK/strata"
  timed "s.$r.first" dotnet "$bench_dll" snapshot "$WORK/strata" "$WORK/data" "$RESTIC_PASSWORD"
  after1=$(size "$WORK/strata"); echo "$after1" >"$WORK/s.$r.store"
  put_blocks new
  timed "s.$r.second" dotnet "$bench_dll" snapshot "$WORK/strata" "$WORK/data" "$RESTIC_PASSWORD"
  echo $(( $(size "$WORK/strata") - after1 )) >"$WORK/s.$r.added"
  id=$(ls "$WORK/strata/snapshots/bench/db/data" | sort | tail -1); id=${id%.json}
  timed "s.$r.restore" dotnet "$bench_dll" restore "$WORK/strata" "$id" "$WORK/restore-strata" "$RESTIC_PASSWORD"
  diff -r "$WORK/data" "$WORK/restore-strata" >/dev/null && echo identical >"$WORK/s.$r.ok" || echo DIFFERENT >"$WORK/s.$r.ok"
  rm -rf "$WORK/restore-strata"

  put_blocks old
  rm -rf "$WORK/restic"; restic init --repo "$WORK/restic" -q
  timed "r.$r.first" restic backup --repo "$WORK/restic" -q "$WORK/data"
  after1=$(size "$WORK/restic"); echo "$after1" >"$WORK/r.$r.store"
  put_blocks new
  timed "r.$r.second" restic backup --repo "$WORK/restic" -q "$WORK/data"
  echo $(( $(size "$WORK/restic") - after1 )) >"$WORK/r.$r.added"
  timed "r.$r.restore" restic restore latest --repo "$WORK/restic" -q --target "$WORK/restore-restic"
  diff -r "$WORK/data" "$WORK/restore-restic$WORK/data" >/dev/null && echo identical >"$WORK/r.$r.ok" || echo DIFFERENT >"$WORK/r.$r.ok"
  rm -rf "$WORK/restore-restic"
  for t in s r; do for step in first second restore; do
    echo "  $t $step: $(cat "$WORK/t.$t.$r.$step") s, cpu $(cat "$WORK/c.$t.$r.$step") s, peak $(( $(cat "$WORK/m.$t.$r.$step") / 1024 )) MiB" >&2
    cp "$WORK/t.$t.$r.$step" "$WORK/$t.$r.t$step"; cp "$WORK/c.$t.$r.$step" "$WORK/$t.$r.c$step"; cp "$WORK/m.$t.$r.$step" "$WORK/$t.$r.m$step"
  done; done
done

tp() { echo "scale=0; $total / 1048576 / $1" | bc; }
peak() { echo $(( $(for s in first second restore; do collect "$1" "m$s"; done | sort -n | tail -1) / 1024 )); }
oks() { for r in $(seq 1 "$ROUNDS"); do cat "$WORK/$1.$r.ok"; done | sort -u | tr '\n' ' '; }
ratio() { echo "scale=2; $(collect r "$1") / $(collect s "$1")" | bc; }
cpu() { echo "cpu $(collect "$1" "c$2") s"; }
echo
echo "data: $(mib "$total") MiB; sequential read (cat, page cache warm): ${read_s}s = $(tp "$read_s") MiB/s; median of $ROUNDS rounds"
echo "| | Strata | restic $(restic version | cut -d' ' -f2) | restic / Strata, wall | restic / Strata, cpu |"
echo "|---|---|---|---|---|"
echo "| first snapshot | $(collect s tfirst) s ($(tp "$(collect s tfirst)") MiB/s), $(cpu s first), store $(mib "$(collect s store)") MiB | $(collect r tfirst) s ($(tp "$(collect r tfirst)") MiB/s), $(cpu r first), repo $(mib "$(collect r store)") MiB | $(ratio tfirst) | $(ratio cfirst) |"
echo "| second snapshot after 1 % change | $(collect s tsecond) s, $(cpu s second), $(mib "$(collect s added)") MiB added | $(collect r tsecond) s, $(cpu r second), $(mib "$(collect r added)") MiB added | $(ratio tsecond) | $(ratio csecond) |"
echo "| restore | $(collect s trestore) s, $(cpu s restore), $(oks s)| $(collect r trestore) s, $(cpu r restore), $(oks r)| $(ratio trestore) | $(ratio crestore) |"
echo "| peak memory (largest step median) | $(peak s) MiB | $(peak r) MiB | | |"
