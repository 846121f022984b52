#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Every log line of the pipeline is one line of its own: control
# characters in names (a newline, a tab) are escaped, so that a user who
# names a directory cannot forge a line; the tools escape the paths in
# their warnings; with LOG_FILE=syslog and no syslog socket, lines go to
# stderr after one warning.

# shellcheck disable=SC2016,SC2034,SC2154 # eval'd strings; env from make, bats
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
}

# forged LOG: print the lines of LOG that are not lines of ours.
forged() {
	grep -a -v -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8} inotify\.sh\[[0-9]+\]: [a-z]+: ' "$1" || true
}

@test "inotifywait and inotifywatch escape a newline in the path they name" {
	local bad=$'x\nsyncd: FAKE verified OK'
	run -1 --separate-stderr "${INOTIFYWAIT}" -r "${D}/${bad}"
	[ "${stderr}" = "Setting up watches.  Beware: since -r was given, this may take a while!"$'\n'"Couldn't watch ${D}/x\\nsyncd: FAKE verified OK: No such file or directory" ]
	run -1 --separate-stderr "${INOTIFYWATCH}" -t 1 "${D}/${bad}"$'\t\033'
	[ "${stderr}" = "Establishing watches..."$'\n'"Failed to watch ${D}/x\\nsyncd: FAKE verified OK\\t\\x1b: No such file or directory" ]
}

@test "a directory named with a newline and fake log text forges no log line" {
	pipeline_config "${D}/p.conf" "${SRC}" "${DST}"
	chown 65534 "${SRC}"
	open_to_nobody "${SRC}"
	pipeline_start "${D}/p.conf"
	# The attacker's new directory cannot be watched (its path is longer
	# than PATH_MAX), so inotifywait warns, naming it.
	nobody bash -c '
		set -e
		cd "$1"
		long=$(printf "a%.0s" {1..250})
		for i in {1..16}; do mkdir "${long}"; cd "${long}"; done
		mkdir "x
syncd: FAKE batch target=backup rc=0 verified OK $(printf "y%.0s" {1..200})"
	' _ "${SRC}"
	wait_for 30 file_has "${D}/pipeline.log" "Couldn't watch new directory"
	run -0 forged "${D}/pipeline.log"
	[ -z "${output}" ]
	grep -q 'warning: inotifywait: Couldn.t watch new directory .*/x\\nsyncd: FAKE batch' \
	    "${D}/pipeline.log"
}

@test "control characters of a logged value are escaped" {
	local src=${D}/$'tab\there\033[31m'
	mkdir "${src}"
	pipeline_config "${D}/p.conf" "${src}" "${DST}"
	pipeline_start "${D}/p.conf"
	run -0 forged "${D}/pipeline.log"
	[ -z "${output}" ]
	grep -q "notice: watching ${D}/tab\\\\there\\\\x1b\\[31m for 1 target" \
	    "${D}/pipeline.log"
}

# The script of a mount namespace where /dev/log, if the machine has one,
# is an empty regular file ($0): no syslog socket.  Then it runs "$@".
NO_SYSLOG='if [ -e /dev/log ]; then mount --bind "$0" /dev/log || exit 1; fi
exec "$@"'

@test "LOG_FILE=syslog without a syslog socket: the lines go to stderr, after one warning" {
	pipeline_config "${D}/p.conf" "${SRC}" "${DST}" LOG_FILE=syslog
	: >"${D}/not-a-socket"
	unshare -m sh -c "${NO_SYSLOG}" "${D}/not-a-socket" \
	    bash "${INOTIFY_SH}" -c "${D}/p.conf" </dev/null \
	    >"${D}/out" 2>"${D}/err" &
	PIPELINE_PID=$!
	wait_for 30 file_has "${D}/err" 'notice: watching'
	echo x >"${SRC}/f"
	wait_converged "${SRC}" "${DST}"
	wait_for 20 file_has "${D}/err" 'info: batch target='
	pipeline_stop
	[ "$(grep -c 'syslog is not reachable' "${D}/err")" = 1 ]
	grep -q 'warning: syslog is not reachable (no socket /dev/log); logging to stderr' "${D}/err"
	grep -q 'notice: stopped' "${D}/err"
	[ ! -s "${D}/out" ]
}
