#!/usr/bin/env bash
# Runs every benchmark script in this folder (bench/*.bench.sh), each printing its own table of
# figures and ratios against the yardsticks measured in the same run. Nothing here asserts.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for script in bench/*.bench.sh; do
    [ -f "$script" ] || continue
    echo "=== $(basename "$script" .bench.sh)"
    bash "$script" || status=1
done
exit $status
