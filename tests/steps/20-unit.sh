#!/usr/bin/env bash
# Criterion unit tests, each binary once. Store tests read PARKLINE_TEST_PG
# (set by the PostgreSQL harness when it is up) to run against both drivers.
# BUILD=build/asan runs the sanitizer build instead.
set -uo pipefail
cd "$PL_ROOT"
build=${BUILD:-build}
label=${1:-unit}
pass=0; fail=0
for t in $(find "$build/tests/unit" -type f -executable -name 'test_*' | sort); do
  out=$("$t" --jobs 1 2>&1); rc=$?
  syn=$(printf '%s\n' "$out" | grep 'Synthesis:' | tail -1)
  p=$(printf '%s' "$syn" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
  f=$(printf '%s' "$syn" | sed -n 's/.*Failing: \([0-9]*\).*Crashing: \([0-9]*\).*/\1 \2/p' | awk '{print $1+$2}')
  [ -n "$p" ] || p=0
  [ -n "$f" ] || f=1
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  if [ "$f" != 0 ]; then printf '%s\n' "$out" | grep -v '^\[----\]' | tail -30; fi
  echo "   ${t#$build/tests/unit/}: $p passed, $f failed"
  pass=$((pass + p)); fail=$((fail + f))
done
echo "$pass $fail $label" >>"$PL_TALLY"
[ "$fail" = 0 ]
