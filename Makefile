# peergate: `make run` and `make test` are the two commands of the README's quick start.
# Every target installs the Debian packages it needs first (quietly, only when missing).

BUILD_DIR   ?= build
BUILD_TYPE  ?= Release
JOBS        ?= $(shell nproc)
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Build and test dependencies, all from Debian 12. prometheus: promtool and the server, for
# tests/monitoring. Its package enables a prometheus.service; where a service manager runs it, it
# listens on :9090 and stores under /var/lib/prometheus, which no test uses (the tests start their
# own server on a free port); in containers, policy-rc.d keeps it from starting.
PACKAGES := cmake ninja-build g++ pkg-config \
            libboost1.81-dev libboost-json1.81-dev libssl-dev libyaml-cpp-dev libre2-dev \
            libspdlog-dev libfmt-dev catch2 libcli11-dev zlib1g-dev libsimdjson-dev \
            openssl curl python3 python3-jsonpatch python3-jsonschema python3-yaml chromium \
            prometheus python3-junitparser libxml2-utils
BENCH_PACKAGES := wrk nginx-light util-linux time valgrind heaptrack
LINT_PACKAGES  := clang-format clang-tidy
# libFuzzer needs clang 16 (Debian 12's clang++ is 14) and its runtime.
FUZZ_PACKAGES  := clang-16 libclang-rt-16-dev

CMAKE_LAUNCHER := $(if $(shell command -v ccache),-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

.PHONY: deps build test run bench sanitize tsan fuzz lint clean

# Installs what is missing; silent when everything is there.
deps:
	@missing=$$(for p in $(PACKAGES) $(EXTRA_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(BUILD_DIR)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_LAUNCHER) $(CMAKE_ARGS)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j$(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS) --timeout 300

run: build
	./scripts/run.sh $(BUILD_DIR)/peergate

bench:
	$(MAKE) build EXTRA_PACKAGES="$(BENCH_PACKAGES)"
	./bench/run.sh $(BUILD_DIR)

# Address and undefined-behaviour sanitizers over the whole test suite.
sanitize:
	$(MAKE) test BUILD_DIR=build-asan BUILD_TYPE=Debug CMAKE_ARGS=-DPEERGATE_SANITIZE=ON

# ThreadSanitizer over the whole test suite (the server's integration tests run the instrumented
# binary). Not part of `make test` or CI: it is several times slower. A report stops the process
# (halt_on_error), so a race fails the test that provoked it; tests/tsan.supp lists the proven
# third-party false positives, each with its reason.
TSAN_OPTIONS_FOR_TESTS := suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1 second_deadlock_stack=1
tsan:
	TSAN_OPTIONS="$(TSAN_OPTIONS_FOR_TESTS)" \
	  $(MAKE) test BUILD_DIR=build-tsan BUILD_TYPE=RelWithDebInfo CMAKE_ARGS=-DPEERGATE_TSAN=ON

# libFuzzer binaries of every fuzz target, in their own sanitizer-free Release build (the fastest;
# add CMAKE_ARGS=-DPEERGATE_SANITIZE=ON for ASan and UBSan). How to run them: docs/architecture.md,
# "Fuzzing". Not part of `make test` or CI, which replay the seed corpora instead.
FUZZ_BUILD_DIR ?= build-libfuzzer
FUZZ_TARGETS   := policy_loader_fuzz vm_annotations_fuzz quantity_fuzz audit_items_fuzz review_decoder_fuzz \
                  review_differential_fuzz
fuzz:
	$(MAKE) deps EXTRA_PACKAGES="$(FUZZ_PACKAGES)"
	cmake -S . -B $(FUZZ_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++-16 \
	    -DPEERGATE_FUZZ=ON -DPEERGATE_TESTS=OFF $(CMAKE_LAUNCHER) $(CMAKE_ARGS)
	cmake --build $(FUZZ_BUILD_DIR) -j$(JOBS) --target $(FUZZ_TARGETS)

# The project's own C++ files and folders (no build directory, no third-party code).
LINT_DIRS    := audit bench cli engine fuzz tests webhook
LINT_SOURCES  = $(shell git ls-files $(foreach d,$(LINT_DIRS),'$(d)/*.cpp' '$(d)/*.hpp'))
LINT_REGEX   := ^$(CURDIR)/($(subst $(eval) ,|,$(LINT_DIRS)))/

# clang-format (.clang-format) in check mode over every file, then clang-tidy (.clang-tidy) over
# each of them that the build compiles, the project's headers checked as they are included. Fails
# on any difference or finding; not part of `make test`. clang-tidy takes the flags from the
# compile_commands.json of a configure-only build directory without precompiled headers: clang
# cannot read the .gch files GCC makes for $(BUILD_DIR). GCC-only warning flags mean nothing to
# clang: not a finding.
LINT_BUILD_DIR ?= build-lint
lint:
	$(MAKE) deps EXTRA_PACKAGES="$(LINT_PACKAGES)"
	clang-format --dry-run --Werror $(LINT_SOURCES)
	cmake -S . -B $(LINT_BUILD_DIR) -G Ninja -DCMAKE_DISABLE_PRECOMPILE_HEADERS=ON $(CMAKE_ARGS) >/dev/null
	python3 -c 'import json, sys; print("\n".join(sorted({e["file"] for e in json.load(sys.stdin)})))' \
	    < $(LINT_BUILD_DIR)/compile_commands.json | grep -E '$(LINT_REGEX)' | \
	  xargs -P $(JOBS) -n 1 clang-tidy -p $(LINT_BUILD_DIR) --quiet --warnings-as-errors='*' \
	    --header-filter='$(LINT_REGEX)' --extra-arg=-Wno-unknown-warning-option

clean:
	rm -rf $(BUILD_DIR) build-asan build-tsan $(FUZZ_BUILD_DIR) $(LINT_BUILD_DIR)
