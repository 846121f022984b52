#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# inotifywait -r: the initial walk, '@' exclusions, new, moved-in, moved-out,
# renamed and deleted subdirectories, the race-free scan of new directories,
# and the regex filters under -r.
bats_require_minimum_version 1.5.0
load helpers
load inotifywait-lib

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	mkdir -p d/a/b outside
}

teardown() {
	stop_bg
}

# mark NAME: create d/NAME and wait until it is reported: every event
# caused before it has been printed by then.
mark() {
	touch "d/$1"
	wait_for 10 file_has out "$1"
}

@test "-r watches the existing tree" {
	iw_bg -t 10 -r -e create d
	touch d/a/b/f
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(cat out)" = "d/a/b/ CREATE f" ]
}

@test "-r announces that it may take a while" {
	run -1 --separate-stderr "$INOTIFYWAIT" -r -t -1 d
	[ "${stderr_lines[0]}" = "Setting up watches.  Beware: since -r was given, this may take a while!" ]
	[ "${stderr_lines[1]}" = "Watches established." ]
}

@test "-r does not follow symlinked subdirectories" {
	mkdir target
	ln -s ../target d/link
	iw_bg -m -r -e create d
	touch target/x
	mark m1
	stop_bg
	[ "$(cat out)" = "d/ CREATE m1" ]
}

@test "-r walks a symlinked directory given on the command line" {
	ln -s d dlink
	iw_bg -t 10 -r -e create dlink
	touch d/a/b/f
	iw_done
	[ "$(cat out)" = "dlink/a/b/ CREATE f" ]
}

@test "-r prints a symlinked top directory with a slash" {
	ln -s d dlink
	iw_bg -t 10 -r -e attrib dlink
	chmod 700 d
	iw_done
	[ "$(cat out)" = "dlink/ ATTRIB,ISDIR " ]
}

@test "-r on a file watches the file" {
	: >d/f
	iw_bg -t 10 -r -e attrib d/f
	chmod 600 d/f
	iw_done
	[ "$(cat out)" = "d/f ATTRIB " ]
}

@test "@ excludes a directory from the walk" {
	mkdir d/skip
	iw_bg -m -r -e create d @d/skip
	touch d/skip/x d/a/y
	mark m1
	stop_bg
	[ "$(cat out)" = $'d/a/ CREATE y\nd/ CREATE m1' ]
}

@test "@ with a trailing slash excludes too" {
	mkdir d/skip
	iw_bg -m -r -e create d @d/skip/
	touch d/skip/x
	mark m1
	stop_bg
	[ "$(cat out)" = "d/ CREATE m1" ]
}

@test "@ in --fromfile excludes" {
	mkdir d/skip
	printf 'd\n@d/skip\n' >list
	iw_bg -m -r -e create --fromfile list
	touch d/skip/x
	mark m1
	stop_bg
	[ "$(cat out)" = "d/ CREATE m1" ]
}

@test "a path both given and excluded is watched" {
	mkdir d/skip
	iw_bg -t 10 -r -e create d/skip @d/skip
	touch d/skip/x
	iw_done
	[ "$(cat out)" = "d/skip/ CREATE x" ]
}

@test "@ has no effect without -r" {
	iw_bg -t 10 -e create d @d
	touch d/x
	iw_done
	[ "$(cat out)" = "d/ CREATE x" ]
}

@test "-m -r watches a new directory and says so" {
	iw_bg -m -r -e create d
	mkdir d/n
	wait_for 5 file_has err 'Watching new directory d/n/'
	touch d/n/f
	wait_for 5 file_has out 'd/n/ CREATE f'
	stop_bg
	[ "$(cat out)" = $'d/ CREATE,ISDIR n\nd/n/ CREATE f' ]
	grep -qx 'Watching new directory d/n/' err
}

@test "-m -r -q does not announce new directories" {
	start_bg out err "$INOTIFYWAIT" -m -r -q -e create d
	wait_for 10 sh -c "grep -qs 'inotify wd' /proc/$BG_PID/fdinfo/*"
	mkdir d/n
	touch d/n/f
	wait_for 5 file_has out 'd/n/ CREATE f'
	stop_bg
	[ ! -s err ]
}

@test "-m -r reports what a new tree already holds (no race)" {
	iw_bg -m -r -e create --format '%w%f' d
	mkdir -p d/n1/n2/n3
	echo x >d/n1/n2/n3/f
	wait_for 5 file_has out '^d/n1/n2/n3/f$'
	mark m1
	stop_bg
	grep -qx 'd/n1' out
	grep -qx 'd/n1/n2' out
	grep -qx 'd/n1/n2/n3' out
	[ "$(grep -cx 'd/n1/n2/n3/f' out)" -eq 1 ]
	grep -qx 'Watching new directory d/n1/n2/n3/' err
}

@test "-m -r reports the data of files written into a new tree" {
	iw_bg -m -r -e close_write --format '%w%f %e' d
	mkdir -p d/n1/n2
	echo x >d/n1/n2/f
	wait_for 5 file_has out '^d/n1/n2/f CLOSE_WRITE,CLOSE$'
	mark m1
	stop_bg
	[ "$(cat out)" = $'d/n1/n2/f CLOSE_WRITE,CLOSE\nd/m1 CLOSE_WRITE,CLOSE' ]
}

@test "-m -r: a thousand nested directories each with a file, all reported" {
	iw_bg -m -r -e create --format '%w%f' d
	# perl: no fork per directory, so the tree grows as fast as it can.
	perl -e 'chdir "d" or die; for (1 .. 1000) {
		mkdir "n" or die; open(my $f, ">", "n/f") or die; close $f;
		chdir "n" or die }'
	last=d$(printf '/n%.0s' {1..1000})/f
	wait_for 30 file_has out "^$last\$"
	stop_bg
	sort -u out >uniq
	[ "$(grep -c '/f$' uniq)" -eq 1000 ]
	[ "$(grep -c '/n$' uniq)" -eq 1000 ]
	# ... and each exactly once.
	[ "$(wc -l <out)" -eq 2000 ]
}

@test "-m -r: a directory moved in is watched, without events for its contents" {
	mkdir -p outside/m/sub
	: >outside/m/sub/old
	iw_bg -m -r -e create,moved_to d
	mv outside/m d/
	wait_for 5 file_has out 'MOVED_TO,ISDIR m'
	wait_for 5 file_has err 'Watching new directory d/m/'
	touch d/m/sub/new
	wait_for 5 file_has out 'd/m/sub/ CREATE new'
	stop_bg
	[ "$(cat out)" = $'d/ MOVED_TO,ISDIR m\nd/m/sub/ CREATE new' ]
}

@test "-m -r: a directory moved out is no longer watched, nor its subtree" {
	iw_bg -m -r -e create,moved_from d
	mv d/a outside/
	wait_for 5 file_has out 'MOVED_FROM,ISDIR a'
	touch outside/a/x outside/a/b/y
	mark m1
	mark m2
	stop_bg
	[ "$(cat out)" = $'d/ MOVED_FROM,ISDIR a\nd/ CREATE m1\nd/ CREATE m2' ]
}

@test "-m -r: a directory moved out reports its own MOVE_SELF, then is forgotten" {
	cd d
	start_watching ../out ../err "$INOTIFYWAIT" -m -r -e moved_from,move_self,create .
	mv a ../outside/
	touch m1
	wait_for 10 file_has ../out m1
	touch ../outside/a/x
	mv ../outside/a/b ../outside/b
	touch m2
	wait_for 10 file_has ../out m2
	stop_bg
	[ "$(cat ../out)" = $'./ MOVED_FROM,ISDIR a\n./a/ MOVE_SELF \n./ CREATE m1\n./ CREATE m2' ]
}

@test "-m -r: a directory renamed inside the tree keeps its subtree, renamed" {
	iw_bg -m -r -e create d
	mv d/a d/c
	touch d/c/b/y d/c/x
	wait_for 5 file_has out 'd/c/ CREATE x'
	stop_bg
	[ "$(cat out)" = $'d/c/b/ CREATE y\nd/c/ CREATE x' ]
}

@test "-m -r: a deleted subdirectory, then one made again with the same name" {
	iw_bg -m -r -e create,delete d
	rm -r d/a
	wait_for 5 file_has out 'DELETE,ISDIR a'
	mkdir d/a
	touch d/a/z
	wait_for 5 file_has out 'd/a/ CREATE z'
	stop_bg
	[ "$(cat out)" = $'d/a/ DELETE,ISDIR b\nd/ DELETE,ISDIR a\nd/ CREATE,ISDIR a\nd/a/ CREATE z' ]
}

@test "-m -r: new directories are watched even if -e lacks create" {
	iw_bg -m -r -e attrib d
	mkdir d/n
	wait_for 5 file_has err 'Watching new directory d/n/'
	: >d/n/f
	chmod 600 d/n/f
	wait_for 5 file_has out 'd/n/ ATTRIB f'
	stop_bg
	[ "$(cat out)" = "d/n/ ATTRIB f" ]
}

@test "-r without -m does not track new directories" {
	iw_bg -t 10 -r -e create d
	mkdir d/n
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(cat out)" = "d/ CREATE,ISDIR n" ]
	! grep -q 'Watching new directory' err
}

@test "--exclude drops matching events" {
	iw_bg -m -e create --exclude '\.tmp$' d
	touch d/x.tmp d/y
	mark m1
	stop_bg
	[ "$(cat out)" = $'d/ CREATE y\nd/ CREATE m1' ]
}

@test "--exclude matches the whole %w%f string" {
	iw_bg -m -r -e create --exclude '^d/a/' d
	touch d/a/x d/ax
	mark m1
	stop_bg
	[ "$(cat out)" = $'d/ CREATE ax\nd/ CREATE m1' ]
}

@test "--excludei is case-insensitive" {
	iw_bg -m -e create --excludei 'SKIP' d
	touch d/skip1 d/keep
	mark m1
	stop_bg
	[ "$(cat out)" = $'d/ CREATE keep\nd/ CREATE m1' ]
}

@test "--include keeps only matching events" {
	iw_bg -m -e create --include '(txt|m1)$' d
	touch d/x.dat d/y.txt
	mark m1
	stop_bg
	[ "$(cat out)" = $'d/ CREATE y.txt\nd/ CREATE m1' ]
}

@test "--includei is case-insensitive" {
	iw_bg -m -e create --includei '(TXT|M1)$' d
	touch d/x.dat d/y.txt
	mark m1
	stop_bg
	[ "$(cat out)" = $'d/ CREATE y.txt\nd/ CREATE m1' ]
}

@test "--include hides every ISDIR event" {
	iw_bg -m -e create --include '.' d
	mkdir d/sub
	mark m1
	stop_bg
	[ "$(cat out)" = "d/ CREATE m1" ]
}

@test "-m -r --include: files in new directories are still reported" {
	iw_bg -m -r -e create --include '(txt|m1)$' d
	mkdir d/foo
	wait_for 5 file_has err 'Watching new directory d/foo/'
	touch d/foo/x.txt d/foo/y.dat
	mark m1
	stop_bg
	[ "$(cat out)" = $'d/foo/ CREATE x.txt\nd/ CREATE m1' ]
}

@test "-m -r --exclude: a new matching directory is still printed and watched" {
	iw_bg -m -r -e create --exclude 'foo' d
	mkdir d/foo
	wait_for 5 file_has err 'Watching new directory d/foo/'
	mark m1
	stop_bg
	[ "$(cat out)" = $'d/ CREATE,ISDIR foo\nd/ CREATE m1' ]
}

# "${limited[@]}" N CMD...: run CMD in a new user namespace whose inotify
# watch limit is N (the limit is per user namespace).  unshare and sh exec
# CMD, so that CMD keeps the pid that start_bg records.
limited=(unshare -U -r sh -c
    'echo "$0" >/proc/sys/user/max_inotify_watches && exec "$@"')

require_userns() {
	"${limited[@]}" 1 true 2>/dev/null || skip "cannot set a watch limit in a user namespace"
}

@test "the watch limit stops the setup with the two-line message" {
	require_userns
	run -1 --separate-stderr "${limited[@]}" 2 "$INOTIFYWAIT" -r d
	[ "${stderr_lines[1]}" = "Failed to watch d; upper limit on inotify watches reached!" ]
	[ "${stderr_lines[2]}" = "Please increase the amount of inotify watches allowed per user via \`/proc/sys/fs/inotify/max_user_watches'." ]
}

@test "-m -r: a new directory over the watch limit is reported and skipped" {
	require_userns
	rm -r d/a
	start_watching out err "${limited[@]}" 2 "$INOTIFYWAIT" -m -r -e create d
	[ "$(readlink "/proc/$BG_PID/exe")" = "$(readlink -f "$INOTIFYWAIT")" ]
	mkdir d/x
	wait_for 5 file_has err 'Watching new directory d/x/'
	mkdir d/y
	wait_for 5 file_has err "Couldn't watch new directory d/y/: No space left on device"
	mark m1
	stop_bg
	[ "$(cat out)" = $'d/ CREATE,ISDIR x\nd/ CREATE,ISDIR y\nd/ CREATE m1' ]
}
