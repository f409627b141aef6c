#!/usr/bin/env bash
# Strata snapshots against restic on the same volume (SIZE_GIB, default 1 GiB), ROUNDS times (default 3), medians
# reported: first snapshot, second after changing 1 % in place, restore. Times are wall clock of each process, both
# tools alike. Needs restic and bc (apt-get install -y restic bc), GNU time (/usr/bin/time) and the .NET SDK.
# STORE=s3 puts Strata's store in an S3-compatible server (s3rver on loopback, from STRATA_S3RVER or PATH) instead
# of a folder; restic keeps its folder repository (restic 0.14 cannot init a repository in s3rver 3.7: "Unmarshal:
# invalid character 'b' after top-level value"). STRATA_BACKUP_PROFILE=1 also prints where Strata's time went (stage times summed over
# threads) to stderr. Everything lives under $WORK and is deleted at the end; each tool's store is deleted once
# measured, so the disk holds the data, one store and one restored copy at most.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export STRATA_ARTIFACTS="${STRATA_ARTIFACTS:-/tmp/artifacts-bench}" DOTNET_CLI_TELEMETRY_OPTOUT=1 MSBUILDDISABLENODEREUSE=1
WORK="${WORK:-/tmp/strata-bench-backup}"
ROUNDS="${ROUNDS:-3}"
SIZE_GIB="${SIZE_GIB:-1}"
STORE="${STORE:-fs}"
export RESTIC_PASSWORD=bench-secret
rm -rf "$WORK"; mkdir -p "$WORK/data" "$WORK/blocks"
s3rver_pid=""
trap '[ -z "$s3rver_pid" ] || kill "$s3rver_pid" 2>/dev/null; rm -rf "$WORK"' EXIT

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

# Where each tool keeps its store: a folder, or for Strata a bucket of s3rver; *_dir is what it occupies on disk.
if [ "$STORE" = s3 ]; then
  s3rver="${STRATA_S3RVER:-$(command -v s3rver || true)}"
  [ -x "$s3rver" ] || { echo "STORE=s3 needs s3rver: set STRATA_S3RVER" >&2; exit 1; }
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$WORK/s3"
  NODE_OPTIONS=--openssl-legacy-provider "$s3rver" -d "$WORK/s3" -a 127.0.0.1 -p "$port" --silent \
    --configure-bucket strata-bench >"$WORK/s3rver.log" 2>&1 &
  s3rver_pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/strata-bench" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$port/strata-bench" >/dev/null || { echo "s3rver did not answer: $(cat "$WORK/s3rver.log")" >&2; exit 1; }
  export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
  strata_store="s3:http://127.0.0.1:$port/strata-bench"; strata_dir="$WORK/s3/strata-bench"
  # Emptying a bucket's folder empties the bucket: s3rver keeps objects as files (three per object, with its
  # metadata and checksum) and reads them from disk.
  clear_strata() { find "$strata_dir" -mindepth 1 -delete; }
else
  strata_store="$WORK/strata"; strata_dir="$WORK/strata"
  clear_strata() { rm -rf "$strata_dir"; }
fi
restic_repo="$WORK/restic"; restic_dir="$WORK/restic"
mib() { echo "scale=1; $1 / 1048576" | bc; }
size() { du -sb "$1" | cut -f1; }
# timed NAME CMD...: runs CMD, records its wall time in $WORK/t.NAME, its CPU time (user + system: less
# sensitive than wall time to other work on a shared machine) in $WORK/c.NAME and its peak RSS (KiB) in $WORK/m.NAME.
timed() {
  local name=$1; shift
  local t0 t1; t0=$(date +%s.%N)
  /usr/bin/time -f '%M %U %S' -o "$WORK/time.$name" "$@" >"$WORK/out.$name"
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
  timed "s.$r.first" dotnet "$bench_dll" snapshot "$strata_store" "$WORK/data" "$RESTIC_PASSWORD"
  after1=$(size "$strata_dir"); echo "$after1" >"$WORK/s.$r.store"
  put_blocks new
  timed "s.$r.second" dotnet "$bench_dll" snapshot "$strata_store" "$WORK/data" "$RESTIC_PASSWORD"
  echo $(( $(size "$strata_dir") - after1 )) >"$WORK/s.$r.added"
  id=$(cut -d' ' -f1 "$WORK/out.s.$r.second")
  timed "s.$r.restore" dotnet "$bench_dll" restore "$strata_store" "$id" "$WORK/restore-strata" "$RESTIC_PASSWORD"
  diff -r "$WORK/data" "$WORK/restore-strata" >/dev/null && echo identical >"$WORK/s.$r.ok" || echo DIFFERENT >"$WORK/s.$r.ok"
  rm -rf "$WORK/restore-strata"; clear_strata

  put_blocks old
  restic init --repo "$restic_repo" -q
  timed "r.$r.first" restic backup --repo "$restic_repo" -q "$WORK/data"
  after1=$(size "$restic_dir"); echo "$after1" >"$WORK/r.$r.store"
  put_blocks new
  timed "r.$r.second" restic backup --repo "$restic_repo" -q "$WORK/data"
  echo $(( $(size "$restic_dir") - after1 )) >"$WORK/r.$r.added"
  timed "r.$r.restore" restic restore latest --repo "$restic_repo" -q --target "$WORK/restore-restic"
  diff -r "$WORK/data" "$WORK/restore-restic$WORK/data" >/dev/null && echo identical >"$WORK/r.$r.ok" || echo DIFFERENT >"$WORK/r.$r.ok"
  rm -rf "$WORK/restore-restic" "$restic_dir"
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
echo "data: $(mib "$total") MiB, store: $STORE; sequential read (cat, page cache warm): ${read_s}s = $(tp "$read_s") MiB/s; median of $ROUNDS rounds"
echo "| | Strata | restic $(restic version | cut -d' ' -f2) | restic / Strata, wall | restic / Strata, cpu |"
echo "|---|---|---|---|---|"
echo "| first snapshot | $(collect s tfirst) s ($(tp "$(collect s tfirst)") MiB/s), $(cpu s first), store $(mib "$(collect s store)") MiB | $(collect r tfirst) s ($(tp "$(collect r tfirst)") MiB/s), $(cpu r first), repo $(mib "$(collect r store)") MiB | $(ratio tfirst) | $(ratio cfirst) |"
echo "| second snapshot after 1 % change | $(collect s tsecond) s, $(cpu s second), $(mib "$(collect s added)") MiB added | $(collect r tsecond) s, $(cpu r second), $(mib "$(collect r added)") MiB added | $(ratio tsecond) | $(ratio csecond) |"
echo "| restore | $(collect s trestore) s, $(cpu s restore), $(oks s)| $(collect r trestore) s, $(cpu r restore), $(oks r)| $(ratio trestore) | $(ratio crestore) |"
echo "| peak memory (largest step median) | $(peak s) MiB | $(peak r) MiB | | |"
