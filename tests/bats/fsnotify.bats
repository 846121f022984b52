#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# fanotify mode of both tools: inode marks on files, links and directories,
# filesystem marks on fresh ext2 and ext4 images, recursion, counting.
bats_require_minimum_version 1.5.0
load helpers
load inotifywait-lib

setup() {
	require_fanotify
	cd "$BATS_TEST_TMPDIR" || return 1
	mkdir d
	MNT=
}

teardown() {
	stop_bg
	if [ -n "${MNT:-}" ] && mountpoint -q "$MNT"; then
		umount "$MNT"
	fi
}

# mount_image FSTYPE: a fresh 10 MB FSTYPE filesystem mounted on mnt.
mount_image() {
	truncate -s 10M img
	"mkfs.$1" -q -F img >/dev/null
	mkdir mnt
	mount -o loop img mnt
	MNT=$PWD/mnt
}

# line_in FILE REGEX: FILE has a line matching the extended REGEX.
line_in() {
	grep -Eq -- "$2" "$1" 2>/dev/null
}

@test "fsnotifywait -F: chown of a watched file is ATTRIB in its directory" {
	touch f
	start_watching out err "$FSNOTIFYWAIT" --fanotify -e attrib -t 10 f
	chown 0 f
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(cat out)" = "$PWD/ ATTRIB f" ]
}

@test "fsnotifywatch -F: chown of a watched file is counted under its path" {
	touch f
	start_watching out err "$FSNOTIFYWATCH" --fanotify -e attrib -t 3 f
	chown 0 f
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(sed -n 2p out)" = "1      1       $PWD/f" ]
}

@test "fsnotifywait --no-dereference: touch -h of a watched link is ATTRIB" {
	touch f
	ln -s f l
	start_watching out err "$FSNOTIFYWAIT" --fanotify --no-dereference \
	    -t 10 l
	touch -h l
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(cat out)" = "$PWD/ ATTRIB l" ]
}

@test "fsnotifywait -F without --no-dereference watches the link's target" {
	touch f
	ln -s f l
	start_watching out err "$FSNOTIFYWAIT" --fanotify -e attrib -t 10 l
	touch -h l
	chmod 600 f
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(cat out)" = "$PWD/ ATTRIB f" ]
}

@test "fsnotifywait -S on a fresh ext2 image: CREATE four levels down" {
	mount_image ext2
	mkdir -p mnt/A/B/C/D
	start_watching out err "$FSNOTIFYWAIT" --filesystem -e create -t 10 mnt
	touch mnt/A/B/C/D/test
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(head -1 err)" = "Setting up filesystem watches." ]
	[ "$(cat out)" = "$MNT/A/B/C/D/ CREATE test" ]
}

@test "fsnotifywait -S on a fresh ext4 image: CREATE four levels down" {
	mount_image ext4
	mkdir -p mnt/A/B/C/D
	start_watching out err "$FSNOTIFYWAIT" -S -e create -t 10 mnt
	touch mnt/A/B/C/D/test
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(cat out)" = "$MNT/A/B/C/D/ CREATE test" ]
}

@test "fsnotifywatch -S on a fresh ext4 image counts under the entry's path" {
	mount_image ext4
	mkdir -p mnt/A/B
	start_watching out err "$FSNOTIFYWATCH" -S -e create -t 3 mnt
	touch mnt/A/B/test
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(sed -n 2p out)" = "1      1       $MNT/A/B/test" ]
}

@test "-S marks the whole filesystem: an event beside the watched path" {
	mount_image ext4
	mkdir mnt/watched mnt/other
	start_watching out err "$INOTIFYWAIT" -S -e create -t 10 mnt/watched
	touch mnt/other/x
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(cat out)" = "$MNT/other/ CREATE x" ]
}

@test "-S with several paths names the first when a mark fails" {
	run -1 --separate-stderr "$FSNOTIFYWAIT" -S -t 1 d nosuch
	[ "$stderr" = $'Setting up filesystem watches.\nCouldn'"'"'t add filesystem watch d: No such file or directory' ]
}

@test "fsnotifywait -m -F: a subdirectory's own events name it" {
	mkdir d/sub
	start_watching out err "$FSNOTIFYWAIT" -m --fanotify -t 10 d
	ls d/sub >/dev/null
	touch d/end
	wait_for 10 line_in out "CLOSE_WRITE,([A-Z_]+,)*CLOSE end\$"
	stop_bg
	line_in out "^$PWD/d/sub/ ([A-Z_]+,)*OPEN,([A-Z_]+,)*ISDIR \$"
	line_in out "^$PWD/d/sub/ ([A-Z_]+,)*CLOSE_NOWRITE,([A-Z_]+,)*ISDIR \$"
	! grep -q '(deleted)\|\[fid=' out
}

@test "fsnotifywait -m -F: the directory's own events have no name" {
	start_watching out err "$FSNOTIFYWAIT" -m --fanotify -t 10 d
	chmod 700 d
	touch d/end
	wait_for 10 line_in out "CLOSE_WRITE,([A-Z_]+,)*CLOSE end\$"
	stop_bg
	[ "$(head -1 out)" = "$PWD/d/ ATTRIB,ISDIR " ]
}

@test "fsnotifywatch -F counts a subdirectory's own events and each entry" {
	mkdir d/sub
	start_watching out err "$FSNOTIFYWATCH" --fanotify -e open,create -t 3 d
	ls d/sub >/dev/null
	touch d/a
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	grep -qx "1      1     0       $PWD/d/sub/" out
	grep -qx "2      1     1       $PWD/d/a" out
}

@test "fsnotifywait -m -r -F watches a new directory and what happens in it" {
	mkdir -p d/a
	start_watching out err "$FSNOTIFYWAIT" -m -r -F -e create -t 10 d
	mkdir d/a/n
	wait_for 10 file_has err "Watching new directory $PWD/d/a/n/"
	touch d/a/n/g
	wait_for 10 file_has out "CREATE g"
	stop_bg
	[ "$(cat out)" = "$PWD/d/a/ CREATE,ISDIR n
$PWD/d/a/n/ CREATE g" ]
}

@test "fsnotifywait -r -F marks the directories below" {
	mkdir -p d/a/b
	start_watching out err "$FSNOTIFYWAIT" -r -F -e create -t 10 d
	touch d/a/b/f
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(cat out)" = "$PWD/d/a/b/ CREATE f" ]
}

@test "fsnotifywait and -F use fanotify: %w is the absolute directory" {
	for cmd in "$FSNOTIFYWAIT" "$INOTIFYWAIT -F"; do
		rm -f d/x
		# shellcheck disable=SC2086
		start_watching out err $cmd -t 10 -e create d
		touch d/x
		iw_done
		[ "$BG_STATUS" -eq 0 ]
		[ "$(cat out)" = "$PWD/d/ CREATE x" ]
	done
}

@test "-I under the fsnotifywait name prints the path as given" {
	start_watching out err "$FSNOTIFYWAIT" -I -t 10 -e create d
	touch d/x
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(cat out)" = "d/ CREATE x" ]
}
