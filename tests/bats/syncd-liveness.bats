#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Whether the pipeline runs is decided by the process itself (the pid and
# start time that the spool records, and its owner), never by its command
# line: a user's process that calls itself inotify.sh or inotifywait, at
# the pid of a stale pid file, is neither reported running nor signalled.

# shellcheck disable=SC2016,SC2034,SC2154 # eval'd strings; env from make, bats
bats_require_minimum_version 1.5.0
load helpers
load rsyncd

setup() {
	D=${BATS_TEST_TMPDIR}
	SRC=${D}/src
	DST=${D}/dst
	mkdir -p "${SRC}" "${DST}"
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}"
	IMPOSTOR_PID=
}

teardown() {
	syncd stop >/dev/null 2>&1 || true
	if [[ -n ${IMPOSTOR_PID} ]]; then
		{ kill -KILL "${IMPOSTOR_PID}"; wait "${IMPOSTOR_PID}"; } \
		    2>/dev/null || true
	fi
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		cat "${D}/pipeline.log" >&2 || true
	fi
}

syncd() {
	bash "${SYNCD}" -c "${D}/syncd.conf" "$@"
}

pipeline_pid() {
	cat "${D}/pipeline.pid"
}

# kill_pipeline: kill -9 the whole process group of the running pipeline,
# as a crash would, leaving its pid file behind.
kill_pipeline() {
	local pid
	pid=$(pipeline_pid)
	kill -KILL -- "-${pid}"
	wait_for 20 eval '! group_running "${pid}"'
}

@test "an impostor at a stale pid: status 1, start starts, stop spares it" {
	syncd start
	kill_pipeline
	impostor_start inotify.sh
	# The pid of the killed pipeline, reused by a user's process.
	echo "${IMPOSTOR_PID}" >"${D}/pipeline.pid"
	run -1 syncd status
	[[ ${output} == "syncd is dead but pid file ${D}/pipeline.pid exists"* ]]
	run -0 syncd start
	[[ ${output} == "syncd started (pid "* ]]
	[ "$(pipeline_pid)" != "${IMPOSTOR_PID}" ]
	kill -0 "${IMPOSTOR_PID}"
	echo x >"${SRC}/after"
	wait_converged "${SRC}" "${DST}"
	run -0 syncd status
	run -0 syncd stop
	[ "${output}" = "syncd stopped" ]
	named "${IMPOSTOR_PID}" inotify.sh
}

@test "stop with an impostor in the pid file signals nothing" {
	impostor_start inotify.sh
	echo "${IMPOSTOR_PID}" >"${D}/pipeline.pid"
	run -0 syncd stop
	[ "${output}" = "syncd is not running" ]
	named "${IMPOSTOR_PID}" inotify.sh
	run ! is_stopped "${IMPOSTOR_PID}"
	run -3 syncd status
}

@test "a stale inotifywait pid naming another process is left alone" {
	syncd start
	kill_pipeline
	impostor_start inotifywait
	printf '%s\n' "${IMPOSTOR_PID}" >"${D}/spool/run/inotifywait.pid"
	run -0 syncd start
	echo x >"${SRC}/after"
	wait_converged "${SRC}" "${DST}"
	named "${IMPOSTOR_PID}" inotifywait
}
