#!/usr/bin/env bash
# Builds postern-<version>-<release>.<arch>.rpm and postern-debuginfo-... with rpmbuild from the
# AOT binaries in build/RID/bin and the man pages of build-man.sh (see postern.spec).
source "$(dirname "$0")/../roles.sh"
top="$PKG_OUT/rpm"
rm -rf "$top"
mkdir -p "$top"/{BUILD,BUILDROOT,RPMS,SPECS,SOURCES,SRPMS,tmp}
units=
for role in $ROLES; do
    [ -f "$PKG_OUT/man/$role.8" ] || { echo "$PKG_OUT/man/$role.8 missing: run make man" >&2; exit 1; }
    if [ -n "$(role_file systemd "$role" .service)" ]; then
        units="$units $role.service"
    else
        echo "rpm: $role has no systemd unit in packaging/systemd; packaged without one" >&2
    fi
done
rm -f "$PKG_OUT"/postern-*.rpm
# HOME points into the build tree so that no ~/.rpmmacros of the user changes the result.
HOME="$top" rpmbuild -bb --quiet --target "$RPM_ARCH" \
    --define "_topdir $top" \
    --define "_tmppath $top/tmp" \
    --define "_rpmdir $PKG_OUT" \
    --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
    --define "use_source_date_epoch_as_buildtime 1" \
    --define "clamp_mtime_to_source_date_epoch 1" \
    --define "postern_version $VERSION" \
    --define "postern_release $PKG_RELEASE" \
    --define "postern_roles $ROLES" \
    --define "postern_units ${units# }" \
    --define "postern_license $SPDX_LICENSE" \
    --define "postern_bin $BIN" \
    --define "postern_man $PKG_OUT/man" \
    --define "postern_packaging $PACKAGING" \
    "$PACKAGING/rpm/postern.spec"
for rpm in "$PKG_OUT"/postern-*.rpm; do echo "rpm: $rpm"; done
