# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for the inotifywatch*.bats suites (load after helpers).
# Each inotifywatch runs in the background under a NAME: its stdout and
# stderr go to NAME.out and NAME.err in the test's temp dir.

declare -gA IW_PIDS=()

# iw_setup: work in the test's own temp dir (paths in tables are relative).
iw_setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

# iw_teardown: kill whatever a failed test left running.
iw_teardown() {
	local n
	for n in "${!IW_PIDS[@]}"; do
		kill -KILL "${IW_PIDS[$n]}" 2>/dev/null || true
		wait "${IW_PIDS[$n]}" 2>/dev/null || true
	done
	IW_PIDS=()
}

# iw_bg NAME ARGS...: start inotifywatch ARGS without waiting.
iw_bg() {
	local name=$1
	shift
	"$INOTIFYWATCH" "$@" >"$name.out" 2>"$name.err" &
	IW_PIDS[$name]=$!
}

# iw_start NAME ARGS...: start it and wait until its watches are set up.
iw_start() {
	iw_bg "$@"
	wait_for 10 file_has "$1.err" 'now collecting statistics'
}

# iw_stop NAME [SIGNAL]: signal it (INT by default), reap it, set IW_STATUS.
iw_stop() {
	local name=$1 sig=${2:-INT} pid=${IW_PIDS[$1]}
	kill "-$sig" "$pid"
	IW_STATUS=0
	wait "$pid" || IW_STATUS=$?
	unset "IW_PIDS[$name]"
}

# iw_reap NAME: wait for it to end by itself, set IW_STATUS.
iw_reap() {
	local pid=${IW_PIDS[$1]}
	IW_STATUS=0
	wait "$pid" || IW_STATUS=$?
	unset "IW_PIDS[$1]"
}

# iw_watches PID: how many inotify watches PID holds now.
iw_watches() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null | grep -c '^inotify wd:' || true
}

# iw_has_watches NAME N: true once NAME holds at least N watches.
iw_has_watches() {
	(( $(iw_watches "${IW_PIDS[$1]}") >= $2 ))
}

# iw_expect FILE: compare FILE with the expected text on stdin.
iw_expect() {
	diff -u - "$1"
}

# iw_files NAME: the filename column of NAME's table, one line.
iw_files() {
	awk 'NR > 1 { printf "%s ", $NF }' "$1.out"
}
