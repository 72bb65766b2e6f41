#!/usr/bin/env bash
# check.sh - `make check`: build, then run every test step in tests/steps/
# in name order. Each step is a script that runs one kind of test and
# appends "<passed> <failed> <step>" lines to $PL_TALLY. A step that exits
# non-zero without writing a tally counts as one failure. The last line is
# the plain summary "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export PL_ROOT=$PWD
export PL_TALLY=$PWD/build/check/tally
mkdir -p build/check
: > "$PL_TALLY"

echo "== build"
if ! make -j"$(nproc)" all unit >build/check/build.log 2>&1; then
  tail -40 build/check/build.log
  echo "0 passed, 1 failed"
  exit 1
fi

steps=(tests/steps/*.sh)
if [ -n "${PL_STEPS:-}" ]; then  # PL_STEPS="unit cases" runs a subset
  sel=(); for s in "${steps[@]}"; do for w in $PL_STEPS; do [[ $s == *"$w"* ]] && sel+=("$s"); done; done
  steps=("${sel[@]}")
fi
for step in "${steps[@]}"; do
  name=$(basename "$step" .sh)
  echo "== $name"
  before=$(wc -l <"$PL_TALLY")
  start=$(date +%s)
  bash "$step"; rc=$?
  after=$(wc -l <"$PL_TALLY")
  if [ "$rc" != 0 ] && [ "$before" = "$after" ]; then
    echo "0 1 $name" >>"$PL_TALLY"
  fi
  echo "   ($name: $(( $(date +%s) - start ))s, exit $rc)"
done

echo "== summary"
awk '{p+=$1; f+=$2; printf "   %-28s %5d passed %4d failed\n", $3, $1, $2} END {printf "%d passed, %d failed\n", p, f; exit (f>0)}' "$PL_TALLY"
