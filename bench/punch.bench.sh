#!/usr/bin/env bash
# The punch matrix (issue 9): every pairing of the two-site PunchLab's NAT kinds, BENCH_PUNCH_RUNS
# (20) fresh pairings each, with the real postern-punch and postern-reflector (and dante as the
# relay for symmetric x symmetric): success rate, median and 95th percentile time to connect,
# path, probes sent. Needs root (namespaces). A JIT Release build of bench/Postern.Bench.PunchMatrix
# (never published by `make build`). Prints; asserts nothing. BENCH_PUNCH_ONLY=text runs only the
# pairings whose name contains it.
set -euo pipefail
cd "$(dirname "$0")/.."
project=bench/Postern.Bench.PunchMatrix/Postern.Bench.PunchMatrix.csproj
dotnet build "$project" -c Release --nologo -v quiet -o build/bench/punchmatrix >/dev/null || {
    echo "punch bench: build of $project failed" >&2
    exit 1
}
exec dotnet build/bench/punchmatrix/Postern.Bench.PunchMatrix.dll "${BENCH_PUNCH_RUNS:-20}" ${BENCH_PUNCH_ONLY:+"$BENCH_PUNCH_ONLY"}
