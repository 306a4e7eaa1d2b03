#!/usr/bin/env bash
# Existing OpenAI clients against a live daemon's OpenAI-compatible door (openai.sock beside
# SIDECAR_SOCKET): the official OpenAI Node SDK and LangChain JS (npm, pinned by node/package-lock.json),
# Debian's python3-httpx over a Unix socket (the OpenAI Python SDK's transport) with the README's curl
# examples, and Go's net/http with a Unix DialContext (standard library only).
#   tests/conformance/with-daemon.sh tests/openai-http/run.sh
# Prints one closing line "openai-sdks: N passed, N failed" and exits non-zero when any test failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${SIDECAR_SOCKET:-}${SIDECAR_OPENAI_SOCKET:-}" ]; then
  echo "openai-sdks: set SIDECAR_SOCKET (run through tests/conformance/with-daemon.sh)" >&2
  exit 2
fi

# shellcheck source=scripts/lib/debs.sh
source "$here/../../scripts/lib/debs.sh"
{ ensure_debs python3-httpx python3-pytest curl golang-go && ensure_command node nodejs && ensure_command npm npm; } \
  || { echo "openai-sdks: could not install the Debian packages"; exit 1; }

(cd "$here/node" && npm ci --no-audit --no-fund --loglevel=error) || { echo "openai-sdks: npm ci failed"; exit 1; }

node_log=$(mktemp)
python_log=$(mktemp)
go_log=$(mktemp)
trap 'rm -f "$node_log" "$python_log" "$go_log"' EXIT

echo "--- node (openai, @langchain/openai over undici's socketPath)"
(cd "$here/node" && node --test --test-reporter=tap test/*.test.js) | tee "$node_log"
node_rc=${PIPESTATUS[0]}

echo "--- python (python3-httpx over HTTPTransport(uds=...))"
# Debian's interpreter: the first python3 on PATH may be another one without python3-httpx.
PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -m pytest -p no:cacheprovider -v "$here/python" | tee "$python_log"
python_rc=${PIPESTATUS[0]}

echo "--- go (net/http with a unix DialContext)"
(cd "$here/go" && GOFLAGS=-mod=mod GOPROXY=off go test -count=1 -v ./...) | tee "$go_log"
go_rc=${PIPESTATUS[0]}

count() { grep -E "$2" "$1" | grep -oE '[0-9]+' | tail -n 1; }
node_pass=$(count "$node_log" '^# pass [0-9]+$')
node_fail=$(count "$node_log" '^# fail [0-9]+$')
python_pass=$(tail -n 1 "$python_log" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
python_fail=0
for n in $(tail -n 1 "$python_log" | grep -oE '[0-9]+ (failed|errors?)' | grep -oE '[0-9]+'); do python_fail=$((python_fail + n)); done
go_pass=$(grep -c -- '^--- PASS' "$go_log")
go_fail=$(grep -c -- '^--- FAIL' "$go_log")
passed=$(( ${node_pass:-0} + ${python_pass:-0} + go_pass ))
failed=$(( ${node_fail:-0} + ${python_fail:-0} + go_fail ))
# A runner that crashed before counting has failed even with nothing counted.
if [ "$node_rc" -ne 0 ] && [ "${node_fail:-0}" -eq 0 ]; then failed=$((failed + 1)); fi
if [ "$python_rc" -ne 0 ] && [ "$python_fail" -eq 0 ]; then failed=$((failed + 1)); fi
if [ "$go_rc" -ne 0 ] && [ "$go_fail" -eq 0 ]; then failed=$((failed + 1)); fi
echo "openai-sdks: $passed passed, $failed failed"
[ "$node_rc" -eq 0 ] && [ "$python_rc" -eq 0 ] && [ "$go_rc" -eq 0 ]
