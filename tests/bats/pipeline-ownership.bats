#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# What runs as root is decided only by files that root (or the service
# user) alone can change: the config, the password file, the spool, the
# pid and log files and every directory above them; the pid and log files
# are never written through a symlink; rsync reads the SOURCE directory
# that was pinned at start, whatever happens to the path above it.

# shellcheck disable=SC2016,SC2034,SC2154 # eval'd strings; env from make, bats
bats_require_minimum_version 1.5.0
load helpers
load rsyncd

setup() {
	D=${BATS_TEST_TMPDIR}
	mkdir -p "${D}/src" "${D}/dst"
	printf 'secret\n' >"${D}/password"
	chmod 600 "${D}/password"
}

teardown() {
	pipeline_stop
}

# conf LINE...: a 0600 config of SOURCE, TARGETS (local), SPOOL_DIR and
# the lines.
conf() {
	printf '%s\n' "SOURCE=${D}/src" "TARGETS=${D}/dst" \
	    "SPOOL_DIR=${D}/spool" "$@" >"${D}/c.conf"
	chmod 600 "${D}/c.conf"
}

check() {
	run "$@" --separate-stderr bash "${INOTIFY_SH}" -n -c "${D}/c.conf"
}

@test "a config owned by another user is refused, even with mode 0644" {
	conf
	check -0
	chown 65534 "${D}/c.conf"
	chmod 644 "${D}/c.conf"
	check -1
	[ "${stderr}" = "inotify.sh: config ${D}/c.conf is owned by uid 65534" ]
}

@test "a config in a directory others may write to is refused" {
	mkdir "${D}/etc"
	conf
	mv "${D}/c.conf" "${D}/etc/c.conf"
	chmod 777 "${D}/etc"
	run -1 --separate-stderr bash "${INOTIFY_SH}" -n -c "${D}/etc/c.conf"
	[ "${stderr}" = "inotify.sh: config ${D}/etc/c.conf: ${D}/etc is writable by group or others (mode 777)" ]
	# A symlink to it does not hide the directory.
	ln -s "${D}/etc/c.conf" "${D}/link.conf"
	run -1 --separate-stderr bash "${INOTIFY_SH}" -n -c "${D}/link.conf"
	[[ ${stderr} == *"${D}/etc is writable by group or others (mode 777)" ]]
}

@test "a password file owned by another user is refused" {
	conf "TARGETS=u@h::m" "PASSWORD_FILE=${D}/password"
	check -0
	chown 65534 "${D}/password"
	check -1
	[ "${stderr}" = "inotify.sh: ${D}/c.conf:5: password file ${D}/password is owned by uid 65534" ]
}

@test "a spool owned by another user or open to others is refused" {
	mkdir -m 0700 "${D}/spool"
	chown 65534 "${D}/spool"
	conf
	check -1
	[ "${stderr}" = "inotify.sh: ${D}/c.conf:3: SPOOL_DIR ${D}/spool is owned by uid 65534" ]
	chown 0 "${D}/spool"
	chmod 1777 "${D}/spool"
	check -1
	[ "${stderr}" = "inotify.sh: ${D}/c.conf:3: SPOOL_DIR ${D}/spool is writable by group or others (mode 1777)" ]
}

@test "the pid and log files are never written through a symlink" {
	printf 'keep\n' >"${D}/victim"
	ln -s "${D}/victim" "${D}/pipeline.pid"
	conf "PID_FILE=${D}/pipeline.pid"
	run -1 --separate-stderr timeout 60 bash "${INOTIFY_SH}" -c "${D}/c.conf"
	[ "${stderr}" = "inotify.sh: ${D}/c.conf:4: PID_FILE ${D}/pipeline.pid: not a regular file" ]
	conf "LOG_FILE=${D}/log"
	ln -s "${D}/victim" "${D}/log"
	run -1 --separate-stderr timeout 60 bash "${INOTIFY_SH}" -c "${D}/c.conf"
	[ "${stderr}" = "inotify.sh: ${D}/c.conf:4: LOG_FILE ${D}/log: not a regular file" ]
	[ "$(cat "${D}/victim")" = keep ]
}

@test "the pid file's directory may not be writable by others, sticky or not" {
	mkdir -m 1777 "${D}/run"
	conf "PID_FILE=${D}/run/syncd.pid"
	check -1
	[ "${stderr}" = "inotify.sh: ${D}/c.conf:4: PID_FILE ${D}/run/syncd.pid: ${D}/run is writable by group or others (mode 1777)" ]
}

@test "a SOURCE below a directory another user owns is refused" {
	mkdir -p "${D}/home/data"
	chown 65534 "${D}/home"
	conf
	printf 'SOURCE=%s\n' "${D}/home/data" >>"${D}/c.conf"
	check -1
	[ "${stderr}" = "inotify.sh: ${D}/c.conf:4: SOURCE ${D}/home/data: parent ${D}/home is owned by uid 65534" ]
}

# full_runs: the number of full syncs logged so far.
full_runs() {
	grep -c 'full target=.* rc=0' "${D}/pipeline.log" || true
}

@test "rsync keeps reading the pinned SOURCE when a directory above it is swapped" {
	mkdir -p "${D}/a/src" "${D}/other/src"
	echo secret >"${D}/other/src/secret"
	echo one >"${D}/a/src/one"
	pipeline_config "${D}/p.conf" "${D}/a/src" "${D}/dst"
	pipeline_start "${D}/p.conf"
	wait_converged "${D}/a/src" "${D}/dst"
	wait_for 20 eval '(( $(full_runs) >= 1 ))'
	local n
	n=$(full_runs)
	mv "${D}/a" "${D}/a.moved"
	ln -s "${D}/other" "${D}/a"
	echo two >"${D}/a.moved/src/two"
	# A change of SOURCE itself asks for a full sync.
	touch "${D}/a.moved/src"
	wait_for 30 eval '(( $(full_runs) > n ))'
	wait_converged "${D}/a.moved/src" "${D}/dst"
	[ ! -e "${D}/dst/secret" ]
}
