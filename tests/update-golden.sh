#!/usr/bin/env bash
# Rewrites the golden plan texts under tests/Strata.Planning.Tests/Golden after an intended change of the plan
# output: runs the golden tests, moves each text they received over its golden file, runs them again, and shows
# what changed for review. Never part of ./test.sh or CI.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
golden=tests/Strata.Planning.Tests/Golden
project=tests/Strata.Planning.Tests
dotnet build "$project" -nologo -v quiet >/dev/null
dotnet test "$project" --no-build -nologo --filter "FullyQualifiedName~GoldenTests" >/dev/null || true
shopt -s nullglob
received=("$golden"/*.received.txt)
if ((${#received[@]} == 0)); then
  echo "update-golden: every golden text already matches"
  exit 0
fi
for file in "${received[@]}"; do
  mv "$file" "${file%.received.txt}.txt"
  echo "update-golden: rewrote ${file%.received.txt}.txt"
done
dotnet test "$project" --no-build -nologo --filter "FullyQualifiedName~GoldenTests"
git --no-pager diff --stat -- "$golden"
