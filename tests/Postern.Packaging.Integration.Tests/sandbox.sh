#!/bin/bash
# Runs a Postern binary the way its systemd unit does, as far as that can be done without systemd
# as PID 1: inside a mount namespace of its own (the caller's `unshare --mount`) and the caller's
# network namespace, with
#   ProtectSystem=strict    every mount read-only but /proc, /sys and /dev
#   PrivateTmp=yes          a /tmp of its own
#   ReadWritePaths=-/run/xtables.lock   (made to exist first, as the unit's ExecStartPre does)
#   CapabilityBoundingSet=, AmbientCapabilities=   only the capabilities given
#   NoNewPrivileges=yes, User= (root, or nobody standing in for DynamicUser=yes)
#   the environment systemd gives (PATH, NOTIFY_SOCKET), and Type=notify: the READY=1 datagram
#   is printed when it comes
# and under strace -f, whose log is printed at the end, after "sandbox: trace follows", for the
# test to check against SystemCallFilter=, RestrictAddressFamilies= and MemoryDenyWriteExecute=.
# Usage: sandbox.sh root|nobody CAPS BINARY [ARGS...]   (CAPS: "net_admin,net_raw" or "")
set -euo pipefail
user=$1 caps=$2 binary=$3
shift 3

mount -t tmpfs -o mode=0755 tmpfs /run
install -m 0600 /dev/null /run/xtables.lock
# The binary runs from a copy, as an installed one runs from /usr/sbin: the checkout may lie under
# /tmp, which PrivateTmp below hides (CI may clone there).
install -D -m 0755 "$binary" "/run/postern-sandbox/$(basename "$binary")"
binary=/run/postern-sandbox/$(basename "$binary")
findmnt -rn -o TARGET | while read -r target; do
    case $target in /proc | /proc/* | /sys | /sys/* | /dev | /dev/*) continue ;; esac
    mount -o remount,bind,ro "$target" 2>/dev/null || true
done
mount --bind /run/xtables.lock /run/xtables.lock
mount -o remount,bind,rw /run/xtables.lock
mount -t tmpfs -o mode=1777 tmpfs /tmp
for probe in /etc /usr /var /run /root; do
    if touch "$probe/.postern-sandbox-probe" 2>/dev/null; then
        rm -f "$probe/.postern-sandbox-probe"
        echo "sandbox: $probe is writable" >&2
        exit 97
    fi
done

# One line per datagram: a child per datagram, which ends the line after it.
socat -u UNIX-RECVFROM:/tmp/notify,fork,mode=0666 SYSTEM:"cat; echo" &
notify=$!
for _ in $(seq 50); do [ -S /tmp/notify ] && break; sleep 0.1; done

if [ -n "$caps" ]; then
    capability_sets=(--inh-caps="-all,+${caps//,/,+}" --ambient-caps="-all,+${caps//,/,+}" --bounding-set="-all,+${caps//,/,+}")
else
    capability_sets=(--inh-caps=-all --ambient-caps=-all --bounding-set=-all)
fi
if [ "$user" != root ]; then
    capability_sets+=(--reuid="$user" --regid="$(id -g "$user")" --clear-groups)
fi
trace=/tmp/trace
install -m 0666 /dev/null "$trace"

env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin NOTIFY_SOCKET=/tmp/notify \
    setpriv --no-new-privs "${capability_sets[@]}" \
    strace -f -qq -o "$trace" -- "$binary" "$@" &
tracer=$!
echo "sandbox: tracer $tracer"
status=0
wait "$tracer" || status=$?
sleep 0.2
kill "$notify" 2>/dev/null || true
echo
echo "sandbox: exit $status"
echo "sandbox: trace follows"
cat "$trace"
