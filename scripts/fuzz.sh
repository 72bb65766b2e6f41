#!/usr/bin/env bash
# fuzz.sh - build and run Parkline's libFuzzer targets (fuzz/fuzz_*.c).
#
#   scripts/fuzz.sh build [TARGET...]          build into build/fuzz/ (clang)
#   scripts/fuzz.sh run [SECONDS] [TARGET...]  fuzz each target SECONDS
#                                              (default 60; `make fuzz`)
#   scripts/fuzz.sh replay [TARGET...]         run every input of each target's
#                                              corpus once (`make check` step 80)
#   scripts/fuzz.sh list                       print the target names
#
# Corpora: fuzz/corpus/<target>/ is the checked-in seed and regression
# corpus; `run` writes the new interesting inputs it finds to
# fuzz/corpus-new/<target>/ (git-ignored), so fuzzing never dirties the
# tree. A crash, leak, timeout or out-of-memory input found by `run` is
# copied into fuzz/corpus/<target>/regress-<kind>-<sha1>, so from then on
# `replay` (and therefore `make check`) fails until the bug is fixed.
# Exit status: 0 when every target built and passed, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."

FZ=build/fuzz
mode=${1:-}
[ $# -gt 0 ] && shift

all_targets() {
  for f in fuzz/fuzz_*.c; do basename "$f" .c; done
}

# Build the named targets; prints the build log tail for one that fails.
build() {
  local t rc=0
  mkdir -p "$FZ"
  for t in "$@"; do
    if ! make -s -f fuzz/fuzz.mk -j2 "$FZ/$t" >"$FZ/$t.build.log" 2>&1; then
      echo "fuzz.sh: $t does not build:" >&2
      tail -20 "$FZ/$t.build.log" >&2
      rc=1
    fi
  done
  return $rc
}

# Options shared by both modes: a per-input time cap (a slow input is a
# bug too) and a memory cap well under the machine's.
common_opts=(-timeout=10 -rss_limit_mb=1024)
dict_opt() {
  [ -f "fuzz/dict/$1.dict" ] && echo "-dict=fuzz/dict/$1.dict"
}

replay_one() {
  local t=$1 n
  n=$(find "fuzz/corpus/$t" -type f | wc -l)
  if [ "$n" = 0 ]; then
    echo "fuzz.sh: $t has an empty corpus" >&2
    return 1
  fi
  # Each file given by name is executed exactly once (no mutation), so the
  # replay is fast and names the input that fails.
  if ! find "fuzz/corpus/$t" -type f -print0 | sort -z |
       xargs -0 "$FZ/$t" "${common_opts[@]}" >"$FZ/$t.replay.log" 2>&1; then
    grep 'Running:' "$FZ/$t.replay.log" | tail -1 >&2  # the input that failed
    grep -E 'property failed|ERROR|SUMMARY|runtime error|round trip|changed' \
      "$FZ/$t.replay.log" | tail -20 >&2
    echo "   $t: replay of $n inputs FAILED (log: $FZ/$t.replay.log)"
    return 1
  fi
  echo "   $t: $n inputs replayed, no findings"
}

run_one() {
  local t=$1 secs=$2 new="fuzz/corpus-new/$t" rc=0 f kind sum
  mkdir -p "$new" "$FZ/artifacts/$t"
  # First corpus dir receives new inputs; the checked-in one is read only.
  "$FZ/$t" "${common_opts[@]}" $(dict_opt "$t") -max_total_time="$secs" \
    -print_final_stats=1 -artifact_prefix="$FZ/artifacts/$t/" \
    "$new" "fuzz/corpus/$t" >"$FZ/$t.run.log" 2>&1 || rc=1
  for f in "$FZ/artifacts/$t"/*; do
    [ -f "$f" ] || continue
    kind=$(basename "$f" | cut -d- -f1)
    sum=$(sha1sum "$f" | cut -d' ' -f1)
    # An input already in the corpus (a regression not fixed yet) fails
    # again while the corpus loads: say so instead of saving a copy.
    known=$(find "fuzz/corpus/$t" -type f -exec sha1sum {} + | awk -v s="$sum" '$1 == s { print $2; exit }')
    if [ -n "$known" ]; then
      echo "fuzz.sh: $t: $known still fails (fix it before fuzzing further)" >&2
    else
      cp "$f" "fuzz/corpus/$t/regress-$kind-${sum:0:16}"
      echo "fuzz.sh: $t: $kind input saved as fuzz/corpus/$t/regress-$kind-${sum:0:16}" >&2
    fi
    rm -f "$f"
    rc=1
  done
  if [ $rc != 0 ]; then
    grep -E 'property failed|ERROR|SUMMARY|runtime error|round trip|changed' "$FZ/$t.run.log" | tail -20 >&2
    echo "   $t: FAILED after fuzzing (log: $FZ/$t.run.log)"
    return 1
  fi
  echo "   $t: ${secs}s, $(grep -o 'stat::number_of_executed_units: [0-9]*' "$FZ/$t.run.log" | awk '{print $2}') execs," \
       "$(find "$new" -type f | wc -l) new inputs in $new"
}

case "$mode" in
list)
  all_targets ;;
build)
  [ $# -gt 0 ] || set -- $(all_targets)
  build "$@" ;;
replay)
  [ $# -gt 0 ] || set -- $(all_targets)
  rc=0
  for t in "$@"; do
    if build "$t"; then replay_one "$t" || rc=1; else rc=1; fi
  done
  exit $rc ;;
run)
  secs=60
  if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then secs=$1; shift; fi
  [ $# -gt 0 ] || set -- $(all_targets)
  rc=0
  for t in "$@"; do
    if build "$t"; then run_one "$t" "$secs" || rc=1; else rc=1; fi
  done
  exit $rc ;;
*)
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2 ;;
esac
