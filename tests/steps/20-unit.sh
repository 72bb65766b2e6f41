#!/usr/bin/env bash
# Criterion unit tests, each binary once. One throw-away PostgreSQL server
# (scripts/pg.sh) serves the whole step: its URL goes to the tests in
# PARKLINE_TEST_PG, and the store tests run every case against both SQLite
# and it. PL_REQUIRE_PG=1 (the default here) makes the PostgreSQL cases fail
# rather than skip if the server did not come up. The server is stopped and
# its directory removed on every exit path (trap).
# BUILD=build/asan runs the sanitizer build instead.
set -uo pipefail
cd "$PL_ROOT"
build=${BUILD:-build}
label=${1:-unit}
pass=0; fail=0

export PL_REQUIRE_PG=${PL_REQUIRE_PG:-1}
pgdir=$(mktemp -d /tmp/pl-pg.XXXXXX)
trap 'scripts/pg.sh stop "$pgdir"; rmdir "$pgdir" 2>/dev/null' EXIT
trap 'exit 130' INT TERM
if url=$(scripts/pg.sh start "$pgdir"); then
  export PARKLINE_TEST_PG=$url
else
  echo "   PostgreSQL harness did not start; PostgreSQL cases will fail"
fi

for t in $(find "$build/tests/unit" -type f -executable -name 'test_*' | sort); do
  out=$("$t" --jobs 1 2>&1); rc=$?
  syn=$(printf '%s\n' "$out" | grep 'Synthesis:' | tail -1)
  p=$(printf '%s' "$syn" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
  f=$(printf '%s' "$syn" | sed -n 's/.*Failing: \([0-9]*\).*Crashing: \([0-9]*\).*/\1 \2/p' | awk '{print $1+$2}')
  [ -n "$p" ] || p=0
  [ -n "$f" ] || f=1
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  # Criterion reports a test that leaked as passed (LeakSanitizer speaks
  # only when the worker exits): count sanitizer reports as failures.
  san=$(printf '%s\n' "$out" | grep -c -E 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:')
  if [ "$san" != 0 ]; then
    printf '%s\n' "$out" | grep -E -A12 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:' | head -60
    f=$((f + san))
  fi
  # a failure shows each failed assertion with its message, then the verdicts
  if [ "$f" != 0 ]; then
    printf '%s\n' "$out" | grep -a -A1 'Assertion Failed' | grep -v '^--$' | head -40
    printf '%s\n' "$out" | grep -a -v '^\[----\]' | tail -30
  fi
  echo "   ${t#$build/tests/unit/}: $p passed, $f failed"
  pass=$((pass + p)); fail=$((fail + f))
done
echo "$pass $fail $label" >>"$PL_TALLY"
[ "$fail" = 0 ]
