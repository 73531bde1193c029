#!/usr/bin/env bash
# Installs the Debian packages kubesim needs, as listed in scripts/deps.txt.
# Idempotent: when every package is present it only checks and exits (well under a second).
# Usage: scripts/install-deps.sh [--peers]   (--peers adds the peer-benchmark packages)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
groups="core"
for arg in "$@"; do
  case "$arg" in
    --peers) groups="core peers" ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

wanted=()
while read -r pkg group _; do
  case "$pkg" in ''|'#'*) continue ;; esac
  for g in $groups; do [ "$group" = "$g" ] && wanted+=("$pkg"); done
done < "$here/deps.txt"

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# Refresh package lists only when apt has never fetched them (a fresh container) or the
# install fails because they are stale.
if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then $sudo apt-get update -q; fi
if ! $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"; then
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
