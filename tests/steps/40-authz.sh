#!/usr/bin/env bash
# The authorisation walk (tests/authz/walk.mjs: every route x every role x
# own/other enterprise against the table in docs/security.md, on a started
# daemon with a temp SQLite file, and again on PostgreSQL when
# PARKLINE_TEST_PG is set) and the admin CLI cases
# (tests/authz/admin_cli.sh). Appends "<passed> <failed> authz" (and
# authz-pg) and "<passed> <failed> admin-cli" to $PL_TALLY. Owner: "auth".
set -uo pipefail
cd "$PL_ROOT"
bin=${PARKLINE_BIN:-build/parkline}
status=0

tally() { # LABEL OUTPUT RC
  local line p f
  line=$(printf '%s\n' "$2" | grep "^$1: " | tail -1)
  p=$(printf '%s' "$line" | sed -n 's/.*: \([0-9]*\) passed.*/\1/p')
  f=$(printf '%s' "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
  [ -n "$p" ] || p=0
  [ -n "$f" ] || f=1
  if [ "$3" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  printf '%s\n' "$2" | grep '^FAIL' | head -40
  echo "   $1: $p passed, $f failed"
  echo "$p $f $1" >>"$PL_TALLY"
  [ "$f" = 0 ] || status=1
}

if ! command -v node >/dev/null; then
  echo "   node is not installed (scripts/deps.sh installs it)"
  echo "0 1 authz" >>"$PL_TALLY"
  exit 1
fi
out=$(timeout 300 node tests/authz/walk.mjs "$bin" 2>&1); rc=$?
tally authz "$out" "$rc"
if [ -n "${PARKLINE_TEST_PG:-}" ]; then
  out=$(PL_WALK_DB=$PARKLINE_TEST_PG timeout 300 node tests/authz/walk.mjs "$bin" 2>&1); rc=$?
  tally authz-pg "$(printf '%s\n' "$out" | sed 's/^authz: /authz-pg: /')" "$rc"
fi
out=$(timeout 120 bash tests/authz/admin_cli.sh "$bin" 2>&1); rc=$?
tally admin-cli "$out" "$rc"
exit $status
