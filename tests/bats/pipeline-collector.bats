#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The collector survives what goes wrong around it: a worker killed with
# SIGKILL is restarted (no SIGPIPE death), a full spool (a real small
# tmpfs) is logged once and turned into full syncs, and a batch file left
# linked by a crash is never written through.

# shellcheck disable=SC2016,SC2034,SC2154 # eval'd strings; env from make, bats
bats_require_minimum_version 1.5.0
load helpers
load rsyncd

setup() {
	D=${BATS_TEST_TMPDIR}
	SRC=${D}/src
	DST=${D}/dst
	mkdir -p "${SRC}" "${DST}"
	MOUNTED=
}

teardown() {
	bash "${SYNCD}" -c "${D}/p.conf" stop >/dev/null 2>&1 || true
	pipeline_stop
	[[ -z ${MOUNTED} ]] || umount "${MOUNTED}" || true
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		cat "${D}/pipeline.log" >&2 || true
	fi
}

@test "a worker killed with SIGKILL under syncd start is restarted; changes still arrive" {
	pipeline_config "${D}/p.conf" "${SRC}" "${DST}"
	bash "${SYNCD}" -c "${D}/p.conf" start
	echo one >"${SRC}/one"
	wait_converged "${SRC}" "${DST}"
	local leader worker
	leader=$(cat "${D}/pipeline.pid")
	worker=$(cat "${D}/spool"/target-*/worker.pid)
	kill -KILL "${worker}"
	echo two >"${SRC}/two"
	wait_for 30 file_has "${D}/pipeline.log" "worker for ${DST} died; restarting it"
	echo three >"${SRC}/three"
	wait_converged "${SRC}" "${DST}" 30
	kill -0 "${leader}"
	[ "$(cat "${D}/pipeline.pid")" = "${leader}" ]
}

@test "a full spool (a small tmpfs): the collector lives and, once there is room, the target converges" {
	mkdir "${D}/spool"
	mount -t tmpfs -o size=512k,mode=0700 tmpfs "${D}/spool"
	MOUNTED=${D}/spool
	# A run that started while the spool was full can stall on its
	# output there (seen: 107 s, rc 255) before the retry converges.
	pipeline_config "${D}/p.conf" "${SRC}" "${DST}" RSYNC_TIMEOUT=10
	pipeline_start "${D}/p.conf"
	wait_for 20 file_has "${D}/pipeline.log" 'full target=.* rc=0'
	dd if=/dev/zero of="${D}/spool/filler" bs=4k 2>/dev/null || true
	mkdir "${SRC}/d"
	echo 1 >"${SRC}/d/f"
	# The event chunks cannot be written: inotifywait is restarted.
	wait_for 30 file_has "${D}/pipeline.log" 'err: full target=.*retry\|spool: cannot\|inotifywait exited'
	kill -0 "${PIPELINE_PID}"
	rm -f "${D}/spool/filler"
	echo after >"${SRC}/after"
	wait_converged "${SRC}" "${DST}" 240
	kill -0 "${PIPELINE_PID}"
}

@test "a queue that cannot take a batch: logged once, a full sync instead, the collector lives" {
	pipeline_config "${D}/p.conf" "${SRC}" "${DST}"
	pipeline_start "${D}/p.conf"
	wait_for 20 file_has "${D}/pipeline.log" 'full target=.* rc=0'
	local q
	q=$(echo "${D}/spool"/target-*/queue)
	rm -r "${q}"
	: >"${q}"
	echo 1 >"${SRC}/one"
	wait_for 30 file_has "${D}/pipeline.log" 'spool: cannot queue a batch (Not a directory); the target(s) get a full sync instead'
	echo 2 >"${SRC}/two"
	wait_converged "${SRC}" "${DST}" 30
	kill -0 "${PIPELINE_PID}"
	[ "$(grep -c 'spool: cannot' "${D}/pipeline.log")" = 1 ]
	rm "${q}"
	mkdir "${q}"
	echo 3 >"${SRC}/three"
	wait_for 30 file_has "${D}/pipeline.log" 'spool: batches are queued again'
	wait_converged "${SRC}" "${DST}" 30
}

@test "a batch file left linked by a crash is never written through" {
	pipeline_config "${D}/p.conf" "${SRC}" "${DST}"
	mkdir -p "${D}/spool/run"
	chmod 0700 "${D}/spool"
	printf 'kept\0' >"${D}/queued"
	# What a crash between linking a batch into a queue and removing
	# its temporary name leaves: both names on one file.
	ln "${D}/queued" "${D}/spool/run/batch"
	pipeline_start "${D}/p.conf"
	echo x >"${SRC}/x"
	wait_converged "${SRC}" "${DST}"
	wait_for 20 file_has "${D}/pipeline.log" 'batch target=.* rc=0'
	[ "$(tr '\0' '\n' <"${D}/queued")" = kept ]
}
