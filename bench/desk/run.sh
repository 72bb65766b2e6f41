#!/usr/bin/env bash
# run.sh - `make bench-desk`: builds bench/desk/bench_desk.c against
# build/libparkline.a and runs it on SQLite (a file in a temp dir) and on a
# throw-away PostgreSQL (scripts/pg.sh), each with a million generated
# requests: a specialist's queue (and, on the same data, the single-OR
# query it replaced) and the KPI reports from the rollup and, as the
# before figure, by the reference scan (answers must be identical),
# p50/p99 over 200 runs. Extra
# arguments go to the benchmark (--requests N --runs R --budget S).
# Everything it creates is removed on exit. Not part of `make check`.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s build/libparkline.a
mkdir -p build/bench
PKGS="jansson libmicrohttpd libsodium sqlite3 libpq spng libturbojpeg libpng libcrypto libxml-2.0 libprotobuf-c libmosquitto libcurl"
cc -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -O2 -g -Isrc $(pkg-config --cflags $PKGS) \
  -o build/bench/bench_desk bench/desk/bench_desk.c build/libparkline.a $(pkg-config --libs $PKGS) -lpthread -lm
tmp=$(mktemp -d /tmp/pl-bench-desk.XXXXXX)
pgdir=$(mktemp -d /tmp/pl-pg.XXXXXX)
trap 'scripts/pg.sh stop "$pgdir" >/dev/null 2>&1 || true; rmdir "$pgdir" 2>/dev/null || true; rm -rf "$tmp"' EXIT
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
build/bench/bench_desk --url "sqlite:$tmp/bench.db" --label sqlite "$@"
url=$(scripts/pg.sh start "$pgdir")
build/bench/bench_desk --url "$url" --label postgresql "$@"
