#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The worker's spool bound: past SPOOL_MAX the names are dropped for a
# full sync, and the target converges.

# shellcheck disable=SC2154 # env from make
bats_require_minimum_version 1.5.0
load helpers
load rsyncd

setup() {
	D=${BATS_TEST_TMPDIR}
	SRC=${D}/src
	PARENT=${D}/later
	DST=${PARENT}/dst	# its parent is missing: the target fails
	mkdir -p "${SRC}" "${D}/spool"
}

teardown() {
	pipeline_stop
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		tail -n 30 "${D}/pipeline.log" "${D}/pipeline.err" >&2 || true
	fi
}

# files FIRST LAST: files with long names (big batches).
files() {
	local i pad
	pad=$(printf 'n%.0s' {1..90})
	for (( i = $1; i <= $2; i++ )); do
		echo "${i}" >"${SRC}/${pad}.${i}"
	done
}

@test "past SPOOL_MAX the names are dropped and a full sync covers them" {
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}" SPOOL_MAX=64
	pipeline_start "${D}/syncd.conf"
	files 1 1500
	wait_for 30 file_has "${D}/pipeline.log" 'more than SPOOL_MAX=64 KiB'
	# Names go on arriving after the drop; the queue stays bounded (the
	# 1,500 names are more than twice the bound).
	local m
	for m in "${D}"/spool/target-*/merged; do
		[[ ! -e ${m} ]] || (( $(stat -c %s -- "${m}") <= 64 * 1024 ))
	done
	mkdir -p "${PARENT}"
	wait_converged "${SRC}" "${DST}" 60
}
