# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers of the badinput-*.bats files (load after helpers).

# fails_with STATUS MESSAGE CMD...: CMD exits with STATUS, prints nothing on
# stdout and exactly MESSAGE (lines joined by newlines) on stderr.
fails_with() {
	local want_status=$1 want=$2
	shift 2
	run --separate-stderr "$@"
	# shellcheck disable=SC2154 # status, stderr, output: set by run
	if [ "$status" -ne "$want_status" ] || [ "$stderr" != "$want" ] ||
	    [ -n "$output" ]; then
		printf 'command: %q ' "$@"
		printf '\nstatus %s (want %s)\nstderr: %q\nwant:   %q\nstdout: %q\n' \
			"$status" "$want_status" "$stderr" "$want" "$output"
		return 1
	fi
}

# as_nobody CMD...: CMD as uid/gid 65534 without supplementary groups.
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

# in_userns SCRIPT ARGS...: sh -c SCRIPT as root of a new user namespace,
# whose inotify limits (/proc/sys/user/max_inotify_*) it may lower.  It
# execs: call it through run or start_bg.
in_userns() {
	local script=$1
	shift
	exec unshare --user --map-root-user sh -c "$script" sh "$@"
}

# every_byte_names: the names "n" + each byte 1..255 but '/', one a line
# would not do (a name may hold '\n'): NUL-terminated on stdout.
every_byte_names() {
	local i c
	for (( i = 1; i < 256; i++ )); do
		(( i == 47 )) && continue
		printf -v c '%b' "\\x$(printf '%02x' "$i")"
		printf 'n%s\0' "$c"
	done
}

# deep_tree DIR: DIR/ok and, beside it, a chain of 200-byte names whose
# path is longer than PATH_MAX (4096).
deep_tree() {
	local name i
	name=$(printf 'x%.0s' {1..200})
	mkdir -p "$1/ok"
	(
		cd "$1" || exit 1
		for (( i = 0; i < 25; i++ )); do
			mkdir "$name" && cd "$name" || exit 1
		done
	)
}

# lines_at_least FILE N: FILE has N lines or more (for wait_for).
lines_at_least() {
	[ "$(wc -l <"$1")" -ge "$2" ]
}

# nuls_at_least FILE N: FILE holds N NUL bytes or more (for wait_for).
nuls_at_least() {
	[ "$(tr -cd '\0' <"$1" | wc -c)" -ge "$2" ]
}
