#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# inotifywait: every event type, the default output line, exit
# codes of single-event mode, symlinks and -P.
bats_require_minimum_version 1.5.0
load helpers
load inotifywait-lib

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	mkdir d
	echo data >d/f
}

teardown() {
	stop_bg
	if [ -n "${MNT:-}" ]; then
		umount "$MNT" 2>/dev/null || true
	fi
}

# expect_one EVENTS ACTION...: wait for one event with -e EVENTS on d while
# ACTION runs; the exit status must be 0.  Leaves the output in out.
expect_one() {
	local ev=$1
	shift
	iw_bg -t 10 -e "$ev" d
	"$@"
	iw_done
	[ "$BG_STATUS" -eq 0 ]
}

# iw_bg_quiet ARGS...: like iw_bg for -q/-qq runs, which say nothing: wait
# until the inotify fd of the process has a watch (its fdinfo lists it).
iw_bg_quiet() {
	start_bg out err "$INOTIFYWAIT" "$@"
	wait_for 10 has_watch "$BG_PID"
}

has_watch() {
	grep -qs 'inotify wd' /proc/"$1"/fdinfo/*
}

# overflow: write to two files alternately, more often than the kernel
# queues events, while the watcher is stopped.
overflow() {
	local max
	max=$(cat /proc/sys/fs/inotify/max_queued_events)
	stop_process "$BG_PID"
	# A child bash: bats' per-command traps would make the loop slow.
	bash -c 'for ((i = 0; i <= $1; i++)); do : >d/a; : >d/b; done' \
	    - $((max / 2 + 1))
	kill -CONT "$BG_PID"
}

# stop_when LINE: wait until out has LINE, then stop the watcher.
stop_when() {
	wait_for 5 file_has out "$1"
	stop_bg
}

@test "access" {
	expect_one access cat d/f
	[ "$(cat out)" = "d/ ACCESS f" ]
}

@test "modify" {
	expect_one modify sh -c 'echo more >>d/f'
	[ "$(cat out)" = "d/ MODIFY f" ]
}

@test "attrib" {
	expect_one attrib chmod 600 d/f
	[ "$(cat out)" = "d/ ATTRIB f" ]
}

@test "close_write prints CLOSE too" {
	expect_one close_write sh -c 'echo more >>d/f'
	[ "$(cat out)" = "d/ CLOSE_WRITE,CLOSE f" ]
}

@test "close_nowrite prints CLOSE too" {
	expect_one close_nowrite cat d/f
	[ "$(cat out)" = "d/ CLOSE_NOWRITE,CLOSE f" ]
}

@test "close listens for both close events" {
	expect_one close cat d/f
	[ "$(cat out)" = "d/ CLOSE_NOWRITE,CLOSE f" ]
}

@test "open" {
	expect_one open cat d/f
	[ "$(cat out)" = "d/ OPEN f" ]
}

@test "moved_from" {
	expect_one moved_from mv d/f d/g
	[ "$(cat out)" = "d/ MOVED_FROM f" ]
}

@test "moved_to" {
	expect_one moved_to mv d/f d/g
	[ "$(cat out)" = "d/ MOVED_TO g" ]
}

@test "move listens for both halves" {
	iw_bg -m -t 10 -e move d
	mv d/f d/g
	stop_when 'MOVED_TO'
	[ "$(cat out)" = $'d/ MOVED_FROM f\nd/ MOVED_TO g' ]
}

@test "create" {
	expect_one create touch d/new
	[ "$(cat out)" = "d/ CREATE new" ]
}

@test "create of a directory has ISDIR" {
	expect_one create mkdir d/sub
	[ "$(cat out)" = "d/ CREATE,ISDIR sub" ]
}

@test "delete" {
	expect_one delete rm d/f
	[ "$(cat out)" = "d/ DELETE f" ]
}

@test "delete_self of a watched directory has no ISDIR" {
	rm d/f
	expect_one delete_self rmdir d
	[ "$(cat out)" = "d/ DELETE_SELF " ]
}

@test "move_self of a watched file" {
	iw_bg -t 10 -e move_self d/f
	mv d/f d/g
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(cat out)" = "d/f MOVE_SELF " ]
}

@test "unmount is printed only when asked for" {
	MNT=$BATS_TEST_TMPDIR/mnt
	mkdir "$MNT"
	mount -t tmpfs none "$MNT" 2>/dev/null || { MNT=; skip "cannot mount tmpfs"; }
	iw_bg -m -t 10 -e unmount mnt
	umount "$MNT"
	MNT=
	stop_when UNMOUNT
	[ "$(cat out)" = "mnt/ UNMOUNT,ISDIR " ]
}

@test "ignored is printed when asked for" {
	iw_bg -m -t 10 -e ignored d/f
	rm d/f
	stop_when IGNORED
	[ "$(cat out)" = "d/f IGNORED " ]
}

@test "isdir alone watches nothing useful" {
	run -2 --separate-stderr "$INOTIFYWAIT" -q -t 1 -e isdir d
	[ -z "$output" ]
}

@test "oneshot reports a single event even with -m" {
	iw_bg -m -t 2 -e oneshot,attrib d/f
	chmod 600 d/f
	wait_for 5 file_has out ATTRIB
	chmod 644 d/f
	iw_done
	[ "$BG_STATUS" -eq 2 ]
	[ "$(cat out)" = "d/f ATTRIB " ]
}

@test "all_events is every event" {
	expect_one all_events chmod 600 d/f
	[ "$(cat out)" = "d/ ATTRIB f" ]
}

@test "-e given twice adds up" {
	iw_bg -m -t 10 -e attrib -e delete d
	chmod 600 d/f
	rm d/f
	stop_when DELETE
	[ "$(cat out)" = $'d/ ATTRIB f\nd/ DELETE f' ]
}

@test "default events: a write is OPEN, MODIFY, CLOSE_WRITE,CLOSE" {
	iw_bg -m -t 10 d
	# Append: a truncation would add a MODIFY that the kernel may or may
	# not merge with the write's.
	echo x >>d/f
	stop_when CLOSE_WRITE
	[ "$(cat out)" = $'d/ OPEN f\nd/ MODIFY f\nd/ CLOSE_WRITE,CLOSE f' ]
}

@test "default output keeps a trailing space for a watched file" {
	iw_bg -t 10 d/f
	chmod 600 d/f
	iw_done
	[ "$(cat out)" = "d/f ATTRIB " ]
}

@test "an event on the watched directory itself" {
	iw_bg -t 10 d
	ls d >/dev/null
	iw_done
	[ "$(cat out)" = "d/ OPEN,ISDIR " ]
}

@test "a directory given with a trailing slash is printed as given" {
	iw_bg -t 10 d//
	chmod 600 d/f
	iw_done
	[ "$(cat out)" = "d// ATTRIB f" ]
}

@test "a symlink to a directory is printed without a slash" {
	ln -s d dlink
	iw_bg -t 10 dlink
	chmod 600 d/f
	iw_done
	[ "$(cat out)" = "dlink ATTRIB f" ]
}

@test "the same directory twice keeps the first name" {
	ln -s d dlink
	iw_bg -t 10 d dlink
	chmod 600 d/f
	iw_done
	[ "$(cat out)" = "d/ ATTRIB f" ]
}

@test "-P watches the link: touching the target times out" {
	ln -s f d/link
	iw_bg -t 1 -P d/link
	touch d/f
	iw_done
	[ "$BG_STATUS" -eq 2 ]
	[ ! -s out ]
}

@test "-P watches the link: touch -h reports it" {
	ln -s f d/link
	iw_bg -t 10 -P -e attrib d/link
	touch -h d/link
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(cat out)" = "d/link ATTRIB " ]
}

@test "without -P a symlink is followed" {
	ln -s f d/link
	iw_bg -t 10 -e attrib d/link
	chmod 600 d/f
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(cat out)" = "d/link ATTRIB " ]
}

@test "single mode: an event not asked for (IGNORED) exits 1 silently" {
	iw_bg -t 10 -e modify d/f
	rm d/f
	iw_done
	[ "$BG_STATUS" -eq 1 ]
	[ ! -s out ]
}

@test "single mode: a deleted watched file gives ATTRIB and 0" {
	iw_bg -t 10 d/f
	rm d/f
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(cat out)" = "d/f ATTRIB " ]
}

@test "monitor: a deleted watched file leaves it running until -t" {
	iw_bg -m -t 1 d/f
	rm d/f
	iw_done
	[ "$BG_STATUS" -eq 2 ]
	[ "$(cat out)" = $'d/f ATTRIB \nd/f DELETE_SELF ' ]
}

@test "monitor: a deleted watched directory keeps running" {
	rm d/f
	iw_bg -m -t 1 -e delete_self d
	rmdir d
	iw_done
	[ "$BG_STATUS" -eq 2 ]
	[ "$(cat out)" = "d/ DELETE_SELF " ]
}

@test "a timeout with no event exits 2" {
	run -2 --separate-stderr "$INOTIFYWAIT" -t 1 d
	[ -z "$output" ]
	[ "$stderr" = $'Setting up watches.\nWatches established.' ]
}

# lines_at_least FILE N: FILE has N lines or more (for wait_for).
lines_at_least() {
	[ "$(wc -l < "$1")" -ge "$2" ]
}

@test "-m -t is an idle timeout restarted by every event" {
	local n=0 start
	iw_bg -m -t 2 -e attrib d
	start=$SECONDS
	# Events, each waited for on the output, until twice the timeout has
	# gone by: only a timer restarted by every event keeps it running.
	while [ $((SECONDS - start)) -le 4 ]; do
		chmod "$((n % 2 ? 600 : 644))" d/f
		n=$((n + 1))
		wait_for 10 lines_at_least out "$n"
		kill -0 "$BG_PID"
	done
	iw_done
	[ "$BG_STATUS" -eq 2 ]
	[ "$(sort -u out)" = "d/ ATTRIB f" ]
}

@test "the timeout also ends a single wait" {
	run -2 --separate-stderr "$INOTIFYWAIT" -q -t 1 d
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "-qq prints no events" {
	iw_bg_quiet -m -t 1 -qq d
	touch d/x
	iw_done
	[ "$BG_STATUS" -eq 2 ]
	[ ! -s out ]
	[ ! -s err ]
}

@test "events of several watches are interleaved in order" {
	mkdir e
	iw_bg -m -t 10 -e create d e
	touch d/1 e/2 d/3
	stop_when 'd/ CREATE 3'
	[ "$(cat out)" = $'d/ CREATE 1\ne/ CREATE 2\nd/ CREATE 3' ]
}

@test "a killed monitor has flushed every event it reported" {
	iw_bg -m -e create d
	for i in $(seq 200); do : >"d/n$i"; done
	wait_for 5 file_has out 'd/ CREATE n200$'
	stop_bg KILL
	[ "$(wc -l <out)" -eq 200 ]
}

@test "queue overflow: a warning on stderr and Q_OVERFLOW when asked" {
	max=$(cat /proc/sys/fs/inotify/max_queued_events)
	[ "$max" -le 200000 ] || skip "max_queued_events too large to overflow quickly"
	iw_bg -m -e q_overflow,close_write d
	overflow
	wait_for 10 file_has err 'event queue overflowed'
	wait_for 5 file_has out '^ Q_OVERFLOW $'
	grep -qx 'inotifywait: event queue overflowed; events were lost' err
}

@test "queue overflow in CSV: the empty watched path is left out" {
	max=$(cat /proc/sys/fs/inotify/max_queued_events)
	[ "$max" -le 200000 ] || skip "max_queued_events too large to overflow quickly"
	iw_bg -m -c -e q_overflow,close_write d
	overflow
	wait_for 10 file_has out '^Q_OVERFLOW,$'
}

@test "queue overflow: the warning even when Q_OVERFLOW is not printed" {
	max=$(cat /proc/sys/fs/inotify/max_queued_events)
	[ "$max" -le 200000 ] || skip "max_queued_events too large to overflow quickly"
	iw_bg_quiet -m -q -e close_write d
	overflow
	wait_for 10 file_has err 'event queue overflowed'
	stop_bg
	! grep -q Q_OVERFLOW out
}

@test "queue overflow warning is silenced by -qq" {
	max=$(cat /proc/sys/fs/inotify/max_queued_events)
	[ "$max" -le 200000 ] || skip "max_queued_events too large to overflow quickly"
	iw_bg_quiet -m -qq -t 1 -e close_write d
	overflow
	iw_done
	[ "$BG_STATUS" -eq 2 ]
	[ ! -s err ]
	[ ! -s out ]
}

@test "a non-blocking stdout that fills up loses no event" {
	# perl: the pipe's write end is non-blocking and not read until the
	# 3000 events (about 70 KB, more than a pipe holds) have happened.
	run -0 --separate-stderr perl -MFcntl -e '
		pipe(my $r, my $w) or die;
		fcntl($w, F_SETFL, fcntl($w, F_GETFL, 0) | O_NONBLOCK) or die;
		my $pid = fork // die;
		if ($pid == 0) {
			open(STDOUT, ">&", $w) or die;
			open(STDERR, ">", "err") or die;
			exec @ARGV or die;
		}
		close $w;
		for (1 .. 500) {
			last if -s "err" && `cat err` =~ /established/;
			select(undef, undef, undef, 0.02);
		}
		for my $i (1 .. 3000) {
			open(my $f, ">", "d/" . ($i % 2)) or die;
			close $f;
		}
		my $n = 0;
		$n++ while <$r>;
		waitpid($pid, 0);
		print "$n ", $? >> 8, "\n";
	' "$INOTIFYWAIT" -m -t 2 -e close_write d
	[ "$output" = "3000 2" ]
}

@test "a pipe on stdout is enlarged (up to 1 MiB) so that a slow reader holds up fewer events" {
	local want max
	max=$(cat /proc/sys/fs/pipe-max-size)
	want=$(( max < 1048576 ? max : 1048576 ))
	mkfifo p
	start_bg p err "$INOTIFYWAIT" -m d
	exec 7<p
	wait_for 10 file_has err 'Watches established'
	# F_GETPIPE_SZ (1032) on the read end: the pipe is one object.
	run -0 perl -e 'open(my $f, "<&=", 7) or die; print fcntl($f, 1032, 0) + 0'
	stop_bg
	exec 7<&-
	[ "$output" -ge "$want" ]
}
