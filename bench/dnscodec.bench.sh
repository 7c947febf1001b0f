#!/usr/bin/env bash
# The DNS codec row (issue 7, "ARSoft.Tools.Net as an independent oracle"): ARSoft.Tools.Net
# 3.6.1 against Postern.Wire's span codec on dig's AAAA query, parse + NODATA/SOA build, in
# wall and CPU nanoseconds and bytes allocated per query, with the ratio. ARSoft is the tests'
# oracle and stays off the packet path; this keeps the reason measured. A JIT Release build of
# bench/Postern.Bench.DnsCodec (never published by `make build`). Prints; asserts nothing.
#
# Knobs (environment): BENCH_DNSCODEC_ROUNDS (5), BENCH_DNSCODEC_ARSOFT (200000 iterations a
# round), BENCH_DNSCODEC_POSTERN (20000000 iterations a round).
set -euo pipefail
cd "$(dirname "$0")/.."
project=bench/Postern.Bench.DnsCodec/Postern.Bench.DnsCodec.csproj
dotnet build "$project" -c Release --nologo -v quiet -o build/bench/dnscodec >/dev/null || {
    echo "dnscodec bench: build of $project failed" >&2
    exit 1
}
exec dotnet build/bench/dnscodec/Postern.Bench.DnsCodec.dll \
    --rounds "${BENCH_DNSCODEC_ROUNDS:-5}" \
    --arsoft-iterations "${BENCH_DNSCODEC_ARSOFT:-200000}" \
    --postern-iterations "${BENCH_DNSCODEC_POSTERN:-20000000}"
