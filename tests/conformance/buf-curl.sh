#!/usr/bin/env bash
# Server reflection on the socket, as an operator uses it: `buf curl` (which knows no proto, only what
# reflection describes) lists the services and calls Complete and StreamComplete. Run it through
# with-daemon.sh, which sets SIDECAR_SOCKET:
#   SIDECAR_DAEMON=artifacts/publish/Sidecar tests/conformance/with-daemon.sh tests/conformance/buf-curl.sh
# ./test.sh runs it against the Native AOT binary, where reflection must survive trimming.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
buf="$root/tools/node_modules/.bin/buf"
if [ ! -x "$buf" ]; then
  (cd "$root/tools" && npm ci --no-audit --no-fund --loglevel=error)
fi
: "${SIDECAR_SOCKET:?run through tests/conformance/with-daemon.sh}"

passed=0
failed=0
check() { # check NAME EXPECTED-SUBSTRING COMMAND...: the command must succeed and print the substring
  local name=$1 want=$2 out
  shift 2
  if out=$("$@" 2>&1) && grep -qF -- "$want" <<<"$out"; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name: expected output containing $want; got:"
    sed 's/^/     /' <<<"$out"
  fi
}
curl_sock() { "$buf" curl --protocol grpc --http2-prior-knowledge --unix-socket "$SIDECAR_SOCKET" "$@"; }

for service in sidecar.v1.Completions grpc.health.v1.Health grpc.reflection.v1alpha.ServerReflection; do
  check "reflection lists $service" "$service" curl_sock --list-services http://localhost
done
check "reflection lists the methods" "sidecar.v1.Completions/StreamComplete" curl_sock --list-methods http://localhost
check "Complete through reflection" '"content": "hello from buf"' \
  curl_sock -d '{"keyRef":"echo","model":"m","messages":[{"role":"ROLE_USER","content":"hello from buf"}]}' \
  http://localhost/sidecar.v1.Completions/Complete
check "StreamComplete through reflection" '"finishReason": "FINISH_REASON_STOP"' \
  curl_sock -d '{"keyRef":"echo","model":"m","messages":[{"role":"ROLE_USER","content":"one two three"}]}' \
  http://localhost/sidecar.v1.Completions/StreamComplete
check "Complete through the fake upstream" '"content": "fake: via upstream"' \
  curl_sock -d '{"keyRef":"fake","model":"fake-1","messages":[{"role":"ROLE_USER","content":"via upstream"}]}' \
  http://localhost/sidecar.v1.Completions/Complete

echo "buf curl: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
