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
failed=()
for step in "${steps[@]}"; do
  name=$(basename "$step" .sh)
  echo "== $name"
  before=$(wc -l <"$PL_TALLY")
  start=$(date +%s)
  # The log goes through a process substitution, not a pipe, so that a
  # server a step leaves behind cannot hold the loop up.
  bash "$step" > >(tee "build/check/$name.log") 2>&1; rc=$?
  after=$(wc -l <"$PL_TALLY")
  if [ "$rc" != 0 ] && [ "$before" = "$after" ]; then
    echo "0 1 $name" >>"$PL_TALLY"
  fi
  if tail -n +"$((before + 1))" "$PL_TALLY" | awk '$2 > 0 {f=1} END {exit !f}'; then
    failed+=("$name")
  fi
  echo "   ($name: $(( $(date +%s) - start ))s, exit $rc)"
done

# CI shows only the last lines of this output: so the summary lists the
# tallies, then, for each step with a failure, the lines of its log that
# name one (at most 6 a step), and only then the plain summary line.
echo "== summary"
awk '{printf "   %-28s %5d passed %4d failed\n", $3, $1, $2}' "$PL_TALLY"
for name in "${failed[@]}"; do
  log=build/check/$name.log
  echo "   -- failures in $log:"
  grep -a -i -E 'fail|error|not ok|✘|assert|timed out|timeout' "$log" |
    grep -a -v -E ' 0 failed|, 0 failed|Failing: 0' | tail -6 | cut -c1-200 | sed 's/^/      /'
done
awk '{p+=$1; f+=$2} END {printf "%d passed, %d failed\n", p, f; exit (f>0)}' "$PL_TALLY"
