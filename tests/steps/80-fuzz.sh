#!/usr/bin/env bash
# 80-fuzz.sh - replays every libFuzzer target's checked-in corpus (seeds and
# regression inputs from past crashes) once, under ASan+UBSan: one pass per
# target whose every input runs clean, one failure per target that does not
# build or whose replay finds anything. Fast: no mutation, no time budget.
set -uo pipefail
cd "$PL_ROOT"
pass=0; fail=0
for t in $(scripts/fuzz.sh list); do
  if scripts/fuzz.sh replay "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "$pass $fail fuzz-replay" >>"$PL_TALLY"
[ "$fail" = 0 ]
