#!/usr/bin/env bash
# The data-driven HTTP cases (tests/cases/run.mjs) against a real daemon on
# a free loopback port. BIN=build/asan/parkline runs them against the
# sanitizer build (the ASan step passes it); the label is $1 (default
# "cases"). Tallies "<passed> <failed> <label>" from the runner's summary.
set -uo pipefail
cd "$PL_ROOT"
label=${1:-cases}
export BIN=${BIN:-build/parkline}
out=$(node tests/cases/run.mjs 2>&1); rc=$?
printf '%s\n' "$out" | grep -v '^   ok ' || true
sum=$(printf '%s\n' "$out" | sed -n 's/^cases: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | tail -1)
if [ -z "$sum" ]; then sum="0 1"; fi
set -- $sum
pass=$1; fail=$2
if [ "$rc" != 0 ] && [ "$fail" = 0 ]; then fail=1; fi
echo "   $label: $pass passed, $fail failed"
echo "$pass $fail $label" >>"$PL_TALLY"
[ "$fail" = 0 ]
