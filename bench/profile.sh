#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# profile.sh: where our tools spend their time, with perf (and callgrind for
# the watch setup when BENCH_CALLGRIND=1).  `make bench-profile` runs it.
#
#   setup   inotifywait -mr on a 100k-directory tree until established
#   drain   inotifywait -m (default format) draining stopped bursts
#   csv / timefmt   the same with --csv / --format '%T ...' --timefmt
#   watch   inotifywatch counting 1,000,000 open/close events
#
# Prints the top symbols (self time) of the tool's own process.  Needs perf;
# the binaries need symbols (the default -g build has them).
# Environment: BENCH_BIN, INOTIFYWAIT, INOTIFYWATCH, BENCH_DIR,
# BENCH_PROFILE (which of the above; default all), BENCH_TOP (25).
set -euo pipefail

readonly PROG=bench-profile
BIN=${BENCH_BIN:-$(cd "$(dirname "$0")" && pwd)}
IW=${INOTIFYWAIT:?set INOTIFYWAIT}
IWATCH=${INOTIFYWATCH:-}
WHICH=${BENCH_PROFILE:-setup drain csv timefmt watch}
TOP=${BENCH_TOP:-25}
BENCH_DIR=${BENCH_DIR:-/dev/shm}
WORK=$(mktemp -d "${BENCH_DIR}/inotify-profile.XXXXXX")

note() {
	echo "${PROG}: $*" >&2
}

cleanup() {
	"${BIN}/evgen" clean "${WORK}" 2>/dev/null || true
	rm -rf "${WORK}"
}
trap cleanup EXIT

command -v perf >/dev/null || { note "perf not installed"; exit 1; }

# report DATA COMM: top self-time symbols of COMM.
report() {
	perf report -i "$1" --comm "$2" --no-children -g none --percentage relative \
	    --sort dso,symbol \
	    --stdio 2>/dev/null | grep -v -e '^#' -e '^$' | head -n "${TOP}" ||
		true
}

# prof NAME COMM CMD...: perf record CMD (and its children).
prof() {
	local name=$1 comm=$2
	shift 2
	note "== ${name}"
	perf record -q -F 4999 -g -o "${WORK}/${name}.data" -- "$@" >&2
	echo "### ${name}: top symbols of ${comm} (self time)"
	report "${WORK}/${name}.data" "${comm}"
	echo
}

fmt_args() {
	case $1 in
	csv) printf '%s\n' --csv ;;
	timefmt) printf '%s\n' --timefmt '%F %T' --format '%T %w%f %e' ;;
	esac
}

main() {
	local what dir comm
	local -a fa
	comm=$(basename "${IW}")
	for what in ${WHICH}; do
		case ${what} in
		setup)
			"${BIN}/evgen" tree "${WORK}/tree" 10 100 100
			"${BIN}/bmeasure" setup -- "${BIN}/ref-walk" \
			    "${WORK}/tree" >/dev/null
			prof setup "${comm}" "${BIN}/bmeasure" setup -- \
			    "${IW}" -mr "${WORK}/tree"
			if [ -n "${BENCH_CALLGRIND:-}" ]; then
				# -t -1 exits right after "Watches established."
				valgrind --tool=callgrind --callgrind-out-file="${WORK}/cg.out" \
				    "${IW}" -mr -t -1 "${WORK}/tree" 2>/dev/null || true
				callgrind_annotate "${WORK}/cg.out" 2>/dev/null |
				    head -n $(( TOP + 20 ))
			fi
			"${BIN}/evgen" clean "${WORK}/tree"
			rmdir "${WORK}/tree"
			;;
		drain|csv|timefmt)
			mapfile -t fa < <(fmt_args "${what}")
			dir=$(mktemp -d "${WORK}/ev.XXXXXX")
			prof "${what}" "${comm}" "${BIN}/bmeasure" thru -d "${dir}" \
			    -n 200000 -b 4000 -S -- "${IW}" -m "${fa[@]}" "${dir}"
			"${BIN}/evgen" clean "${dir}"
			rmdir "${dir}"
			;;
		watch)
			[ -x "${IWATCH}" ] || { note "no inotifywatch"; continue; }
			dir=$(mktemp -d "${WORK}/ev.XXXXXX")
			: >"${dir}/file"
			prof watch "$(basename "${IWATCH}")" "${BIN}/bmeasure" \
			    count -f "${dir}/file" -n 500000 -- "${IWATCH}" "${dir}"
			rm -rf "${dir}"
			;;
		*)
			note "unknown profile ${what}"
			;;
		esac
	done
}

main "$@"
