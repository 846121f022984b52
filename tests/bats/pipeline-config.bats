#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# inotify.sh config validation: one line `inotify.sh: ...` on stderr and
# exit 1; the file is parsed, never executed.

# shellcheck disable=SC2016,SC2154 # literal $(...) names; env from make
bats_require_minimum_version 1.5.0
load helpers
load rsyncd

setup() {
	D=${BATS_TEST_TMPDIR}
	mkdir -p "${D}/src" "${D}/dst"
	printf 'secret\n' >"${D}/password"
	chmod 600 "${D}/password"
}

# conf LINE...: write a 0600 config from the lines.
conf() {
	printf '%s\n' "$@" >"${D}/c.conf"
	chmod 600 "${D}/c.conf"
}

base() {
	conf "SOURCE=${D}/src" "TARGETS=${D}/dst" "SPOOL_DIR=${D}/spool" "$@"
}

check() {
	run "$@" --separate-stderr bash "${INOTIFY_SH}" -n -c "${D}/c.conf"
}

@test "a valid config is printed with defaults filled in" {
	base '# comment' '' '  DELETE="no"' "EXCLUDE='*.tmp *~'"
	check -0
	[[ ${output} == *"SOURCE=${D}/src"* ]]
	[[ ${output} == *"DELETE=no"* ]]
	[[ ${output} == *"EXCLUDE=*.tmp *~"* ]]
	[[ ${output} == *"SETTLE_MS=200"* ]]
	[ -z "${stderr}" ]
}

@test "an unknown key is rejected with its line number" {
	base 'SETTLE_MS=100' 'SOURCES=/tmp'
	check -1
	[ "${stderr}" = "inotify.sh: ${D}/c.conf:5: unknown key 'SOURCES'" ]
}

@test "a line that is not KEY=value is rejected" {
	base 'rm -rf /'
	check -1
	[ "${stderr}" = "inotify.sh: ${D}/c.conf:4: expected KEY=value" ]
}

@test "values are never executed" {
	base "RSYNC_OPTS=-a \$(touch ${D}/pwned)" 'EXCLUDE=`touch pwned2`'
	check -0
	[ ! -e "${D}/pwned" ] && [ ! -e pwned2 ]
	[[ ${output} == *"RSYNC_OPTS=-a \$(touch ${D}/pwned)"* ]]
}

@test "a config writable by group or others is rejected" {
	base
	chmod 664 "${D}/c.conf"
	check -1
	[ "${stderr}" = "inotify.sh: config ${D}/c.conf is writable by group or others (mode 664)" ]
	chmod 602 "${D}/c.conf"
	check -1
	[[ ${stderr} == *"is writable by group or others (mode 602)" ]]
}

@test "a password file writable or readable by others is rejected" {
	conf "SOURCE=${D}/src" "TARGETS=u@h::m" "SPOOL_DIR=${D}/spool" \
	    "PASSWORD_FILE=${D}/password"
	check -0
	chmod 620 "${D}/password"
	check -1
	[ "${stderr}" = "inotify.sh: ${D}/c.conf:4: password file ${D}/password is writable by group or others (mode 620)" ]
	chmod 604 "${D}/password"
	check -1
	[ "${stderr}" = "inotify.sh: ${D}/c.conf:4: password file ${D}/password is accessible by others" ]
}

@test "SOURCE must be an existing absolute directory" {
	conf "TARGETS=${D}/dst"
	check -1
	[ "${stderr}" = "inotify.sh: ${D}/c.conf: SOURCE is not set" ]
	conf "SOURCE=src" "TARGETS=${D}/dst"
	check -1
	[ "${stderr}" = "inotify.sh: ${D}/c.conf:1: SOURCE must be an absolute path: 'src'" ]
	conf "TARGETS=${D}/dst" "SOURCE=${D}/nope"
	check -1
	[ "${stderr}" = "inotify.sh: ${D}/c.conf:2: SOURCE ${D}/nope: not a directory" ]
}

@test "TARGETS: required, known forms only, not inside SOURCE" {
	conf "SOURCE=${D}/src"
	check -1
	[ "${stderr}" = "inotify.sh: ${D}/c.conf: TARGETS is not set" ]
	conf "SOURCE=${D}/src" "TARGETS=relative/dir"
	check -1
	[ "${stderr}" = "inotify.sh: ${D}/c.conf:2: TARGETS: unrecognised target 'relative/dir'" ]
	conf "SOURCE=${D}/src" "TARGETS=${D}/src/backup"
	check -1
	[ "${stderr}" = "inotify.sh: ${D}/c.conf:2: TARGETS: ${D}/src/backup overlaps SOURCE ${D}/src" ]
	conf "SOURCE=${D}/src" \
	    "TARGETS=u@h::m rsync://u@h:873/m h:/p u@h:p /abs"
	check -0
}

@test "DELETE and the numeric keys are checked" {
	base 'DELETE=maybe'
	check -1
	[ "${stderr}" = "inotify.sh: ${D}/c.conf:4: DELETE must be yes or no: 'maybe'" ]
	base 'SETTLE_MS=fast'
	check -1
	[ "${stderr}" = "inotify.sh: ${D}/c.conf:4: SETTLE_MS must be a number: 'fast'" ]
	base 'BATCH_MAX=0'
	check -1
	[ "${stderr}" = "inotify.sh: ${D}/c.conf:4: BATCH_MAX must be at least 1" ]
	base 'LOG_FILE=relative.log'
	check -1
	[ "${stderr}" = "inotify.sh: ${D}/c.conf:4: LOG_FILE must be an absolute path: 'relative.log'" ]
}

@test "a missing config file is an error" {
	run -1 --separate-stderr bash "${INOTIFY_SH}" -c "${D}/none.conf"
	[ "${stderr}" = "inotify.sh: cannot read ${D}/none.conf: No such file or directory" ]
}

@test "a bad option prints the usage" {
	run -1 --separate-stderr bash "${INOTIFY_SH}" -x
	[ "${stderr}" = "usage: inotify.sh [-n] [-c FILE]" ]
}

@test "syncd start with an invalid config exits 6 and starts nothing" {
	base 'BOGUS=1'
	run -6 --separate-stderr bash "${SYNCD}" -c "${D}/c.conf" start
	[[ ${stderr} == "syncd: inotify.sh: ${D}/c.conf:4: unknown key 'BOGUS'" ]]
	[ ! -e "${D}/spool" ]
}
