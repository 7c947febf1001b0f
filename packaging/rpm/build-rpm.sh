#!/usr/bin/env bash
# Builds postern-<version>-<release>.<arch>.rpm and postern-debuginfo-... with rpmbuild from the
# AOT binaries in build/RID/bin and the man pages of build-man.sh (see postern.spec): every role
# with its man page, the services (roles.sh) also with their units and sysconfig files.
source "$(dirname "$0")/../roles.sh"
top="$PKG_OUT/rpm"
rm -rf "$top"
mkdir -p "$top"/{BUILD,BUILDROOT,RPMS,SPECS,SOURCES,SRPMS,tmp}
for role in $ROLES; do
    [ -f "$PKG_OUT/man/$role.8" ] || { echo "$PKG_OUT/man/$role.8 missing: run make man" >&2; exit 1; }
done
# The scriptlets' unit list: the services' only (roles.sh has checked that each has a unit).
units=
for role in $SERVICES; do
    units="$units $role.service"
done
rm -f "$PKG_OUT"/postern-*.rpm
# HOME points into the build tree so that no ~/.rpmmacros of the user changes the result.
# rpm refuses a macro with an empty body: no examples is %{nil}.
examples=$EXAMPLES
[ -n "$examples" ] || examples='%{nil}'
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
    --define "postern_services $SERVICES" \
    --define "postern_examples $examples" \
    --define "postern_units ${units# }" \
    --define "postern_license $SPDX_LICENSE" \
    --define "postern_bin $BIN" \
    --define "postern_man $PKG_OUT/man" \
    --define "postern_packaging $PACKAGING" \
    "$PACKAGING/rpm/postern.spec"
for rpm in "$PKG_OUT"/postern-*.rpm; do echo "rpm: $rpm"; done
