#!/usr/bin/env bash
# web-build.sh - builds the web UI into web/dist, only when its inputs
# changed. `make web`, `make run` and the browser test step call it.
#
# Inputs are web/src, web/public, web/index.html, web/vite.config.js,
# web/package.json and web/package-lock.json; their SHA-256 fingerprint is
# kept next to the npm packages (web/node_modules/.parkline-dist), not in
# dist/, because the daemon serves everything in dist/. npm packages are (re)installed with
# `npm ci` when the lock file changed, as scripts/deps.sh does. A lock
# (flock) keeps two concurrent callers from building over each other.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npm >/dev/null 2>&1; then
  echo "web-build.sh: npm is missing; run scripts/deps.sh (as root) first" >&2
  exit 1
fi
[ -d web/node_modules ] || mkdir -p web/node_modules
exec 9>web/node_modules/.parkline-build.lock
flock 9

stamp=web/node_modules/.parkline-lock
if [ ! -f "$stamp" ] || ! cmp -s web/package-lock.json "$stamp"; then
  echo "web-build.sh: npm ci in web/"
  (cd web && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp web/package-lock.json "$stamp"
fi

sum=$(cd web && find src public index.html vite.config.js package.json package-lock.json ../data/calendar -type f -print0 |
      LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
dist_stamp=web/node_modules/.parkline-dist
if [ -f web/dist/index.html ] && [ "$(cat "$dist_stamp" 2>/dev/null)" = "$sum" ]; then
  exit 0
fi

echo "web-build.sh: building web/dist"
log=$(mktemp)
if ! (cd web && npm run --silent build -- --logLevel warn) >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "web-build.sh: build failed" >&2
  exit 1
fi
rm -f "$log"
echo "$sum" >"$dist_stamp"
