#!/usr/bin/env bash
# Strata snapshots against restic on the same 1 GiB volume: first snapshot, second after changing 1 %, restore.
# Needs restic (apt-get install -y restic) and the .NET SDK. Everything lives under $WORK and is deleted at the end.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export STRATA_ARTIFACTS="${STRATA_ARTIFACTS:-/tmp/artifacts-bench}" DOTNET_CLI_TELEMETRY_OPTOUT=1 MSBUILDDISABLENODEREUSE=1
WORK="${WORK:-/tmp/strata-bench-backup}"
export RESTIC_PASSWORD=bench-secret
rm -rf "$WORK"; mkdir -p "$WORK/data"
trap 'rm -rf "$WORK"' EXIT

command -v restic >/dev/null || { echo "restic is needed: apt-get install -y restic" >&2; exit 1; }
dotnet build -c Release "$here/Strata.Backups.Bench.csproj" -v q -nologo >/dev/null
bench() { dotnet "$STRATA_ARTIFACTS/bin/Strata.Backups.Bench/release/Strata.Backups.Bench.dll" "$@"; }
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }
mib() { echo "scale=1; $1 / 1048576" | bc; }
size() { du -sb "$1" | cut -f1; }

echo "generating 1 GiB: 512 MiB random, 256 MiB base64 text, 256 MiB log-like text" >&2
for i in $(seq 1 8); do head -c 64M /dev/urandom > "$WORK/data/random-$i.bin"; done
mkdir -p "$WORK/data/text"
for i in $(seq 1 8); do head -c 24M /dev/urandom | base64 -w 100 > "$WORK/data/text/b64-$i.txt"; done
for i in $(seq 1 4); do
  awk -v seed="$i" 'BEGIN { srand(seed); while (n < 67108864) { line = sprintf("2026-11-22T%02d:%02d:%02d level=info req=%08x path=/api/v1/items/%d status=200 ms=%d\n", int(rand()*24), int(rand()*60), int(rand()*60), int(rand()*4294967295), int(rand()*100000), int(rand()*500)); printf "%s", line; n += length(line) } }' > "$WORK/data/text/log-$i.txt"
done
sync
total=$(size "$WORK/data")

t0=$(now); find "$WORK/data" -type f -exec cat {} + > /dev/null; t1=$(now); read_s=$(secs "$t0" "$t1")

# Strata (encrypted, as restic always is).
read -r id1 s1 _ _ < <(bench snapshot "$WORK/strata" "$WORK/data" "$RESTIC_PASSWORD")
strata_after1=$(size "$WORK/strata")
# 1 % change: 10 MiB of new random bytes written over 10 places in the middle of files.
for i in $(seq 1 10); do
  f="$WORK/data/$( [ $i -le 5 ] && echo "random-$i.bin" || echo "text/b64-$i.txt")"
  dd if=/dev/urandom of="$f" bs=1M count=1 seek=$((i + 3)) conv=notrunc status=none
done
sync
read -r id2 s2 _ _ < <(bench snapshot "$WORK/strata" "$WORK/data" "$RESTIC_PASSWORD")
strata_added=$(( $(size "$WORK/strata") - strata_after1 ))
rs=$(bench restore "$WORK/strata" "$id2" "$WORK/restore-strata" "$RESTIC_PASSWORD")
diff -r "$WORK/data" "$WORK/restore-strata" >/dev/null && strata_ok=identical || strata_ok=DIFFERENT
rm -rf "$WORK/restore-strata"

# restic on the same (changed) data: put the first version back by restoring from Strata's first snapshot.
mv "$WORK/data" "$WORK/data-changed"
bench restore "$WORK/strata" "$id1" "$WORK/data" "$RESTIC_PASSWORD" >/dev/null
restic init --repo "$WORK/restic" -q
t0=$(now); restic backup --repo "$WORK/restic" -q "$WORK/data"; t1=$(now); r1=$(secs "$t0" "$t1")
restic_after1=$(size "$WORK/restic")
rm -rf "$WORK/data"; mv "$WORK/data-changed" "$WORK/data"
t0=$(now); restic backup --repo "$WORK/restic" -q "$WORK/data"; t1=$(now); r2=$(secs "$t0" "$t1")
restic_added=$(( $(size "$WORK/restic") - restic_after1 ))
t0=$(now); restic restore latest --repo "$WORK/restic" -q --target "$WORK/restore-restic"; t1=$(now); rr=$(secs "$t0" "$t1")
diff -r "$WORK/data" "$WORK/restore-restic$WORK/data" >/dev/null && restic_ok=identical || restic_ok=DIFFERENT

tp() { echo "scale=0; $total / 1048576 / $1" | bc; }
echo
echo "data: $(mib "$total") MiB; sequential read (cat, page cache warm): ${read_s}s = $(tp "$read_s") MiB/s"
echo "| | Strata | restic $(restic version | cut -d' ' -f2) |"
echo "|---|---|---|"
echo "| first snapshot | ${s1}s ($(tp "$s1") MiB/s), store $(mib "$strata_after1") MiB | ${r1}s ($(tp "$r1") MiB/s), repo $(mib "$restic_after1") MiB |"
echo "| second snapshot after 1 % change | ${s2}s, $(mib "$strata_added") MiB added | ${r2}s, $(mib "$restic_added") MiB added |"
echo "| restore | ${rs}s, $strata_ok | ${rr}s, $restic_ok |"
