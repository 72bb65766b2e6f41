#!/usr/bin/env bash
# 36-inspect-node.sh - the line-side inspection node (`parkline inspect
# run`) end to end: real `parkline serve --demo` on a loopback port, real
# unit directories rendered by `parkline simulate vials` and renamed into
# the node's inbox, the EPCIS events read back over HTTP. Checks, each one
# tally point:
#   - usage: --help exits 0, missing/bad arguments exit 2
#   (a) platform down: units are inspected and spooled (nothing lost), the
#       platform comes up, every verdict arrives exactly once, rejects keep
#       their overlay and views, accepts leave the inbox, verdicts match the
#       simulator's ground truth, a clean SIGTERM exits 0
#   (b) SIGKILL right after an acknowledged send, before the spool ack
#       (PARKLINE_TEST_CRASH=send:2): the restarted node resends it, the
#       platform answers "duplicate", every verdict is stored once
#   (c) SIGKILL right after a spool put, before the unit left the inbox
#       (PARKLINE_TEST_CRASH=put:1): the restart finishes the unit without
#       inspecting or counting it again
#   (d) kill -9 from outside in the middle of a drain, restart: every
#       verdict present exactly once, spool empty
#   - the counters in status.json equal the number of units, exactly
#   (e) with mosquitto: `simulate line --vision SPOOL/status.json` makes
#       fill-1's ingested good, reject and Reject/<class> equal the node's
#       counters (and no Counts/* twin that the OEE would count twice)
# Small frames (50 um/px, 512x768, 8 views) keep it to well under a minute.
set -uo pipefail
cd "$PL_ROOT"
bin=${BIN:-build/parkline}
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "   FAIL: $*"; }

tmp=$(mktemp -d /tmp/pl-node-XXXXXX)
serve_pid=""; node_pid=""; mq_pid=""
cleanup() { # only what this script started, by pid
  [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  [ -n "$mq_pid" ] && kill "$mq_pid" 2>/dev/null && wait "$mq_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# until CMD succeeds, at most $1 seconds (a bounded poll of a condition)
wait_for() {
  local secs=$1; shift
  local end=$((SECONDS + secs))
  until "$@"; do
    [ $SECONDS -ge $end ] && return 1
    sleep 0.1
  done
}
st_is() { [ "$(status "$1")" = "$2" ]; } # FIELD VALUE
status() { # FIELD of spool/status.json ("counts.good" style paths)
  node -e 'try{let v=JSON.parse(require("fs").readFileSync(process.argv[1]));for(const k of process.argv[2].split("."))v=v?.[k];console.log(v??0)}catch{console.log(-1)}' \
    "$tmp/spool/status.json" "$1"
}
# "unit count" for every inspection event of the node, one line each
events() {
  node -e '
const [port, tok] = process.argv.slice(1);
fetch(`http://127.0.0.1:${port}/epcis/events?EQ_bizStep=inspecting&perPage=1000`,
      { headers: { Authorization: `Bearer ${tok}` } })
  .then((r) => r.json()).then((d) => {
    const n = {};
    for (const e of d.epcisBody.queryResults.resultsBody.eventList) {
      const u = e["pl:inspection"]?.unit;
      if (u) n[u] = (n[u] || 0) + 1;
    }
    for (const [u, c] of Object.entries(n)) console.log(u, c);
  }).catch((e) => { console.error(e); process.exit(1); });' "$port" "$(cat "$tmp/reader")"
}
# every unit named in $@ present exactly once
exactly_once() {
  local out u c
  out=$(events) || { bad "cannot read /epcis/events"; return; }
  for u in "$@"; do
    c=$(printf '%s\n' "$out" | awk -v u="$u" '$1 == u {print $2}')
    if [ "$c" = 1 ]; then ok; else bad "$u stored ${c:-0} times, want 1"; fi
  done
}
start_serve() { # [--demo]: the demo data only on the first start
  PARKLINE_HASH_COST=min "$bin" serve "$@" --listen "127.0.0.1:$port" --db "$tmp/park.db" \
    --log-level warn >>"$tmp/serve.log" 2>&1 &
  serve_pid=$!
  wait_for 30 curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" ||
    { echo "   serve did not answer /readyz:"; tail -5 "$tmp/serve.log"; return 1; }
}
stop_serve() { kill "$serve_pid"; wait "$serve_pid" 2>/dev/null; serve_pid=""; }
start_node() { # LOG [env...]: the node in the background
  local log=$1; shift
  env "$@" "$bin" inspect run --inbox "$tmp/inbox" --spool "$tmp/spool" --out "$tmp/out" \
    --url "http://127.0.0.1:$port" --token-file "$tmp/token" --product "$tmp/stage/product.json" \
    --retry-max-ms 300 "${node_extra[@]}" >>"$log" 2>&1 &
  node_pid=$!
}
feed() { # PREFIX FIRST LAST: stage units FIRST..LAST renamed into the inbox as PREFIX-i
  local i
  for i in $(seq "$2" "$3"); do
    mv "$tmp/stage/unit-$(printf %05d "$i")" "$tmp/inbox/$1-$i"
  done
}
node_extra=()

# ---------------------------------------------------------------- usage
"$bin" inspect run --help >/dev/null; [ $? = 0 ] && ok || bad "--help should exit 0"
"$bin" inspect run >/dev/null 2>&1; [ $? = 2 ] && ok || bad "no arguments should exit 2"
"$bin" inspect run --inbox a --spool b --out c --url ftp://x >/dev/null 2>&1; [ $? = 2 ] && ok || bad "--url ftp should exit 2"
"$bin" inspect run --threads 0 >/dev/null 2>&1; [ $? = 2 ] && ok || bad "--threads 0 should exit 2"
"$bin" inspect run --gtin 06901234000017 >/dev/null 2>&1; [ $? = 2 ] && ok || bad "bad GTIN check digit should exit 2"

# ---------------------------------------------------------------- setup
mkdir -p "$tmp/inbox"
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
"$bin" simulate vials --out "$tmp/stage" --units 18 --seed 3 --defect-rate 0.5 \
  --um-per-px 50 --width 512 --height 768 --views 8 >/dev/null || bad "simulate"
if ! start_serve --demo; then # nothing below can pass: stop here
  echo "   inspect-node: $pass passed, 1 failed (serve did not start)"
  echo "$pass 1 inspect-node" >>"$PL_TALLY"
  exit 1
fi
uscc=91500102203104854Y
PARKLINE_HASH_COST=min "$bin" admin --db "$tmp/park.db" token add --name vision-node --role device \
  --enterprise $uscc --line fill-1 >"$tmp/token" 2>/dev/null || bad "device token"
PARKLINE_HASH_COST=min "$bin" admin --db "$tmp/park.db" token add --name reader --role enterprise \
  --enterprise $uscc >"$tmp/reader" 2>/dev/null || bad "reader token"
stop_serve

# ------------------------------------------- (a) platform down, then up
start_node "$tmp/node-a.log"
feed a 0 5
wait_for 60 st_is inspected 6 && ok || bad "(a) 6 units not inspected: $(status inspected)"
[ "$(status pending)" = 6 ] && ok || bad "(a) want 6 pending while the platform is down, got $(status pending)"
[ -z "$(ls "$tmp/inbox")" ] && ok || bad "(a) inbox not emptied: $(ls "$tmp/inbox")"
grep -q 'platform unreachable' "$tmp/node-a.log" && ok || bad "(a) no failed send logged while down"
start_serve || bad "(a) serve did not restart"
wait_for 60 st_is pending 0 && ok || bad "(a) spool not drained: $(status pending) pending"
exactly_once a-0 a-1 a-2 a-3 a-4 a-5
# verdicts against ground truth; rejects keep overlay + views
for i in 0 1 2 3 4 5; do
  want=$(sed -n 's/.*"expected": "\(.*\)".*/\1/p' "$tmp/out/rejects/a-$i/truth.json" 2>/dev/null)
  if [ -d "$tmp/out/rejects/a-$i" ]; then
    [ -s "$tmp/out/rejects/a-$i/overlay.png" ] && [ -s "$tmp/out/rejects/a-$i/v00-f0.png" ] && ok ||
      bad "(a) a-$i: reject without overlay or views"
    [ "$want" = reject ] && ok || bad "(a) a-$i rejected, truth $want"
  else
    ok; ok
  fi
done
kill -TERM "$node_pid"; wait "$node_pid"; rc=$?; node_pid=""
[ $rc = 0 ] && ok || bad "(a) SIGTERM: exit $rc"

# crash_hook K HOOK LOGLINE WHAT: case K's node dies by the test crash hook
# HOOK (exit 137, as kill -9), then a restart --once finishes the inbox and
# logs LOGLINE (else the failure "WHAT"); leaves node_extra=(--once).
crash_hook() {
  local k=$1 hook=$2 line=$3 what=$4 rc
  node_extra=()
  start_node "$tmp/node-${k}1.log" PARKLINE_TEST_CRASH="$hook"
  wait "$node_pid" 2>/dev/null; rc=$?; node_pid=""
  [ $rc = 137 ] && ok || bad "($k) the crash hook did not fire (exit $rc)"
  node_extra=(--once)
  start_node "$tmp/node-${k}2.log"
  wait "$node_pid" 2>/dev/null; rc=$?; node_pid=""
  [ $rc = 0 ] && ok || bad "($k) restart --once: exit $rc"
  grep -q "$line" "$tmp/node-${k}2.log" && ok || bad "($k) $what"
}

# --------------------- (b) killed after an acknowledged send, before the ack
feed b 6 9
crash_hook b send:2 'acknowledged (duplicate)' 'the resend was not answered as a duplicate'
exactly_once b-6 b-7 b-8 b-9

# ------------------- (c) killed after a spool put, before the inbox move
feed c 10 12
crash_hook c put:1 'recovered a committed unit' 'no recovery logged'
exactly_once c-10 c-11 c-12

# ------------------------------- (d) kill -9 from outside, mid-drain
node_extra=()
stop_serve
start_node "$tmp/node-d1.log"
feed d 13 17
wait_for 60 st_is pending 5 && ok || bad "(d) 5 units not spooled: $(status pending)"
start_serve || bad "(d) serve did not restart"
wait_for 30 grep -q 'd-1[0-9]: acknowledged' "$tmp/node-d1.log"
kill -9 "$node_pid"; wait "$node_pid" 2>/dev/null; node_pid=""
left=$(status pending)
echo "   (d) killed with $left of 5 still pending"
node_extra=(--once)
start_node "$tmp/node-d2.log"
wait "$node_pid" 2>/dev/null; rc=$?; node_pid=""
[ $rc = 0 ] && ok || bad "(d) restart --once: exit $rc"
exactly_once d-13 d-14 d-15 d-16 d-17

# ------------------------------------------------ exact counters
good=$(status counts.good); rej=$(status counts.reject)
[ $((good + rej)) = 18 ] && ok || bad "counters: good $good + reject $rej != 18 units"
nrej=$(ls "$tmp/out/rejects" | wc -l)
[ "$rej" = "$nrej" ] && ok || bad "counters: $rej rejects counted, $nrej kept"
[ "$(events | wc -l)" = 18 ] && ok || bad "platform holds $(events | wc -l) inspected units, want 18"

# ------------- (e) the pharma filling line fed by the verdicts (mosquitto)
# `simulate line --vision` publishes the node's counters as fill-1's
# Sparkplug metrics; serve ingests them from a real broker.
if command -v mosquitto >/dev/null; then
  mport=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nuser %s\n' "$mport" "$(id -un)" >"$tmp/mq.conf"
  mosquitto -c "$tmp/mq.conf" 2>"$tmp/mq.log" &
  mq_pid=$!
  stop_serve
  start_serve --mqtt "mqtt://127.0.0.1:$mport" || bad "(e) serve --mqtt did not start"
  "$bin" simulate line --mqtt "mqtt://127.0.0.1:$mport" --vision "$tmp/spool/status.json" \
    --count 3 --rate 5 2>>"$tmp/sim.log" || bad "(e) simulate line --vision failed"
  line_ok() { # every counter of status.json equals fill-1's ingested metric
    node -e '
const [port, tok, file] = process.argv.slice(1);
const h = { headers: { Authorization: `Bearer ${tok}` } };
const st = JSON.parse(require("fs").readFileSync(file)).counts;
(async () => {
  const lines = (await (await fetch(`http://127.0.0.1:${port}/api/v1/lines`, h)).json()).items;
  const id = lines.find((l) => l.sp_node === "fill-1").id;
  const m = (await (await fetch(`http://127.0.0.1:${port}/api/v1/lines/${id}/metrics`, h)).json()).items;
  const v = Object.fromEntries(m.map((x) => [x.metric, x.value]));
  const want = { good: st.good || 0, reject: st.reject || 0 };
  for (const [k, n] of Object.entries(st)) if (k.startsWith("reject/")) want["Reject/" + k.slice(7)] = n;
  for (const [k, n] of Object.entries(want)) if (v[k] !== n) { console.error(`${k}: ${v[k]} != ${n}`); process.exit(1); }
  if ("Counts/Good" in v || "Counts/Reject" in v) { console.error("Counts/* sent beside good/reject"); process.exit(1); }
})().catch((e) => { console.error(String(e)); process.exit(1); });' "$port" "$(cat "$tmp/reader")" "$tmp/spool/status.json" 2>>"$tmp/line-check.log"
  }
  wait_for 10 line_ok && ok || bad "(e) fill-1 metrics differ from the node's counters: $(tail -1 "$tmp/line-check.log")"
  kill "$mq_pid"; wait "$mq_pid" 2>/dev/null
else
  echo "   (e) skipped: mosquitto is not installed"
fi

label=${1:-inspect-node}
echo "   $label: $pass passed, $fail failed"
echo "$pass $fail $label" >>"$PL_TALLY"
[ "$fail" = 0 ]
