#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# inotifywatch: counting is exact.  100,000 create+write+close+delete
# operations over a watched tree, in bursts that stay below the kernel's
# queue size: after each burst, SIGUSR1 makes inotifywatch read what is
# queued and print the table, so the next burst starts on an empty queue
# and no event can be lost to an overflow.
bats_require_minimum_version 1.5.0
load helpers
load inotifywatch-lib

# On a disk filesystem each operation can take a millisecond of journal
# work: count on a private tmpfs when we may mount one.
setup() {
	iw_setup
	mkdir fs
	if mount -t tmpfs iwcount fs 2>/dev/null; then
		cd fs || return 1
	fi
}

teardown() {
	iw_teardown
	cd "$BATS_TEST_TMPDIR" && if mountpoint -q fs; then umount fs; fi
}

# churn N DIR: N create+write+close+delete operations in DIR.
churn() {
	"$top_builddir/tests/prog/iwchurn" "$@"
}

@test "100,000 create+write+close+delete operations are counted exactly" {
	local burst
	(( $(cat /proc/sys/fs/inotify/max_queued_events) >= 12500 )) ||
	    skip "max_queued_events is below one burst"
	mkdir -p t/a t/b/c
	iw_start w -r t
	for burst in $(seq 40); do
		churn 1000 t/b/c
		churn 800 t/b
		churn 500 t/a
		churn 200 t
		kill -USR1 "${IW_PIDS[w]}"
		wait_for 20 eval '(( $(grep -c "^$" w.out) >= burst ))'
	done
	iw_stop w
	[ "$IW_STATUS" -eq 0 ]
	{
		echo "total  modify  close_write  open  create  delete  filename"
		for row in 40000:t/b/c/ 32000:t/b/ 20000:t/a/ 8000:t/; do
			n=${row%%:*}
			printf '%-5u  %-6u  %-11u  %-4u  %-6u  %-6u  %s\n' \
			    $((n * 5)) "$n" "$n" "$n" "$n" "$n" "${row#*:}"
		done
	} >want
	tail -n 5 w.out | diff -u want -
	# The widest total (200000) pushed its row right, as upstream does.
	grep -q '^200000  40000   40000        40000  40000   40000   t/b/c/$' w.out
}
