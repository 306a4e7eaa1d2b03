#!/usr/bin/env bash
# Installs the locked dependencies and runs the Node client's tests (unit + conformance).
# Conformance cases run when SIDECAR_SOCKET is set (tests/conformance/with-daemon.sh sets it):
#   tests/conformance/with-daemon.sh clients/node/test.sh
set -euo pipefail
cd "$(dirname "$0")"
# shellcheck source=scripts/lib/debs.sh
source ../../scripts/lib/debs.sh
ensure_command node nodejs
ensure_command npm npm
npm ci --no-audit --no-fund --loglevel=error
exec node --test test/*.test.js test/*.test.mjs
