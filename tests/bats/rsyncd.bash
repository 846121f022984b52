# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for the backup pipeline tests: a real `rsync --daemon` on
# 127.0.0.1 (random free port, `auth users` + secrets file), pipeline
# configs, and convergence checks.  Load after helpers:
#	load helpers
#	load rsyncd
# shellcheck disable=SC2016 # eval'd strings expand later
# shellcheck disable=SC2154 # top_builddir comes from helpers.bash

: "${top_srcdir:=$(cd "${BATS_TEST_DIRNAME}/../.." && pwd)}"
: "${RSYNC:=rsync}"
INOTIFY_SH=${top_srcdir}/scripts/inotify.sh
SYNCD=${top_srcdir}/scripts/syncd
export INOTIFY_SH SYNCD RSYNC

# Our inotifywait when it has been built, else the system's (only while
# the build's does not exist yet).
if [[ ! -x ${INOTIFYWAIT} ]]; then
	INOTIFYWAIT=$(command -v inotifywait || echo "${INOTIFYWAIT}")
fi
export INOTIFYWAIT

# using_system_inotifywait: true unless INOTIFYWAIT is our build's.
using_system_inotifywait() {
	[[ ${INOTIFYWAIT} != "${top_builddir}"/* ]]
}

# rsyncd_setup DIR: write the daemon config, its secrets file, the
# module directory DIR/module and the client password file DIR/password.
rsyncd_setup() {
	local dir=$1
	RSYNCD_DIR=${dir}
	mkdir -p "${dir}/module"
	printf 'syncuser:s3cret\n' >"${dir}/secrets"
	printf 's3cret\n' >"${dir}/password"
	chmod 600 "${dir}/secrets" "${dir}/password"
	cat >"${dir}/rsyncd.conf" <<-EOF
	pid file = ${dir}/rsyncd.pid
	log file = ${dir}/rsyncd.log
	use chroot = no
	uid = root
	gid = root
	[backup]
	path = ${dir}/module
	read only = no
	auth users = syncuser
	secrets file = ${dir}/secrets
	strict modes = yes
	EOF
	export RSYNCD_DIR
}

# rsyncd_up PORT: the daemon listens (or has given up).
rsyncd_up() {
	grep -q "listening on port $1" "${RSYNCD_DIR}/rsyncd.log" 2>/dev/null ||
	    ! kill -0 "${RSYNCD_PID}" 2>/dev/null
}

# rsyncd_start [PORT]: start the daemon on PORT, or on a random free
# port; sets RSYNCD_PORT, RSYNCD_PID and RSYNCD_URL.
rsyncd_start() {
	local port=${1:-} tries=0
	while :; do
		[[ -n ${1:-} ]] || port=$(( 20000 + RANDOM % 40000 ))
		: >"${RSYNCD_DIR}/rsyncd.log"
		"${RSYNC}" --daemon --no-detach --address=127.0.0.1 \
		    --port="${port}" --config="${RSYNCD_DIR}/rsyncd.conf" \
		    3>&- </dev/null >/dev/null 2>&1 &
		RSYNCD_PID=$!
		wait_for 10 rsyncd_up "${port}"
		if kill -0 "${RSYNCD_PID}" 2>/dev/null; then
			break
		fi
		tries=$(( tries + 1 ))
		if [[ -n ${1:-} ]] || (( tries > 20 )); then
			echo "rsyncd_start: cannot listen on ${port}" >&2
			cat "${RSYNCD_DIR}/rsyncd.log" >&2
			return 1
		fi
	done
	RSYNCD_PORT=${port}
	RSYNCD_URL=rsync://syncuser@127.0.0.1:${port}/backup
	export RSYNCD_PORT RSYNCD_PID RSYNCD_URL
}

# rsyncd_stop: stop the daemon (found by its pid file, so that a daemon
# restarted inside a test is stopped by teardown_file too).
rsyncd_stop() {
	[[ ! -r ${RSYNCD_DIR}/rsyncd.pid ]] ||
	    read -r RSYNCD_PID <"${RSYNCD_DIR}/rsyncd.pid" || true
	[[ -n ${RSYNCD_PID:-} ]] || return 0
	kill -TERM "${RSYNCD_PID}" 2>/dev/null || true
	wait "${RSYNCD_PID}" 2>/dev/null || true
	# A daemon started in setup_file is not our child in a test.
	wait_for 10 eval '! kill -0 "${RSYNCD_PID}" 2>/dev/null'
	RSYNCD_PID=
}

# pipeline_config FILE SOURCE TARGETS [KEY=value...]: a config with its
# spool, pid file and log next to FILE, fast settings for tests.
pipeline_config() {
	local file=$1 src=$2 targets=$3 dir
	shift 3
	dir=$(dirname "${file}")
	{
		printf 'SOURCE=%s\n' "${src}"
		printf 'TARGETS=%s\n' "${targets}"
		[[ -z ${RSYNCD_DIR:-} ]] ||
		    printf 'PASSWORD_FILE=%s\n' "${RSYNCD_DIR}/password"
		printf 'SPOOL_DIR=%s\n' "${dir}/spool"
		printf 'PID_FILE=%s\n' "${dir}/pipeline.pid"
		printf 'LOG_FILE=%s\n' "${dir}/pipeline.log"
		printf 'SETTLE_MS=50\nRETRY_MAX=1\nCONNECT_TIMEOUT=5\n'
		printf 'RSYNC_TIMEOUT=20\nSTOP_TIMEOUT=30\n'
		[[ $# -eq 0 ]] || printf '%s\n' "$@"
	} >"${file}"
	chmod 600 "${file}"
}

# started PIDFILE PID: PIDFILE holds PID, or PID has died.
started() {
	local p
	! kill -0 "$2" 2>/dev/null && return 0
	{ read -r p <"$1"; } 2>/dev/null && [[ ${p} == "$2" ]]
}

# pipeline_start CONF: run inotify.sh in the background until its watches
# are established (it writes its pid file then); sets PIPELINE_PID.
pipeline_start() {
	local dir
	dir=$(dirname "$1")
	bash "${INOTIFY_SH}" -c "$1" 3>&- </dev/null \
	    >"${dir}/pipeline.out" 2>"${dir}/pipeline.err" &
	PIPELINE_PID=$!
	export PIPELINE_PID
	wait_for 30 started "${dir}/pipeline.pid" "${PIPELINE_PID}"
	if ! kill -0 "${PIPELINE_PID}" 2>/dev/null; then
		cat "${dir}/pipeline.err" >&2
		return 1
	fi
}

# pipeline_stop: SIGTERM and wait; sets PIPELINE_STATUS.
pipeline_stop() {
	[[ -n ${PIPELINE_PID:-} ]] || return 0
	kill -TERM "${PIPELINE_PID}" 2>/dev/null || true
	export PIPELINE_STATUS=0
	wait "${PIPELINE_PID}" 2>/dev/null || PIPELINE_STATUS=$?
	wait_for 30 eval '! kill -0 "${PIPELINE_PID}" 2>/dev/null'
	PIPELINE_PID=
}

# tree_modes DIR: NUL-separated "mode type path" of every entry.
tree_modes() {
	(cd "$1" && find . -mindepth 1 -printf '%m %y %P\0' | sort -z)
}

# converged SRC DST: same names, contents and modes.
converged() {
	diff -r --no-dereference "$1" "$2" >/dev/null 2>&1 &&
	    cmp -s <(tree_modes "$1") <(tree_modes "$2")
}

# wait_converged SRC DST [SECONDS]: bounded wait; shows the difference
# when it times out.
wait_converged() {
	if ! wait_for "${3:-20}" converged "$1" "$2"; then
		diff -r --no-dereference "$1" "$2" >&2 || true
		diff <(tree_modes "$1" | tr '\0' '\n') \
		    <(tree_modes "$2" | tr '\0' '\n') >&2 || true
		return 1
	fi
}

# group_running PGID: a process of that group runs (zombies left for a
# slow init to reap do not count).
group_running() {
	local f stat state pgrp
	for f in /proc/[0-9]*/stat; do
		{ read -r stat <"${f}"; } 2>/dev/null || continue
		read -r state _ pgrp _ <<<"${stat##*) }"
		[[ ${pgrp} != "$1" || ${state} == Z ]] || return 0
	done
	return 1
}

# nobody CMD...: run CMD as the unprivileged attacker (uid and gid 65534,
# no supplementary groups).
nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
}

# open_to_nobody DIR: let uid 65534 reach DIR: o+x (never write) on the
# test's directories above it.
open_to_nobody() {
	local d=$1
	while [[ ${d} == "${BATS_RUN_TMPDIR}"* ]]; do
		chmod o+x -- "${d}"
		d=${d%/*}
	done
}

# named PID NAME: the command line of process PID starts with NAME.
named() {
	local cmd
	{ read -r -d '' cmd <"/proc/$1/cmdline"; } 2>/dev/null
	[[ ${cmd} == "$2" ]]
}

# impostor_start NAME: a process of uid 65534 that calls itself NAME
# (exec -a NAME sleep), in a session of its own; sets IMPOSTOR_PID.
impostor_start() {
	(cd / && exec setpriv --reuid=65534 --regid=65534 --clear-groups -- \
	    setsid bash -c "exec -a '$1' sleep 120") &
	IMPOSTOR_PID=$!
	wait_for 10 named "${IMPOSTOR_PID}" "$1"
}

# rsync327: set RSYNC327 to Debian 12's original rsync 3.2.7, fetched once
# with apt-get download and dpkg-deb -x into the build tree (a fresh Debian
# 12 has no copy of it); several test files may ask at once.
rsync327() {
	local dir=${top_builddir}/tests/cache/rsync-3.2.7 tmp
	RSYNC327=${dir}/usr/bin/rsync
	export RSYNC327
	mkdir -p "${top_builddir}/tests/cache"
	(
		flock 9
		[[ -x ${RSYNC327} ]] && exit 0
		tmp=$(mktemp -d)
		chmod 755 "${tmp}"
		cd "${tmp}" || exit 1
		apt-get download -q rsync=3.2.7-1+deb12u6 >/dev/null 2>&1 || {
			apt-get update -q >/dev/null 2>&1
			apt-get download -q rsync=3.2.7-1+deb12u6 >&2
		} || exit 1
		rm -rf "${dir}.new"
		dpkg-deb -x rsync_3.2.7-1+deb12u6_*.deb "${dir}.new" &&
		    mv "${dir}.new" "${dir}"
		rc=$?
		rm -rf "${tmp}"
		exit "${rc}"
	) 9>"${top_builddir}/tests/cache/rsync-3.2.7.lock"
	"${RSYNC327}" --version | grep -q 'version 3\.2\.7'
}

# attacker CMD ARG...: run the shell command CMD as the unprivileged user
# 65534, with ARG... as $1...
attacker() {
	setpriv --reuid=65534 --regid=65534 --clear-groups -- \
	    bash -c "set -e; $1" attacker "${@:2}"
}

# attacker_dirs DIR: let user 65534 reach DIR (and own it).
attacker_dirs() {
	local p=$1
	mkdir -p "$1"
	chown 65534:65534 "$1"
	while [[ ${p} != / ]]; do
		p=$(dirname "${p}")
		chmod o+x "${p}"
	done
}
