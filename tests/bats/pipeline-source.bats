#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# A source that vanished never wipes a target: an unmounted SOURCE (a real
# tmpfs, unmounted before the start), an empty SOURCE, MAX_DELETE; and
# BACKUP_DIR keeps what deletions and rewrites replaced.

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
	! mountpoint -q "${SRC}" || umount "${SRC}"
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		tail -n 30 "${D}/pipeline.log" "${D}/pipeline.err" >&2 || true
	fi
}

# fill DIR N: N small files.
fill() {
	local i
	for (( i = 0; i < $2; i++ )); do
		echo "${i}" >"$1/f${i}"
	done
}

@test "an unmounted SOURCE mount point never wipes the target" {
	mount -t tmpfs -o size=1m syncd-src "${SRC}"
	fill "${SRC}" 20
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}"
	pipeline_start "${D}/syncd.conf"
	wait_converged "${SRC}" "${DST}"
	pipeline_stop
	umount "${SRC}"
	pipeline_start "${D}/syncd.conf"
	wait_for 30 file_has "${D}/pipeline.log" \
	    'is not the file system of the first full sync'
	[ "$(find "${DST}" -type f | wc -l)" = 20 ]
	run -0 grep -c 'not the file system' "${D}/pipeline.log"
	[ "${output}" = 1 ]
	run -0 bash "${SYNCD}" -c "${D}/syncd.conf" status
	[[ ${output} == *"pending failure: "*"full refused: SOURCE"* ]]
}

@test "an empty SOURCE is not mirrored onto a target that is not" {
	fill "${DST}" 5
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}"
	pipeline_start "${D}/syncd.conf"
	wait_for 30 file_has "${D}/pipeline.log" 'SOURCE .* is empty but the target is not'
	[ "$(find "${DST}" -type f | wc -l)" = 5 ]
	pipeline_stop
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}" \
	    ALLOW_EMPTY_SOURCE=yes
	pipeline_start "${D}/syncd.conf"
	wait_converged "${SRC}" "${DST}"
}

@test "MAX_DELETE stops a mass deletion with one clear error" {
	fill "${SRC}" 10
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}" MAX_DELETE=3
	pipeline_start "${D}/syncd.conf"
	wait_converged "${SRC}" "${DST}"
	pipeline_stop
	rm "${SRC}"/f[0-7]
	pipeline_start "${D}/syncd.conf"
	wait_for 30 file_has "${D}/pipeline.log" 'more than MAX_DELETE=3 deletions'
	[ "$(find "${DST}" -type f | wc -l)" -ge 5 ]
	grep -q 'rc=25' "${D}/pipeline.log"
}

@test "BACKUP_DIR keeps deleted and overwritten files, dated, through full syncs" {
	echo old >"${SRC}/kept"
	echo gone >"${SRC}/gone"
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}" BACKUP_DIR=.backup
	pipeline_start "${D}/syncd.conf"
	wait_for 20 test -e "${DST}/gone"
	echo new >"${SRC}/kept"
	rm "${SRC}/gone"
	local day
	day=$(date +%F)
	wait_for 20 test -e "${DST}/.backup/${day}/gone"
	wait_for 20 test -e "${DST}/.backup/${day}/kept"
	[ "$(cat "${DST}/.backup/${day}/kept")" = old ]
	[ "$(cat "${DST}/kept")" = new ]
	[ ! -e "${DST}/gone" ]
	# A full sync (the restart's) leaves the backups alone.
	pipeline_stop
	pipeline_start "${D}/syncd.conf"
	wait_for 30 file_has "${D}/pipeline.log" 'full target=.* rc=0'
	[ "$(cat "${DST}/.backup/${day}/gone")" = gone ]
}
