#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Our libinotifytools.so.0 is a drop-in for Debian's: Debian's prebuilt
# inotifywait and inotifywatch (3.22), which also import the library's
# private symbols, run on ours and print what they print on their own.
bats_require_minimum_version 1.5.0
load helpers

setup() {
	debian_oracle
	cd "$BATS_TEST_TMPDIR" || return 1
	OURS=$top_builddir/libinotifytools/.libs
	mkdir -p d/sub/deeper
	echo old >d/sub/file
}

teardown() {
	stop_bg
}

# on LIBDIR PROGRAM ARGS...: Debian's PROGRAM, loading the library from
# LIBDIR (ours or Debian's); exec, so that a background one's pid is the
# program's.  A library built with sanitizers needs their runtimes loaded
# first; the leak check is off then (Debian's programs leak at exit).
on() {
	local -a san=()
	local rt
	rt=$(ldd "$1/libinotifytools.so.0" 2>/dev/null |
	    awk '/lib(asan|ubsan)/ { print $3 }' | paste -s -d :)
	if [ -n "$rt" ]; then
		san=(LD_PRELOAD="$rt"
		    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")
	fi
	exec env LD_LIBRARY_PATH="$1" "${san[@]}" \
	    "$DEBIAN_ORACLE/root/usr/bin/$2" "${@:3}"
}

# waiting PID: PID sleeps in poll or select.  Once the changes are made,
# this means it has read every event they queued (an event wakes it).
waiting() {
	[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = S ] &&
	    grep -q 'poll\|select' "/proc/$1/wchan"
}

# changes: no two equal events in a row (the kernel merges those only
# while the first is unread), nothing in a new directory (whether that is
# seen depends on when the watch is added: the race that 3.22 has).
changes() {
	printf new >>d/sub/file
	cat d/sub/file >/dev/null
	touch d/sub/deeper/a d/b
	mv d/b 'd/sub/with space'
	chmod 600 d/sub/file
	rm d/sub/deeper/a
	mkdir d/new
}

# watch_stats NAME LIBDIR ARGS...: Debian's inotifywatch ARGS d on LIBDIR
# over changes(); its stdout in NAME.out, stderr in NAME.err.
watch_stats() {
	local name=$1 lib=$2
	shift 2
	rm -f "$name.out" "$name.err"	# not to see the last run's message
	start_bg "$name.out" "$name.err" on "$lib" inotifywatch "$@" d
	wait_for 10 file_has "$name.err" 'now collecting statistics'
	changes
	wait_for 10 waiting "$BG_PID"
	stop_bg INT
	[ "$BG_STATUS" -eq 0 ]
	reset_tree
}

# reset_tree: undo changes().
reset_tree() {
	rm -rf d/new 'd/sub/with space' d/zz-mark
	echo old >d/sub/file
	chmod 644 d/sub/file
}

@test "Debian's inotifywatch loads our library, not its own" {
	run -0 env LD_LIBRARY_PATH="$OURS" ldd "$DEBIAN_ORACLE/root/usr/bin/inotifywatch"
	[[ "$output" == *"libinotifytools.so.0 => $OURS/libinotifytools.so.0 "* ]]
	run -1 on "$OURS" inotifywatch --help
	[[ "$output" == *"Usage: inotifywatch [ options ] file1 [ file2 ] [ ... ]"* ]]
}

@test "Debian's inotifywatch -r: the same table on our library as on Debian's" {
	watch_stats theirs "$DEBIAN_ORACLE/lib" -r
	watch_stats ours "$OURS" -r
	[ -s theirs.out ]
	diff -u theirs.out ours.out
	diff -u theirs.err ours.err
}

@test "Debian's inotifywatch -a and -d sort the same on our library" {
	local how
	for how in '-a modify' '-d create' '-a close_write' '-d access'; do
		# shellcheck disable=SC2086 # option and event
		watch_stats theirs "$DEBIAN_ORACLE/lib" -r $how
		# shellcheck disable=SC2086
		watch_stats ours "$OURS" -r $how
		diff -u theirs.out ours.out
	done
}

@test "Debian's inotifywatch -z -e: zero rows and the chosen columns the same" {
	watch_stats theirs "$DEBIAN_ORACLE/lib" -r -z -e modify,attrib,create
	watch_stats ours "$OURS" -r -z -e modify,attrib,create
	grep -q 'deeper/$' ours.out
	diff -u theirs.out ours.out
}

# wait_lines NAME LIBDIR ARGS...: Debian's inotifywait -m ARGS d on LIBDIR
# over changes() and a final mark; stdout in NAME.out.
wait_lines() {
	local name=$1 lib=$2
	shift 2
	rm -f "$name.out" "$name.err"
	start_watching "$name.out" "$name.err" on "$lib" inotifywait -m "$@" d
	changes
	# the program's own read of d/new comes last; then the mark
	wait_for 10 file_has "$name.out" \
	    'new.*CLOSE_NOWRITE,CLOSE,ISDIR\|CLOSE_NOWRITE,CLOSE,ISDIR.*new'
	touch d/zz-mark
	wait_for 10 file_has "$name.out" zz-mark
	stop_bg
	reset_tree
}

@test "Debian's inotifywait -m -r: the same lines on our library as on Debian's" {
	wait_lines theirs "$DEBIAN_ORACLE/lib" -r
	wait_lines ours "$OURS" -r
	diff -u theirs.out ours.out
}

@test "Debian's inotifywait --format and --timefmt: the same lines on our library" {
	wait_lines theirs "$DEBIAN_ORACLE/lib" -r --timefmt '%Y' \
	    --format '%T|%w|%f|%e|%Xe'
	wait_lines ours "$OURS" -r --timefmt '%Y' --format '%T|%w|%f|%e|%Xe'
	diff -u theirs.out ours.out
}
