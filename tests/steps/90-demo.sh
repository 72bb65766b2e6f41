#!/usr/bin/env bash
# 90-demo.sh - the newcomer test (issue 7): `make run` shows all of
# Parkline alive within a minute. Runs scripts/run-demo.sh on the built
# tree (a free loopback port, VAR and the SQLite file in a temp dir, so the
# repository's var/ is untouched) and checks, within 60 s of its start:
#   - /readyz answers 200
#   - a line tile (GET /api/v1/lines/{id}/live) has values newer than the
#     start and is not stale (the line simulator reaches the control room)
#   - a desk request changed state after the start (simulate desk)
#   - an inspection verdict arrived as an EPCIS event after the start
#     (/epcis/events?EQ_bizStep=inspecting, from `parkline inspect run`)
#   - the park indicators give the article's 138 tech enterprises
# then sends SIGTERM and checks that the script exits within 30 s and that
# nothing it started is left (its session is empty; no mosquitto on its
# config). Modes: with mosquitto when it is installed (a fresh database:
# the newcomer's first `make run`), then with PARKLINE_DEMO_MQTT=0 (HTTP
# batch ingest) on a copy of the database the first run left (a second
# `make run` on an existing var/; fresh when the first mode did not run).
# PL_DEMO_MODES="http" or "mqtt" runs one. Also: `simulate desk` and `simulate line --http`
# argument errors exit 2. One tally line "<p> <f> demo".
set -uo pipefail
cd "$PL_ROOT" || exit 1
build=${BUILD:-build}
bin=$build/parkline
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "   FAIL: $*"; }

tmp=$(mktemp -d /tmp/pl-demo-XXXXXX)
pid=
finish() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    timeout 30 tail --pid="$pid" -f /dev/null
  fi
  rm -rf "$tmp"
}
trap finish EXIT
trap 'exit 130' INT TERM

# argument errors: one-line reason, exit 2; --help exits 0
"$bin" simulate desk --help >/dev/null 2>&1 && ok || bad "simulate desk --help"
for args in "desk" "desk --url ftp://x" "desk --url http://127.0.0.1:1 --rate 0" \
            "desk --url http://127.0.0.1:1 --bogus 1" "line --http http://127.0.0.1:1" \
            "line --http http://127.0.0.1:1 --mqtt mqtt://127.0.0.1" "line --token-file /dev/null --mqtt mqtt://x"; do
  # shellcheck disable=SC2086
  "$bin" simulate $args >/dev/null 2>&1; rc=$?
  [ "$rc" = 2 ] && ok || bad "simulate $args exited $rc, not 2"
done

# The checks, in one node script polling until each passed or the deadline.
cat >"$tmp/check.mjs" <<'JS'
const [url, startIso, deadline] = [process.argv[2], process.argv[3], Number(process.argv[4])]
const sleep = ms => new Promise(r => setTimeout(r, ms))
let cookie = null
async function get(path) {
  const r = await fetch(url + path, { headers: { cookie: cookie || '', accept: 'application/json' } })
  return { status: r.status, body: r.headers.get('content-type')?.includes('json') ? await r.json() : null }
}
function* walk(v) { // every object inside v
  if (v && typeof v === 'object') { yield v; for (const k in v) yield* walk(v[k]) }
}
const checks = {
  async readyz() { return (await fetch(url + '/readyz')).status === 200 || 'not 200' },
  async line_tile() {
    const lines = (await get('/api/v1/lines')).body?.items || []
    for (const l of lines) {
      const t = (await get(`/api/v1/lines/${l.id}/live`)).body
      if (t && t.stale === false && t.t > startIso && t.state) return true
    }
    return `no fresh tile among ${lines.length} line(s)`
  },
  async desk_moved() {
    const b = (await get('/api/v1/desk/requests?limit=50')).body
    return (b?.items || []).some(x => x.updated_at > startIso) || 'no request changed since start'
  },
  async inspection() {
    const b = (await get('/epcis/events?EQ_bizStep=inspecting')).body
    for (const o of walk(b))
      if (typeof o.bizStep === 'string' && o.bizStep.includes('inspecting') && o['pl:inspection']?.unit &&
          ((o.recordTime || '') > startIso || (o.eventTime || '') > startIso)) return true
    return 'no inspecting event from the inspection node since start'
  },
  async indicators() {
    const b = (await get('/api/v1/park/indicators')).body
    for (const o of walk(b)) if (o.key === 'tech_enterprises') return o.value === 138 || `tech_enterprises = ${o.value}`
    return 'no tech_enterprises figure'
  },
}
const last = {}
const open = new Set(Object.keys(checks))
while (open.size && Date.now() < deadline) {
  try {
    if (!cookie) {
      const r = await fetch(url + '/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'parkline-demo' }) })
      if (r.status === 200) cookie = r.headers.get('set-cookie').split(';')[0]
    }
    if (cookie) for (const k of [...open]) {
      last[k] = await checks[k]()
      if (last[k] === true) { open.delete(k); console.log(`ok ${k} ${((Date.now() - Date.parse(startIso)) / 1000).toFixed(1)}s`) }
    }
  } catch (e) { last.error = String(e) } // not up yet
  if (open.size) await sleep(1000)
}
for (const k of open) console.log(`FAIL ${k}: ${last[k] ?? last.error ?? 'never answered'}`)
JS

# run_mode LABEL DB ENV...: one run of the demo on database DB with the
# given environment
run_mode() {
  local label=$1 db=$2; shift 2
  local port var t0 start_iso deadline out rc
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  var=$tmp/$label
  mkdir -p "$var"
  t0=$(date +%s%3N)
  start_iso=$(date -u -d "@$((t0 / 1000)).$((t0 % 1000))" +%Y-%m-%dT%H:%M:%S.%3NZ)
  deadline=$((t0 + 60000))
  # its own session, so what it leaves behind can be found by session id
  env "$@" PARKLINE_LISTEN=127.0.0.1:$port PARKLINE_VAR="$var" PARKLINE_DB="$db" \
    setsid scripts/run-demo.sh >"$var/out.log" 2>&1 &
  pid=$!
  out=$(node "$tmp/check.mjs" "http://127.0.0.1:$port" "$start_iso" "$deadline")
  echo "$out" | sed "s/^/   $label: /"
  p=$(echo "$out" | grep -c '^ok '); f=$(echo "$out" | grep -c '^FAIL')
  pass=$((pass + p)); fail=$((fail + f))
  [ "$p" = 5 ] && [ "$f" = 0 ] || { echo "   $label: demo output:"; grep -v ' info ' "$var/out.log" | tail -30 | sed 's/^/     /'
    for l in simulate-desk.log vision/node.log; do
      [ ! -f "$var/$l" ] || { echo "   $label: $l:"; tail -8 "$var/$l" | sed 's/^/     /'; }; done; }

  # serve drains for at most 10 s and a simulator finishes an HTTP call
  # in flight (at most 10 s) first, so 30 s bounds a clean stop
  t0=$(date +%s%3N)
  kill -TERM "$pid"
  if timeout 30 tail --pid="$pid" -f /dev/null; then ok; else bad "$label: run-demo.sh still running 30 s after SIGTERM"; fi
  echo "   $label: stopped $(( $(date +%s%3N) - t0 )) ms after SIGTERM"
  wait "$pid" 2>/dev/null; rc=$?
  [ "$rc" = 143 ] && ok || bad "$label: run-demo.sh exited $rc after SIGTERM, not 143"
  # everything it started is gone (bounded poll: a process may be exiting)
  left=
  for _ in $(seq 50); do
    left=$(pgrep -s "$pid" || true)
    [ -z "$left" ] && ! pgrep -f "$var/mosquitto.conf" >/dev/null && break
    sleep 0.1
  done
  if [ -z "$left" ] && ! pgrep -f "$var/mosquitto.conf" >/dev/null; then ok; else
    bad "$label: left running: $(ps -o pid=,args= -p "${left:-0}" 2>/dev/null | tr '\n' ';')"; fi
  pid=
}

modes=${PL_DEMO_MODES:-mqtt http}
for m in $modes; do
  case $m in
    mqtt) if command -v mosquitto >/dev/null; then run_mode mqtt "$tmp/mqtt/parkline.db" PARKLINE_DEMO_MQTT=1
          else echo "   mqtt: mosquitto not installed; mode skipped"; fi ;;
    http) mkdir -p "$tmp/http"
          [ ! -f "$tmp/mqtt/parkline.db" ] ||
            "$bin" admin --db "$tmp/mqtt/parkline.db" db backup "$tmp/http/parkline.db" >/dev/null 2>&1 ||
            bad "http: backup of the first run's database failed"
          run_mode http "$tmp/http/parkline.db" PARKLINE_DEMO_MQTT=0 ;;
  esac
done

# park-story: the same story in headless Chromium (web/tests/demo-story.test.mjs
# starts its own scripts/run-demo.sh on a free port and stops it): desk,
# control room, a reject with its image, a trace to the raw lot, the park's
# figures, screenshots docs/screenshots/demo-*.png. PL_DEMO_STORY=0 skips it.
if [ "${PL_DEMO_STORY:-1}" != 0 ]; then
  if scripts/web-build.sh; then
    sout=$( (cd web && node --test tests/demo-story.test.mjs) 2>&1 ); src=$?
    sp=$(printf '%s\n' "$sout" | sed -n 's/^# pass \([0-9][0-9]*\)$/\1/p' | tail -1)
    sf=$(printf '%s\n' "$sout" | sed -n 's/^# fail \([0-9][0-9]*\)$/\1/p' | tail -1)
    [ -n "$sp" ] || sp=0; [ -n "$sf" ] || sf=1
    if [ "$src" != 0 ] && [ "$sf" = 0 ]; then sf=1; fi
    echo "   story (Chromium): $sp passed, $sf failed"
    if [ "$sf" != 0 ]; then
      printf '%s\n' "$sout" | grep -n -A12 '^ *not ok' | grep -v duration_ms | head -60
    fi
    pass=$((pass + sp)); fail=$((fail + sf))
  else
    bad "story: web build failed"
  fi
fi

echo "$pass $fail demo" >>"$PL_TALLY"
[ "$fail" = 0 ]
