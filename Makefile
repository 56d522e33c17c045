# probelock: build, test, demo. Plain make; `make SAN=1 test` for ASan+UBSan.

CC      ?= cc
PKGS    := libevent libevent_pthreads jansson libpcap yaml-0.1 libcmark-gfm
SAN     ?= 0

BUILD   := build$(if $(filter 1,$(SAN)),-san,)
BIN     := $(BUILD)/bin

CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -g -Wall -Wextra -Werror -Wshadow -Wformat=2 \
               -Wstrict-prototypes -Wmissing-prototypes -pthread -Ilib -Iorchestrator \
               -Wno-format-truncation
# -Wno-format-truncation: messages and paths are built with snprintf into
# fixed buffers on purpose; a cut message is better than none.
ifeq ($(SAN),1)
  CFLAGS_OPT := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
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

.PHONY: all deps test bench demo clean
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

# Everything: dependencies, build, unit tests (cmocka, TAP) and process tests (TAP), by prove.
test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BINS)
	@PROBELOCK_BIN=$(abspath $(BIN)) PROBELOCK_SAN=$(SAN) CMOCKA_MESSAGE_OUTPUT=TAP \
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

clean:
	rm -rf build build-san

# Header dependencies of every object, the tests' and the DUT's too.
-include $(LIB_OBJS:.o=.d) $(ORCH_OBJS:.o=.d) $(BUILD)/server/echod.d $(BUILD)/client/tcpecho.d \
         $(BUILD)/dut/lwip-echod.d $(UNIT_SRCS:%.c=$(BUILD)/%.d)
