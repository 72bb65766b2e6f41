#!/usr/bin/env bash
# run.sh - `make bench-vision`: builds bench/vision/bench_vision.c against
# build/libparkline.a and prints vials/min of the raw-buffer inspection path
# at 22 views x 3 frames x 1024x1536 on 1 thread and on all cores, beside
# a memcpy of the same bytes measured in the same run (the floor), and
# the same core steps written with OpenCV (vision_cv.cpp) when available.
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
# The OpenCV comparison (bench/vision/vision_cv.cpp): OpenCV is a
# benchmark reference only, so it is not in scripts/deps.sh; its core and
# imgproc dev packages are installed here on demand (as root), and when
# that is not possible the bench runs without the comparison and says so.
cvh=/usr/include/opencv4/opencv2/imgproc.hpp
if [ ! -f $cvh ] && [ "${PL_BENCH_NO_OPENCV:-}" = "" ]; then
  echo "bench-vision: installing OpenCV (libopencv-core-dev libopencv-imgproc-dev) for the comparison"
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y --no-install-recommends libopencv-core-dev libopencv-imgproc-dev >/dev/null ||
      echo "bench-vision: apt-get failed; running without the OpenCV comparison"
  else
    echo "bench-vision: not root; run 'sudo apt-get install libopencv-imgproc-dev' for the OpenCV comparison"
  fi
fi
if [ -f $cvh ] && [ "${PL_BENCH_NO_OPENCV:-}" = "" ]; then
  g++ -std=c++17 -O2 -g -Wall -Wextra -Werror -I/usr/include/opencv4 \
    -c bench/vision/vision_cv.cpp -o build/bench/vision_cv.o
  cc $CFLAGS -DPL_BENCH_OPENCV -Ibench/vision -c bench/vision/bench_vision.c -o build/bench/bench_vision.o
  g++ -o build/bench/bench_vision build/bench/bench_vision.o build/bench/vision_cv.o $LIBS \
    -lopencv_imgproc -lopencv_core
else
  cc $CFLAGS -o build/bench/bench_vision bench/vision/bench_vision.c $LIBS
fi
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
exec build/bench/bench_vision --threads "$(nproc)" "$@"
