#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# inotifywatch: every option, the setup messages, signals, bad input.
bats_require_minimum_version 1.5.0
load helpers
load inotifywatch-lib

setup() {
	iw_setup
	mkdir d
}

teardown() {
	iw_teardown
}

# fails MSG ARGS...: inotifywatch ARGS exits 1 with exactly MSG on stderr
# (several lines allowed) and nothing on stdout.
fails() {
	local msg=$1
	shift
	run -1 --separate-stderr "$INOTIFYWATCH" "$@"
	[ "$stderr" = "$msg" ]
	[ "$output" = "" ]
}

help_text() {
	cat <<HELP
$1 4.25.9.0
Gather filesystem usage statistics using $1.
Usage: $1 [ options ] file1 [ file2 ] [ ... ]
Options:
	-h|--help    	Show this help text.
	-v|--verbose 	Be verbose.
	@<file>       	Exclude the specified file from being watched.
	--fromfile <file>
		Read files to watch from <file> or \`-' for stdin.
	--exclude <pattern>
		Exclude all events on files matching the extended regular
		expression <pattern>.
	--excludei <pattern>
		Like --exclude but case insensitive.
	--include <pattern>
		Exclude all events on files except the ones
		matching the extended regular expression
		<pattern>.
	--includei <pattern>
		Like --include but case insensitive.
	-z|--zero
		In the final table of results, output rows and columns even
		if they consist only of zeros (the default is to not output
		these rows and columns).
	-r|--recursive	Watch directories recursively.
	-I|--inotify	Watch with inotify.
	-F|--fanotify	Watch with fanotify.
	-S|--filesystem	Watch entire filesystem with fanotify.
	-P|--no-dereference
		Do not follow symlinks.
	-t|--timeout <seconds>
		Listen only for specified amount of time in seconds; if
		omitted or zero, $1 will execute until receiving an
		interrupt signal.
	-e|--event <event1> [ -e|--event <event2> ... ]
		Listen for specific event(s).  If omitted, all events are 
		listened for.
	-a|--ascending <event>
		Sort ascending by a particular event, or \`total'.
	-d|--descending <event>
		Sort descending by a particular event, or \`total'.

Exit status:
	0  -  Exited normally.
	1  -  Some error occurred.

Events:
	access		file or directory contents were read
	modify		file or directory contents were written
	attrib		file or directory attributes changed
	close_write	file or directory closed, after being opened in
	           	writable mode
	close_nowrite	file or directory closed, after being opened in
	           	read-only mode
	close		file or directory closed, regardless of read/write mode
	open		file or directory opened
	moved_to	file or directory moved to watched directory
	moved_from	file or directory moved from watched directory
	move		file or directory moved to or from watched directory
	move_self		A watched file or directory was moved.
	create		file or directory created within watched directory
	delete		file or directory deleted within watched directory
	delete_self	file or directory was deleted
	unmount		file system containing file or directory unmounted
HELP
}

@test "--help prints upstream's help on stdout and exits 1" {
	run -1 --separate-stderr "$INOTIFYWATCH" --help
	[ "$output" = "$(help_text inotifywatch)" ]
	[ "$stderr" = "" ]
}

@test "-h is --help" {
	run -1 --separate-stderr "$INOTIFYWATCH" -h d
	[ "$output" = "$(help_text inotifywatch)" ]
}

@test "fsnotifywatch names itself in --help" {
	run -1 --separate-stderr "$FSNOTIFYWATCH" --help
	[ "${lines[0]}" = "fsnotifywatch 4.25.9.0" ]
	[ "${lines[2]}" = "Usage: fsnotifywatch [ options ] file1 [ file2 ] [ ... ]" ]
}

@test "--version prints the version and exits 0" {
	run -0 --separate-stderr "$INOTIFYWATCH" --version
	[ "$output" = "inotifywatch 4.25.9.0" ]
	[ "$stderr" = "" ]
}

@test "setup messages on stderr; SIGINT ends with exit 0" {
	iw_start w d
	touch d/f
	iw_stop w INT
	[ "$IW_STATUS" -eq 0 ]
	iw_expect w.err <<'ERR'
Establishing watches...
Finished establishing watches, now collecting statistics.
ERR
	[ -s w.out ]
}

@test "SIGTERM ends cleanly and prints the table" {
	iw_start w -e create d
	touch d/f
	iw_stop w TERM
	[ "$IW_STATUS" -eq 0 ]
	[ "$(tail -n 1 w.out)" = "1      1       d/" ]
}

@test "SIGHUP ends cleanly and prints the table" {
	iw_start w -e create d
	touch d/f
	iw_stop w HUP
	[ "$IW_STATUS" -eq 0 ]
	[ "$(tail -n 1 w.out)" = "1      1       d/" ]
}

@test "-t ends the run by itself and prints the table" {
	iw_start w -t 2 -e create d
	touch d/f
	iw_reap w
	[ "$IW_STATUS" -eq 0 ]
	iw_expect w.out <<'OUT'
total  create  filename
1      1       d/
OUT
}

@test "-v: watch count and listening time" {
	mkdir d/s
	run -0 --separate-stderr "$INOTIFYWATCH" -v -r -t 1 d
	[ "$stderr" = "Establishing watches...
Setting up watch(es) on d
OK, d is now being watched.
Total of 2 watches.
Finished establishing watches, now collecting statistics.
Will listen for events for 1 seconds.
No events occurred." ]
	[ "$output" = "" ]
}

@test "--verbose without -r: only the watch count" {
	run -0 --separate-stderr "$INOTIFYWATCH" --verbose --timeout 1 d
	[ "${stderr_lines[1]}" = "Total of 1 watches." ]
	[ "${#stderr_lines[@]}" -eq 5 ]
}

@test "negative -t aborts after the watches are set up" {
	fails "Establishing watches...
Finished establishing watches, now collecting statistics.
Negative timeout specified - abort!" -t -1 d
}

@test "-t rejects junk, empty and out-of-range values" {
	fails "'1x' is not a valid timeout value.
Please specify a long int value." -t 1x d
	fails "The provided value is not a valid timeout value.
Please specify a long int value." -t '' d
	fails "Something went wrong with the timeout value you provided.
Numerical result out of range" -t 99999999999999999999 d
}

@test "-e rejects an unknown event" {
	fails "'bogus' is not a valid event!  Run with the '--help' option to see a list of events." -e bogus d
}

@test "-e accepts comma lists, case-insensitive" {
	iw_start w -e Create,DELETE d
	touch d/f
	rm d/f
	iw_stop w
	[ "$(head -n 1 w.out)" = "total  create  delete  filename" ]
}

@test "-a/-d reject unknown keys, move and close" {
	fails "'bogus' is not a valid key for sorting!" -a bogus d
	fails "'bogus' is not a valid key for sorting!" -d bogus d
	fails "Cannot sort by \`move' event; please use \`moved_from' or \`moved_to'." -a move d
	fails "Cannot sort by \`move' event; please use \`moved_from' or \`moved_to'." -d MOVE d
	fails "Cannot sort by \`close' event; please use \`close_write' or \`close_nowrite'." -a close d
	fails "Cannot sort by \`close' event; please use \`close_write' or \`close_nowrite'." -d close d
}

@test "-a/-d reject comma lists that do not name one column" {
	fails "Cannot sort by \`close' event; please use \`close_write' or \`close_nowrite'." -d close_write,close_nowrite d
	fails "'modify,access' is not a valid key for sorting!" -a modify,access d
	fails "'isdir' is not a valid key for sorting!" -e isdir -d isdir d
}

@test "-a/-d on an event that is not watched is refused" {
	fails "Can't sort by an event which isn't being watched for!" -e modify -a access d
	fails "Can't sort by an event which isn't being watched for!" -d unmount d
}

@test "-a once only: a second -a, or -d after -a, is refused" {
	fails "Please specify -a or -d once only!" -a modify -a access d
	fails "Please specify -a or -d once only!" -a modify -d access d
}

@test "no path: 'No files specified to watch!'" {
	fails "No files specified to watch!"
	fails "No files specified to watch!" -r @d
}

@test "a missing path: 'Failed to watch' and exit 1" {
	fails "Establishing watches...
Failed to watch nope: No such file or directory" d nope
}

@test "--fromfile reads the paths, @ lines exclude under -r" {
	mkdir -p t/keep t/skip
	printf '%s\n' t '@t/skip' >list
	iw_start w -r -e create --fromfile list
	touch t/keep/f2 t/skip/f
	iw_stop w
	iw_expect w.out <<'OUT'
total  create  filename
1      1       t/keep/
OUT
}

@test "--fromfile - reads stdin" {
	echo d | {
		"$INOTIFYWATCH" -e create --fromfile - >w.out 2>w.err &
		IW_PIDS[w]=$!
		wait_for 10 file_has w.err 'now collecting statistics'
		touch d/f
		iw_stop w
		[ "$IW_STATUS" -eq 0 ]
	}
	[ "$(tail -n 1 w.out)" = "1      1       d/" ]
}

@test "--fromfile errors: unopenable file, given twice" {
	fails "Couldn't open nolist: No such file or directory" --fromfile nolist
	touch list
	fails "Multiple --fromfile options given." --fromfile list --fromfile list d
}

@test "@path on the command line excludes a subdirectory under -r" {
	mkdir d/skip d/keep
	iw_start w -r -e create d @d/skip
	touch d/skip/f d/keep/f
	iw_stop w
	iw_expect w.out <<'OUT'
total  create  filename
1      1       d/keep/
OUT
}

@test "--exclude drops matching events" {
	iw_start w -e create --exclude 'skip' d
	touch d/skip1 d/keep1 d/keep2
	iw_stop w
	[ "$(tail -n 1 w.out)" = "2      2       d/" ]
}

@test "--excludei is case-insensitive" {
	iw_start w -e create --excludei 'SKIP' d
	touch d/skip1 d/Skip2 d/keep1
	iw_stop w
	[ "$(tail -n 1 w.out)" = "1      1       d/" ]
}

@test "--include keeps only matching events" {
	iw_start w -e create --include 'keep' d
	touch d/skip1 d/keep1 d/keep2
	iw_stop w
	[ "$(tail -n 1 w.out)" = "2      2       d/" ]
}

@test "--includei is case-insensitive" {
	iw_start w -e create --includei 'KEEP' d
	touch d/skip1 d/Keep1 d/keep2
	iw_stop w
	[ "$(tail -n 1 w.out)" = "2      2       d/" ]
}

@test "regex option conflicts" {
	fails "--exclude and --excludei cannot both be specified." --exclude a --excludei b d
	fails "--include and --includei cannot both be specified." --include a --includei b d
	fails "include and exclude regexp cannot both be specified." --include a --exclude b d
}

@test "a bad regular expression is refused" {
	fails "Error in \`exclude' regular expression." --exclude '(' d
	fails "Error in \`include' regular expression." --includei '[' d
}

@test "-P watches a symlink itself, not its target" {
	touch target
	ln -s target link
	iw_start w -P -e attrib,open link
	touch target
	touch -h link
	iw_stop w
	iw_expect w.out <<'OUT'
total  attrib  filename
1      1       link
OUT
}

@test "without -P a symlink is followed" {
	touch target
	ln -s target link
	iw_start w -e attrib link
	touch target
	iw_stop w
	[ "$(tail -n 1 w.out)" = "1      1       link" ]
}

@test "-I forces inotify under the fsnotifywatch name" {
	INOTIFYWATCH=$FSNOTIFYWATCH iw_start w -I -e create d
	touch d/f
	iw_stop w
	[ "$(tail -n 1 w.out)" = "1      1       d/" ]
}

@test "getopt's own diagnostics, exit 1" {
	run -1 --separate-stderr "$INOTIFYWATCH" --foo d
	[ "$stderr" = "$INOTIFYWATCH: unrecognized option '--foo'" ]
	run -1 --separate-stderr "$INOTIFYWATCH" -x d
	[ "$stderr" = "$INOTIFYWATCH: invalid option -- 'x'" ]
	run -1 --separate-stderr "$INOTIFYWATCH" d -e
	[ "$stderr" = "$INOTIFYWATCH: option requires an argument -- 'e'" ]
	run -1 --separate-stderr "$INOTIFYWATCH" -q d
	[ "$stderr" = "$INOTIFYWATCH: invalid option -- 'q'" ]
}

@test "long options accept unambiguous prefixes" {
	iw_start w --ev create --zer d
	touch d/f
	iw_stop w
	[ "$(head -n 1 w.out)" = "total  create  filename" ]
}

@test "interrupted during setup: the impatient-user messages" {
	local fd
	mkfifo fifo
	exec {fd}<>fifo
	"$INOTIFYWATCH" --fromfile fifo >w.out 2>w.err &
	IW_PIDS[w]=$!
	# Wait until the SIGINT handler is in place (SigCgt bit 2).
	wait_for 10 eval '(( 0x$(awk "/^SigCgt/ { print \$2 }" /proc/${IW_PIDS[w]}/status) & 2 ))'
	kill -INT "${IW_PIDS[w]}"
	wait_for 10 file_has w.err 'interrupt me again'
	kill -INT "${IW_PIDS[w]}"
	iw_reap w
	exec {fd}>&-
	[ "$IW_STATUS" -eq 1 ]
	iw_expect w.err <<'ERR'
No statistics have been collected because I haven't finished establishing
inotify watches yet.  If you are sure you want me to exit, interrupt me again.
No statistics collected, asked to abort before all watches could be established.
ERR
}

@test "fsnotifywatch uses fanotify by default" {
	"$FSNOTIFYWATCH" d >w.out 2>w.err &
	IW_PIDS[w]=$!
	wait_for 10 file_has w.err "collecting statistics\|Couldn't initialize"
	if grep -q "Couldn't initialize" w.err; then
		# No fanotify here (or not yet): it must have been asked for.
		iw_reap w
		[ "$IW_STATUS" -eq 1 ]
		grep -q "^Couldn't initialize fanotify: " w.err
		return
	fi
	cat /proc/"${IW_PIDS[w]}"/fdinfo/* | grep -q '^fanotify'
	iw_stop w
	[ "$IW_STATUS" -eq 0 ]
}

# fan_or_skip NAME: when NAME could not initialise fanotify, check that it
# said so properly and skip the rest of the test.
fan_or_skip() {
	wait_for 10 file_has "$1.err" "collecting statistics\|Couldn't initialize"
	if grep -q "Couldn't initialize" "$1.err"; then
		iw_reap "$1"
		[ "$IW_STATUS" -eq 1 ]
		grep -q "^Couldn't initialize fanotify: " "$1.err"
		skip "no fanotify here: $(head -n 1 "$1.err")"
	fi
}

@test "-F counts with fanotify" {
	iw_bg w -F -e create d
	fan_or_skip w
	touch d/f
	iw_stop w
	[ "$IW_STATUS" -eq 0 ]
	[ "$(head -n 1 w.out)" = "total  create  filename" ]
	[ "$(sed -n 2p w.out | awk '{ print $1, $2 }')" = "1 1" ]
}

@test "-S sets up a filesystem watch and says so" {
	iw_bg w -S -e create d
	fan_or_skip w
	iw_stop w
	[ "$IW_STATUS" -eq 0 ]
	[ "$(sed -n 2p w.err)" = "Setting up filesystem watch on d" ]
}

@test "the watch limit: upstream's two-line message and exit 1" {
	# A user namespace of our own, with room for one watch only.
	unshare -Ur true 2>/dev/null || skip "no user namespaces here"
	mkdir -p t/sub
	run -1 --separate-stderr unshare -Ur sh -c \
	    'echo 1 >/proc/sys/user/max_inotify_watches && exec "$0" -r t' \
	    "$INOTIFYWATCH"
	[ "$stderr" = "Establishing watches...
Failed to watch t; upper limit on inotify watches reached!
Please increase the amount of inotify watches allowed per user via \`/proc/sys/fs/inotify/max_user_watches'." ]
	[ "$output" = "" ]
}

@test "no inotify instance left: upstream's init message and exit 1" {
	unshare -Ur true 2>/dev/null || skip "no user namespaces here"
	run -1 --separate-stderr unshare -Ur sh -c \
	    'echo 0 >/proc/sys/user/max_inotify_instances && exec "$0" d' \
	    "$INOTIFYWATCH"
	[ "$stderr" = "Couldn't initialize inotify: Too many open files
Try increasing the value of /proc/sys/fs/inotify/max_user_instances" ]
	[ "$output" = "" ]
}
