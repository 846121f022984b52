#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# inotify.sh with a local directory target: replication, DELETE=no,
# EXCLUDE, periodic full sync, and a dead target that must not hold back
# a live one.

# shellcheck disable=SC2016,SC2154 # literal $(...) names; env from make
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
		cat "${D}/pipeline.log" "${D}/pipeline.err" >&2 || true
	fi
}

@test "local target: create, rename a directory, delete, odd names" {
	mkdir -p "${SRC}/a/b"
	echo x >"${SRC}/a/b/f"
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}"
	pipeline_start "${D}/syncd.conf"
	wait_converged "${SRC}" "${DST}"
	echo y >"${SRC}/a/b/g"
	mv "${SRC}/a" "${SRC}/renamed"
	echo z >"${SRC}/"$'-n\nx $(id)'
	wait_converged "${SRC}" "${DST}"
	rm -r "${SRC}/renamed"
	wait_converged "${SRC}" "${DST}"
}

@test "a dead target does not hold back a live one; its batch is spooled" {
	pipeline_config "${D}/syncd.conf" "${SRC}" \
	    "rsync://syncuser@127.0.0.1:1/backup ${DST}"
	pipeline_start "${D}/syncd.conf"
	echo live >"${SRC}/f"
	wait_converged "${SRC}" "${DST}"
	local dead
	dead=$(grep -l '^rsync://' "${D}"/spool/target-*/target)
	dead=${dead%/target}
	wait_for 10 test -e "${dead}/last_error"
	wait_for 10 test -s "${dead}/merged"
	run -0 grep -c 'rc=10' "${D}/pipeline.log"
	[ "$(stat -c %a "${D}/spool")" = 700 ]
}

@test "DELETE=no keeps deleted files on the target" {
	echo keep >"${SRC}/keep"
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}" DELETE=no
	pipeline_start "${D}/syncd.conf"
	wait_converged "${SRC}" "${DST}"
	rm "${SRC}/keep"
	echo new >"${SRC}/new"
	wait_for 10 test -e "${DST}/new"
	wait_for 10 file_has "${D}/pipeline.log" 'batch target=.* files=2 '
	[ -e "${DST}/keep" ]
}

@test "EXCLUDE patterns are not copied" {
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}" \
	    'EXCLUDE=*.swp /cache/'
	pipeline_start "${D}/syncd.conf"
	mkdir -p "${SRC}/cache" "${SRC}/d"
	echo a >"${SRC}/d/.f.swp"
	echo b >"${SRC}/cache/x"
	echo c >"${SRC}/d/real"
	wait_for 10 test -e "${DST}/d/real"
	wait_for 10 file_has "${D}/pipeline.log" 'batch target=.* rc=0'
	[ ! -e "${DST}/d/.f.swp" ]
	[ ! -e "${DST}/cache" ]
}

@test "FULL_SYNC_INTERVAL heals drift on the target" {
	echo orig >"${SRC}/f"
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}" \
	    FULL_SYNC_INTERVAL=1
	pipeline_start "${D}/syncd.conf"
	wait_converged "${SRC}" "${DST}"
	echo drift >"${DST}/stray"
	rm "${DST}/f"
	wait_converged "${SRC}" "${DST}"
}

@test "SIGHUP reloads the config in the same process" {
	local dst2=${D}/dst2
	mkdir "${dst2}"
	echo x >"${SRC}/f"
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}"
	pipeline_start "${D}/syncd.conf"
	wait_converged "${SRC}" "${DST}"
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST} ${dst2}"
	: >"${D}/pipeline.log"
	kill -HUP "${PIPELINE_PID}"
	wait_for 20 file_has "${D}/pipeline.log" 'watching .* 2 target'
	echo y >"${SRC}/g"
	wait_converged "${SRC}" "${dst2}"
	wait_converged "${SRC}" "${DST}"
	kill -0 "${PIPELINE_PID}"
}

@test "batches flow during a full sync, and its races are healed after" {
	local gate=${D}/gate
	echo old >"${SRC}/old"
	# A full sync waits for the gate, then loses a name that a batch
	# sent meanwhile (as a full sync racing with that batch may).
	cat >"${D}/rsync-gate" <<-EOF
	#!/bin/bash
	case " \$* " in
	*" --files-from="*) exec rsync "\$@" ;;
	esac
	for (( i = 0; i < 300; i++ )); do
		[[ -e '${gate}' ]] && break
		sleep 0.1
	done
	rc=0
	rsync "\$@" || rc=\$?
	rm -f '${DST}/new'
	exit "\${rc}"
	EOF
	chmod +x "${D}/rsync-gate"
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}" \
	    "RSYNC_BIN=${D}/rsync-gate"
	pipeline_start "${D}/syncd.conf"
	echo new >"${SRC}/new"
	wait_for 10 test -e "${DST}/new"
	[ ! -e "${DST}/old" ]
	touch "${gate}"
	wait_for 20 file_has "${D}/pipeline.log" 'recheck target=.* rc=0'
	wait_converged "${SRC}" "${DST}"
}

@test "a big batch runs as parallel rsyncs on disjoint subtrees" {
	local i
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}" SETTLE_MS=3000
	pipeline_start "${D}/syncd.conf"
	wait_for 20 file_has "${D}/pipeline.log" 'full target=.* rc=0'
	mkdir "${SRC}/a" "${SRC}/b"
	for (( i = 0; i < 1000; i++ )); do
		echo "${i}" >"${SRC}/a/f${i}"
		echo "${i}" >"${SRC}/b/-f ${i}"
		echo "${i}" >"${SRC}/f${i}"
	done
	wait_converged "${SRC}" "${DST}"
	wait_for 10 file_has "${D}/pipeline.log" 'batch target=.* rc=0'
	run -1 grep -E ': err: |rc=[1-9]' "${D}/pipeline.log"
}
