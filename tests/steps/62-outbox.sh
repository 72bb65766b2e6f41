#!/usr/bin/env bash
# 62-outbox.sh - the notification outbox crash test (tests/crash/outbox.mjs,
# docs/notify.md): the fake provider
# (tests/fakes/notify-fake.mjs) kill -9s the daemon the moment it has
# delivered a message the outbox has not yet marked sent; after a restart
# every notification must be delivered exactly once. On SQLite, and on a
# fresh PostgreSQL (scripts/pg.sh in its own temp dir) following the store
# harness's convention (tests/steps/20-unit.sh): on by default
# (PL_REQUIRE_PG=1), PL_REQUIRE_PG=0 without PARKLINE_TEST_PG skips it.
# Tally: one line per store. BIN=build/asan/parkline runs the sanitizer build.
set -uo pipefail
cd "$PL_ROOT"
bin=${BIN:-build/parkline}
rc=0
. tests/support/steps.sh

run() { # label, extra args...
  local label=$1
  shift
  step_result "$label" node tests/crash/outbox.mjs --bin "$bin" "$@" || rc=1
}

run outbox-sqlite
step_on_pg outbox-pg outbox run outbox-pg || rc=1
exit $rc
