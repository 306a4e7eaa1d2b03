#!/usr/bin/env bash
# The whole bench in one command (see bench/README.md):
#   bench/run.sh          Release build, the Native AOT publish (scripts/publish.sh), the floor reference
#                         (bench/floor, Go), BenchmarkDotNet micro-benchmarks, the load run against the AOT
#                         and the JIT daemon and the floor side by side; rewrites docs/benchmarks.md and
#                         docs/bench/ (figures, results.json). About 12-15 minutes on 2 cores.
#   bench/run.sh --smoke  The same pieces at a tiny size, written to a temporary folder: checks that the
#                         bench works, asserts no timing. Uses an AOT binary only if one is already
#                         published ($SIDECAR_AOT_BINARY, else artifacts/publish/Sidecar or
#                         artifacts/bench/aot/Sidecar) and the floor only if Go and Debian's grpc are
#                         installed. Prints "bench-smoke: N passed, M failed"; exits non-zero on a failure.
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
servers=()

# The floor reference: a minimal grpc-go server of the same proto (exit 3: no Go here, run without it).
floor_bin="$tmp/floor"
bench/floor/build.sh "$floor_bin" >"$tmp/floor.log" 2>&1
floor_status=$?
if [ "$floor_status" = 0 ]; then
  servers+=(--floor "$floor_bin")
elif [ "$floor_status" = 3 ]; then
  echo "bench: no floor reference: $(tail -1 "$tmp/floor.log")"
else
  echo "bench: the floor reference did not build:"; tail -20 "$tmp/floor.log"
  [ "$smoke" = 1 ] && echo "bench-smoke: 0 passed, 1 failed"
  exit 1
fi
bench_dll=bench/Sidecar.Bench/bin/Release/net10.0/Sidecar.Bench.dll
micro_dll=bench/Sidecar.Benchmarks/bin/Release/net10.0/Sidecar.Benchmarks.dll

if [ "$smoke" = 1 ]; then
  for aot in "${SIDECAR_AOT_BINARY:-}" artifacts/publish/Sidecar artifacts/bench/aot/Sidecar; do
    if [ -n "$aot" ] && [ -x "$aot" ]; then
      echo "bench: AOT daemon $aot"
      servers+=(--aot "$aot")
      break
    fi
  done
  # One dry iteration of each micro-benchmark (does it still run against the daemon's internals?).
  timeout 300 dotnet "$micro_dll" --smoke --summary "$tmp/micro.tsv" --artifacts "$tmp/bdn" >"$tmp/micro.log" 2>&1 \
    || { echo "bench: micro-benchmarks failed:"; tail -30 "$tmp/micro.log"; }
  timeout 600 dotnet "$bench_dll" run --smoke --repo "$root" --out "$tmp/out" --doc "$tmp/out/benchmarks.md" \
    --micro "$tmp/micro.tsv" --commit "$commit" "${servers[@]}" | tee "$tmp/bench.log"
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

# What ships: the Native AOT binary, published by the same script as the image.
aot_dir=artifacts/bench/aot
rm -rf "$aot_dir"
echo "bench: publishing the AOT daemon (scripts/publish.sh $aot_dir, about 80 s) ..."
scripts/publish.sh "$aot_dir" >"$tmp/publish.log" 2>&1
if [ ! -x "$aot_dir/Sidecar" ]; then
  # A checkout whose publish.sh still makes the framework-dependent Sidecar.dll: publish AOT here.
  echo "bench: scripts/publish.sh made no $aot_dir/Sidecar; publishing Native AOT directly"
  rm -rf "$aot_dir"
  dotnet publish src/Sidecar/Sidecar.csproj -c Release -r linux-x64 -o "$aot_dir" -p:PublishAot=true -p:StripSymbols=true -p:TreatWarningsAsErrors=false \
    >"$tmp/publish.log" 2>&1
fi
if [ ! -x "$aot_dir/Sidecar" ]; then
  echo "bench: no AOT binary in $aot_dir:"; tail -20 "$tmp/publish.log"
  exit 1
fi
servers+=(--aot "$aot_dir/Sidecar")

mkdir -p docs/bench
echo "bench: micro-benchmarks (BenchmarkDotNet, short job) ..."
timeout 600 dotnet "$micro_dll" --summary docs/bench/micro.tsv --artifacts "$tmp/bdn" >"$tmp/micro.log" 2>&1 \
  || { echo "bench: micro-benchmarks failed:"; tail -30 "$tmp/micro.log"; }
grep -A20 '^| Method' "$tmp/bdn/results/"*-report-github.md 2>/dev/null || true

echo "bench: load run ..."
timeout 1200 dotnet "$bench_dll" run --repo "$root" --out docs/bench --doc docs/benchmarks.md \
  --micro docs/bench/micro.tsv --commit "$commit" "${servers[@]}"
status=$?
echo "bench: done in $(( $(date +%s) - started )) s; report in docs/benchmarks.md"
exit $status
