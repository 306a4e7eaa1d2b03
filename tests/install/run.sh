#!/usr/bin/env bash
# Installs each client from its packed artefact into a fresh project OUTSIDE the repository, the
# way the client's README ("Install") says, and runs a small agent there (tests/install/agents/:
# a unary call, a stream, a tool round trip, an error with its reason) against a live daemon.
#
#   tests/install/run.sh                 go python node csharp csharp-net8
#   tests/install/run.sh python node     some of them
#
# csharp-net8 is the C# agent in a net8.0 (LTS) project, run on the installed runtime with
# DOTNET_ROLL_FORWARD=Major when no 8.0 runtime is there.
#
# Packs with scripts/pack-clients.sh (or takes the artefacts already in $SIDECAR_INSTALL_ARTEFACTS), starts the daemon with tests/conformance/with-daemon.sh
# (SIDECAR_SKIP_BUILD=1 skips its build), prints one line per language and a closing
# "install: N passed, M failed". Needs the npm registry and nuget.org (dependencies of the
# tarball and of the nupkg); the Go and Python installs are offline (Debian packages).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/tests/install"

if [ "${1:-}" != --agents ]; then
  langs=("$@")
  [ ${#langs[@]} -gt 0 ] || langs=(go python node csharp csharp-net8)
  # What the installs need from Debian (scripts/pack-clients.sh installs what packing needs).
  # shellcheck source=scripts/lib/debs.sh
  source "$root/scripts/lib/debs.sh"
  ensure_debs python3-venv python3-grpcio python3-protobuf unzip golang-go golang-google-grpc-dev \
    golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev golang-google-genproto-dev
  work=$(mktemp -d /tmp/sidecar-install.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  if [ -n "${SIDECAR_INSTALL_ARTEFACTS:-}" ]; then
    cp -r "$SIDECAR_INSTALL_ARTEFACTS" "$work/artefacts"
  else
    t0=$(date +%s)
    "$root/scripts/pack-clients.sh" "$work/artefacts"
    echo "packed in $(( $(date +%s) - t0 ))s"
  fi
  exec "$root/tests/conformance/with-daemon.sh" "$here/run.sh" --agents "$work" "${langs[@]}"
fi

# --- under with-daemon.sh: SIDECAR_SOCKET is the live daemon ----------------------------------
shift
work=$1
shift
artefacts="$work/artefacts"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Each install_LANG DIR installs the client into the fresh project DIR and copies the agent in;
# run_LANG DIR runs it. Both run with DIR as the working directory.

install_python() {
  # PEP 668: never into the system interpreter. A venv that sees Debian's grpcio and protobuf.
  /usr/bin/python3 -m venv --system-site-packages .venv
  .venv/bin/pip install -q --no-index --no-deps --disable-pip-version-check "$artefacts"/sidecar_client-*.whl
  cp "$here/agents/python/agent.py" .
}
run_python() { .venv/bin/python agent.py; }

install_node() {
  npm init -y >/dev/null
  npm install --no-audit --no-fund --loglevel=error "$artefacts"/sidecar-client-*.tgz
  cp "$here/agents/node/agent.mjs" .
}
run_node() { node agent.mjs; }

install_csharp() {
  local tfm=${1:-net10.0}
  cat >Agent.csproj <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>$tfm</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
  </PropertyGroup>
</Project>
XML
  # The folder of .nupkg files as a package source; only Sidecar.* comes from it.
  cat >nuget.config <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="sidecar" value="$artefacts" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="sidecar"><package pattern="Sidecar.*" /></packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
XML
  # A packages folder of its own: the global one may hold an older build of the same version.
  export NUGET_PACKAGES="$PWD/.nuget-packages"
  dotnet add package Sidecar.Client --version "$(ls "$artefacts" | sed -n 's/^Sidecar\.Client\.\(.*\)\.nupkg$/\1/p')"
  cp "$here/agents/csharp/Program.cs" .
  dotnet build -c Release --nologo -v q -clp:ErrorsOnly -warnaserror
}
run_csharp() { dotnet bin/Release/net10.0/Agent.dll; }
install_csharp-net8() { install_csharp net8.0; }
run_csharp-net8() {
  if ! dotnet --list-runtimes | grep -q '^Microsoft.NETCore.App 8\.'; then export DOTNET_ROLL_FORWARD=Major; fi
  dotnet bin/Release/net8.0/Agent.dll
}

install_go() {
  # No module proxy: the module zip is unzipped beside the project and named by a replace; its
  # dependencies are Debian's sources, vendored by symlinks (as clients/go/test.sh does).
  unzip -q "$artefacts"/sidecar-go-v*.zip -d third_party
  local dir version
  dir=$(cd third_party/sidecar.dev && ls -d sidecar@v*)
  version=${dir#sidecar@}
  {
    echo "module example.com/agent"
    echo
    echo "go 1.19"
    echo
    echo "require sidecar.dev/sidecar $version"
    echo
    echo "replace sidecar.dev/sidecar => ./third_party/sidecar.dev/$dir"
    echo
    # The module's own requirements, which a go.mod at go >= 1.17 lists too.
    sed -n '/^require (/,/^)/p' "third_party/sidecar.dev/$dir/go.mod"
  } >go.mod
  mkdir -p vendor/sidecar.dev
  ln -s "../../third_party/sidecar.dev/$dir" vendor/sidecar.dev/sidecar
  for top in github.com golang.org google.golang.org; do ln -s "/usr/share/gocode/src/$top" "vendor/$top"; done
  {
    printf '# sidecar.dev/sidecar %s => ./third_party/sidecar.dev/%s\n## explicit\n' "$version" "$dir"
    awk '/^require \(/ { r = 1; next } r && /^\)/ { r = 0; next } r && NF >= 2 { printf "# %s %s\n## explicit\n", $1, $2 }' \
      "third_party/sidecar.dev/$dir/go.mod"
    printf '# sidecar.dev/sidecar => ./third_party/sidecar.dev/%s\n' "$dir"
  } >vendor/modules.txt
  cp "$here/agents/go/main.go" .
  # -trimpath: the build cache then serves the Debian sources across fresh project folders.
  GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local go build -trimpath -o agent .
}
run_go() { ./agent; }

passed=0
failed=0
for lang in "$@"; do
  project=$(mktemp -d "/tmp/sidecar-agent-$lang.XXXXXX")
  t0=$(date +%s)
  # Not in an `if`: there bash would ignore `set -e` inside the install function.
  set +e
  (set -e; cd "$project"; "install_$lang") >"$work/install-$lang.log" 2>&1
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    echo "FAIL  install-$lang: the install failed; its log:"
    cat "$work/install-$lang.log"
    failed=$((failed + 1))
    rm -rf "$project"
    continue
  fi
  t1=$(date +%s)
  if (cd "$project" && "run_$lang") >"$work/agent-$lang.out" 2>"$work/agent-$lang.err" \
     && diff -u "$here/agents/expected.txt" "$work/agent-$lang.out" >"$work/agent-$lang.diff"; then
    echo "PASS  install-$lang (install $((t1 - t0))s, agent $(( $(date +%s) - t1 ))s)"
    passed=$((passed + 1))
  else
    echo "FAIL  install-$lang: the agent's output differs from tests/install/agents/expected.txt"
    cat "$work/agent-$lang.diff" "$work/agent-$lang.err"
    failed=$((failed + 1))
  fi
  rm -rf "$project"
done
echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
