#!/usr/bin/env bash
# 62-outbox.sh - the notification outbox crash test (tests/crash/outbox.mjs,
# owner: helper "desk-notify"; docs/notify.md): the fake provider
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

run() { # label, extra args...
  local label=$1 out p f
  shift
  out=$(node tests/crash/outbox.mjs --bin "$bin" "$@" 2>&1)
  local status=$?
  printf '%s\n' "$out" | sed 's/^/   /'
  read -r p f < <(printf '%s\n' "$out" | sed -n 's/^RESULT \([0-9]*\) \([0-9]*\)$/\1 \2/p' | tail -1)
  if [ -z "${p:-}" ]; then p=0; f=1; fi
  if [ "$status" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  echo "$p $f $label" >>"$PL_TALLY"
  [ "$f" = 0 ] || rc=1
}

run outbox-sqlite

if [ -n "${PARKLINE_TEST_PG:-}" ] || [ "${PL_REQUIRE_PG:-1}" != 0 ]; then
  pgdir=$(mktemp -d /tmp/parkline-outbox-pg.XXXXXX)
  if url=$(scripts/pg.sh start "$pgdir"); then
    run outbox-pg --pg "$url"
  else
    echo "0 1 outbox-pg" >>"$PL_TALLY"; rc=1
  fi
  scripts/pg.sh stop "$pgdir"
fi
exit $rc
