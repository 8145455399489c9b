# cvo - build, test, demo and benchmark. `make help` lists the targets.
# Sources are found by folder: lib/<layer>/*.c is the library, cli/*.c the
# command, tests/unit/test_*.c one test program each, fuzz/fuzz_*.c fuzz targets.

CC       ?= cc
BUILD    ?= build
OPT      ?= -O3
CFLAGS   ?= $(OPT) -g
WARN     := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wvla -Wno-unused-parameter
ifeq ($(CI),true)
WERROR   ?= 1
endif
ifeq ($(WERROR),1)
WARN     += -Werror
endif
ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif
CPPFLAGS += -Iinclude -Ilib -D_GNU_SOURCE -DCVO_HAVE_XLSX
ALL_CFLAGS = -std=c11 $(WARN) -fvisibility=hidden -pthread $(CFLAGS)
LDLIBS   += -lxlsxwriter -lcurl -lgsl -lgslcblas -lsqlite3 -lz -lm -pthread

LIB_SRC  := $(sort $(wildcard lib/*/*.c))
CLI_SRC  := $(sort $(wildcard cli/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TESTS    := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_REPLAY := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%-replay)
CVO      := $(BUILD)/cvo

.PHONY: all deps demo check unit golden fuzz-replay man-examples duckdb-ntile push-check kill-check report-check gorgias-check history-check dive-check fuzz bench clean help format

all: $(CVO) $(BUILD)/libcvo.a

help:
	@echo "make demo    install build dependencies, build, run cvo on a generated store"
	@echo "make check   build and run every test (unit, golden CLI, fuzz corpus replay)"
	@echo "make bench   speed and memory on a 1e7-line generated file"
	@echo "make fuzz    run the libFuzzer targets (clang) for FUZZ_SECONDS each"
	@echo "make SAN=1 BUILD=build-san check   the tests under ASan+UBSan"
	@echo "make CC=clang SAN=1 BUILD=build-clang unit golden fuzz-replay   the fast tests, clang sanitizers"

# Build dependencies come from Debian; installed when missing and we are root.
DEPS_PKGS := gcc make zlib1g-dev libcmocka-dev libgsl-dev libxlsxwriter-dev libcurl4-openssl-dev libsqlite3-dev python3 bc sqlite3
deps:
	@./.ci/deps.sh $(DEPS_PKGS)

$(BUILD)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libcvo.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(CVO): $(CLI_OBJ) $(BUILD)/libcvo.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libcvo.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ -o $@ -lcmocka $(LDLIBS)

$(BUILD)/fuzz/%-replay: $(BUILD)/fuzz/%.o $(BUILD)/fuzz/replay_main.o $(BUILD)/libcvo.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

demo: $(CVO)
	@./tests/demo.sh $(CVO)

check: unit golden fuzz-replay man-examples duckdb-ntile push-check kill-check report-check gorgias-check history-check dive-check
	@./tests/summary.sh $(BUILD)/results

unit: $(TESTS)
	@mkdir -p $(BUILD)/results
	@./tests/run_unit.sh $(BUILD)/results $(TESTS)

golden: $(CVO)
	@mkdir -p $(BUILD)/results
	@./tests/run_golden.sh $(CVO) $(BUILD)/results

gorgias-check: $(CVO) $(BUILD)/libcvo.a
	@mkdir -p $(BUILD)/results
	@./tests/gorgias_check.sh $(BUILD)/results $(CVO)

report-check: $(CVO)
	@mkdir -p $(BUILD)/results
	@./tests/report_check.sh $(BUILD)/results $(CVO)

dive-check: $(CVO)
	@mkdir -p $(BUILD)/results
	@./tests/dive_check.sh $(BUILD)/results $(CVO)

history-check: $(CVO)
	@mkdir -p $(BUILD)/results
	@./tests/history_check.sh $(BUILD)/results $(CVO)

kill-check: $(CVO)
	@mkdir -p $(BUILD)/results
	@./tests/kill_check.sh $(BUILD)/results $(CVO)

push-check: $(CVO)
	@mkdir -p $(BUILD)/results
	@./tests/push_check.sh $(BUILD)/results $(CVO)

duckdb-ntile: $(CVO)
	@mkdir -p $(BUILD)/results
	@./tests/duckdb_ntile.sh $(BUILD)/results $(CVO)

man-examples: $(CVO)
	@mkdir -p $(BUILD)/results
	@./tests/man_examples.sh $(BUILD)/results $(CVO)

fuzz-replay: $(FUZZ_REPLAY)
	@mkdir -p $(BUILD)/results
	@./tests/run_fuzz_replay.sh $(BUILD)/results $(FUZZ_REPLAY)

FUZZ_SECONDS ?= 60
fuzz:
	@./fuzz/run.sh $(FUZZ_SECONDS)

bench: $(CVO)
	@./bench/bench.sh $(CVO)

format:
	clang-format -i include/*.h lib/*/*.[ch] cli/*.[ch] tests/unit/*.c fuzz/*.c

clean:
	rm -rf build build-san build-clang

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%.d) $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%.d)
.SECONDARY:
