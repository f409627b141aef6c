#!/usr/bin/env bash
# Builds Strata and runs every test project, then prints one closing line: "N passed, N failed".
#
# The integration tests use real parts: HAProxy, wrk, restic, PostgreSQL, python3 (the example apps), sshd (one per
# test host, on loopback) and an S3-compatible server (s3rver from npm). What is missing is installed first: Debian packages through apt-get when
# run as root (otherwise the one command to run is printed and nothing is built), s3rver into .tools/. A test whose
# tool is still missing fails loudly; none is skipped.
#
#   ./test.sh                      every test
#   ./test.sh --unit               the in-process tests alone ([Trait("kind", "unit")]): nothing to install, about a minute
#   ./test.sh --filter EXPRESSION  passed to each `dotnet test` (any other arguments are passed on too)
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
# haproxy lives in /usr/sbin, which an ordinary user's PATH lacks.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

unit=false
if [[ "${1:-}" == "--unit" ]]; then
  unit=true
  shift
fi

if [[ -n "${STRATA_UPDATE_GOLDEN:-}" ]]; then
  echo "test.sh: STRATA_UPDATE_GOLDEN is set; golden files are rewritten only by tests/update-golden.sh, never by a test run" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

# Debian package → a program it provides, to tell whether it is there without asking dpkg (a tool installed some
# other way counts too).
declare -A tools=(
  [python3]=python3 [procps]=ps [util-linux]=unshare [haproxy]=haproxy [wrk]=wrk [restic]=restic
  [postgresql]=/usr/lib/postgresql/*/bin/postgres [nodejs]=node [npm]=npm
  [openssh-server]=/usr/sbin/sshd [openssh-client]=ssh-keygen [libzstd1]=/usr/lib/*/libzstd.so.1
)

missing_packages() {
  local package program
  for package in "${!tools[@]}"; do
    program="${tools[$package]}"
    if [[ "$program" == /* ]]; then
      compgen -G "$program" >/dev/null || echo "$package"
    else
      command -v "$program" >/dev/null 2>&1 || echo "$package"
    fi
  done | sort
}

# The tests start their own sshd per test host on loopback; they need only the program. Installing openssh-server
# on a systemd machine also starts the system's sshd on every interface and enables it at boot: when this script
# installed it, that service is stopped and disabled again, so running the tests opens no port to the network.
quiet_sshd() {
  [[ " $* " == *" openssh-server "* ]] || return 0
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
    echo "test.sh: installed openssh-server for the test hosts; its system service is stopped and disabled" >&2
  fi
}

install_packages() {
  local missing
  mapfile -t missing < <(missing_packages)
  ((${#missing[@]})) || return 0
  # Node may come from another source that already bundles npm; Debian's npm would conflict with it.
  if command -v npm >/dev/null 2>&1; then missing=("${missing[@]/nodejs/}"); fi
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sed '/^$/d')
  ((${#missing[@]})) || return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "test.sh: the tests need packages that are not installed: ${missing[*]}" >&2
    echo "test.sh: install them once, then run ./test.sh again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    if [[ " ${missing[*]} " == *" openssh-server "* ]]; then
      echo "test.sh: the tests run their own sshd on loopback; to keep the system's sshd off afterwards:" >&2
      echo "  sudo systemctl disable --now ssh.service ssh.socket" >&2
    fi
    return 1
  fi
  echo "== installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || return 1
  # One conflicting package must not keep the others out: fall back to installing them one by one.
  if ! apt-get install -y -qq "${missing[@]}" >/dev/null; then
    local package
    for package in "${missing[@]}"; do
      apt-get install -y -qq "$package" >/dev/null || echo "test.sh: could not install $package" >&2
    done
  fi
  quiet_sshd "${missing[@]}"
  mapfile -t missing < <(missing_packages)
  if ((${#missing[@]})); then
    echo "test.sh: still missing after apt-get: ${missing[*]}" >&2
    return 1
  fi
}

install_s3rver() {
  export STRATA_S3RVER="${STRATA_S3RVER:-$root/.tools/node_modules/.bin/s3rver}"
  [[ -x "$STRATA_S3RVER" ]] && return 0
  export STRATA_S3RVER="$root/.tools/node_modules/.bin/s3rver"
  echo "== installing s3rver into .tools/" >&2
  npm install --silent --no-audit --no-fund --prefix "$root/.tools" s3rver@3.7.1 >/dev/null || {
    echo "test.sh: could not install s3rver from npm" >&2
    return 1
  }
}

if ! $unit && { ! install_packages || ! install_s3rver; }; then
  echo "0 passed, 1 failed"
  exit 1
fi

results="$root/artifacts/test-results"
rm -rf "$results" && mkdir -p "$results"

echo "== building" >&2
if ! dotnet build Strata.sln -c Debug -nologo -v quiet; then
  echo "0 passed, 1 failed"
  exit 1
fi

status=0
if $unit; then
  echo "== unit tests" >&2
  dotnet test Strata.sln --no-build -c Debug -nologo --filter "kind=unit" \
    --logger trx --results-directory "$results" "$@" || status=1
else
  for project in tests/*.Tests/*.csproj; do
    name="$(basename "$project" .csproj)"
    echo "== $name" >&2
    dotnet test "$project" --no-build -c Debug -nologo \
      --logger "trx;LogFileName=$name.trx" --results-directory "$results" "$@" || status=1
  done
fi

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
