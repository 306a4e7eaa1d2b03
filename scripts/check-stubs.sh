#!/usr/bin/env bash
# Fails when the committed client stubs are not what scripts/generate-stubs.sh produces from
# protos/ — a changed, missing (deleted) or extra (untracked) generated file all count.
#
#   scripts/check-stubs.sh            check every language
#   scripts/check-stubs.sh go python  check only those
#
# It regenerates in place (installing protoc and plugins with apt-get when missing), so run it
# on a clean checkout; on failure the working tree holds the fresh stubs, ready to commit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

command -v git >/dev/null 2>&1 || { echo "check-stubs: git is required" >&2; exit 1; }

scripts/generate-stubs.sh "$@"

mapfile -t paths < <(scripts/generate-stubs.sh --print-paths)

# Modified or deleted tracked files, and untracked files (ignored ones excluded), under the
# generated paths only, so unrelated work in progress elsewhere does not matter.
changes="$(git status --porcelain --untracked-files=all -- "${paths[@]}")"
if [ -n "$changes" ]; then
  {
    echo "check-stubs: FAIL — the committed stubs are stale (protos/ changed, or a tool version differs)."
    echo "These generated files differ from what scripts/generate-stubs.sh writes:"
    echo "$changes" | sed 's/^/  /'
    echo "Fix: run scripts/generate-stubs.sh and commit the result."
  } >&2
  git --no-pager diff --stat -- "${paths[@]}" >&2 || true
  exit 1
fi
echo "check-stubs: OK — generated stubs are up to date (${paths[*]})"
