#!/usr/bin/env bash
# Runs every test project and ends with one plain line, "N passed, N failed, N skipped", summed
# over all of them from their TRX files. Exit status: 0 only when every project ran and nothing
# failed. `--unit` runs only the projects that need no privileges.
set -uo pipefail
cd "$(dirname "$0")/.."

results=build/test-results
rm -rf "$results"
mkdir -p "$results"

projects=$(ls tests/*.Tests/*.Tests.csproj)
if [ "${1:-}" = "--unit" ]; then
    projects=$(printf '%s\n' $projects | grep -v Integration)
fi

status=0
for project in $projects; do
    name=$(basename "$project" .csproj)
    echo "=== $name"
    if ! dotnet test "$project" -c Release --nologo \
            --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
            --results-directory "$results"; then
        status=1
    fi
    if [ ! -f "$results/$name.trx" ]; then
        echo "$name: no test results (build or test host failure)" >&2
        status=1
    fi
done

passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
    [ -f "$trx" ] || continue
    counters=$(grep -o '<Counters [^>]*>' "$trx")
    get() { printf '%s' "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
    passed=$((passed + $(get passed)))
    failed=$((failed + $(get failed)))
    skipped=$((skipped + $(get notExecuted)))
done

echo
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$passed" -eq 0 ]; then
    echo "no test passed" >&2
    status=1
fi
[ "$failed" -eq 0 ] || status=1
exit $status
