# Packages and service integration (issue 4): `make deb`, `make rpm`, `make openwrt`, `make man`,
# or `make packages` for all. Included by the top Makefile. Everything is built from the AOT
# binaries in $(BIN) (every postern-* role present there) into $(OUT)/packages, both under the
# RID's own folder (build/linux-x64, build/linux-arm64); the scripts beside this file say how.

PKG_OUT     := $(OUT)/packages
PKG_RELEASE ?= 1
PKG_ENV      = BIN=$(abspath $(BIN)) PKG_OUT=$(abspath $(PKG_OUT)) PKG_RELEASE=$(PKG_RELEASE) RID=$(RID)

.PHONY: man deb rpm openwrt packages packaging-tools

# The tools the packaging needs are in DEB_PACKAGES (make deps); this says which one is missing
# when make deps has not run.
packaging-tools:
	@for tool in dpkg-deb dpkg-shlibdeps rpmbuild help2man readelf gzip; do \
		command -v $$tool >/dev/null || { echo "$$tool is missing: run make deps (as root)" >&2; exit 1; }; \
	done

# Man pages from the binaries' own --help (help2man), so the two cannot drift.
man: build packaging-tools
	@$(PKG_ENV) bash packaging/man/build-man.sh

deb: man
	@$(PKG_ENV) bash packaging/debian/build-deb.sh

rpm: man
	@$(PKG_ENV) bash packaging/rpm/build-rpm.sh

openwrt: build packaging-tools
	@$(PKG_ENV) bash packaging/openwrt/build-openwrt.sh

packages: deb rpm openwrt
