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
LDLIBS   += -lxlsxwriter -lcurl -ljansson -lgsl -lgslcblas -lsqlite3 -lz -lm -pthread

LIB_SRC  := $(sort $(wildcard lib/*/*.c))
CLI_SRC  := $(sort $(wildcard cli/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TESTS    := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_REPLAY := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%-replay)
CVO      := $(BUILD)/cvo
PUSH_DRIVER := $(BUILD)/tests/push_driver

.PHONY: all deps check-deps shared install uninstall install-check demo check unit golden fuzz-replay man-examples duckdb-ntile push-check pull-check kill-check report-check gorgias-check history-check dive-check cron-check weekly-check experiments-check tty-check ingest-check clang-check fuzz bench clean help format

all: $(CVO) $(BUILD)/libcvo.a

help:
	@echo "make demo    install build dependencies, build, run cvo on a generated store"
	@echo "make check   build and run every test (unit, golden CLI, fuzz corpus replay)"
	@echo "make bench   speed and memory on a 1e7-line generated file"
	@echo "make fuzz    run the libFuzzer targets (clang) for FUZZ_SECONDS each"
	@echo "make SAN=1 BUILD=build-san check   the tests under ASan+UBSan"
	@echo "make install [PREFIX=/usr/local] [DESTDIR=]   cvo, cvo.1, libcvo (.a, .so), cvo.h, cvo.pc"
	@echo "make uninstall [PREFIX=...] [DESTDIR=]        remove exactly what install put there"
	@echo "make clang-check   unit, golden and fuzz replay built by clang with ASan+UBSan"

# Build dependencies come from Debian; installed when missing and we are root.
DEPS_PKGS := gcc make zlib1g-dev libcmocka-dev libgsl-dev libxlsxwriter-dev libcurl4-openssl-dev libjansson-dev libsqlite3-dev python3 bc sqlite3
DEPS_PKGS += pkg-config
deps:
	@./.ci/deps.sh $(DEPS_PKGS)

# What the tests need beyond the build, installed the same way: make check
# installs all of it first (one apt-get), a single test target only its own.
# PKG=COMMAND: the command on the PATH will do (Node.js from elsewhere, say).
REPORT_PKGS  := chromium=chromium
DUCKDB_PKGS  := nodejs=node npm=npm
TTY_PKGS     := bsdutils=script
INSTALL_PKGS := binutils=readelf pkg-config=pkg-config
# the compiled time zones: cvo pull shopify reads the shop's, test_tz all of them
TZ_PKGS      := tzdata
CHECK_PKGS   := $(REPORT_PKGS) $(DUCKDB_PKGS) $(TTY_PKGS) $(INSTALL_PKGS) $(TZ_PKGS)
CHECK_FIRST  := $(if $(filter check,$(MAKECMDGOALS)),check-deps)
check-deps: deps
	@./.ci/deps.sh $(CHECK_PKGS)

$(BUILD)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libcvo.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The shared library: the same sources compiled position-independent in their
# own folder; only the cvo_ symbols are exported (-fvisibility=hidden, CVO_API).
VERSION  := $(shell sed -n 's/^\#define CVO_VERSION "\(.*\)"/\1/p' include/cvo.h)
SONAME   := libcvo.so.0
SHARED   := $(BUILD)/libcvo.so.$(VERSION)
PIC_OBJ  := $(LIB_SRC:%.c=$(BUILD)/pic/%.o)

$(BUILD)/pic/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fPIC -MMD -MP -c $< -o $@

$(SHARED): $(PIC_OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,--no-undefined \
	    -Wl,--as-needed $^ -o $@ $(LDLIBS)

shared: $(SHARED)

$(CVO): $(CLI_OBJ) $(BUILD)/libcvo.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libcvo.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ -o $@ -lcmocka $(LDLIBS)

# a second front end over cvo.h for the push checks (not a unit test)
$(PUSH_DRIVER): $(BUILD)/tests/push_driver.o $(BUILD)/libcvo.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/fuzz/%-replay: $(BUILD)/fuzz/%.o $(BUILD)/fuzz/replay_main.o $(BUILD)/libcvo.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# The tests never read the configuration of whoever runs them (cvo looks for
# ./cvo.ini, then $XDG_CONFIG_HOME/cvo/config.ini).
TEST_TARGETS := check unit golden fuzz-replay man-examples duckdb-ntile push-check pull-check kill-check \
                report-check gorgias-check history-check dive-check experiments-check tty-check \
                ingest-check install-check
$(TEST_TARGETS): export XDG_CONFIG_HOME := $(abspath $(BUILD))/no-config

# ---- install ---------------------------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=staging]: the command, its manual,
# the library (static and shared) with its header and cvo.pc; make uninstall
# removes exactly those files. Run as root into the system, ldconfig follows.
PREFIX       ?= /usr/local
BINDIR       ?= $(PREFIX)/bin
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
MANDIR       ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
LDCONFIG     ?= ldconfig
# What libcvo needs, for pkg-config: modules with a .pc file, and plain flags
# (a library lib/ comes to use is added here; jansson with lib/push).
PC_REQUIRES  := zlib gsl sqlite3 xlsxwriter libcurl jansson
PC_LIBS      := -pthread -lm
INSTALLED    := $(BINDIR)/cvo $(MANDIR)/man1/cvo.1 $(INCLUDEDIR)/cvo.h $(LIBDIR)/libcvo.a \
                $(LIBDIR)/libcvo.so.$(VERSION) $(LIBDIR)/$(SONAME) $(LIBDIR)/libcvo.so \
                $(PKGCONFIGDIR)/cvo.pc
run_ldconfig  = if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v $(LDCONFIG) >/dev/null 2>&1; \
                then $(LDCONFIG); fi

install: $(CVO) $(BUILD)/libcvo.a $(SHARED)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(INCLUDEDIR) \
	    $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0755 $(CVO) $(DESTDIR)$(BINDIR)/cvo
	install -m 0644 docs/cvo.1 $(DESTDIR)$(MANDIR)/man1/cvo.1
	install -m 0644 include/cvo.h $(DESTDIR)$(INCLUDEDIR)/cvo.h
	install -m 0644 $(BUILD)/libcvo.a $(DESTDIR)$(LIBDIR)/libcvo.a
	install -m 0755 $(SHARED) $(DESTDIR)$(LIBDIR)/libcvo.so.$(VERSION)
	ln -sf libcvo.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libcvo.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' -e 's|@REQUIRES@|$(PC_REQUIRES)|' -e 's|@LIBS_PRIVATE@|$(PC_LIBS)|' \
	    cvo.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/cvo.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/cvo.pc
	@$(run_ldconfig)

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	@$(run_ldconfig)

install-check: $(CVO) $(BUILD)/libcvo.a $(SHARED) | $(CHECK_FIRST)
	@./.ci/deps.sh $(INSTALL_PKGS)
	@mkdir -p $(BUILD)/results
	@./tests/install_check.sh $(BUILD)/results "$(MAKE) --no-print-directory BUILD=$(BUILD) SAN=$(SAN)" \
	    "$(CC)" "$(filter -fsanitize=% -fno-omit-frame-pointer,$(CFLAGS))"

demo: $(CVO)
	@./tests/demo.sh $(CVO)

check: unit golden fuzz-replay man-examples duckdb-ntile push-check pull-check kill-check report-check gorgias-check history-check dive-check cron-check weekly-check experiments-check tty-check ingest-check install-check
	@./tests/summary.sh $(BUILD)/results

unit: $(TESTS) | $(CHECK_FIRST)
	@./.ci/deps.sh $(TZ_PKGS)
	@mkdir -p $(BUILD)/results
	@./tests/run_unit.sh $(BUILD)/results $(TESTS)

golden: $(CVO) | $(CHECK_FIRST)
	@mkdir -p $(BUILD)/results
	@./tests/run_golden.sh $(CVO) $(BUILD)/results

gorgias-check: $(CVO) $(PUSH_DRIVER) | $(CHECK_FIRST)
	@mkdir -p $(BUILD)/results
	@./tests/gorgias_check.sh $(BUILD)/results $(CVO) $(PUSH_DRIVER)

report-check: $(CVO) | $(CHECK_FIRST)
	@./.ci/deps.sh $(REPORT_PKGS)
	@mkdir -p $(BUILD)/results
	@./tests/report_check.sh $(BUILD)/results $(CVO)

dive-check: $(CVO) | $(CHECK_FIRST)
	@mkdir -p $(BUILD)/results
	@./tests/dive_check.sh $(BUILD)/results $(CVO)

history-check: $(CVO) | $(CHECK_FIRST)
	@mkdir -p $(BUILD)/results
	@./tests/history_check.sh $(BUILD)/results $(CVO)

cron-check: $(CVO) | $(CHECK_FIRST)
	@mkdir -p $(BUILD)/results
	@./tests/cron_check.sh $(BUILD)/results $(CVO)

tty-check: $(CVO) | $(CHECK_FIRST)
	@./.ci/deps.sh $(TTY_PKGS)
	@mkdir -p $(BUILD)/results
	@./tests/tty_check.sh $(BUILD)/results $(CVO)

ingest-check: $(CVO) | $(CHECK_FIRST)
	@mkdir -p $(BUILD)/results
	@./tests/ingest_check.sh $(BUILD)/results $(CVO)

kill-check: $(CVO) | $(CHECK_FIRST)
	@mkdir -p $(BUILD)/results
	@./tests/kill_check.sh $(BUILD)/results $(CVO)

push-check: $(CVO) $(PUSH_DRIVER) | $(CHECK_FIRST)
	@mkdir -p $(BUILD)/results
	@./tests/push_check.sh $(BUILD)/results $(CVO) $(PUSH_DRIVER)

pull-check: $(CVO) | $(CHECK_FIRST)
	@./.ci/deps.sh $(TZ_PKGS)
	@mkdir -p $(BUILD)/results
	@./tests/pull_check.sh $(BUILD)/results $(CVO)

experiments-check: $(CVO) | $(CHECK_FIRST)
	@mkdir -p $(BUILD)/results
	@./tests/experiments_check.sh $(BUILD)/results $(CVO)

weekly-check: $(CVO) | $(CHECK_FIRST)
	@mkdir -p $(BUILD)/results
	@./tests/weekly_check.sh $(BUILD)/results $(CVO)

duckdb-ntile: $(CVO) | $(CHECK_FIRST)
	@./.ci/deps.sh $(DUCKDB_PKGS)
	@mkdir -p $(BUILD)/results
	@./tests/duckdb_ntile.sh $(BUILD)/results $(CVO)

man-examples: $(CVO) | $(CHECK_FIRST)
	@mkdir -p $(BUILD)/results
	@./tests/man_examples.sh $(BUILD)/results $(CVO)

fuzz-replay: $(FUZZ_REPLAY) | $(CHECK_FIRST)
	@mkdir -p $(BUILD)/results
	@./tests/run_fuzz_replay.sh $(BUILD)/results $(FUZZ_REPLAY)

# The fast tests built by clang under ASan+UBSan (CI runs it after make check).
CLANG_PKGS := clang=clang libclang-rt-14-dev
clang-check:
	@./.ci/deps.sh $(CLANG_PKGS)
	@$(MAKE) CC=clang SAN=1 BUILD=build-clang unit golden fuzz-replay

FUZZ_SECONDS ?= 60
fuzz:
	@./fuzz/run.sh $(FUZZ_SECONDS)

bench: $(CVO)
	@./bench/bench.sh $(CVO)

format:
	clang-format -i include/*.h lib/*/*.[ch] cli/*.[ch] tests/unit/*.c fuzz/*.c

clean:
	rm -rf build build-san build-clang

-include $(LIB_OBJ:.o=.d) $(PIC_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(BUILD)/tests/push_driver.d $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%.d) $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%.d)
.SECONDARY:
