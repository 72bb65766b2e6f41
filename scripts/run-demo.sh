#!/usr/bin/env bash
# run-demo.sh - what `make run` runs: the demo park on an embedded SQLite
# file under var/, listening on 0.0.0.0:8080 (or $PARKLINE_LISTEN), with
# the demo accounts printed at start. Ctrl-C stops it cleanly (the daemon
# drains in-flight requests and exits 0). Extra arguments go to `serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
exec build/parkline serve --demo \
  --listen "${PARKLINE_LISTEN:-0.0.0.0:8080}" \
  --db "${PARKLINE_DB:-var/parkline.db}" \
  --web-root web/dist --openapi docs/api/openapi.yaml "$@"
