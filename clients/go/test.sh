#!/usr/bin/env bash
# Builds and tests the Go client offline, against Debian's Go packages.
#
#   clients/go/test.sh                 vet + unit tests (conformance skips without a daemon)
#   tests/conformance/with-daemon.sh clients/go/test.sh
#                                      the same plus every case of tests/conformance/cases.json
#                                      against a live daemon ($SIDECAR_SOCKET), and the example
#                                      agent cmd/agent
#
# Extra arguments go to `go test` (e.g. -run Conformance -v).
#
# There is no module proxy here: vendor/ (gitignored) is a set of symlinks into the Debian
# sources under /usr/share/gocode/src plus a vendor/modules.txt naming the modules of go.mod,
# and everything runs with GOFLAGS=-mod=vendor GOPROXY=off.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

log() { printf 'clients/go/test.sh: %s\n' "$*" >&2; }

# --- Debian packages -------------------------------------------------------------------------
# golang-github-golang-protobuf-1-5-dev must be named: apt otherwise resolves the virtual
# golang-github-golang-protobuf-dev to 1.3.5, which compiles but panics at the first call.
# shellcheck source=scripts/lib/debs.sh
source "$HERE/../../scripts/lib/debs.sh"
ensure_debs golang-go golang-google-grpc-dev golang-google-protobuf-dev \
  golang-github-golang-protobuf-1-5-dev golang-google-genproto-dev

# --- vendor/ ---------------------------------------------------------------------------------
GOCODE=/usr/share/gocode/src
rm -rf vendor
mkdir vendor
for top in github.com golang.org google.golang.org; do
  ln -s "$GOCODE/$top" "vendor/$top"
done
# Every `require` of go.mod, as `go mod vendor` would list it (packages need not be listed).
awk '
  /^require \(/ { inreq = 1; next }
  inreq && /^\)/ { inreq = 0; next }
  inreq && NF >= 2 { printf "# %s %s\n## explicit\n", $1, $2 }
  /^require [^(]/ { printf "# %s %s\n## explicit\n", $2, $3 }
' go.mod >vendor/modules.txt

export GOFLAGS=-mod=vendor GOPROXY=off GO111MODULE=on GOTOOLCHAIN=local
# Keep Go's caches out of the repo but reusable between runs.
export GOCACHE="${GOCACHE:-$(go env GOCACHE)}"

log "go vet ./..."
go vet ./...
log "go test ./... $*"
go test "$@" ./...

# The four-task example agent (cmd/agent), against the live daemon when there is one.
if [ -n "${SIDECAR_SOCKET:-}" ]; then
  log "go run ./cmd/agent"
  go run ./cmd/agent
fi
