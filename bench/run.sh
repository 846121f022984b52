#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run.sh: the benchmark suite behind `make bench`.  Runs our tools, Debian's
# inotify-tools (when installed) and our raw reference programs side by side,
# BENCH_REPS times each (interleaved), and prints a table of medians with the
# ratios ours/reference.  See bench/README.md.
#
# Environment (all optional):
#   BENCH_BIN      directory of the bench programs (set by make)
#   INOTIFYWAIT INOTIFYWATCH   our tools (set by make); skipped if absent
#   DEB_INOTIFYWAIT DEB_INOTIFYWATCH   the reference tools (/usr/bin/...)
#   BENCH_DIR      where trees and files go (default: a tmpfs, see README)
#   BENCH_REPS     repetitions (default 3; medians are reported)
#   BENCH_SCALE    multiplies every event and cycle count (default 1)
#   BENCH_FILES BENCH_FULL_FILES BENCH_WATCH_PAIRS BENCH_MEM_CYCLES
#   BENCH_LAT_REPS latency repetitions (default max(5, BENCH_REPS))
#   BENCH_LAT_EVENTS   the counts themselves (defaults 100000 100000 500000
#                  100000 1000)
#   BENCH_TREES    tree sizes for watch setup (default "10k 100k")
#   BENCH_ONLY     comma list of: setup,thru,lat,watch,mem,sync,fan,synctree
#                  (synctree, the pipeline at scale, only when named)
#   BENCH_README   write the table into this README (path), e.g. bench/README.md
#   BENCH_OUT      also write the raw figures here (default bench-results.tsv)
set -euo pipefail

readonly PROG=bench

die() {
	echo "${PROG}: $*" >&2
	exit 1
}

note() {
	echo "${PROG}: $*" >&2
}

BIN=${BENCH_BIN:-$(cd "$(dirname "$0")" && pwd)}
OURS_WAIT=${INOTIFYWAIT:-}
OURS_WATCH=${INOTIFYWATCH:-}
DEB_WAIT=${DEB_INOTIFYWAIT:-/usr/bin/inotifywait}
DEB_WATCH=${DEB_INOTIFYWATCH:-/usr/bin/inotifywatch}
REPS=${BENCH_REPS:-3}
SCALE=${BENCH_SCALE:-1}
TREES=${BENCH_TREES:-10k 100k}
ONLY=${BENCH_ONLY:-setup,thru,lat,watch,mem,sync}
OUT=${BENCH_OUT:-bench-results.tsv}
SRCDIR=${BENCH_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}

# Counts (before BENCH_SCALE).
FILES=$(( ${BENCH_FILES:-100000} * SCALE ))	# files per throughput run
FULL_FILES=$(( ${BENCH_FULL_FILES:-100000} * SCALE ))	# generator-bound
LAT_EVENTS=${BENCH_LAT_EVENTS:-1000}
# p99 over 1,000 events is at the mercy of the scheduler: more repetitions.
LAT_REPS=${BENCH_LAT_REPS:-$(( REPS < 5 ? 5 : REPS ))}
WATCH_PAIRS=$(( ${BENCH_WATCH_PAIRS:-500000} * SCALE ))	# 2 events each
MEM_CYCLES=$(( ${BENCH_MEM_CYCLES:-100000} * SCALE ))
MEM_FIRST=1000

for p in ref-walk ref-count ref-print evgen latprobe bmeasure; do
	[ -x "${BIN}/${p}" ] || die "${BIN}/${p} missing: run 'make bench'"
done
[ -x "${OURS_WAIT}" ] || { note "our inotifywait not built: skipped"; OURS_WAIT=; }
[ -x "${OURS_WATCH}" ] || { note "our inotifywatch not built: skipped"; OURS_WATCH=; }
[ -x "${DEB_WAIT}" ] || { note "no ${DEB_WAIT}: upstream column skipped"; DEB_WAIT=; }
[ -x "${DEB_WATCH}" ] || DEB_WATCH=

# A tmpfs by default: ext4 without a journal (this VM's root) scans its
# inode bitmap for recently deleted inodes on every create after a mass
# delete, which makes any file generator crawl for minutes.
if [ -z "${BENCH_DIR:-}" ]; then
	if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
		BENCH_DIR=/dev/shm
	else
		BENCH_DIR=${TMPDIR:-/tmp}
	fi
fi
WORK=$(mktemp -d "${BENCH_DIR}/inotify-bench.XXXXXX")
FSTYPE=$(stat -f -c %T "${WORK}")
OLD_WATCHES=

# The ext4 image of the fanotify rows, when mounted.
FAN_MNT=
fan_umount() {
	if [ -n "${FAN_MNT}" ] && mountpoint -q "${FAN_MNT}"; then
		umount "${FAN_MNT}"
	fi
	FAN_MNT=
}

cleanup() {
	local pid
	for pid in $(jobs -p); do
		kill "${pid}" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	fan_umount
	"${BIN}/evgen" clean "${WORK}" 2>/dev/null || true
	rm -rf "${WORK}"
	if [ -n "${OLD_WATCHES}" ]; then
		echo "${OLD_WATCHES}" >/proc/sys/fs/inotify/max_user_watches ||
			true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

: >"${OUT}"
rm -f "${OUT}.tree.md"

# record BENCH METRIC PROG VALUE
record() {
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"${OUT}"
}

# field KEY LINE: value of KEY=value in LINE.
field() {
	local kv
	for kv in $2; do
		[ "${kv%%=*}" = "$1" ] && { echo "${kv#*=}"; return 0; }
	done
	echo NA
}

# want NAME: is benchmark NAME selected?
want() {
	[[ ",${ONLY}," == *",$1,"* ]]
}

# fresh_dir: a new empty directory (never reuse one: see BENCH_DIR).
fresh_dir() {
	mktemp -d "${WORK}/ev.XXXXXX"
}

drop_dir() {
	"${BIN}/evgen" clean "$1" && rmdir "$1"
}

# Watches of exited watchers are freed asynchronously by the kernel: make
# room for two trees at once (restored at exit).
raise_watch_limit() {
	local need=$1 cur
	cur=$(cat /proc/sys/fs/inotify/max_user_watches)
	if (( cur < need )); then
		if echo "${need}" >/proc/sys/fs/inotify/max_user_watches \
		    2>/dev/null; then
			OLD_WATCHES=${OLD_WATCHES:-${cur}}
		else
			note "max_user_watches=${cur} < ${need}: setup may fail"
		fi
	fi
}

tree_dims() {
	case $1 in
	1k) echo "10 10 10" ;;
	10k) echo "10 10 100" ;;
	100k) echo "10 100 100" ;;
	1m) echo "10 100 1000" ;;
	*) die "unknown tree size $1 (1k 10k 100k 1m)" ;;
	esac
}

# ---- 1. watch setup ----------------------------------------------------
bench_setup() {
	local size tree r line prog cmd
	for size in ${TREES}; do
		tree=${WORK}/tree-${size}
		# shellcheck disable=SC2046
		"${BIN}/evgen" tree "${tree}" $(tree_dims "${size}")
		raise_watch_limit 500000
		# Warm the dentry cache once.
		"${BIN}/bmeasure" setup -- "${BIN}/ref-walk" "${tree}" >/dev/null
		for (( r = 0; r < REPS; r++ )); do
			for prog in raw ours upstream; do
				case ${prog} in
				raw) cmd=("${BIN}/ref-walk" "${tree}") ;;
				ours) [ -n "${OURS_WAIT}" ] || continue
					cmd=("${OURS_WAIT}" -mr "${tree}") ;;
				upstream) [ -n "${DEB_WAIT}" ] || continue
					cmd=("${DEB_WAIT}" -mr "${tree}") ;;
				esac
				line=$("${BIN}/bmeasure" setup -- "${cmd[@]}") ||
					{ note "setup ${size} ${prog} failed"; continue; }
				record "setup ${size}" wall_ms "${prog}" "$(field wall_ms "${line}")"
				record "setup ${size}" cpu_ms "${prog}" "$(field cpu_ms "${line}")"
				record "setup ${size}" hwm_kb "${prog}" "$(field hwm_kb "${line}")"
				record "setup ${size}" watches "${prog}" "$(field watches "${line}")"
			done
		done
		"${BIN}/evgen" clean "${tree}"
		rmdir "${tree}"
	done
}

# ---- 2. event throughput -------------------------------------------------
# fmt_args NAME: the inotifywait options of output format NAME.
fmt_args() {
	case $1 in
	default) ;;
	format) printf '%s\n' --format '%w%f %e' ;;
	csv) printf '%s\n' --csv ;;
	timefmt) printf '%s\n' --timefmt '%F %T' --format '%T %w%f %e' ;;
	esac
}

# thru_run LABEL PROG FORMAT BMEASURE-ARGS...: one throughput measurement.
thru_run() {
	local label=$1 prog=$2 fmt=$3 dir line
	shift 3
	local -a cmd fa
	mapfile -t fa < <(fmt_args "${fmt}")
	dir=$(fresh_dir)
	case ${prog} in
	raw-count) cmd=("${BIN}/ref-count" "${dir}") ;;
	raw-print) cmd=("${BIN}/ref-print" "${dir}") ;;
	ours) cmd=("${OURS_WAIT}" -m "${fa[@]}" "${dir}") ;;
	upstream) cmd=("${DEB_WAIT}" -m "${fa[@]}" "${dir}") ;;
	esac
	if line=$("${BIN}/bmeasure" thru -d "${dir}" "$@" -- "${cmd[@]}"); then
		record "${label}" lost "${prog}" "$(field lost "${line}")"
		record "${label}" ns_per_event "${prog}" "$(field ns_per_event "${line}")"
		record "${label}" events_per_s "${prog}" "$(field drain_eps "${line}")"
	else
		note "${label} ${prog} failed"
	fi
	drop_dir "${dir}"
}

# progs_for FORMAT: the programs compared for an output format.
progs_for() {
	local -a p=()
	[ "$1" = default ] && p+=(raw-count raw-print)
	[ -n "${OURS_WAIT}" ] && p+=(ours)
	[ -n "${DEB_WAIT}" ] && p+=(upstream)
	echo "${p[@]}"
}

bench_thru() {
	local r fmt prog
	for (( r = 0; r < REPS; r++ )); do
		# Drain: the watcher is stopped while 4,000 files (16,000
		# events, under the default queue of 16,384) are written, then
		# timed from SIGCONT until the batch is out: pure reader speed.
		for fmt in default format csv timefmt; do
			for prog in $(progs_for "${fmt}"); do
				thru_run "drain ${fmt}" "${prog}" "${fmt}" \
				    -n "${FILES}" -b 4000 -S
			done
		done
		# Bursts of 5,000 files while the watcher runs.
		for prog in $(progs_for default); do
			thru_run "bursts of 5000" "${prog}" default \
			    -n "${FILES}" -b 5000
		done
		# Full speed: one generator as fast as it can.
		for prog in $(progs_for default); do
			thru_run "full speed" "${prog}" default -n "${FULL_FILES}"
		done
	done
}

# ---- 3. latency ------------------------------------------------------------
bench_lat() {
	local r prog dir line
	local -a cmd
	for (( r = 0; r < LAT_REPS; r++ )); do
		for prog in raw-print ours upstream; do
			dir=$(fresh_dir)
			case ${prog} in
			raw-print) cmd=("${BIN}/ref-print" -m 8 "${dir}") ;;
			ours) [ -n "${OURS_WAIT}" ] || { rmdir "${dir}"; continue; }
				cmd=("${OURS_WAIT}" -m -e close_write "${dir}") ;;
			upstream) [ -n "${DEB_WAIT}" ] || { rmdir "${dir}"; continue; }
				cmd=("${DEB_WAIT}" -m -e close_write "${dir}") ;;
			esac
			if line=$("${BIN}/latprobe" -n "${LAT_EVENTS}" -i 1000 \
			    -d "${dir}" -- "${cmd[@]}"); then
				record latency median_us "${prog}" "$(field median_us "${line}")"
				record latency p99_us "${prog}" "$(field p99_us "${line}")"
			else
				note "latency ${prog} failed"
			fi
			drop_dir "${dir}"
		done
	done
}

# ---- 4. inotifywatch -------------------------------------------------------
bench_watch() {
	local r prog dir line
	local -a cmd
	for (( r = 0; r < REPS; r++ )); do
		for prog in raw-count ours upstream; do
			dir=$(fresh_dir)
			: >"${dir}/file"
			case ${prog} in
			raw-count) cmd=("${BIN}/ref-count" "${dir}") ;;
			ours) [ -n "${OURS_WATCH}" ] || { drop_dir "${dir}"; continue; }
				cmd=("${OURS_WATCH}" "${dir}") ;;
			upstream) [ -n "${DEB_WATCH}" ] || { drop_dir "${dir}"; continue; }
				cmd=("${DEB_WATCH}" "${dir}") ;;
			esac
			if line=$("${BIN}/bmeasure" count -f "${dir}/file" \
			    -n "${WATCH_PAIRS}" -- "${cmd[@]}"); then
				record inotifywatch ns_per_event "${prog}" "$(field ns_per_event "${line}")"
				record inotifywatch lost "${prog}" "$(field lost "${line}")"
			else
				note "inotifywatch ${prog} failed"
			fi
			drop_dir "${dir}"
		done
	done
}

# ---- 5. memory stability ---------------------------------------------------
bench_mem() {
	local r prog dir line
	local -a cmd
	for (( r = 0; r < REPS; r++ )); do
		for prog in ours upstream; do
			case ${prog} in
			ours) [ -n "${OURS_WAIT}" ] || continue
				cmd=("${OURS_WAIT}" -mr) ;;
			upstream) [ -n "${DEB_WAIT}" ] || continue
				cmd=("${DEB_WAIT}" -mr) ;;
			esac
			dir=$(fresh_dir)
			if line=$("${BIN}/bmeasure" mem -d "${dir}" \
			    -n "${MEM_CYCLES}" -k "${MEM_FIRST}" -- \
			    "${cmd[@]}" "${dir}"); then
				record "mkdir/rmdir" rss_first_kb "${prog}" "$(field rss_first_kb "${line}")"
				record "mkdir/rmdir" rss_end_kb "${prog}" "$(field rss_end_kb "${line}")"
				record "mkdir/rmdir" growth_kb "${prog}" "$(field growth_kb "${line}")"
			else
				note "mkdir/rmdir ${prog} failed"
			fi
			drop_dir "${dir}"
		done
	done
}

# ---- 6. sync pipeline --------------------------------------------------------
bench_sync() {
	if [ ! -f "${INOTIFY_SH:-}" ]; then
		note "scripts/inotify.sh not there yet: sync benchmark skipped"
		return 0
	fi
	BENCH_BIN=${BIN} BENCH_WORK=${WORK} BENCH_SCALE=${SCALE} \
	    BENCH_OUT=${OUT} bash "${SRCDIR}/sync.sh" ||
		note "sync benchmark failed"
}

# ---- 8. pipeline at scale (only when named in BENCH_ONLY) -------------------
bench_synctree() {
	BENCH_BIN=${BIN} BENCH_WORK=${WORK} BENCH_OUT=${OUT} \
	    bash "${SRCDIR}/sync-tree.sh" >"${OUT}.tree.md" ||
		note "synctree benchmark failed"
}

# ---- table ---------------------------------------------------------------------
# Medians per (bench, metric, prog) and the ratios to the references: "raw"
# is ref-walk (setup) or ref-count (events), "raw+print" is ref-print.  Rows
# without their own reference runs (other output formats) use the ones of
# the default-format row of the same kind.
# ---- 7. fanotify ------------------------------------------------------------
# On an ext4 image (fanotify needs a filesystem that encodes file handles):
# watch setup of the 10k tree with one filesystem mark (-S) against -r
# inotify, and the drain of one directory with each.
bench_fan() {
	local img=${WORK}/fan.img tree line r prog dir
	local -a cmd
	truncate -s 512M "${img}"
	mkfs.ext4 -q -F "${img}" || { note "fan: mkfs.ext4 failed"; return 0; }
	FAN_MNT=${WORK}/fan
	mkdir -p "${FAN_MNT}"
	mount -o loop "${img}" "${FAN_MNT}" ||
		{ note "fan: cannot mount an image"; FAN_MNT=; return 0; }
	tree=${FAN_MNT}/tree-10k
	# shellcheck disable=SC2046
	"${BIN}/evgen" tree "${tree}" $(tree_dims 10k)
	raise_watch_limit 500000
	"${BIN}/bmeasure" setup -- "${BIN}/ref-walk" "${tree}" >/dev/null
	for (( r = 0; r < REPS; r++ )); do
		for prog in inotify fanotify; do
			case ${prog} in
			inotify) cmd=("${OURS_WAIT}" -mr "${tree}") ;;
			fanotify) cmd=("${OURS_WAIT}" -m -S "${tree}") ;;
			esac
			line=$("${BIN}/bmeasure" setup -- "${cmd[@]}") ||
				{ note "fan setup ${prog} failed"; continue; }
			record "ext4 setup 10k ${prog}" wall_ms ours "$(field wall_ms "${line}")"
			record "ext4 setup 10k ${prog}" cpu_ms ours "$(field cpu_ms "${line}")"
			dir=$(mktemp -d "${FAN_MNT}/ev.XXXXXX")
			case ${prog} in
			inotify) cmd=("${OURS_WAIT}" -m "${dir}") ;;
			fanotify) cmd=("${OURS_WAIT}" -m -S "${dir}") ;;
			esac
			if line=$("${BIN}/bmeasure" thru -d "${dir}" -n "${FILES}" \
			    -b 4000 -S -- "${cmd[@]}"); then
				record "ext4 drain ${prog}" lost ours "$(field lost "${line}")"
				record "ext4 drain ${prog}" ns_per_event ours "$(field ns_per_event "${line}")"
				record "ext4 drain ${prog}" events_per_s ours "$(field drain_eps "${line}")"
			else
				note "fan drain ${prog} failed"
			fi
			drop_dir "${dir}"
		done
	done
	fan_umount
}

table() {
	awk -F'\t' '
	function median(key,    n, a, i, j, t) {
		if (!(key in vals))
			return ""
		n = split(vals[key], a, " ")
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function fmt(v) {
		if (v == "")
			return "-"
		if (v + 0 >= 100 || v + 0 <= -100)
			return sprintf("%.0f", v)
		return sprintf("%.3g", v)
	}
	function ratio(a, b) {
		if (a == "" || b == "" || b + 0 == 0)
			return "-"
		return sprintf("%.2f", a / b)
	}
	function ref(b, m, p,    v, d) {
		v = median(b SUBSEP m SUBSEP p)
		if (v == "" && p == "raw")
			v = median(b SUBSEP m SUBSEP "raw-count")
		if (v == "" && b ~ /^drain /) {
			d = "drain default"
			v = median(d SUBSEP m SUBSEP (p == "raw" ? "raw-count" : p))
		}
		return v
	}
	$4 != "NA" && $4 != "" && $1 !~ /^sync/ {
		key = $1 SUBSEP $2
		if (!(key in seen)) {
			seen[key] = 1
			order[++nrows] = key
		}
		vals[key SUBSEP $3] = vals[key SUBSEP $3] " " $4
	}
	END {
		print "| benchmark | metric | ours | upstream | raw | raw+print | ours/raw | ours/raw+print | ours/upstream |"
		print "|---|---|---:|---:|---:|---:|---:|---:|---:|"
		for (i = 1; i <= nrows; i++) {
			split(order[i], kb, SUBSEP)
			o = median(order[i] SUBSEP "ours")
			u = median(order[i] SUBSEP "upstream")
			r = ref(kb[1], kb[2], "raw")
			rp = ref(kb[1], kb[2], "raw-print")
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			    kb[1], kb[2], fmt(o), fmt(u), fmt(r), fmt(rp),
			    ratio(o, r), ratio(o, rp), ratio(o, u)
		}
	}' "${OUT}"
}

# The sync pipelines: one column per pipeline.
sync_table() {
	grep -q '^sync' "${OUT}" || return 0
	awk -F'\t' '
	function median(v,    n, a, i, j, t) {
		n = split(v, a, " ")
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function ratio(a, b) {
		return (a == "" || b == "" || b + 0 == 0) ? "-" : sprintf("%.2f", a / b)
	}
	BEGIN {
		title["ours"] = "inotify.sh"; title["classic"] = "classic loop"
		title["floor"] = "one rsync"; title["before"] = "inotify.sh before"
		title["ours-2targets"] = "inotify.sh, 2 targets"
	}
	$1 ~ /^sync/ && $4 != "NA" {
		if (!(($1, $2) in seen)) { seen[$1, $2] = 1; order[++n] = $1 SUBSEP $2 }
		if (!($3 in hascol)) { hascol[$3] = 1; cols[++nc] = $3 }
		v[$1, $2, $3] = v[$1, $2, $3] " " $4
	}
	END {
		print ""
		hdr = "| benchmark | metric"; sep = "|---|---"
		for (j = 1; j <= nc; j++) {
			hdr = hdr " | " (cols[j] in title ? title[cols[j]] : cols[j])
			sep = sep "|---:"
		}
		print hdr " | inotify.sh/lsyncd |"
		print sep "|---:|"
		for (i = 1; i <= n; i++) {
			split(order[i], k, SUBSEP)
			line = "| " k[1] " | " k[2]
			for (j = 1; j <= nc; j++) {
				x = ((order[i], cols[j]) in v) ? median(v[order[i], cols[j]]) : ""
				line = line " | " (x == "" ? "-" : x)
			}
			o = ((order[i], "ours") in v) ? median(v[order[i], "ours"]) : ""
			l = ((order[i], "lsyncd") in v) ? median(v[order[i], "lsyncd"]) : ""
			print line " | " ratio(o, l) " |"
		}
	}' "${OUT}"
}

# Bytes per watch: marginal VmHWM between the two largest trees.
per_watch() {
	awk -F'\t' '
	$1 ~ /^setup / && ($2 == "hwm_kb" || $2 == "watches") {
		s[$1, $2, $3] = s[$1, $2, $3] " " $4
		progs[$3] = 1; sizes[$1] = 1
	}
	function med(v,    n, a, i, j, t) {
		n = split(v, a, " ")
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	END {
		lo = ""; hi = ""
		for (z in sizes) {
			w = 0
			for (p in progs) if ((z, "watches", p) in s) w = med(s[z, "watches", p])
			if (lo == "" || w < lw) { lo = z; lw = w }
			if (hi == "" || w > hw) { hi = z; hw = w }
		}
		if (lo == hi)
			exit
		for (p in progs) {
			if (!((lo, "hwm_kb", p) in s) || !((hi, "hwm_kb", p) in s))
				continue
			dk = med(s[hi, "hwm_kb", p]) - med(s[lo, "hwm_kb", p])
			dw = med(s[hi, "watches", p]) - med(s[lo, "watches", p])
			if (dw > 0)
				printf "setup\tbytes_per_watch\t%s\t%.1f\n", p, dk * 1024 / dw
		}
	}' "${OUT}" >"${OUT}.pw"
	cat "${OUT}.pw" >>"${OUT}"
	rm -f "${OUT}.pw"
}

machine() {
	local cpu
	cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
	echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- Machine: ${cpu:-unknown CPU}, $(nproc) CPUs," \
	    "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM"
	echo "- Kernel: $(uname -sr); filesystem of the trees: ${FSTYPE}" \
	    "(BENCH_DIR=${BENCH_DIR})"
	echo "- Queue: max_queued_events=$(cat /proc/sys/fs/inotify/max_queued_events)"
	echo "- Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" \
	    "(other jobs share the CPUs: compare CPU times and ratios)"
	echo "- Runs: BENCH_REPS=${REPS} (medians), BENCH_SCALE=${SCALE}," \
	    "trees ${TREES}; ${FILES} files per throughput run," \
	    "${FULL_FILES} at full speed"
	if [ -n "${OURS_WAIT}" ]; then
		echo "- Ours: ${OURS_WAIT} (source at git" \
		    "$(git -C "${SRCDIR}" rev-parse --short HEAD 2>/dev/null ||
		    echo '?'))"
	fi
	if [ -n "${DEB_WAIT}" ]; then
		echo "- Upstream: Debian inotify-tools" \
		    "$(dpkg-query -W -f '${Version}' inotify-tools 2>/dev/null || echo '?')"
	fi
}

# write_readme FILE TABLE: replace the text between the markers.
write_readme() {
	local file=$1 tbl=$2 tmp
	tmp=$(mktemp)
	TBL=${tbl} awk '
	/<!-- results start -->/ { print; print ENVIRON["TBL"]; skip = 1; next }
	/<!-- results end -->/ { skip = 0 }
	!skip { print }' "${file}" >"${tmp}"
	cat "${tmp}" >"${file}"
	rm -f "${tmp}"
}

main() {
	local t0=${SECONDS} tbl
	note "work dir ${WORK} (${FSTYPE})"
	if want setup; then note "1. watch setup"; bench_setup; fi
	if want thru; then note "2. event throughput"; bench_thru; fi
	if want lat; then note "3. latency"; bench_lat; fi
	if want watch; then note "4. inotifywatch"; bench_watch; fi
	if want mem; then note "5. memory stability"; bench_mem; fi
	if want sync; then note "6. sync pipeline"; bench_sync; fi
	if want fan; then note "7. fanotify"; bench_fan; fi
	if want synctree; then note "8. pipeline at scale"; bench_synctree; fi
	per_watch
	tbl="$(machine)
- Wall time of the suite: $(( SECONDS - t0 )) s

$(table)
$(sync_table)"
	[ ! -s "${OUT}.tree.md" ] || tbl+="

$(cat "${OUT}.tree.md")"
	echo
	echo "${tbl}"
	if [ -n "${BENCH_README:-}" ]; then
		write_readme "${BENCH_README}" "${tbl}"
		note "table written to ${BENCH_README}"
	fi
}

main "$@"
