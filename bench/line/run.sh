#!/usr/bin/env bash
# run.sh - `make bench-line`: builds bench/line/bench_line.c against
# build/libparkline.a and, on a private mosquitto and a fresh SQLite store
# under build/bench/, prints in one run (see bench_line.c for each mode):
#   raw block inserts (the store's floor), the payload decoders alone
#   (protobuf-c and the fast path, CPU ns per metric), broker-only
#   metrics/s (publishers + a subscriber that discards), end-to-end
#   metrics/s through
#   `parkline serve --mqtt` into the store, and publish-to-browser latency
#   p50/p99 through the SSE stream (bench/line/latency.mjs).
# NODES (default 20), METRICS per message (50), SECS per phase (10); the
# broker-only and the saturating end-to-end phase alternate for ROUNDS
# rounds (3) with serve running throughout (idle in the broker-only
# phases: their topics are outside its namespace), each round's ratio
# printed and their median last, so a neighbour's burst on this shared
# machine moves one round, not the verdict; then the end-to-end phase
# runs paced at PACES NDATA/s per node.
# PARKLINE_BIN (default build/parkline) picks the daemon, so a before/after
# pair can run on the same machine minutes apart. Beside each end-to-end
# phase it prints the CPU time serve used (for the saturating one also per
# metric sent, the share of the network thread and the committed flushes
# that /metrics counted): on this
# shared 2-core machine the wall-clock rates measure the neighbours' load
# as much as our code.
# Not part of `make check`.
set -euo pipefail
cd "$(dirname "$0")/../.."
NODES=${NODES:-20}; METRICS=${METRICS:-50}; SECS=${SECS:-10}
mkdir -p build/bench
cc -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -Isrc -Ibuild/gen $(pkg-config --cflags jansson libpq libxml-2.0) \
  -o build/bench/bench_line bench/line/bench_line.c build/libparkline.a \
  $(pkg-config --libs jansson libmicrohttpd libsodium sqlite3 libpq spng libturbojpeg libpng libcrypto libxml-2.0 libprotobuf-c libmosquitto libcurl) -lpthread -lm
tmp=$(mktemp -d "$PWD/build/bench/line.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 1000000\nuser %s\n' "$port" "$(id -un)" >"$tmp/mosquitto.conf"
mosquitto -c "$tmp/mosquitto.conf" 2>"$tmp/mosquitto.log" & pids+=($!)
until (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; do sleep 0.1; done
url="mqtt://127.0.0.1:$port"
b=build/bench/bench_line
ROUNDS=${ROUNDS:-3}
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $NODES nodes x $METRICS metrics per NDATA, $SECS s per phase, $ROUNDS rounds"
$b seed "$tmp/line.db" $((NODES * ROUNDS)) # each round its own nodes (bench_line.c e2e)
$b raw "$tmp/line.db" 5
$b decode "$METRICS" 2
PARKLINE_HASH_COST=min PARKLINE_CALENDAR_DIR=data/calendar "${PARKLINE_BIN:-build/parkline}" serve --db "$tmp/line.db" --listen 127.0.0.1:0 --mqtt "$url" \
  >"$tmp/serve.out" 2>"$tmp/serve.err" & spid=$!; pids+=($spid)
for _ in $(seq 300); do grep -q "listening on" "$tmp/serve.out" && break; sleep 0.1; done
grep -q "listening on" "$tmp/serve.out" || { echo "serve did not start:"; tail -5 "$tmp/serve.err"; exit 1; }
base=$(sed -n 's|.*listening on \(http://[^/]*\)/.*|\1|p' "$tmp/serve.out" | sed 's/localhost/127.0.0.1/')
# serve's user+system CPU in ms (clock ticks of /proc/PID/stat)
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$spid/stat"; }
# the same for the network thread alone ("mqtt net", src/mqtt/client.c NOTES
# 12; "mosquitto loop", libmosquitto's own, in builds before it). Its name has
# a space: the fields after the ") " are counted
net_ms() {
  for t in /proc/"$spid"/task/*; do
    if [ "$(cat "$t/comm")" = "mqtt net" ] || [ "$(cat "$t/comm")" = "mosquitto loop" ]; then
      sed 's/^.*) //' "$t/stat" | awk -v hz="$(getconf CLK_TCK)" '{print int(($12 + $13) * 1000 / hz)}'
    fi
  done | head -1
}
# waits (at most 10 s) until serve has used under 25 ms of CPU in half a
# second: the last round's WAL checkpoint must not eat the next broker-only
# phase's CPU
quiet() {
  for _ in $(seq 20); do
    local c1; c1=$(cpu_ms); sleep 0.5
    [ $(( $(cpu_ms) - c1 )) -lt 25 ] && return 0
  done
  return 0 # busy all along: measure anyway
}
curl -s -c "$tmp/jar" -H 'Content-Type: application/json' -d '{"username":"admin","password":"parkline-demo"}' "$base/api/v1/auth/login" >/dev/null
# serve's committed flush transactions so far (/metrics)
flushes() { curl -s -b "$tmp/jar" "$base/metrics" | sed -n 's/^parkline_line_ingest_flushes_total //p'; }
rate() { sed -n 's/.* = \([0-9]*\) metrics\/s.*/\1/p' <<<"$1"; }
ratios=()
for r in $(seq 0 $((ROUNDS - 1))); do
  echo "-- round $((r + 1)) of $ROUNDS: the broker alone, then end to end (saturating: publishers as fast as the broker takes them)"
  quiet
  bo=$($b broker "$url" "$NODES" "$METRICS" "$SECS")
  echo "$bo"
  quiet
  c0=$(cpu_ms); n0=$(net_ms); f0=$(flushes)
  out=$(NODE_BASE=$((r * NODES)) $b e2e "$tmp/line.db" "$url" "$NODES" "$METRICS" "$SECS")
  echo "$out"
  c=$(( $(cpu_ms) - c0 )); n=$(( $(net_ms) - ${n0:-0} )); f=$(( $(flushes) - ${f0:-0} ))
  sent=$(sed -n 's/.* sent \([0-9]*\) metrics.*/\1/p' <<<"$out")
  # per metric sent: the figure to compare between two builds on this shared
  # machine (the wall-clock rates move with the neighbours' load)
  echo "serve CPU during the phase: $c ms = $(awk -v c="$c" -v s="${sent:-0}" 'BEGIN {printf "%.3f", s ? c * 1000 / s : 0}') us per metric sent, of which the network thread $n ms; $f flushes"
  ratio=$(awk -v e="$(rate "$out")" -v b="$(rate "$bo")" 'BEGIN {printf "%.2f", b ? e / b : 0}')
  ratios+=("$ratio")
  echo "ratio end to end / broker only: $ratio"
done
echo "ratio, median of $ROUNDS rounds: $(printf '%s\n' "${ratios[@]}" | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}') (rounds: ${ratios[*]})"
# every reject counter that is not zero, after each phase (cumulative)
rejects() { curl -s -b "$tmp/jar" "$base/metrics" | grep '^parkline_.*rejects_total' | grep -v ' 0$' || echo "rejects: none"; }
rejects
for pace in ${PACES:-20 50 100}; do
  # round 1's nodes again, stamped with the clock: after every saturating
  # phase's stamps, which start in the past (bench_line.c pub_thread)
  echo "-- paced: $pace NDATA/s per node = $((pace * NODES * METRICS)) metrics/s offered"
  c0=$(cpu_ms)
  PACE=$pace $b e2e "$tmp/line.db" "$url" "$NODES" "$METRICS" "$SECS"
  echo "serve CPU during the phase: $(( $(cpu_ms) - c0 )) ms"
  rejects
done
node bench/line/latency.mjs "$base" "$url" "$b" 20
