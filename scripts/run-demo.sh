#!/usr/bin/env bash
# run-demo.sh - what `make run` runs: the demo park on an embedded SQLite
# file under var/, listening on 0.0.0.0:8080 (or $PARKLINE_LISTEN), with
# the demo accounts printed at start. Extra arguments go to `serve`.
#
# When mosquitto is installed the demo also has live production data: a
# private mosquitto on a free loopback port (config in var/mosquitto.conf),
# `serve --mqtt` ingesting from it, and `parkline simulate line` publishing
# the two demo lines once serve answers /readyz. serve stays in the
# foreground, so Ctrl-C stops it cleanly (it drains in-flight requests);
# the EXIT trap then stops the simulator and the broker. Without mosquitto
# it runs serve alone, as before. PARKLINE_DEMO_MQTT=0 skips the broker.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
listen="${PARKLINE_LISTEN:-0.0.0.0:8080}"
serve=(build/parkline serve --demo --listen "$listen"
  --db "${PARKLINE_DB:-var/parkline.db}"
  --web-root web/dist --openapi docs/api/openapi.yaml)

if [ "${PARKLINE_DEMO_MQTT:-1}" = 0 ] || ! command -v mosquitto >/dev/null; then
  exec "${serve[@]}" "$@"
fi

pids=()
cleanup() {
  # only what this script started, by pid
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# A loopback port the kernel picked (bind to 0); node is a dependency anyway.
mport=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
# `user root`: as root, mosquitto would otherwise drop to the mosquitto
# user, which may not be able to read var/; as another user it is ignored.
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nuser %s\n' \
  "$mport" "$(id -un)" > var/mosquitto.conf
mosquitto -c var/mosquitto.conf 2> var/mosquitto.log &
pids+=($!)
echo "run-demo: mosquitto on 127.0.0.1:$mport (log var/mosquitto.log)"

# The simulator starts once serve is ready, so the ingest has subscribed
# before the first NBIRTH (a bounded poll of /readyz, at most 60 s).
(
  port="${listen##*:}"
  for _ in $(seq 600); do
    if curl -fs -o /dev/null "http://127.0.0.1:$port/readyz"; then
      exec build/parkline simulate line --mqtt "mqtt://127.0.0.1:$mport" --lines 2 --rate 1
    fi
    sleep 0.1
  done
  echo "run-demo: serve not ready after 60 s; no simulated lines" >&2
) &
pids+=($!)

"${serve[@]}" --mqtt "mqtt://127.0.0.1:$mport" "$@"
