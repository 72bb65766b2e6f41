#!/usr/bin/env bash
# 37-inspect-camera.sh - the line-side node fed by a camera over GigE Vision
# (`parkline inspect run --camera`) end to end: Aravis's own fake GigE
# camera (tests/tools/fake_gv_camera.c, ArvGvFakeCamera) serves on
# 127.0.0.1, so discovery, GVCP register access and the GVSP stream all go
# through Aravis's network code over loopback; a real `parkline serve
# --demo` receives the verdicts; they are read back over HTTP. Checks, each
# one tally point:
#   - usage: --help exits 0, bad or contradictory arguments exit 2
#   - `inspect cameras` lists the fake camera (id, GigEVision, 127.0.0.1)
#   - a camera that does not exist: exit 1 with "no camera 'ID'"
#   (a) Aravis's test pattern (a diagonal ramp): 3 units grabbed, each
#       reported once, uninspectable with the inspector's reason (no vial
#       in view), never accepted; the kept frames are the ramp exactly
#       (every pixel of every kept frame: p(x,y) = (p(0,0) + x + y) mod 255)
#   (b) the fake camera serving a rendered vial: a good vial is accepted
#       (conformant), a vial without its cap rejected as cap_missing
#   (c) frames slower than --frame-timeout-ms: every grab fails, each unit
#       is reported uninspectable with the camera's reason, and the node
#       stops grabbing after 3 in a row (it was asked for 5) and exits 1
#   (d) one camera per view (a one-view product): the camera is armed on a
#       software trigger and fired for each frame. The fake camera's
#       free-running period is 2000 s, so only triggered frames can arrive
#       in time (free-running, every grab would fail as in (c)): 2 units,
#       each with its 3 frames, consecutive frames of the camera (frame f's
#       ramp is frame 0's shifted by f), inspected (not camera errors)
#   - the spool's counters equal what the platform holds
# The fake camera's GVCP port is one per machine: the tool takes a lock
# (shared with the unit test) and says "ready"; every wait is bounded.
set -uo pipefail
cd "$PL_ROOT"
label=${1:-inspect-camera}
bin=${BIN:-build/parkline}
fake=${FAKE:-build/tests/tools/fake_gv_camera}
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "   FAIL: $*"; }

tmp=$(mktemp -d /tmp/pl-cam-XXXXXX)
serve_pid=""; fake_pid=""; node_pid=""
cleanup() { # only what this script started, by pid
  [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null
  stop_fake
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

wait_for() { # SECONDS CMD...: until CMD succeeds (a bounded poll of a condition)
  local secs=$1; shift
  local end=$((SECONDS + secs))
  until "$@"; do
    [ $SECONDS -ge $end ] && return 1
    sleep 0.1
  done
}
# start_fake SERIAL [tool options]: the fake camera, stdin on a fifo whose
# closing stops it; waits (bounded) for its "ready" line.
start_fake() {
  local serial=$1; shift
  rm -f "$tmp/fifo" "$tmp/fake.out"; mkfifo "$tmp/fifo"
  "$fake" --serial "$serial" "$@" <"$tmp/fifo" >"$tmp/fake.out" 2>&1 &
  fake_pid=$!
  exec 7>"$tmp/fifo"
  wait_for 120 grep -qs '^ready' "$tmp/fake.out" ||
    { echo "   fake camera did not start: $(cat "$tmp/fake.out")"; return 1; }
}
stop_fake() {
  [ -z "$fake_pid" ] && return
  exec 7>&-
  # it exits on end of file; a camera thread sleeping between frames
  # (case c) may take one frame period
  wait_for 15 sh -c "! kill -0 $fake_pid 2>/dev/null" || kill "$fake_pid" 2>/dev/null
  wait "$fake_pid" 2>/dev/null; fake_pid=""
}
start_serve() {
  PARKLINE_HASH_COST=min "$bin" serve "$@" --listen "127.0.0.1:$port" --db "$tmp/park.db" \
    --log-level warn >>"$tmp/serve.log" 2>&1 &
  serve_pid=$!
  wait_for 90 curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" ||
    { echo "   serve did not answer /readyz:"; tail -5 "$tmp/serve.log"; return 1; }
}
# run_node LOG UNITS [options]: the node --once on the camera, waited for
# (bounded by timeout); its exit status in $node_rc
run_node() {
  local log=$1 units=$2; shift 2
  timeout 120 "$bin" inspect run --camera "$cam" --units "$units" --once --inbox "$tmp/inbox" \
    --spool "$tmp/spool" --out "$tmp/out" --url "http://127.0.0.1:$port" \
    --token-file "$tmp/token" --product "${product:-$tmp/product.json}" --retry-max-ms 300 "$@" \
    >"$log" 2>&1
  node_rc=$?
}
# "unit verdict disposition class detail" for every inspection event
events() {
  node -e '
const [port, tok] = process.argv.slice(1);
fetch(`http://127.0.0.1:${port}/epcis/events?EQ_bizStep=inspecting&perPage=1000`,
      { headers: { Authorization: `Bearer ${tok}` } })
  .then((r) => r.json()).then((d) => {
    for (const e of d.epcisBody.queryResults.resultsBody.eventList) {
      const i = e["pl:inspection"]; if (!i || !i.unit) continue; // the node names its unit; the demo story does not
      const r = i.reasons[0] || {};
      console.log([i.unit, i.verdict, e.disposition, r.class || "-", (r.detail || "-").replace(/ /g, "_")].join(" "));
    }
  }).catch((e) => { console.error(e); process.exit(1); });' "$port" "$(cat "$tmp/reader")"
}
status() { # FIELD of spool/status.json ("counts.good" style paths)
  node -e 'try{let v=JSON.parse(require("fs").readFileSync(process.argv[1]));for(const k of process.argv[2].split("."))v=v?.[k];console.log(v??0)}catch{console.log(-1)}' \
    "$tmp/spool/status.json" "$1"
}
# the units a node log says it grabbed (c<ms> names), in order
grabbed() { grep -o 'inspect: c[0-9]*' "$1" | sed 's/inspect: //' | sort -u; }

# ---------------------------------------------------------------- usage
"$bin" inspect cameras --help >/dev/null; [ $? = 0 ] && ok || bad "cameras --help should exit 0"
"$bin" inspect cameras --bogus >/dev/null 2>&1; [ $? = 2 ] && ok || bad "cameras --bogus should exit 2"
grep -q -- '--camera ID' <<<"$("$bin" inspect run --help)" && ok || bad "run --help lacks --camera"
u="--inbox $tmp/i --spool $tmp/s --out $tmp/o --url http://127.0.0.1:1"
"$bin" inspect run $u --camera x --once >/dev/null 2>&1; [ $? = 2 ] && ok || bad "--once --camera without --units should exit 2"
"$bin" inspect run $u --units 3 >/dev/null 2>&1; [ $? = 2 ] && ok || bad "--units without --camera should exit 2"
"$bin" inspect run $u --camera x --frame-timeout-ms 0 >/dev/null 2>&1; [ $? = 2 ] && ok || bad "--frame-timeout-ms 0 should exit 2"
"$bin" inspect run $u --camera x --exposure-us 0 >/dev/null 2>&1; [ $? = 2 ] && ok || bad "--exposure-us 0 should exit 2"

# ---------------------------------------------------------------- setup
mkdir -p "$tmp/inbox"
# small frames keep the burst of one frame well inside the UDP buffer
printf '{"um_per_px": 100, "width": 256, "height": 384, "views": 2, "frames": 2}\n' >"$tmp/product.json"
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
if ! start_serve --demo; then
  echo "   $label: $pass passed, 1 failed (serve did not start)"
  echo "$pass 1 $label" >>"$PL_TALLY"
  exit 1
fi
uscc=91500102203104854Y
PARKLINE_HASH_COST=min "$bin" admin --db "$tmp/park.db" token add --name cam-node --role device \
  --enterprise $uscc --line fill-1 >"$tmp/token" 2>/dev/null || bad "device token"
PARKLINE_HASH_COST=min "$bin" admin --db "$tmp/park.db" token add --name reader --role enterprise \
  --enterprise $uscc >"$tmp/reader" 2>/dev/null || bad "reader token"

serial="PLS$$"
cam="Aravis-Fake-$serial"
if ! start_fake "$serial"; then
  echo "   $label: $pass passed, $((fail + 1)) failed (no fake camera)"
  echo "$pass $((fail + 1)) $label" >>"$PL_TALLY"
  exit 1
fi

# ------------------------------------------------------------- listing
"$bin" inspect cameras >"$tmp/cams" 2>/dev/null
awk -F'\t' -v id="$cam" '$1 == id && $5 == "127.0.0.1" && $6 == "GigEVision"' "$tmp/cams" | grep -q . &&
  ok || bad "inspect cameras does not list $cam: $(cat "$tmp/cams")"

# ------------------------------------------------------ missing camera
run_node "$tmp/node-missing.log" 1 --camera Parkline-No-Such-Camera
[ $node_rc = 1 ] && ok || bad "missing camera: exit $node_rc, want 1"
grep -q "no camera 'Parkline-No-Such-Camera'" "$tmp/node-missing.log" && ok ||
  bad "missing camera: no clear error: $(head -2 "$tmp/node-missing.log")"
[ -z "$(ls -A "$tmp/inbox")" ] && ok || bad "missing camera: the inbox changed"

# ------------------------------------- (a) Aravis's ramp: uninspectable
run_node "$tmp/node-a.log" 3
[ $node_rc = 0 ] && ok || bad "(a) exit $node_rc: $(tail -3 "$tmp/node-a.log")"
units_a=$(grabbed "$tmp/node-a.log")
[ "$(echo $units_a | wc -w)" = 3 ] && ok || bad "(a) want 3 units, got: $units_a"
events >"$tmp/ev-a" || bad "(a) cannot read /epcis/events"
for u in $units_a; do
  line=$(awk -v u="$u" '$1 == u' "$tmp/ev-a")
  [ "$(printf '%s\n' "$line" | grep -c .)" = 1 ] && ok || bad "(a) $u stored $(printf '%s\n' "$line" | grep -c .) times"
  case "$line" in
    *" uninspectable non_conformant uninspectable "*no_container*) ok ;;
    *) bad "(a) $u: want uninspectable (no container), got: $line" ;;
  esac
  # every pixel of every kept frame is the ramp Aravis drew
  node -e '
const fs = require("fs"), dir = process.argv[1];
let n = 0;
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".pgm"))) {
  const d = fs.readFileSync(`${dir}/${f}`), hdr = "P5\n256 384\n255\n";
  if (d.subarray(0, hdr.length).toString() !== hdr) throw new Error(`${f}: header`);
  const p = d.subarray(hdr.length), p0 = p[0];
  for (let y = 0; y < 384; y++) for (let x = 0; x < 256; x++)
    if (p[y * 256 + x] !== (p0 + x + y) % 255) throw new Error(`${f}: pixel ${x},${y}`);
  n++;
}
if (n !== 4) throw new Error(`${n} frames kept, want 4`);' "$tmp/out/rejects/$u" 2>"$tmp/ramp.err" &&
    ok || bad "(a) $u: kept frames are not the ramp: $(cat "$tmp/ramp.err" | tail -1)"
done
stop_fake

# ------------------------------- (b) a rendered vial served over GigE
for want in "none accept conformant" "cap_missing reject non_conformant"; do
  set -- $want
  start_fake "$serial" --vial "$1" --product "$tmp/product.json" || { bad "(b) $1: no fake camera"; continue; }
  run_node "$tmp/node-b-$1.log" 2
  [ $node_rc = 0 ] && ok || bad "(b) $1: exit $node_rc"
  events >"$tmp/ev-b" || bad "(b) cannot read /epcis/events"
  for u in $(grabbed "$tmp/node-b-$1.log"); do
    line=$(awk -v u="$u" '$1 == u' "$tmp/ev-b")
    cls=$1; [ "$cls" = none ] && cls=-
    case "$line" in
      "$u $2 $3 $cls "*) ok ;;
      *) bad "(b) vial $1: $u: want $2 $3 $cls, got: $line" ;;
    esac
  done
  stop_fake
done

# --------------------------- (c) frames slower than the timeout: bounded
# a frame every 2000 s, on boundaries of the monotonic clock: a 200 ms
# wait sees one with odds of 1 in 10,000
start_fake "$serial" --frame-period-us 2000000000 || bad "(c) no fake camera"
start=$SECONDS
run_node "$tmp/node-c.log" 5 --frame-timeout-ms 200
[ $node_rc = 1 ] && ok || bad "(c) exit $node_rc, want 1 (grabbing stopped early)"
[ $((SECONDS - start)) -lt 60 ] && ok || bad "(c) took $((SECONDS - start)) s"
grep -q '3 grabs in a row failed: acquisition stopped' "$tmp/node-c.log" && ok ||
  bad "(c) the node did not stop grabbing after 3 failures"
units_c=$(grabbed "$tmp/node-c.log")
[ "$(echo $units_c | wc -w)" = 3 ] && ok || bad "(c) want 3 units, got: $units_c"
events >"$tmp/ev-c" || bad "(c) cannot read /epcis/events"
for u in $units_c; do
  case "$(awk -v u="$u" '$1 == u' "$tmp/ev-c")" in
    *" uninspectable non_conformant uninspectable camera:_${cam}:_no_frame_"[0-9]*"_within_200_ms") ok ;;
    *) bad "(c) $u: want uninspectable with the camera's timeout, got: $(awk -v u="$u" '$1 == u' "$tmp/ev-c")" ;;
  esac
done
stop_fake

# ------------------- (d) one camera per view: frames on software triggers
# one view, so the one camera is the per-view camera set (C == V == 1)
printf '{"um_per_px": 100, "width": 256, "height": 384, "views": 1, "frames": 3, "min_views_agree": 1}\n' \
  >"$tmp/product1.json"
start_fake "$serial" --frame-period-us 2000000000 || bad "(d) no fake camera"
product="$tmp/product1.json" run_node "$tmp/node-d.log" 2 --frame-timeout-ms 3000
[ $node_rc = 0 ] && ok || bad "(d) exit $node_rc: $(tail -3 "$tmp/node-d.log")"
grep -q 'runs free' "$tmp/node-d.log" && bad "(d) the camera was not triggered: $(grep -m1 'runs free' "$tmp/node-d.log")" || ok
units_d=$(grabbed "$tmp/node-d.log")
[ "$(echo $units_d | wc -w)" = 2 ] && ok || bad "(d) want 2 units, got: $units_d"
events >"$tmp/ev-d" || bad "(d) cannot read /epcis/events"
for u in $units_d; do
  case "$(awk -v u="$u" '$1 == u' "$tmp/ev-d")" in
    *" uninspectable non_conformant uninspectable "*no_container*) ok ;;
    *) bad "(d) $u: want uninspectable (no container, not a camera error), got: $(awk -v u="$u" '$1 == u' "$tmp/ev-d")" ;;
  esac
  # frames 0, 1, 2 of the unit are three consecutive frames of the camera
  node -e '
const fs = require("fs"), dir = process.argv[1], hdr = "P5\n256 384\n255\n";
const p0 = [];
for (let f = 0; f < 3; f++) {
  const d = fs.readFileSync(`${dir}/v00-f${f}.pgm`);
  if (d.subarray(0, hdr.length).toString() !== hdr) throw new Error(`frame ${f}: header`);
  const p = d.subarray(hdr.length);
  for (let y = 0; y < 384; y++) for (let x = 0; x < 256; x++)
    if (p[y * 256 + x] !== (p[0] + x + y) % 255) throw new Error(`frame ${f}: pixel ${x},${y}`);
  p0.push(p[0]);
}
for (let f = 1; f < 3; f++)
  if (p0[f] !== (p0[0] + f) % 255) throw new Error(`frame ids not consecutive: ramp starts ${p0}`);' \
    "$tmp/out/rejects/$u" 2>"$tmp/trig.err" && ok || bad "(d) $u: $(grep -m1 Error "$tmp/trig.err")"
done
stop_fake

# ------------------------------------------------ counters = platform
total=$(events | wc -l)
good=$(status counts.good); rej=$(status counts.reject)
[ "$total" = 12 ] && ok || bad "platform holds $total inspected units, want 12"
[ $((good + rej)) = "$total" ] && [ "$good" = 2 ] && ok ||
  bad "counters: good $good + reject $rej, platform $total (want 2 good)"

echo "   $label: $pass passed, $fail failed"
echo "$pass $fail $label" >>"$PL_TALLY"
[ "$fail" = 0 ]
