#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# demo.sh DIR: show the replication pipeline at work (`make demo`).
# Creates DIR/src and DIR/dst, a config with DIR/dst as a local target,
# runs inotify.sh with its log on this terminal, makes a few changes in
# DIR/src and stops once DIR/dst matches (at most about 10 s, or Ctrl-C).
set -euo pipefail
shopt -s nullglob

readonly PROG=demo.sh
HERE=${BASH_SOURCE[0]%/*}
[[ ${BASH_SOURCE[0]} == */* ]] || HERE=.
HERE=$(cd -- "${HERE}" && pwd)
PIPELINE_PID=

die() {
	printf '%s: %s\n' "${PROG}" "$*" >&2
	exit 1
}

say() {
	printf '\n==> %s\n' "$*"
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s, bounded.
wait_until() {
	local n=$(( $1 * 10 ))
	shift
	until "$@"; do
		(( n-- > 0 )) || return 1
		sleep 0.1
	done
}

started() {
	local p
	{ read -r p <"${DIR}/syncd.pid"; } 2>/dev/null &&
	    [[ ${p} == "${PIPELINE_PID}" ]]
}

# same: the copy matches and nothing is left in the queues.
same() {
	local -a queued=("${DIR}"/spool/target-*/queue/* \
	    "${DIR}"/spool/target-*/merged)
	(( ${#queued[@]} == 0 )) &&
	    diff -r "${DIR}/src" "${DIR}/dst" >/dev/null 2>&1
}

stop() {
	[[ -n ${PIPELINE_PID} ]] || return 0
	kill -TERM "${PIPELINE_PID}" 2>/dev/null || true
	wait "${PIPELINE_PID}" 2>/dev/null || true
	PIPELINE_PID=
}

changes() {
	say "making changes in ${DIR}/src"
	mkdir -p "${DIR}/src/docs/2024"
	echo "hello, backup" >"${DIR}/src/hello.txt"
	seq 1 10000 >"${DIR}/src/docs/2024/numbers"
	echo "a name with spaces" >"${DIR}/src/docs/my notes.txt"
	echo draft >"${DIR}/src/draft"
	mv "${DIR}/src/draft" "${DIR}/src/final"
	chmod 600 "${DIR}/src/final"
	rm "${DIR}/src/old.txt"
}

main() {
	(( $# == 1 )) || die "usage: ${PROG} DIR"
	DIR=$1
	[[ ${DIR} == /* ]] || DIR=${PWD}/${DIR}
	if [[ -n ${INOTIFYWAIT:-} && ! -x ${INOTIFYWAIT} ]]; then
		unset INOTIFYWAIT
	fi
	rm -rf -- "${DIR}"
	mkdir -p -- "${DIR}/src" "${DIR}/dst"
	echo "this file is deleted during the demo" >"${DIR}/src/old.txt"
	umask 077
	cat >"${DIR}/syncd.conf" <<-EOF
	# demo config written by ${PROG}
	SOURCE=${DIR}/src
	TARGETS=${DIR}/dst
	DELETE=yes
	SETTLE_MS=200
	SPOOL_DIR=${DIR}/spool
	PID_FILE=${DIR}/syncd.pid
	LOG_FILE=-
	EOF
	umask 022
	say "config ${DIR}/syncd.conf:"
	grep -v '^#' "${DIR}/syncd.conf"
	say "starting: inotify.sh -c ${DIR}/syncd.conf"
	trap 'stop; exit 130' INT
	trap 'stop' EXIT
	bash "${HERE}/inotify.sh" -c "${DIR}/syncd.conf" </dev/null &
	PIPELINE_PID=$!
	wait_until 30 started || die "the pipeline did not start"
	wait_until 10 same || true
	changes
	if wait_until 10 same; then
		say "${DIR}/dst now matches ${DIR}/src:"
	else
		say "not in sync after 10 s; differences:"
		diff -r "${DIR}/src" "${DIR}/dst" || true
	fi
	(cd "${DIR}/dst" && find . -printf '%M %8s  %p\n' | sort -k3)
	say "stopping (SIGTERM drains the queue)"
	stop
	say "done; the log lines above show one line per batch." \
	    "Try it yourself: bash ${HERE}/inotify.sh -c ${DIR}/syncd.conf"
}

main "$@"
