#!/usr/bin/env bash
# run.sh - `make bench-trace`: builds bench/trace/bench_trace.c against
# build/libparkline.a and prints EPCIS capture events/s beside plain SQLite
# inserts of the same rows (the floor) and the daemon's capture worker on a
# backlog of as many documents, then fills the store for up to
# --fill-seconds (default 300) towards --target events (default 10 M) and
# measures a unit's backward trace (p50/p99) and a recall from a raw lot.
# Extra arguments go to the benchmark (see its usage). `--bulk 1` fills
# the store by writing the flattened rows directly (many documents per
# transaction, synchronous=OFF) instead of through capture: a store of a
# million events in minutes, for the trace and recall figures only; the
# capture figures are always measured through trace_repo_capture (and the
# queue's worker). Not part
# of `make check`: it writes a multi-gigabyte store under build/bench/.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p build/bench
CFLAGS="-std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -Isrc $(pkg-config --cflags jansson libxml-2.0 libpq)"
LIBS="build/libparkline.a $(pkg-config --libs jansson libsodium sqlite3 libpq libxml-2.0 libcrypto libcurl) -lpthread -lm"
cc $CFLAGS -o build/bench/bench_trace bench/trace/bench_trace.c $LIBS
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
exec build/bench/bench_trace "$@"
