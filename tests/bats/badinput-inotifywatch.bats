#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# inotifywatch's bad-input matrix: each case with its exact message on
# stderr (upstream's text where upstream has one) and its exit status.
bats_require_minimum_version 1.5.0
load helpers
load badinput-lib

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	mkdir d
}

teardown() {
	stop_bg
}

readonly EST="Establishing watches..."
readonly FIN="Finished establishing watches, now collecting statistics."

# bats test_tags=argv0
@test "every option that takes an argument, given without one: getopt's line, 1" {
	local o
	for o in e t a d; do
		fails_with 1 "$INOTIFYWATCH: option requires an argument -- '$o'" \
			"$INOTIFYWATCH" "-$o"
	done
	for o in fromfile exclude excludei include includei event timeout \
	    ascending descending; do
		fails_with 1 "$INOTIFYWATCH: option '--$o' requires an argument" \
			"$INOTIFYWATCH" "--$o"
	done
}

# bats test_tags=argv0
@test "unknown options, and inotifywait's -q, -m, -c: getopt's line, 1" {
	local o
	fails_with 1 "$INOTIFYWATCH: unrecognized option '--foo'" \
		"$INOTIFYWATCH" --foo d
	for o in x q m c; do
		fails_with 1 "$INOTIFYWATCH: invalid option -- '$o'" \
			"$INOTIFYWATCH" "-$o" d
	done
}

@test "bad sort keys: upstream's lines, 1" {
	fails_with 1 "'nope' is not a valid key for sorting!" \
		"$INOTIFYWATCH" -a nope d
	fails_with 1 "Cannot sort by \`move' event; please use \`moved_from' or \`moved_to'." \
		"$INOTIFYWATCH" -d move d
	fails_with 1 "Cannot sort by \`close' event; please use \`close_write' or \`close_nowrite'." \
		"$INOTIFYWATCH" -a close d
	fails_with 1 "Please specify -a or -d once only!" \
		"$INOTIFYWATCH" -a total -d total d
	fails_with 1 "Can't sort by an event which isn't being watched for!" \
		"$INOTIFYWATCH" -e modify -a access d
}

@test "bad events, regexes and timeouts: upstream's lines, 1" {
	local t
	fails_with 1 "'nope' is not a valid event!  Run with the '--help' option to see a list of events." \
		"$INOTIFYWATCH" -e nope d
	fails_with 1 "Error in \`exclude' regular expression." \
		"$INOTIFYWATCH" --exclude '(' d
	fails_with 1 "Error in \`include' regular expression." \
		"$INOTIFYWATCH" --includei 'a[' d
	fails_with 1 $'The provided value is not a valid timeout value.\nPlease specify a long int value.' \
		"$INOTIFYWATCH" -t '' d
	for t in abc 1.5 0x10; do
		fails_with 1 "'$t' is not a valid timeout value."$'\n'"Please specify a long int value." \
			"$INOTIFYWATCH" -t "$t" d
	done
	fails_with 1 $'Something went wrong with the timeout value you provided.\nNumerical result out of range' \
		"$INOTIFYWATCH" -t 99999999999999999999 d
	fails_with 1 "$EST"$'\n'"$FIN"$'\nNegative timeout specified - abort!' \
		"$INOTIFYWATCH" -t -1 d
}

@test "bad paths: Failed to watch, 1; --fromfile problems" {
	ln -s nowhere dangling
	mkdir priv
	chmod 700 priv
	chmod 755 .
	fails_with 1 "No files specified to watch!" "$INOTIFYWATCH" ''
	fails_with 1 "$EST"$'\n'"Failed to watch nonexist: No such file or directory" \
		"$INOTIFYWATCH" -t 1 nonexist
	fails_with 1 "$EST"$'\n'"Failed to watch dangling: No such file or directory" \
		"$INOTIFYWATCH" -t 1 dangling
	fails_with 1 "$EST"$'\n'"Failed to watch priv: Permission denied" \
		as_nobody "$INOTIFYWATCH" -t 1 priv
	fails_with 1 "Couldn't open nofile: No such file or directory" \
		"$INOTIFYWATCH" --fromfile nofile
	printf 'd\r\n' >list
	fails_with 1 "$EST"$'\n'"Failed to watch d\\x0d: No such file or directory" \
		"$INOTIFYWATCH" -t 1 --fromfile list
}

@test "watch and instance limits: upstream's two lines, 1" {
	mkdir -p d/a d/b d/c
	fails_with 1 "$EST"$'\n'"Failed to watch d; upper limit on inotify watches reached!"$'\n'"Please increase the amount of inotify watches allowed per user via \`/proc/sys/fs/inotify/max_user_watches'." \
		in_userns 'echo 3 >/proc/sys/user/max_inotify_watches && exec "$@"' \
		"$INOTIFYWATCH" -r -t 1 d
	fails_with 1 $'Couldn\'t initialize inotify: Too many open files\nTry increasing the value of /proc/sys/fs/inotify/max_user_instances' \
		in_userns 'echo 0 >/proc/sys/user/max_inotify_instances && exec "$@"' \
		"$INOTIFYWATCH" -t 1 d
}

@test "a watched directory deleted while counting: counted, no crash, 0" {
	start_watching out err "$INOTIFYWATCH" -t 30 d
	touch d/f
	rm -r d
	stop_bg INT
	[ "$BG_STATUS" -eq 0 ]
	grep -q 'd/$' out
	[ "$(grep -vc -e "^$EST\$" -e "^$FIN\$" err)" -eq 0 ]
}
