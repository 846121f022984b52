#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# inotify.sh: replicate a directory tree to rsync targets in real time.
#
#	inotify.sh [-n] [-c FILE]
#
# Reads KEY=value settings (never executed), starts inotifywait on SOURCE,
# waits until its watches are established, then queues a full sync for
# every target and ships batches of changed names: collected for SETTLE_MS
# or up to BATCH_MAX names, then one rsync per target with the names sent
# NUL-separated through --files-from (a big batch as parallel rsyncs on
# disjoint subtrees; full syncs run niced in the background, batches go
# on meanwhile and are rechecked after them).  Each target has its own
# worker and its own spool directory, so a target that is down only delays
# itself; its batches stay on disk until an rsync run covering them
# succeeds.
# SIGTERM/SIGINT drain the queue and exit 0; SIGHUP re-reads the config.
# See syncd(8).
set -euo pipefail
export LC_ALL=C
shopt -s nullglob

readonly PROG=inotify.sh
readonly EVENTS=close_write,moved_to,moved_from,create,delete,attrib,q_overflow
readonly KEYS=" SOURCE TARGETS PASSWORD_FILE RSYNC_OPTS RSYNC_RSH RSYNC_BIN \
EXCLUDE DELETE SETTLE_MS BATCH_MAX SPOOL_DIR PID_FILE LOG_FILE \
FULL_SYNC_INTERVAL RETRY_MAX RSYNC_TIMEOUT CONNECT_TIMEOUT STOP_TIMEOUT \
METRICS_FILE "

# Set by `make install` to $(sysconfdir)/syncd.conf.
SYNCD_CONF_DEFAULT=/etc/syncd.conf

# The program itself, for `exec` on reload.
SELF=${BASH_SOURCE[0]}

# Config, C[KEY], set by config_load.
declare -A C=()
TARGET_LIST=()		# TARGETS split
TARGET_DIRS=()		# per-target spool directory
RSYNC_OPTS_A=()		# RSYNC_OPTS split
EXCLUDE_A=()		# --exclude=PATTERN arguments

# Collector state.
BATCH=()		# names of the batch being collected
NB=0			# their number
BATCH_T0=0		# arrival of its first name (microseconds)
BATCH_SEQ=0
WATCHER_PID=
LOGGER_PID=
EV_FD=
WORKER_FDS=()
WORKER_PIDS=()
LOCK_FD=
SLEEP_FD=
SPLIT_PID=
RUN=
EV_SEQ=0
EV_PART=
EV_CHUNK=20000
REC=
OVERFLOW=0
PDEATH=()		# runs a command that dies with its parent
STOP=0
RELOAD=0
METRICS_DUE=0		# a run ended since METRICS_FILE was written

die() {
	printf '%s: %s\n' "${PROG}" "$*" >&2
	exit 1
}

usage() {
	printf 'usage: %s [-n] [-c FILE]\n' "${PROG}" >&2
	exit 1
}

# now_us: set REPLY to the wall clock in microseconds.
now_us() {
	REPLY=${EPOCHREALTIME/./}
}

# secs US: set REPLY to US microseconds as seconds with a fraction.
secs() {
	printf -v REPLY '%d.%06d' $(( $1 / 1000000 )) $(( $1 % 1000000 ))
}

# log LEVEL MSG: one line to LOG_FILE, syslog or stderr.
log() {
	local level=$1
	shift
	case ${C[LOG_FILE]:-syslog} in
	syslog)
		logger -t "${PROG}[$$]" -p "daemon.${level}" -- "$*" \
		    2>/dev/null || true
		;;
	-)
		printf '%(%Y-%m-%dT%H:%M:%S)T %s[%d]: %s: %s\n' -1 "${PROG}" \
		    "${BASHPID}" "${level}" "$*" >&2 || true
		;;
	*)
		printf '%(%Y-%m-%dT%H:%M:%S)T %s[%d]: %s: %s\n' -1 "${PROG}" \
		    "${BASHPID}" "${level}" "$*" >>"${C[LOG_FILE]}" || true
		;;
	esac
}

# --- configuration ---------------------------------------------------------

config_defaults() {
	C=(
		[SOURCE]='' [TARGETS]='' [PASSWORD_FILE]='' [RSYNC_OPTS]=-a
		[RSYNC_RSH]='' [RSYNC_BIN]="${RSYNC:-rsync}" [EXCLUDE]='' 
		[DELETE]=yes [SETTLE_MS]=200 [BATCH_MAX]=5000
		[SPOOL_DIR]=/var/spool/syncd [PID_FILE]=/run/syncd.pid
		[LOG_FILE]=syslog [FULL_SYNC_INTERVAL]=0 [RETRY_MAX]=300
		[RSYNC_TIMEOUT]=120 [CONNECT_TIMEOUT]=10 [STOP_TIMEOUT]=60
		[METRICS_FILE]=''
	)
}

# private_file WHAT FILE: refuse a file that group or others may write.
private_file() {
	local mode
	[[ -f $2 ]] || die "$1 $2: not a regular file"
	mode=$(stat -L -c '%a' -- "$2") || die "$1 $2: cannot stat"
	if (( 8#${mode} & 8#022 )); then
		die "$1 $2 is writable by group or others (mode ${mode})"
	fi
}

# config_read FILE: KEY=value lines; blank lines and lines starting with
# `#` are ignored; one pair of surrounding quotes is removed.
config_read() {
	local file=$1 line key val n=0
	[[ -r ${file} ]] || die "cannot read config ${file}"
	private_file config "${file}"
	while IFS= read -r line || [[ -n ${line} ]]; do
		n=$(( n + 1 ))
		line=${line%$'\r'}
		[[ ${line} =~ ^[[:space:]]*(#|$) ]] && continue
		if [[ ! ${line} =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]]
		then
			die "${file}:${n}: expected KEY=value"
		fi
		key=${BASH_REMATCH[1]}
		val=${BASH_REMATCH[2]}
		val=${val%"${val##*[![:space:]]}"}
		[[ ${KEYS} == *" ${key} "* ]] ||
		    die "${file}:${n}: unknown key '${key}'"
		if [[ ${val} =~ ^\"(.*)\"$ || ${val} =~ ^\'(.*)\'$ ]]; then
			val=${BASH_REMATCH[1]}
		fi
		C[${key}]=${val}
	done <"${file}"
}

# uint KEY MIN: the value of KEY must be a decimal integer >= MIN.
uint() {
	[[ ${C[$1]} =~ ^[0-9]{1,9}$ ]] ||
	    die "$1 must be a number: '${C[$1]}'"
	C[$1]=$(( 10#${C[$1]} ))
	(( C[$1] >= $2 )) || die "$1 must be at least $2"
}

# abspath KEY: the value must be an absolute path (or empty if allowed).
abspath() {
	[[ ${C[$1]} == /* ]] || die "$1 must be an absolute path: '${C[$1]}'"
}

# target_kind T: set REPLY to daemon, ssh or local; die if unknown.
target_kind() {
	case $1 in
	rsync://?*/?*)	REPLY=daemon ;;
	*::?*)		REPLY=daemon ;;
	/*)		REPLY=local ;;
	[!/:]*:*)	REPLY=ssh ;;
	*)		die "TARGETS: unrecognised target '$1'" ;;
	esac
}

config_check() {
	local t dir
	local -a pats=()
	[[ -n ${C[SOURCE]} ]] || die "SOURCE is not set"
	abspath SOURCE
	[[ -d ${C[SOURCE]} ]] || die "SOURCE ${C[SOURCE]}: not a directory"
	dir=$(cd -P -- "${C[SOURCE]}" && pwd -P) ||
	    die "SOURCE ${C[SOURCE]}: cannot enter"
	C[SOURCE]=${dir}
	read -r -a TARGET_LIST <<<"${C[TARGETS]}" || true
	(( ${#TARGET_LIST[@]} )) || die "TARGETS is not set"
	for t in "${TARGET_LIST[@]}"; do
		target_kind "${t}"
		[[ ${REPLY} == local ]] || continue
		t=${t%/}
		if [[ ${t}/ == "${dir%/}/"* || ${dir}/ == "${t}/"* ]]; then
			die "TARGETS: ${t} overlaps SOURCE ${dir}"
		fi
	done
	if [[ -n ${C[PASSWORD_FILE]} ]]; then
		abspath PASSWORD_FILE
		private_file "password file" "${C[PASSWORD_FILE]}"
		if (( 8#$(stat -L -c '%a' -- "${C[PASSWORD_FILE]}") & 8#007 ))
		then
			die "password file ${C[PASSWORD_FILE]} is accessible" \
			    "by others"
		fi
	fi
	case ${C[DELETE]} in
	yes|no) ;;
	*) die "DELETE must be yes or no: '${C[DELETE]}'" ;;
	esac
	uint SETTLE_MS 0
	uint BATCH_MAX 1
	uint FULL_SYNC_INTERVAL 0
	uint RETRY_MAX 1
	uint RSYNC_TIMEOUT 0
	uint CONNECT_TIMEOUT 0
	uint STOP_TIMEOUT 1
	abspath SPOOL_DIR
	[[ -z ${C[PID_FILE]} ]] || abspath PID_FILE
	[[ -z ${C[METRICS_FILE]} ]] || abspath METRICS_FILE
	[[ ${C[LOG_FILE]} == syslog || ${C[LOG_FILE]} == - ]] ||
	    abspath LOG_FILE
	read -r -a RSYNC_OPTS_A <<<"${C[RSYNC_OPTS]}" || true
	EXCLUDE_A=()
	read -r -a pats <<<"${C[EXCLUDE]}" || true
	# A name inside an excluded directory arrives by itself in a batch
	# (--files-from does not check its parents), so exclude DIR/** too.
	for t in ${pats[@]+"${pats[@]}"}; do
		EXCLUDE_A+=("--exclude=${t}" "--exclude=${t%/}/**")
	done
	command -v -- "${C[RSYNC_BIN]}" >/dev/null ||
	    die "RSYNC_BIN ${C[RSYNC_BIN]}: not found"
}

# config_load FILE: defaults, then the file, then validation.
config_load() {
	config_defaults
	config_read "$1"
	config_check
}

config_print() {
	local k
	for k in ${KEYS}; do
		printf '%s=%s\n' "${k}" "${C[${k}]}"
	done
}

# --- targets and their spools ----------------------------------------------

# target_dir T: set REPLY to the spool directory of target T.
target_dir() {
	local sum
	sum=$(printf '%s' "$1" | cksum)
	REPLY=${C[SPOOL_DIR]}/target-${sum%% *}
}

spool_setup() {
	local i d
	local mask
	mask=$(umask)
	umask 077
	mkdir -p -- "${C[SPOOL_DIR]}/run" ||
	    die "cannot create SPOOL_DIR ${C[SPOOL_DIR]}"
	chmod 0700 -- "${C[SPOOL_DIR]}"
	TARGET_DIRS=()
	for i in "${!TARGET_LIST[@]}"; do
		target_dir "${TARGET_LIST[i]}"
		d=${REPLY}
		mkdir -p -- "${d}/queue"
		rm -f -- "${d}/wake"
		printf '%s\n' "${TARGET_LIST[i]}" >"${d}/target"
		TARGET_DIRS+=("${d}")
	done
	umask "${mask}"
}

# --- rsync -----------------------------------------------------------------

# rsync_argv I MODE [LIST]: set ARGV to the rsync command for target I;
# MODE is full, list or recheck (a list with the quick check).
rsync_argv() {
	local t=${TARGET_LIST[$1]}
	ARGV=("${C[RSYNC_BIN]}" ${RSYNC_OPTS_A[@]+"${RSYNC_OPTS_A[@]}"}
	    -r -s --stats)
	target_kind "${t}"
	case ${REPLY} in
	daemon)
		(( C[CONNECT_TIMEOUT] == 0 )) ||
		    ARGV+=("--contimeout=${C[CONNECT_TIMEOUT]}")
		[[ -z ${C[PASSWORD_FILE]} ]] ||
		    ARGV+=("--password-file=${C[PASSWORD_FILE]}")
		;;
	ssh)
		[[ -z ${C[RSYNC_RSH]} ]] || ARGV+=("--rsh=${C[RSYNC_RSH]}")
		;;
	esac
	(( C[RSYNC_TIMEOUT] == 0 )) || ARGV+=("--timeout=${C[RSYNC_TIMEOUT]}")
	ARGV+=(${EXCLUDE_A[@]+"${EXCLUDE_A[@]}"})
	[[ ${C[DELETE]} == no ]] || ARGV+=(--delete)
	if [[ $2 != full ]]; then
		# The names are known to have changed: no quick check (a
		# rewrite of the same size within the same second would
		# look unchanged).
		[[ $2 == recheck ]] || ARGV+=(--ignore-times)
		ARGV+=(--relative --from0 "--files-from=$3")
		if [[ ${C[DELETE]} == yes ]]; then
			ARGV+=(--delete-missing-args)
		else
			ARGV+=(--ignore-missing-args)
		fi
	fi
	ARGV+=(-- "${C[SOURCE]%/}/" "${t%/}/")
}

# rsync_class RC: set REPLY to ok, partial, fatal or retry.
rsync_class() {
	case $1 in
	0|24)	REPLY=ok ;;	# 24: vanished, a later event covers it
	23)	REPLY=partial ;;
	1|2|3|4) REPLY=fatal ;;
	*)	REPLY=retry ;;
	esac
}

# --- worker: one per target ------------------------------------------------

# The worker's state lives in its spool directory D:
#   queue/<usec>.<pid>.<seq>  batches published by the collector
#   merged, merged.since      names merged from earlier batches, not yet
#                             synced, and the arrival of the oldest
#   full                      a full sync is wanted
#   full.rc                   the exit status of a background full sync
#   recheck                   names synced while a full sync ran
#   part.*                    the names of each part of a big batch
#   last_ok, last_error       status for `syncd status`
#   wake                      a wake-up byte is in flight

# w_merge D: fold queued batches into D/merged.  Fails if nothing pending.
# Only the batches seen by the glob are removed: a batch published while
# sort runs stays queued for the next run.
w_merge() {
	local d=$1 f since=
	local -a queued=("${d}"/queue/[0-9]*) inputs
	if (( ${#queued[@]} == 0 )); then
		[[ -e ${d}/merged ]]
		return
	fi
	f=${queued[0]##*/}
	[[ ! -e ${d}/merged.since ]] || read -r since <"${d}/merged.since"
	if [[ -z ${since} ]] || (( ${f%%.*} < since )); then
		printf '%s\n' "${f%%.*}" >"${d}/merged.since"
	fi
	inputs=("${queued[@]}")
	[[ ! -e ${d}/merged ]] || inputs+=("${d}/merged")
	sort -zu -o "${d}/merged.new" -- "${inputs[@]}"
	mv -f -- "${d}/merged.new" "${d}/merged"
	rm -f -- "${queued[@]}"
}

# w_stats OUT: set FILES_SENT and BYTES from rsync --stats output (the
# sums, if it holds the output of several runs).
w_stats() {
	local line n
	FILES_SENT=0
	BYTES=0
	while IFS= read -r line; do
		n=${line##*: }
		n=${n//,/}
		[[ ${n} =~ ^[0-9]{1,15}$ ]] || continue
		case ${line} in
		"Number of regular files transferred: "*)
			FILES_SENT=$(( FILES_SENT + 10#${n} ))
			;;
		"Total bytes sent: "*)
			BYTES=$(( BYTES + 10#${n} ))
			;;
		esac
	done <"$1"
}

# w_start I D MODE [LIST]: prepare a run for target I (MODE list or
# recheck with the names in LIST, or full): ARGV and RUN_*.
w_start() {
	local -a list=()
	RUN_NAMES=0
	RUN_SINCE=0
	if [[ $3 == full ]]; then
		rsync_argv "$1" full
	else
		mapfile -d '' -t list <"$4"
		RUN_NAMES=${#list[@]}
		list=()
		if [[ $3 == list && -e $2/merged.since ]]; then
			read -r RUN_SINCE <"$2/merged.since"
		fi
		rsync_argv "$1" "$3" "$4"
	fi
	now_us
	RUN_T0=${REPLY}
}

# w_end I D MODE OUT: account for a run that ended with RC, its output in
# D/OUT.out and D/OUT.err: set CLASS (see rsync_class) and log one line.
w_end() {
	local i=$1 d=$2 mode=$3 t1 lag=- dur err level
	now_us
	t1=${REPLY}
	w_stats "${d}/$4.out"
	secs $(( t1 - RUN_T0 ))
	dur=${REPLY}s
	if (( RUN_SINCE )); then
		secs $(( t1 - RUN_SINCE ))
		lag=${REPLY}s
	fi
	rsync_class "${RC}"
	CLASS=${REPLY}
	level=info
	[[ ${CLASS} == ok ]] || level=err
	log "${level}" "${mode/list/batch} target=${TARGET_LIST[i]}" \
	    "files=${RUN_NAMES} transferred=${FILES_SENT} bytes=${BYTES}" \
	    "duration=${dur} lag=${lag} rc=${RC}${CLASS/#ok/}"
	if [[ ${CLASS} != ok ]]; then
		while IFS= read -r err; do
			log "${level}" "target=${TARGET_LIST[i]}: ${err}"
		done < <(head -n 5 -- "${d}/$4.err")
	fi
	METRICS_DUE=1
	if [[ ${CLASS} == ok ]]; then
		printf '%s\n' "${EPOCHSECONDS}" >"${d}/last_ok"
		rm -f -- "${d}/last_error"
	else
		printf '%(%Y-%m-%dT%H:%M:%S)T %s rc=%s (%s)\n' -1 "${mode}" \
		    "${RC}" "${CLASS}" >"${d}/last_error"
	fi
}

# w_rank RC: set REPLY to the severity of exit status RC, 0 (ok) to 3.
w_rank() {
	rsync_class "$1"
	case ${REPLY} in
	ok)	 REPLY=0 ;;
	partial) REPLY=1 ;;
	retry)	 REPLY=2 ;;
	*)	 REPLY=3 ;;
	esac
}

# w_parts I D LIST: a big batch runs as up to PARTS rsyncs in parallel.
# Names are dealt out by their first component, so that the parts touch
# disjoint subtrees (a directory name is synced recursively, and its
# --delete would remove another part's temporary files); each rsync reads
# the source as it is now, so the order among them does not matter.  RC
# is the worst of their exit statuses; their output goes to D/rsync.*.
w_parts() {
	local i=$1 d=$2 k rc worst=0 pid
	local -a parts pids=()
	rm -f -- "${d}"/part.*
	awk -v RS='\0' -v ORS='\0' -v n="${PARTS}" -v pre="${d}/part." '
	{
		t = $0
		sub(/\/.*/, "", t)
		if (!(t in p))
			p[t] = k++ % n
		print > (pre p[t])
	}' "$3"
	parts=("${d}"/part.*)
	for k in "${!parts[@]}"; do
		[[ -s ${parts[k]} ]] || continue
		rsync_argv "${i}" list "${parts[k]}"
		"${ARGV[@]}" >"${parts[k]}.out" 2>"${parts[k]}.err" \
		    </dev/null &
		pids+=("$!")
	done
	RC=0
	for pid in "${pids[@]}"; do
		rc=0
		wait "${pid}" || rc=$?
		w_rank "${rc}"
		if (( REPLY > worst )); then
			worst=${REPLY}
			RC=${rc}
		fi
	done
	: >"${d}/rsync.out"
	: >"${d}/rsync.err"
	for k in "${!parts[@]}"; do
		[[ -s ${parts[k]} ]] || continue
		cat -- "${parts[k]}.out" >>"${d}/rsync.out"
		cat -- "${parts[k]}.err" >>"${d}/rsync.err"
	done
	rm -f -- "${d}"/part.*
}

# w_run I D MODE [LIST]: one rsync run in the foreground (see w_start);
# a big batch in parts (see w_parts).
w_run() {
	w_start "$@"
	if [[ $3 == list ]] && (( PARTS > 1 && RUN_NAMES >= PART_MIN )); then
		w_parts "$1" "$2" "$4"
	else
		RC=0
		"${ARGV[@]}" >"$2/rsync.out" 2>"$2/rsync.err" </dev/null ||
		    RC=$?
	fi
	w_end "$1" "$2" "$3" rsync
}

# A full sync (a walk of the whole tree) runs in the background, so that
# batches keep flowing meanwhile.  The two may then race on a name: the
# full sync may delete a name a batch has just created, or store current
# data under the time stamp of its earlier walk.  So the names of every
# batch run while a full sync runs are synced again once it has succeeded,
# with the quick check (cheap: what is right is not resent).  The full sync
# runs niced: batches carry the changes that somebody waits for.

# w_full_start I D: start a full sync of target I in the background.
w_full_start() {
	w_start "$1" "$2" full
	FULL_T0=${RUN_T0}
	rm -f -- "$2/full.rc" "$2/full.rc.new"
	(
		rc=0
		nice -n 10 -- "${ARGV[@]}" >"$2/full.out" 2>"$2/full.err" ||
		    rc=$?
		printf '%d\n' "${rc}" >"$2/full.rc.new"
		mv -f -- "$2/full.rc.new" "$2/full.rc"
	) </dev/null &
	FULL_PID=$!
}

# w_full_end I D [wait]: finish the background full sync if it has ended
# (with wait: once it has); fail while it runs.  Updates the full sync
# schedule of worker() (its locals).  The names to recheck wait until no
# batch is queued (see worker).
w_full_end() {
	local i=$1 d=$2 now
	[[ -n ${FULL_PID} ]] || return 0
	[[ -e ${d}/full.rc || ${3:-} == wait ]] || return 1
	wait "${FULL_PID}" 2>/dev/null || true
	FULL_PID=
	RC=255
	[[ ! -r ${d}/full.rc ]] || read -r RC <"${d}/full.rc"
	rm -f -- "${d}/full.rc"
	RUN_T0=${FULL_T0}
	RUN_NAMES=0
	RUN_SINCE=0
	w_end "${i}" "${d}" full full
	now=${EPOCHSECONDS}
	last_full=${now}
	if [[ ${CLASS} != ok ]]; then
		: >"${d}/full"
		w_failed
		return 0
	fi
	BACKOFF=0
	NEXT_TRY=0
	# Back off repeated full syncs (overflow storms): 1 s, 2 s, ...
	# 300 s apart.
	if (( periodic )); then
		periodic=0
	elif (( full_end && now - full_end < 60 )); then
		full_gap=$(( full_gap ? full_gap * 2 : 1 ))
		(( full_gap <= 300 )) || full_gap=300
	else
		full_gap=0
	fi
	full_end=${now}
	full_ok=$(( now + full_gap ))
}

# w_recheck I D: once a full sync has succeeded, resync the names of the
# batches that ran during it.  Fails if there is nothing to do.
w_recheck() {
	local i=$1 d=$2
	[[ -z ${FULL_PID} && ! -e ${d}/full && -e ${d}/recheck ]] || return 1
	sort -zu -o "${d}/recheck" -- "${d}/recheck"
	w_run "${i}" "${d}" recheck "${d}/recheck"
	if [[ ${CLASS} == ok ]]; then
		rm -f -- "${d}/recheck"
		BACKOFF=0
		NEXT_TRY=0
	else
		w_failed
	fi
}

# w_drain: read wake-ups and the quit request without blocking.
w_drain() {
	local line
	rm -f -- "${D}/wake"
	while read -r -t 0 -u 0; do
		if ! read -r -u 0 line; then
			QUIT=1
			break
		fi
		[[ ${line} != q ]] || QUIT=1
	done
}

# w_wait SECONDS: sleep until woken, at most SECONDS.
w_wait() {
	local line
	if read -r -t "$1" -u 0 line; then
		[[ ${line} != q ]] || QUIT=1
	elif (( $? <= 128 )); then
		QUIT=1
	fi
}

# metrics_write: after a run, METRICS_FILE gets the spool's figures
# (syncd-check -m, next to this script).
metrics_write() {
	local dir=.
	(( METRICS_DUE )) && [[ -n ${C[METRICS_FILE]} ]] || return 0
	METRICS_DUE=0
	[[ ${SELF} != */* ]] || dir=${SELF%/*}
	"${BASH}" "${dir}/syncd-check" -m "${C[METRICS_FILE]}" \
	    "${C[SPOOL_DIR]}" </dev/null || true
}

# w_failed: schedule the next attempt with exponential backoff.
w_failed() {
	BACKOFF=$(( BACKOFF ? BACKOFF * 2 : 1 ))
	(( BACKOFF <= C[RETRY_MAX] )) || BACKOFF=${C[RETRY_MAX]}
	NEXT_TRY=$(( EPOCHSECONDS + BACKOFF ))
}

worker() {
	local i=$1 now timeout
	D=${TARGET_DIRS[i]}
	QUIT=0
	BACKOFF=0
	NEXT_TRY=0
	FULL_PID=
	# As many parts as processors (at most 4), of 200 names or more.
	PARTS=$(nproc 2>/dev/null) || PARTS=1
	[[ ${PARTS} =~ ^[1-9][0-9]*$ ]] || PARTS=1
	(( PARTS <= 4 )) || PARTS=4
	PART_MIN=$(( PARTS * 200 ))
	local full_end=0 full_gap=0 full_ok=0 last_full=0 final=0 periodic=0
	trap '' INT TERM HUP
	close_inherited keep-lock
	while :; do
		metrics_write
		w_drain
		now=${EPOCHSECONDS}
		if (( C[FULL_SYNC_INTERVAL] && last_full &&
		    now - last_full >= C[FULL_SYNC_INTERVAL] )) &&
		    [[ ! -e ${D}/full && -z ${FULL_PID} ]]; then
			: >"${D}/full"
			periodic=1
		fi
		if (( QUIT )); then
			w_full_end "${i}" "${D}" wait
			final=$(( final + 1 ))
		else
			w_full_end "${i}" "${D}" || true
		fi
		now=${EPOCHSECONDS}
		if (( now >= NEXT_TRY || final == 1 )) && w_merge "${D}"; then
			if [[ -n ${FULL_PID} ]]; then
				cat -- "${D}/merged" >>"${D}/recheck"
			fi
			w_run "${i}" "${D}" list "${D}/merged"
			if [[ ${CLASS} == ok ]]; then
				rm -f -- "${D}/merged" "${D}/merged.since"
				BACKOFF=0
				NEXT_TRY=0
			else
				w_failed
			fi
			continue
		fi
		if (( now >= NEXT_TRY || (final && final <= 2) )) &&
		    w_recheck "${i}" "${D}"; then
			continue
		fi
		(( QUIT )) && break
		if [[ -n ${FULL_PID} ]]; then
			w_wait 0.05	# poll for its end
			continue
		fi
		if [[ -e ${D}/full ]] && (( now >= NEXT_TRY )); then
			if (( now < full_ok )); then
				timeout=$(( full_ok - now ))
			else
				rm -f -- "${D}/full"
				w_full_start "${i}" "${D}"
				continue
			fi
		elif (( NEXT_TRY > now )); then
			timeout=$(( NEXT_TRY - now ))
		elif (( C[FULL_SYNC_INTERVAL] && last_full )); then
			timeout=$(( last_full + C[FULL_SYNC_INTERVAL] - now ))
		else
			timeout=3600
		fi
		(( timeout > 0 )) || timeout=1
		metrics_write
		w_wait "${timeout}"
	done
}

# --- collector -------------------------------------------------------------

# close_inherited [keep-lock]: in a child, close the parent's pipes it must
# not hold (a worker keeps the spool lock until it has drained).
close_inherited() {
	local fd
	for fd in ${WORKER_FDS[@]+"${WORKER_FDS[@]}"} ${EV_FD:+"${EV_FD}"} \
	    ${SLEEP_FD:+"${SLEEP_FD}"}; do
		exec {fd}>&-
	done
	if [[ -n ${LOCK_FD} && ${1:-} != keep-lock ]]; then
		exec {LOCK_FD}>&-
	fi
}

worker_start() {
	local i=$1 fd
	exec {fd}> >(worker "${i}")
	WORKER_PIDS[i]=$!
	WORKER_FDS[i]=${fd}
}

# wake I [MSG]: tell worker I there is work (at most one byte in flight).
wake() {
	local i=$1 msg=${2:-w} fd=${WORKER_FDS[$1]}
	if [[ ${msg} == w && -e ${TARGET_DIRS[i]}/wake ]]; then
		return 0
	fi
	: >"${TARGET_DIRS[i]}/wake"
	if ! { printf '%s\n' "${msg}" >&"${fd}"; } 2>/dev/null; then
		log err "worker for ${TARGET_LIST[i]} died; restarting it"
		exec {fd}>&-
		worker_start "${i}"
		printf '%s\n' "${msg}" >&"${WORKER_FDS[i]}" || true
	fi
}

# publish: hand the collected batch to every target's queue.
publish() {
	local i tmp name
	(( NB )) || return 0
	BATCH_SEQ=$(( BATCH_SEQ + 1 ))
	name=${BATCH_T0}.$$.${BATCH_SEQ}
	tmp=${C[SPOOL_DIR]}/run/batch
	printf '%s\0' "${BATCH[@]}" >"${tmp}"
	for i in "${!TARGET_DIRS[@]}"; do
		ln -f -- "${tmp}" "${TARGET_DIRS[i]}/queue/${name}"
	done
	rm -f -- "${tmp}"
	for i in "${!TARGET_DIRS[@]}"; do
		wake "${i}"
	done
	BATCH=()
	NB=0
}

# full_all: every target wants a full sync.
full_all() {
	local i
	for i in "${!TARGET_DIRS[@]}"; do
		: >"${TARGET_DIRS[i]}/full"
		wake "${i}"
	done
}

# stderr_logger: log inotifywait's stderr lines as warnings.
stderr_logger() {
	local line
	trap '' INT TERM HUP
	close_inherited
	while IFS= read -r line; do
		case ${line} in
		"Watching new directory "*) ;;	# -m -r chatter
		*) log warning "inotifywait: ${line}" ;;
		esac
	done
}

# The event stream: inotifywait runs in SOURCE (so that names are short,
# "./dir/file") and writes NUL-terminated names into a FIFO read by
# split(1), which stores them in chunk files RUN/ev.<pid>.<n> of
# EV_CHUNK names each.  Bash reads a regular file in blocks, but a pipe
# one byte per system call, so the collector reads the chunks.  A chunk
# is complete once the next one exists; the stream has ended once split
# has exited.

# watcher_start: start inotifywait and split, and wait for the watches.
watcher_start() {
	local err_fd line rc
	rm -f -- "${RUN}/events" "${RUN}/stderr" "${RUN}"/ev.*
	mkfifo -m 0600 -- "${RUN}/events" "${RUN}/stderr"
	EV_SEQ=0
	EV_PART=
	(
		close_inherited
		trap - PIPE INT TERM HUP
		exec ${PDEATH[@]+"${PDEATH[@]}"} split -t '\0' -l "${EV_CHUNK}" \
		    -a 9 -d - "${RUN}/ev.$$."
	) <"${RUN}/events" &
	SPLIT_PID=$!
	(
		close_inherited
		trap - PIPE INT TERM HUP
		cd -- "${C[SOURCE]}"
		exec ${PDEATH[@]+"${PDEATH[@]}"} "${INOTIFYWAIT}" -m -r \
		    --format '%w%f%0' --no-newline -e "${EVENTS}" -- .
	) >"${RUN}/events" 2>"${RUN}/stderr" &
	WATCHER_PID=$!
	# Returns once the watcher has opened both FIFOs.
	exec {err_fd}<"${RUN}/stderr"
	rm -f -- "${RUN}/events" "${RUN}/stderr"
	printf '%s\n' "${WATCHER_PID}" >"${RUN}/inotifywait.pid"
	while :; do
		rc=0
		IFS= read -r -t 1 -u "${err_fd}" line || rc=$?
		# A timeout may also end a complete line: check it anyway.
		case ${rc}:${line} in
		*:"Watches established."*) break ;;
		0:"Setting up watches."*) continue ;;
		0:*) log err "inotifywait: ${line}"; continue ;;
		esac
		if (( rc <= 128 || STOP )); then
			exec {err_fd}<&-
			watcher_stop
			ev_discard
			return 1
		fi
	done
	stderr_logger <&"${err_fd}" &
	LOGGER_PID=$!
	exec {err_fd}<&-
}

# watcher_orphan_end: an instance killed with SIGKILL may have left its
# inotifywait (and the split it feeds) running: end it.
watcher_orphan_end() {
	local pid cmd
	[[ -r ${RUN}/inotifywait.pid ]] || return 0
	read -r pid <"${RUN}/inotifywait.pid" || return 0
	[[ ${pid} =~ ^[0-9]+$ && -r /proc/${pid}/cmdline ]] || return 0
	read -r -d '' cmd <"/proc/${pid}/cmdline" || true
	[[ ${cmd##*/} == *inotifywait* ]] || return 0
	log notice "ending the inotifywait (pid ${pid}) of a killed instance"
	kill -TERM "${pid}" 2>/dev/null || true
}

# watcher_stop: end inotifywait; split ends at the end of its input.  The
# chunks it wrote are still to be read.
watcher_stop() {
	[[ -n ${WATCHER_PID} ]] || return 0
	kill -TERM "${WATCHER_PID}" 2>/dev/null || true
	wait "${WATCHER_PID}" 2>/dev/null || true
	wait "${SPLIT_PID}" 2>/dev/null || true
	[[ -z ${LOGGER_PID} ]] || wait "${LOGGER_PID}" 2>/dev/null || true
	WATCHER_PID=
	LOGGER_PID=
}

# ev_discard: forget the chunks of a stream that has ended.
ev_discard() {
	if [[ -n ${EV_FD} ]]; then
		exec {EV_FD}<&-
		EV_FD=
	fi
	rm -f -- "${RUN}"/ev.*
	EV_SEQ=0
	EV_PART=
}

# ev_read: set REC to the next name.  Returns 0, 1 if there is none yet,
# 2 at the end of the stream.
ev_read() {
	local name f
	while :; do
		if [[ -z ${EV_FD} ]]; then
			printf -v f '%s/ev.%d.%09d' "${RUN}" "$$" "${EV_SEQ}"
			if [[ ! -e ${f} ]]; then
				! kill -0 "${SPLIT_PID}" 2>/dev/null || return 1
				[[ -e ${f} ]] || return 2
			fi
			exec {EV_FD}<"${f}"
		fi
		if IFS= read -r -d '' -u "${EV_FD}" name; then
			REC=${EV_PART}${name}
			EV_PART=
			return 0
		fi
		EV_PART+=${name}
		printf -v f '%s/ev.%d.%09d' "${RUN}" "$$" $(( EV_SEQ + 1 ))
		if [[ ! -e ${f} ]] && kill -0 "${SPLIT_PID}" 2>/dev/null; then
			return 1
		fi
		# Complete (a next chunk, or split is gone): anything
		# written after our end of file, then the next chunk.
		if IFS= read -r -d '' -u "${EV_FD}" name; then
			REC=${EV_PART}${name}
			EV_PART=
			return 0
		fi
		EV_PART+=${name}
		exec {EV_FD}<&-
		EV_FD=
		printf -v f '%s/ev.%d.%09d' "${RUN}" "$$" "${EV_SEQ}"
		rm -f -- "${f}"
		EV_SEQ=$(( EV_SEQ + 1 ))
	done
}

# ev_drain: add what is left of an ended stream to the batch.
ev_drain() {
	local rc
	while :; do
		rc=0
		ev_read || rc=$?
		case ${rc} in
		0) [[ -z ${REC} ]] || name_add "${REC}" ;;
		1) pause 20000 ;;
		*) break ;;
		esac
	done
	[[ -z ${EV_PART} ]] || name_add "${EV_PART}"
	ev_discard
}

# watcher_restart WHY: read what the old watcher saw, start a new one,
# then a full sync (with backoff if the watcher keeps failing).
watcher_restart() {
	local delay=1
	log warning "$1: restarting inotifywait and resyncing"
	watcher_stop
	ev_drain
	publish
	until watcher_start; do
		(( STOP == 0 )) || return 1
		log err "inotifywait failed on ${C[SOURCE]}; retry in ${delay}s"
		sleep "${delay}" || true
		(( STOP == 0 )) || return 1
		delay=$(( delay < 60 ? delay * 2 : 60 ))
	done
	full_all
}

# name_add NAME: one record from inotifywait; an empty one is a queue
# overflow.
name_add() {
	local rel
	if [[ -z $1 ]]; then
		OVERFLOW=1
		return
	fi
	rel=${1#./}
	if [[ ${rel} == "$1" ]]; then
		log warning "unexpected name from inotifywait: full resync"
		full_all
		return
	fi
	if [[ -z ${rel} ]]; then
		# SOURCE itself (chmod, touch): a full sync, whose quick
		# check does not resend every file as a batch would.
		full_all
		return
	fi
	(( NB )) || BATCH_T0=${EPOCHREALTIME/./}
	BATCH[NB++]=${rel}
	(( NB < C[BATCH_MAX] )) || publish
}

# pause US: sleep up to US microseconds without a fork (a read that
# times out on a FIFO nobody writes to).
pause() {
	secs "$1"
	read -r -t "${REPLY}" -u "${SLEEP_FD}" _ || true
}

# reload_check: on SIGHUP, stop and re-exec if the new config is valid.
reload_check() {
	(( RELOAD && !STOP )) || return 0
	if "${BASH}" "${SELF}" -n -c "${CONFIG}" >/dev/null 2>&1; then
		STOP=1
	else
		log err "reload: ${CONFIG} is invalid; keeping the running" \
		    "configuration"
		RELOAD=0
	fi
}

# ev_fast: read the names that are there from the current chunk, at most
# 256 so that the batch deadline is checked.  The hot path, inlined.
ev_fast() {
	local name n=0
	[[ -n ${EV_FD} ]] || return 0
	while IFS= read -r -d '' -u "${EV_FD}" name; do
		if [[ -n ${EV_PART} ]]; then
			name=${EV_PART}${name}
			EV_PART=
		fi
		if [[ ${name} == ./?* ]]; then
			(( NB )) || BATCH_T0=${EPOCHREALTIME/./}
			BATCH[NB++]=${name:2}
			(( NB < C[BATCH_MAX] )) || publish
		else
			name_add "${name}"
			(( !OVERFLOW )) || return 0
		fi
		(( ++n < 256 )) || return 0
	done
	EV_PART+=${name}
}

# collect: read names into batches until stopped.
collect() {
	local rem rc killed=0 settle=$(( C[SETTLE_MS] * 1000 ))
	while :; do
		ev_fast
		if (( OVERFLOW )); then
			OVERFLOW=0
			watcher_restart "inotify queue overflow" || break
			continue
		fi
		if (( NB )); then
			now_us
			rem=$(( BATCH_T0 + settle - REPLY ))
			if (( rem <= 0 )); then
				publish
				continue
			fi
			(( rem < 50000 )) || rem=50000
		else
			rem=100000
		fi
		rc=0
		ev_read || rc=$?
		if (( rc == 0 )); then
			name_add "${REC}"
			if (( OVERFLOW )); then
				OVERFLOW=0
				watcher_restart "inotify queue overflow" ||
				    break
			fi
			continue
		fi
		if (( rc == 2 )); then
			[[ -z ${EV_PART} ]] || name_add "${EV_PART}"
			ev_discard
			(( !STOP )) || break
			watcher_restart "inotifywait exited" || break
			continue
		fi
		if (( STOP && !killed )); then
			# Quiet: whatever was seen before the signal is read.
			kill -TERM "${WATCHER_PID}" 2>/dev/null || true
			killed=1
		fi
		pause "${rem}"
		reload_check
	done
	publish
}

# shutdown: workers finish what is queued, then exit.
shutdown() {
	local i fd
	watcher_stop
	for i in "${!WORKER_FDS[@]}"; do
		wake "${i}" q
		fd=${WORKER_FDS[i]}
		exec {fd}>&-
	done
	for i in "${!WORKER_PIDS[@]}"; do
		wait "${WORKER_PIDS[i]}" 2>/dev/null || true
	done
	WORKER_FDS=()
	WORKER_PIDS=()
}

pid_file_remove() {
	local pid
	[[ -n ${C[PID_FILE]:-} && -e ${C[PID_FILE]} ]] || return 0
	read -r pid <"${C[PID_FILE]}" || true
	[[ ${pid} != "$$" ]] || rm -f -- "${C[PID_FILE]}"
}

find_inotifywait() {
	local dir=${SELF%/*} c
	[[ ${SELF} == */* ]] || dir=.
	if [[ -n ${INOTIFYWAIT:-} ]]; then
		[[ -x ${INOTIFYWAIT} ]] ||
		    die "INOTIFYWAIT ${INOTIFYWAIT}: not executable"
		return
	fi
	for c in "${dir}/inotifywait" "${dir}/../bin/inotifywait"; do
		if [[ -x ${c} ]]; then
			INOTIFYWAIT=${c}
			return
		fi
	done
	INOTIFYWAIT=$(command -v inotifywait) ||
	    die "inotifywait not found (set INOTIFYWAIT)"
}

# inotifywait_path: find it, as an absolute path (it runs in SOURCE).
inotifywait_path() {
	find_inotifywait
	[[ ${INOTIFYWAIT} == /* ]] || INOTIFYWAIT=${PWD%/}/${INOTIFYWAIT}
}

main() {
	local opt check=0 i
	CONFIG=${SYNCD_CONF:-${SYNCD_CONF_DEFAULT}}
	OPTIND=1
	while getopts ':c:nh' opt; do
		case ${opt} in
		c) CONFIG=${OPTARG} ;;
		n) check=1 ;;
		*) usage ;;
		esac
	done
	(( OPTIND > $# )) || usage
	config_load "${CONFIG}"
	if (( check )); then
		config_print
		return 0
	fi
	inotifywait_path
	# The watcher ends with us, even after a SIGKILL.
	if command -v setpriv >/dev/null; then
		PDEATH=(setpriv --pdeathsig TERM --)
	fi
	spool_setup
	RUN=${C[SPOOL_DIR]}/run
	exec {LOCK_FD}>"${C[SPOOL_DIR]}/lock"
	if ! flock -n "${LOCK_FD}"; then
		log notice "waiting for the previous instance to finish"
		flock -w 300 "${LOCK_FD}" ||
		    die "SPOOL_DIR ${C[SPOOL_DIR]} is in use"
	fi
	mkfifo -m 0600 -- "${C[SPOOL_DIR]}/run/sleep.$$"
	exec {SLEEP_FD}<>"${C[SPOOL_DIR]}/run/sleep.$$"
	rm -f -- "${C[SPOOL_DIR]}/run/sleep.$$"
	watcher_orphan_end
	trap 'STOP=1' INT TERM
	trap 'RELOAD=1' HUP
	trap 'pid_file_remove' EXIT
	watcher_start || die "inotifywait failed on ${C[SOURCE]}"
	if [[ -n ${C[PID_FILE]} ]]; then
		printf '%d\n' "$$" >"${C[PID_FILE]}"
	fi
	for i in "${!TARGET_LIST[@]}"; do
		worker_start "${i}"
	done
	log notice "watching ${C[SOURCE]} for ${#TARGET_LIST[@]} target(s)"
	full_all
	collect
	shutdown
	log notice "stopped"
	if (( RELOAD )); then
		log notice "reloading ${CONFIG}"
		exec {LOCK_FD}>&-
		trap - EXIT
		exec "${BASH}" "${SELF}" -c "${CONFIG}"
	fi
	return 0
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
