#!/usr/bin/env bash
# Publishes the shipped daemon: a self-contained Native AOT binary for linux-x64, `Sidecar`, with
# its appsettings.json beside it (no .NET runtime needed where it runs). Warnings are errors, so a
# trim or AOT warning fails the publish. Needs clang and zlib1g-dev (./test.sh installs them).
#
#   scripts/publish.sh [OUTPUT_DIR]      default: artifacts/publish
#
# KEEP IN SYNC: the Dockerfile's build stage runs this same `dotnet publish` command, with
# /app as the output folder; scripts/check-deploy.sh fails if the two differ.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="${1:-artifacts/publish}"

dotnet publish src/Sidecar/Sidecar.csproj -c Release -r linux-x64 -o "$out" -p:PublishAot=true -p:StripSymbols=true -warnaserror

test -x "$out/Sidecar" || { echo "publish: $out/Sidecar was not produced" >&2; exit 1; }
# Sidecar.dbg (the stripped symbols) stays here for symbolising a crash; the image leaves it out.
binary="$(du -k "$out/Sidecar" | cut -f1)"
echo "publish: $out/Sidecar $((binary / 1024)) MB, Native AOT (the image adds it and appsettings.json to the runtime-deps:10.0-noble-chiseled base, ~13 MB)"
