#!/bin/bash
# Boots systemd as PID 1 of a throw-away container made of namespaces (PID, mount, network, UTS,
# IPC, cgroup: the caller runs this under `unshare ... --cgroup` from a cgroup of its own), so
# that a unit can be started, killed and stopped by the real service manager on a machine whose
# PID 1 is not systemd. Nothing on the host changes: every mount below is in the container's
# mount namespace, the container has its own network namespace (so its firewall rules are its
# own), and the binaries are added to /usr/sbin through an overlay whose upper layer is scratch.
#   /usr/lib/systemd/system   only the units under test and stub targets (no host services)
#   /etc/systemd/system       empty but for the test's drop-ins
#   system-generators         none
# Usage: systemd-container.sh SCRATCH   (SCRATCH/units: unit files; SCRATCH/sbin: binaries;
#        SCRATCH/dropins/<unit>.d/*.conf: drop-ins)
set -euo pipefail
scratch=$1

mount -t proc proc /proc
mount -t cgroup2 none /sys/fs/cgroup
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs tmpfs /usr/lib/systemd/system-generators
mount --bind "$scratch/units" /usr/lib/systemd/system
mount -t tmpfs -o mode=0755 tmpfs /etc/systemd/system
cp -r "$scratch/dropins/." /etc/systemd/system/
mkdir -p "$scratch/upper" "$scratch/work"
mount -t overlay overlay -o "lowerdir=/usr/sbin,upperdir=$scratch/upper,workdir=$scratch/work" /usr/sbin
cp "$scratch"/sbin/* /usr/sbin/
mkdir -p /run/postern-test
ip link set lo up
exec env -i container=postern-test PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    /lib/systemd/systemd --system --unit=default.target --log-target=null
