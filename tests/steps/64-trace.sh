#!/usr/bin/env bash
# 64-trace.sh - the trace module's end-to-end tests with real processes:
#   trace-queue-crash: asynchronous EPCIS capture (tests/crash/
#     trace-queue.mjs): captures acknowledged with 202, kill -9 while jobs
#     are still queued, restart, every acknowledged job completes once and
#     in order (SQLite; the claim-in-the-outcome-transaction rule is the same
#     SQL on PostgreSQL, covered by tests/unit/trace/test_queue.c on both);
#   trace-subscriptions: subscriptions pushing to a real webhook receiver
#     (tests/trace/subscriptions.mjs): streaming, signed, receiver down then
#     up, scheduled with reportIfEmpty, no event twice.
# Tally: one line per script, the checks it reports. BIN=build/asan/parkline
# runs them on the sanitizer build.
set -uo pipefail
cd "$PL_ROOT"
bin=${BIN:-build/parkline}
rc=0
. tests/support/steps.sh

run() { # label, script
  step_result "$1" timeout 300 node "$2" --bin "$bin" || rc=1
}

run trace-queue-crash tests/crash/trace-queue.mjs
run trace-subscriptions tests/trace/subscriptions.mjs
exit $rc
