#!/usr/bin/env bash
# Builds the bench's floor reference (main.go) offline against Debian's Go packages, as
# clients/go/test.sh does: vendor/ (gitignored) links into /usr/share/gocode/src, plus this
# repository's clients/go as sidecar.dev/sidecar (its generated sidecarv1 package).
#
#   bench/floor/build.sh OUTPUT   writes the binary to OUTPUT; exits 3 when Go or Debian's grpc
#                                 sources are missing (the bench then runs without the floor)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$(realpath -m "${1:?usage: build.sh OUTPUT}")"
gocode=/usr/share/gocode/src
if ! command -v go >/dev/null 2>&1 || [ ! -d "$gocode/google.golang.org/grpc/health" ]; then
  echo "floor: Go or Debian's golang-google-grpc-dev is missing (clients/go/test.sh installs them)" >&2
  exit 3
fi

cd "$here"
rm -rf vendor
mkdir -p vendor/sidecar.dev
for top in github.com golang.org google.golang.org; do
  ln -s "$gocode/$top" "vendor/$top"
done
ln -s ../../../../clients/go vendor/sidecar.dev/sidecar
awk '
  /^require \(/ { inreq = 1; next }
  inreq && /^\)/ { inreq = 0; next }
  inreq && NF >= 2 { printf "# %s %s\n## explicit\n", $1, $2 }
' go.mod >vendor/modules.txt

export GOFLAGS=-mod=vendor GOPROXY=off GO111MODULE=on GOTOOLCHAIN=local
export GOCACHE="${GOCACHE:-$(go env GOCACHE)}"
go build -o "$out" .
