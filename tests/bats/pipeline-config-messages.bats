#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Messages about the config name the file read and, for a bad value, its
# line; `syncd status` tells an unreadable file from an invalid one; the
# example config works for a local target once SOURCE and TARGETS are set.

# shellcheck disable=SC2154 # env from make, bats
bats_require_minimum_version 1.5.0
load helpers
load rsyncd

setup() {
	D=${BATS_TEST_TMPDIR}
	mkdir -p "${D}/src" "${D}/dst"
}

@test "syncd start with a missing SOURCE names the file and the line" {
	printf '%s\n' '# a comment' "TARGETS=${D}/dst" "SPOOL_DIR=${D}/spool" \
	    "PID_FILE=${D}/p.pid" '' "SOURCE=${D}/nope" >"${D}/c.conf"
	chmod 600 "${D}/c.conf"
	run -6 --separate-stderr bash "${SYNCD}" -c "${D}/c.conf" start
	[ "${stderr}" = "syncd: inotify.sh: ${D}/c.conf:6: SOURCE ${D}/nope: not a directory" ]
}

@test "syncd status: cannot read FILE: why, apart from FILE:LINE: what" {
	run -4 --separate-stderr bash "${SYNCD}" -c "${D}/none.conf" status
	[ "${stderr}" = "syncd: inotify.sh: cannot read ${D}/none.conf: No such file or directory" ]
	printf '%s\n' "SOURCE=${D}/src" "TARGETS=${D}/dst" 'DELETE=maybe' \
	    >"${D}/c.conf"
	chmod 600 "${D}/c.conf"
	run -4 --separate-stderr bash "${SYNCD}" -c "${D}/c.conf" status
	[ "${stderr}" = "syncd: inotify.sh: ${D}/c.conf:3: DELETE must be yes or no: 'maybe'" ]
}

@test "the example config works for a local target with SOURCE and TARGETS edited" {
	sed -e "s|^SOURCE=.*|SOURCE=${D}/src|" -e "s|^TARGETS=.*|TARGETS=${D}/dst|" \
	    "${top_srcdir}/scripts/syncd.conf.example" >"${D}/c.conf"
	chmod 600 "${D}/c.conf"
	run -0 --separate-stderr bash "${INOTIFY_SH}" -n -c "${D}/c.conf"
	[ -z "${stderr}" ]
	[[ ${output} == *"TARGETS=${D}/dst"* ]]
}

@test "PASSWORD_FILE is checked only when a target is an rsync daemon" {
	printf '%s\n' "SOURCE=${D}/src" "TARGETS=${D}/dst" \
	    "PASSWORD_FILE=${D}/missing" >"${D}/c.conf"
	chmod 600 "${D}/c.conf"
	run -0 bash "${INOTIFY_SH}" -n -c "${D}/c.conf"
	printf '%s\n' "SOURCE=${D}/src" "TARGETS=${D}/dst u@h::m" \
	    "PASSWORD_FILE=${D}/missing" >"${D}/c.conf"
	run -1 --separate-stderr bash "${INOTIFY_SH}" -n -c "${D}/c.conf"
	[ "${stderr}" = "inotify.sh: ${D}/c.conf:3: password file ${D}/missing: not a regular file" ]
}
