# SPDX-License-Identifier: MIT
# sipreuse: one non-recursive Makefile.  Knobs (redis style) can be set on the
# command line: make OPT=-O0, make BUILD=build-dbg, make JOBS=4 check.
#
#   make            build ./sipreuse (installs missing Debian packages first)
#   make check      build and run every test program through prove (TAP)
#   make asan       the same tests under AddressSanitizer + UBSan
#   make valgrind   the engine and model tests under valgrind memcheck
#   make bench      benchmarks, one `bench NAME key=value...` line per case
#   make results    the main job: strategy comparison on topologies/trunk.topo
#   make plots      redraw the plots of every results folder
#   make fuzz       fuzz the input parsers (FUZZ_SECONDS each, default 60)
#   make fuzz-model fuzz the simulation: random valid topologies, laws checked
#   make matrix     the full combinatorial matrix under ASan + UBSan
#   make install    PREFIX=DIR (default /usr/local): program, scripts, samples
#   make regen-golden   rewrite run/tests/golden/ from the current code
#   make docs       regenerate docs/topology.md from the topology loader
#   make MPI=1      build with MPI (Open MPI) in build-mpi/: mpirun -np N
#                   ./sipreuse sweep|compare; make check MPI=1 adds its tests
#   make check-mpi  build with MPI and run only the MPI and shard tests

# MPI=1: `mpirun -np N sipreuse sweep ...` (run/mpi.c instead of
# run/mpi_none.c), built in its own folder so plain and MPI objects never
# mix; ./sipreuse is a copy of whichever was built last.
MPI ?=
ifeq ($(MPI),1)
BUILD ?= build-mpi
ifeq ($(BUILD),build)
$(error MPI=1 builds in build-mpi (or another BUILD), never in build/)
endif
else
BUILD ?= build
endif
OPT ?= -O2
SAN ?=
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
ASAN_BUILD ?= build-asan
WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wno-unused-parameter
CFLAGS ?= -g
# The GLib API is pinned to 2.74 (Debian 12): a newer symbol warns.
GLIB_API = -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 \
           -DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_74
ALL_CFLAGS = -std=gnu11 $(OPT) $(CFLAGS) $(SAN) $(WARN) -I. $(PKG_CFLAGS) \
             $(GLIB_API) -MMD -MP
ALL_LDFLAGS = $(SAN) $(LDFLAGS)
LIBS = $(PKG_LIBS) -lm -lpthread

# Configuration: the deps script installs what is missing, then pkg-config
# flags are cached here.  Skipped for goals that need no compiler.
CONFIG = $(BUILD)/config.mk
NOCONF_GOALS = clean help
ifeq ($(filter $(NOCONF_GOALS),$(MAKECMDGOALS)),)
-include $(CONFIG)
endif

$(CONFIG): scripts/deps.sh
	@sh scripts/deps.sh build
	@$(if $(filter 1,$(MPI)),sh scripts/deps.sh mpi)
	@mkdir -p $(BUILD)
	@{ echo "PKG_CFLAGS := $$(pkg-config --cflags glib-2.0 libssl libcrypto sqlite3)$(if $(filter 1,$(MPI)), $$(mpicc --showme:compile))"; \
	   echo "PKG_LIBS := $$(pkg-config --libs glib-2.0 libssl libcrypto sqlite3)$(if $(filter 1,$(MPI)), $$(mpicc --showme:link))"; \
	   echo "CONFIG_MPI := $(MPI)"; \
	 } > $@.tmp && mv $@.tmp $@

# The four layers (docs/architecture.md): sim/ < models/ < run/ < cli/.
LAYERS := sim models run cli
LIB_SRCS := $(filter-out cli/main.c $(wildcard */tests/*.c) \
              $(if $(filter 1,$(MPI)),run/mpi_none.c,run/mpi.c), \
              $(wildcard sim/*.c models/*.c models/*/*.c run/*.c cli/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libsipreuse.a
TESTUTIL_SRCS := $(foreach l,$(LAYERS),$(wildcard $(l)/tests/util_*.c))
TESTUTIL_OBJS := $(TESTUTIL_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_SRCS := $(foreach l,$(LAYERS),$(wildcard $(l)/tests/test_*.c))
TESTS := $(foreach s,$(TEST_SRCS),$(BUILD)/tests/$(basename $(notdir $(s))))
BENCH_SRCS := $(wildcard bench/bench_*.c)
BENCHES := $(foreach s,$(BENCH_SRCS),$(BUILD)/bench/$(basename $(notdir $(s))))
CLI := $(BUILD)/sipreuse

.SECONDARY:

.PHONY: FORCE all check check-mpi check-mpi-run asan valgrind bench \
        results plots fuzz fuzz-model matrix matrix-run regen-golden docs \
        clean help
.DEFAULT_GOAL := all

all: $(CLI) $(if $(filter build build-mpi,$(BUILD)),sipreuse)

sipreuse: $(CLI) FORCE
	@cmp -s $< $@ || cp $< $@

$(BUILD)/obj/%.o: %.c $(CONFIG)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# The git revision recorded in results (meta.git_revision): a generated
# header rewritten only when the revision changes, so out.o rebuilds then.
REVISION := $(shell git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
$(BUILD)/revision.h: FORCE $(CONFIG)
	@mkdir -p $(BUILD)
	@echo '#define SIM_GIT_REVISION "$(REVISION)"' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(BUILD)/obj/run/out.o: $(BUILD)/revision.h
$(BUILD)/obj/run/out.o: ALL_CFLAGS += -include $(BUILD)/revision.h
FORCE:

# What produced a result (sim_out_revision in run/out.c): a hash of the
# name and text of every simulator source (sim/, models/, run/), so that
# `sweep --resume` reruns the runs of changed code and keeps those of an
# unchanged rebuild.  Rewritten only when it changes.
SOURCE_HASH_SRCS = $(sort $(wildcard sim/*.[ch] models/*.[ch] \
                     models/sip/*.[ch] models/strategy/*.[ch] run/*.[ch]))
$(BUILD)/source_hash.h: $(SOURCE_HASH_SRCS) $(CONFIG)
	@mkdir -p $(BUILD)
	@h=$$(for f in $(SOURCE_HASH_SRCS); do echo "$$f"; cat "$$f"; done | \
	      sha256sum | cut -c1-32); \
	 echo "#define SIM_SOURCE_HASH \"$$h\"" > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(BUILD)/obj/run/out.o: $(BUILD)/source_hash.h
$(BUILD)/obj/run/out.o: ALL_CFLAGS += -include $(BUILD)/source_hash.h

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(CLI): $(BUILD)/obj/cli/main.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# One pattern rule per layer's tests folder.
define TEST_RULE
$$(BUILD)/tests/%: $$(BUILD)/obj/$(1)/tests/%.o $$(TESTUTIL_OBJS) $$(LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach l,$(LAYERS),$(eval $(call TEST_RULE,$(l))))

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# Tests find the CLI, the source tree and a scratch folder through these;
# the generated-PKI cache goes to the scratch folder, not the source tree.
TEST_ENV = SIPREUSE_BIN=$(abspath $(CLI)) SIPREUSE_SRCDIR=$(CURDIR) \
           SIPREUSE_TMPDIR=$(abspath $(BUILD))/tmp \
           SIPREUSE_CACHE=$(abspath $(BUILD))/tmp/cache \
           $(if $(filter 1,$(MPI)),SIPREUSE_MPIRUN=$$(command -v mpirun))

check: all $(TESTS)
	@mkdir -p $(BUILD)/tmp
	$(TEST_ENV) prove -e '' -j$(JOBS) --shuffle $(TESTS)

# The MPI tests alone (CI runs them after the plain check): cli/tests/
# test_mpi.c runs mpirun -np 3, test_shard.c shards and merges.
check-mpi:
	$(MAKE) MPI=1 check-mpi-run

check-mpi-run: all $(BUILD)/tests/test_mpi $(BUILD)/tests/test_shard
	@mkdir -p $(BUILD)/tmp
	$(TEST_ENV) prove -e '' -v $(BUILD)/tests/test_mpi $(BUILD)/tests/test_shard

asan:
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(MAKE) BUILD=$(ASAN_BUILD) OPT=-O1 \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  check

valgrind: $(CLI) $(TESTS)
	@sh scripts/deps.sh valgrind
	@mkdir -p $(BUILD)/tmp
	$(TEST_ENV) SIPREUSE_VALGRIND=1 prove -j$(JOBS) \
	  -e 'valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite' \
	  $(TESTS)

bench: $(CLI) $(BENCHES)
	@for b in $(BENCHES); do \
	  SIPREUSE_TMPDIR=$(abspath $(BUILD))/tmp $$b || exit 1; done
	@SIPREUSE_BIN=$(abspath $(CLI)) SIPREUSE_CACHE=$(abspath $(BUILD))/tmp/cache \
	  SIPREUSE_TMPDIR=$(abspath $(BUILD))/tmp sh bench/sweep_mpi.sh

results: all
	$(CLI) compare topologies/trunk.topo

# Every results folder: sweeps (results/E/), compare folders
# (results/T/compare/) and single runs (results/T/S-seedN/); a failed plot
# fails the target.
plots: $(CLI)
	@st=0; for d in results/*/ results/*/*/; do \
	  [ -f "$$d/runs.tsv" ] || continue; \
	  $(CLI) plot "$$d" || st=1; \
	done; exit $$st

# The reference of topology keys, printed by the loader itself;
# cli/tests/test_docs.c fails while the committed file differs.
docs: $(CLI)
	$(CLI) check --defaults --format markdown > docs/topology.md.tmp
	mv docs/topology.md.tmp docs/topology.md

# The input parsers under libFuzzer, FUZZ_SECONDS each: the topology
# loader, the experiment parser, the PEM loaders (certificates, keys).
fuzz:
	@sh scripts/deps.sh fuzz
	$(MAKE) BUILD=build-fuzz CC=clang OPT=-O1 \
	  SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
	  build-fuzz/fuzz_topo build-fuzz/fuzz_experiment build-fuzz/fuzz_pem
	@mkdir -p build-fuzz/corpus build-fuzz/corpus-exp build-fuzz/corpus-pem
	build-fuzz/fuzz_topo -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	  -dict=run/tests/fuzz/topo.dict build-fuzz/corpus topologies \
	  run/tests/data
	build-fuzz/fuzz_experiment -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	  build-fuzz/corpus-exp topologies
	build-fuzz/fuzz_pem -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	  -max_len=16384 build-fuzz/corpus-pem run/tests/data

build-fuzz/fuzz_experiment: $(BUILD)/obj/run/tests/fuzz/fuzz_experiment.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

build-fuzz/fuzz_pem: $(BUILD)/obj/run/tests/fuzz/fuzz_pem.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

build-fuzz/fuzz_topo: $(BUILD)/obj/run/tests/fuzz/fuzz_topo.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

# The simulation fuzzed: util_gentopo.c turns each input into a valid
# topology, which runs under ASan/UBSan with its laws checked.  A failure
# leaves crash-* (the input) and fuzz-model-failure.topo (the topology);
# see docs/testing.md for minimising it into run/tests/data/model/.
fuzz-model:
	@sh scripts/deps.sh fuzz
	$(MAKE) BUILD=build-fuzz CC=clang OPT=-O1 \
	  SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
	  build-fuzz/fuzz_model
	@mkdir -p build-fuzz/corpus-model build-fuzz/cache
	SIPREUSE_CACHE=$(abspath build-fuzz/cache) \
	  build-fuzz/fuzz_model -max_total_time=$(FUZZ_SECONDS) -timeout=120 \
	  -rss_limit_mb=4096 -max_len=512 build-fuzz/corpus-model

build-fuzz/fuzz_model: $(BUILD)/obj/run/tests/fuzz/fuzz_model.o \
                       $(BUILD)/obj/run/tests/util_gentopo.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

# Every combination of the matrix (SIPREUSE_MATRIX=full), under ASan.
matrix:
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(MAKE) BUILD=$(ASAN_BUILD) OPT=-O1 \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  matrix-run

matrix-run: $(CLI) $(BUILD)/tests/test_matrix
	@mkdir -p $(BUILD)/tmp
	$(TEST_ENV) SIPREUSE_MATRIX=full prove -e '' $(BUILD)/tests/test_matrix

# make install PREFIX=DIR: the program in DIR/bin, its plot scripts and the
# sample topologies in DIR/share/sipreuse (where the program looks for its
# scripts when they are not beside it).
PREFIX ?= /usr/local
install: $(CLI)
	install -d $(DESTDIR)$(PREFIX)/bin \
	  $(DESTDIR)$(PREFIX)/share/sipreuse/plots \
	  $(DESTDIR)$(PREFIX)/share/sipreuse/topologies \
	  $(DESTDIR)$(PREFIX)/share/sipreuse/profiles
	install -m 755 $(CLI) $(DESTDIR)$(PREFIX)/bin/sipreuse
	install -m 644 profiles/*.profile \
	  $(DESTDIR)$(PREFIX)/share/sipreuse/profiles
	install -m 644 plots/*.gp $(DESTDIR)$(PREFIX)/share/sipreuse/plots
	install -m 644 topologies/*.topo topologies/*.exp \
	  $(DESTDIR)$(PREFIX)/share/sipreuse/topologies

regen-golden: $(CLI) $(BUILD)/tests/test_golden
	$(TEST_ENV) SIPREUSE_REGEN_GOLDEN=1 $(BUILD)/tests/test_golden

clean:
	rm -rf build build-* sipreuse

help:
	@sed -n '2,17p' Makefile | sed 's/^# \{0,1\}//'

-include $(LIB_OBJS:.o=.d) $(BUILD)/obj/cli/main.d \
  $(wildcard $(foreach l,$(LAYERS),$(BUILD)/obj/$(l)/tests/*.d) \
             $(BUILD)/obj/bench/*.d)
