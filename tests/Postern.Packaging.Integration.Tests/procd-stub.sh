# Stands in for OpenWrt's UCI shell functions (/lib/functions.sh) and procd.sh, so that the procd
# init scripts' start_service and service_stopped can run on a Debian machine under `sh`. The
# UCI file is read by uci.awk; procd calls are printed, one word per line:
#   instance NAME / command / word W / param KEY / value V / close
config_load() {
	eval "$(awk -f "$STUB_DIR/uci.awk" "$CONFIG_DIR/$1")"
}

config_get() {
	local _value _set
	eval "_set=\${CONFIG_${2}_${3}+set}"
	if [ -n "$_set" ]; then
		eval "_value=\$CONFIG_${2}_${3}"
	else
		_value=$4
	fi
	eval "$1=\$_value"
}

config_get_bool() {
	local _bool
	config_get _bool "$2" "$3" "$4"
	case "$_bool" in
		1 | on | true | yes | enabled) _bool=1 ;;
		*) _bool=0 ;;
	esac
	eval "$1=\$_bool"
}

config_foreach() {
	local _function="$1" _type="$2" _section _section_type
	shift 2
	for _section in $CONFIG_SECTIONS; do
		eval "_section_type=\$CONFIG_${_section}_TYPE"
		[ "$_section_type" = "$_type" ] && "$_function" "$_section" "$@"
	done
	return 0
}

config_list_foreach() {
	local _section="$1" _option="$2" _function="$3" _length _i=1 _item
	shift 3
	eval "_length=\${CONFIG_${_section}_${_option}_LENGTH:-0}"
	while [ "$_i" -le "$_length" ]; do
		eval "_item=\$CONFIG_${_section}_${_option}_ITEM$_i"
		"$_function" "$_item" "$@"
		_i=$((_i + 1))
	done
}

procd_open_instance() { echo "instance $1"; }
procd_close_instance() { echo "close"; }
procd_add_reload_trigger() { :; }

procd_set_param() {
	local _key="$1" _word
	shift
	if [ "$_key" = command ]; then
		echo "command"
		for _word in "$@"; do echo "word $_word"; done
	else
		echo "param $_key"
		for _word in "$@"; do echo "value $_word"; done
	fi
}

procd_append_param() {
	local _key="$1" _word
	shift
	[ "$_key" = command ] || { echo "append to $_key is not expected" >&2; exit 1; }
	for _word in "$@"; do echo "word $_word"; done
}
