#!/bin/bash
# A stand-in for iptables/ip6tables in RuleSet's unit tests. It appends each call's arguments to
# "$0.log" (one call per line, arguments separated by a tab) and keeps its rules in "$0.rules",
# one per line as "TABLE|-A CHAIN ..." in `iptables -S` form. It does -C, -I CHAIN 1, -D and -S.
# Files next to it change its behaviour:
#   fail-insert-after  a number N: the insertion after N successful ones (of both programs) fails
#   lose-inserts       -I reports success but stores nothing
rules="$0.rules"
dir=$(dirname "$0")
(IFS=$'\t'; printf '%s\n' "$*") >> "$0.log"
touch "$rules"

[ "$1" = -w ] && shift
table=filter
if [ "$1" = -t ]; then table=$2; shift 2; fi
operation=$1
chain=$2
shift 2

# iptables -S puts the values of --comment and --hex-string in double quotes, escaping \ and ".
render() {
    local line="-A $chain" previous="" argument
    for argument in "$@"; do
        if [ "$previous" = --comment ] || [ "$previous" = --hex-string ]; then
            local quoted=${argument//\\/\\\\}
            quoted=${quoted//\"/\\\"}
            line+=" \"$quoted\""
        else
            line+=" $argument"
        fi
        previous=$argument
    done
    printf '%s|%s' "$table" "$line"
}

case $operation in
    -S)
        echo "-P $chain ACCEPT"
        prefix="$table|-A $chain " awk 'index($0, ENVIRON["prefix"]) == 1 { print substr($0, index($0, "|") + 1) }' "$rules"
        ;;
    -C)
        grep -Fxq -- "$(render "$@")" "$rules" || { echo "iptables: Bad rule (does a matching rule exist in that chain?)." >&2; exit 1; }
        ;;
    -I)
        [ "$1" = 1 ] && shift
        inserted=$(cat "$dir/inserted" 2>/dev/null || echo 0)
        if [ -f "$dir/fail-insert-after" ] && [ "$inserted" -ge "$(cat "$dir/fail-insert-after")" ]; then
            echo "iptables: No chain/target/match by that name." >&2
            exit 1
        fi
        echo $((inserted + 1)) > "$dir/inserted"
        [ -f "$dir/lose-inserts" ] && exit 0
        { render "$@"; echo; cat "$rules"; } > "$rules.new" && mv "$rules.new" "$rules"
        ;;
    -D)
        line=$(render "$@")
        line=$line awk '!gone && $0 == ENVIRON["line"] { gone = 1; next } { print } END { exit !gone }' "$rules" > "$rules.new"
        status=$?
        mv "$rules.new" "$rules"
        [ $status -eq 0 ] || { echo "iptables: Bad rule (does a matching rule exist in that chain?)." >&2; exit 1; }
        ;;
    *)
        echo "fake iptables: unsupported $operation" >&2
        exit 2
        ;;
esac
