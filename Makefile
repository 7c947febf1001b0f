# Postern: build, test, demo and benchmark. `make demo` and `make test` do all their set-up on a
# fresh Debian machine (run as root).

SHELL := /bin/bash
.DEFAULT_GOAL := build

# The RID to build for; by default this machine's own.
HOST_RID       := linux-$(if $(filter aarch64 arm64,$(shell uname -m)),arm64,x64)
RID            ?= $(HOST_RID)
CONFIGURATION  ?= Release
BUILD          := build
# Everything built for one RID lives under its own folder (native/, bin/, packages/), so that
# switching RID never leaves the other architecture's binaries where the next step looks.
OUT            := $(BUILD)/$(RID)
NATIVE_OUT     := $(OUT)/native
BIN            := $(OUT)/bin
VERSION        := $(shell cat VERSION)
DOTNET         ?= dotnet
CC             ?= cc
NATIVE_CFLAGS  := -O2 -g -Wall -Wextra -Werror -fPIC -fvisibility=hidden -std=gnu11

# Every Debian package the build, the tests, the demo and the benchmarks use.
DEB_PACKAGES := build-essential pkg-config libnetfilter-queue-dev libmnl-dev iptables iproute2 \
                dnsutils dnsperf dnsmasq-base socat procps kmod linux-perf dpkg-dev rpm lintian help2man man-db systemd strace coturn stun-server
# Packaging targets (deb, rpm, openwrt) live beside the packaging files.
-include packaging/packaging.mk

NATIVE_SOURCES := $(wildcard native/*.c)
NATIVE_HEADERS := $(wildcard native/*.h)
NATIVE_OBJECTS := $(patsubst native/%.c,$(NATIVE_OUT)/%.o,$(NATIVE_SOURCES))
NATIVE_STATIC  := $(NATIVE_OUT)/libpostern_native.a
NATIVE_SHARED  := $(NATIVE_OUT)/libpostern_native.so

# Executables published Native AOT into $(BIN): every src/postern-* project.
ROLE_PROJECTS  := $(wildcard src/postern-*/*.csproj)
ROLES          := $(notdir $(patsubst %/,%,$(dir $(ROLE_PROJECTS))))
MANAGED_SOURCES := $(shell find src -name '*.cs' -o -name '*.csproj' | grep -v '/obj/' | grep -v '/bin/') \
                   Directory.Build.props Directory.Packages.props VERSION

.PHONY: deps native build test test-unit demo bench clean

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:" $$missing; \
		if [ "$$(id -u)" != 0 ]; then echo "make deps: installing packages needs root (run as root or with sudo)" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "Debian packages: all present"; fi
	@command -v $(DOTNET) >/dev/null || { echo "make deps: the .NET SDK (dotnet) is not on PATH" >&2; exit 1; }

$(NATIVE_OUT)/%.o: native/%.c $(NATIVE_HEADERS)
	@mkdir -p $(NATIVE_OUT)
	$(CC) $(NATIVE_CFLAGS) $$(pkg-config --cflags libnetfilter_queue libmnl) -c $< -o $@

$(NATIVE_STATIC): $(NATIVE_OBJECTS)
	rm -f $@ && ar rcs $@ $^

$(NATIVE_SHARED): $(NATIVE_OBJECTS)
	$(CC) -shared -o $@ $^ $$(pkg-config --libs libnetfilter_queue libmnl)
	@# A renamed or lost export fails the build here, not on a router.
	@nm -D --defined-only $@ | awk '$$2 == "T" { print $$3 }' | sort > $(NATIVE_OUT)/exports.actual
	@diff -u native/exports.txt $(NATIVE_OUT)/exports.actual || { echo "native exports differ from native/exports.txt" >&2; exit 1; }
	@nm $(NATIVE_STATIC) 2>/dev/null | awk '$$2 == "T" { print $$3 }' | sort | diff -q native/exports.txt - >/dev/null \
		|| { echo "static library exports differ from native/exports.txt" >&2; exit 1; }

native: $(NATIVE_STATIC) $(NATIVE_SHARED)

$(BIN)/.built: $(NATIVE_STATIC) $(NATIVE_SHARED) $(MANAGED_SOURCES)
	@mkdir -p $(BIN)
	@for role in $(ROLES); do \
		echo "publish $$role (Native AOT)"; \
		$(DOTNET) publish src/$$role/$$role.csproj -c $(CONFIGURATION) -r $(RID) -o $(BIN) --nologo -v quiet \
			-p:PosternNativeLibrary=$(abspath $(NATIVE_STATIC)) || exit 1; \
	done
	@# Managed .pdb files of the libraries are not shipped; the native symbols are in postern-*.dbg.
	@rm -f $(BIN)/*.pdb
	@touch $@

build: $(BIN)/.built

# Unit tests need no privileges; integration tests need root (they skip, saying why, outside CI).
test: deps build
	bash tests/run-tests.sh

test-unit: build
	bash tests/run-tests.sh --unit

demo: deps build
	bash tests/demo.sh

# Measures and prints; never asserts. Every bench/*.bench.sh runs in turn (see bench/run.sh).
bench: deps build
	bash bench/run.sh

clean:
	rm -rf $(BUILD)
	find src tests bench -type d \( -name bin -o -name obj \) -prune -exec rm -rf {} +
