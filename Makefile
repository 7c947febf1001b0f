# Postern: build, test, demo and benchmark. `make demo` and `make test` do all their set-up on a
# fresh Debian machine (run as root).

SHELL := /bin/bash
.DEFAULT_GOAL := build

# The RID to build for; by default this machine's own (x64 here; arm64 is cross-built below).
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
AR             := ar
NM             := nm
PKG_CONFIG     := pkg-config
PUBLISH_FLAGS  :=
NATIVE_CFLAGS  := -O2 -g -Wall -Wextra -Werror -fPIC -fvisibility=hidden -std=gnu11

# arm64 is cross-built on x64: the shim with Debian's aarch64 gcc against the multiarch :arm64
# libraries, the AOT binaries with clang-14 driving the aarch64 binutils (no SysRoot: clang finds
# /usr/aarch64-linux-gnu and /usr/lib/aarch64-linux-gnu by the target triple). x64 stays on the
# host's cc and ILCompiler's default (gcc) link.
ifeq ($(RID)-$(HOST_RID),linux-arm64-linux-x64)
CROSS          := aarch64-linux-gnu
ifeq ($(origin CC),default)
CC             := $(CROSS)-gcc
endif
AR             := $(CROSS)-ar
NM             := $(CROSS)-nm
PKG_CONFIG     := $(CROSS)-pkg-config
PUBLISH_FLAGS  := -p:CppCompilerAndLinker=clang-14
endif

# Every Debian package the build, the tests, the demo and the benchmarks use, the arm64 cross
# build and its tests (qemu-user) included. clang-14, never `clang`: that package would make
# clang the default `clang` and switch the x64 AOT link from gcc to it. No libssl:arm64: only
# postern-punch uses the runtime's OpenSSL-backed SHA-256 and HMAC (libssl3, already on any
# machine with the .NET SDK), and its arm64 tests run only --help, which does not load it.
# wireguard-go, wireguard-tools, openvpn and openssl (its certificates), mosh and tmux (the mosh
# client's terminal) are the real peers of postern-punch's tunnel tests; conntrack flushes a lab
# NAT's table to change its mapping. miniupnpd (UPnP IGD, NAT-PMP, PCP), natpmpc and miniupnpc
# are the gateway and the reference clients for postern-map's gateway protocols: the nftables
# build of miniupnpd, named so that apt does not pick the iptables one, and nft, which makes the
# chains it adds its rules to (tests/Postern.Testing/MiniUpnpd.cs).
DEB_PACKAGES := build-essential pkg-config libnetfilter-queue-dev libmnl-dev iptables iproute2 \
                dnsutils dnsperf dnsmasq-base socat procps kmod linux-perf dpkg-dev rpm lintian help2man man-db systemd strace coturn stun-server dante-server curl prometheus python3 python3-socks \
                clang-14 binutils-aarch64-linux-gnu gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static \
                libnetfilter-queue-dev:arm64 libmnl-dev:arm64 \
                wireguard-go wireguard-tools openvpn openssl mosh tmux conntrack \
                miniupnpd miniupnpd-nftables nftables natpmpc miniupnpc
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

.PHONY: matrix deps native build test test-unit demo bench fuzz clean

deps:
	@# The :arm64 libraries come from the multiarch archive: dpkg must know the architecture.
	@if ! dpkg --print-foreign-architectures | grep -qx arm64; then \
		if [ "$$(id -u)" != 0 ]; then echo "make deps: adding the arm64 architecture needs root (run as root or with sudo)" >&2; exit 1; fi; \
		echo "Adding the arm64 architecture to dpkg"; dpkg --add-architecture arm64; \
	fi
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:" $$missing; \
		if [ "$$(id -u)" != 0 ]; then echo "make deps: installing packages needs root (run as root or with sudo)" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "Debian packages: all present"; fi
	@command -v $(DOTNET) >/dev/null || { echo "make deps: the .NET SDK (dotnet) is not on PATH" >&2; exit 1; }

$(NATIVE_OUT)/%.o: native/%.c $(NATIVE_HEADERS)
	@mkdir -p $(NATIVE_OUT)
	$(CC) $(NATIVE_CFLAGS) $$($(PKG_CONFIG) --cflags libnetfilter_queue libmnl) -c $< -o $@

$(NATIVE_STATIC): $(NATIVE_OBJECTS)
	rm -f $@ && $(AR) rcs $@ $^

$(NATIVE_SHARED): $(NATIVE_OBJECTS)
	$(CC) -shared -o $@ $^ $$($(PKG_CONFIG) --libs libnetfilter_queue libmnl)
	@# A renamed or lost export fails the build here, not on a router.
	@$(NM) -D --defined-only $@ | awk '$$2 == "T" { print $$3 }' | sort > $(NATIVE_OUT)/exports.actual
	@diff -u native/exports.txt $(NATIVE_OUT)/exports.actual || { echo "native exports differ from native/exports.txt" >&2; exit 1; }
	@$(NM) $(NATIVE_STATIC) 2>/dev/null | awk '$$2 == "T" { print $$3 }' | sort | diff -q native/exports.txt - >/dev/null \
		|| { echo "static library exports differ from native/exports.txt" >&2; exit 1; }

native: $(NATIVE_STATIC) $(NATIVE_SHARED)

$(BIN)/.built: $(NATIVE_STATIC) $(NATIVE_SHARED) $(MANAGED_SOURCES)
	@mkdir -p $(BIN)
	@for role in $(ROLES); do \
		echo "publish $$role (Native AOT, $(RID))"; \
		$(DOTNET) publish src/$$role/$$role.csproj -c $(CONFIGURATION) -r $(RID) -o $(BIN) --nologo -v quiet \
			-p:PosternNativeLibrary=$(abspath $(NATIVE_STATIC)) $(PUBLISH_FLAGS) || exit 1; \
	done
	@# Managed .pdb files of the libraries are not shipped; the native symbols are in postern-*.dbg.
	@rm -f $(BIN)/*.pdb
	@touch $@

build: $(BIN)/.built

# Unit tests need no privileges; integration tests need root (they skip, saying why, outside CI).
# The packaging tests run `make packages`, and the arm64 tests `make RID=linux-arm64 packages`
# (build included), so every test sees binaries and packages of the code under test.
test: deps build
	bash tests/run-tests.sh

test-unit: build
	bash tests/run-tests.sh --unit

demo: deps build
	bash tests/demo.sh
	bash tests/demo-punch.sh

# Measures and prints; never asserts. Every bench/*.bench.sh runs in turn (see bench/run.sh).
bench: deps build
	bash bench/run.sh

# The punch matrix alone (bench/punch.bench.sh; make bench runs it too): every pairing of NAT
# kinds MATRIX_RUNS times with the real binaries in the two-site lab.
MATRIX_RUNS ?= 20
matrix: deps build
	BENCH_PUNCH_RUNS=$(MATRIX_RUNS) bash bench/punch.bench.sh

# A million random and mutated packets to each daemon through the real queue and sockets, with
# the counters checked (bench/fuzz.sh asserts, unlike bench); not part of `make test`, which runs
# 50,000 of each. `make fuzz FUZZ_COUNT=N` for another count; the figures go to BENCHMARKS.md.
FUZZ_COUNT ?= 1000000
fuzz: deps build
	FUZZ_WRITE=1 bench/fuzz.sh $(FUZZ_COUNT)

clean:
	rm -rf $(BUILD)
	find src tests bench -type d \( -name bin -o -name obj \) -prune -exec rm -rf {} +
