#!/usr/bin/env bash
# Publishes the daemon as a framework-dependent Sidecar.dll (what the container image runs).
#
#   scripts/publish.sh [OUTPUT_DIR]      default: artifacts/publish
#
# KEEP IN SYNC: the Dockerfile's build stage runs this same `dotnet publish` command, with
# /app as the output folder; scripts/check-deploy.sh fails if the two differ.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="${1:-artifacts/publish}"

dotnet publish src/Sidecar/Sidecar.csproj -c Release -o "$out" --no-self-contained -p:UseAppHost=false

test -f "$out/Sidecar.dll" || { echo "publish: $out/Sidecar.dll was not produced" >&2; exit 1; }
size="$(du -sh "$out" | cut -f1)"
files="$(find "$out" -type f | wc -l)"
echo "publish: $out $size in $files files (the image adds the aspnet:10.0-noble-chiseled base, ~110 MB)"
