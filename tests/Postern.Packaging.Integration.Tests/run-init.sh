#!/bin/sh
# Runs one action of an OpenWrt procd init script against the stub (procd-stub.sh).
# Usage: STUB_DIR=... CONFIG_DIR=... IPKG_INSTROOT=... run-init.sh SCRIPT start|stopped [PROG]
set -e
. "$STUB_DIR/procd-stub.sh"
. "$1"
[ -z "${3:-}" ] || PROG=$3
case $2 in
	start) start_service ;;
	stopped) service_stopped ;;
	*) echo "run-init.sh: unknown action $2" >&2; exit 2 ;;
esac
