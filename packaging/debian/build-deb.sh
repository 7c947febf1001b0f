#!/usr/bin/env bash
# Builds postern_<version>_<arch>.deb and postern-dbgsym_<version>_<arch>.deb from the AOT
# binaries in build/RID/bin and the man pages of build-man.sh, with dpkg-deb. Every role present in
# build/RID/bin is packaged with its man page; each service also with its unit and defaults file,
# which the maintainer scripts and conffiles name; a command with nothing more (see roles.sh).
source "$(dirname "$0")/../roles.sh"
here="$PACKAGING/debian"
DEB_VERSION="$VERSION-$PKG_RELEASE"
work="$PKG_OUT/deb"
pkg="$work/postern"
dbg="$work/postern-dbgsym"
rm -rf "$work"
mkdir -p "$pkg/DEBIAN" "$dbg/DEBIAN"
umask 022

doc="$pkg/usr/share/doc/postern"
install -d "$pkg/usr/sbin" "$pkg/usr/share/man/man8" "$doc" "$pkg/usr/share/lintian/overrides"
units=
conffiles=
build_ids=
for role in $ROLES; do
    install -m 0755 "$BIN/$role" "$pkg/usr/sbin/$role"
    man="$PKG_OUT/man/$role.8"
    [ -f "$man" ] || { echo "$man missing: run make man" >&2; exit 1; }
    gzip -9n -c "$man" > "$pkg/usr/share/man/man8/$role.8.gz"
    chmod 0644 "$pkg/usr/share/man/man8/$role.8.gz"

    # Debug symbols where gdb, and debuginfod clients, look them up: by build id.
    id=$(build_id "$BIN/$role")
    [ -n "$id" ] && [ -f "$BIN/$role.dbg" ] || { echo "$role: no build id or no $role.dbg" >&2; exit 1; }
    [ "$(build_id "$BIN/$role.dbg")" = "$id" ] || { echo "$role.dbg does not match $role" >&2; exit 1; }
    install -d "$dbg/usr/lib/debug/.build-id/${id:0:2}"
    install -m 0644 "$BIN/$role.dbg" "$dbg/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug"
    build_ids="$build_ids $id"
done
# The services' units and defaults files (roles.sh has checked that each has both).
for role in $SERVICES; do
    install -D -m 0644 "$PACKAGING/systemd/$role.service" "$pkg/lib/systemd/system/$role.service"
    install -D -m 0644 "$PACKAGING/default/$role" "$pkg/etc/default/$role"
    units="$units $role.service"
    conffiles="$conffiles/etc/default/$role"$'\n'
done
units=${units# }

install -m 0644 "$here/copyright" "$doc/copyright"
for example in $EXAMPLES; do
    install -D -m 0644 "$example" "$doc/examples/${example##*/}"
done
# A binary-only package still owes a changelog; this one points at the history of the source.
cat > "$work/changelog" <<CHANGELOG
postern ($DEB_VERSION) unstable; urgency=medium

  * Built from the Postern source tree; its git history is the full changelog.

 -- Postern developers <postern@example.org>  $(date -u -R -d "@$SOURCE_DATE_EPOCH")
CHANGELOG
gzip -9n -c "$work/changelog" > "$doc/changelog.Debian.gz"
install -m 0644 "$here/postern.lintian-overrides" "$pkg/usr/share/lintian/overrides/postern"

# Maintainer scripts, for the services' units; a command has none to enable or stop.
for script in postinst prerm postrm; do
    if [ -n "$units" ]; then
        sed "s|@UNITS@|$units|g" "$here/$script.in" > "$pkg/DEBIAN/$script"
        chmod 0755 "$pkg/DEBIAN/$script"
    fi
done
[ -z "$conffiles" ] || printf '%s' "$conffiles" > "$pkg/DEBIAN/conffiles"

# Runtime dependencies from the ELF files themselves (libc6, libnetfilter-queue1, libmnl0).
shlibs_dir="$work/shlibs"
mkdir -p "$shlibs_dir/debian"
printf 'Source: postern\n\nPackage: postern\nArchitecture: any\n' > "$shlibs_dir/debian/control"
# For cross-built binaries dpkg-shlibdeps goes by their ELF class and finds the libraries in
# the multiarch :arm64 packages (make deps installs them); without those it fails here.
shlibs=$(cd "$shlibs_dir" && dpkg-shlibdeps -O $(for role in $ROLES; do echo "$pkg/usr/sbin/$role"; done) \
    | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "dpkg-shlibdeps found no dependencies" >&2; exit 1; }
rm -rf "$shlibs_dir"

# One line per role in the long description, from packaging/debian/<role>.description.
role_lines="$work/roles.description"
: > "$role_lines"
for role in $ROLES; do
    description=$(role_file debian "$role" .description)
    if [ -n "$description" ]; then
        cat "$description" >> "$role_lines"
    else
        echo "  * $role;" >> "$role_lines"
    fi
done

fill() { # fill TEMPLATE TREE: the control file with sizes and versions
    local size
    size=$(du -sk --exclude=DEBIAN "$2" | cut -f1)
    awk -v roles="$role_lines" '/^@ROLES@$/ { while ((getline line < roles) > 0) print line; next } { print }' "$1" |
    sed -e "s|@DEB_VERSION@|$DEB_VERSION|g" -e "s|@DEB_ARCH@|$DEB_ARCH|g" \
        -e "s|@INSTALLED_SIZE@|$size|g" -e "s|@SHLIBS@|$shlibs|g" \
        -e "s|@BUILD_IDS@|${build_ids# }|g" > "$2/DEBIAN/control"
}
fill "$here/control.in" "$pkg"
install -d "$dbg/usr/share/doc"
ln -s postern "$dbg/usr/share/doc/postern-dbgsym"
fill "$here/control-dbgsym.in" "$dbg"

for tree in "$pkg" "$dbg"; do
    (cd "$tree" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
    chmod 0644 "$tree/DEBIAN/md5sums" "$tree/DEBIAN/control"
    [ ! -f "$tree/DEBIAN/conffiles" ] || chmod 0644 "$tree/DEBIAN/conffiles"
    normalize_tree "$tree"
done

deb="$PKG_OUT/postern_${DEB_VERSION}_${DEB_ARCH}.deb"
debug_deb="$PKG_OUT/postern-dbgsym_${DEB_VERSION}_${DEB_ARCH}.deb"
rm -f "$PKG_OUT"/postern_*.deb "$PKG_OUT"/postern-dbgsym_*.deb
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
dpkg-deb --root-owner-group -Zxz --build "$dbg" "$debug_deb" >/dev/null
echo "deb: $deb ($ROLES)"
echo "deb: $debug_deb"
