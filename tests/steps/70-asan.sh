#!/usr/bin/env bash
# 70-asan.sh - the suite again under ASan+UBSan: `make asan` builds
# build/asan/parkline and build/asan/tests/unit/...; then
#   asan-unit   the unit tests from build/asan (tests/steps/20-unit.sh,
#               called with BUILD=build/asan, not copied),
#   asan-cases  the HTTP cases (the cases step, with BIN=build/asan/parkline)
#               against the sanitizer-built daemon,
#   asan-line   the Sparkplug ingest test (35-line.sh) against it,
#   asan-inspect-node  the inspection node test (36-inspect-node.sh),
#   asan-inspect-camera  the node on a fake GigE camera (37-inspect-camera.sh),
#   asan-wechat the WeChat callback test (63-wechat.sh),
#   asan-report one failure per sanitizer report the daemon wrote.
# Unit tests report on stderr, where 20-unit.sh counts them as failures.
# During the HTTP cases the reports go to files in a temp dir (log_path),
# so a report from a daemon whose stderr the runner keeps to itself still
# fails the step.
set -uo pipefail
cd "$PL_ROOT"
rc=0

echo "   make asan"
if ! make -j2 asan >build/check/asan-build.log 2>&1; then
  tail -30 build/check/asan-build.log
  echo "0 1 asan-build" >>"$PL_TALLY"
  exit 1
fi

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
BUILD=build/asan bash tests/steps/20-unit.sh asan-unit || rc=1

reports=$(mktemp -d /tmp/parkline-asan.XXXXXX)
export ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$reports/asan"
export UBSAN_OPTIONS="$UBSAN_OPTIONS:log_path=$reports/ubsan"

# The HTTP cases step , called with the sanitizer
# daemon and its own label, so the summary tells the two runs apart.
cases=$(ls tests/steps/*-cases.sh 2>/dev/null | head -1)
if [ -n "$cases" ]; then
  BIN=build/asan/parkline bash "$cases" asan-cases || rc=1
else
  echo "   no tests/steps/*-cases.sh: HTTP cases not run under ASan"
  echo "0 1 asan-cases" >>"$PL_TALLY"; rc=1
fi

# The Sparkplug ingest end to end (real mosquitto) against the same daemon.
BIN=build/asan/parkline bash tests/steps/35-line.sh asan-line || rc=1

# The line-side inspection node and its spool against it.
BIN=build/asan/parkline bash tests/steps/36-inspect-node.sh asan-inspect-node || rc=1

# The node fed by Aravis's fake GigE camera on loopback (37-inspect-camera.sh).
BIN=build/asan/parkline bash tests/steps/37-inspect-camera.sh asan-inspect-camera || rc=1

# The WeChat callback (signatures, AES, dedupe) against it.
BIN=build/asan/parkline bash tests/steps/63-wechat.sh asan-wechat || rc=1

n=$(find "$reports" -type f | wc -l)
if [ "$n" != 0 ]; then
  for f in "$reports"/*; do
    echo "   --- $f"; grep -E 'ERROR|SUMMARY|runtime error|#[0-9] ' "$f" | head -15 | sed 's/^/   /'
  done
  echo "0 $n asan-report" >>"$PL_TALLY"
  rc=1
else
  echo "1 0 asan-report" >>"$PL_TALLY"
fi
rm -rf "$reports"
exit $rc
