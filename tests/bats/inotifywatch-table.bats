#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# inotifywatch: the statistics table : header, columns, widths,
# rows, -z, recursion.
bats_require_minimum_version 1.5.0
load helpers
load inotifywatch-lib

setup() {
	iw_setup
}

teardown() {
	iw_teardown
	if mountpoint -q m 2>/dev/null; then umount m; fi
}

@test "one column: -e create counts only creations" {
	mkdir d
	iw_start w -e create d
	touch d/a d/b
	iw_stop w
	[ "$IW_STATUS" -eq 0 ]
	iw_expect w.out <<'OUT'
total  create  filename
2      2       d/
OUT
}

@test "several columns: only events that occurred get a column" {
	mkdir d
	iw_start w d
	touch d/f
	iw_stop w
	[ "$IW_STATUS" -eq 0 ]
	iw_expect w.out <<'OUT'
total  attrib  close_write  open  create  filename
4      1       1            1     1       d/
OUT
}

@test "all event columns, in the fixed order and widths" {
	mkdir d e
	echo x >d/r
	iw_start w d e
	touch d/f
	printf x >>d/f
	dd if=d/r of=/dev/null bs=1 count=1 status=none
	mv d/f d/g
	rm d/g
	mv e e2
	rmdir e2
	iw_stop w
	[ "$IW_STATUS" -eq 0 ]
	iw_expect w.out <<'OUT'
total  access  modify  attrib  close_write  close_nowrite  open  moved_from  moved_to  move_self  create  delete  delete_self  filename
13     1       1       1       2            1              3     1           1         0          1       1       0            d/
3      0       0       0       0            0              0     0           0         1          0       0       1            e/
OUT
}

@test "unmount gets a column only when asked for with -e unmount" {
	mkdir m
	mount -t tmpfs iwtest m || skip "cannot mount a tmpfs here"
	iw_start w -e unmount,create m
	touch m/f
	umount m
	iw_stop w
	[ "$IW_STATUS" -eq 0 ]
	iw_expect w.out <<'OUT'
total  create  unmount  filename
3      1       1        m/
OUT
}

@test "-z prints all-zero rows and every column of the mask" {
	mkdir d e
	iw_start w -z d e
	touch d/f
	iw_stop w
	[ "$IW_STATUS" -eq 0 ]
	iw_expect w.out <<'OUT'
total  access  modify  attrib  close_write  close_nowrite  open  moved_from  moved_to  move_self  create  delete  delete_self  filename
4      0       0       1       1            0              1     0           0         0          1       0       0            d/
0      0       0       0       0            0              0     0           0         0          0       0       0            e/
OUT
}

@test "-z with -e limits the columns to the mask" {
	mkdir d
	iw_start w -z -e modify,delete d
	printf x >>d/f
	iw_stop w
	iw_expect w.out <<'OUT'
total  modify  delete  filename
1      1       0       d/
OUT
}

@test "no event at all: 'No events occurred.' on stderr, nothing on stdout" {
	mkdir d
	iw_start w d
	iw_stop w
	[ "$IW_STATUS" -eq 0 ]
	[ ! -s w.out ]
	[ "$(tail -n 1 w.err)" = "No events occurred." ]
}

@test "-z with no event still prints no table" {
	mkdir d
	iw_start w -z d
	iw_stop w
	[ "$IW_STATUS" -eq 0 ]
	[ ! -s w.out ]
	[ "$(tail -n 1 w.err)" = "No events occurred." ]
}

@test "rows without events are left out" {
	mkdir d e
	iw_start w d e
	touch e/f
	iw_stop w
	iw_expect w.out <<'OUT'
total  attrib  close_write  open  create  filename
4      1       1            1     1       e/
OUT
}

@test "a deleted watched file keeps its row; total counts IGNORED" {
	mkdir d
	touch d/f
	iw_start w d/f
	rm d/f
	iw_stop w
	iw_expect w.out <<'OUT'
total  attrib  delete_self  filename
3      1       1            d/f
OUT
}

@test "a tree with files in nested directories (-r)" {
	mkdir -p t/a/b
	iw_start w -r t
	touch t/a/b/f1 t/a/b/f2 t/a/f t/f
	iw_stop w
	[ "$IW_STATUS" -eq 0 ]
	# Ties by ascending wd; the walk watches children before parents.
	iw_expect w.out <<'OUT'
total  attrib  close_write  open  create  filename
8      2       2            2     2       t/a/b/
4      1       1            1     1       t/a/
4      1       1            1     1       t/
OUT
}

@test "-r -z lists every directory, children before parents on ties" {
	mkdir -p s/a/x
	iw_start w -r -z -e modify s
	printf x >>s/a/x/f
	iw_stop w
	iw_expect w.out <<'OUT'
total  modify  filename
1      1       s/a/x/
0      0       s/a/
0      0       s/
OUT
}

@test "-r watches a directory created during the run" {
	mkdir t
	iw_start w -r -e create t
	mkdir t/new
	wait_for 10 iw_has_watches w 2
	touch t/new/f
	iw_stop w
	iw_expect w.out <<'OUT'
total  create  filename
1      1       t/
1      1       t/new/
OUT
}

@test "-r with a restrictive -e still follows new dirs and counts only -e" {
	mkdir t
	iw_start w -r -e close_write t
	mkdir t/new
	wait_for 10 iw_has_watches w 2
	touch t/new/f
	iw_stop w
	iw_expect w.out <<'OUT'
total  close_write  filename
1      1            t/new/
OUT
}

@test "-r: a deleted subdirectory keeps its row" {
	mkdir -p t/sub
	iw_start w -r -e create,delete,delete_self t
	touch t/sub/f
	rm -r t/sub
	iw_stop w
	iw_expect w.out <<'OUT'
total  create  delete  delete_self  filename
4      1       1       1            t/sub/
1      0       1       0            t/
OUT
}

@test "-r: a directory moved out of the tree is no longer counted" {
	mkdir -p t/sub/x out
	iw_start w -r t
	mv t/sub out/
	wait_for 10 eval '(( $(iw_watches "${IW_PIDS[w]}") == 1 ))'
	touch out/sub/x/f out/sub/g
	iw_stop w
	iw_expect w.out <<'OUT'
total  moved_from  filename
1      1           t/
OUT
}

@test "-r: a directory renamed inside the tree keeps counting" {
	mkdir -p t/a/x
	iw_start w -r -e create,moved_from,moved_to t
	mv t/a t/b
	touch t/b/x/f
	iw_stop w
	iw_expect w.out <<'OUT'
total  moved_from  moved_to  create  filename
2      1           1         0       t/
1      0           0         1       t/b/x/
OUT
}

@test "-r: a new directory that cannot be watched is reported, counting goes on" {
	# A user namespace of our own, with room for one watch only.
	unshare -Ur true 2>/dev/null || skip "no user namespaces here"
	mkdir t
	unshare -Ur sh -c 'echo 1 >/proc/sys/user/max_inotify_watches &&
	    exec "$0" -r -e create t' "$INOTIFYWATCH" >w.out 2>w.err &
	IW_PIDS[w]=$!
	wait_for 10 file_has w.err 'now collecting statistics'
	mkdir t/a
	wait_for 10 file_has w.err 'new directory'
	touch t/f
	iw_stop w
	[ "$IW_STATUS" -eq 0 ]
	[ "$(sed -n 3p w.err)" = "Couldn't watch new directory t/a/: No space left on device" ]
	iw_expect w.out <<'OUT'
total  create  filename
2      2       t/
OUT
}

@test "SIGUSR1 prints the table and an empty line, and counting goes on" {
	mkdir d
	iw_start w -e create d
	touch d/a
	kill -USR1 "${IW_PIDS[w]}"
	wait_for 10 file_has w.out '^$'
	touch d/b
	iw_stop w
	iw_expect w.out <<'OUT'
total  create  filename
1      1       d/

total  create  filename
2      2       d/
OUT
}

@test "SIGUSR1 with no events yet: message on stderr, empty line on stdout" {
	mkdir d
	iw_start w d
	kill -USR1 "${IW_PIDS[w]}"
	wait_for 10 file_has w.err 'No events occurred'
	wait_for 10 test -s w.out
	touch d/a
	iw_stop w
	[ "$(head -n 1 w.out)" = "" ]
	[ "$(sed -n 2p w.out)" = "total  attrib  close_write  open  create  filename" ]
}
