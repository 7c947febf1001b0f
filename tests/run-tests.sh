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

# Counter attributes of a TRX's <Counters> element; one that is absent reads 0.
counter() { printf '%s' "$1" | grep -o " $2=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }

status=0
passed=0 failed=0 skipped=0
broken=()
for project in $projects; do
    name=$(basename "$project" .csproj)
    trx="$results/$name.trx"
    echo "=== $name"
    # --blame: when the test host dies, the log says which test was running and why. The
    # console output is kept too, so that the reason can be repeated in the last lines.
    dotnet test "$project" -c Release --nologo --blame \
        --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
        --results-directory "$results" 2>&1 | tee "$results/$name.log"
    exit_code=${PIPESTATUS[0]}
    [ "$exit_code" -eq 0 ] || status=1

    counters=$(grep -o '<Counters [^>]*>' "$trx" 2>/dev/null | head -n 1)
    if [ -z "$counters" ]; then
        # No build, a test host that crashed before writing: no result at all, one failure.
        echo "$name: no test results (build or test host failure, exit status $exit_code)" >&2
        broken+=("$name")
        failed=$((failed + 1))
        status=1
        continue
    fi
    # error, timeout and aborted are failures too: a test that crashed or hung did not pass.
    project_failed=$(( $(counter "$counters" failed) + $(counter "$counters" error) \
                     + $(counter "$counters" timeout) + $(counter "$counters" aborted) ))
    if [ "$exit_code" -ne 0 ] && [ "$project_failed" -eq 0 ]; then
        # dotnet test failed but the TRX blames no test (the host died after some results).
        echo "$name: dotnet test exited $exit_code with no failed test in its results" >&2
        broken+=("$name")
        project_failed=1
    fi
    passed=$((passed + $(counter "$counters" passed)))
    failed=$((failed + project_failed))
    skipped=$((skipped + $(counter "$counters" notExecuted)))
done

# The names and messages of the failed tests (long ones cut in the middle), so the last lines of
# a CI log say which failed and why.
python=/usr/bin/python3; [ -x "$python" ] || python=python3
list_failures() {
    local trx
    for trx in "$results"/*.trx; do
        [ -f "$trx" ] || continue
        "$python" - "$trx" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for r in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult", ns):
    if r.get("outcome") in ("Passed", "NotExecuted"):
        continue
    message = r.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=ns).strip()
    lines = message.splitlines() or ["(no message)"]
    print(f"FAILED {r.get('testName')} ({r.get('outcome')}, {r.get('duration')}): {lines[0][:300]}")
    # A message that carries a process's output ("did not punch:\n...") says why in its last
    # lines; the rest is left to the TRX, so that a CI log's short tail still holds them.
    rest = lines[1:]
    if len(rest) > 12:
        rest = [f"... {len(rest) - 10} lines left out (the TRX has them) ..."] + rest[-10:]
    for line in rest:
        print("    " + line[:240])
PY
    done
}

echo
list_failures
if [ "${#broken[@]}" -gt 0 ]; then
    # What the runner said of the host's end (the test it was in, the signal or exception).
    for name in "${broken[@]}"; do
        { grep -E -m1 -A3 "The active test run was aborted. Reason" "$results/$name.log"
          grep -E -m1 -A3 "The test running when the crash occurred" "$results/$name.log"
          grep -E -m3 "error (MSB|CS|NU)[0-9]" "$results/$name.log"; } | cut -c1-300 | sed "s/^/$name: /"
    done
    echo "projects without (complete) results, each counted as one failure: ${broken[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$passed" -eq 0 ]; then
    echo "no test passed" >&2
    status=1
fi
[ "$failed" -eq 0 ] || status=1
exit $status
