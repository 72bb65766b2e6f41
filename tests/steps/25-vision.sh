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
#   - golden model: learnt from a directory of good units, good units of
#     another set pass with it, simulated cosmetic marks are caught and
#     called cosmetic, a truncated or mismatched model is refused
#   - dark-field views: written to product.json, verdicts match truth,
#     bad view lists refused
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

# generic anomaly mode (issue 5 item 3): a demo bottle set, train on the
# good images only, score a labelled test set; AUROC floor, one heat map
# per image, damaged model and unreadable image refused, bad arguments
an="$tmp/anom"
"$bin" inspect bottles --out "$an" --good 30 --bad 15 --size 128 --seed 5 >/dev/null && ok || bad "inspect bottles"
"$bin" inspect train --good "$an/good" --model "$an/m.bin" --target-frr 0.05 >"$an/train.txt"; rc=$?
if [ $rc = 0 ] && grep -q '^threshold: ' "$an/train.txt"; then ok; else bad "inspect train (rc $rc)"; fi
"$bin" inspect score --model "$an/m.bin" --labels "$an/test/labels.csv" --heatmap "$an/heat" "$an"/test/*.png >"$an/score.txt"; rc=$?
auc=$(sed -n 's/^AUROC: \([0-9.]*\).*/\1/p' "$an/score.txt")
if [ $rc = 0 ] && [ -n "$auc" ] && awk -v a="$auc" 'BEGIN { exit !(a >= 0.95) }'; then ok
else bad "anomaly AUROC '$auc' under 0.95 (rc $rc)"; fi
nimg=$(ls "$an"/test/*.png | wc -l); nheat=$(ls "$an"/heat/*.heat.png 2>/dev/null | wc -l)
[ "$nimg" = "$nheat" ] && ok || bad "heat maps: $nheat for $nimg images"
head -c 5000 "$an/m.bin" >"$an/trunc.bin"
"$bin" inspect score --model "$an/trunc.bin" "$an"/test/good-0030.png >/dev/null 2>"$an/err.txt"; rc=$?
if [ $rc = 1 ] && grep -q 'truncated' "$an/err.txt"; then ok; else bad "truncated model: rc $rc $(cat "$an/err.txt")"; fi
printf 'not an image' >"$an/junk.png"
"$bin" inspect score --model "$an/m.bin" "$an/junk.png" "$an"/test/good-0030.png >"$an/out.txt"; rc=$?
if [ $rc = 4 ] && grep -q 'junk.png.*uninspectable' "$an/out.txt" && grep -q 'good-0030.png.*accept\|good-0030.png.*reject' "$an/out.txt"; then ok
else bad "unreadable image: rc $rc $(cat "$an/out.txt")"; fi
"$bin" inspect train --good "$an/good" >/dev/null 2>&1; [ $? = 2 ] && ok || bad "train without --model should exit 2"
"$bin" inspect train --good "$an/good" --model "$an/x.bin" --target-frr 2 >/dev/null 2>&1; [ $? = 2 ] && ok || bad "--target-frr 2 should exit 2"

# golden model (issue 5 item 2): learn from a directory of good units,
# good units of another set still pass with it, simulated cosmetic marks
# are caught and called cosmetic, a damaged or mismatched model is refused
gd="$tmp/golden"
mkdir -p "$gd"
gsim=(--um-per-px 50 --width 512 --height 768 --views 8)
"$bin" simulate vials --out "$gd/good" --units 10 --seed 11 --defect-rate 0 "${gsim[@]}" >/dev/null && ok || bad "simulate good units"
"$bin" inspect golden --good "$gd/good" --model "$gd/g.bin" >"$gd/train.txt"; rc=$?
if [ $rc = 0 ] && grep -q '10 good units (0 skipped)' "$gd/train.txt"; then ok; else bad "inspect golden (rc $rc) $(cat "$gd/train.txt")"; fi
"$bin" simulate vials --out "$gd/test" --units 3 --seed 12 --defect-rate 0 "${gsim[@]}" >/dev/null && ok || bad "simulate test units"
for u in "$gd"/test/unit-*; do
  "$bin" inspect unit "$u" --golden "$gd/g.bin" >"$tmp/out.json"; rc=$?
  [ $rc = 0 ] && ok || bad "good $(basename "$u") with golden: rc $rc $(cat "$tmp/out.json")"
done
"$bin" inspect eval --simulate 6 --seed 13 --defect-rate 1 --cosmetic-rate 1 --jobs 1 "${gsim[@]}" --golden "$gd/g.bin" >"$gd/eval.md"; rc=$?
if [ $rc = 0 ] && grep -q '^| cosmetic | 6 | 100.0 %' "$gd/eval.md" && grep -q 'Golden model: 10 good units' "$gd/eval.md"; then ok
else bad "cosmetic units with golden (rc $rc): $(grep '^| cosmetic' "$gd/eval.md")"; fi
head -c 4000 "$gd/g.bin" >"$gd/trunc.bin"
"$bin" inspect unit "$gd/test/unit-00000" --golden "$gd/trunc.bin" >/dev/null 2>"$gd/err.txt"; rc=$?
if [ $rc = 1 ] && grep -q 'truncated' "$gd/err.txt"; then ok; else bad "truncated golden model: rc $rc $(cat "$gd/err.txt")"; fi
"$bin" inspect eval --simulate 1 --um-per-px 50 --width 512 --height 768 --views 6 --golden "$gd/g.bin" >/dev/null 2>"$gd/err.txt"; rc=$?
if [ $rc = 1 ] && grep -q 'golden model is for 8 views' "$gd/err.txt"; then ok; else bad "mismatched golden model: rc $rc $(cat "$gd/err.txt")"; fi
"$bin" inspect golden --simulate 5 >/dev/null 2>&1; [ $? = 2 ] && ok || bad "golden without --model should exit 2"
"$bin" inspect eval --simulate 1 --cosmetic-rate 2 >/dev/null 2>&1; [ $? = 2 ] && ok || bad "--cosmetic-rate 2 should exit 2"

# dark-field views (issue 5 item 4): recorded in product.json, read back by
# inspect unit (verdicts still match truth), bad view lists refused
df="$tmp/dark"
"$bin" simulate vials --out "$df" --units 3 --seed 3 --defect-rate 0.5 "${gsim[@]}" --dark-field-views 0,4 >/dev/null && ok || bad "simulate with dark-field views"
if grep -q '"dark_field_views":\[0,4\]' <<<"$(tr -d ' \n' <"$df/product.json")"; then ok; else bad "dark_field_views not in product.json"; fi
for u in "$df"/unit-*; do
  want=$(sed -n 's/.*"expected": "\(.*\)".*/\1/p' "$u/truth.json")
  "$bin" inspect unit "$u" >"$tmp/out.json"; rc=$?
  got=accept; [ $rc = 3 ] && got=reject; [ $rc = 4 ] && got=uninspectable
  if [ "$got" = "$want" ]; then ok; else bad "dark-field $(basename "$u"): truth $want, got $got: $(cat "$tmp/out.json")"; fi
done
"$bin" simulate vials --out "$tmp/d2" "${gsim[@]}" --dark-field-views 8 >/dev/null 2>"$tmp/err.txt"; rc=$?
if [ $rc = 2 ] && grep -q 'dark-field views must be indices 0..7' "$tmp/err.txt"; then ok; else bad "--dark-field-views 8: rc $rc $(cat "$tmp/err.txt")"; fi
"$bin" simulate vials --out "$tmp/d3" "${gsim[@]}" --dark-field 8 >/dev/null 2>&1; [ $? = 2 ] && ok || bad "--dark-field 8 of 8 views should exit 2"
"$bin" inspect eval --simulate 1 "${gsim[@]}" --dark-field 8 >/dev/null 2>"$tmp/err.txt"; rc=$?
if [ $rc = 1 ] && grep -q 'back-lit' "$tmp/err.txt"; then ok; else bad "eval --dark-field 8 of 8: rc $rc $(cat "$tmp/err.txt")"; fi

echo "   vision-e2e: $pass passed, $fail failed"
echo "$pass $fail vision-e2e" >>"$PL_TALLY"
[ "$fail" = 0 ]
