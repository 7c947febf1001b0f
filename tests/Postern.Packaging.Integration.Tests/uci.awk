# Turns a UCI file into the shell variables OpenWrt's config_load sets (enough of them for the
# procd stub): CONFIG_SECTIONS, CONFIG_<section>_TYPE, CONFIG_<section>_<option>, and for lists
# CONFIG_<section>_<option>_LENGTH and _ITEM<n>. Values are single words or quoted.
function value(    v) {
	v = $0
	sub(/^[ \t]*(option|list)[ \t]+[A-Za-z0-9_]+[ \t]+/, "", v)
	sub(/[ \t]+$/, "", v)
	if (v ~ /^'.*'$/ || v ~ /^".*"$/) v = substr(v, 2, length(v) - 2)
	gsub(/'/, "'\\''", v)
	return v
}
/^[ \t]*#/ || /^[ \t]*$/ { next }
$1 == "config" {
	name = $3
	gsub(/['"]/, "", name)
	if (name == "") name = "cfg" ++anonymous
	type = $2
	gsub(/['"]/, "", type)
	print "CONFIG_SECTIONS=\"$CONFIG_SECTIONS " name "\""
	print "CONFIG_" name "_TYPE='" type "'"
	next
}
$1 == "option" { print "CONFIG_" name "_" $2 "='" value() "'"; next }
$1 == "list" {
	n = ++length_of[name "_" $2]
	print "CONFIG_" name "_" $2 "_ITEM" n "='" value() "'"
	print "CONFIG_" name "_" $2 "_LENGTH=" n
	next
}
{ print "uci.awk: cannot read: " $0 > "/dev/stderr"; exit 1 }
