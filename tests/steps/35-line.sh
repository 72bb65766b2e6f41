#!/usr/bin/env bash
# 35-line.sh - the Sparkplug B ingest end to end (tests/line/ingest.mjs): a
# real mosquitto on a free loopback port, `parkline serve --demo --mqtt`,
# payloads from mosquitto_pub, the Rebirth NCMD seen by mosquitto_sub, and
# values, series, stale flags and tenancy read back over the HTTP API;
# then tests/line/live.mjs: SSE tiles, alarms, batch ingest, OEE,
# and tests/line/broker.mjs: `admin mqtt` ACLs, QoS 1 across a restart.
# BIN=build/asan/parkline runs it against the sanitizer build. With
# PARKLINE_TEST_PG set (a postgresql://.../db URL, as scripts/pg.sh prints)
# it runs again on a fresh PostgreSQL database. Appends "<passed> <failed>
# line" (and line-pg) to $PL_TALLY.
set -uo pipefail
cd "$PL_ROOT"
bin=${BIN:-build/parkline}
for tool in node mosquitto mosquitto_pub mosquitto_sub stdbuf; do
  if ! command -v "$tool" >/dev/null; then
    echo "   $tool is not installed (scripts/deps.sh installs it)"
    echo "0 1 line" >>"$PL_TALLY"
    exit 1
  fi
done
status=0
run() { # LABEL [env...]: one run of the test, tallied under LABEL
  local label=$1 out rc sum pass fail
  shift
  out=$(env "$@" timeout 180 node "${PL_LINE_TEST:-tests/line/ingest.mjs}" "$bin" 2>&1); rc=$?
  printf '%s\n' "$out" | grep -v -e '^   ok ' -e '^line\(-live\|-broker\)\?: ' || true
  sum=$(printf '%s\n' "$out" | sed -n 's/^line\(-live\|-broker\)\?: \([0-9]*\) passed, \([0-9]*\) failed$/\2 \3/p' | tail -1)
  [ -n "$sum" ] || sum="0 1"
  set -- $sum
  pass=$1; fail=$2
  if [ "$rc" != 0 ] && [ "$fail" = 0 ]; then fail=1; fi
  echo "   $label: $pass passed, $fail failed"
  echo "$pass $fail $label" >>"$PL_TALLY"
  [ "$fail" = 0 ] || status=1
}
run "${1:-line}"
# line-live: tiles over SSE, alarms, batch ingest, OEE (tests/line/live.mjs)
PL_LINE_TEST=tests/line/live.mjs run "${1:-line}-live"
# line-live: per-line broker ACLs and QoS 1 across a restart (tests/line/broker.mjs)
PL_LINE_TEST=tests/line/broker.mjs run "${1:-line}-broker"
# on PostgreSQL too when a server is given (a fresh database each run)
if [ -n "${PARKLINE_TEST_PG:-}" ]; then
  db="pl_line_$$"
  if psql "$PARKLINE_TEST_PG" -qc "CREATE DATABASE $db" >/dev/null 2>&1; then
    run line-pg PL_LINE_DB="${PARKLINE_TEST_PG%/*}/$db"
    psql "$PARKLINE_TEST_PG" -qc "DROP DATABASE $db" >/dev/null 2>&1
    psql "$PARKLINE_TEST_PG" -qc "CREATE DATABASE $db" >/dev/null 2>&1
    PL_LINE_TEST=tests/line/live.mjs run line-live-pg PL_LINE_DB="${PARKLINE_TEST_PG%/*}/$db"
    psql "$PARKLINE_TEST_PG" -qc "DROP DATABASE $db" >/dev/null 2>&1
  else
    echo "   line-pg: cannot create database $db"
    echo "0 1 line-pg" >>"$PL_TALLY"
    status=1
  fi
fi
exit $status
