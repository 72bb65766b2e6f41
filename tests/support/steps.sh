# steps.sh - shell functions the node-driven step scripts share (sourced by
# tests/steps/60-crash.sh, 62-outbox.sh, 64-trace.sh; kept out of
# tests/steps/ so check.sh does not run it as a step). Each of those tests
# prints "RESULT <passed> <failed>" as its last verdict; these turn that
# into a tally line and start a throw-away PostgreSQL when the store
# harness's convention asks for one. They set no variables of the caller.

# step_result LABEL CMD...: runs CMD, shows its output indented, appends
# "<passed> <failed> LABEL" to $PL_TALLY. A run that prints no RESULT line,
# or exits non-zero while reporting no failure, counts one failure.
# Returns non-zero when anything failed.
step_result() {
  local label=$1 out status p f
  shift
  out=$("$@" 2>&1)
  status=$?
  printf '%s\n' "$out" | sed 's/^/   /'
  read -r p f < <(printf '%s\n' "$out" | sed -n 's/^RESULT \([0-9]*\) \([0-9]*\)$/\1 \2/p' | tail -1)
  if [ -z "${p:-}" ]; then p=0; f=1; fi
  if [ "$status" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  echo "$p $f $label" >>"$PL_TALLY"
  [ "$f" = 0 ]
}

# step_on_pg LABEL TAG CMD...: when the store harness's convention
# (tests/steps/20-unit.sh) asks for PostgreSQL (PARKLINE_TEST_PG set, or
# PL_REQUIRE_PG not 0, the default), starts a fresh server (scripts/pg.sh in
# its own /tmp/parkline-TAG-pg.XXXXXX, so what the test kills or seeds
# disturbs no other test), runs CMD with "--pg URL" appended, and stops it.
# A server that does not start is one failure tallied under LABEL.
# Returns CMD's status (0 when skipped).
step_on_pg() {
  local label=$1 tag=$2 pgdir url status=0
  shift 2
  if [ -z "${PARKLINE_TEST_PG:-}" ] && [ "${PL_REQUIRE_PG:-1}" = 0 ]; then
    return 0
  fi
  pgdir=$(mktemp -d "/tmp/parkline-$tag-pg.XXXXXX")
  if url=$(scripts/pg.sh start "$pgdir"); then
    "$@" --pg "$url" || status=1
  else
    echo "0 1 $label" >>"$PL_TALLY"; status=1
  fi
  scripts/pg.sh stop "$pgdir"
  return $status
}
