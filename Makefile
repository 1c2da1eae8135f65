# peergate: `make run` and `make test` are the two commands of the README's quick start.
# Every target installs the Debian packages it needs first (quietly, only when missing).

BUILD_DIR   ?= build
BUILD_TYPE  ?= Release
JOBS        ?= $(shell nproc)
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Build and test dependencies, all from Debian 12.
PACKAGES := cmake ninja-build g++ pkg-config \
            libboost1.81-dev libboost-json1.81-dev libssl-dev libyaml-cpp-dev libre2-dev \
            libspdlog-dev libfmt-dev catch2 libcli11-dev zlib1g-dev \
            openssl curl python3 python3-jsonpatch python3-jsonschema python3-yaml chromium
BENCH_PACKAGES := wrk nginx-light util-linux time

CMAKE_LAUNCHER := $(if $(shell command -v ccache),-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

.PHONY: deps build test run bench sanitize clean

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

clean:
	rm -rf $(BUILD_DIR) build-asan
