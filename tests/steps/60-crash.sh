#!/usr/bin/env bash
# 60-crash.sh - the crash test (tests/crash/crash.mjs): a burst of writes,
# kill -9 after N acknowledgements, restart, every acknowledged write must
# be there. On SQLite, and on a fresh PostgreSQL (scripts/pg.sh, in its own
# temp dir so the kill and the demo data disturb no other test), where it
# also runs two daemons on one database and reads a write made through one
# back through the other. The PostgreSQL run follows the store harness's
# convention (tests/steps/20-unit.sh): on by default (PL_REQUIRE_PG=1), and
# always when PARKLINE_TEST_PG is set; PL_REQUIRE_PG=0 without
# PARKLINE_TEST_PG skips it. Tally: one line per store, counting the checks
# crash.mjs reports. BIN=build/asan/parkline runs it on the sanitizer build.
set -uo pipefail
cd "$PL_ROOT"
bin=${BIN:-build/parkline}
rc=0

run() { # label, extra args...
  local label=$1 out p f
  shift
  out=$(node tests/crash/crash.mjs --bin "$bin" "$@" 2>&1)
  local status=$?
  printf '%s\n' "$out" | sed 's/^/   /'
  read -r p f < <(printf '%s\n' "$out" | sed -n 's/^RESULT \([0-9]*\) \([0-9]*\)$/\1 \2/p' | tail -1)
  if [ -z "${p:-}" ]; then p=0; f=1; fi
  if [ "$status" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  echo "$p $f $label" >>"$PL_TALLY"
  [ "$f" = 0 ] || rc=1
}

run crash-sqlite

if [ -n "${PARKLINE_TEST_PG:-}" ] || [ "${PL_REQUIRE_PG:-1}" != 0 ]; then
  pgdir=$(mktemp -d /tmp/parkline-crash-pg.XXXXXX)
  if url=$(scripts/pg.sh start "$pgdir"); then
    run crash-pg --pg "$url"
  else
    echo "0 1 crash-pg" >>"$PL_TALLY"; rc=1
  fi
  scripts/pg.sh stop "$pgdir"
fi
exit $rc
