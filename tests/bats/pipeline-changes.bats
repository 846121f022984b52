#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Changes that raise no CLOSE_WRITE still reach the target: truncate(2) by
# path (MODIFY only), a write through a shared mapping of a file kept open
# (no event at all: the writers check); the periodic full sync is on by
# default.

# shellcheck disable=SC2154 # env from make
bats_require_minimum_version 1.5.0
load helpers
load rsyncd

setup() {
	D=${BATS_TEST_TMPDIR}
	SRC=${D}/src
	DST=${D}/dst
	mkdir -p "${SRC}" "${DST}"
}

teardown() {
	exec 8>&-
	[[ -z ${WRITER_PID:-} ]] || kill "${WRITER_PID}" 2>/dev/null || true
	pipeline_stop
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		tail -n 30 "${D}/pipeline.log" "${D}/pipeline.err" >&2 || true
	fi
}

@test "truncate(2) by path reaches the target" {
	echo 0123456789 >"${SRC}/f"
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}"
	pipeline_start "${D}/syncd.conf"
	wait_converged "${SRC}" "${DST}"
	perl -e 'truncate($ARGV[0], 3) or die "truncate: $!\n"' "${SRC}/f"
	wait_converged "${SRC}" "${DST}"
	[ "$(cat "${DST}/f")" = 012 ]
}

@test "a full sync runs daily by default" {
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}"
	run -0 bash "${INOTIFY_SH}" -n -c "${D}/syncd.conf"
	[[ ${output} == *$'\nFULL_SYNC_INTERVAL=86400\n'* ]]
}

# writer_gone: the mmapwrite started by the test has exited.
writer_gone() {
	! kill -0 "${WRITER_PID}" 2>/dev/null
}

@test "a write through a shared mapping of a file kept open reaches the target while it is open" {
	attacker_dirs "${SRC}/u"
	attacker 'printf "old text, old text\n" >"$1"; touch -d 2020-01-01 "$1"' \
	    "${SRC}/u/mapped"
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}"
	pipeline_start "${D}/syncd.conf"
	wait_converged "${SRC}" "${DST}"
	mkfifo "${D}/hold"
	# The attacker maps the file, writes through the mapping (no
	# IN_MODIFY, no IN_CLOSE_WRITE) and keeps it open until the FIFO
	# closes.
	nobody "${top_builddir}/tests/prog/mmapwrite" "${SRC}/u/mapped" \
	    "NEW TEXT" <"${D}/hold" >"${D}/writer.out" 2>&1 &
	WRITER_PID=$!
	exec 8>"${D}/hold"
	wait_for 10 file_has "${D}/writer.out" '^written$'
	[ "$(cat "${SRC}/u/mapped")" = "NEW TEXT, old text" ]
	wait_for 20 file_has "${DST}/u/mapped" '^NEW TEXT, old text$'
	kill -0 "${WRITER_PID}"
	exec 8>&-
	wait_for 10 writer_gone
	wait_converged "${SRC}" "${DST}"
}
