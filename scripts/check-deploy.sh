#!/usr/bin/env bash
# Validates the deployment artefacts: deploy/kubernetes/*.yaml (Kubernetes schema, unknown
# fields, what the example promises), the configuration names they use against the daemon's
# options classes (src/Sidecar/Configuration), the Dockerfile (same publish command as
# scripts/publish.sh, entrypoint, socket, ports, user; dockerfilelint) and .dockerignore.
# Then it breaks copies of those files in known ways and expects each break to be caught.
#
#   scripts/check-deploy.sh [-q] [--smoke [PUBLISH_DIR]]
#     -q       print failures and the summary only
#     --smoke  also run the daemon published in PUBLISH_DIR (default artifacts/publish, made by
#              scripts/publish.sh) the way the example pod runs it: env, args and mounts from
#              the manifests, ports on 127.0.0.1; probes, /metrics, one echo call, SIGTERM.
#
# Needs node and npm (installed with apt-get when missing; packages from deploy/check/package-lock.json,
# installed on first run).
# Last line: `deploy: N passed, M failed`; exit code 1 on any failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
check_dir=deploy/check

# shellcheck source=scripts/lib/debs.sh
source scripts/lib/debs.sh
ensure_command node nodejs
ensure_command npm npm

# Install once per lock file: the stamp is the lock file the last install used.
stamp="$check_dir/node_modules/.installed-from-package-lock.json"
if ! cmp -s "$check_dir/package-lock.json" "$stamp" 2>/dev/null; then
  echo "check-deploy: npm ci in $check_dir"
  (cd "$check_dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$check_dir/package-lock.json" "$stamp"
fi

args=()
while (($#)); do
  case "$1" in
    --smoke)
      if [[ $# -gt 1 && "$2" != -* ]]; then args+=(--smoke "$2"); shift; else args+=(--smoke artifacts/publish); fi ;;
    *) args+=("$1") ;;
  esac
  shift
done

exec node "$check_dir/validate.mjs" "${args[@]}"
