#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# inotifywait: -o, -d, -s, the backends (-I, -F,
# fsnotifywait) and a differential check against Debian's inotifywait.
bats_require_minimum_version 1.5.0
load helpers
load inotifywait-lib

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	mkdir d
	DAEMON_PID=
}

teardown() {
	stop_bg
	if [ -n "${SYSLOG_PID:-}" ]; then
		kill "$SYSLOG_PID" 2>/dev/null || true
		wait "$SYSLOG_PID" 2>/dev/null || true
	fi
	if [ -n "$DAEMON_PID" ]; then
		kill "$DAEMON_PID" 2>/dev/null || true
	fi
	if [ -n "${OTHER_PID:-}" ]; then
		kill "$OTHER_PID" 2>/dev/null || true
		wait "$OTHER_PID" 2>/dev/null || true
	fi
}

# find_daemon LOG: set DAEMON_PID to the process whose stdout is LOG
# (an absolute path unique to this test).
find_daemon() {
	local fd
	for fd in /proc/[0-9]*/fd/1; do
		if [ "$(readlink "$fd" 2>/dev/null)" = "$1" ]; then
			DAEMON_PID=${fd#/proc/}
			DAEMON_PID=${DAEMON_PID%%/*}
			return 0
		fi
	done
	return 1
}

# probe_seen FILE: touch d/probe until FILE reports it (the daemon's
# watches are up by then).
probe_seen() {
	touch d/probe
	grep -q probe "$1" 2>/dev/null
}

@test "-o writes events to a new file, mode 0600, stdout stays empty" {
	iw_bg -t 10 -e create -o log d
	touch d/x
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(cat log)" = "d/ CREATE x" ]
	[ ! -s out ]
	[ "$(stat -c %a log)" = 600 ]
}

@test "-o appends to an existing file" {
	echo before >log
	iw_bg -t 10 -e create -o log d
	touch d/x
	iw_done
	[ "$(cat log)" = $'before\nd/ CREATE x' ]
}

@test "-o in a missing directory fails" {
	run -1 --separate-stderr "$INOTIFYWAIT" -o nodir/log d
	[ "$stderr" = "Failed to open output file nodir/log" ]
}

@test "-d with a missing outfile directory fails before forking" {
	run -1 --separate-stderr "$INOTIFYWAIT" -t 30 -d -o nodir/log d
	[ "$stderr" = "No such file or directory: nodir/log" ]
}

@test "-d returns at once and logs events to the outfile" {
	run -0 --separate-stderr "$INOTIFYWAIT" -t 30 -d -o "$PWD/log" -e create,attrib "$PWD/d"
	[ -z "$output" ]
	[ -z "$stderr" ]
	wait_for 10 find_daemon "$PWD/log"
	wait_for 10 probe_seen log
	touch d/x
	wait_for 5 file_has log "$PWD/d/ CREATE x"
}

@test "-d creates a missing outfile with mode 0600" {
	run -0 "$INOTIFYWAIT" -t 30 -d -o "$PWD/newlog" -e create "$PWD/d"
	wait_for 10 find_daemon "$PWD/newlog"
	[ "$(stat -c %a newlog)" = 600 ]
}

@test "-d with relative paths works and prints them as given" {
	run -0 "$INOTIFYWAIT" -t 30 -d -o log -e create,attrib d
	wait_for 10 find_daemon "$PWD/log"
	wait_for 10 probe_seen log
	touch d/x
	wait_for 5 file_has log "^d/ CREATE x$"
}

@test "-d with absolute paths leaves the working directory" {
	run -0 "$INOTIFYWAIT" -t 30 -d -o "$PWD/log" -e create "$PWD/d"
	wait_for 10 find_daemon "$PWD/log"
	[ "$(readlink "/proc/$DAEMON_PID/cwd")" = / ]
}

@test "-d is a monitor: it keeps logging" {
	run -0 "$INOTIFYWAIT" -t 30 -d -o "$PWD/log" -e create,attrib "$PWD/d"
	wait_for 10 find_daemon "$PWD/log"
	wait_for 10 probe_seen log
	touch d/x d/y
	wait_for 5 file_has log "CREATE y"
	kill -0 "$DAEMON_PID"
}

@test "-d detaches: stdin, stderr are /dev/null, new session" {
	run -0 "$INOTIFYWAIT" -t 30 -d -o "$PWD/log" "$PWD/d"
	wait_for 10 find_daemon "$PWD/log"
	[ "$(readlink "/proc/$DAEMON_PID/fd/0")" = /dev/null ]
	[ "$(readlink "/proc/$DAEMON_PID/fd/2")" = /dev/null ]
	sid=$(awk '{print $6}' "/proc/$DAEMON_PID/stat")
	[ "$sid" = "$DAEMON_PID" ]
}

# syslog_start: a syslog socket for in_syslog_ns: dev2/ holds null and
# log, a datagram socket that a perl listener appends to ./syslog (one
# message a line).  Needs root (mknod, a mount namespace).
syslog_start() {
	[ "$(id -u)" = 0 ] || skip "a private /dev/log needs root"
	mkdir dev2
	mknod dev2/null c 1 3 && chmod 666 dev2/null
	perl -MIO::Socket::UNIX -MSocket -e '
		my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM,
		    Local => $ARGV[0]) or die "bind: $!";
		open(my $o, ">>", $ARGV[1]) or die;
		$o->autoflush(1);
		while (defined $s->recv(my $m, 65536)) { print $o "$m\n" }
	' dev2/log syslog &
	SYSLOG_PID=$!
	wait_for 10 test -S dev2/log
	unshare -m true 2>/dev/null || skip "no mount namespaces here"
}

# in_syslog_ns CMD...: CMD in a mount namespace whose /dev is dev2/.
in_syslog_ns() {
	unshare -m sh -c 'mount --bind dev2 /dev && exec "$@"' sh "$@"
}

@test "-s sends the setup messages to syslog (daemon.info), not stderr" {
	syslog_start
	run -1 --separate-stderr in_syslog_ns "$INOTIFYWAIT" -s -t -1 d
	[ "$stderr" = "Negative timeout specified - abort!" ]
	wait_for 10 file_has syslog 'Watches established\.'
	grep -q '^<30>.* inotifywait\[[0-9]*\]: Setting up watches\.$' syslog
	grep -q '^<30>.* inotifywait\[[0-9]*\]: Watches established\.$' syslog
	! grep -q Negative syslog
}

@test "-s sends watch errors to syslog too" {
	syslog_start
	run -1 --separate-stderr in_syslog_ns "$INOTIFYWAIT" -s nonexist
	[ -z "$stderr" ]
	wait_for 10 file_has syslog "Couldn't watch nonexist: No such file or directory"
}

@test "-d: what goes wrong after daemon() is in syslog" {
	syslog_start
	run -0 --separate-stderr in_syslog_ns "$INOTIFYWAIT" -d -o "$PWD/log" \
	    "$PWD/nonexist"
	[ -z "$stderr" ]
	wait_for 10 file_has syslog "Couldn't watch $PWD/nonexist: No such file or directory"
}

@test "-I forces inotify in fsnotifywait" {
	run -1 --separate-stderr "$FSNOTIFYWAIT" -I -t -1 d
	[ "$stderr" = $'Setting up watches.\nWatches established.\nNegative timeout specified - abort!' ]
}

# Differential: Debian's 3.22 and ours watch the same directory and must
# print the same for the features both have.
diff_run() {
	debian_oracle
	"$DEB_INOTIFYWAIT" "$@" d >theirs 2>theirs.err &
	OTHER_PID=$!
	wait_for 10 file_has theirs.err 'Watches established'
	iw_bg "$@" d
	mkdir d/sub
	echo hello >'d/a file'
	cat 'd/a file' >/dev/null
	chmod 600 'd/a file'
	mv 'd/a file' 'd/b,"q"'
	rm 'd/b,"q"'
	rmdir d/sub
	touch d/end
	wait_for 10 file_has out end
	wait_for 10 file_has theirs end
	stop_bg
	kill "$OTHER_PID"
	wait "$OTHER_PID" || true
	OTHER_PID=
	diff -u theirs out
}

@test "differential: default output matches Debian's inotifywait" {
	diff_run -m
}

@test "differential: --csv matches Debian's inotifywait" {
	diff_run -m -c
}

@test "differential: --format matches Debian's inotifywait" {
	diff_run -m --format '%e|%w|%f|%:e'
}

@test "differential: -e filtering matches Debian's inotifywait" {
	diff_run -m -e create,delete,moved_to,moved_from
}

@test "differential: --exclude matches Debian's inotifywait" {
	diff_run -m --exclude 'sub'
}
