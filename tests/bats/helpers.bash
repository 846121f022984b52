# SPDX-License-Identifier: GPL-2.0-or-later
# Shared bats helpers.  Load with: load helpers
# Binaries come from the environment set by `make check`
# (AM_TESTS_ENVIRONMENT); run by hand, they default to the build tree.

: "${top_builddir:=$(cd "${BATS_TEST_DIRNAME}/../.." && pwd)}"
: "${INOTIFYWAIT:=${top_builddir}/inotifywait/inotifywait}"
: "${FSNOTIFYWAIT:=${top_builddir}/inotifywait/fsnotifywait}"
: "${INOTIFYWATCH:=${top_builddir}/inotifywatch/inotifywatch}"
: "${FSNOTIFYWATCH:=${top_builddir}/inotifywatch/fsnotifywatch}"

# wait_for SECONDS CMD...: poll CMD every 20 ms until it succeeds; fail
# (return 1) when SECONDS pass.  Waits on a condition, never a fixed sleep.
wait_for() {
	local limit=$(( $1 * 50 )) i=0
	shift
	while ! "$@"; do
		i=$(( i + 1 ))
		if (( i > limit )); then
			echo "wait_for: timed out: $*" >&2
			return 1
		fi
		sleep 0.02
	done
}

# file_has FILE PATTERN: grep -q -- PATTERN FILE (for wait_for).
file_has() {
	grep -q -- "$2" "$1" 2>/dev/null
}

# is_stopped PID: the process is stopped (state T in /proc/PID/stat).
is_stopped() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" = T ]
}

# stop_process PID: SIGSTOP it and wait until it has stopped: kill returns
# before, and a reader woken by the signal may still take what is queued.
stop_process() {
	kill -STOP "$1"
	wait_for 10 is_stopped "$1"
}

# start_bg OUT ERR CMD...: run CMD in the background with stdout in OUT
# and stderr in ERR; sets BG_PID.  Stop with stop_bg.
start_bg() {
	local out=$1 err=$2
	shift 2
	"$@" >"$out" 2>"$err" &
	BG_PID=$!
}

# start_watching OUT ERR CMD...: start_bg, then wait until the program says
# "Watches established." on stderr (give it without -q).
start_watching() {
	start_bg "$@"
	wait_for 10 file_has "$2" 'Watches established\|now collecting statistics'
}

# stop_bg [SIGNAL]: signal BG_PID (TERM by default) and reap it; sets
# BG_STATUS.
stop_bg() {
	local sig=${1:-TERM}
	[ -n "${BG_PID:-}" ] || return 0
	kill "-${sig}" "$BG_PID" 2>/dev/null || true
	BG_STATUS=0
	wait "$BG_PID" 2>/dev/null || BG_STATUS=$?
	BG_PID=
}

# require_fanotify: skip unless fanotify can be initialised here.
require_fanotify() {
	[ "$(id -u)" = 0 ] || skip "fanotify needs root"
}

# debian_oracle: skip unless Debian's inotify-tools was fetched into the
# build tree (tests/debian-oracle.sh, run by make check); then set
# DEB_INOTIFYWAIT and DEB_INOTIFYWATCH (Debian's programs on Debian's
# library), DEB_INCLUDE and DEB_LIB (its header and library directories).
: "${DEBIAN_ORACLE:=${top_builddir}/tests/oracle}"
debian_oracle() {
	if [ ! -e "${DEBIAN_ORACLE}/stamp" ]; then
		skip "no Debian inotify-tools to compare with: $(cat \
		    "${DEBIAN_ORACLE}/missing" 2>/dev/null || echo 'run make check')"
	fi
	DEB_INOTIFYWAIT=${DEBIAN_ORACLE}/bin/inotifywait
	DEB_INOTIFYWATCH=${DEBIAN_ORACLE}/bin/inotifywatch
	DEB_INCLUDE=${DEBIAN_ORACLE}/include
	DEB_LIB=${DEBIAN_ORACLE}/lib
}
