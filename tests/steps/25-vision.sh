#!/usr/bin/env bash
# 25-vision.sh - end to end through the real binary: `parkline simulate
# vials` writes a small unit set (PNG frames + JSON truth) into a temp dir,
# `parkline inspect unit` and `parkline inspect eval` read it back through
# the PNG decoder. Checks, each one tally point:
#   - simulate is deterministic (same seed, same bytes)
#   - every unit's verdict matches its truth (small frames, large enough
#     defects for the detector's documented range)
#   - eval prints the report sections
#   - a truncated frame makes the unit uninspectable (exit 4) with the
#     decoder's reason, a missing frame too, and the process carries on
#   - bad arguments exit 2
# Small frames (50 um/px, 512x768, 8 views) keep it to a few seconds.
set -uo pipefail
cd "$PL_ROOT"
build=${BUILD:-build}
bin=$build/parkline
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "   FAIL: $*"; }

tmp=$(mktemp -d /tmp/pl-vision-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

if ! "$bin" simulate --help >/dev/null 2>&1; then
  echo "   parkline has no 'simulate' command (cli_simulate/cli_inspect not in main.c's table)"
  echo "0 1 vision-e2e" >>"$PL_TALLY"
  exit 1
fi

sim=(--units 6 --seed 3 --defect-rate 0.5 --um-per-px 50 --width 512 --height 768 --views 8)
"$bin" simulate vials --out "$tmp/a" "${sim[@]}" >/dev/null && ok || bad "simulate a"
"$bin" simulate vials --out "$tmp/b" "${sim[@]}" >/dev/null && ok || bad "simulate b"
if diff -r "$tmp/a" "$tmp/b" >/dev/null; then ok; else bad "simulate is not deterministic"; fi

# every unit: exit code 0 accept / 3 reject must match truth.json
for u in "$tmp"/a/unit-*; do
  want=$(sed -n 's/.*"expected": "\(.*\)".*/\1/p' "$u/truth.json")
  "$bin" inspect unit "$u" --overlay "$tmp/ov.png" >"$tmp/out.json"; rc=$?
  got=accept; [ $rc = 3 ] && got=reject; [ $rc = 4 ] && got=uninspectable
  if [ "$got" = "$want" ]; then ok; else bad "$(basename "$u"): truth $want, got $got: $(cat "$tmp/out.json")"; fi
  if [ $rc = 3 ]; then
    if [ -s "$tmp/ov.png" ]; then ok; else bad "$(basename "$u"): reject without overlay"; fi
    rm -f "$tmp/ov.png"
  fi
done

"$bin" inspect eval "$tmp/a" --report "$tmp/report.md" >/dev/null; rc=$?
if [ $rc = 0 ] && grep -q '^### Confusion matrix' "$tmp/report.md" &&
   grep -q '^### Probability of detection' "$tmp/report.md" &&
   grep -q '^| good units |' "$tmp/report.md"; then ok; else bad "eval report (rc $rc)"; fi

# truncated frame: uninspectable with the decoder's reason
u0="$tmp/a/unit-00000"
head -c 3000 "$u0/v03-f1.png" >"$tmp/t.png" && mv "$tmp/t.png" "$u0/v03-f1.png"
"$bin" inspect unit "$u0" >"$tmp/out.json"; rc=$?
if [ $rc = 4 ] && grep -q 'uninspectable' "$tmp/out.json" && grep -q 'PNG' "$tmp/out.json"; then ok
else bad "truncated frame: rc $rc $(cat "$tmp/out.json")"; fi
# missing frame
rm "$u0/v03-f1.png"
"$bin" inspect unit "$u0" >"$tmp/out.json"; rc=$?
if [ $rc = 4 ] && grep -q 'v03-f1' "$tmp/out.json"; then ok; else bad "missing frame: rc $rc"; fi
# eval carries on past the broken unit and counts it
"$bin" inspect eval "$tmp/a" >"$tmp/report2.md"; rc=$?
if [ $rc = 0 ] && grep -q 'Units inspected: 6' "$tmp/report2.md"; then ok; else bad "eval with a broken unit (rc $rc)"; fi

# argument errors
"$bin" simulate vials --units 0 --out "$tmp/c" >/dev/null 2>&1; [ $? = 2 ] && ok || bad "--units 0 should exit 2"
"$bin" inspect eval >/dev/null 2>&1; [ $? = 2 ] && ok || bad "eval without DIR should exit 2"
"$bin" inspect unit "$tmp/nonexistent" >/dev/null 2>&1; [ $? = 4 ] && ok || bad "missing unit dir should be uninspectable"

echo "   vision-e2e: $pass passed, $fail failed"
echo "$pass $fail vision-e2e" >>"$PL_TALLY"
[ "$fail" = 0 ]
