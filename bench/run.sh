#!/usr/bin/env bash
# The whole bench in one command (see bench/README.md):
#   bench/run.sh          Release build, BenchmarkDotNet micro-benchmarks, the load run against a real
#                         daemon; rewrites docs/benchmarks.md and docs/bench/ (figures, results.json).
#                         About 6-8 minutes on 2 cores.
#   bench/run.sh --smoke  The same pieces at a tiny size (seconds once built), written to a temporary
#                         folder: checks that the bench works, asserts no timing. Prints
#                         "bench-smoke: N passed, M failed" and exits non-zero on any failure.
set -uo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
smoke=0
case "${1:-}" in
  --smoke) smoke=1 ;;
  "") ;;
  *) echo "usage: bench/run.sh [--smoke]" >&2; exit 2 ;;
esac

started=$(date +%s)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sidecar-bench-run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

fail_build() {
  echo "bench: the Release build failed" >&2
  if [ "$smoke" = 1 ]; then echo "bench-smoke: 0 passed, 1 failed"; fi
  exit 1
}

echo "bench: building Release (daemon, micro-benchmarks, load bench) ..."
# Sidecar.Benchmarks references the daemon, so this also builds src/Sidecar/bin/Release/net10.0/Sidecar.dll.
dotnet build -c Release -nologo -v q bench/Sidecar.Benchmarks/Sidecar.Benchmarks.csproj || fail_build
dotnet build -c Release -nologo -v q bench/Sidecar.Bench/Sidecar.Bench.csproj || fail_build

commit=$(git describe --always --dirty 2>/dev/null || echo unknown)
bench_dll=bench/Sidecar.Bench/bin/Release/net10.0/Sidecar.Bench.dll
micro_dll=bench/Sidecar.Benchmarks/bin/Release/net10.0/Sidecar.Benchmarks.dll

if [ "$smoke" = 1 ]; then
  # One dry iteration of each micro-benchmark (does it still run against the daemon's internals?).
  timeout 300 dotnet "$micro_dll" --smoke --summary "$tmp/micro.tsv" --artifacts "$tmp/bdn" >"$tmp/micro.log" 2>&1 \
    || { echo "bench: micro-benchmarks failed:"; tail -30 "$tmp/micro.log"; }
  timeout 600 dotnet "$bench_dll" run --smoke --repo "$root" --out "$tmp/out" --doc "$tmp/out/benchmarks.md" \
    --micro "$tmp/micro.tsv" --commit "$commit" | tee "$tmp/bench.log"
  status=${PIPESTATUS[0]}
  line=$(grep -E '^bench-smoke-checks: passed=[0-9]+ failed=[0-9]+$' "$tmp/bench.log" | tail -1)
  passed=$(echo "$line" | sed -nE 's/.*passed=([0-9]+).*/\1/p')
  failed=$(echo "$line" | sed -nE 's/.*failed=([0-9]+).*/\1/p')
  passed=${passed:-0}
  failed=${failed:-0}
  if [ "$status" != 0 ] && [ "$failed" = 0 ]; then
    failed=1 # the bench itself crashed before counting
  fi
  echo "bench: smoke took $(( $(date +%s) - started )) s"
  echo "bench-smoke: $passed passed, $failed failed"
  [ "$failed" = 0 ] && [ "$status" = 0 ]
  exit $?
fi

mkdir -p docs/bench
echo "bench: micro-benchmarks (BenchmarkDotNet, short job) ..."
timeout 600 dotnet "$micro_dll" --summary docs/bench/micro.tsv --artifacts "$tmp/bdn" >"$tmp/micro.log" 2>&1 \
  || { echo "bench: micro-benchmarks failed:"; tail -30 "$tmp/micro.log"; }
grep -A20 '^| Method' "$tmp/bdn/results/"*-report-github.md 2>/dev/null || true

echo "bench: load run ..."
timeout 1200 dotnet "$bench_dll" run --repo "$root" --out docs/bench --doc docs/benchmarks.md \
  --micro docs/bench/micro.tsv --commit "$commit"
status=$?
echo "bench: done in $(( $(date +%s) - started )) s; report in docs/benchmarks.md"
exit $status
