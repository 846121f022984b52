#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# inotify.sh with WATCH=fanotify on a loop-mounted ext4 SOURCE: one
# filesystem mark (no inotify watch), replication of creates, renames,
# deletes and a new subtree, names of another mount of the same
# filesystem ignored, and the one-line refusals of a SOURCE that fanotify
# cannot cover.

# shellcheck disable=SC2154 # env from make, bats
bats_require_minimum_version 1.5.0
load helpers
load rsyncd

setup() {
	D=${BATS_TEST_TMPDIR}
	SRC=${D}/src
	DST=${D}/dst
	MOUNTS=()
	mkdir -p "${SRC}" "${DST}"
}

teardown() {
	pipeline_stop
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		cat "${D}/pipeline.log" "${D}/pipeline.err" >&2 || true
	fi
	local i
	for (( i = ${#MOUNTS[@]} - 1; i >= 0; i-- )); do
		umount "${MOUNTS[i]}" || umount -l "${MOUNTS[i]}"
	done
}

# mount_at DIR ARGS...: mount ARGS on DIR, unmounted by teardown.
mount_at() {
	local dir=$1
	shift
	mount "$@" "${dir}"
	MOUNTS+=("${dir}")
}

# ext4_at DIR: a fresh 64 MB ext4 image mounted on DIR.
ext4_at() {
	truncate -s 64M "${D}/img"
	mkfs.ext4 -q -F "${D}/img" >/dev/null
	mount_at "$1" -o loop "${D}/img"
}

# notify_kinds PID: the kinds of notification descriptors PID holds
# ("fanotify" or "inotify", one line each), from /proc/PID/fdinfo.
notify_kinds() {
	local f
	for f in /proc/"$1"/fdinfo/*; do
		if grep -q '^fanotify ' "${f}" 2>/dev/null; then
			echo fanotify
		elif grep -q '^inotify ' "${f}" 2>/dev/null; then
			echo inotify
		fi
	done
}

# watcher_pid: the pid of the pipeline's inotifywait.
watcher_pid() {
	head -1 "${D}/spool/run/inotifywait.pid"
}

@test "WATCH=fanotify: one filesystem mark replicates creates, renames, deletes, a new subtree" {
	require_fanotify
	ext4_at "${SRC}"
	mkdir -p "${SRC}/a/b"
	echo x >"${SRC}/a/b/f"
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}" WATCH=fanotify
	pipeline_start "${D}/syncd.conf"
	wait_converged "${SRC}" "${DST}"
	# A filesystem mark, and no inotify watch at all.
	run -0 notify_kinds "$(watcher_pid)"
	[ "${output}" = fanotify ]
	echo y >"${SRC}/a/b/g"
	mv "${SRC}/a" "${SRC}/renamed"
	echo z >"${SRC}/"$'-n\nx $(id)'
	echo s >"${SRC}/with space"
	wait_converged "${SRC}" "${DST}"
	mkdir -p "${SRC}/new/sub/deeper"
	for i in 1 2 3; do
		echo "${i}" >"${SRC}/new/sub/deeper/f${i}"
	done
	echo top >"${SRC}/new/t"
	wait_converged "${SRC}" "${DST}"
	rm -r "${SRC}/renamed" "${SRC}/with space"
	wait_converged "${SRC}" "${DST}"
	# Changes arrived as batches, not as full resyncs of the whole tree.
	run -0 grep -c 'batch target=.* rc=0' "${D}/pipeline.log"
	run -1 grep 'unexpected name' "${D}/pipeline.log"
}

@test "WATCH=fanotify: names from another mount of the filesystem are ignored" {
	require_fanotify
	mkdir "${D}/fs"
	ext4_at "${D}/fs"
	mkdir "${D}/fs/tree" "${D}/fs/other"
	mount_at "${SRC}" --bind "${D}/fs/tree"
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}" WATCH=fanotify
	pipeline_start "${D}/syncd.conf"
	wait_converged "${SRC}" "${DST}"
	wait_for 10 file_has "${D}/pipeline.log" 'full target=.* rc=0'
	echo outside >"${D}/fs/other/o"
	echo via-other-path >"${D}/fs/tree/v"
	echo marker >"${SRC}/marker"
	wait_converged "${SRC}" "${DST}"
	[ "$(cat "${DST}/v")" = via-other-path ]
	[ ! -e "${DST}/o" ]
	[ ! -e "${DST}/other" ]
	run -1 grep 'unexpected name' "${D}/pipeline.log"
}

@test "WATCH=fanotify refuses a SOURCE that is not a mount point, or with a mount below it" {
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}" WATCH=fanotify
	run -1 --separate-stderr bash "${INOTIFY_SH}" -n -c "${D}/syncd.conf"
	[ "${stderr}" = "inotify.sh: ${D}/syncd.conf:11: WATCH=fanotify: SOURCE ${SRC} is not a mount point" ]
	mount_at "${SRC}" -t tmpfs -o size=1m tmpfs
	mkdir "${SRC}/sub"
	mount_at "${SRC}/sub" -t tmpfs -o size=1m tmpfs
	run -1 --separate-stderr bash "${INOTIFY_SH}" -n -c "${D}/syncd.conf"
	[ "${stderr}" = "inotify.sh: ${D}/syncd.conf:11: WATCH=fanotify: ${SRC}/sub is mounted below SOURCE ${SRC}" ]
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}" WATCH=dnotify
	run -1 --separate-stderr bash "${INOTIFY_SH}" -n -c "${D}/syncd.conf"
	[ "${stderr}" = "inotify.sh: ${D}/syncd.conf:11: WATCH must be inotify or fanotify: 'dnotify'" ]
}

@test "WATCH defaults to inotify: one watch per directory, no fanotify mark" {
	mkdir -p "${SRC}/a/b"
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}"
	run -0 bash "${INOTIFY_SH}" -n -c "${D}/syncd.conf"
	[[ ${output} == *$'\nWATCH=inotify'* ]]
	pipeline_start "${D}/syncd.conf"
	run -0 notify_kinds "$(watcher_pid)"
	[ "${output}" = inotify ]
	echo x >"${SRC}/a/b/f"
	wait_converged "${SRC}" "${DST}"
}
