#!/usr/bin/env bash
# Builds postern-<version>-openwrt-<arch>.tar.gz: a tree that unpacks over the root filesystem of
# an OpenWrt-like image (tar -xzf ... -C /): the binaries in /usr/sbin, a procd init script per
# service in /etc/init.d, its UCI config in /etc/config (a command has neither, see
# packaging/commands; and no man page, as OpenWrt ships none), and the helper they share in
# /lib/functions, and in /usr/share/postern the package's metadata (an opkg-style control file:
# version, architecture, SPDX licence) and the licence text. Every role present in build/RID/bin
# is included (see roles.sh).
source "$(dirname "$0")/../roles.sh"
here="$PACKAGING/openwrt"
root="$PKG_OUT/openwrt/root"
rm -rf "$PKG_OUT/openwrt"
mkdir -p "$root/usr/sbin" "$root/etc/init.d" "$root/etc/config" "$root/lib/functions" "$root/usr/share/postern"
umask 022
install -m 0644 "$here/postern.sh" "$root/lib/functions/postern.sh"
install -m 0644 "$REPO/LICENSE" "$root/usr/share/postern/LICENSE"
# The fields of an ipk's control file (PKG_LICENSE becomes License:), not under /usr/lib/opkg:
# the tarball is unpacked by hand, and opkg must not believe it installed the package.
cat > "$root/usr/share/postern/control" <<CONTROL
Package: postern
Version: $VERSION-$PKG_RELEASE
Architecture: $OPENWRT_ARCH
Maintainer: Postern developers <postern@example.org>
License: $SPDX_LICENSE
LicenseFiles: /usr/share/postern/LICENSE
Section: net
Description: netfilter appliance ($ROLES); glibc 2.34 or newer, libnetfilter_queue and libmnl; libssl 3 for postern-punch
CONTROL
chmod 0644 "$root/usr/share/postern/control"
for role in $ROLES; do
    install -m 0755 "$BIN/$role" "$root/usr/sbin/$role"
done
for example in $EXAMPLES; do
    install -D -m 0644 "$example" "$root/usr/share/postern/examples/${example##*/}"
done
# roles.sh has checked that each service has both.
for role in $SERVICES; do
    install -m 0755 "$here/$role.init" "$root/etc/init.d/$role"
    install -m 0644 "$here/$role.config" "$root/etc/config/$role"
done
tarball="$PKG_OUT/postern-$VERSION-openwrt-$RPM_ARCH.tar.gz"
rm -f "$PKG_OUT"/postern-*-openwrt-*.tar.gz
# Owned by root, fixed times and order: the same tree gives the same tarball.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
    -C "$root" -cf - . | gzip -9n > "$tarball"
echo "openwrt: $tarball ($ROLES)"
