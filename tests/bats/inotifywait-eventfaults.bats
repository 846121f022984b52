#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Event-time faults under inotifywait -m -r: 100,000 mkdir/rmdir cycles and
# rename storms (a directory renamed back and forth while files are made in
# it, moved out of the tree and back, files moved in and out).  Every
# printed line is checked against what iwstorm did (tests/prog/iwstorm.c),
# in order; nothing else may be printed or warned, and the heap stays put.
bats_require_minimum_version 1.5.0
load helpers
load inotifywait-lib

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	mkdir -p top/a outside
	: >expected
}

teardown() {
	stop_bg
}

storm() {
	"$top_builddir/tests/prog/iwstorm" "$@"
}

# rss_kb PID: resident set size of PID in kB.
rss_kb() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"
}

# Only the setup lines (and the -r "Watching new directory" lines) on
# stderr: no warning, no overflow.
only_setup_on_stderr() {
	! grep -v -e '^Setting up watches' -e '^Watches established' \
		-e '^Watching new directory top/[ac]/$' err
}

@test "100,000 mkdir/rmdir cycles: every line right, no warning, no growth" {
	local before after
	# Under AddressSanitizer freed memory waits in a quarantine (RSS
	# grows by design): none, so that growth means a leak there too.
	export ASAN_OPTIONS=${ASAN_OPTIONS:+${ASAN_OPTIONS}:}quarantine_size_mb=0
	iw_bg -m -r -e create,delete top
	storm cycles 1000 top expected out
	before=$(rss_kb "$BG_PID")
	storm cycles 99000 top expected out
	after=$(rss_kb "$BG_PID")
	# AddressSanitizer's shadow pages follow the heap addresses used (1 MB
	# seen); its leak check at exit is the bound there.
	local limit=256
	! grep -q libasan "/proc/$BG_PID/maps" || limit=4096
	stop_bg
	[ "$(wc -l <out)" -eq 200000 ]
	cmp expected out
	only_setup_on_stderr
	echo "VmRSS ${before} kB after 1,000 cycles, ${after} kB after 100,000"
	(( after - before <= limit ))
}

@test "rename storm: paths follow the renames, moves out and in, no growth" {
	local before after
	iw_bg -m -r -e create,delete,moved_from,moved_to top
	storm renames 1000 top outside expected out
	before=$(rss_kb "$BG_PID")
	storm renames 19000 top outside expected out
	after=$(rss_kb "$BG_PID")
	stop_bg
	[ "$(grep -c '^top/b/ CREATE g' out)" -eq 20000 ]
	[ "$(grep -c '^top/a/ MOVED_TO m' out)" -eq 400 ]
	cmp expected out
	only_setup_on_stderr
	echo "VmRSS ${before} kB after 1,000 rounds, ${after} kB after 20,000"
	(( after - before <= 256 ))
}

@test "rename storm: what is made afterwards is printed under the final name" {
	iw_bg -m -r -e create,delete,moved_from,moved_to top
	storm renames 500 top outside expected out
	mkdir top/a/new
	touch top/a/new/f
	wait_for 10 file_has out '^top/a/new/ CREATE f$'
	stop_bg
	printf 'top/a/ CREATE,ISDIR new\ntop/a/new/ CREATE f\n' >>expected
	cmp expected out
}
