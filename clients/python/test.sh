#!/usr/bin/env bash
# Tests the Python client with Debian's Python packages (/usr/bin/python3).
#
#   clients/python/test.sh              mypy --strict (package and examples), unit tests
#                                       (conformance cases skip without a daemon)
#   tests/conformance/with-daemon.sh clients/python/test.sh
#                                       the same plus every case of tests/conformance/cases.json
#                                       and the example agents against a live daemon ($SIDECAR_SOCKET)
#
# Extra arguments go to pytest (e.g. -k conformance -v).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

# /usr/bin/python3, not the first python3 on PATH: only Debian's interpreter sees python3-grpcio.
PY=/usr/bin/python3
# shellcheck source=scripts/lib/debs.sh
source "$HERE/../../scripts/lib/debs.sh"
ensure_debs python3 python3-grpcio python3-protobuf python3-pytest python3-mypy

export PYTHONDONTWRITEBYTECODE=1
# The strict type check of the package and the examples (settings in pyproject.toml).
"$PY" -m mypy --cache-dir=/dev/null
"$PY" -m pytest -q -p no:cacheprovider "$@"

# The four-task example agents, against the live daemon when there is one.
if [ -n "${SIDECAR_SOCKET:-}" ]; then
  PYTHONPATH="$HERE" "$PY" examples/agent.py
  PYTHONPATH="$HERE" "$PY" examples/agent_aio.py
fi
