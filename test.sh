#!/usr/bin/env bash
# Builds Strata and runs every test project, then prints one closing line: "N passed, N failed".
# Services the integration tests need (HAProxy, PostgreSQL, an S3-compatible store) are started by the
# tests themselves from the binaries found on PATH; .ci/run installs them on a clean machine.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
results="$root/artifacts/test-results"
rm -rf "$results" && mkdir -p "$results"

echo "== building" >&2
if ! dotnet build Strata.sln -c Debug -nologo -v quiet; then
  echo "0 passed, 1 failed"
  exit 1
fi

status=0
for project in tests/*.Tests/*.csproj; do
  name="$(basename "$project" .csproj)"
  echo "== $name" >&2
  dotnet test "$project" --no-build -c Debug -nologo \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" "$@" || status=1
done

# Count from the result files rather than the console so the closing line is exact.
passed=0 failed=0
for trx in "$results"/*.trx; do
  [[ -f "$trx" ]] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
  p="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  f="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
if [[ $status -ne 0 && $failed -eq 0 ]]; then
  failed=1 # a test host crashed or a project failed to run: count it rather than hide it
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
