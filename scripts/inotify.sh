#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# inotify.sh: replicate a directory tree to rsync targets in real time.
#
#	inotify.sh [-n] [-c FILE]
#
# Reads KEY=value settings (never executed), starts inotifywait on SOURCE,
# waits until its watches are established, then queues a full sync for
# every target and ships batches of changed names: sent at once to an
# idle worker, else collected while the workers run (at most SETTLE_MS,
# or up to BATCH_MAX names), then one rsync per target with the names sent
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
readonly EVENTS=close_write,modify,moved_to,moved_from,create,delete,attrib,q_overflow
readonly KEYS=" SOURCE TARGETS PASSWORD_FILE RSYNC_OPTS RSYNC_RSH RSYNC_BIN \
EXCLUDE DELETE SETTLE_MS BATCH_MAX SPOOL_DIR PID_FILE LOG_FILE \
FULL_SYNC_INTERVAL RETRY_MAX RSYNC_TIMEOUT CONNECT_TIMEOUT STOP_TIMEOUT \
ALLOW_EMPTY_SOURCE MAX_DELETE BACKUP_DIR SPOOL_MAX WRITE_CHECK_INTERVAL \
METRICS_FILE WATCH "

# Set by `make install` to $(sysconfdir)/syncd.conf.
SYNCD_CONF_DEFAULT=/etc/syncd.conf

# The program itself, for `exec` on reload.
SELF=${BASH_SOURCE[0]}

# Config, C[KEY], set by config_load; C_LINE[KEY] is the line that set it.
declare -A C=() C_LINE=()
CONFIG_FILE=		# the file config_read read
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
FILTER_PID=		# WATCH=fanotify: the sed that makes names relative
RUN=
EV_SEQ=0
EV_PART=
EV_CHUNK=20000
REC=
OVERFLOW=0
PDEATH=()		# runs a command that dies with its parent
SYSLOG_DOWN=0		# LOG_FILE=syslog, but no syslog socket: stderr
SPOOL_ERR=0		# a spool write failed; logged once until one succeeds
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

# escape MSG: set REPLY to MSG with every control character written as
# \n, \t or \xNN, so that a message is one line.  (Backslashes are left
# alone: a line inotifywait wrote is escaped already, see cli_esc.)
escape() {
	local s=$1 esc='' c i
	if [[ ${s} != *[[:cntrl:]]* ]]; then
		REPLY=${s}
		return
	fi
	for (( i = 0; i < ${#s}; i++ )); do
		c=${s:i:1}
		case ${c} in
		$'\n')		esc+='\n' ;;
		$'\t')		esc+='\t' ;;
		[[:cntrl:]])	printf -v c '\\x%02x' "'${c}"; esc+=${c} ;;
		*)		esc+=${c} ;;
		esac
	done
	REPLY=${esc}
}

# log LEVEL MSG: one line to LOG_FILE, syslog or stderr, its control
# characters escaped.  Without a syslog socket the lines go to stderr,
# after one warning.
log() {
	local level=$1 REPLY
	shift
	escape "$*"
	case ${C[LOG_FILE]:-syslog}:${SYSLOG_DOWN} in
	syslog:0)
		logger --socket-errors=on -t "${PROG}[$$]" \
		    -p "daemon.${level}" -- "${REPLY}" 2>/dev/null && return
		syslog_down
		log_stderr "${level}" "${REPLY}"
		;;
	syslog:*|-:*)
		log_stderr "${level}" "${REPLY}"
		;;
	*)
		printf '%(%Y-%m-%dT%H:%M:%S)T %s[%d]: %s: %s\n' -1 "${PROG}" \
		    "${BASHPID}" "${level}" "${REPLY}" >>"${C[LOG_FILE]}" ||
		    true
		;;
	esac
}

# log_stderr LEVEL LINE: one log line, already escaped, on stderr.
log_stderr() {
	printf '%(%Y-%m-%dT%H:%M:%S)T %s[%d]: %s: %s\n' -1 "${PROG}" \
	    "${BASHPID}" "$1" "$2" >&2 || true
}

# syslog_down: from now on log to stderr (the journal under systemd),
# saying so once.
syslog_down() {
	SYSLOG_DOWN=1
	local why="syslog is not reachable (no socket /dev/log)"
	log_stderr warning "${why}; logging to stderr"
}

# syslog_probe: with LOG_FILE=syslog, check once at start that the
# socket is there, so that the processes started later know it.
syslog_probe() {
	[[ ${C[LOG_FILE]} == syslog && ! -S /dev/log ]] || return 0
	syslog_down
}

# --- configuration ---------------------------------------------------------

config_defaults() {
	C=(
		[SOURCE]='' [TARGETS]='' [PASSWORD_FILE]='' [RSYNC_OPTS]=-a
		[RSYNC_RSH]='' [RSYNC_BIN]="${RSYNC:-rsync}" [EXCLUDE]='' 
		[DELETE]=yes [SETTLE_MS]=200 [BATCH_MAX]=5000
		[SPOOL_DIR]=/var/spool/syncd [PID_FILE]=/run/syncd.pid
		[LOG_FILE]=syslog [FULL_SYNC_INTERVAL]=86400 [RETRY_MAX]=300
		[RSYNC_TIMEOUT]=120 [CONNECT_TIMEOUT]=10 [STOP_TIMEOUT]=60
		[ALLOW_EMPTY_SOURCE]=no [MAX_DELETE]='' [BACKUP_DIR]=''
		[SPOOL_MAX]=262144 [WRITE_CHECK_INTERVAL]=2
		[METRICS_FILE]='' [WATCH]=inotify
	)
}

# private_file KEY WHAT FILE: a regular file that only root or we may
# change (see secure_path).
private_file() {
	[[ -f $3 ]] || bad "$1" "$2 $3: not a regular file"
	secure_path "$1" "$2" "$3"
}

# path_dirs PATH: print, NUL-terminated, PATH resolved and every directory
# above it, and for each symlink met on the way as PATH is written, the
# directories above that link: all that decides what PATH opens.  A PATH
# that does not exist yet stands for its deepest existing ancestor.
path_dirs() {
	local p='' c real
	local -a comps links=("$1")
	IFS=/ read -r -a comps <<<"${1#/}" || true
	for c in ${comps[@]+"${comps[@]}"}; do
		[[ -n ${c} ]] || continue
		p+=/${c}
		[[ ! -L ${p} ]] || links+=("${p%/*}/")
	done
	for p in "${links[@]}"; do
		until [[ -e ${p} || ${p} == / ]]; do
			p=${p%/*}
			p=${p:-/}
		done
		real=$(realpath -e -- "${p}") || continue
		while :; do
			printf '%s\0' "${real}"
			[[ ${real} != / ]] || break
			real=${real%/*}
			real=${real:-/}
		done
	done
}

# secure_path KEY WHAT PATH [strict]: PATH and the directories that lead
# to it (see path_dirs) belong to root or to us and are not writable by
# group or others.  A directory above PATH with the sticky bit may be
# (nobody else can replace what we own in it), except with strict the one
# PATH is created in.  KEY names the setting for the message (none: the
# config).
secure_path() {
	local key=$1 what=$2 path=${3%/} uid mode name bad parent='' self
	local -a dirs
	path=${path:-/}
	mapfile -d '' -t dirs < <(path_dirs "${path}" | sort -zu)
	(( ${#dirs[@]} )) || bad "${key}" "${what} ${path}: cannot resolve"
	self=$(realpath -e -- "${path}" 2>/dev/null) || self=
	if [[ ${4:-} == strict ]]; then
		parent=$(realpath -e -- "${path%/*}/") ||
		    bad "${key}" "${what} ${path}: no directory ${path%/*}/"
	fi
	while IFS=' ' read -r -d '' uid mode name; do
		bad=
		if (( uid != 0 && uid != EUID )); then
			bad="owned by uid ${uid}"
		elif (( 8#${mode} & 8#022 )) &&
		    { [[ ${name} == "${self}" || ${name} == "${parent}" ]] ||
		    (( !(8#${mode} & 8#1000) )); }; then
			bad="writable by group or others (mode ${mode})"
		fi
		[[ -n ${bad} ]] || continue
		[[ ${name} == "${path}" ]] || what+=" ${path}:"
		bad "${key}" "${what} ${name} is ${bad}"
	done < <(stat --printf '%u %a %n\0' -- "${dirs[@]}")
}

# config_read FILE: KEY=value lines; blank lines and lines starting with
# `#` are ignored; one pair of surrounding quotes is removed.
config_read() {
	local file=$1 line key val n=0
	CONFIG_FILE=${file}
	config_readable "${file}"
	private_file '' config "${file}"
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
		C_LINE[${key}]=${n}
	done <"${file}"
}

# config_readable FILE: die with "cannot read FILE: why" unless it opens.
config_readable() {
	local err
	[[ ! -d $1 ]] || die "cannot read $1: Is a directory"
	err=$( { : <"$1"; } 2>&1 ) && return
	die "cannot read $1: ${err##*: }"
}

# bad KEY MSG: die with MSG about the value of KEY, after the file and the
# line that set it ("FILE:LINE: MSG"; "FILE: MSG" for a default).
bad() {
	local at=${CONFIG_FILE}
	[[ -n $1 ]] || die "${*:2}"
	[[ -z ${C_LINE[$1]:-} ]] || at+=:${C_LINE[$1]}
	die "${at}: ${*:2}"
}

# uint KEY MIN: the value of KEY must be a decimal integer >= MIN.
uint() {
	[[ ${C[$1]} =~ ^[0-9]{1,9}$ ]] ||
	    bad "$1" "$1 must be a number: '${C[$1]}'"
	C[$1]=$(( 10#${C[$1]} ))
	(( C[$1] >= $2 )) || bad "$1" "$1 must be at least $2"
}

# abspath KEY: the value must be an absolute path (or empty if allowed).
abspath() {
	[[ ${C[$1]} == /* ]] ||
	    bad "$1" "$1 must be an absolute path: '${C[$1]}'"
}

# target_kind T: set REPLY to daemon, ssh or local; die if unknown.
target_kind() {
	case $1 in
	rsync://?*/?*)	REPLY=daemon ;;
	*::?*)		REPLY=daemon ;;
	/*)		REPLY=local ;;
	[!/:]*:*)	REPLY=ssh ;;
	*)		bad TARGETS "TARGETS: unrecognised target '$1'" ;;
	esac
}

config_check() {
	local t dir daemon=0
	local -a pats=()
	[[ -n ${C[SOURCE]} ]] || bad SOURCE "SOURCE is not set"
	abspath SOURCE
	[[ -d ${C[SOURCE]} ]] ||
	    bad SOURCE "SOURCE ${C[SOURCE]}: not a directory"
	source_parent_check
	dir=$(cd -P -- "${C[SOURCE]}" && pwd -P) ||
	    bad SOURCE "SOURCE ${C[SOURCE]}: cannot enter"
	C[SOURCE]=${dir}
	watch_check
	read -r -a TARGET_LIST <<<"${C[TARGETS]}" || true
	(( ${#TARGET_LIST[@]} )) || bad TARGETS "TARGETS is not set"
	for t in "${TARGET_LIST[@]}"; do
		target_kind "${t}"
		[[ ${REPLY} != daemon ]] || daemon=1
		[[ ${REPLY} == local ]] || continue
		t=${t%/}
		if [[ ${t}/ == "${dir%/}/"* || ${dir}/ == "${t}/"* ]]; then
			bad TARGETS "TARGETS: ${t} overlaps SOURCE ${dir}"
		fi
	done
	# Only rsync daemons take the password.
	(( daemon )) || C[PASSWORD_FILE]=
	[[ -z ${C[PASSWORD_FILE]} ]] || password_check
	case ${C[DELETE]} in
	yes|no) ;;
	*) bad DELETE "DELETE must be yes or no: '${C[DELETE]}'" ;;
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
	state_paths_check
	read -r -a RSYNC_OPTS_A <<<"${C[RSYNC_OPTS]}" || true
	EXCLUDE_A=()
	read -r -a pats <<<"${C[EXCLUDE]}" || true
	# A name inside an excluded directory arrives by itself in a batch
	# (--files-from does not check its parents), so exclude DIR/** too.
	for t in ${pats[@]+"${pats[@]}"}; do
		EXCLUDE_A+=("--exclude=${t}" "--exclude=${t%/}/**")
	done
	command -v -- "${C[RSYNC_BIN]}" >/dev/null ||
	    bad RSYNC_BIN "RSYNC_BIN ${C[RSYNC_BIN]}: not found"
	config_check_guards
}

# source_parent_check: the directories above SOURCE (as written) are
# trusted (see secure_path): whoever may rename them could make SOURCE,
# at the next start, any directory of this machine.  SOURCE itself may
# belong to anybody.
source_parent_check() {
	local s=${C[SOURCE]%/} parent
	parent=${s%/*}
	secure_path SOURCE "SOURCE ${C[SOURCE]}: parent" "${parent:-/}"
}

# watch_check: WATCH is inotify or fanotify; fanotify's one filesystem
# mark sees SOURCE's filesystem only, so SOURCE must be a mount point with
# nothing mounted below it.
watch_check() {
	local mp
	case ${C[WATCH]} in
	inotify) return 0 ;;
	fanotify) ;;
	*) bad WATCH "WATCH must be inotify or fanotify: '${C[WATCH]}'" ;;
	esac
	mountpoint -q -- "${C[SOURCE]}" ||
	    bad WATCH "WATCH=fanotify: SOURCE ${C[SOURCE]} is not a mount point"
	while read -r _ _ _ _ mp _; do
		printf -v mp '%b' "${mp}"
		[[ ${mp} != "${C[SOURCE]%/}"/?* ]] || bad WATCH "WATCH=fanotify:" \
		    "${mp} is mounted below SOURCE ${C[SOURCE]}"
	done </proc/self/mountinfo
}

# password_check: PASSWORD_FILE is private (see private_file) and others
# may not read it.
password_check() {
	local mode
	abspath PASSWORD_FILE
	private_file PASSWORD_FILE "password file" "${C[PASSWORD_FILE]}"
	mode=$(stat -L -c '%a' -- "${C[PASSWORD_FILE]}")
	(( !(8#${mode} & 8#007) )) || bad PASSWORD_FILE \
	    "password file ${C[PASSWORD_FILE]} is accessible by others"
}

# state_paths_check: nobody but root or us can change the spool, nor
# replace the pid file or the log file (they are written through no
# symlink, in a directory only root or we may write to).
state_paths_check() {
	secure_path SPOOL_DIR SPOOL_DIR "${C[SPOOL_DIR]}" strict
	[[ -z ${C[PID_FILE]} ]] || state_file PID_FILE
	[[ ${C[LOG_FILE]} != /* ]] || state_file LOG_FILE
}

# state_file KEY: the file named by KEY, if it exists, is a regular file,
# not a symlink; it and its directory pass secure_path (strict).
state_file() {
	local f=${C[$1]}
	if [[ -L ${f} || ( -e ${f} && ! -f ${f} ) ]]; then
		bad "$1" "$1 ${f}: not a regular file"
	fi
	secure_path "$1" "$1" "${f}" strict
}

# config_check_guards: the keys that keep a target from being wiped and the
# spool bounded.
config_check_guards() {
	case ${C[ALLOW_EMPTY_SOURCE]} in
	yes|no) ;;
	*) bad ALLOW_EMPTY_SOURCE "ALLOW_EMPTY_SOURCE must be yes or no:" \
	    "'${C[ALLOW_EMPTY_SOURCE]}'" ;;
	esac
	[[ -z ${C[MAX_DELETE]} ]] || uint MAX_DELETE 0
	if [[ ${C[BACKUP_DIR]} == *[![:alnum:]._/-]* || ${C[BACKUP_DIR]} == */ ||
	    ${C[BACKUP_DIR]} == ../* || ${C[BACKUP_DIR]} == */../* ]]; then
		bad BACKUP_DIR "BACKUP_DIR must be a plain path without '..' or a" \
		    "trailing '/': '${C[BACKUP_DIR]}'"
	fi
	uint SPOOL_MAX 64
	uint WRITE_CHECK_INTERVAL 0
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
	ARGV=(${NOFOLLOW_A[@]+"${NOFOLLOW_A[@]}"} "${C[RSYNC_BIN]}")
	target_kind "${t}"
	# A daemon on the LAN: no Nagle delay on the small messages of the
	# protocol, and changed files sent whole (see syncd(8)); RSYNC_OPTS
	# comes after, so that it can say otherwise.
	[[ ${REPLY} != daemon ]] ||
	    ARGV+=(--sockopts=TCP_NODELAY --whole-file)
	ARGV+=(${RSYNC_OPTS_A[@]+"${RSYNC_OPTS_A[@]}"} -r -s --stats)
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
	rsync_guards
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
	ARGV+=(-- ./ "${t%/}/")
}

# rsync_guards: add MAX_DELETE and BACKUP_DIR to ARGV.  Deleted and
# replaced files go to BACKUP_DIR/YYYY-MM-DD on the target (relative to the
# target's root unless absolute), which --delete leaves alone.
rsync_guards() {
	local day
	if [[ ${C[DELETE]} == yes && -n ${C[MAX_DELETE]} ]]; then
		ARGV+=("--max-delete=${C[MAX_DELETE]}")
	fi
	[[ -n ${C[BACKUP_DIR]} ]] || return 0
	printf -v day '%(%Y-%m-%d)T' -1
	[[ ${C[BACKUP_DIR]} == /* ]] ||
	    ARGV+=("--filter=P /${C[BACKUP_DIR]#./}/")
	ARGV+=(--backup "--backup-dir=${C[BACKUP_DIR]}/${day}")
}

# rsync_class RC: set REPLY to ok, partial, fatal or retry.
rsync_class() {
	case $1 in
	0|24)	REPLY=ok ;;	# 24: vanished, a later event covers it
	23)	REPLY=partial ;;
	1|2|3|4|25) REPLY=fatal ;;	# 25: stopped at MAX_DELETE
	*)	REPLY=retry ;;
	esac
}

# --- source side safety ----------------------------------------------------

# Every rsync runs in a mount namespace of its own where the pinned SOURCE
# (the working directory) is bind-mounted with nosymfollow on the spool's
# run/src, and rsync starts there: the kernel follows no symlink inside
# SOURCE, so a directory swapped for a symlink during a run yields an
# error, never the symlink's target; nor is SOURCE's path resolved again.
# Runs the command given after the mount point.
# shellcheck disable=SC2016 # expanded by the namespace's shell
readonly NOFOLLOW_SH='mount --bind -- . "$1" &&
mount -o remount,bind,nosymfollow -- "$1" && cd -- "$1" && shift &&
exec "$@"'
NOFOLLOW_A=()

# nofollow_setup: use the namespace if this system allows it (root, Linux
# 5.10 or later), else warn once.
nofollow_setup() {
	[[ -d ${C[SPOOL_DIR]}/run/src ]] ||
	    mkdir -m 0700 -- "${C[SPOOL_DIR]}/run/src"
	NOFOLLOW_A=(unshare -m --propagation private -- "${BASH}" -c
	    "${NOFOLLOW_SH}" "${PROG}" "${C[SPOOL_DIR]}/run/src")
	if ! "${NOFOLLOW_A[@]}" true >/dev/null 2>&1; then
		NOFOLLOW_A=()
		log warning "cannot mount SOURCE nosymfollow in a namespace" \
		    "of rsync's own (needs root and Linux 5.10): names are" \
		    "only checked before each run"
	fi
}

# safe_names LIST: no name is synced through a symlink.  A name below a
# directory that is now a symlink or no directory at all (replaced since
# the event) is replaced by that topmost non-directory, which rsync then
# sends as what it is.  Rewrites LIST if a name changed; fails if LIST
# cannot be written.
safe_names() {
	local list=$1 name dir rest p top ok_dir=/ n=0
	local -a names out=()
	local -A seen=()
	mapfile -d '' -t names <"${list}" || return 1
	for name in ${names[@]+"${names[@]}"}; do
		dir=${name%/*}
		if [[ ${dir} == "${name}" || ${dir} == "${ok_dir}" ]]; then
			out+=("${name}")
			continue
		fi
		top=
		p=
		rest=${dir}
		while [[ -n ${rest} ]]; do
			p=${p:+${p}/}${rest%%/*}
			[[ ${rest} == */* ]] && rest=${rest#*/} || rest=
			if [[ -L ${C[SOURCE]}/${p} || ! -d ${C[SOURCE]}/${p} ]]
			then
				top=${p}
				break
			fi
		done
		if [[ -z ${top} ]]; then
			ok_dir=${dir}
			out+=("${name}")
		elif [[ -z ${seen[${top}]:-} ]]; then
			seen[${top}]=1
			out+=("${top}")
			n=$(( n + 1 ))
		else
			n=$(( n + 1 ))
		fi
	done
	(( n )) || return 0
	log notice "${n} name(s) below a symlink or a replaced directory:" \
	    "syncing that entry itself instead"
	printf '%s\0' ${out[@]+"${out[@]}"} >"${list}.safe" &&
	    mv -f -- "${list}.safe" "${list}"
}

# source_id: set REPLY to the identity of SOURCE as pinned at start (the
# working directory, which rsync reads): file system type and id, and the
# directory's inode.  An unmounted or different file system differs.
source_id() {
	local fs ino
	fs=$(stat -f -c '%t:%i' -- . 2>/dev/null) || fs=none
	ino=$(stat -c '%i' -- . 2>/dev/null) || ino=none
	REPLY=${fs}:${ino}
}

# source_empty: the pinned SOURCE holds nothing.
source_empty() {
	local -a e
	e=(./* ./.[!.]* ./..?*)
	(( ${#e[@]} == 0 ))
}

# target_empty I: target I holds nothing (or cannot be listed: then the
# sync itself will report why).
target_empty() {
	local t=${TARGET_LIST[$1]} n
	local -a e
	target_kind "${t}"
	if [[ ${REPLY} == local ]]; then
		e=("${t%/}"/* "${t%/}"/.[!.]* "${t%/}"/..?*)
		(( ${#e[@]} == 0 ))
		return
	fi
	rsync_argv "$1" full
	n=$("${ARGV[@]:0:${#ARGV[@]}-3}" --list-only --no-recursive --dirs \
	    -- "${t%/}/" </dev/null 2>/dev/null |
	    grep -c '^[-dlcbps][-rwxsStT]\{9\}') || true
	(( ${n:-0} <= 1 ))	# the listing's "." line
}

# source_check I D MODE: refuse a run that could wipe target I: SOURCE is
# not the file system of the first full sync (unmounted, another disk), or
# SOURCE is empty while the target is not and deletions are on.  Records
# the identity at the first successful full sync (see source_record).
# Logs one error per refusal reason, in D/refused until it passes.
source_check() {
	local i=$1 d=$2 mode=$3 want='' why=''
	source_id
	[[ ! -r ${d}/source.id ]] || read -r want <"${d}/source.id" || true
	if [[ -n ${want} && ${want} != "${REPLY}" ]]; then
		why="SOURCE ${C[SOURCE]} is not the file system of the first"
		why+=" full sync (was ${want}, now ${REPLY}: unmounted or"
		why+=" replaced?); not syncing; remove ${d}/source.id to"
		why+=" accept it"
	elif [[ ${mode} == full && ${C[DELETE]} == yes &&
	    ${C[ALLOW_EMPTY_SOURCE]} == no ]] && source_empty &&
	    ! target_empty "${i}"; then
		why="SOURCE ${C[SOURCE]} is empty but the target is not;"
		why+=" not syncing (set ALLOW_EMPTY_SOURCE=yes to allow it)"
	fi
	if [[ -z ${why} ]]; then
		rm -f -- "${d}/refused"
		return 0
	fi
	if [[ ! -e ${d}/refused ]] || [[ $(<"${d}/refused") != "${why}" ]]
	then
		log err "target=${TARGET_LIST[i]}: ${why}"
		printf '%s\n' "${why}" >"${d}/refused" || true
	fi
	printf '%(%Y-%m-%dT%H:%M:%S)T %s refused: %s\n' -1 "${mode}" \
	    "${why}" >"${d}/last_error" || true
	return 1
}

# source_record D: after a successful full sync, remember SOURCE's
# identity if this is the first.
source_record() {
	[[ ! -e $1/source.id ]] || return 0
	source_id
	if ! printf '%s\n' "${REPLY}" >"$1/source.id.new" ||
	    ! mv -f -- "$1/source.id.new" "$1/source.id"; then
		spool_error "cannot record SOURCE's identity"
	fi
}

# --- spool errors and quarantine -------------------------------------------

# spool_error MSG: a spool write or merge failed: log it once (until the
# spool works again) and want a full sync, which covers whatever was lost.
spool_error() {
	: >"${D}/full" 2>/dev/null || true
	(( SPOOL_ERR )) && return 0
	SPOOL_ERR=1
	log err "spool ${D}: $*; a full sync is scheduled"
}

# spool_ok: the spool works (again).
spool_ok() {
	(( SPOOL_ERR )) || return 0
	SPOOL_ERR=0
	log notice "spool ${D} works again"
}

# spool_over D FILE...: the files exceed SPOOL_MAX (KiB) together.
spool_over() {
	local d=$1 sz sum=0
	shift
	while read -r sz; do
		sum=$(( sum + sz ))
	done < <(stat -c '%s' -- "$@" 2>/dev/null)
	(( sum > C[SPOOL_MAX] * 1024 ))
}

# A name that keeps failing (rsync exit status 23: a name rsync rejects, one
# swapped for a symlink during the run, too long for the target) must not
# hold back the rest of its target.  When a batch fails in part, everything
# else has been sent; its names are split in halves that are rerun (with
# the quick check: what has arrived is not resent), down to the names that
# fail by themselves, at most QUARANTINE_RUNS runs (see q_isolable).  Those go to
# D/quarantine (logged once), are retried with backoff and after every full
# sync, and are shown by `syncd status`.
readonly QUARANTINE_RUNS=32

# q_isolable: the run that ended with RC may have failed on some names
# only: 23, or 2 (rsync 3.2 ends so on a name longer than PATH_MAX).
q_isolable() {
	[[ ${RC} == 23 || ${RC} == 2 ]]
}

# q_try I D MODE LIST: one quiet run of the names in LIST; fails unless ok.
q_try() {
	local rc=0
	rsync_argv "$1" "$3" "$4"
	"${ARGV[@]}" >/dev/null 2>"$2/quarantine.err" </dev/null || rc=$?
	rsync_class "${rc}"
	[[ ${REPLY} == ok ]]
}

# q_isolate I D LIST: LIST failed in part: write the names that fail by
# themselves (or, once the runs are used up, the groups still failing) to
# D/quarantine.found.
q_isolate() {
	local i=$1 d=$2 g n h k runs=0 seq=0
	local -a todo names
	: >"${d}/quarantine.found" || return 1
	cp -f -- "$3" "${d}/q.0" || return 1
	todo=("${d}/q.0")
	while (( ${#todo[@]} )); do
		g=${todo[-1]}
		unset 'todo[-1]'
		mapfile -d '' -t names <"${g}"
		n=${#names[@]}
		rm -f -- "${g}"
		if (( n <= 1 || runs + 2 > QUARANTINE_RUNS )); then
			(( n == 0 )) || printf '%s\0' "${names[@]}" \
			    >>"${d}/quarantine.found" || return 1
			continue
		fi
		h=$(( n / 2 ))
		for k in 0 1; do
			seq=$(( seq + 1 ))
			if (( k == 0 )); then
				printf '%s\0' "${names[@]:0:h}" >"${d}/q.${seq}"
			else
				printf '%s\0' "${names[@]:h}" >"${d}/q.${seq}"
			fi || return 1
			runs=$(( runs + 1 ))
			if q_try "${i}" "${d}" recheck "${d}/q.${seq}"; then
				rm -f -- "${d}/q.${seq}"
			else
				todo+=("${d}/q.${seq}")
			fi
		done
	done
}

# q_log I D: log the names of D/quarantine.found that are new to the
# quarantine (at most 5, then their number).
q_log() {
	local i=$1 d=$2 name n=0
	local -A old=()
	local -a found
	if [[ -e ${d}/quarantine ]]; then
		mapfile -d '' -t found <"${d}/quarantine"
		for name in ${found[@]+"${found[@]}"}; do
			old[${name}]=1
		done
	fi
	mapfile -d '' -t found <"${d}/quarantine.found"
	for name in ${found[@]+"${found[@]}"}; do
		[[ -z ${old[${name}]:-} ]] || continue
		n=$(( n + 1 ))
		(( n <= 5 )) || continue
		printf -v name '%q' "${name}"
		log err "target=${TARGET_LIST[i]}: quarantined ${name}" \
		    "(keeps failing; retried with backoff and by full syncs)"
	done
	(( n <= 5 )) || log err "target=${TARGET_LIST[i]}: $(( n - 5 ))" \
	    "more name(s) quarantined"
	if [[ -s ${d}/quarantine.err ]]; then
		IFS= read -r name <"${d}/quarantine.err" || true
		printf -v name '%q' "${name}"
		(( n == 0 )) || log err "target=${TARGET_LIST[i]}: rsync: ${name}"
	fi
}

# q_add I D LIST: after a partial failure of LIST, quarantine the names
# that fail.  Fails (the batch then fails as a whole) if the spool cannot
# hold them.
q_add() {
	local i=$1 d=$2
	if ! q_isolate "${i}" "${d}" "$3"; then
		rm -f -- "${d}"/q.*
		spool_error "cannot write the quarantine"
		return 1
	fi
	q_log "${i}" "${d}"
	if [[ -s ${d}/quarantine.found ]]; then
		local -a in=("${d}/quarantine.found")
		[[ ! -e ${d}/quarantine ]] || in+=("${d}/quarantine")
		if ! sort -zu -o "${d}/quarantine.new" -- "${in[@]}" ||
		    ! mv -f -- "${d}/quarantine.new" "${d}/quarantine"; then
			spool_error "cannot write the quarantine"
			return 1
		fi
		(( Q_NEXT > EPOCHSECONDS )) || q_failed
	fi
	rm -f -- "${d}/quarantine.found"
}

# q_failed: schedule the next retry of the quarantine with backoff.
q_failed() {
	Q_BACKOFF=$(( Q_BACKOFF ? Q_BACKOFF * 2 : 1 ))
	(( Q_BACKOFF <= C[RETRY_MAX] )) || Q_BACKOFF=${C[RETRY_MAX]}
	Q_NEXT=$(( EPOCHSECONDS + Q_BACKOFF ))
}

# q_retry I D: retry the quarantined names when due; those that pass now
# leave it.  Fails if there was nothing to do.
q_retry() {
	local i=$1 d=$2
	[[ -e ${d}/quarantine && -z ${FULL_PID} ]] || return 1
	(( EPOCHSECONDS >= Q_NEXT )) || return 1
	if ! safe_names "${d}/quarantine"; then
		spool_error "cannot write the quarantine"
		q_failed
		return 0
	fi
	if q_try "${i}" "${d}" list "${d}/quarantine"; then
		rm -f -- "${d}/quarantine" "${d}/quarantine.err"
		Q_BACKOFF=0
		log notice "target=${TARGET_LIST[i]}: the quarantined names" \
		    "have been synced"
		return 0
	fi
	if [[ ${REPLY} != retry ]] && q_isolate "${i}" "${d}" \
	    "${d}/quarantine"; then
		if [[ -s ${d}/quarantine.found ]]; then
			mv -f -- "${d}/quarantine.found" "${d}/quarantine" ||
			    spool_error "cannot write the quarantine"
		else
			rm -f -- "${d}/quarantine" "${d}/quarantine.found"
		fi
	fi
	rm -f -- "${d}"/q.*
	[[ ! -e ${d}/quarantine ]] || q_failed
	return 0
}

# --- worker: one per target ------------------------------------------------

# The worker's state lives in its spool directory D:
#   queue/<usec>.<pid>.<seq>  batches published by the collector
#   merged, merged.since      names merged from earlier batches, not yet
#                             synced, and the arrival of the oldest
#   full                      a full sync is wanted
#   full.rc                   the exit status of a background full sync
#   full.started, full.out    its start time and output while it runs
#   recheck                   names synced while a full sync ran
#   part.*                    the names of each part of a big batch
#   last_ok, last_error       status for `syncd status`
#   wake                      a wake-up byte is in flight

# w_merge D: fold queued batches into D/merged.  Fails if nothing pending.
# Only the batches seen by the glob are removed: a batch published while
# sort runs stays queued for the next run.  If the merge fails (a full
# spool), the queued batches stay and a full sync is wanted; past
# SPOOL_MAX, the names are dropped and a full sync covers them.
w_merge() {
	local d=$1 f since='' err
	local -a queued=("${d}"/queue/[0-9]*) inputs
	if (( ${#queued[@]} == 0 )); then
		[[ -e ${d}/merged ]]
		return
	fi
	inputs=("${queued[@]}")
	[[ ! -e ${d}/merged ]] || inputs+=("${d}/merged")
	if spool_over "${d}" "${inputs[@]}"; then
		rm -f -- "${queued[@]}" "${d}/merged" "${d}/merged.since"
		: >"${d}/full" 2>/dev/null || true
		log err "spool ${d}: more than SPOOL_MAX=${C[SPOOL_MAX]} KiB" \
		    "of names queued: dropped; a full sync is scheduled"
		return 1
	fi
	f=${queued[0]##*/}
	[[ ! -e ${d}/merged.since ]] || read -r since <"${d}/merged.since"
	if [[ -z ${since} ]] || (( ${f%%.*} < since )); then
		if ! printf '%s\n' "${f%%.*}" >"${d}/merged.since"; then
			spool_error "cannot write merged.since"
			return 1
		fi
	fi
	if ! err=$(sort -zu -o "${d}/merged.new" -- "${inputs[@]}" 2>&1) ||
	    ! mv -f -- "${d}/merged.new" "${d}/merged"; then
		rm -f -- "${d}/merged.new"
		spool_error "cannot merge the queue (${err:-mv failed});" \
		    "its batches are kept"
		return 1
	fi
	rm -f -- "${queued[@]}"
	spool_ok
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
	if [[ ${RC} == 25 ]]; then
		log err "target=${TARGET_LIST[i]}: more than" \
		    "MAX_DELETE=${C[MAX_DELETE]} deletions: the rest were not" \
		    "deleted; check SOURCE"
	fi
	METRICS_DUE=1
	if [[ ${CLASS} == ok ]]; then
		printf '%s\n' "${EPOCHSECONDS}" >"${d}/last_ok" ||
		    spool_error "cannot write last_ok"
		rm -f -- "${d}/last_error"
	else
		printf '%(%Y-%m-%dT%H:%M:%S)T %s rc=%s (%s)\n' -1 "${mode}" \
		    "${RC}" "${CLASS}" >"${d}/last_error" ||
		    spool_error "cannot write last_error"
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
	if ! safe_names "$4"; then
		spool_error "cannot rewrite $4"
		RC=
		CLASS=retry
		return 0
	fi
	if ! source_check "$1" "$2" "$3"; then
		RC=
		CLASS=fatal
		return 0
	fi
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
	if ! source_check "$1" "$2" full; then
		: >"$2/full" 2>/dev/null || true
		w_failed
		return 0
	fi
	w_start "$1" "$2" full
	# One line per item changed in D/full.out, for `syncd status`.
	ARGV=("${ARGV[@]:0:${#ARGV[@]}-3}" --out-format=. "${ARGV[@]: -3}")
	FULL_T0=${RUN_T0}
	rm -f -- "$2/full.rc" "$2/full.rc.new"
	# Its start, for `syncd status` (shown only: a failure is harmless).
	{ printf '%s\n' "${EPOCHSECONDS}" >"$2/full.started"; } 2>/dev/null ||
	    true
	(
		rc=0
		nice -n 10 -- "${ARGV[@]}" >"$2/full.out" 2>"$2/full.err" ||
		    rc=$?
		printf '%d\n' "${rc}" >"$2/full.rc.new"
		mv -f -- "$2/full.rc.new" "$2/full.rc"
	) </dev/null &
	FULL_PID=$!
}

# full_running: the background full sync has not ended yet (a zombie has:
# its status file may be missing when the spool is full).
full_running() {
	local st
	{ st=$(<"/proc/${FULL_PID}/stat"); } 2>/dev/null || return 1
	st=${st##*) }
	[[ ${st%% *} != Z ]]
}

# w_full_end I D [wait]: finish the background full sync if it has ended
# (with wait: once it has); fail while it runs.  Updates the full sync
# schedule of worker() (its locals).  The names to recheck wait until no
# batch is queued (see worker).
w_full_end() {
	local i=$1 d=$2 now
	[[ -n ${FULL_PID} ]] || return 0
	[[ -e ${d}/full.rc || ${3:-} == wait ]] || ! full_running || return 1
	wait "${FULL_PID}" 2>/dev/null || true
	FULL_PID=
	rm -f -- "${d}/full.started"
	RC=
	[[ ! -r ${d}/full.rc ]] || read -r RC <"${d}/full.rc" || true
	[[ ${RC} =~ ^[0-9]{1,3}$ ]] || RC=255	# no status: a full spool
	rm -f -- "${d}/full.rc"
	RUN_T0=${FULL_T0}
	RUN_NAMES=0
	RUN_SINCE=0
	w_end "${i}" "${d}" full full
	now=${EPOCHSECONDS}
	last_full=${now}
	Q_NEXT=0
	if [[ ${CLASS} == ok ]]; then
		source_record "${d}"
	elif [[ ${CLASS} != partial ]]; then
		: >"${d}/full" 2>/dev/null || true
		w_failed
		return 0
	fi
	# A partial failure (23) is done: what failed waits for the next
	# full sync, the rest of the target is in step.
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
	if ! sort -zu -o "${d}/recheck" -- "${d}/recheck"; then
		rm -f -- "${d}/recheck"
		spool_error "cannot sort recheck"
		return 0
	fi
	w_run "${i}" "${d}" recheck "${d}/recheck"
	! q_isolable || ! q_add "${i}" "${d}" "${d}/recheck" || CLASS=ok
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
	SPOOL_ERR=0
	Q_BACKOFF=0
	Q_NEXT=0
	# As many parts as processors (at most 4), of 200 names or more.
	PARTS=$(nproc 2>/dev/null) || PARTS=1
	[[ ${PARTS} =~ ^[1-9][0-9]*$ ]] || PARTS=1
	(( PARTS <= 4 )) || PARTS=4
	PART_MIN=$(( PARTS * 200 ))
	local full_end=0 full_gap=0 full_ok=0 last_full=0 final=0 periodic=0
	trap '' INT TERM HUP
	close_inherited keep-lock
	rm -f -- "${D}/full.started"	# left by a worker that died
	w_idle 0
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
			if [[ -n ${FULL_PID} ]] &&
			    ! cat -- "${D}/merged" >>"${D}/recheck"; then
				spool_error "cannot append to recheck"
			fi
			w_run "${i}" "${D}" list "${D}/merged"
			! q_isolable || ! q_add "${i}" "${D}" "${D}/merged" ||
			    CLASS=ok
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
		q_retry "${i}" "${D}" && continue
		if [[ -n ${FULL_PID} ]]; then
			w_idle 1	# batches run meanwhile
			w_wait 0.05	# poll for its end
			w_idle 0
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
		[[ ! -e ${D}/quarantine ]] || (( Q_NEXT - now >= timeout )) ||
		    timeout=$(( Q_NEXT - now ))
		(( timeout > 0 )) || timeout=1
		metrics_write
		w_idle 1
		w_wait "${timeout}"
		w_idle 0
	done
}

# w_idle 0|1: tell the collector whether this worker waits for work
# (D/idle holds 1) or runs (0); see collect.  A builtin write, no fork.
w_idle() {
	{ printf '%s\n' "$1" >"${D}/idle"; } 2>/dev/null || true
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

# worker_start I: start the worker of target I; its pid goes to D/worker.pid.
worker_start() {
	local i=$1 fd
	exec {fd}> >(worker "${i}")
	WORKER_PIDS[i]=$!
	WORKER_FDS[i]=${fd}
	{ printf '%d\n' "$!" >"${TARGET_DIRS[i]}/worker.pid"; } 2>/dev/null ||
	    true
}

# wake I [MSG]: tell worker I there is work (at most one byte in flight,
# unless the worker has died).  A dead worker is restarted, with a full
# sync of its target: what it was doing may be half done.
wake() {
	local i=$1 msg=${2:-w} fd=${WORKER_FDS[$1]}
	if [[ ${msg} == w && -e ${TARGET_DIRS[i]}/wake ]] &&
	    kill -0 "${WORKER_PIDS[i]}" 2>/dev/null; then
		return 0
	fi
	{ : >"${TARGET_DIRS[i]}/wake"; } 2>/dev/null || true
	if ! { printf '%s\n' "${msg}" >&"${fd}"; } 2>/dev/null; then
		log err "worker for ${TARGET_LIST[i]} died; restarting it"
		exec {fd}>&-
		wait "${WORKER_PIDS[i]}" 2>/dev/null || true
		mark_full "${i}"
		worker_start "${i}"
		{ printf '%s\n' "${msg}" >&"${WORKER_FDS[i]}"; } 2>/dev/null ||
		    true
	fi
}

# publish: hand the collected batch to every target's queue, through a
# file of its own in RUN (a file left linked into a queue by a crash is
# never written again).  A target whose queue cannot take the batch (a
# full or failing spool) gets a full sync instead.
publish() {
	local i tmp name failed=0
	(( NB )) || return 0
	BATCH_SEQ=$(( BATCH_SEQ + 1 ))
	name=${BATCH_T0}.$$.${BATCH_SEQ}
	tmp=${RUN}/batch.${name}
	SPOOL_WHY="cannot create ${tmp}"
	if { spool_try printf '%s\0' "${BATCH[@]}" >"${tmp}"; } 2>/dev/null
	then
		for i in "${!TARGET_DIRS[@]}"; do
			spool_try ln -f -- "${tmp}" \
			    "${TARGET_DIRS[i]}/queue/${name}" && continue
			spool_failed "${i}" "cannot queue a batch"
			failed=1
		done
	else
		for i in "${!TARGET_DIRS[@]}"; do
			spool_failed "${i}" "cannot write a batch"
		done
		failed=1
	fi
	rm -f -- "${tmp}" 2>/dev/null || true
	for i in "${!TARGET_DIRS[@]}"; do
		wake "${i}"
	done
	BATCH=()
	NB=0
	if (( SPOOL_ERR && !failed )); then
		log notice "spool: batches are queued again"
		SPOOL_ERR=0
	fi
}

# spool_try CMD...: run CMD (its redirections included); fail as it does,
# with its error message in SPOOL_WHY.
spool_try() {
	{ SPOOL_WHY=$("$@" 2>&1 >&3); } 3>&1
}

# spool_failed I WHAT: target I lost a batch to a spool error, so it gets
# a full sync instead (the mark is an empty file, which a full file system
# still takes).  Logged once, until a batch is queued again.
spool_failed() {
	mark_full "$1"
	(( SPOOL_ERR == 0 )) || return 0
	SPOOL_ERR=1
	log err "spool: $2 (${SPOOL_WHY##*: }); the target(s) get a full" \
	    "sync instead"
}

# mark_full I: target I wants a full sync.
mark_full() {
	{ : >"${TARGET_DIRS[$1]}/full"; } 2>/dev/null ||
	    log err "spool: cannot mark ${TARGET_DIRS[$1]}/full"
}

# full_all: every target wants a full sync.
full_all() {
	local i
	for i in "${!TARGET_DIRS[@]}"; do
		mark_full "${i}"
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
		unwatched_note "${line}"
	done
}

# The event stream: inotifywait runs in SOURCE (so that names are short,
# "./dir/file") and writes NUL-terminated names into a FIFO read by
# split(1), which stores them in chunk files RUN/ev.<pid>.<n> of
# EV_CHUNK names each.  Bash reads a regular file in blocks, but a pipe
# one byte per system call, so the collector reads the chunks.  A chunk
# is complete once the next one exists; the stream has ended once split
# has exited.  With WATCH=fanotify, inotifywait marks SOURCE's whole
# filesystem (-S) and names events by absolute path: sed, between it and
# split, turns "SOURCE/name" into "./name" and drops every other name
# (another mount of the same filesystem), but not the empty record of an
# overflow.

# names_filter: the sed program for WATCH=fanotify, SOURCE quoted as a
# literal.
names_filter() {
	local src=${C[SOURCE]%/} lit='' c i
	for (( i = 0; i < ${#src}; i++ )); do
		c=${src:i:1}
		case ${c} in
		[][\\/.*^$]) lit+=\\${c} ;;
		*) lit+=${c} ;;
		esac
	done
	REPLY="/^\$/{p;d};s/^${lit}\//.\//p"
}

# watcher_start: start inotifywait and split (and sed), and wait for the
# watches.
watcher_start() {
	local err_fd line rc stream=${RUN}/events
	local -a mode=(-r)
	rm -f -- "${RUN}/events" "${RUN}/stderr" "${RUN}/names" "${RUN}"/ev.*
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
	if [[ ${C[WATCH]} == fanotify ]]; then
		stream=${RUN}/names
		mode=(--fanotify -S)
		mkfifo -m 0600 -- "${stream}"
		names_filter
		# events first: once inotifywait opens stderr, all are open.
		(
			close_inherited
			trap - PIPE INT TERM HUP
			exec ${PDEATH[@]+"${PDEATH[@]}"} sed -z -u -n -e "${REPLY}"
		) >"${RUN}/events" <"${stream}" &
		FILTER_PID=$!
	fi
	(
		close_inherited
		trap - PIPE INT TERM HUP
		exec ${PDEATH[@]+"${PDEATH[@]}"} "${INOTIFYWAIT}" -m "${mode[@]}" \
		    --format '%w%f%0' --no-newline -e "${EVENTS}" -- .
	) >"${stream}" 2>"${RUN}/stderr" &
	WATCHER_PID=$!
	# Returns once the watcher has opened both FIFOs.
	exec {err_fd}<"${RUN}/stderr"
	rm -f -- "${RUN}/events" "${RUN}/stderr" "${RUN}/names"
	proc_start "${WATCHER_PID}" || REPLY=
	printf '%s\n%s\n' "${WATCHER_PID}" "${REPLY}" >"${RUN}/inotifywait.pid"
	while :; do
		rc=0
		IFS= read -r -t 1 -u "${err_fd}" line || rc=$?
		# A timeout may also end a complete line: check it anyway.
		case ${rc}:${line} in
		*:"Watches established."*) break ;;
		0:"Setting up "*"watches."*) continue ;;
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
	local pid start
	{ read -r pid && read -r start; } 2>/dev/null \
	    <"${RUN}/inotifywait.pid" || return 0
	# The same process (not a later one with its pid) and ours.
	[[ ${pid} =~ ^[0-9]+$ && -O /proc/${pid} ]] || return 0
	proc_start "${pid}" && [[ ${REPLY} == "${start}" ]] || return 0
	log notice "ending the inotifywait (pid ${pid}) of a killed instance"
	kill -TERM "${pid}" 2>/dev/null || true
}

# watcher_stop: end inotifywait; split ends at the end of its input.  The
# chunks it wrote are still to be read.
watcher_stop() {
	[[ -n ${WATCHER_PID} ]] || return 0
	kill -TERM "${WATCHER_PID}" 2>/dev/null || true
	wait "${WATCHER_PID}" 2>/dev/null || true
	[[ -z ${FILTER_PID} ]] || wait "${FILTER_PID}" 2>/dev/null || true
	wait "${SPLIT_PID}" 2>/dev/null || true
	[[ -z ${LOGGER_PID} ]] || wait "${LOGGER_PID}" 2>/dev/null || true
	WATCHER_PID=
	FILTER_PID=
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
	unwatched_scan
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
	local name n=0 last=
	[[ -n ${EV_FD} ]] || return 0
	while IFS= read -r -d '' -u "${EV_FD}" name; do
		if [[ -n ${EV_PART} ]]; then
			name=${EV_PART}${name}
			EV_PART=
		fi
		if [[ ${name} == ./?* ]]; then
			# The writes of one file: one name per batch.
			[[ ${name} != "${last}" ]] || continue
			last=${name}
			(( NB )) || BATCH_T0=${EPOCHREALTIME/./}
			BATCH[NB++]=${name:2}
			(( NB < C[BATCH_MAX] )) || { publish; last=; }
		else
			name_add "${name}"
			(( !OVERFLOW )) || return 0
		fi
		(( ++n < 256 )) || return 0
	done
	EV_PART+=${name}
}

# --- what inotify does not see ---------------------------------------------

# A directory whose path is longer than PATH_MAX cannot be watched (nor
# synced by rsync): inotifywait skips it.  unwatched_scan counts such
# directories in the background after each start of the watcher, logs one
# warning and leaves the count in RUN/unwatched for `syncd status`; a new
# directory that could not be watched (unwatched_note) is counted in
# RUN/unwatched.runtime and gets a full sync.
unwatched_scan() {
	rm -f -- "${RUN}/unwatched" "${RUN}/unwatched.runtime"
	(
		close_inherited
		local n first
		cd -- "${C[SOURCE]}" || exit 0
		{ read -r n && IFS= read -r first; } < <(nice -n 10 -- \
		    find . -type d -printf '%p\0' 2>/dev/null |
		    awk -v RS='\0' 'length($0) >= 4096 {
			if (!n++) f = substr($0, 1, 60) "..."
		    } END { print n + 0; print f }') || exit 0
		printf '%d\n' "${n}" >"${RUN}/unwatched" || true
		(( n )) || exit 0
		printf -v first '%q' "${first}"
		log warning "${n} director(y/ies) in ${C[SOURCE]} not watched:" \
		    "path longer than PATH_MAX (e.g. ${first})"
	) </dev/null >/dev/null 2>&1 &
}

# unwatched_note LINE: a line of inotifywait's stderr, seen by the logger.
unwatched_note() {
	case $1 in
	"Couldn't watch new directory "*)
		printf '1\n' >>"${RUN}/unwatched.runtime" || true
		: >"${RUN}/resync" || true
		;;
	esac
}

# A write through a shared mmap raises no inotify event (only the mtime
# changes), and a file kept open never gets its CLOSE_WRITE.  Every
# WRITE_CHECK_INTERVAL seconds writers_check looks at the files in SOURCE
# that a process holds open for writing (a descriptor or a mapping of
# one): a file whose size or mtime changed since the last look, or that is
# seen first with an mtime after the previous look (the first look: after
# the start, which a write racing the first full sync may follow), joins
# the batch.
declare -A WRITERS=()	# path -> size:mtime at the last look
WRITERS_NEXT=0
WRITERS_T=${EPOCHSECONDS}

writers_check() {
	local now=${EPOCHSECONDS} rec path st pat mt
	local -a paths
	local -A cur=()
	(( C[WRITE_CHECK_INTERVAL] && now >= WRITERS_NEXT )) || return 0
	WRITERS_NEXT=$(( now + C[WRITE_CHECK_INTERVAL] ))
	pat=${C[SOURCE]//\\/\\\\}
	pat=${pat//\*/\\*}
	pat=${pat//\?/\\?}
	pat=${pat//\[/\\[}
	mapfile -d '' -t paths < <(find /proc/[0-9]*/fd /proc/[0-9]*/map_files \
	    -mindepth 1 -maxdepth 1 -type l -perm -u=w -lname "${pat}/*" \
	    -printf '%l\0' 2>/dev/null | sort -zu)
	if (( ${#paths[@]} )); then
		while IFS= read -r -d '' rec; do
			st=${rec%%:*}
			rec=${rec#*:}
			mt=${rec%%:*}
			path=${rec#*:}
			st+=:${mt}
			cur[${path}]=${st}
			if [[ -n ${WRITERS[${path}]:-} ]]; then
				[[ ${WRITERS[${path}]} != "${st}" ]] || continue
			elif (( ${mt%.*} < WRITERS_T - 1 )); then
				continue
			fi
			name_add "./${path#"${C[SOURCE]}/"}"
		done < <(stat --printf '%s:%.9Y:%n\0' -- "${paths[@]}" \
		    2>/dev/null)
	fi
	WRITERS=()
	for path in "${!cur[@]}"; do
		WRITERS[${path}]=${cur[${path}]}
	done
	WRITERS_T=${now}
}

# collect_checks: between reads, the checks of what inotify does not see.
collect_checks() {
	if [[ -e ${RUN}/resync ]]; then
		rm -f -- "${RUN}/resync"
		log warning "a new directory could not be watched: full resync"
		full_all
	fi
	writers_check
}

# Adaptive settling: a batch goes out at once to an idle worker, once the
# stream has been quiet for QUIET_US (the events of one write) or the
# batch is BUSY_US old (a burst that never pauses); while every worker
# runs, names pile up, and the next batch is as big as one run took to
# gather, sent when a worker is free again.  SETTLE_MS and BATCH_MAX
# bound a batch in any case.  Polls every POLL_US while names wait, every
# IDLE_POLL_US while there are none.
readonly QUIET_US=5000 BUSY_US=20000 POLL_US=5000 IDLE_POLL_US=10000
LAST_US=0

# any_idle: some worker waits for work with no wake-up in flight (see
# w_idle).  Builtins only.
any_idle() {
	local d v
	for d in "${TARGET_DIRS[@]}"; do
		[[ ! -e ${d}/wake ]] || continue
		{ read -r v <"${d}/idle"; } 2>/dev/null || continue
		[[ ${v} != 1 ]] || return 0
	done
	return 1
}

# settle_due NOW: the batch is to be published now (see above).
settle_due() {
	(( $1 - BATCH_T0 >= C[SETTLE_MS] * 1000 )) && return 0
	(( $1 - LAST_US >= QUIET_US || $1 - BATCH_T0 >= BUSY_US )) &&
	    any_idle
}

# collect: read names into batches until stopped.
collect() {
	local rem rc killed=0 settle=$(( C[SETTLE_MS] * 1000 )) nb seq
	while :; do
		nb=${NB}
		seq=${BATCH_SEQ}
		ev_fast
		if (( OVERFLOW )); then
			OVERFLOW=0
			watcher_restart "inotify queue overflow" || break
			continue
		fi
		if (( NB )); then
			now_us
			(( NB == nb && BATCH_SEQ == seq )) || LAST_US=${REPLY}
			if settle_due "${REPLY}"; then
				publish
				continue
			fi
			rem=$(( BATCH_T0 + settle - REPLY ))
			(( rem < POLL_US )) || rem=${POLL_US}
		else
			rem=${IDLE_POLL_US}
		fi
		rc=0
		ev_read || rc=$?
		if (( rc == 0 )); then
			name_add "${REC}"
			now_us
			LAST_US=${REPLY}
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
		collect_checks
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

# pid_file_write: our pid into PID_FILE, through a new file renamed over
# it (never through a symlink; its directory is ours, see state_file).
pid_file_write() {
	local tmp
	tmp=$(mktemp -- "${C[PID_FILE]}.XXXXXX") ||
	    die "PID_FILE ${C[PID_FILE]}: cannot create"
	if ! { printf '%d\n' "$$" >"${tmp}" && chmod 0644 -- "${tmp}" &&
	    mv -f -- "${tmp}" "${C[PID_FILE]}"; }; then
		die "PID_FILE ${C[PID_FILE]}: cannot write"
	fi
}

# leader_record: our pid and start time in RUN/leader, by which syncd
# tells this process from another one that got the same pid later.
leader_record() {
	proc_start "$$" || die "cannot read /proc/$$/stat"
	if ! { printf '%d\n%s\n' "$$" "${REPLY}" >"${RUN}/leader.new" &&
	    mv -f -- "${RUN}/leader.new" "${RUN}/leader"; }; then
		die "SPOOL_DIR ${C[SPOOL_DIR]}: cannot write ${RUN}/leader"
	fi
}

# proc_start PID: set REPLY to the start time of the live (not zombie)
# process PID, in clock ticks after boot; fail if there is none.
proc_start() {
	local stat
	local -a f
	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
	read -r -a f <<<"${stat##*) }"
	[[ ${f[0]} != Z ]] || return 1
	REPLY=${f[19]}
}

# notify_ready: under systemd (Type=notify), say that changes are being
# caught.  Run by this very process, so that systemd-notify, as root,
# sends the message as coming from the main process.
notify_ready() {
	[[ -n ${NOTIFY_SOCKET:-} ]] || return 0
	systemd-notify --ready ||
	    log warning "systemd-notify --ready failed"
}

# source_pin: work in SOURCE from now on.  rsync and inotifywait get "."
# and names relative to it, so that a directory swapped for a symlink
# above SOURCE later cannot redirect them.  Program paths that were
# relative are made absolute first.
source_pin() {
	[[ ${SELF} == /* ]] || SELF=${PWD%/}/${SELF}
	if [[ ${C[RSYNC_BIN]} == */* && ${C[RSYNC_BIN]} != /* ]]; then
		C[RSYNC_BIN]=${PWD%/}/${C[RSYNC_BIN]}
	fi
	cd -P -- "${C[SOURCE]}" || die "SOURCE ${C[SOURCE]}: cannot enter"
	[[ $(pwd -P) == "${C[SOURCE]}" ]] ||
	    die "SOURCE ${C[SOURCE]}: changed while starting"
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
	[[ ${CONFIG} == /* ]] || CONFIG=${PWD%/}/${CONFIG}
	config_load "${CONFIG}"
	if (( check )); then
		config_print
		return 0
	fi
	inotifywait_path
	syslog_probe
	source_pin
	# The watcher ends with us, even after a SIGKILL.
	if command -v setpriv >/dev/null; then
		PDEATH=(setpriv --pdeathsig TERM --)
	fi
	spool_setup
	nofollow_setup
	RUN=${C[SPOOL_DIR]}/run
	exec {LOCK_FD}>"${C[SPOOL_DIR]}/lock"
	if ! flock -n "${LOCK_FD}"; then
		log notice "waiting for the previous instance to finish"
		flock -w 300 "${LOCK_FD}" ||
		    die "SPOOL_DIR ${C[SPOOL_DIR]} is in use"
	fi
	mkfifo -m 0600 -- "${C[SPOOL_DIR]}/run/sleep.$$"
	exec {SLEEP_FD}<>"${C[SPOOL_DIR]}/run/sleep.$$"
	rm -f -- "${C[SPOOL_DIR]}/run/sleep.$$" "${RUN}"/batch.*
	watcher_orphan_end
	leader_record
	# A write to a dead worker fails (and restarts it) instead of
	# killing us.
	trap '' PIPE
	trap 'STOP=1' INT TERM
	trap 'RELOAD=1' HUP
	trap 'pid_file_remove' EXIT
	watcher_start || die "inotifywait failed on ${C[SOURCE]}"
	unwatched_scan
	[[ -z ${C[PID_FILE]} ]] || pid_file_write
	for i in "${!TARGET_LIST[@]}"; do
		worker_start "${i}"
	done
	log notice "watching ${C[SOURCE]} for ${#TARGET_LIST[@]} target(s)"
	notify_ready
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
