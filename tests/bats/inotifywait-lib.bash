# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers shared by the inotifywait*.bats files (load after helpers).

# iw_bg ARGS...: inotifywait in the background, stdout in out and stderr in
# err, ready (watches established) when this returns.
iw_bg() {
	start_watching out err "$INOTIFYWAIT" "$@"
}

# iw_done: wait for the background inotifywait to end by itself (tests
# give it -t, so this is bounded); sets BG_STATUS.
iw_done() {
	BG_STATUS=0
	wait "$BG_PID" || BG_STATUS=$?
	BG_PID=
}
