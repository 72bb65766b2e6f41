#!/usr/bin/env bash
# 63-wechat.sh - the WeChat Official Account callback end to end
# (tests/desk/wechat.mjs; docs/desk.md "WeChat callback"): URL verification, bindings and their tenancy, plain and
# safe-mode messages opening and extending a wechat request, replayed MsgIds,
# unbound senders, forged signatures and stale timestamps. On SQLite, and on
# a fresh PostgreSQL (scripts/pg.sh in its own temp dir) as the other store
# steps do (PL_REQUIRE_PG=0 without PARKLINE_TEST_PG skips that half).
# Tally: one line per store, labelled $1-sqlite and $1-pg (default
# "wechat"). BIN=build/asan/parkline runs the sanitizer build.
set -uo pipefail
cd "$PL_ROOT"
bin=${BIN:-build/parkline}
name=${1:-wechat}
rc=0
. tests/support/steps.sh

run() { # label, extra args...
  local label=$1
  shift
  step_result "$label" timeout 300 node tests/desk/wechat.mjs --bin "$bin" "$@" || rc=1
}

run "$name-sqlite"
step_on_pg "$name-pg" wechat run "$name-pg" || rc=1
exit $rc
