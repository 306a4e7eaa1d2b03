#!/usr/bin/env bash
# The long soak: the functional suite's SoakTests at full size (10 000 calls, a fifth of them with an
# injected upstream fault, 1 000 cancelled mid-stream, 32 at a time over 4 agents) against the real
# daemon on a real socket and the fake upstream on loopback. CI runs the same test at 2 000 calls.
#
#   bench/soak.sh                     10 000 calls
#   bench/soak.sh 50000               another size (cancellations are always a tenth, faults a fifth)
#   SIDECAR_SOAK_CONCURRENCY=64 SIDECAR_SOAK_SEED=7 bench/soak.sh
#   SIDECAR_SOAK_REPORT=soak.txt bench/soak.sh   keep the figures in a file too
#
# Prints the figures (calls, faults, cancellations, outcomes by status, upstream attempts and
# connections, open upstream connections after, calls and streams in flight after, managed heap, RSS
# and file descriptors before and after) and exits non-zero when an assertion of the soak fails.
# Nothing here is a timing assertion; the duration is printed for information.
set -uo pipefail

cd "$(dirname "$0")/.."
case "${1:-}" in
  "") requests=${SIDECAR_SOAK_REQUESTS:-10000} ;;
  *[!0-9]*) echo "usage: bench/soak.sh [REQUESTS]" >&2; exit 2 ;;
  *) requests=$1 ;;
esac

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sidecar-soak.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
report=${SIDECAR_SOAK_REPORT:-$tmp/report.txt}
rm -f "$report"

echo "soak: building the functional tests (Release) ..."
dotnet build tests/Sidecar.FunctionalTests -c Release -nologo -v q -clp:ErrorsOnly >"$tmp/build.log" 2>&1 \
  || { cat "$tmp/build.log"; echo "soak: the build failed" >&2; exit 1; }

echo "soak: $requests calls ..."
SIDECAR_SOAK_REQUESTS=$requests SIDECAR_SOAK_REPORT=$report \
  timeout 3600 dotnet test tests/Sidecar.FunctionalTests -c Release --no-build --nologo \
    --filter "FullyQualifiedName~Sidecar.FunctionalTests.SoakTests" >"$tmp/test.log" 2>&1
status=$?

if [ -s "$report" ]; then
  cat "$report"
else
  echo "soak: no figures were written; the test output follows"
fi

if [ "$status" != 0 ]; then
  grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T|^      ' "$tmp/test.log" | tail -60
  echo "soak: FAILED (exit $status)"
  exit "$status"
fi
echo "soak: passed"
