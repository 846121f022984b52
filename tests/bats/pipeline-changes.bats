#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Changes that raise no CLOSE_WRITE still reach the target: truncate(2) by
# path (MODIFY only); the periodic full sync is on by default.

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
