#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# sync-tree.sh: the pipeline at production scale (issue 16), run by run.sh
# (BENCH_ONLY=synctree).  Each row starts scripts/inotify.sh on a tree that
# already exists and is mirrored, notes the time from start to its
# "watching" log line and the kernel's Slab (/proc/meminfo) before the
# start and at that line, waits for its initial full sync, then has
# syncprobe write a burst of BENCH_TREE_BURST files of 10-100 KB at full
# speed and time their arrival (files/s, lag after the last write):
#   size      trees of BENCH_TREE_SIZES files (1,000 a directory) on the
#             work dir, local target: the largest against the smallest
#   fanotify  a loop-mounted ext4 image holding BENCH_TREE_DIRS directories
#             (100 x 100 x 100 for 1,000,000): WATCH=fanotify against
#             WATCH=inotify (max_user_watches raised to fit, never lowered)
#   ssh       a tree of BENCH_TREE_SSH_BASE files to nobody@127.0.0.1 over
#             a real sshd (tests/bats/sshd.bash) against the same tree to a
#             local target
# Prints a Markdown table (value, reference, ratio, target, met) on
# stdout; raw figures go to BENCH_TREE_OUT.  Needs root.
#
# Environment: BENCH_BIN, BENCH_WORK (set by run.sh), INOTIFY_SH,
# INOTIFYWAIT, BENCH_TREE_SIZES ("100000 1000000"), BENCH_TREE_DIRS
# (1000000), BENCH_TREE_SSH_BASE (100000), BENCH_TREE_BURST (10000),
# BENCH_TREE_ONLY (size,fanotify,ssh), BENCH_TREE_TIMEOUT (seconds per
# burst, 180), BENCH_TREE_OUT (BENCH_OUT.tree), BENCH_TREE_KEEP (keep logs).
set -euo pipefail

readonly PROG=bench-synctree
BIN=${BENCH_BIN:?}
W=${BENCH_WORK:?}/synctree
OUT=${BENCH_TREE_OUT:-${BENCH_OUT:-bench-results.tsv}.tree}
SIZES=${BENCH_TREE_SIZES:-100000 1000000}
DIRS=${BENCH_TREE_DIRS:-1000000}
SSH_BASE=${BENCH_TREE_SSH_BASE:-100000}
BURST=${BENCH_TREE_BURST:-10000}
ONLY=${BENCH_TREE_ONLY:-size,fanotify,ssh}
TIMEOUT=${BENCH_TREE_TIMEOUT:-180}
SRCDIR=$(cd "$(dirname "$0")" && pwd)
PIPE_PID=
MNT=

note() {
	echo "${PROG}: $*" >&2
}

die() {
	note "$*"
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (loop mount, sshd, fanotify)"
[ -f "${INOTIFY_SH:-}" ] || die "no scripts/inotify.sh (set INOTIFY_SH)"
[ -x "${INOTIFYWAIT:-}" ] || die "no inotifywait (set INOTIFYWAIT)"
export INOTIFYWAIT

# wait_for SECONDS CMD...: poll CMD every 20 ms (sshd.bash uses it).
wait_for() {
	local limit=$(( $1 * 50 )) i=0
	shift
	until "$@"; do
		(( ++i <= limit )) || return 1
		sleep 0.02
	done
}

# shellcheck source=/dev/null # tests/bats/sshd.bash
. "${SRCDIR}/../tests/bats/sshd.bash"

stop_pipeline() {
	[ -n "${PIPE_PID}" ] || return 0
	kill -TERM "${PIPE_PID}" 2>/dev/null || true
	# shellcheck disable=SC2016 # expanded by eval
	wait_for 60 eval '! kill -0 "${PIPE_PID}" 2>/dev/null' ||
	    kill -KILL -- "-${PIPE_PID}" 2>/dev/null || true
	wait "${PIPE_PID}" 2>/dev/null || true
	PIPE_PID=
}

cleanup() {
	stop_pipeline
	sshd_stop
	if [ -n "${MNT}" ] && mountpoint -q "${MNT}"; then
		umount "${MNT}"
	fi
	if [ -n "${BENCH_TREE_KEEP:-}" ]; then
		note "logs kept in ${W}"
	else
		rm -rf "${W}"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# record ROW METRIC VALUE
record() {
	printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"${OUT}"
}

field() {
	local kv
	for kv in $2; do
		[ "${kv%%=*}" = "$1" ] && { echo "${kv#*=}"; return 0; }
	done
	echo NA
}

slab_kb() {
	awk '/^Slab:/ { print $2 }' /proc/meminfo
}

# files_tree DIR N: N files of 200 bytes, 1,000 a directory.
files_tree() {
	local d n=$2 per=1000
	mkdir -p "$1"
	for (( d = 0; n > 0; d++, n -= per )); do
		mkdir "$1/b${d}"
		"${BIN}/evgen" files "$1/b${d}" $(( n < per ? n : per )) \
		    "${per}" 0 200 2>/dev/null
	done
}

# config FILE SOURCE TARGET [KEY=value...]: the pipeline's config.
config() {
	local file=$1 src=$2 tgt=$3 dir
	shift 3
	dir=${file%/*}
	{
		printf 'SOURCE=%s\nTARGETS=%s\n' "${src}" "${tgt}"
		printf 'SETTLE_MS=200\nBATCH_MAX=5000\nRSYNC_OPTS=-a\n'
		printf 'SPOOL_DIR=%s/spool\nPID_FILE=%s/syncd.pid\n' "${dir}" "${dir}"
		printf 'LOG_FILE=%s/log\n' "${dir}"
		[ $# -eq 0 ] || printf '%s\n' "$@"
	} >"${file}"
	chmod 600 "${file}"
}

has_line() {
	grep -q -- "$2" "$1" 2>/dev/null
}

# ready DIR SRC DST: the initial full sync is done and a probe arrives.
ready() {
	local k
	wait_for "${TIMEOUT}" has_line "$1/log" ' full target=.* rc=0$' ||
	    return 1
	for (( k = 0; k < 30; k++ )); do
		echo "${k}" >"$2/probe-${k}"
		wait_for 2 test -f "$3/probe-${k}" && return 0
		kill -0 "${PIPE_PID}" 2>/dev/null || return 1
	done
	return 1
}

# burst ROW DIR SRC DST TARGET [KEY=value...]: one run of the pipeline
# (its config in DIR) and its figures.
burst() {
	local row=$1 dir=$2 src=$3 dst=$4 tgt=$5 t0 t1 s0 s1 line
	shift 5
	mkdir -p "${dir}"
	rm -rf "${dir}/spool" "${dir}/log"
	config "${dir}/syncd.conf" "${src}" "${tgt}" "$@"
	s0=$(slab_kb)
	t0=${EPOCHREALTIME/./}
	setsid bash "${INOTIFY_SH}" -c "${dir}/syncd.conf" </dev/null \
	    >>"${dir}/out" 2>&1 &
	PIPE_PID=$!
	if ! wait_for "${TIMEOUT}" has_line "${dir}/log" ' watching '; then
		note "${row}: not watching (see ${dir})"
		tail -5 "${dir}/log" "${dir}/out" >&2 || true
		stop_pipeline
		return 0
	fi
	t1=${EPOCHREALTIME/./}
	s1=$(slab_kb)
	record "${row}" start_to_watching_s \
	    "$(awk -v d=$(( t1 - t0 )) 'BEGIN { printf "%.2f", d / 1e6 }')"
	record "${row}" slab_growth_kb $(( s1 - s0 ))
	if ! ready "${dir}" "${src}" "${dst}"; then
		note "${row}: not ready (see ${dir})"
		stop_pipeline
		return 0
	fi
	line=$("${BIN}/syncprobe" -s "${src}" -d "${dst}" -n "${BURST}" \
	    -t "${TIMEOUT}" -i 20) || line=
	note "${row}: ${line}"
	stop_pipeline
	find "${src}" "${dst}" -maxdepth 1 -type f \
	    \( -name 's[0-9]*' -o -name 'probe-*' -o -name '.s[0-9]*' \) -delete
	[ -n "${line}" ] || return 0
	record "${row}" files_per_s "$(field files_per_s "${line}")"
	record "${row}" lag_after_last_write_ms "$(field lag_last_ms "${line}")"
	record "${row}" missing "$(field missing "${line}")"
}

# row_size: the same burst on trees of each size in SIZES.
row_size() {
	local n t
	for n in ${SIZES}; do
		t=${W}/size-${n}
		note "tree of ${n} files"
		files_tree "${t}/src" "${n}"
		cp -a "${t}/src" "${t}/dst"
		burst "tree ${n} files" "${t}/run" "${t}/src" "${t}/dst" "${t}/dst"
		rm -rf "${t}"
	done
}

# row_fanotify: both back-ends on one ext4 image of DIRS directories.
row_fanotify() {
	local a=100 b=100 c mb want cur t=${W}/fan
	c=$(( (DIRS + a * b - 1) / (a * b) ))
	mb=$(( DIRS * 14 / 10000 + BURST / 10 + 256 ))
	mkdir -p "${t}/mnt"
	truncate -s "${mb}M" "${t}/img"
	mkfs.ext4 -q -F -b 1024 -m 0 -N $(( DIRS + DIRS / 10 + 20000 )) \
	    "${t}/img" >/dev/null
	mount -o loop "${t}/img" "${t}/mnt"
	MNT=${t}/mnt
	note "ext4 image of ${mb} MB: ${a} x ${b} x ${c} directories"
	"${BIN}/evgen" tree "${MNT}/tree" "${a}" "${b}" "${c}" 2>/dev/null
	cp -a "${MNT}/." "${t}/dst"
	rm -rf "${t}/dst/lost+found"
	want=$(( a * b * c + a * b + a + 100000 ))
	cur=$(cat /proc/sys/fs/inotify/max_user_watches)
	(( cur >= want )) || echo "${want}" >/proc/sys/fs/inotify/max_user_watches
	burst "ext4 $(( a * b * c )) dirs, fanotify" "${t}/run-fan" "${MNT}" \
	    "${t}/dst" "${t}/dst" WATCH=fanotify 'EXCLUDE=/lost+found/'
	burst "ext4 $(( a * b * c )) dirs, inotify" "${t}/run-ino" "${MNT}" \
	    "${t}/dst" "${t}/dst" WATCH=inotify 'EXCLUDE=/lost+found/'
	umount "${MNT}"
	MNT=
	rm -rf "${t}"
}

# row_ssh: the same tree to nobody@127.0.0.1 over ssh and to a local dir.
row_ssh() {
	local t=${W}/ssh
	note "tree of ${SSH_BASE} files, over ssh and locally"
	export SSH_OPEN_ROOT=${W}
	sshd_setup "${t}/sshd"
	sshd_start
	files_tree "${t}/src" "${SSH_BASE}"
	cp -a "${t}/src" "${t}/dst-ssh"
	cp -a "${t}/src" "${t}/dst-local"
	chown -R 65534:65534 "${t}/dst-ssh"
	burst "ssh ${SSH_BASE} files, local" "${t}/run-local" "${t}/src" \
	    "${t}/dst-local" "${t}/dst-local"
	burst "ssh ${SSH_BASE} files, ssh" "${t}/run-ssh" "${t}/src" \
	    "${t}/dst-ssh" "nobody@127.0.0.1:${t}/dst-ssh" \
	    "RSYNC_RSH=${SSH_RSH}"
	sshd_stop
	rm -rf "${t}"
}

# value ROW METRIC: the figure recorded, or empty.
value() {
	awk -F'\t' -v r="$1" -v m="$2" '$1 == r && $2 == m { v = $3 }
	    END { print v }' "${OUT}"
}

# line LABEL METRIC ROW REF TARGET OP LIMIT: a table line comparing ROW
# with REF; met when the ratio ROW/REF is OP (<= or >=) LIMIT.
line() {
	local v r
	v=$(value "$3" "$2")
	r=$(value "$4" "$2")
	awk -v l="$1" -v m="$2" -v v="${v}" -v r="${r}" -v t="$5" \
	    -v op="$6" -v lim="$7" 'BEGIN {
		q = (v == "" || r == "" || r + 0 == 0) ? "" : v / r
		ok = op == "<" ? q < lim : (op == "<=" ? q <= lim : q >= lim)
		met = (q == "" || t == "(reported)") ? "" : (ok ? "met" : "not met")
		printf "| %s | %s | %s | %s | %s | %s | %s |\n", l, m,
		    v == "" ? "-" : v, r == "" ? "-" : r,
		    q == "" ? "-" : sprintf("%.2f", q), t, met
	}'
}

table() {
	local big small n fan ino d
	echo "| row | metric | value | reference | ratio | target | |"
	echo "|---|---|---:|---:|---:|---|---|"
	small=${SIZES%% *}
	big=${SIZES##* }
	if [[ ,${ONLY}, == *,size,* && ${big} != "${small}" ]]; then
		big="tree ${big} files"
		small="tree ${small} files"
		line "${big} vs ${small}" files_per_s "${big}" "${small}" \
		    ">= 1/1.2" '>=' 0.8333
		line "${big} vs ${small}" lag_after_last_write_ms "${big}" \
		    "${small}" "<= 1.2" '<=' 1.2
		line "${big} vs ${small}" start_to_watching_s "${big}" \
		    "${small}" "(reported)" '>=' 0
	fi
	if [[ ,${ONLY}, == *,fanotify,* ]]; then
		d=$(awk -F'\t' '$1 ~ /, fanotify$/ { sub(/, fanotify$/, "", $1); print $1; exit }' "${OUT}")
		fan="${d}, fanotify"
		ino="${d}, inotify"
		line "${d}: fanotify vs inotify" start_to_watching_s "${fan}" \
		    "${ino}" "< 1" '<' 1
		line "${d}: fanotify vs inotify" slab_growth_kb "${fan}" \
		    "${ino}" "< 1" '<' 1
		line "${d}: fanotify vs inotify" files_per_s "${fan}" "${ino}" \
		    "(reported)" '>=' 0
		line "${d}: fanotify vs inotify" lag_after_last_write_ms \
		    "${fan}" "${ino}" "(reported)" '>=' 0
	fi
	if [[ ,${ONLY}, == *,ssh,* ]]; then
		n="ssh ${SSH_BASE} files"
		line "${n}: ssh vs local" files_per_s "${n}, ssh" "${n}, local" \
		    "(reported)" '>=' 0
		line "${n}: ssh vs local" lag_after_last_write_ms "${n}, ssh" \
		    "${n}, local" "(reported)" '>=' 0
	fi
	echo
	echo "Raw figures (${OUT}):"
	echo
	echo "| row | metric | value |"
	echo "|---|---|---:|"
	awk -F'\t' '{ printf "| %s | %s | %s |\n", $1, $2, $3 }' "${OUT}"
}

main() {
	mkdir -p "${W}"
	: >"${OUT}"
	note "burst of ${BURST} files; sizes ${SIZES}; ${DIRS} directories;" \
	    "ssh tree ${SSH_BASE}"
	[[ ,${ONLY}, != *,size,* ]] || row_size
	[[ ,${ONLY}, != *,fanotify,* ]] || row_fanotify
	[[ ,${ONLY}, != *,ssh,* ]] || row_ssh
	table
}

main "$@"
