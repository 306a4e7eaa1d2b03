#!/usr/bin/env bash
# Quick start: builds the daemon, starts it on a temporary socket with the built-in `echo` key
# ref (no secret, no network), streams one answer to stdout with the bundled C# example agent,
# then keeps the daemon running for your own calls until Ctrl+C.
#
#   ./demo.sh                         stream "Hello from your new sidecar" and keep running
#   ./demo.sh --once tell me a story  stream your prompt, then stop the daemon
set -euo pipefail
root=$(cd "$(dirname "$0")" && pwd)
cd "$root"
once=0
if [ "${1:-}" = "--once" ]; then once=1; shift; fi
prompt="${*:-Hello from your new sidecar}"

echo "building (Release)..." >&2
dotnet build -c Release --nologo -v q -clp:ErrorsOnly src/Sidecar/Sidecar.csproj >&2
dotnet build -c Release --nologo -v q -clp:ErrorsOnly clients/csharp/Sidecar.Client.Example >&2

work=$(mktemp -d /tmp/sidecar-demo.XXXXXX)
export SIDECAR_SOCKET="$work/sidecar.sock"
dotnet src/Sidecar/bin/Release/net10.0/Sidecar.dll --Sidecar:HealthPort=0 --Sidecar:HttpPort=0 \
  --Logging:Console:FormatterName=simple >"$work/daemon.log" 2>&1 &
daemon=$!
trap 'kill -TERM $daemon 2>/dev/null; wait $daemon 2>/dev/null; rm -rf "$work"' EXIT

# The example waits for the daemon's health on the socket (bounded), then streams.
dotnet clients/csharp/Sidecar.Client.Example/bin/Release/net10.0/Sidecar.Client.Example.dll "$prompt"

if [ "$once" = 1 ]; then exit 0; fi
cat >&2 <<EOT

The daemon is running on $SIDECAR_SOCKET (log: $work/daemon.log). Try, in another shell:
  SIDECAR_SOCKET=$SIDECAR_SOCKET dotnet clients/csharp/Sidecar.Client.Example/bin/Release/net10.0/Sidecar.Client.Example.dll your prompt
Press Ctrl+C to stop it.
EOT
wait $daemon
