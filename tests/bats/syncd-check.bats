#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# `syncd check` (a Nagios/Icinga plugin) and METRICS_FILE (Prometheus text
# metrics) against a running pipeline and a real rsync daemon that is
# stopped for real to make the target fail.

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
	URL=${RSYNCD_URL}/${BATS_TEST_NUMBER}
	mkdir -p "${SRC}" "${DST}"
	pipeline_config "${D}/syncd.conf" "${SRC}" "${URL}" \
	    "METRICS_FILE=${D}/metrics/syncd.prom"
	mkdir "${D}/metrics"
}

teardown() {
	syncd stop >/dev/null 2>&1 || true
	# A test that stopped the daemon starts it again for the next.
	kill -0 "${RSYNCD_PID:-0}" 2>/dev/null ||
	    rsyncd_start "${RSYNCD_PORT}"
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		cat "${D}/pipeline.log" >&2 || true
	fi
}

syncd() {
	bash "${SYNCD}" -c "${D}/syncd.conf" "$@"
}

# check_exits STATUS [OPTIONS]: `syncd check OPTIONS` exits with STATUS.
check_exits() {
	local rc=0 want=$1
	shift
	syncd check "$@" >/dev/null 2>&1 || rc=$?
	(( rc == want ))
}

# check_says TEXT: the output of `syncd check` holds TEXT.
check_says() {
	[[ $(syncd check 2>&1) == *"$1"* ]]
}

# synced_once: a run to the target has succeeded since start.
synced_once() {
	[[ -s ${D}/spool/target-$(printf '%s' "${URL}" | cksum |
	    cut -d ' ' -f 1)/last_ok ]]
}

# metric_is NAME VALUE: the metrics file has NAME{target="URL"} VALUE.
metric_is() {
	grep -qxF "$1{target=\"${URL}\"} $2" "${D}/metrics/syncd.prom" \
	    2>/dev/null
}

# start_synced: start the service and wait for the first full sync.
start_synced() {
	echo x >"${SRC}/first"
	syncd start >/dev/null
	wait_converged "${SRC}" "${DST}" 30
	wait_for 20 synced_once
	wait_for 20 check_exits 0
}

@test "check: OK and perfdata of a running, synced pipeline" {
	start_synced
	run -0 --separate-stderr syncd check
	[[ ${output} =~ ^'SYNCD OK - 1 target(s), 0 name(s) queued | lag=0s;300;1800;0 queued=0;;;0 age='[0-9]+'s;;;0 failures=0;1;;0 quarantined=0;1;;0'$ ]]
	[ -z "${stderr}" ]
}

@test "check: CRITICAL when the service is not running" {
	run -2 syncd check
	[ "${output}" = "SYNCD CRITICAL - not running (pid file ${D}/pipeline.pid)" ]
}

@test "check: UNKNOWN when the config is unreadable or a threshold is bad" {
	run -3 bash "${SYNCD}" -c "${D}/missing.conf" check
	[[ ${output} == "SYNCD UNKNOWN - "*"cannot read ${D}/missing.conf: No such file or directory" ]]
	run -3 --separate-stderr syncd check -l 5:10
	[[ ${stderr} == *"thresholds must be W,C: '5:10'"* ]]
}

@test "check: a dead target is a WARNING, then CRITICAL by lag; OK again once it is back" {
	start_synced
	rsyncd_stop
	echo a >"${SRC}/a"
	echo b >"${SRC}/b"
	echo c >"${SRC}/c"
	wait_for 30 check_says "queued=3;"
	run -1 syncd check
	[[ ${output} == "SYNCD WARNING - 1 target(s), 3 name(s) queued: failures 1 |"* ]]
	[[ ${output} == *" queued=3;;;0 "* ]]
	[[ ${output} == *" failures=1;1;;0 "* ]]
	# The same figures against a lag threshold of 1 s: CRITICAL.
	wait_for 30 check_exits 2 -l ,1
	run -2 syncd check -l ,1 -q 3,
	[[ ${output} == "SYNCD CRITICAL - 1 target(s), 3 name(s) queued: lag "[1-9]*", queued 3, failures 1 |"* ]]
	rsyncd_start "${RSYNCD_PORT}"
	wait_converged "${SRC}" "${DST}" 60
	wait_for 30 check_exits 0 -l ,1
}

@test "check: the age of the last success against its threshold" {
	start_synced
	# Nothing changes: the last success grows older than 1 s.
	wait_for 30 check_exits 2 -a ,1
	run -2 syncd check -a ,1
	[[ ${output} == "SYNCD CRITICAL - 1 target(s), 0 name(s) queued: age "[1-9]*" |"* ]]
	[[ ${output} == *" age="[1-9]*"s;;1;0 "* ]]
}

@test "METRICS_FILE: Prometheus text after each run, replaced by rename" {
	start_synced
	wait_for 20 metric_is syncd_queued_names 0
	local ino
	ino=$(stat -c %i "${D}/metrics/syncd.prom")
	run -0 grep -c '^# TYPE syncd_[a-z_]* gauge$' "${D}/metrics/syncd.prom"
	[ "${output}" = 6 ]
	grep -qE "^syncd_last_success_timestamp_seconds\\{target=\"${URL}\"\\} [0-9]{10}$" \
	    "${D}/metrics/syncd.prom"
	[ "$(stat -c %a "${D}/metrics/syncd.prom")" = 644 ]
	rsyncd_stop
	echo a >"${SRC}/a"
	echo b >"${SRC}/b"
	wait_for 30 metric_is syncd_failing 1
	wait_for 30 metric_is syncd_queued_names 2
	# A new file took the old one's place; no temporary file is left.
	[ "$(stat -c %i "${D}/metrics/syncd.prom")" != "${ino}" ]
	run -0 ls -A "${D}/metrics"
	[ "${output}" = syncd.prom ]
	rsyncd_start "${RSYNCD_PORT}"
	wait_for 60 metric_is syncd_failing 0
	metric_is syncd_queued_names 0
}

@test "METRICS_FILE must be an absolute path" {
	pipeline_config "${D}/syncd.conf" "${SRC}" "${URL}" \
	    METRICS_FILE=relative.prom
	run -1 --separate-stderr bash "${INOTIFY_SH}" -n -c "${D}/syncd.conf"
	[[ ${stderr} =~ ^"inotify.sh: ${D}/syncd.conf:"[0-9]+": METRICS_FILE must be an absolute path: 'relative.prom'"$ ]]
}
