#!/usr/bin/env bash
# Builds the four clients into installable artefacts, in one folder (default artifacts/clients):
#
#   sidecar-client-VERSION.tgz              Node: `npm pack` of clients/node
#   sidecar_client-VERSION-py3-none-any.whl Python: a wheel built offline (pip, no build isolation,
#                                           Debian's setuptools and wheel; nothing from PyPI)
#   Sidecar.Client.VERSION.nupkg            .NET: `dotnet pack` of clients/csharp/Sidecar.Client
#   sidecar-go-vVERSION.zip                 Go: the module sidecar.dev/sidecar in the module zip
#                                           layout (sidecar.dev/sidecar@vVERSION/...)
#
#   scripts/pack-clients.sh [OUT]
#
# How to install each one from outside the repository: the "Install" section of each client's
# README; tests/install/run.sh does exactly that in CI. Debian packages it needs (python3-pip,
# python3-setuptools, python3-wheel, zip) are installed with apt-get when missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/artifacts/clients}
mkdir -p "$out"
out=$(cd "$out" && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf 'pack-clients: %s\n' "$*" >&2; }

# shellcheck source=scripts/lib/debs.sh
source "$root/scripts/lib/debs.sh"
ensure_debs python3-pip python3-setuptools python3-wheel zip

work=$(mktemp -d /tmp/sidecar-pack.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Node: the tarball npm would publish (prepack copies the protos in).
log "npm pack clients/node"
(cd "$root/clients/node" && npm pack --silent --pack-destination "$out" >/dev/null)

# Python: built from a copy, so build/ and *.egg-info never land in the repository. No build
# isolation: the build backend is Debian's setuptools, and pip never reaches for an index.
log "wheel of clients/python"
mkdir "$work/python"
(cd "$root/clients/python" && git ls-files -z . | xargs -0 cp --parents -t "$work/python")
PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 /usr/bin/python3 -m pip wheel -q \
  --no-build-isolation --no-deps --no-index -w "$out" "$work/python"

# .NET: the package nuget.org would get.
log "dotnet pack clients/csharp/Sidecar.Client"
dotnet pack "$root/clients/csharp/Sidecar.Client/Sidecar.Client.csproj" -c Release --nologo -v q \
  -clp:ErrorsOnly -warnaserror -o "$out" >/dev/null

# Go: the module zip a proxy would serve, from the files git tracks (no vendor/).
go_version=v$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/clients/python/pyproject.toml")
module=$(sed -n 's/^module //p' "$root/clients/go/go.mod")
log "module zip of $module@$go_version"
prefix="$work/go/$module@$go_version"
mkdir -p "$prefix"
(cd "$root/clients/go" && git ls-files -z . | xargs -0 cp --parents -t "$prefix")
rm -f "$out/sidecar-go-$go_version.zip"
(cd "$work/go" && zip -q -r -X "$out/sidecar-go-$go_version.zip" "$module@$go_version")

log "done:"
ls -1 "$out" >&2
