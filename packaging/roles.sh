# Sourced by the packaging scripts: what to package, found in the build output rather than
# listed, so that every role the build produced is packaged and a role not built yet is skipped.
#   RID       the .NET runtime identifier the binaries were built for (linux-x64, linux-arm64)
#   BIN       the AOT output (every postern-X, with its stripped symbols in postern-X.dbg)
#   ROLES     the roles present there, e.g. "postern-aaaa postern-punch postern-reflector"
#   SERVICES  those of them that are services: each has a unit, a defaults file, an OpenWrt
#             init script and a UCI config (packaging/systemd, default, openwrt)
#   COMMANDS  those of them that packaging/commands names: a binary and a man page, nothing else
#   VERSION   from the repository's VERSION file, the one place the version comes from
#   SOURCE_DATE_EPOCH  the last commit's time, so that rebuilt packages are byte-identical
set -euo pipefail
PACKAGING=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$PACKAGING")
RID=${RID:-linux-x64}
BIN=${BIN:-$REPO/build/$RID/bin}
PKG_OUT=${PKG_OUT:-$REPO/build/$RID/packages}
VERSION=$(tr -d ' \n' < "$REPO/VERSION")
PKG_RELEASE=${PKG_RELEASE:-1}
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || stat -c %Y "$REPO/VERSION")
fi
export SOURCE_DATE_EPOCH

ROLES=
for binary in "$BIN"/postern-*; do
    # By the file's own name: a dot anywhere in the checkout's path (/tmp/fresh.1/postern) is
    # no reason to skip it. postern-X.dbg, .pdb and the like are not roles.
    case ${binary##*/} in *.*) continue ;; esac
    [ -f "$binary" ] && [ -x "$binary" ] || continue
    ROLES="$ROLES $(basename "$binary")"
done
ROLES=${ROLES# }
if [ -z "$ROLES" ]; then
    echo "no postern-* binaries in $BIN: run make build first" >&2
    exit 1
fi

# The per-role files any role may have or lack (a man page include, a description line).
role_file() { # role_file DIR ROLE SUFFIX: prints the path when the file exists
    local path="$PACKAGING/$1/$2$3"
    [ -f "$path" ] && printf '%s\n' "$path"
    return 0
}

# Services and commands, by packaging/commands. The files a service needs, and a command must not
# have, are checked here, so that the declaration and packaging/ cannot drift apart: a command
# with a unit would otherwise be enabled by nobody, and a service without one never started.
SERVICE_FILES="systemd/%s.service default/%s openwrt/%s.init openwrt/%s.config"
DECLARED_COMMANDS=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$PACKAGING/commands")
SERVICES=
COMMANDS=
for role in $ROLES; do
    if printf '%s\n' "$DECLARED_COMMANDS" | grep -qxF "$role"; then
        for pattern in $SERVICE_FILES; do
            file=${pattern//%s/$role}
            if [ -e "$PACKAGING/$file" ]; then
                echo "$role is a command (packaging/commands) but packaging/$file exists: a command has no unit, defaults, init script or UCI config" >&2
                exit 1
            fi
        done
        COMMANDS="$COMMANDS $role"
    else
        for pattern in $SERVICE_FILES; do
            file=${pattern//%s/$role}
            if [ ! -f "$PACKAGING/$file" ]; then
                echo "$role is a service (not in packaging/commands) but has no packaging/$file: add it, or name the role in packaging/commands" >&2
                exit 1
            fi
        done
        SERVICES="$SERVICES $role"
    fi
done
SERVICES=${SERVICES# }
COMMANDS=${COMMANDS# }

# Example files a built role ships for its user to copy (packaging/examples/<role>.<what>, e.g.
# postern-dnsguard.bogus): to /usr/share/doc/postern/examples, on OpenWrt /usr/share/postern/examples.
EXAMPLES=
for role in $ROLES; do
    for example in "$PACKAGING/examples/$role".*; do
        [ -f "$example" ] && EXAMPLES="$EXAMPLES $example"
    done
done
EXAMPLES=${EXAMPLES# }

# RID to package architecture names: Debian's, rpm's, and OpenWrt's package architecture of the
# generic target for that CPU (x86/64, armsr/armv8, armsr/armv7).
case $RID in
    linux-x64) DEB_ARCH=amd64 RPM_ARCH=x86_64 OPENWRT_ARCH=x86_64 ;;
    linux-arm64) DEB_ARCH=arm64 RPM_ARCH=aarch64 OPENWRT_ARCH=aarch64_generic ;;
    linux-arm) DEB_ARCH=armhf RPM_ARCH=armv7hl OPENWRT_ARCH=arm_cortex-a15_neon-vfpv4 ;;
    linux-musl-x64) DEB_ARCH=musl-linux-amd64 RPM_ARCH=x86_64 OPENWRT_ARCH=x86_64 ;;
    *) echo "RID $RID: no package architecture known" >&2; exit 1 ;;
esac

# The licence, as SPDX says it, for the metadata that takes an SPDX expression (rpm, OpenWrt):
# Postern's own code is GPL-2.0-or-later; the AOT binaries also carry the .NET runtime's, MIT.
SPDX_LICENSE="GPL-2.0-or-later AND MIT"

# How to run the binaries here (help2man reads their --help): directly when they are built for
# this machine, under qemu-user when cross-built. The cross libc of libc6-dev-arm64-cross goes
# first on the library path: with -L alone, ld.so comes from it but libc.so.6 from the multiarch
# libc6:arm64 (another build), and the binary spins at start-up.
HOST_RID=linux-$(case $(uname -m) in aarch64 | arm64) echo arm64 ;; *) echo x64 ;; esac)
RUN_BINARY=()
if [ "$RID" != "$HOST_RID" ]; then
    case $RID in
        linux-arm64) RUN_BINARY=(qemu-aarch64-static -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib) ;;
        *) echo "RID $RID: no way to run its binaries on $HOST_RID" >&2; exit 1 ;;
    esac
    command -v "${RUN_BINARY[0]}" >/dev/null || { echo "${RUN_BINARY[0]} is missing: run make deps (as root)" >&2; exit 1; }
fi
run_binary() { # run_binary ROLE ARGS...: runs $BIN/ROLE as this machine can
    local role=$1
    shift
    "${RUN_BINARY[@]}" "$BIN/$role" "$@"
}

# The build id the debugger looks the symbols up by: /usr/lib/debug/.build-id/xx/rest.debug.
build_id() {
    readelf -n "$1" 2>/dev/null | awk '/Build ID:/ { print $3; exit }'
}

# Reproducible trees: fixed times, no group or other write bits.
normalize_tree() {
    find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}
