#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# A user who owns a directory in SOURCE swaps a synced directory for a
# symlink to a root-only directory: no batch name is ever resolved through
# it, with the system rsync and with Debian 12's rsync 3.2.7, also while
# the swap races the runs.

# shellcheck disable=SC2016,SC2154 # attacker scripts expand later; make env
bats_require_minimum_version 1.5.0
load helpers
load rsyncd

setup_file() {
	rsync327
	rsyncd_setup "${BATS_FILE_TMPDIR}/rsyncd"
	rsyncd_start
}

teardown_file() {
	rsyncd_stop
}

setup() {
	D=${BATS_TEST_TMPDIR}
	SRC=${D}/src
	DST=${D}/dst
	SECRET=${D}/secret
	mkdir -p "${SRC}" "${DST}" "${SECRET}/dir"
	chmod 700 "${SECRET}"
	echo topsecret >"${SECRET}/dir/f"
	attacker_dirs "${SRC}/u"
}

teardown() {
	[[ -z ${RACER:-} ]] || kill "${RACER}" 2>/dev/null || true
	pipeline_stop
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		tail -n 30 "${D}/pipeline.log" "${D}/pipeline.err" >&2 || true
	fi
}

# leaked: the root-only content is somewhere in the target.
leaked() {
	grep -rqs topsecret "${DST}"
}

# swap_once RSYNC: d/f synced, then d becomes a symlink to the secret;
# the target is the rsync daemon's module.
swap_once() {
	DST=${RSYNCD_DIR}/module/${BATS_TEST_NUMBER}
	mkdir -p "${DST}"
	pipeline_config "${D}/syncd.conf" "${SRC}" \
	    "${RSYNCD_URL}/${BATS_TEST_NUMBER}" "RSYNC_BIN=$1"
	pipeline_start "${D}/syncd.conf"
	attacker 'mkdir "$1/d"; echo mine >"$1/d/f"' "${SRC}/u"
	wait_converged "${SRC}" "${DST}"
	attacker 'rm -r "$1/d"; ln -s "$2" "$1/d"' "${SRC}/u" "${SECRET}/dir"
	# The daemon munges the symlink (munge symlinks): wait for its type.
	wait_for 20 test -L "${DST}/u/d"
	run ! leaked
}

@test "a parent swapped for a symlink is synced as the symlink (system rsync)" {
	swap_once "${RSYNC}"
}

@test "a parent swapped for a symlink is synced as the symlink (rsync 3.2.7)" {
	swap_once "${RSYNC327}"
}

# race RSYNC: the attacker swaps d between a directory with a fresh file
# and the symlink, as fast as it can, while the batches run (to the
# daemon: rsync 3.2.7 as a receiver fails on --delete-missing-args).
race() {
	local i
	DST=${RSYNCD_DIR}/module/${BATS_TEST_NUMBER}
	mkdir -p "${DST}"
	pipeline_config "${D}/syncd.conf" "${SRC}" \
	    "${RSYNCD_URL}/${BATS_TEST_NUMBER}" "RSYNC_BIN=$1" SETTLE_MS=0
	pipeline_start "${D}/syncd.conf"
	setpriv --reuid=65534 --regid=65534 --clear-groups -- bash -c '
	while :; do
		rm -rf "$1/d"; mkdir "$1/d"; echo mine >"$1/d/f"
		rm -rf "$1/d"; ln -s "$2" "$1/d"
	done' attacker "${SRC}/u" "${SECRET}/dir" 3>&- &
	RACER=$!
	for (( i = 0; i < 150; i++ )); do
		! leaked || break
		sleep 0.05
	done
	kill "${RACER}"
	wait "${RACER}" || true
	RACER=
	run ! leaked
	attacker 'rm -rf "$1/d"; mkdir "$1/d"; echo final >"$1/d/f"' "${SRC}/u"
	wait_converged "${SRC}" "${DST}" 60
	run ! leaked
}

@test "a parent swapped back and forth during the runs never leaks (system rsync)" {
	race "${RSYNC}"
}

@test "a parent swapped back and forth during the runs never leaks (rsync 3.2.7)" {
	race "${RSYNC327}"
}
