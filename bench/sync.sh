#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# sync.sh: replication benchmark (issues 6 and 16), run by run.sh.  A
# source that already holds BENCH_SYNC_BASE files (100 directories of small
# files) is mirrored to a target; each pipeline is started, proven live
# with a probe file, then syncprobe writes BENCH_SYNC_FILES files of
# 10-100 KB at full speed into the source and times their arrival in the
# target.  The target is an rsync daemon with `auth users` on 127.0.0.1
# (row "daemon"), then a local directory (row "local"):
#   ours     scripts/inotify.sh (its defaults but BATCH_MAX=5000)
#   before   BENCH_SYNC_BEFORE, another inotify.sh (e.g. main's) for an A/B
#            in the same run, set up as ours
#   classic  inotifywait -mrq --format '%w%f' -e close_write,delete SRC |
#            while read file; do rsync -az "$file" --delete DST/; done
#            (daemon row only: 30 s, it never finishes)
#   lsyncd   lsyncd, default.rsync, delay = 1
#   floor    no pipeline: the burst is written, then one `rsync -a` of its
#            names to the target is timed (the transfer floor)
# then, against the daemon:
#   trickle  BENCH_SYNC_TRICKLE files of 10-100 KB, one every 50 ms
#            (ours, before)
#   two      ours with two targets, the daemon and the same daemon through
#            a proxy that passes 1 MB/s (socat + pv): the burst's figures
#            at the fast target, to compare with ours alone.
# Each pipeline runs in its own session and is stopped by its process group.
#
# Environment: BENCH_BIN, BENCH_WORK, BENCH_OUT (set by run.sh),
# INOTIFY_SH, INOTIFYWAIT (ours; else /usr/bin/inotifywait), BENCH_SYNC_FILES
# (10000), BENCH_SYNC_BASE (100000), BENCH_SYNC_REPS (BENCH_REPS, or 3:
# the classic loop, trickle and two-target runs run in the first only),
# BENCH_SYNC_TIMEOUT (seconds per run, 90), BENCH_SYNC_CLASSIC_TIMEOUT (30),
# BENCH_SYNC_TRICKLE (200), BENCH_SYNC_ONLY (a comma list of
# ours,before,lsyncd,classic,floor,trickle,two,local; more names are left to
# other runs, e.g. a fanotify back-end or a bigger tree: a name this script
# does not know is ignored), BENCH_SYNC_BEFORE, BENCH_SYNC_KEEP (keep the
# work dir and logs).
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
TRICKLE=${BENCH_SYNC_TRICKLE:-200}
ONLY=${BENCH_SYNC_ONLY:-ours,before,lsyncd,classic,floor,trickle,two,local}
BEFORE=${BENCH_SYNC_BEFORE:-}
SRC=${W}/src
DST=${W}/dst
SLOW=${W}/slow
PIPE_PID=
DAEMON_PID=
PROXY_PID=
LOG_MARK=0
# The target of the current row: a URL (daemon) or DST (local), and the
# options every client of the daemon needs.
TGT=
RSYNC_AUTH=()

note() {
	echo "${PROG}: $*" >&2
}

die() {
	note "$*"
	exit 1
}

want() {
	[[ ",${ONLY}," == *",$1,"* ]]
}

IW=${INOTIFYWAIT:-}
[ -x "${IW}" ] || IW=/usr/bin/inotifywait
[ -x "${IW}" ] || die "no inotifywait"
[ -f "${INOTIFY_SH:-}" ] || die "no scripts/inotify.sh"
[ -z "${BEFORE}" ] || [ -f "${BEFORE}" ] || die "no ${BEFORE}"

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

# group_stop PID: TERM the session leader PID, then KILL its group.
group_stop() {
	local i
	kill -TERM "$1" 2>/dev/null || true
	for (( i = 0; i < ${STOP_WAIT:-300}; i++ )); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

stop_pipeline() {
	[ -n "${PIPE_PID}" ] || return 0
	group_stop "${PIPE_PID}"
	PIPE_PID=
}

cleanup() {
	stop_pipeline
	[ -z "${PROXY_PID}" ] || group_stop "${PROXY_PID}"
	[ -z "${DAEMON_PID}" ] || group_stop "${DAEMON_PID}"
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
	mkdir -p "${SRC}" "${DST}" "${SLOW}"
	for (( d = 0; d < dirs; d++ )); do
		mkdir "${SRC}/b${d}"
		"${BIN}/evgen" files "${SRC}/b${d}" "${per}" "${per}" 0 200 \
		    2>/dev/null
	done
	cp -a "${SRC}/." "${DST}/"
	cp -a "${SRC}/." "${SLOW}/"
}

# daemon_start: rsync --daemon on 127.0.0.1 (a free port), modules
# "backup" (DST) and "slow" (SLOW) with auth users; sets DAEMON_PORT.
daemon_start() {
	local port tries i
	printf 'bench:b3nch\n' >"${W}/secrets"
	printf 'b3nch\n' >"${W}/password"
	chmod 600 "${W}/secrets" "${W}/password"
	cat >"${W}/rsyncd.conf" <<-EOF
	log file = ${W}/rsyncd.log
	use chroot = no
	uid = root
	gid = root
	max connections = 0
	[backup]
	path = ${DST}
	read only = no
	auth users = bench
	secrets file = ${W}/secrets
	[slow]
	path = ${SLOW}
	read only = no
	auth users = bench
	secrets file = ${W}/secrets
	EOF
	for (( tries = 0; tries < 20; tries++ )); do
		port=$(( 20000 + RANDOM % 40000 ))
		: >"${W}/rsyncd.log"
		setsid rsync --daemon --no-detach --address=127.0.0.1 \
		    --port="${port}" --config="${W}/rsyncd.conf" </dev/null \
		    >/dev/null 2>&1 &
		DAEMON_PID=$!
		for (( i = 0; i < 50; i++ )); do
			grep -q "listening on port ${port}" "${W}/rsyncd.log" &&
			    { DAEMON_PORT=${port}; return 0; }
			kill -0 "${DAEMON_PID}" 2>/dev/null || break
			sleep 0.1
		done
		group_stop "${DAEMON_PID}"
		DAEMON_PID=
	done
	die "cannot start rsync --daemon"
}

# proxy_start: a TCP proxy on 127.0.0.1 to the daemon that passes the
# client's data at 1 MB/s; sets PROXY_PORT.
proxy_start() {
	local port tries i
	for (( tries = 0; tries < 20; tries++ )); do
		port=$(( 20000 + RANDOM % 40000 ))
		setsid socat "TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork" \
		    "SYSTEM:pv -q -L 1m | socat - TCP\:127.0.0.1\:${DAEMON_PORT}" \
		    </dev/null >>"${W}/proxy.log" 2>&1 &
		PROXY_PID=$!
		for (( i = 0; i < 50; i++ )); do
			if rsync --list-only --contimeout=5 \
			    "--password-file=${W}/password" \
			    "rsync://bench@127.0.0.1:${port}/slow/probe-none" \
			    >/dev/null 2>&1 || (( $? == 23 )); then
				PROXY_PORT=${port}
				return 0
			fi
			kill -0 "${PROXY_PID}" 2>/dev/null || break
			sleep 0.1
		done
		group_stop "${PROXY_PID}"
		PROXY_PID=
	done
	note "cannot start the 1 MB/s proxy"
	return 1
}

# ours_conf SCRIPT TARGETS: write W/syncd.conf (the script's defaults, the
# bench's paths).
ours_conf() {
	{
		printf 'SOURCE=%s\n' "${SRC}"
		printf 'TARGETS=%s\n' "$1"
		[[ ${#RSYNC_AUTH[@]} -eq 0 ]] ||
		    printf 'PASSWORD_FILE=%s\n' "${W}/password"
		printf 'DELETE=yes\nBATCH_MAX=5000\n'
		printf 'SPOOL_DIR=%s\nPID_FILE=%s\nLOG_FILE=%s\n' \
		    "${W}/spool" "${W}/syncd.pid" "${W}/ours.log"
	} >"${W}/syncd.conf"
	chmod 600 "${W}/syncd.conf"
}

# start NAME [TARGETS]: start pipeline NAME in its own session; sets
# PIPE_PID.
start() {
	local script=${INOTIFY_SH} auth=
	case $1 in
	ours|before)
		[ "$1" = ours ] || script=${BEFORE}
		rm -rf "${W}/spool"
		ours_conf "${2:-${TGT}}"
		INOTIFYWAIT=${IW} setsid bash "${script}" \
		    -c "${W}/syncd.conf" </dev/null >>"${W}/ours.log" 2>&1 &
		;;
	classic)
		# shellcheck disable=SC2016
		setsid bash -c '"$1" -mrq --format "%w%f" -e close_write,delete "$2" |
		    while read file; do rsync -az "${@:4}" $file --delete "$3"/; done' \
		    _ "${IW}" "${SRC}" "${TGT}" ${RSYNC_AUTH[@]+"${RSYNC_AUTH[@]}"} \
		    </dev/null >>"${W}/classic.log" 2>&1 &
		;;
	lsyncd)
		[[ ${#RSYNC_AUTH[@]} -eq 0 ]] ||
		    auth=", password_file = \"${W}/password\""
		cat >"${W}/lsyncd.lua" <<-EOF
		settings { logfile = "${W}/lsyncd.log", nodaemon = true }
		sync { default.rsync, source = "${SRC}", target = "${TGT}/",
		       delay = 1, rsync = { archive = true${auth} } }
		EOF
		setsid lsyncd "${W}/lsyncd.lua" </dev/null \
		    >>"${W}/lsyncd.out" 2>&1 &
		;;
	esac
	PIPE_PID=$!
}

# ready NAME: a probe file reaches the target (watches up) and the initial
# sync is done, so that every pipeline meets the burst in its steady state
# (ours runs its initial full sync in the background: wait for its log
# line; lsyncd passes on events only after its startup sync anyway).
ready() {
	local k i
	for (( k = 0; k < 60; k++ )); do
		echo "${k}" >"${SRC}/probe-${k}"
		for (( i = 0; i < 20; i++ )); do
			if [ -f "${DST}/probe-${k}" ]; then
				[ "$1" = ours ] || [ "$1" = before ] ||
				    return 0
				initial_sync_done && return 0
			fi
			kill -0 "${PIPE_PID}" 2>/dev/null || return 1
			sleep 0.1
		done
	done
	return 1
}

# initial_sync_done: ours has logged a successful full sync of every
# target since start.
initial_sync_done() {
	local n
	n=$(tail -n "+$(( LOG_MARK + 1 ))" -- "${W}/ours.log" 2>/dev/null |
	    grep -c ' full target=.* rc=0$') || true
	(( n >= ${NTARGETS:-1} ))
}

# reset: drop the burst and probes from every side (pipeline stopped).
reset() {
	find "${SRC}" "${DST}" "${SLOW}" -maxdepth 1 -type f \
	    \( -name 's[0-9]*' -o -name 'probe-*' -o -name '.s[0-9]*' \) \
	    -delete
}

# run_probe LABEL NAME ARGS...: run NAME, then syncprobe ARGS against it;
# records its figures under LABEL.
run_probe() {
	local label=$1 name=$2 line col=${COL:-$2}
	shift 2
	LOG_MARK=0
	[ ! -f "${W}/ours.log" ] || LOG_MARK=$(wc -l <"${W}/ours.log")
	start "${name}" ${TARGETS2:+"${TARGETS2}"}
	if ! ready "${name}"; then
		note "${name}: not ready (see ${W}/${name}*.log)"
		tail -5 "${W}/${name}"*.log "${W}/${name}.out" 2>/dev/null >&2 || true
		stop_pipeline
		reset
		return 0
	fi
	line=$("${BIN}/syncprobe" -s "${SRC}" -d "${DST}" "$@") || line=
	note "${label} ${col}: ${line}"
	stop_pipeline
	reset
	[ -n "${line}" ] || return 0
	record "${label}" files_per_s "${col}" "$(field files_per_s "${line}")"
	record "${label}" lag_median_ms "${col}" "$(field lag_median_ms "${line}")"
	record "${label}" lag_p99_ms "${col}" "$(field lag_p99_ms "${line}")"
	record "${label}" lag_after_last_write_ms "${col}" \
	    "$(field lag_last_ms "${line}")"
	record "${label}" missing "${col}" "$(field missing "${line}")"
}

# run_floor LABEL: write the burst with no pipeline, then time one
# `rsync -a` of its names to the target.
run_floor() {
	local t0 t1 rc=0
	"${BIN}/syncprobe" -s "${SRC}" -w -n "${FILES}" >/dev/null
	(cd "${SRC}" && find . -maxdepth 1 -name 's[0-9]*' -printf '%P\n') \
	    >"${W}/floor.list"
	t0=${EPOCHREALTIME/./}
	rsync -a ${RSYNC_AUTH[@]+"${RSYNC_AUTH[@]}"} \
	    "--files-from=${W}/floor.list" "${SRC}/" "${TGT}/" || rc=$?
	t1=${EPOCHREALTIME/./}
	reset
	(( rc == 0 )) || { note "floor: rsync failed (${rc})"; return 0; }
	note "$1 floor: $(( (t1 - t0) / 1000 )) ms"
	record "$1" lag_after_last_write_ms floor $(( (t1 - t0) / 1000 ))
	record "$1" files_per_s floor $(( FILES * 1000000 / (t1 - t0) ))
}

# row KIND: the burst against the daemon or the local directory.
row() {
	local label="sync $1 ${FILES} files" r name
	for (( r = 0; r < REPS; r++ )); do
		for name in ours before lsyncd classic floor; do
			want "${name}" || continue
			case ${name} in
			before)	[ -n "${BEFORE}" ] || continue ;;
			# 30 s a run, a hundred times behind: once is enough.
			classic)
				if [ "$1" != daemon ] || (( r > 0 )); then
					continue
				fi
				;;
			lsyncd)
				if ! command -v lsyncd >/dev/null; then
					(( r > 0 )) || note "lsyncd not installed: skipped"
					continue
				fi
				;;
			esac
			if [ "${name}" = floor ]; then
				run_floor "${label}"
			elif [ "${name}" = classic ]; then
				run_probe "${label}" classic -n "${FILES}" \
				    -t "${CLASSIC_TIMEOUT}" -i 20
			else
				run_probe "${label}" "${name}" -n "${FILES}" \
				    -t "${TIMEOUT}" -i 20
			fi
		done
	done
}

# trickle: one file every 50 ms against the daemon.
trickle() {
	local name
	for name in ours before; do
		[ "${name}" = ours ] || [ -n "${BEFORE}" ] || continue
		want "${name}" || continue
		run_probe "sync daemon trickle ${TRICKLE} files every 50 ms" \
		    "${name}" -n "${TRICKLE}" -p 50 -t "${TIMEOUT}" -i 10
	done
}

# two: ours with a second target behind the 1 MB/s proxy; the figures are
# the fast target's.  The slow target is stopped with the pipeline.
two() {
	proxy_start || return 0
	# The slow target's backlog is not waited for at the end.
	COL=ours-2targets NTARGETS=2 STOP_WAIT=20 \
	    TARGETS2="${TGT} rsync://bench@127.0.0.1:${PROXY_PORT}/slow" \
	    run_probe "sync daemon ${FILES} files" ours -n "${FILES}" \
	    -t "${TIMEOUT}" -i 20
}

main() {
	mkdir -p "${W}"
	note "source of ${BASE} files, burst of ${FILES}; inotifywait ${IW}"
	setup
	daemon_start
	TGT=rsync://bench@127.0.0.1:${DAEMON_PORT}/backup
	RSYNC_AUTH=("--password-file=${W}/password")
	row daemon
	! want trickle || trickle
	! want two || two
	if want local; then
		TGT=${DST}
		RSYNC_AUTH=()
		row local
	fi
}

main "$@"
