# fuzz.mk - builds the libFuzzer targets with clang, apart from the gcc
# build: the library sources a target needs are compiled again with
# -fsanitize=fuzzer-no-link,address,undefined into build/fuzz/obj, archived
# per module, and each fuzz/<target>.c is linked against them with
# -fsanitize=fuzzer. scripts/fuzz.sh drives it; use it directly as
#   make -f fuzz/fuzz.mk build/fuzz/fuzz_time
#
# Which modules a target links is declared below (MODS_<target>): the core
# targets need only core, so they keep building while other modules are
# mid-edit; a target with no MODS_ line (the HTTP ones: the route table
# reaches into every module) links every library module.

FZ      := build/fuzz
FCC     ?= clang-14
# The same pkg-config list as the main Makefile (read from it, so a library
# added there is linked here too).
PKGS    := $(shell sed -n 's/^PKGS *:= *//p' Makefile)
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
           -fno-omit-frame-pointer
FCFLAGS := -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 \
           -Wvla -O1 -g $(SAN) -Isrc -I$(FZ)/gen -MMD -MP \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FLDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

MODULES := $(filter-out cli,$(notdir $(wildcard src/*)))
# A library module's objects, and its archive. A module's .proto files are
# compiled by protoc-c into $(FZ)/gen/<module>/ (as the main Makefile does
# into build/gen), and their objects join the module's archive.
mod_src  = $(wildcard src/$(1)/*.c)
mod_pb   = $(patsubst src/%.proto,$(FZ)/gen/%.pb-c,$(wildcard src/$(1)/*.proto))
mod_obj  = $(patsubst %.c,$(FZ)/obj/%.o,$(call mod_src,$(1))) \
           $(addsuffix .o,$(call mod_pb,$(1)))

MODS_fuzz_time      := core
MODS_fuzz_config    := core
# desk targets (desk depends only on core here).
MODS_fuzz_desk_calendar := core desk
MODS_fuzz_desk_sla      := core desk
MODS_fuzz_desk_uscc     := core desk
MODS_fuzz_desk_wechat   := core desk
MODS_fuzz_desk_phone    := core desk
MODS_fuzz_desk_attach   := core desk
# trace targets (trace depends only on core).
MODS_fuzz_trace_id      := core trace
MODS_fuzz_trace_doc     := core trace
MODS_fuzz_trace_xml     := core trace
MODS_fuzz_trace_query   := core trace
# Sparkplug B payload decoder (mqtt's codec needs only core).
MODS_fuzz_sparkplug     := core mqtt
# park: the CSV reader needs only core (the archive pulls csv.o alone).
MODS_fuzz_park_csv      := core park
# vision
MODS_fuzz_vis_decode    := core vision
MODS_fuzz_vis_config    := core vision
MODS_fuzz_anomaly_model := core vision
MODS_fuzz_vis_golden    := core vision

TARGETS := $(basename $(notdir $(wildcard fuzz/fuzz_*.c)))

.PHONY: all
all: $(addprefix $(FZ)/,$(TARGETS))

# Library sources: clang's -Wformat=2 also flags vsnprintf(fmt) inside
# va_list wrappers whose prototype lacks format(printf, N, 0) (gcc does
# not); until core.h carries that attribute the fuzz build relaxes only that.
$(FZ)/obj/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(FCC) $(FCFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FZ)/obj/fuzz/%.o: fuzz/%.c
	@mkdir -p $(dir $@)
	$(FCC) $(FCFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FZ)/gen/%.pb-c.c $(FZ)/gen/%.pb-c.h &: src/%.proto
	@mkdir -p $(FZ)/gen
	protoc-c --c_out=$(FZ)/gen --proto_path=src $*.proto

$(FZ)/gen/%.pb-c.o: $(FZ)/gen/%.pb-c.c
	$(FCC) $(FCFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

define MODULE_RULE
$(FZ)/lib$(1).a: $(call mod_obj,$(1))
	@rm -f $$@
	ar rcs $$@ $$^
# Every source of the module waits for its generated headers.
$(patsubst %.c,$(FZ)/obj/%.o,$(call mod_src,$(1))): $(addsuffix .h,$(call mod_pb,$(1)))
endef
$(foreach m,$(MODULES),$(eval $(call MODULE_RULE,$(m))))

# A target without a MODS_ line links every module. Archives go inside
# --start-group so the order of modules does not matter.
mods_of = $(or $(MODS_$(1)),$(MODULES))
define TARGET_RULE
$(FZ)/$(1): $(FZ)/obj/fuzz/$(1).o $(foreach m,$(call mods_of,$(1)),$(FZ)/lib$(m).a)
	$(FCC) $(SAN) -fsanitize=fuzzer -o $$@ $$< -Wl,--start-group \
	  $(foreach m,$(call mods_of,$(1)),$(FZ)/lib$(m).a) -Wl,--end-group $(FLDLIBS)
endef
$(foreach t,$(TARGETS),$(eval $(call TARGET_RULE,$(t))))

-include $(shell find $(FZ)/obj -name '*.d' 2>/dev/null)
