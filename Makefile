# probelock: build, test, demo. Plain make; `make SAN=1 test` for ASan+UBSan.

CC      ?= cc
PKGS    := libevent libevent_pthreads jansson libpcap yaml-0.1 libcmark-gfm nettle
SAN     ?= 0

BUILD   := build$(if $(filter 1,$(SAN)),-san,)$(if $(filter fuzz,$(SAN)),-fuzz,)
BIN     := $(BUILD)/bin

CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -g -Wall -Wextra -Werror -Wshadow -Wformat=2 \
               -Wstrict-prototypes -Wmissing-prototypes -pthread -Ilib \
               $(if $(filter fuzz,$(SAN)),,-Wno-format-truncation)
# -Wno-format-truncation (gcc's): messages and paths are built with snprintf
# into fixed buffers on purpose; a cut message is better than none.
ifeq ($(SAN),1)
  CFLAGS_OPT := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
  LDSAN      := -fsanitize=address,undefined
else ifeq ($(SAN),fuzz)
  # `make fuzz`: clang's libFuzzer with ASan+UBSan (set by the fuzz target).
  CFLAGS_OPT := -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
                -fno-sanitize-recover=all
  LDSAN      := -fsanitize=address,undefined
else
  CFLAGS_OPT := -O2
  LDSAN      :=
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS    += $(CFLAGS_BASE) $(CFLAGS_OPT) $(PKG_CFLAGS)
LDLIBS    += $(PKG_LIBS) -pthread
LDFLAGS   += $(LDSAN)

# The library: every module once.
LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIBA     := $(BUILD)/libprobelock.a

PROGS    := $(BIN)/echod $(BIN)/tcpecho $(BIN)/probelock $(BIN)/lwip-echod
ORCH_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard orchestrator/*.c))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

# Fuzz targets (tests/fuzz/fuzz_*.c): replayed over their corpora by `make
# test` (linked with replay.c, any compiler), fuzzed by `make fuzz`.
FUZZ_TARGETS := scenario capture packet units clientopt serveropt results
FUZZ_REPLAYS := $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/replay_%)
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/fuzz_%)
FUZZ_SECONDS ?= 60

.PHONY: all deps test bench demo clean fuzz fuzz-run fuzz-merge oracle
.SECONDARY:
all: $(PROGS)

deps:
	@scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIBA): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BIN)/echod: $(BUILD)/server/echod.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/tcpecho: $(BUILD)/client/tcpecho.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/probelock: $(ORCH_OBJS) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The emulated embedded target links Debian's liblwip (its own headers and
# lwipopts.h), and only the option helpers of ours.
$(BUILD)/dut/lwip-echod.o: dut/lwip-echod.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags lwip) -MMD -MP -c $< -o $@

$(BIN)/lwip-echod: $(BUILD)/dut/lwip-echod.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs lwip)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs cmocka 2>/dev/null)

$(BUILD)/tests/fuzz/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay.o \
                              $(BUILD)/tests/fuzz/fuzzutil.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/fuzz/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/fuzzutil.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# Each target for FUZZ_SECONDS, on a work copy of its corpus (build-fuzz/corpus/T;
# crashes in build-fuzz/crashes/T-*). `make fuzz-merge` then adds what grew the
# coverage to tests/fuzz/corpus/T.
fuzz:
	@scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory SAN=fuzz CC=clang fuzz-run

fuzz-run: $(FUZZ_BINS)
	@tests/fuzz/run.sh $(BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-merge:
	@$(MAKE) --no-print-directory SAN=fuzz CC=clang $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
	  build-fuzz/tests/fuzz/fuzz_$$t -merge=1 tests/fuzz/corpus/$$t build-fuzz/corpus/$$t 2>&1 | tail -1; done

# Everything: dependencies, build, unit tests (cmocka, TAP) and process tests (TAP), by prove.
test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BINS) $(FUZZ_REPLAYS)
	@rm -f $(BUILD)/stall-audit.txt
	@PROBELOCK_BIN=$(abspath $(BIN)) PROBELOCK_SAN=$(SAN) CMOCKA_MESSAGE_OUTPUT=TAP \
	  PROBELOCK_STALL_AUDIT=$(abspath $(BUILD))/stall-audit.txt \
	  prove --timer -f $(UNIT_BINS) tests/proc/*.t

# The main job: the draft's experiment as a scenario matrix, its verdict table
# and where the results are. Captures need root (CAP_NET_RAW).
demo: deps
	@$(MAKE) --no-print-directory all
	@$(BIN)/probelock run scenarios/freniche-1998.yaml

# Benchmarks: probelock beside its peers, as ratios (never part of `make test`).
$(BUILD)/bench/maxrss: bench/maxrss.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all $(BUILD)/bench/maxrss
	@PROBELOCK_BIN=$(abspath $(BIN)) MAXRSS=$(abspath $(BUILD)/bench/maxrss) bench/run.sh

# The oracle (not part of `make test`): probelock analyze against tshark 4.0.17
# frame by frame on every capture of CORPUS (tests/oracle/README.md; made by
# tests/oracle/mkcorpus.sh, under /tmp). JOBS files at once; niced.
CORPUS ?= /tmp/probelock-corpus/captures
JOBS   ?= 1
oracle: all
	@test -d "$(CORPUS)" || { echo "no corpus in $(CORPUS): tests/oracle/mkcorpus.sh $(dir $(CORPUS:/=))" >&2; exit 2; }
	@nice -n 19 perl tests/oracle/oracle.pl --bin $(abspath $(BIN)) --jobs $(JOBS) $(CORPUS)

clean:
	rm -rf build build-san build-fuzz

# Header dependencies of every object, the tests' and the DUT's too.
-include $(LIB_OBJS:.o=.d) $(ORCH_OBJS:.o=.d) $(BUILD)/server/echod.d $(BUILD)/client/tcpecho.d \
         $(BUILD)/dut/lwip-echod.d $(UNIT_SRCS:%.c=$(BUILD)/%.d) \
         $(patsubst %.c,$(BUILD)/%.d,$(wildcard tests/fuzz/*.c))
