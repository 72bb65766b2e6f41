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
. tests/support/steps.sh

run() { # label, extra args...
  local label=$1
  shift
  step_result "$label" node tests/crash/crash.mjs --bin "$bin" "$@" || rc=1
}

run crash-sqlite
step_on_pg crash-pg crash run crash-pg || rc=1
exit $rc
