#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Targets are independent: a target whose rsync daemon is stopped
# (SIGSTOP: its runs hang) neither delays nor blocks another target, and
# catches up once it runs again.

# shellcheck disable=SC2016,SC2034,SC2154 # eval'd strings; env from make, bats
bats_require_minimum_version 1.5.0
load helpers
load rsyncd

setup() {
	D=${BATS_TEST_TMPDIR}
	SRC=${D}/src
	mkdir -p "${SRC}"
	rsyncd_setup "${D}/slow"
	rsyncd_start
	SLOW_PID=${RSYNCD_PID}
	SLOW_URL=${RSYNCD_URL}
	SLOW_DIR=${RSYNCD_DIR}
	rsyncd_setup "${D}/fast"
	rsyncd_start
	FAST_URL=${RSYNCD_URL}
	FAST_DIR=${RSYNCD_DIR}
}

teardown() {
	kill -CONT "${SLOW_PID}" 2>/dev/null || true
	pipeline_stop
	RSYNCD_DIR=${FAST_DIR} rsyncd_stop
	RSYNCD_DIR=${SLOW_DIR} rsyncd_stop
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		cat "${D}/pipeline.log" >&2 || true
	fi
}

both_idle() {
	file_has "${D}/pipeline.log" "full target=${SLOW_URL} .*rc=0" &&
	    file_has "${D}/pipeline.log" "full target=${FAST_URL} .*rc=0"
}

@test "a file reaches the fast target while the slow target's daemon is stopped (SETTLE_MS an hour)" {
	# Both targets share one password file (same secret).
	pipeline_config "${D}/p.conf" "${SRC}" "${SLOW_URL} ${FAST_URL}" \
	    SETTLE_MS=3600000 RSYNC_TIMEOUT=600 CONNECT_TIMEOUT=600
	pipeline_start "${D}/p.conf"
	wait_for 30 both_idle
	kill -STOP "${SLOW_PID}"
	echo one >"${SRC}/one"
	wait_for 20 cmp -s "${SRC}/one" "${FAST_DIR}/module/one"
	# The slow target's run hangs on its stopped daemon; the fast one
	# goes on getting every change.
	[ ! -e "${SLOW_DIR}/module/one" ]
	local i
	for (( i = 0; i < 50; i++ )); do
		echo "${i}" >"${SRC}/f${i}"
	done
	wait_converged "${SRC}" "${FAST_DIR}/module" 30
	[ ! -e "${SLOW_DIR}/module/f49" ]
	kill -CONT "${SLOW_PID}"
	wait_converged "${SRC}" "${SLOW_DIR}/module" 60
}
