#!/usr/bin/env bash
# run-demo.sh - what `make run` runs: the demo park on an embedded SQLite
# file under var/, listening on 0.0.0.0:8080 (or $PARKLINE_LISTEN), with
# the demo accounts printed at start (serve --demo prints one per person
# role; this script adds a device token). Extra arguments go to `serve`.
#
# Everything is alive within a minute of start (tests/steps/90-demo.sh
# checks it):
# - production lines: when mosquitto is installed, a private mosquitto on a
#   free loopback port (config in VAR/mosquitto.conf), `serve --mqtt`
#   ingesting from it and `parkline simulate line --mqtt` publishing the two
#   demo lines as Sparkplug B. Without mosquitto (or PARKLINE_DEMO_MQTT=0)
#   the control room stays live through HTTP batch ingest instead: one
#   device token per line is minted with `parkline admin token add --line
#   ID` (the ids read from /api/v1/lines as admin) into VAR/line-tokens, and
#   `parkline simulate line --http URL --token-file VAR/line-tokens` posts
#   each second's values to POST /api/v1/lines/{id}/ingest.
# - the service desk: `parkline simulate desk` drives the HTTP API as the
#   demo accounts (ent1/ent2 raise and rate requests, specialist1/2 work
#   them, admin assigns replacements), 12 actions a minute, log in
#   VAR/simulate-desk.log. PARKLINE_DEMO_DESK=0 skips it.
# - the line-side inspection node (PARKLINE_DEMO_VISION=0 skips it): a loop
#   renders one vial at a time with `parkline simulate vials` (8 cameras,
#   512x768, 20 % defects, about one vial every 1.5 s) and renames it into
#   VAR/vision/inbox; `parkline inspect run` inspects it, keeps reject
#   images in VAR/vision/out/rejects and reports each verdict to serve as an
#   EPCIS event through the spool in VAR/vision/spool, with a device token
#   minted at start; `simulate line --vision` feeds the node's counters to
#   fill-1 (the pharma filling line).
# The simulators and the node start once serve answers /readyz (a bounded
# poll). VAR is $PARKLINE_VAR (default var/), the database
# $PARKLINE_DB (default VAR/parkline.db).
#
# Stopping: Ctrl-C or SIGTERM to this script. serve runs in the background
# and the script waits for it, so a signal reaches the trap at once; the
# EXIT trap then stops, by pid and in this order, the simulators and the
# node, serve (which drains in-flight requests) and last the broker.
set -euo pipefail
cd "$(dirname "$0")/.."
var="${PARKLINE_VAR:-var}"
mkdir -p "$var"
listen="${PARKLINE_LISTEN:-0.0.0.0:8080}"
port="${listen##*:}"
url="http://127.0.0.1:$port"
db="${PARKLINE_DB:-$var/parkline.db}"
serve=(build/parkline serve --demo --listen "$listen" --db "$db"
  --web-root web/dist --openapi docs/api/openapi.yaml)
# The demo accounts' passwords are public, so their Argon2id hashes use the
# interactive cost (64 MiB) rather than serve's default moderate (256 MiB):
# seeding hashes seven accounts and each login verifies one, and at
# moderate cost that alone took 20-40 s of a busy 2-core machine's first
# minute. PARKLINE_HASH_COST=moderate restores it.
export PARKLINE_HASH_COST="${PARKLINE_HASH_COST:-interactive}"
mqtt=1
if [ "${PARKLINE_DEMO_MQTT:-1}" = 0 ] || ! command -v mosquitto >/dev/null; then mqtt=0; fi

pids=()      # simulators and the node: stopped first
serve_pid=
broker_pid=
stop() { # pids...: SIGTERM each, then reap each
  for p in "$@"; do kill "$p" 2>/dev/null || true; done
  for p in "$@"; do wait "$p" 2>/dev/null || true; done
}
cleanup() {
  # only what this script started, by pid
  trap '' TERM INT
  [ ${#pids[@]} = 0 ] || stop "${pids[@]}"
  [ -z "$serve_pid" ] || stop "$serve_pid"
  [ -z "$broker_pid" ] || stop "$broker_pid"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# Waits for serve's /readyz, at most 120 s (seeding the demo park takes
# 10-20 s on a busy 2-core machine). 1 if it never answered.
ready() {
  for _ in $(seq 480); do
    curl -fs -o /dev/null "$url/readyz" && return 0
    sleep 0.25
  done
  echo "run-demo: serve not ready after 120 s" >&2
  return 1
}

if [ "$mqtt" = 1 ]; then
  # A loopback port the kernel picked (bind to 0); node is a dependency anyway.
  mport=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  # `user root`: as root, mosquitto would otherwise drop to the mosquitto
  # user, which may not be able to read VAR/; as another user it is ignored.
  # `persistence true`: the QoS 1 messages queued for serve's persistent
  # session survive a broker restart (docs/line.md, "QoS 1 and
  # 'acknowledged only after commit'"); saved in VAR/mosquitto.db when
  # mosquitto stops and every 60 s.
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location %s/\nautosave_interval 60\nuser %s\n' \
    "$mport" "$(cd "$var" && pwd)" "$(id -un)" > "$var/mosquitto.conf"
  mosquitto -c "$var/mosquitto.conf" 2> "$var/mosquitto.log" &
  broker_pid=$!
  echo "run-demo: mosquitto on 127.0.0.1:$mport (log $var/mosquitto.log)"
  serve+=(--mqtt "mqtt://127.0.0.1:$mport")
fi

vision=()
[ "${PARKLINE_DEMO_VISION:-1}" = 0 ] || vision=(--vision "$var/vision/spool/status.json")

# The lines, once serve is ready (with MQTT: the ingest has subscribed
# before the first NBIRTH).
(
  ready || exit 1
  if [ "$mqtt" = 1 ]; then
    exec build/parkline simulate line --mqtt "mqtt://127.0.0.1:$mport" --lines 2 --rate 1 "${vision[@]}"
  fi
  # HTTP ingest: the line ids as admin, one device token per line, in node
  # order (fill-1, pack-1) as `simulate line` numbers its lines
  jar="$var/.admin-cookies"
  curl -fs -c "$jar" -H 'Content-Type: application/json' \
    -d '{"username":"admin","password":"parkline-demo"}' "$url/api/v1/auth/login" >/dev/null ||
    { echo "run-demo: admin could not log in; no simulated lines" >&2; exit 1; }
  ids=$(curl -fs -b "$jar" "$url/api/v1/lines" | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      const ids = {}; for (const l of JSON.parse(s).items) ids[l.sp_node] = l.id;
      console.log([ids["fill-1"], ids["pack-1"]].join(" "));
    })') || { rm -f "$jar"; echo "run-demo: could not read the line ids as admin; no simulated lines" >&2; exit 1; }
  rm -f "$jar"
  : > "$var/line-tokens"
  for id in $ids; do
    tok=$(build/parkline admin --db "$db" token add --name "demo line $id" --role device \
      --enterprise 91500102203104854Y --line "$id" 2>/dev/null)
    echo "$id $tok" >> "$var/line-tokens"
  done
  echo "run-demo: device token (role device, line fill-1, for POST $url/api/v1/lines/${ids%% *}/ingest): $(sed -n '1s/^[^ ]* //p' "$var/line-tokens")"
  exec build/parkline simulate line --http "$url" --token-file "$var/line-tokens" --lines 2 --rate 1 "${vision[@]}"
) &
pids+=($!)

if [ "${PARKLINE_DEMO_DESK:-1}" != 0 ]; then
  (
    ready || exit 1
    exec build/parkline simulate desk --url "$url" --rate 12 2>>"$var/simulate-desk.log"
  ) &
  pids+=($!)
  echo "run-demo: service desk simulator (log $var/simulate-desk.log)"
fi

if [ "${PARKLINE_DEMO_VISION:-1}" != 0 ]; then
  mkdir -p "$var/vision/inbox" "$var/vision/stage"
  # the node, once serve is ready (it seeds the enterprise the token is for)
  (
    ready || exit 1
    for _ in $(seq 600); do [ -f "$var/vision/stage/product.json" ] && break; sleep 0.1; done
    build/parkline admin --db "$db" token add --name "demo vision node" \
      --role device --enterprise 91500102203104854Y --line fill-1 >"$var/vision/token" 2>/dev/null
    [ "$mqtt" = 0 ] || echo "run-demo: device token (role device, the inspection node's): $(cat "$var/vision/token")"
    exec build/parkline inspect run --inbox "$var/vision/inbox" --spool "$var/vision/spool" \
      --out "$var/vision/out" --url "$url" --token-file "$var/vision/token" \
      --product "$var/vision/stage/product.json" --threads 1 2>>"$var/vision/node.log"
  ) &
  pids+=($!)
  # the producer: one rendered vial at a time, renamed into the inbox; it
  # sleeps in the background so a SIGTERM ends it at once, sleep included
  (
    sp=
    trap '[ -z "$sp" ] || kill "$sp" 2>/dev/null; exit 0' TERM
    base=$(date +%s)
    for i in $(seq 1000000); do
      build/parkline simulate vials --out "$var/vision/stage" --units 1 --seed $((base + i)) \
        --defect-rate 0.2 --um-per-px 50 --width 512 --height 768 --views 8 >/dev/null || exit 1
      mv "$var/vision/stage/unit-00000" "$var/vision/inbox/d$base-$i"
      sleep 1 & sp=$!
      wait "$sp" || true
      sp=
    done
  ) &
  pids+=($!)
  echo "run-demo: inspection node on $var/vision (log $var/vision/node.log)"
fi

"${serve[@]}" "$@" &
serve_pid=$!
rc=0
wait "$serve_pid" || rc=$?
serve_pid=
exit "$rc"
