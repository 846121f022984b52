#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# A directory path longer than PATH_MAX, made by an unprivileged user, does
# not stop the service: the rest is watched and synced, and `syncd status`
# counts what is not watched.

# shellcheck disable=SC2154 # env from make
bats_require_minimum_version 1.5.0
load helpers
load rsyncd

setup() {
	D=${BATS_TEST_TMPDIR}
	SRC=${D}/src
	DST=${D}/dst
	mkdir -p "${SRC}" "${DST}"
	attacker_dirs "${SRC}/u"
}

teardown() {
	pipeline_stop
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		tail -n 30 "${D}/pipeline.log" "${D}/pipeline.err" >&2 || true
	fi
}

@test "a path past PATH_MAX does not stop the service; status counts it" {
	# 22 levels of 200-byte names: levels 21, 22 and "deep" are past it.
	attacker 'cd "$1"; n=$(printf "x%.0s" {1..200})
		for i in {1..22}; do mkdir "$n"; cd "$n"; done; mkdir deep' \
	    "${SRC}/u"
	pipeline_config "${D}/syncd.conf" "${SRC}" "${DST}"
	pipeline_start "${D}/syncd.conf"
	echo elsewhere >"${SRC}/f"
	wait_for 20 test -e "${DST}/f"
	wait_for 30 file_has "${D}/pipeline.log" \
	    '3 director(y/ies) in .* not watched: path longer than PATH_MAX'
	run -0 bash "${SYNCD}" -c "${D}/syncd.conf" status
	[[ ${output} == *"not watched: 3 path(s)"* ]]
}
