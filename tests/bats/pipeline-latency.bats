#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Adaptive settling: an idle pipeline sends a change at once instead of
# waiting for SETTLE_MS; a busy one still batches.  SETTLE_MS is set far
# beyond the test's patience, so an arrival proves the early send.

# shellcheck disable=SC2016,SC2034,SC2154 # eval'd strings; env from make, bats
bats_require_minimum_version 1.5.0
load helpers
load rsyncd

setup_file() {
	rsyncd_setup "${BATS_FILE_TMPDIR}/rsyncd"
	rsyncd_start
}

teardown_file() {
	rsyncd_stop
}

setup() {
	D=${BATS_TEST_TMPDIR}
	SRC=${D}/src
	mkdir -p "${SRC}"
	rm -rf "${RSYNCD_DIR}/module"
	mkdir -p "${RSYNCD_DIR}/module"
}

teardown() {
	pipeline_stop
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		cat "${D}/pipeline.log" >&2 || true
	fi
}

# idle_started: the initial full sync is over.
idle_started() {
	file_has "${D}/pipeline.log" 'full target=.* rc=0'
}

@test "a lone file reaches an idle daemon target although SETTLE_MS is an hour" {
	pipeline_config "${D}/p.conf" "${SRC}" "${RSYNCD_URL}" \
	    SETTLE_MS=3600000
	pipeline_start "${D}/p.conf"
	wait_for 30 idle_started
	echo lone >"${SRC}/lone"
	wait_for 20 cmp -s "${SRC}/lone" "${RSYNCD_DIR}/module/lone"
	# A second change, after the first was sent, goes out alone too.
	mkdir "${SRC}/d"
	echo two >"${SRC}/d/two"
	wait_for 20 cmp -s "${SRC}/d/two" "${RSYNCD_DIR}/module/d/two"
	grep -q 'batch target=.* files=1 .*rc=0' "${D}/pipeline.log"
}

@test "names written while the only worker runs are batched, and all arrive" {
	pipeline_config "${D}/p.conf" "${SRC}" "${RSYNCD_URL}" \
	    SETTLE_MS=3600000
	pipeline_start "${D}/p.conf"
	wait_for 30 idle_started
	local i
	for (( i = 0; i < 300; i++ )); do
		echo "${i}" >"${SRC}/f${i}"
	done
	wait_converged "${SRC}" "${RSYNCD_DIR}/module" 30
	# Fewer runs than files: the names that came during a run went
	# together in the next.
	local runs
	runs=$(grep -c 'batch target=.* rc=0' "${D}/pipeline.log")
	(( runs < 300 ))
}
