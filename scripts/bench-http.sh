#!/usr/bin/env bash
# bench-http.sh - `make bench-http`: parkline's HTTP path against nginx,
# measured in the same run on the same machine.
#
#   1. starts build/parkline serve --demo on a free loopback port with a
#      temp SQLite db, and nginx (Debian nginx-light, our own minimal config
#      in a temp dir, every path inside it) on another free port, serving a
#      static file with exactly the bytes of parkline's /healthz body;
#   2. logs in as the demo admin (the pl_session cookie is what a browser
#      sends on every read) for the authenticated read;
#   3. runs wrk against nginx's file, GET /healthz and GET /api/v1/me;
#   4. prints requests/s, p50 and p99 latency and the ratio to nginx, and
#      writes the table into docs/benchmarks.md between the bench-http
#      markers (the hand-written analysis around it is kept).
# Goals from issue 2: /healthz >= 0.5x nginx, authenticated read >= 0.3x.
#
# Fairness: nginx runs as many worker processes as parkline has HTTP
# threads (WORKERS, default 4), because on a busy machine the scheduler
# shares CPU per thread; the three targets are measured in alternating
# rounds (BENCH_ROUNDS, default 2) and each reports its best round, so a
# burst of load from elsewhere does not land on one target only.
#
# Environment: BENCH_SECONDS (10), BENCH_CONNS (32), BENCH_THREADS (2, wrk's),
# WORKERS (4), BENCH_ROUNDS (2), BIN (build/parkline), BENCH_PERF=1 also records a perf
# profile of the daemon during the /api/v1/me run and prints its top
# symbols, BENCH_NO_DOC=1 leaves docs/benchmarks.md alone.
# Both servers are stopped on exit, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-build/parkline}
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-32}
THREADS=${BENCH_THREADS:-2}
WORKERS=${WORKERS:-4}
ROUNDS=${BENCH_ROUNDS:-2}
DOC=docs/benchmarks.md

for c in wrk nginx curl node; do
  command -v "$c" >/dev/null || { echo "bench-http.sh: $c is not installed (scripts/deps.sh)" >&2; exit 1; }
done
[ -x "$BIN" ] || { echo "bench-http.sh: no $BIN (run make)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/parkline-bench.XXXXXX)
daemon_pid=""; nginx_started=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  [ -n "$nginx_started" ] && nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -s quit 2>/dev/null
  # nginx -s quit returns before the master exits; wait for its pid file to go.
  for _ in $(seq 50); do [ -f "$tmp/nginx/nginx.pid" ] || break; sleep 0.1; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# A loopback port the kernel picked (bind to 0); node is a dependency anyway.
free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Polls a readiness URL until 200 or 30 s pass (a bounded wait for a
# probe, not a sleep standing in for synchronisation).
wait_ready() {
  for _ in $(seq 300); do
    curl -fs -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "bench-http.sh: $1 not ready after 30 s" >&2
  return 1
}

# ---------------------------------------------------------------- parkline
pport=$(free_port)
"$BIN" serve --demo --listen "127.0.0.1:$pport" --db "$tmp/park.db" --threads "$WORKERS" \
  >"$tmp/parkline.log" 2>&1 &
daemon_pid=$!
wait_ready "http://127.0.0.1:$pport/readyz" || { tail -20 "$tmp/parkline.log" >&2; exit 1; }

curl -fs "http://127.0.0.1:$pport/healthz" >"$tmp/healthz.body"
hsize=$(wc -c <"$tmp/healthz.body")

login=$(curl -fs -D "$tmp/login.headers" -H 'Content-Type: application/json' \
  --data '{"username":"admin","password":"parkline-demo"}' \
  "http://127.0.0.1:$pport/api/v1/auth/login") || { echo "bench-http.sh: demo login failed" >&2; exit 1; }
cookie=$(sed -n 's/^[Ss]et-[Cc]ookie: \(pl_session=[^;]*\).*/\1/p' "$tmp/login.headers" | head -1)
[ -n "$cookie" ] || { echo "bench-http.sh: login returned no pl_session cookie: $login" >&2; exit 1; }
me_status=$(curl -s -o "$tmp/me.body" -w '%{http_code}' -H "Cookie: $cookie" "http://127.0.0.1:$pport/api/v1/me")
[ "$me_status" = 200 ] || { echo "bench-http.sh: GET /api/v1/me with the session gave $me_status" >&2; exit 1; }
msize=$(wc -c <"$tmp/me.body")

# ------------------------------------------------------------------- nginx
nport=$(free_port)
mkdir -p "$tmp/nginx/www" "$tmp/nginx/logs"
cp "$tmp/healthz.body" "$tmp/nginx/www/healthz"
# nginx's workers run as nobody when started as root: let them read the file.
chmod 755 "$tmp" "$tmp/nginx" "$tmp/nginx/www"; chmod 644 "$tmp/nginx/www/healthz"
cat >"$tmp/nginx/nginx.conf" <<EOF
# Minimal static server for the baseline; every path is inside $tmp/nginx.
worker_processes $WORKERS;
daemon on;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$nport;
    root $tmp/nginx/www;
    location = /healthz { default_type application/json; }
  }
}
EOF
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log"
nginx_started=1
wait_ready "http://127.0.0.1:$nport/healthz"
nsize=$(curl -fs "http://127.0.0.1:$nport/healthz" | wc -c)
[ "$nsize" = "$hsize" ] || { echo "bench-http.sh: nginx body $nsize bytes, /healthz $hsize" >&2; exit 1; }

# --------------------------------------------------------------------- wrk
# Prints "rps p50_ms p99_ms non2xx" for one run.
bench() {
  local out
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency "$@" 2>&1)
  printf '%s\n' "$out" >>"$tmp/wrk.log"
  printf '%s\n' "$out" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    END { printf "%.0f %.3f %.3f %d\n", rps, p50, p99, bad }'
}

# Keeps the round with the most requests/s ("rps p50 p99 bad" lines).
best() { sort -k1,1nr | head -1; }

echo "bench-http: $ROUNDS rounds of ${SECS}s per target, wrk -t$THREADS -c$CONNS," \
     "nginx $WORKERS workers, parkline $WORKERS threads, body $hsize bytes"
: >"$tmp/n"; : >"$tmp/h"; : >"$tmp/m"
perf_pid=""
for round in $(seq "$ROUNDS"); do
  bench "http://127.0.0.1:$nport/healthz" >>"$tmp/n"
  bench "http://127.0.0.1:$pport/healthz" >>"$tmp/h"
  if [ "$round" = 1 ] && [ "${BENCH_PERF:-0}" = 1 ] && command -v perf >/dev/null; then
    perf record -F 499 -g -p "$daemon_pid" -o "$tmp/perf.data" -- sleep "$SECS" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  bench -H "Cookie: $cookie" "http://127.0.0.1:$pport/api/v1/me" >>"$tmp/m"
  if [ -n "$perf_pid" ]; then wait "$perf_pid" || true; perf_pid=""; fi
  echo "   round $round: nginx $(cut -d' ' -f1 <"$tmp/n" | tail -1)/s," \
       "/healthz $(cut -d' ' -f1 <"$tmp/h" | tail -1)/s, /api/v1/me $(cut -d' ' -f1 <"$tmp/m" | tail -1)/s"
done
read -r n_rps n_p50 n_p99 n_bad < <(best <"$tmp/n")
read -r h_rps h_p50 h_p99 h_bad < <(best <"$tmp/h")
read -r m_rps m_p50 m_p99 m_bad < <(best <"$tmp/m")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { print (r >= g ? "met" : "MISSED") }'; }
h_ratio=$(ratio "$h_rps" "$n_rps"); m_ratio=$(ratio "$m_rps" "$n_rps")

table=$(cat <<EOF
| target | bytes | requests/s | p50 ms | p99 ms | non-2xx | vs nginx | goal |
|---|---:|---:|---:|---:|---:|---:|---|
| nginx static file (baseline) | $nsize | $n_rps | $n_p50 | $n_p99 | $n_bad | 1.00 | |
| parkline \`GET /healthz\` | $hsize | $h_rps | $h_p50 | $h_p99 | $h_bad | $h_ratio | >= 0.5: $(verdict "$h_ratio" 0.5) |
| parkline \`GET /api/v1/me\` (session cookie) | $msize | $m_rps | $m_p50 | $m_p99 | $m_bad | $m_ratio | >= 0.3: $(verdict "$m_ratio" 0.3) |
EOF
)
echo "$table"

if [ -f "$tmp/perf.data" ]; then
  echo "perf: top symbols in the daemon during GET /api/v1/me"
  perf report -i "$tmp/perf.data" --no-children -g none --stdio --sort symbol 2>/dev/null |
    grep -E '^ +[0-9]' | head -25
fi

if [ "${BENCH_NO_DOC:-0}" != 1 ]; then
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
  section=$(cat <<EOF
<!-- bench-http:begin (written by scripts/bench-http.sh; edits here are overwritten) -->
Last run: $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores ($cpu), $(uname -sr);
$(nginx -v 2>&1 | sed 's/.*: //'), wrk $(wrk --version 2>&1 | head -1 | awk '{print $2}');
wrk -t$THREADS -c$CONNS -d${SECS}s --latency, best of $ROUNDS alternating rounds; nginx $WORKERS workers, parkline
$WORKERS threads. wrk, nginx and parkline share the same cores (and, on the shared build machine, other
engineers' jobs: load average $(cut -d' ' -f1-3 /proc/loadavg) at the end), so absolute numbers are low; compare the ratios.

$table
<!-- bench-http:end -->
EOF
)
  mkdir -p docs
  if [ -f "$DOC" ] && grep -q 'bench-http:begin' "$DOC"; then
    # Replace only the generated block; keep the analysis around it.
    SECTION="$section" awk '
      /bench-http:begin/ { print ENVIRON["SECTION"]; skip = 1; next }
      /bench-http:end/ { skip = 0; next }
      !skip { print }' "$DOC" >"$tmp/doc" && cp "$tmp/doc" "$DOC"
  else
    printf '# Benchmarks\n\n## HTTP (`make bench-http`)\n\n%s\n' "$section" >>"$DOC"
  fi
  echo "bench-http: results written to $DOC"
fi
