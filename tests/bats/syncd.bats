#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The syncd init script around inotify.sh, against a real rsync daemon:
# LSB status codes, a stop that drains and ends only its own process
# group, recovery after kill -9, after the daemon was down, and after an
# inotify queue overflow; status shows a running full sync's progress.

# shellcheck disable=SC2016 # eval'd strings expand later
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
	DST=${RSYNCD_DIR}/module/${BATS_TEST_NUMBER}
	mkdir -p "${SRC}" "${DST}"
	pipeline_config "${D}/syncd.conf" "${SRC}" \
	    "${RSYNCD_URL}/${BATS_TEST_NUMBER}"
	OTHER_PID=
}

teardown() {
	[[ -z ${OTHER_PID} ]] || kill "${OTHER_PID}" 2>/dev/null || true
	syncd stop >/dev/null 2>&1 || true
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

# status_says TEXT: `syncd status` prints TEXT.
status_says() {
	[[ $(syncd status 2>&1) == *"$1"* ]]
}

@test "start, status, stop with LSB exit codes" {
	echo x >"${SRC}/f"
	run -3 syncd status
	[[ ${output} == "syncd is not running"* ]]
	run -0 syncd start
	[[ ${output} == "syncd started (pid "* ]]
	run -0 syncd start
	[[ ${output} == "syncd is already running"* ]]
	wait_converged "${SRC}" "${DST}"
	# The copy can be complete a moment before the run records its success.
	wait_for 20 status_says "last successful sync: 2"
	run -0 syncd status
	[[ ${output} == "syncd (pid $(pipeline_pid)) is running"* ]]
	[[ ${output} == *"target ${RSYNCD_URL}/${BATS_TEST_NUMBER}: 0 batch(es) + 0 name(s) queued"* ]]
	[[ ${output} == *"last successful sync: 2"* ]]
	run -0 syncd stop
	[ "${output}" = "syncd stopped" ]
	run -3 syncd status
	run -0 syncd stop
	[ "${output}" = "syncd is not running" ]
}

@test "status is 1 when the pid file outlives the process" {
	bash -c 'exit 0' &
	local dead=$!
	wait "${dead}" || true
	echo "${dead}" >"${D}/pipeline.pid"
	run -1 syncd status
	[[ ${output} == "syncd is dead but pid file ${D}/pipeline.pid exists"* ]]
}

@test "the pipeline runs in its own session and process group" {
	syncd start
	local pid
	pid=$(pipeline_pid)
	[ "$(ps -o sid= -p "${pid}" | tr -d ' ')" = "${pid}" ]
	[ "$(ps -o pgid= -p "${pid}" | tr -d ' ')" = "${pid}" ]
}

@test "stop drains the queue: changes made just before stop are synced" {
	syncd start
	local i
	for (( i = 0; i < 300; i++ )); do
		echo "${i}" >"${SRC}/f${i}"
	done
	mv "${SRC}/f1" "${SRC}/moved"
	rm "${SRC}/f2"
	syncd stop
	converged "${SRC}" "${DST}"
}

@test "stop leaves an unrelated inotifywait running" {
	mkdir "${D}/other"
	start_watching "${D}/other.out" "${D}/other.err" \
	    "${INOTIFYWAIT}" -m "${D}/other"
	OTHER_PID=${BG_PID}
	syncd start
	local pgid
	pgid=$(pipeline_pid)
	syncd stop
	kill -0 "${OTHER_PID}"
	run ! group_running "${pgid}"
	touch "${D}/other/alive"
	wait_for 10 file_has "${D}/other.out" 'alive'
}

@test "kill -9 of the pipeline mid-stream, then syncd start: converges" {
	mkdir "${SRC}/d"
	syncd start
	local i pid
	pid=$(pipeline_pid)
	for (( i = 0; i < 200; i++ )); do
		echo "${i}" >"${SRC}/d/a${i}"
	done
	kill -KILL "${pid}"
	for (( i = 0; i < 200; i++ )); do
		echo "${i}" >"${SRC}/d/b${i}"
	done
	rm "${SRC}/d/a1"
	mv "${SRC}/d/a2" "${SRC}/d/renamed"
	run -1 syncd status
	run -0 syncd start
	wait_converged "${SRC}" "${DST}"
	run ! group_running "${pid}"
}

@test "kill -9 of the whole process group, then syncd start: converges" {
	syncd start
	local pid
	pid=$(pipeline_pid)
	echo one >"${SRC}/one"
	kill -KILL -- "-${pid}"
	echo two >"${SRC}/two"
	rm "${SRC}/one"
	syncd start
	wait_converged "${SRC}" "${DST}"
}

@test "the rsync daemon down mid-stream: changes spooled, then converges" {
	syncd start
	echo before >"${SRC}/before"
	wait_converged "${SRC}" "${DST}"
	rsyncd_stop
	mkdir -p "${SRC}/while/down"
	echo x >"${SRC}/while/down/x"
	echo changed >"${SRC}/before"
	mv "${SRC}/while" "${SRC}/renamed"
	wait_for 20 eval 'syncd status | grep -q "pending failure: .*rc=10"'
	run -0 syncd status
	[[ ${output} != *" 0 batch(es) + 0 name(s) queued"* ]]
	rsyncd_start "${RSYNCD_PORT}"
	wait_converged "${SRC}" "${DST}" 30
	wait_for 10 eval '! syncd status | grep -q "pending failure"'
}

@test "reload keeps the same process; reload of a stopped service is 7" {
	run -7 syncd reload
	syncd start
	local pid
	pid=$(pipeline_pid)
	: >"${D}/pipeline.log"
	run -0 syncd reload
	wait_for 20 file_has "${D}/pipeline.log" 'watching'
	[ "$(pipeline_pid)" = "${pid}" ]
	echo after >"${SRC}/after"
	wait_converged "${SRC}" "${DST}"
}

@test "a forced inotify queue overflow triggers a resync that converges" {
	local max watcher i rounds
	# Overflow the queue at its system-wide size, never lowered here (other
	# tests run in parallel): stop inotifywait and make more events than
	# the queue holds (ATTRIB of 100 names, repeated).
	max=$(cat /proc/sys/fs/inotify/max_queued_events)
	(( max <= 200000 )) || skip "max_queued_events ${max} is too large to overflow quickly"
	rounds=$(( max / 100 + 20 ))
	syncd start
	wait_for 20 file_has "${D}/pipeline.log" 'full target=.* rc=0'
	read -r watcher <"${D}/spool/run/inotifywait.pid"
	for (( i = 0; i < 100; i++ )); do
		echo "${i}" >"${SRC}/f${i}"
	done
	wait_converged "${SRC}" "${DST}"
	stop_process "${watcher}"
	for (( i = 0; i < rounds; i++ )); do
		touch "${SRC}"/f{0..99}
	done
	echo lost >"${SRC}/f50"
	echo new >"${SRC}/after-overflow"
	kill -CONT "${watcher}"
	wait_for 30 file_has "${D}/pipeline.log" 'overflow'
	wait_converged "${SRC}" "${DST}"
}

# full_progress_shown: `syncd status` shows a full sync running that has
# changed one item or more.
full_progress_shown() {
	[[ $(syncd status 2>&1) =~ "full sync running for "[0-9]+"s: "[1-9][0-9]*" item(s) changed so far" ]]
}

@test "status shows the progress of a running full sync" {
	local i
	for i in {1..200}; do
		head -c 2000 /dev/urandom >"${SRC}/f${i}"
	done
	# About 400 KB at 40 KB/s: a full sync of about 10 s.
	pipeline_config "${D}/syncd.conf" "${SRC}" \
	    "${RSYNCD_URL}/${BATS_TEST_NUMBER}" 'RSYNC_OPTS=-a --bwlimit=40' \
	    RSYNC_TIMEOUT=120
	syncd start
	wait_for 60 full_progress_shown
	wait_for 120 file_has "${D}/pipeline.log" 'full target=.* rc=0'
	run -0 syncd status
	[[ ${output} != *"full sync running"* ]]
	[[ ${output} == *"last successful sync: "[0-9]* ]]
	converged "${SRC}" "${DST}"
}
