#!/usr/bin/env bash
# run.sh - `make bench-vision`: builds bench/vision/bench_vision.c against
# build/libparkline.a and prints vials/min of the raw-buffer inspection path
# at 22 views x 3 frames x 1024x1536 on 1 thread and on all cores, beside
# a memcpy of the same bytes measured in the same run (the floor).
# Extra arguments go to the benchmark (--seconds S --units K --threads N).
# `bench/vision/run.sh samples` regenerates docs/vision/sample-*.png.
set -euo pipefail
cd "$(dirname "$0")/../.."
# vision depends only on core: link just those objects, so the bench
# builds while other modules are mid-edit
objs=$(ls src/core/*.c src/vision/*.c | sed 's|^|build/|; s|\.c$|.o|')
make -s $objs
mkdir -p build/bench
CFLAGS="-std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -Isrc $(pkg-config --cflags jansson)"
LIBS="$objs $(pkg-config --libs jansson libsodium spng libturbojpeg) -lpthread -lm"
if [ "${1:-}" = samples ]; then
  cc $CFLAGS -o build/bench/samples bench/vision/samples.c $LIBS
  exec build/bench/samples docs/vision
fi
cc $CFLAGS -o build/bench/bench_vision bench/vision/bench_vision.c $LIBS
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
exec build/bench/bench_vision --threads "$(nproc)" "$@"
