#!/usr/bin/env bash
# Redis on and off, as an A/B pair of the same AOT daemon in the same alternating rounds
# (docs/scaling.md, docs/benchmarks.md "Shared state on Redis"): A without Redis, B with a local
# redis-server and the bench's key refs under shared limits and a budget set too high to refuse, so
# every call pays the admission script and, when it ends, the record script. Phases: cpu, unary.
#   bench/redis-ab.sh [OUT_DIR]    needs artifacts/publish/Sidecar (scripts/publish.sh) and redis-server
set -euo pipefail
cd "$(dirname "$0")/.."
aot=${SIDECAR_AOT_BINARY:-artifacts/publish/Sidecar}
out=${1:-$(mktemp -d "${TMPDIR:-/tmp}/sidecar-redis-ab.XXXXXX")}
[ -x "$aot" ] || { echo "redis-ab: $aot is missing: run scripts/publish.sh artifacts/publish" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "redis-ab: redis-server is missing (./test.sh installs it)" >&2; exit 2; }
dotnet build -c Release -nologo -v q bench/Sidecar.Bench/Sidecar.Bench.csproj

# The floor reference in the same run, so every figure has its ratio (exit 3: no Go here, run without it).
floor=()
mkdir -p "$out"
if bench/floor/build.sh "$out/floor" >"$out/floor.log" 2>&1; then
  floor=(--floor "$out/floor")
else
  echo "redis-ab: no floor reference: $(tail -1 "$out/floor.log")"
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no --loglevel warning &
redis_pid=$!
trap 'kill "$redis_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.1
done

shared=()
for ref in bench echo; do
  shared+=(--aot-b-arg "--Sidecar:Keys:$ref:SharedLimits:RequestsPerMinute=1000000000"
           --aot-b-arg "--Sidecar:Keys:$ref:SharedLimits:TokensPerMinute=1000000000000"
           --aot-b-arg "--Sidecar:Keys:$ref:Budget:TokensPerMonth=1000000000000000")
done

dotnet bench/Sidecar.Bench/bin/Release/net10.0/Sidecar.Bench.dll run --repo . --only cpu,unary --no-jit "${floor[@]}" \
  --aot "$aot" --aot-b "$aot" --aot-b-arg "--Sidecar:Redis:Configuration=127.0.0.1:$port" "${shared[@]}" \
  --out "$out" --doc "$out/benchmarks.md"
echo "redis-ab: report in $out/benchmarks.md"
