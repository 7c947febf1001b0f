# Shared by the Postern procd init scripts (/etc/init.d/postern-*): turns a UCI section into
# command-line options. UCI names are the long option names with '-' written '_' (UCI allows no
# '-' in option names), so /etc/config/postern-<role> holds the same options as the Debian
# /etc/default/postern-<role> file and `postern-<role> --help`.

# postern_options SECTION EMIT "FLAGS" "VALUES" "LISTS": calls EMIT once per option word.
#   FLAGS   booleans: option x '1' gives --x
#   VALUES  single values: option x 'v' gives --x v
#   LISTS   repeatable: list x 'a' / list x 'b' gives --x a --x b
postern_options() {
	local section="$1" emit="$2" flags="$3" values="$4" lists="$5" name value
	for name in $flags; do
		config_get_bool value "$section" "$name" 0
		[ "$value" = 1 ] && $emit "$(postern_flag "$name")"
	done
	for name in $values; do
		value=
		config_get value "$section" "$name"
		[ -n "$value" ] && $emit "$(postern_flag "$name")" "$value"
	done
	for name in $lists; do
		config_list_foreach "$section" "$name" postern_list_item "$emit" "$(postern_flag "$name")"
	done
	return 0
}

postern_flag() {
	echo "--$1" | tr _ -
}

postern_list_item() {
	$2 "$3" "$1"
}

# An EMIT for commands run outside procd: collects the words, quoted, in POSTERN_WORDS.
postern_collect() {
	local word
	for word in "$@"; do
		POSTERN_WORDS="$POSTERN_WORDS '$(printf '%s' "$word" | sed "s/'/'\\\\''/g")'"
	done
}
