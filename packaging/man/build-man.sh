#!/usr/bin/env bash
# One man page per role, made by help2man from the binary's own --help and --version output, so
# the page and the help text cannot drift apart. packaging/man/<role>.h2m adds the sections --help
# has no place for (NAME, FILES, SEE ALSO). Output: $PKG_OUT/man/<role>.8 (uncompressed; the
# packages gzip them).
source "$(dirname "$0")/../roles.sh"
out="$PKG_OUT/man"
rm -rf "$out"
mkdir -p "$out"
# help2man runs the program it is given: for a cross-built binary, a same-named script that runs
# it under the emulator (roles.sh), so that the page names the role and not the emulator.
runners="$PKG_OUT/man-run"
rm -rf "$runners"
mkdir -p "$runners"
trap 'rm -rf "$runners"' EXIT
runner() { # runner ROLE: the path help2man runs
    if [ ${#RUN_BINARY[@]} -eq 0 ]; then
        printf '%s\n' "$BIN/$1"
        return
    fi
    printf '#!/bin/sh\nexec %s "%s" "$@"\n' "${RUN_BINARY[*]}" "$BIN/$1" > "$runners/$1"
    chmod 0755 "$runners/$1"
    printf '%s\n' "$runners/$1"
}
# A role with subcommands (postern-punch connect|manual|nat-type|register): --help lists only the
# commands, so each command's own --help becomes a section of the page, and its options are
# checked like the top level's.
commands_of() { # commands_of ROLE: the subcommand names its --help lists
    run_binary "$1" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }'
}
for role in $ROLES; do
    include=$(role_file man "$role" .h2m)
    # help2man takes the date from SOURCE_DATE_EPOCH, so the page is reproducible.
    if [ -n "$include" ]; then
        extra=(--include="$include")
    else
        extra=(--name="a Postern role")
    fi
    commands=$(commands_of "$role")
    if [ -n "$commands" ]; then
        sections="$runners/$role.commands.h2m"
        : > "$sections"
        for command in $commands; do
            {
                printf '[COMMAND %s]\n.nf\n' "$command"
                run_binary "$role" "$command" --help | sed -e 's/\\/\\e/g' -e 's/^[.'"'"']/\\\&&/' -e 's/-/\\-/g'
                printf '.fi\n\n'
            } >> "$sections"
        done
        extra+=(--include="$sections")
    fi
    help2man --no-info --section=8 --manual="System Administration" --source="Postern $VERSION" \
        "${extra[@]}" --output="$out/$role.8" "$(runner "$role")"
    # The page must document every option --help lists.
    for option in $( { run_binary "$role" --help; for command in $commands; do run_binary "$role" "$command" --help; done; } \
                     | grep -o '^  \(-[a-zA-Z0-9?], \)*--[a-z0-9-]*' | grep -o -- '--[a-z0-9-]*' | sort -u); do
        grep -q -- "$(printf '%s' "$option" | sed 's/-/\\\\-/g')" "$out/$role.8" \
            || { echo "$role.8 lacks $option" >&2; exit 1; }
    done
    echo "man: $out/$role.8"
done
