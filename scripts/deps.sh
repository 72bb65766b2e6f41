#!/usr/bin/env bash
# deps.sh - install the Debian packages Parkline needs, only those missing,
# then the web UI's npm packages. Quiet when everything is present. Runs as
# root on a fresh Debian 12 (it uses apt-get directly); as another user it
# only reports what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(
  build-essential pkg-config git ca-certificates curl
  libjansson-dev libmicrohttpd-dev libsodium-dev libsqlite3-dev sqlite3
  libpq-dev postgresql libcriterion-dev
  libspng-dev libturbojpeg0-dev libpng-dev libssl-dev libxml2-dev
  protobuf-c-compiler libprotobuf-c-dev
  libmosquitto-dev mosquitto mosquitto-clients
  libcurl4-openssl-dev
  libaravis-dev libusb-1.0-0-dev
  clang libclang-rt-14-dev valgrind wrk nginx-light chromium fonts-noto-cjk cppcheck
  procps psmisc
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js and npm: any install will do (Debian's, or one already on PATH).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "deps.sh: missing packages (run as root to install): ${missing[*]}" >&2
    exit 1
  fi
  echo "deps.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages for the web UI, when the lock file changed since last time.
if [ -f web/package-lock.json ]; then
  stamp=web/node_modules/.parkline-lock
  if [ ! -f "$stamp" ] || ! cmp -s web/package-lock.json "$stamp"; then
    echo "deps.sh: npm ci in web/"
    (cd web && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    cp web/package-lock.json "$stamp"
  fi
fi
