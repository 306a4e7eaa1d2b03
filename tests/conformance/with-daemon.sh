#!/usr/bin/env bash
# Runs a command against a live daemon: builds and starts the fake OpenAI-compatible upstream and the
# daemon on a temporary socket, exports SIDECAR_SOCKET (and SIDECAR_CONFORMANCE_REQUIRED=1), runs
# "$@", stops both, and exits with the command's code.
#   tests/conformance/with-daemon.sh clients/go/test.sh
# Set SIDECAR_SKIP_BUILD=1 when the Release build is known to be fresh (the top-level test script does).
# Set SIDECAR_DAEMON=PATH to run that daemon executable (./test.sh: artifacts/publish/Sidecar, the Native
# AOT binary that ships) instead of the JIT build's `dotnet src/Sidecar/bin/Release/net10.0/Sidecar.dll`.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

if [ -n "${SIDECAR_DAEMON:-}" ]; then
  [ -x "$SIDECAR_DAEMON" ] || { echo "with-daemon: SIDECAR_DAEMON=$SIDECAR_DAEMON is not an executable (scripts/publish.sh makes it)" >&2; exit 1; }
  daemon=("$(cd "$(dirname "$SIDECAR_DAEMON")" && pwd)/$(basename "$SIDECAR_DAEMON")")
else
  daemon=(dotnet src/Sidecar/bin/Release/net10.0/Sidecar.dll)
fi

if [ "${SIDECAR_SKIP_BUILD:-0}" != 1 ]; then
  # Several suites may start at once on one machine: build one at a time.
  if [ -z "${SIDECAR_DAEMON:-}" ]; then
    flock /tmp/sidecar-conformance-build.lock \
      dotnet build -c Release --nologo -v q -clp:ErrorsOnly src/Sidecar/Sidecar.csproj
  fi
  flock /tmp/sidecar-conformance-build.lock \
    dotnet build -c Release --nologo -v q -clp:ErrorsOnly tests/Sidecar.FakeUpstream/Sidecar.FakeUpstream.csproj
fi

work=$(mktemp -d /tmp/sidecar-conformance.XXXXXX)
fake_pid=""
daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill -TERM "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
  [ -n "$fake_pid" ] && kill -TERM "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

wait_for() { # wait_for <test> <path> <what> <log>
  for _ in $(seq 1 300); do
    if test "$1" "$2"; then return 0; fi
    sleep 0.1
  done
  echo "with-daemon: $3 did not come up; its log:" >&2
  cat "$4" >&2
  exit 1
}

dotnet tests/Sidecar.FakeUpstream/bin/Release/net10.0/Sidecar.FakeUpstream.dll --port-file "$work/fake.port" >"$work/fake.log" 2>&1 &
fake_pid=$!
wait_for -s "$work/fake.port" "the fake upstream" "$work/fake.log"
fake_port=$(cat "$work/fake.port")

# Retries stay on, as in production, but wait 10-50 ms instead of 0.5-10 s, so the 503 case is
# fast; an upstream Retry-After over 1 s (the fake's 429 asks for 2 s) is handed to the caller at
# once in RetryInfo instead of being waited out. The conformance cases assert exactly these delays.
# The fake upstream's key: never printed by the daemon, which only sees the variable's name.
export SIDECAR_CONFORMANCE_UPSTREAM_KEY="sk-conformance-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
socket="$work/sidecar.sock"
"${daemon[@]}" \
  --Sidecar:Socket="$socket" --Sidecar:HealthPort=0 --Sidecar:HttpPort=0 \
  --Sidecar:Keys:fake:ApiKey=env:SIDECAR_CONFORMANCE_UPSTREAM_KEY \
  --Sidecar:Keys:fake:Endpoint="http://127.0.0.1:$fake_port/v1" \
  --Sidecar:Resilience:Retry:BaseDelay=00:00:00.010 --Sidecar:Resilience:Retry:MaxDelay=00:00:00.050 \
  --Sidecar:Resilience:Retry:MaxRetryAfter=00:00:01 \
  --Logging:Console:FormatterName=simple >"$work/daemon.log" 2>&1 &
daemon_pid=$!
wait_for -S "$socket" "the daemon" "$work/daemon.log"

export SIDECAR_SOCKET="$socket" SIDECAR_CONFORMANCE_REQUIRED=1
set +e
"$@"
rc=$?
set -e
if grep -q "$SIDECAR_CONFORMANCE_UPSTREAM_KEY" "$work/daemon.log"; then
  echo "with-daemon: the daemon's log contains the upstream key" >&2
  rc=1
fi
if [ "$rc" != 0 ] && [ "${SIDECAR_SHOW_DAEMON_LOG:-1}" = 1 ]; then
  echo "--- daemon log (last 40 lines) ---" >&2
  tail -n 40 "$work/daemon.log" >&2
fi
exit "$rc"
