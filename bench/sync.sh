#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# sync.sh: replication benchmark (issue 6), run by run.sh.  A source that
# already holds BENCH_SYNC_BASE files (100 directories of small files) is
# mirrored to a local target; each pipeline is started, proven live with a
# probe file, then syncprobe writes BENCH_SYNC_FILES files of 10-100 KB at
# full speed into the source and times their arrival in the target:
#   ours     scripts/inotify.sh (SETTLE_MS=200, BATCH_MAX=5000)
#   classic  inotifywait -mrq --format '%w%f' -e close_write,delete SRC |
#            while read file; do rsync -az "$file" --delete DST/; done
#   lsyncd   lsyncd, default.rsync, delay = 1
# Each pipeline runs in its own session and is stopped by its process group.
#
# Environment: BENCH_BIN, BENCH_WORK, BENCH_OUT (set by run.sh),
# INOTIFY_SH, INOTIFYWAIT (ours; else /usr/bin/inotifywait), BENCH_SYNC_FILES
# (10000), BENCH_SYNC_BASE (100000), BENCH_SYNC_REPS (BENCH_REPS, or 3:
# the classic loop runs in the first only), BENCH_SYNC_TIMEOUT
# (seconds per run, 90), BENCH_SYNC_CLASSIC_TIMEOUT (30), BENCH_SYNC_ONLY
# (ours,classic,lsyncd), BENCH_SYNC_KEEP (keep the work dir and logs).
set -euo pipefail

readonly PROG=bench-sync
BIN=${BENCH_BIN:?}
W=${BENCH_WORK:?}/sync
OUT=${BENCH_OUT:?}
FILES=${BENCH_SYNC_FILES:-10000}
BASE=${BENCH_SYNC_BASE:-100000}
REPS=${BENCH_SYNC_REPS:-${BENCH_REPS:-3}}
TIMEOUT=${BENCH_SYNC_TIMEOUT:-90}
# The classic loop never finishes a burst: cap it (its figures are then
# over what arrived in time; "missing" says how much did not).
CLASSIC_TIMEOUT=${BENCH_SYNC_CLASSIC_TIMEOUT:-30}
ONLY=${BENCH_SYNC_ONLY:-ours,classic,lsyncd}
SRC=${W}/src
DST=${W}/dst
PIPE_PID=
LOG_MARK=0

note() {
	echo "${PROG}: $*" >&2
}

die() {
	note "$*"
	exit 1
}

IW=${INOTIFYWAIT:-}
[ -x "${IW}" ] || IW=/usr/bin/inotifywait
[ -x "${IW}" ] || die "no inotifywait"
[ -f "${INOTIFY_SH:-}" ] || die "no scripts/inotify.sh"

record() {
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"${OUT}"
}

field() {
	local kv
	for kv in $2; do
		[ "${kv%%=*}" = "$1" ] && { echo "${kv#*=}"; return 0; }
	done
	echo NA
}

stop_pipeline() {
	local i
	[ -n "${PIPE_PID}" ] || return 0
	kill -TERM "${PIPE_PID}" 2>/dev/null || true
	for (( i = 0; i < 300; i++ )); do
		kill -0 "${PIPE_PID}" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-${PIPE_PID}" 2>/dev/null || true
	wait "${PIPE_PID}" 2>/dev/null || true
	PIPE_PID=
}

cleanup() {
	stop_pipeline
	if [ -n "${BENCH_SYNC_KEEP:-}" ]; then
		note "logs kept in ${W}"
	else
		rm -rf "${W}"
	fi
}
trap cleanup EXIT

# setup: the source with BASE files and its mirror.
setup() {
	local d per=1000 dirs
	dirs=$(( (BASE + per - 1) / per ))
	mkdir -p "${SRC}" "${DST}"
	for (( d = 0; d < dirs; d++ )); do
		mkdir "${SRC}/b${d}"
		"${BIN}/evgen" files "${SRC}/b${d}" "${per}" "${per}" 0 200 \
		    2>/dev/null
	done
	cp -a "${SRC}/." "${DST}/"
}

# start NAME: start pipeline NAME in its own session; sets PIPE_PID.
start() {
	case $1 in
	ours)
		cat >"${W}/syncd.conf" <<-EOF
		SOURCE=${SRC}
		TARGETS=${DST}
		RSYNC_OPTS=-a
		DELETE=yes
		SETTLE_MS=200
		BATCH_MAX=5000
		SPOOL_DIR=${W}/spool
		PID_FILE=${W}/syncd.pid
		LOG_FILE=${W}/ours.log
		EOF
		chmod 600 "${W}/syncd.conf"
		INOTIFYWAIT=${IW} setsid bash "${INOTIFY_SH}" \
		    -c "${W}/syncd.conf" </dev/null >>"${W}/ours.log" 2>&1 &
		;;
	classic)
		# shellcheck disable=SC2016
		setsid bash -c '"$1" -mrq --format "%w%f" -e close_write,delete "$2" |
		    while read file; do rsync -az $file --delete "$3"/; done' \
		    _ "${IW}" "${SRC}" "${DST}" </dev/null \
		    >>"${W}/classic.log" 2>&1 &
		;;
	lsyncd)
		cat >"${W}/lsyncd.lua" <<-EOF
		settings { logfile = "${W}/lsyncd.log", nodaemon = true }
		sync { default.rsync, source = "${SRC}", target = "${DST}",
		       delay = 1, rsync = { archive = true } }
		EOF
		setsid lsyncd "${W}/lsyncd.lua" </dev/null \
		    >>"${W}/lsyncd.out" 2>&1 &
		;;
	esac
	PIPE_PID=$!
}

# ready: a probe file reaches the target (watches up) and the initial sync
# is done, so that every pipeline meets the burst in its steady state (ours
# runs its initial full sync in the background: wait for its log line;
# lsyncd passes on events only after its startup sync anyway).
ready() {
	local k i
	for (( k = 0; k < 60; k++ )); do
		echo "${k}" >"${SRC}/probe-${k}"
		for (( i = 0; i < 20; i++ )); do
			if [ -f "${DST}/probe-${k}" ]; then
				[ "$1" != ours ] && return 0
				initial_sync_done && return 0
			fi
			kill -0 "${PIPE_PID}" 2>/dev/null || return 1
			sleep 0.1
		done
	done
	return 1
}

# initial_sync_done: ours has logged a successful full sync since start.
initial_sync_done() {
	tail -n "+$(( LOG_MARK + 1 ))" -- "${W}/ours.log" 2>/dev/null |
	    grep -q ' full target=.* rc=0$'
}

# reset: drop the burst and probes from both sides (pipeline stopped).
reset() {
	find "${SRC}" "${DST}" -maxdepth 1 -type f \
	    \( -name 's[0-9]*' -o -name 'probe-*' -o -name '.s[0-9]*' \) \
	    -delete
}

run_one() {
	local name=$1 line label="sync ${FILES} files" t=${TIMEOUT}
	[ "${name}" != classic ] || t=${CLASSIC_TIMEOUT}
	LOG_MARK=0
	[ ! -f "${W}/ours.log" ] || LOG_MARK=$(wc -l <"${W}/ours.log")
	start "${name}"
	if ! ready "${name}"; then
		note "${name}: not ready (see ${W}/${name}*.log)"
		tail -5 "${W}/${name}"*.log "${W}/${name}.out" 2>/dev/null >&2 || true
		stop_pipeline
		reset
		return 0
	fi
	line=$("${BIN}/syncprobe" -s "${SRC}" -d "${DST}" -n "${FILES}" \
	    -t "${t}" -i 20) || line=
	note "${name}: ${line}"
	stop_pipeline
	reset
	[ -n "${line}" ] || return 0
	record "${label}" files_per_s "${name}" "$(field files_per_s "${line}")"
	record "${label}" lag_median_ms "${name}" "$(field lag_median_ms "${line}")"
	record "${label}" lag_p99_ms "${name}" "$(field lag_p99_ms "${line}")"
	record "${label}" lag_after_last_write_ms "${name}" \
	    "$(field lag_last_ms "${line}")"
	record "${label}" missing "${name}" "$(field missing "${line}")"
}

main() {
	local r name
	mkdir -p "${W}"
	note "source of ${BASE} files, burst of ${FILES}; inotifywait ${IW}"
	setup
	for (( r = 0; r < REPS; r++ )); do
		for name in ours lsyncd classic; do
			[[ ",${ONLY}," == *",${name},"* ]] || continue
			# 30 s a run, a hundred times behind: once is enough.
			[ "${name}" != classic ] || (( r == 0 )) || continue
			if [ "${name}" = lsyncd ] && ! command -v lsyncd >/dev/null
			then
				note "lsyncd not installed: skipped"
				continue
			fi
			run_one "${name}"
		done
	done
}

main "$@"
