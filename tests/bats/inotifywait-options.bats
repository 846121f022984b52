#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# inotifywait: command line, validation messages and exit codes.
bats_require_minimum_version 1.5.0
load helpers
load inotifywait-lib

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	mkdir d
}

teardown() {
	stop_bg
}

@test "--help prints the usage on stdout and exits 1" {
	run -1 --separate-stderr "$INOTIFYWAIT" --help
	[ "${lines[0]}" = "inotifywait 4.25.9.0" ]
	[ "${lines[1]}" = "Wait for a particular event on a file or set of files." ]
	[ "${lines[2]}" = "Usage: inotifywait [ options ] file1 [ file2 ] [ file3 ] [ ... ]" ]
	[[ "$output" == *$'\t-S|--filesystem\tWatch entire filesystem with fanotify.'* ]]
	[[ "$output" == *$'\tunmount\t\tfile system containing file or directory unmounted' ]]
	[ -z "$stderr" ]
}

@test "-h is --help" {
	run -1 --separate-stderr "$INOTIFYWAIT" -h
	[ "${lines[1]}" = "Wait for a particular event on a file or set of files." ]
}

@test "--help names the program after argv[0]" {
	run -1 --separate-stderr "$FSNOTIFYWAIT" --help
	[ "${lines[0]}" = "fsnotifywait 4.25.9.0" ]
	[[ "$output" == *"Without this option, fsnotifywait will exit after one event is received."* ]]
}

@test "--help lists the events in upstream's layout" {
	run -1 --separate-stderr "$INOTIFYWAIT" --help
	[[ "$output" == *$'Events:\n\taccess\t\tfile or directory contents were read\n'* ]]
	[[ "$output" == *$'\tmove_self\t\tA watched file or directory was moved.\n'* ]]
	[[ "$output" == *$'Exit status:\n\t0  -  An event you asked to watch for was received.\n'* ]]
}

@test "--help has the same lines as Debian's 3.22 apart from version and -I/-F/-S" {
	debian_oracle
	run -1 --separate-stderr "$INOTIFYWAIT" --help
	ours=$(printf '%s\n' "$output" | sed 1d | grep -v -- '-I|--inotify\|-F|--fanotify\|-S|--filesystem')
	theirs=$("$DEB_INOTIFYWAIT" --help | sed 1d) || true
	[ "$ours" = "$theirs" ]
}

@test "--version prints the version and exits 0" {
	run -0 --separate-stderr "$INOTIFYWAIT" --version
	[ "$output" = "inotifywait 4.25.9.0" ]
	[ -z "$stderr" ]
}

@test "an unknown short option is getopt's message and exit 1" {
	run -1 --separate-stderr "$INOTIFYWAIT" -x d
	[ "$stderr" = "$INOTIFYWAIT: invalid option -- 'x'" ]
	[ -z "$output" ]
}

@test "an unknown long option is getopt's message and exit 1" {
	run -1 --separate-stderr "$INOTIFYWAIT" --foo d
	[ "$stderr" = "$INOTIFYWAIT: unrecognized option '--foo'" ]
}

@test "a missing option argument is getopt's message and exit 1" {
	run -1 --separate-stderr "$INOTIFYWAIT" d -e
	[ "$stderr" = "$INOTIFYWAIT: option requires an argument -- 'e'" ]
}

@test "long-only options have no short form (-n, -z, -a, -i)" {
	for o in n z a b j k i 0; do
		run -1 --separate-stderr "$INOTIFYWAIT" "-$o" x d
		[ "$stderr" = "$INOTIFYWAIT: invalid option -- '$o'" ]
	done
}

@test "an ambiguous long option prefix is rejected" {
	run -1 --separate-stderr "$INOTIFYWAIT" --ex x d
	[[ "$stderr" == "$INOTIFYWAIT: option '--ex' is ambiguous"* ]]
}

@test "an unambiguous long option prefix is accepted" {
	run -1 --separate-stderr "$INOTIFYWAIT" --mon --timeo -1 --qui d
	[ "$stderr" = "Negative timeout specified - abort!" ]
}

@test "options may follow the paths (permutation)" {
	run -1 --separate-stderr "$INOTIFYWAIT" d -q -t -1
	[ "$stderr" = "Negative timeout specified - abort!" ]
}

@test "-- ends the options: a path may start with a dash" {
	mkdir -- -m
	run -1 --separate-stderr "$INOTIFYWAIT" -q -t -1 -- -m
	[ "$stderr" = "Negative timeout specified - abort!" ]
}

@test "-f says the option no longer exists" {
	run -1 --separate-stderr "$INOTIFYWAIT" -f d
	[ "${stderr_lines[0]}" = "The '--filename' option no longer exists.  The option it enabled in earlier" ]
	[ "${stderr_lines[1]}" = "versions of inotifywait is now turned on by default." ]
}

@test "an unknown event is rejected with upstream's message" {
	run -1 --separate-stderr "$INOTIFYWAIT" -e modify,bogus d
	[ "$stderr" = "'modify,bogus' is not a valid event!  Run with the '--help' option to see a list of events." ]
}

@test "event names are case-insensitive and accept comma lists" {
	run -1 --separate-stderr "$INOTIFYWAIT" -q -t -1 -e MODIFY,Close_Write -e q_overflow,ignored,isdir,oneshot,all_events d
	[ "$stderr" = "Negative timeout specified - abort!" ]
}

@test "an empty -e means all events" {
	iw_bg -t 10 -e '' d
	chmod 600 d
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(cat out)" = "d/ ATTRIB,ISDIR " ]
}

@test "-t with trailing junk is rejected" {
	run -1 --separate-stderr "$INOTIFYWAIT" -t 1.5 d
	[ "${stderr_lines[0]}" = "'1.5' is not a valid timeout value." ]
	[ "${stderr_lines[1]}" = "Please specify a long int value." ]
}

@test "-t with an empty value is rejected" {
	run -1 --separate-stderr "$INOTIFYWAIT" -t '' d
	[ "${stderr_lines[0]}" = "The provided value is not a valid timeout value." ]
	[ "${stderr_lines[1]}" = "Please specify a long int value." ]
}

@test "-t out of range is rejected with strerror" {
	run -1 --separate-stderr "$INOTIFYWAIT" -t 99999999999999999999 d
	[ "${stderr_lines[0]}" = "Something went wrong with the timeout value you provided." ]
	[ "${stderr_lines[1]}" = "Numerical result out of range" ]
}

@test "a negative -t aborts after the watches are set up" {
	run -1 --separate-stderr "$INOTIFYWAIT" -t -5 d
	[ "$stderr" = $'Setting up watches.\nWatches established.\nNegative timeout specified - abort!' ]
}

@test "--exclude and --excludei conflict" {
	run -1 --separate-stderr "$INOTIFYWAIT" --exclude a --excludei b d
	[ "$stderr" = "--exclude and --excludei cannot both be specified." ]
}

@test "--include and --includei conflict" {
	run -1 --separate-stderr "$INOTIFYWAIT" --include a --includei b d
	[ "$stderr" = "--include and --includei cannot both be specified." ]
}

@test "include and exclude conflict" {
	run -1 --separate-stderr "$INOTIFYWAIT" --excludei a --include b d
	[ "$stderr" = "include and exclude regexp cannot both be specified." ]
}

@test "-c and --format conflict" {
	run -1 --separate-stderr "$INOTIFYWAIT" -c --format %f d
	[ "$stderr" = "-c and --format cannot both be specified." ]
}

@test "--no-newline needs --format" {
	run -1 --separate-stderr "$INOTIFYWAIT" --no-newline d
	[ "$stderr" = "--no-newline cannot be specified without --format." ]
}

@test "--timefmt needs --format" {
	run -1 --separate-stderr "$INOTIFYWAIT" --timefmt %s d
	[ "$stderr" = "--timefmt cannot be specified without --format." ]
}

@test "%T needs --timefmt" {
	run -1 --separate-stderr "$INOTIFYWAIT" --format '%w %T' d
	[ "$stderr" = "%T is in --format string, but --timefmt was not specified." ]
}

@test "-d needs -o" {
	run -1 --separate-stderr "$INOTIFYWAIT" -d d
	[ "$stderr" = "-o must be specified with -d." ]
}

@test "validation runs in upstream's order" {
	run -1 --separate-stderr "$INOTIFYWAIT" -d --timefmt x -c --format y --exclude a --excludei b d
	[ "$stderr" = "--exclude and --excludei cannot both be specified." ]
	run -1 --separate-stderr "$INOTIFYWAIT" -d --timefmt x -c --format y d
	[ "$stderr" = "-c and --format cannot both be specified." ]
}

@test "a repeated --exclude warns that only the last counts" {
	run -1 --separate-stderr "$INOTIFYWAIT" --exclude a --exclude b -t -1 -q d
	[ "${stderr_lines[0]}" = "--exclude: only the last option will be taken into consideration." ]
	[ "${stderr_lines[1]}" = "Negative timeout specified - abort!" ]
}

@test "a repeated --excludei warns that only the last counts" {
	run -1 --separate-stderr "$INOTIFYWAIT" --excludei a --excludei b -t -1 -q d
	[ "${stderr_lines[0]}" = "--excludei: only the last option will be taken into consideration." ]
}

@test "a bad exclude regex is an error" {
	run -1 --separate-stderr "$INOTIFYWAIT" --exclude '(' d
	[ "$stderr" = "Error in \`exclude' regular expression." ]
}

@test "a bad include regex is an error" {
	run -1 --separate-stderr "$INOTIFYWAIT" --includei '[' d
	[ "$stderr" = "Error in \`include' regular expression." ]
}

@test "an empty format with --no-newline is wrong" {
	run -1 --separate-stderr "$INOTIFYWAIT" --format '' --no-newline d
	[ "$stderr" = "Something is wrong with your format string." ]
}

@test "no path at all" {
	run -1 --separate-stderr "$INOTIFYWAIT" -m
	[ "$stderr" = "No files specified to watch!" ]
}

@test "only empty and @ arguments are no path" {
	run -1 --separate-stderr "$INOTIFYWAIT" '' @ @x
	[ "$stderr" = "No files specified to watch!" ]
}

@test "a missing path stops the setup with exit 1" {
	run -1 --separate-stderr "$INOTIFYWAIT" d nonexist
	[ "$stderr" = $'Setting up watches.\nCouldn\'t watch nonexist: No such file or directory' ]
	[ -z "$output" ]
}

@test "-q hides the setup messages but not errors" {
	run -1 --separate-stderr "$INOTIFYWAIT" -q nonexist
	[ "$stderr" = "Couldn't watch nonexist: No such file or directory" ]
}

@test "--fromfile that cannot be opened is an error, not a crash" {
	run -1 --separate-stderr "$INOTIFYWAIT" --fromfile nolist d
	[ "$stderr" = "Couldn't open nolist: No such file or directory" ]
}

@test "--fromfile that is unreadable is an error" {
	run -1 --separate-stderr "$INOTIFYWAIT" --fromfile d
	[[ "$stderr" == "Couldn't read d: Is a directory" ]]
}

@test "a second --fromfile is rejected" {
	printf 'd\n' >list
	run -1 --separate-stderr "$INOTIFYWAIT" --fromfile list --fromfile list
	[ "$stderr" = "Multiple --fromfile options given." ]
}

@test "a second --outfile is rejected" {
	run -1 --separate-stderr "$INOTIFYWAIT" -o a -o b d
	[ "$stderr" = "Multiple --outfile options given." ]
}

@test "--fromfile paths come first, empty lines are skipped" {
	mkdir e
	printf 'd\n\n@skip\n@\n' >list
	iw_bg -m -t 10 --fromfile list e
	touch e/x d/y
	wait_for 5 file_has out 'd/ CLOSE_WRITE,CLOSE y'
	grep -q 'e/ CLOSE_WRITE,CLOSE x' out
}

@test "--fromfile - reads stdin" {
	printf 'd\n' | {
		"$INOTIFYWAIT" -t 10 --fromfile - >out 2>err &
		BG_PID=$!
		wait_for 10 file_has err 'Watches established'
		touch d/z
		iw_done
		[ "$BG_STATUS" -eq 0 ]
	}
	[ "$(cat out)" = "d/ CREATE z" ]
}

@test "--fromfile lines have no length limit" {
	long=$(printf 'x%.0s' {1..5000})
	printf 'd\n%s\n' "$long" >list
	run -1 --separate-stderr "$INOTIFYWAIT" -q --fromfile list
	[ "$stderr" = "Couldn't watch $long: File name too long" ]
}

@test "thousands of path arguments are all watched" {
	mkdir many
	bash -c 'for i in $(seq 2000); do : >"many/f$i"; done'
	iw_bg -m -t 10 many/f*
	touch many/f1 many/f1000 many/f2000
	wait_for 5 file_has out '^many/f2000 ATTRIB $'
	grep -q '^many/f1 ATTRIB $' out
	grep -q '^many/f1000 ATTRIB $' out
}

@test "fsnotifywait is a symlink to inotifywait" {
	[ -L "$FSNOTIFYWAIT" ]
	[ "$(readlink "$FSNOTIFYWAIT")" = inotifywait ]
}

@test "no inotify instance left: the init message and its hint" {
	unshare -U -r true 2>/dev/null || skip "no user namespaces"
	run -1 --separate-stderr unshare -U -r sh -c \
	    'echo 0 >/proc/sys/user/max_inotify_instances && exec "$0" d' "$INOTIFYWAIT"
	[ "${stderr_lines[0]}" = "Couldn't initialize inotify: Too many open files" ]
	[ "${stderr_lines[1]}" = "Try increasing the value of /proc/sys/fs/inotify/max_user_instances" ]
}
