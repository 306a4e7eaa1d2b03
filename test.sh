#!/usr/bin/env bash
# Runs every test of the repository from a fresh clone, installing what they need:
# Debian packages (Go, Python gRPC, protoc) with apt-get when missing, npm packages from the
# lock files, NuGet packages by restore. Prints one summary line per suite and exits non-zero
# when any suite fails.
#
#   ./test.sh            everything (what CI runs)
#   ./test.sh dotnet     only the suites whose name contains "dotnet" (any substring works)
#
# The daemon that ships is the Native AOT binary (scripts/publish.sh → artifacts/publish/Sidecar):
# the suites named aot-* run against it (SIDECAR_DAEMON), the unit and in-process functional tests
# against the JIT build. Any selected aot-* suite publishes the binary first.
set -uo pipefail
root=$(cd "$(dirname "$0")" && pwd)
cd "$root"
filter="${1:-}"
logs="$root/artifacts/test-logs"
rm -rf "$logs"
mkdir -p "$logs"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
started=$(date +%s)

results=()
failed=0
passed=0

# selected NAME: the filter selects this suite.
selected() { [ -z "$filter" ] || [[ "$1" == *"$filter"* ]]; }

# run_suite NAME COMMAND...: runs the command with its output in artifacts/test-logs/NAME.log,
# prints one line with the verdict, the time and the suite's own closing line.
run_suite() {
  local name=$1
  shift
  selected "$name" || [[ "$name" == aot-publish && "$aot_wanted" == 1 ]] || return 0
  local log="$logs/$name.log" t0 rc summary
  t0=$(date +%s)
  echo "=== $name: $*"
  "$@" >"$log" 2>&1
  rc=$?
  summary=$(grep -E "Passed!|Failed!|^(ok|FAIL|PASS)\b|[0-9]+ passed|^# (pass|fail) |: [0-9]+ passed, [0-9]+ failed|OK —|OK:" "$log" \
    | sed -E 's/^[[:space:]]+//' | tail -n 3 | paste -sd ';' -)
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1))
    results+=("PASS  $name ($(( $(date +%s) - t0 ))s) ${summary}")
  else
    failed=$((failed + 1))
    results+=("FAIL  $name ($(( $(date +%s) - t0 ))s, exit $rc) ${summary}")
    echo "--- $name failed; last 60 lines of $log:"
    tail -n 60 "$log"
  fi
  echo "${results[-1]}"
}

# The Debian packages the suites need, installed up front by the setup-debian-packages suite (with
# scripts/lib/debs.sh, the one apt-get bootstrap; each script installs its own too when run alone).
# A suite that needs another package: add it here, and ensure_debs it in the suite's own script.
debian_packages=(
  golang-go golang-google-grpc-dev golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev
  golang-google-genproto-dev                                       # client-go, client-install, the bench floor
  protoc-gen-go protoc-gen-go-grpc protobuf-compiler protobuf-compiler-grpc libprotobuf-dev # proto-stubs-fresh
  python3-grpcio python3-protobuf python3-pytest python3-mypy python3-httpx
  python3-venv python3-pip python3-setuptools python3-wheel         # client-python, openai-sdks, client-install
  zip unzip curl                                                    # client-install, reflection
  zlib1g-dev                                                        # aot-publish (Native AOT links zlib)
  redis-server                                                      # dotnet-redis, bench/redis-ab.sh
)

install_debian_packages() {
  # shellcheck source=scripts/lib/debs.sh
  source "$root/scripts/lib/debs.sh"
  ensure_debs "${debian_packages[@]}" || return 1
  # Native AOT links with clang; any installed clang-N will do (the SDK finds clang-N too).
  compgen -c clang | grep -qE '^clang(-[0-9]+)?$' || ensure_debs clang || return 1
  # Node (proto-lint, client-node, deploy-check) may come from Debian or from elsewhere (NodeSource).
  ensure_command node nodejs || return 1
  ensure_command npm npm || return 1
  echo "debian packages: all present"
}

proto_lint() {
  (cd tools && npm ci --no-audit --no-fund --loglevel=error) || return 1
  (cd protos && ../tools/node_modules/.bin/buf lint && ../tools/node_modules/.bin/buf format --diff --exit-code) || return 1
  echo "buf: lint OK: 1 passed, 0 failed"
}

dotnet_build() {
  dotnet build Sidecar.sln -c Release --nologo -clp:ErrorsOnly -warnaserror
}

dotnet_test() {
  dotnet test "$@" -c Release --no-build --nologo
}

# The Native AOT binary scripts/publish.sh makes (the aot-publish suite).
aot_binary="$root/artifacts/publish/Sidecar"

aot_publish() {
  rm -rf artifacts/publish
  scripts/publish.sh artifacts/publish
}

# aot_suite COMMAND...: the command with SIDECAR_DAEMON set to the AOT binary (what with-daemon.sh and
# the functional tests' SidecarProcess start instead of the JIT Sidecar.dll).
aot_suite() {
  if [ ! -x "$aot_binary" ]; then
    echo "$aot_binary is missing: the aot-publish suite failed or did not run"
    return 1
  fi
  (export SIDECAR_DAEMON="$aot_binary" && "$@")
}

client_suite() {
  aot_suite env SIDECAR_SKIP_BUILD=1 tests/conformance/with-daemon.sh "$@"
}

# The functional tests that start the daemon as a process (signals, refused starts, bad configuration,
# unsafe socket folders, hostile bytes on the socket): the AOT binary's. Every other functional test
# hosts the JIT daemon in the test process (the in-depth hostile-input suite included: its fixture
# inspects the in-process daemon's log sink).
process_tests="FullyQualifiedName~Sidecar.FunctionalTests.ProcessShutdownTests|FullyQualifiedName~Sidecar.FunctionalTests.HostileInputTests.Start_|FullyQualifiedName~Sidecar.FunctionalTests.HostileSocketProcessTests"
in_process_tests="FullyQualifiedName!~Sidecar.FunctionalTests.ProcessShutdownTests&FullyQualifiedName!~Sidecar.FunctionalTests.HostileInputTests.Start_&FullyQualifiedName!~Sidecar.FunctionalTests.HostileSocketProcessTests&FullyQualifiedName!~Sidecar.FunctionalTests.Redis."

# Shared limits, budgets and the response cache against a real redis-server (Debian's), which the tests
# start, kill and restart themselves on free loopback ports.
redis_tests="FullyQualifiedName~Sidecar.FunctionalTests.Redis."
redis_suite() {
  # shellcheck source=scripts/lib/debs.sh
  source "$root/scripts/lib/debs.sh"
  ensure_command redis-server redis-server || return 1
  dotnet_test tests/Sidecar.FunctionalTests/Sidecar.FunctionalTests.csproj --filter "$redis_tests"
}

bench_smoke() {
  if [ ! -x bench/run.sh ]; then
    echo "bench/run.sh is missing"
    return 1
  fi
  bench/run.sh --smoke
}

aot_suites=(aot-functional-process aot-reflection aot-client-csharp aot-client-go aot-client-python aot-client-node aot-openai-sdks aot-client-install deploy-check)
aot_wanted=0
for s in "${aot_suites[@]}"; do selected "$s" && aot_wanted=1; done

run_suite setup-debian-packages install_debian_packages
run_suite proto-lint proto_lint
run_suite proto-stubs-fresh scripts/check-stubs.sh
run_suite dotnet-build dotnet_build
run_suite aot-publish aot_publish
run_suite dotnet-unit dotnet_test tests/Sidecar.Tests/Sidecar.Tests.csproj
run_suite dotnet-functional dotnet_test tests/Sidecar.FunctionalTests/Sidecar.FunctionalTests.csproj --filter "$in_process_tests"
run_suite dotnet-redis redis_suite
run_suite aot-functional-process aot_suite dotnet_test tests/Sidecar.FunctionalTests/Sidecar.FunctionalTests.csproj --filter "$process_tests"
run_suite aot-reflection client_suite tests/conformance/buf-curl.sh
run_suite aot-client-csharp client_suite dotnet test clients/csharp/Sidecar.Client.Tests/Sidecar.Client.Tests.csproj -c Release --no-build --nologo
run_suite aot-client-go client_suite clients/go/test.sh
run_suite aot-client-python client_suite clients/python/test.sh
run_suite aot-client-node client_suite clients/node/test.sh
run_suite aot-openai-sdks client_suite tests/openai-http/run.sh
run_suite aot-client-install aot_suite env SIDECAR_SKIP_BUILD=1 tests/install/run.sh
run_suite deploy-check scripts/check-deploy.sh -q --smoke artifacts/publish
run_suite bench-smoke bench_smoke

echo
echo "=== summary ($(( $(date +%s) - started ))s; logs in artifacts/test-logs)"
printf '%s\n' "${results[@]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
