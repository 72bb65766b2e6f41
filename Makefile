# Parkline build. Objects go to $(BUILD); `make asan` builds the same tree
# with ASan+UBSan into build/asan. Every module under src/ is picked up by
# wildcard: src/cli holds main, everything else goes into libparkline.a.
#
# Targets: all run check bench bench-http bench-vision asan fuzz lint clean

BUILD   ?= build
CC      ?= gcc
PKGS    := jansson libmicrohttpd libsodium sqlite3 libpq spng libturbojpeg libpng libcrypto libxml-2.0 libprotobuf-c libmosquitto libcurl aravis-0.8
WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
OPT     ?= -O2 -g
CFLAGS  ?=
CFLAGS  += -std=c17 -D_GNU_SOURCE $(WARN) $(OPT) -Isrc -MMD -MP \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
ifeq ($(SAN),1)
  CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC  := $(filter-out src/cli/%,$(wildcard src/*/*.c))
CLI_SRC  := $(wildcard src/cli/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
# Sparkplug B: protoc-c generates the payload codec from
# src/mqtt/sparkplug_b.proto into $(BUILD)/gen at build time; the generated
# object joins libparkline.a and every src/mqtt object waits for its header.
SPB_GEN  := $(BUILD)/gen/mqtt/sparkplug_b.pb-c
LIB_OBJ  += $(SPB_GEN).o
CFLAGS   += -I$(BUILD)/gen
UNIT_SRC := $(wildcard tests/unit/*/test_*.c)
UNIT_BIN := $(UNIT_SRC:%.c=$(BUILD)/%)

.PHONY: bench-desk
.PHONY: all run check bench bench-http bench-vision asan fuzz fuzz-replay lint clean deps web unit
all: $(BUILD)/parkline

deps:
	@scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(SPB_GEN).c $(SPB_GEN).h &: src/mqtt/sparkplug_b.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --c_out=$(BUILD)/gen --proto_path=src mqtt/sparkplug_b.proto

$(SPB_GEN).o: $(SPB_GEN).c
	$(CC) $(CFLAGS) -c $< -o $@

$(filter $(BUILD)/src/mqtt/%,$(LIB_OBJ)): $(SPB_GEN).h

$(BUILD)/libparkline.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/parkline: $(CLI_OBJ) $(BUILD)/libparkline.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libparkline.a $(LDLIBS)

# Every unit test binary also links the shared harnesses in
# tests/unit/support (e.g. store_env.c, the two-driver store harness);
# their objects build by the generic %.o rule above.
UNIT_SUP_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/unit/support/*.c))
-include $(UNIT_SUP_OBJ:.o=.d) $(UNIT_BIN:=.d)
# built only for the pattern rule below: keep them (not intermediate)
.SECONDARY: $(UNIT_SUP_OBJ)
$(BUILD)/tests/unit/%: tests/unit/%.c $(UNIT_SUP_OBJ) $(BUILD)/libparkline.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(UNIT_SUP_OBJ) $(BUILD)/libparkline.a $(LDLIBS) -lcriterion

unit: $(UNIT_BIN)

# Test tools (tests/tools/*.c, not in the product binary): e.g. Aravis's
# fake GigE Vision camera on loopback for the camera tests.
TOOL_BIN := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(wildcard tests/tools/*.c))
$(BUILD)/tests/tools/%: tests/tools/%.c $(BUILD)/libparkline.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libparkline.a $(LDLIBS)
unit: $(TOOL_BIN)

web:
	@scripts/web-build.sh

run: deps all web
	scripts/run-demo.sh

check: deps
	scripts/check.sh

asan:
	$(MAKE) BUILD=build/asan SAN=1 OPT="-O1 -g" all unit

fuzz:
	scripts/fuzz.sh run

fuzz-replay:
	scripts/fuzz.sh replay

bench: bench-http bench-vision

bench-http: deps all
	scripts/bench-http.sh

bench-vision: deps all
	bench/vision/run.sh

# not in `make bench` or `make check`: it generates a million requests per store
bench-desk: deps all
	bench/desk/run.sh

# not in `make bench` or `make check`: publishers through a private mosquitto
# into the store, the broker alone, raw block inserts, SSE latency
# (bench/line/run.sh; NODES, METRICS, SECS, ROUNDS, PACES tune it)
.PHONY: bench-line
bench-line: deps all
	bench/line/run.sh

# not in `make bench` or `make check`: it fills a multi-gigabyte EPCIS store
# for up to 5 minutes (bench/trace/run.sh; ARGS passes options through)
.PHONY: bench-trace
bench-trace: deps all
	bench/trace/run.sh $(ARGS)

lint:
	scripts/lint.sh

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
