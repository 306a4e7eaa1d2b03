#!/usr/bin/env bash
# Regenerates the committed client stubs from protos/ with protoc.
#
#   scripts/generate-stubs.sh                 regenerate every language
#   scripts/generate-stubs.sh go python       regenerate only those
#   scripts/generate-stubs.sh --print-paths   list the generated paths (used by check-stubs.sh)
#
# The output is deterministic (same protos + same Debian tool versions → same bytes), so
#   scripts/generate-stubs.sh && git diff --exit-code clients/
# is a freshness check; scripts/check-stubs.sh does exactly that, untracked files included.
#
# Tools come from Debian 12 packages and are installed with apt-get when missing:
#   protoc 3.21.12 (protobuf-compiler, WKT protos from libprotobuf-dev), protoc-gen-go 1.28.1,
#   protoc-gen-go-grpc 1.33.3, grpc_python_plugin 1.51.1 (protobuf-compiler-grpc).
# Every output directory is deleted and rewritten, so a removed .proto leaves no stale stub.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Paths (relative to the repo root) that hold only generated files. check-stubs.sh compares
# exactly these with git. A language section that adds outputs appends its paths here.
GENERATED_PATHS=(
  clients/go/sidecarv1
  clients/python/sidecar_client/_gen
)
# Node loads the proto at run time (@grpc/proto-loader); its "stub" is a copy of the contract.
GENERATED_PATHS+=(clients/node/proto/sidecar)

log() { printf 'generate-stubs: %s\n' "$*" >&2; }

# ensure_debs / ensure_command: the repository's one apt-get bootstrap.
# shellcheck source=scripts/lib/debs.sh
source "$ROOT/scripts/lib/debs.sh"

need_protoc() {
  ensure_command protoc protobuf-compiler
  # google/protobuf/{any,duration}.proto, imported by the google.rpc protos.
  [ -f /usr/include/google/protobuf/any.proto ] || ensure_debs libprotobuf-dev
}

# The contract: every .proto under protos/, as paths relative to protos/ (sorted → stable order).
sidecar_protos() {
  (cd protos && find . -name '*.proto' -printf '%P\n' | LC_ALL=C sort)
}

generate_go() {
  need_protoc
  ensure_command protoc-gen-go protoc-gen-go
  ensure_command protoc-gen-go-grpc protoc-gen-go-grpc
  local out=clients/go
  rm -rf "$out/sidecarv1"
  mkdir -p "$out/sidecarv1"
  # go_package is "sidecar.dev/sidecar/sidecarv1"; module=sidecar.dev/sidecar strips the module
  # prefix so the files land in clients/go/sidecarv1/.
  mapfile -t protos < <(sidecar_protos)
  protoc -I protos \
    --go_out="$out" --go_opt=module=sidecar.dev/sidecar \
    --go-grpc_out="$out" --go-grpc_opt=module=sidecar.dev/sidecar \
    "${protos[@]}"
  log "go: $(find "$out/sidecarv1" -type f | wc -l) files in $out/sidecarv1"
}

generate_python() {
  need_protoc
  ensure_command grpc_python_plugin protobuf-compiler-grpc
  local out=clients/python
  local gen=sidecar_client/_gen
  rm -rf "${out:?}/$gen"
  mkdir -p "$out/$gen"

  # 1. The contract. The virtual include path "sidecar_client/_gen=protos" makes protoc see
  #    protos/sidecar/v1/x.proto as sidecar_client/_gen/sidecar/v1/x.proto, so the generated
  #    modules import each other as `from sidecar_client._gen.sidecar.v1 import x_pb2` — a
  #    normal absolute import that works without touching sys.path. (The descriptor's file
  #    name carries the same prefix; message and service names stay sidecar.v1.*.)
  mapfile -t protos < <(sidecar_protos)
  local vprotos=("${protos[@]/#/$gen/}")
  protoc -I "$gen=protos" \
    --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" \
    --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" \
    "${vprotos[@]}"

  # 2. google.rpc (Status, ErrorInfo, RetryInfo, BadRequest) and grpc.health.v1 messages, which
  #    Debian's python3-protobuf / python3-grpcio do not ship. They keep their canonical file
  #    names (google/rpc/status.proto …), as googleapis-common-protos and grpcio-health-checking
  #    register them, and import only google.protobuf; sidecar_client prefers those packages
  #    when they are installed, so one process never registers the same names twice.
  #    No grpc module for health: the client calls /grpc.health.v1.Health/Check directly.
  protoc -I "$out/protos" -I /usr/include \
    --python_out="$out/$gen" --pyi_out="$out/$gen" \
    google/rpc/status.proto google/rpc/error_details.proto grpc/health/v1/health.proto

  # Regular packages (not namespace packages), so setuptools and mypy find them.
  local d
  while IFS= read -r d; do
    : >"$d/__init__.py"
  done < <(find "$out/$gen" -type d | LC_ALL=C sort)
  log "python: $(find "$out/$gen" -type f | wc -l) files in $out/$gen"
}

generate_node() {
  command -v node >/dev/null 2>&1 || { log "node: not installed"; exit 1; }
  node clients/node/scripts/sync-proto.js
  log "node: proto copied into clients/node/proto/sidecar/v1"
}

main() {
  if [ "${1:-}" = "--print-paths" ]; then
    printf '%s\n' "${GENERATED_PATHS[@]}"
    return 0
  fi
  local langs=("$@")
  [ ${#langs[@]} -gt 0 ] || langs=(go python node)
  local l
  for l in "${langs[@]}"; do
    case "$l" in
      go) generate_go ;;
      python) generate_python ;;
      node) generate_node ;;
      *) log "unknown language '$l' (expected go, python or node)"; exit 2 ;;
    esac
  done
}

main "$@"
