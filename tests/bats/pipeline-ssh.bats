#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# inotify.sh with an ssh target (user@host:/path) served by a real sshd
# on 127.0.0.1, the target side the unprivileged user nobody: replication,
# renames, deletes, odd names, an outage of sshd, and host keys that are
# wrong or unknown (refused; trusted on first use only when configured).

# shellcheck disable=SC2154 # env from make, bats
bats_require_minimum_version 1.5.0
load helpers
load rsyncd
load sshd

setup() {
	D=${BATS_TEST_TMPDIR}
	SRC=${D}/src
	DST=${D}/backup
	mkdir -p "${SRC}" "${DST}"
	sshd_setup "${D}/ssh"
	chown 65534:65534 "${DST}"
	sshd_start
}

teardown() {
	pipeline_stop
	sshd_stop
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		cat "${D}/pipeline.log" "${D}/pipeline.err" "${D}/ssh/sshd.log" \
		    >&2 || true
	fi
}

# ssh_config [RSH]: the pipeline's config for nobody@127.0.0.1:DST.
ssh_config() {
	pipeline_config "${D}/syncd.conf" "${SRC}" "nobody@127.0.0.1:${DST}" \
	    "RSYNC_RSH=${1:-${SSH_RSH}}"
}

# owned_by_nobody DIR: every entry below DIR belongs to uid 65534.
owned_by_nobody() {
	[ -z "$(find "$1" -mindepth 1 ! -uid 65534 -print -quit)" ]
}

@test "ssh target: replication, renames, deletes, names with spaces and newlines" {
	mkdir -p "${SRC}/a/b"
	echo x >"${SRC}/a/b/f"
	ssh_config
	pipeline_start "${D}/syncd.conf"
	wait_converged "${SRC}" "${DST}"
	echo y >"${SRC}/a/b/g"
	mv "${SRC}/a" "${SRC}/re named"
	echo z >"${SRC}/"$'new\nline $(id) `id`'
	mkdir "${SRC}/"$'d\nir'
	echo w >"${SRC}/"$'d\nir/with space'
	wait_converged "${SRC}" "${DST}"
	rm -r "${SRC}/re named" "${SRC}/"$'d\nir'
	wait_converged "${SRC}" "${DST}"
	# Written by nobody's login, over ssh; as batches, not only full syncs.
	owned_by_nobody "${DST}"
	run -0 grep -c 'batch target=nobody@127.0.0.1:.* rc=0' "${D}/pipeline.log"
	grep -q 'Accepted publickey for nobody from 127.0.0.1' "${D}/ssh/sshd.log"
}

@test "ssh target: changes made while sshd is down arrive once it is back" {
	echo before >"${SRC}/before"
	ssh_config
	pipeline_start "${D}/syncd.conf"
	wait_converged "${SRC}" "${DST}"
	sshd_stop
	echo during >"${SRC}/during"
	mv "${SRC}/before" "${SRC}/after"
	wait_for 20 file_has "${D}/pipeline.log" 'batch target=nobody@.* rc=255'
	[ ! -e "${DST}/during" ]
	sshd_start "${SSHD_PORT}"
	wait_converged "${SRC}" "${DST}" 60
	owned_by_nobody "${DST}"
}

@test "ssh target: a wrong host key is refused" {
	ssh-keygen -q -t ed25519 -N '' -f "${D}/other_key"
	printf '[127.0.0.1]:%s %s\n' "${SSHD_PORT}" \
	    "$(cut -d' ' -f1,2 "${D}/other_key.pub")" >"${SSH_KNOWN}"
	cp "${SSH_KNOWN}" "${D}/known.before"
	echo secret >"${SRC}/f"
	ssh_config
	pipeline_start "${D}/syncd.conf"
	wait_for 20 file_has "${D}/pipeline.log" 'full target=nobody@.* rc=255'
	run -0 grep -c 'HOST IDENTIFICATION HAS CHANGED\|Host key verification failed' \
	    "${D}/pipeline.log"
	[ -z "$(ls -A "${DST}")" ]
	cmp "${SSH_KNOWN}" "${D}/known.before"
	run -1 grep 'Accepted publickey' "${D}/ssh/sshd.log"
}

@test "ssh target: an unknown host key is not trusted on first use unless configured" {
	: >"${SSH_KNOWN}"
	echo secret >"${SRC}/f"
	ssh_config
	pipeline_start "${D}/syncd.conf"
	wait_for 20 file_has "${D}/pipeline.log" 'full target=nobody@.* rc=255'
	grep -q 'Host key verification failed' "${D}/pipeline.log"
	[ -z "$(ls -A "${DST}")" ]
	[ ! -s "${SSH_KNOWN}" ]
	pipeline_stop
	# Configured: accept-new records the key of a host not yet known.
	ssh_config "${SSH_RSH} -o StrictHostKeyChecking=accept-new"
	pipeline_start "${D}/syncd.conf"
	wait_converged "${SRC}" "${DST}"
	grep -q "^\[127.0.0.1\]:${SSHD_PORT} $(cut -d' ' -f1,2 "${D}/ssh/host_key.pub")\$" \
	    "${SSH_KNOWN}"
}
