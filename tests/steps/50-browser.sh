#!/usr/bin/env bash
# The web UI's tests (web/tests/*.test.mjs, node's built-in test runner):
# pure helpers (formatting, API client errors, i18n keys), the API client
# against a real daemon, and the UI in real headless Chromium (Debian's
# /usr/bin/chromium via playwright-core) against `parkline serve --demo`.
# Builds web/dist first when its sources changed. Tallies node's
# "# pass N" / "# fail N" summary. BUILD=build/asan tests the ASan daemon.
set -uo pipefail
cd "$PL_ROOT"
label=${1:-browser}
build=${BUILD:-build}

if ! scripts/web-build.sh; then
  echo "0 1 $label" >>"$PL_TALLY"
  exit 1
fi
if [ ! -x "$build/parkline" ]; then
  echo "   $build/parkline is missing: run make first"
  echo "0 1 $label" >>"$PL_TALLY"
  exit 1
fi

out=$(mktemp)
# Output goes to a file, not a terminal, so every Node version prints TAP.
(cd web && BUILD="$build" node --test tests/format.test.mjs tests/misc.test.mjs \
  tests/api.test.mjs tests/browser.test.mjs tests/desk.test.mjs tests/trace.test.mjs \
  tests/line.test.mjs tests/green.test.mjs tests/desk-flow.test.mjs \
  tests/park.test.mjs \
  tests/park-logistics.test.mjs \
  tests/plant.test.mjs \
  tests/desk-ui.test.mjs \
  tests/desk-kpi.test.mjs) >"$out" 2>&1
rc=$?
p=$(sed -n 's/^# pass \([0-9][0-9]*\)$/\1/p' "$out" | tail -1)
f=$(sed -n 's/^# fail \([0-9][0-9]*\)$/\1/p' "$out" | tail -1)
c=$(sed -n 's/^# cancelled \([0-9][0-9]*\)$/\1/p' "$out" | tail -1)
[ -n "$p" ] || p=0
[ -n "$f" ] || f=1
f=$((f + ${c:-0}))
if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
if [ "$f" != 0 ]; then
  # the whole TAP stays for reading; the failures first on the console
  mkdir -p build/check && cp "$out" "build/check/$label.log"
  grep -n -A12 '^ *not ok' "$out" | grep -v 'duration_ms' | head -80
  echo "   (full output: build/check/$label.log)"
fi
echo "   web: $p passed, $f failed"
rm -f "$out"
echo "$p $f $label" >>"$PL_TALLY"
[ "$f" = 0 ]
