# shellcheck shell=bash
# The one apt-get bootstrap of the repository: every script that needs a Debian package sources
# this file and names what it needs, so a fresh CI machine installs it on first use.
#
#   source "$root/scripts/lib/debs.sh"
#   ensure_debs golang-go protobuf-compiler      install the packages not installed yet
#   ensure_command protoc protobuf-compiler      install the packages when the command is missing
#                                                (for tools that may come from elsewhere, e.g. node)
#
# apt-get update runs once per script run, and only when something is missing; root installs
# directly, anyone else through sudo. A package that cannot be installed stops the script.

_debs_updated=0

# _debs_log MESSAGE: on stderr, prefixed with the name of the script that sourced this file.
_debs_log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }

# ensure_debs PACKAGE...: apt-get install those of PACKAGE... that dpkg does not list as installed.
ensure_debs() {
  local missing=() p
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { _debs_log "need root (or sudo) to install: ${missing[*]}"; return 1; }
    sudo=(sudo)
  fi
  _debs_log "installing Debian packages: ${missing[*]}"
  if [ "$_debs_updated" -eq 0 ]; then
    "${sudo[@]}" apt-get update -qq || return 1
    _debs_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# ensure_command COMMAND PACKAGE...: when COMMAND is not on PATH, install PACKAGE... and check again.
ensure_command() {
  local cmd=$1
  shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  ensure_debs "$@" || return 1
  command -v "$cmd" >/dev/null 2>&1 || { _debs_log "'$cmd' still missing after installing $*"; return 1; }
}
