# The two commands of the quick start, and a few more.
#
#   make demo   install what is missing, build, and run the main job
#   make install PREFIX=DIR   the library, headers, CMake package, .pc,
#               the vmsim program, its man page and the docs and examples
#   make test   install what is missing, build, run every ctest suite,
#               then every suite again under valgrind memcheck
#   make fuzz   build the libFuzzer targets (clang, the `fuzz` preset) and
#               run each for FUZZ_SECONDS seconds (default 60), JOBS at a
#               time; inputs found go to build/fuzz/fuzz-runs/NAME/corpus
#
# Both work on a fresh Debian 12 machine (as root they apt-get what is
# missing; otherwise they say what to install).  Everything else is plain
# CMake: see CMakePresets.json.

BUILD      ?= build/default
ASAN_BUILD ?= build/asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
WERROR     ?= OFF
CMAKE_ARGS ?=

PACKAGES      = cmake ninja-build gcc clang pkg-config libcmocka-dev valgrind zlib1g-dev binutils
FUZZ_PACKAGES = clang libclang-rt-14-dev
FUZZ_SECONDS ?= 60
FUZZ_BUILD    = build/fuzz
FUZZERS       = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
DEMO_PACKAGES = $(shell cat bench/demo-packages.txt 2>/dev/null)

.PHONY: all deps demo-deps configure build test check memcheck asan fuzz demo bench docs install clean format

all: build

deps:
	@bash .ci/install-deps.sh $(PACKAGES)

demo-deps: deps
	@if [ -n "$(DEMO_PACKAGES)" ]; then bash .ci/install-deps.sh $(DEMO_PACKAGES) || \
	  echo "(some demo packages could not be installed; the demo skips what needs them)"; fi

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DBUILD_SHARED_LIBS=ON -DVMSIM_WERROR=$(WERROR) $(CMAKE_ARGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

check: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

memcheck: build
	cd $(BUILD) && ctest -T memcheck -LE nomemcheck --output-on-failure -j $(JOBS)

test: check memcheck

asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

# Each fuzzer's output goes to $(FUZZ_BUILD)/fuzz-runs/NAME.log; a failure
# prints its end (the input that failed is saved beside it, as crash-*).
fuzz: deps
	@bash .ci/install-deps.sh $(FUZZ_PACKAGES)
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)
	@$(MAKE) --no-print-directory -j $(JOBS) $(addprefix fuzz-run-,$(FUZZERS))

fuzz-run-%:
	@mkdir -p $(FUZZ_BUILD)/fuzz-runs
	@if cmake -DFUZZER=$(FUZZ_BUILD)/tests/fuzz_$* -DSEEDS=tests/fuzz/corpus/$* \
	      -DWORK=$(FUZZ_BUILD)/fuzz-runs/$* -DRUNS=-1 -DSECONDS=$(FUZZ_SECONDS) -DKEEP=ON \
	      $(if $(wildcard tests/fuzz/$*.dict),-DDICT=tests/fuzz/$*.dict) \
	      -P tests/scripts/run_fuzzer.cmake >$(FUZZ_BUILD)/fuzz-runs/$*.log 2>&1; then \
	  echo "fuzz_$*: $$(grep -h 'stat::number_of_executed_units' $(FUZZ_BUILD)/fuzz-runs/$*.log | \
	    awk '{print $$2}') runs in $(FUZZ_SECONDS) s, no failure"; \
	else \
	  tail -n 60 $(FUZZ_BUILD)/fuzz-runs/$*.log; echo "fuzz_$*: FAILED (see $(FUZZ_BUILD)/fuzz-runs/$*.log)"; \
	  exit 1; \
	fi

demo: demo-deps build
	@echo "=== vmsim run --explain examples/scenarios/01-first-walk.scn ==="
	$(BUILD)/tools/vmsim run --explain examples/scenarios/01-first-walk.scn
	@echo
	@echo "=== MMU speed: bench_mmu --quick ==="
	$(BUILD)/bench/bench_mmu --quick
	@if [ -f bench/demo.sh ]; then echo; bash bench/demo.sh $(BUILD); fi

bench: build
	$(BUILD)/bench/bench_mmu

docs: configure
	cmake --build $(BUILD) --target docs

# Install builds only what it installs (the library, static and shared,
# and the vmsim program) in a tree of its own: no tests, benchmarks or
# workloads.  PREFIX=DIR installs elsewhere than /usr/local.
INSTALL_BUILD ?= build/install
install:
	@bash .ci/install-deps.sh cmake ninja-build gcc pkg-config zlib1g-dev
	@cmake -S . -B $(INSTALL_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
	  -DCMAKE_INSTALL_PREFIX=$(or $(PREFIX),/usr/local) -DVMSIM_BUILD_TESTS=OFF \
	  -DVMSIM_BUILD_BENCH=OFF -DVMSIM_BUILD_EXAMPLES=OFF $(CMAKE_ARGS) >/dev/null
	@cmake --build $(INSTALL_BUILD) -j $(JOBS)
	cmake --install $(INSTALL_BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build
