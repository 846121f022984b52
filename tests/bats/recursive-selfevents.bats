#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# -m -r: reading a new directory is the only thing we do to it, and what
# inotify sees of that read is what upstream shows: OPEN, ACCESS and
# CLOSE_NOWRITE,ISDIR of the new directory on its parent, once each
# Nothing on the new directory's own watch.
bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	mkdir d
}

teardown() {
	stop_bg
}

# mark_stop LAST: wait for LAST, the close of the watcher's own read of the
# new directory (a mark made before it may fall between the ACCESS events
# of that read, which then rightly are not merged); then create d/zz-mark
# and wait until it is reported: every event caused before it has been
# printed by then.  Then stop the watcher.
mark_stop() {
	wait_for 10 file_has out "$1"
	touch d/zz-mark
	wait_for 10 file_has out 'zz-mark'
	stop_bg
	grep -v 'zz-mark' out >lines || true
}

# mkdirs PATH...: mkdir(2) each, in order, opening nothing in the tree
# (mkdir(1) without -p does exactly that; with -p it opens the parents,
# which inotify would report too).
mkdirs() {
	mkdir -- "$@"
}

# watches N: true once the background program holds N inotify watches.
watches() {
	[ "$(cat /proc/"$BG_PID"/fdinfo/* 2>/dev/null |
	    grep -c '^inotify wd:')" -ge "$1" ]
}

@test "a new empty directory: CREATE, then OPEN, ACCESS, CLOSE_NOWRITE once" {
	start_watching out err "$INOTIFYWAIT" -m -r d
	mkdir d/c
	mark_stop 'd/ CLOSE_NOWRITE,CLOSE,ISDIR c'
	[ "$(cat lines)" = "d/ CREATE,ISDIR c
d/ OPEN,ISDIR c
d/ ACCESS,ISDIR c
d/ CLOSE_NOWRITE,CLOSE,ISDIR c" ]
}

@test "a new directory holding files: one ACCESS, however many reads" {
	mkdir src
	# enough entries for several getdents(2) calls
	(cd src && seq -f 'file-with-a-long-name-%05g' 3000 | xargs touch)
	start_watching out err "$INOTIFYWAIT" -m -r -e open,access,close d
	mv src d/c
	mark_stop 'd/ CLOSE_NOWRITE,CLOSE,ISDIR c'
	[ "$(cat lines)" = "d/ OPEN,ISDIR c
d/ ACCESS,ISDIR c
d/ CLOSE_NOWRITE,CLOSE,ISDIR c" ]
}

@test "nested new directories: the same pattern at each level" {
	start_watching out err "$INOTIFYWAIT" -m -r d
	mkdirs d/a d/a/b
	mark_stop 'd/a/ CLOSE_NOWRITE,CLOSE,ISDIR b'
	# b is reported by the kernel or by our scan of a: either way once,
	# and the order of the two levels may vary.
	[ "$(sort lines)" = "$(sort <<'EOT'
d/ CREATE,ISDIR a
d/ OPEN,ISDIR a
d/ ACCESS,ISDIR a
d/ CLOSE_NOWRITE,CLOSE,ISDIR a
d/a/ CREATE,ISDIR b
d/a/ OPEN,ISDIR b
d/a/ ACCESS,ISDIR b
d/a/ CLOSE_NOWRITE,CLOSE,ISDIR b
EOT
)" ]
	# a's own events precede b's
	[ "$(grep -n 'd/ OPEN' lines | cut -d: -f1)" -lt \
	    "$(grep -n 'd/a/ OPEN' lines | cut -d: -f1)" ]
}

@test "the new directory is watched before it is read" {
	start_watching out err "$INOTIFYWAIT" -m -r -e create d
	mkdirs d/a d/a/b d/a/b/c
	touch d/a/b/c/f
	wait_for 10 file_has out 'd/a/b/c/ CREATE f'
	stop_bg
	[ "$(grep -c ' CREATE' out)" -eq 4 ]
}

@test "a user's own read of the new directory is still reported" {
	start_watching out err "$INOTIFYWAIT" -m -r -e open,access,close d
	mkdir d/c
	wait_for 10 file_has out 'd/ CLOSE_NOWRITE,CLOSE,ISDIR c'
	ls d/c >/dev/null
	wait_for 10 file_has out 'd/c/ CLOSE_NOWRITE,CLOSE,ISDIR $'
	stop_bg
	grep -q 'd/c/ OPEN,ISDIR $' out
	grep -q 'd/c/ ACCESS,ISDIR $' out
	[ "$(grep -c 'd/ OPEN,ISDIR c' out)" -eq 2 ]
}

@test "inotifywatch -r counts one open, access and close_nowrite per new directory" {
	"$INOTIFYWATCH" -r d >out 2>err &
	BG_PID=$!
	wait_for 10 file_has err 'now collecting statistics'
	mkdirs d/a
	# b after a is watched, so that its CREATE is counted too
	wait_for 10 watches 2
	mkdirs d/a/b
	stop_bg INT
	[ "$BG_STATUS" -eq 0 ]
	[ "$(cat out)" = "total  access  close_nowrite  open  create  filename
4      1       1              1     1       d/
4      1       1              1     1       d/a/" ]
}
