#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# inotifywait's bad-input matrix: each case with its exact message on
# stderr (upstream's text where upstream has one) and its exit status;
# hostile paths, names and limits; output that goes away or stalls.
bats_require_minimum_version 1.5.0
load helpers
load inotifywait-lib
load badinput-lib

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	mkdir d
}

teardown() {
	stop_bg
	if mountpoint -q mnt 2>/dev/null; then
		umount mnt
	fi
}

readonly SETUP="Setting up watches."
readonly READY="Watches established."

# bats test_tags=argv0
@test "every option that takes an argument, given without one: getopt's line, 1" {
	local o
	for o in e t o; do
		fails_with 1 "$INOTIFYWAIT: option requires an argument -- '$o'" \
			"$INOTIFYWAIT" "-$o"
	done
	for o in format timefmt fromfile exclude excludei include includei \
	    outfile event timeout; do
		fails_with 1 "$INOTIFYWAIT: option '--$o' requires an argument" \
			"$INOTIFYWAIT" "--$o"
	done
}

# bats test_tags=argv0
@test "unknown options: getopt's line, 1, no usage" {
	fails_with 1 "$INOTIFYWAIT: unrecognized option '--foo'" \
		"$INOTIFYWAIT" --foo d
	fails_with 1 "$INOTIFYWAIT: invalid option -- 'x'" "$INOTIFYWAIT" -x d
	# long-only options have no short form
	fails_with 1 "$INOTIFYWAIT: invalid option -- 'n'" "$INOTIFYWAIT" -n d
	fails_with 1 "$INOTIFYWAIT: option '--ex' is ambiguous; possibilities: '--exclude' '--excludei'" \
		"$INOTIFYWAIT" --ex x d
}

@test "empty strings: -t, --fromfile and the path are refused; -e '' is every event" {
	fails_with 1 $'The provided value is not a valid timeout value.\nPlease specify a long int value.' \
		"$INOTIFYWAIT" -t '' d
	fails_with 1 "Couldn't open : No such file or directory" \
		"$INOTIFYWAIT" --fromfile '' d
	fails_with 1 "No files specified to watch!" "$INOTIFYWAIT" ''
	iw_bg -t 10 -e '' d
	touch d/f
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(cat out)" = "d/ CREATE f" ]
}

@test "an unknown event name: upstream's line, 1" {
	fails_with 1 "'modify,nope' is not a valid event!  Run with the '--help' option to see a list of events." \
		"$INOTIFYWAIT" -e modify,nope d
}

@test "invalid regexes: upstream's line, 1" {
	local o
	for o in --exclude --excludei; do
		fails_with 1 "Error in \`exclude' regular expression." \
			"$INOTIFYWAIT" "$o" '(' d
	done
	for o in --include --includei; do
		fails_with 1 "Error in \`include' regular expression." \
			"$INOTIFYWAIT" "$o" 'a[' d
	done
	fails_with 1 "Error in \`exclude' regular expression." \
		"$INOTIFYWAIT" --exclude '*' d
}

@test "absurd timeouts: non-numeric, fractional, hex, out of range: upstream's lines, 1" {
	local t
	for t in abc 1.5 1e3 0x10 ' 1x' '5 '; do
		fails_with 1 "'$t' is not a valid timeout value."$'\n'"Please specify a long int value." \
			"$INOTIFYWAIT" -t "$t" d
	done
	for t in 9223372036854775808 -9223372036854775809 99999999999999999999; do
		fails_with 1 $'Something went wrong with the timeout value you provided.\nNumerical result out of range' \
			"$INOTIFYWAIT" -t "$t" d
	done
}

@test "a negative timeout aborts after the watches, 1" {
	fails_with 1 "$SETUP"$'\n'"$READY"$'\nNegative timeout specified - abort!' \
		"$INOTIFYWAIT" -t -1 d
	fails_with 1 "$SETUP"$'\n'"$READY"$'\nNegative timeout specified - abort!' \
		"$INOTIFYWAIT" -t -9223372036854775808 d
}

@test "huge timeouts wait (no overflow into an immediate timeout)" {
	local t
	for t in 2147484 4294967297 9223372036854775807; do
		rm -f out err
		start_watching out err timeout 30 "$INOTIFYWAIT" -t "$t" -e create d
		touch "d/f$t"
		iw_done
		[ "$BG_STATUS" -eq 0 ]
		[ "$(cat out)" = "d/ CREATE f$t" ]
	done
}

@test "nonexistent path and dangling symlink: Couldn't watch, 1" {
	ln -s nowhere dangling
	fails_with 1 "$SETUP"$'\n'"Couldn't watch nonexist: No such file or directory" \
		"$INOTIFYWAIT" -t 1 nonexist
	fails_with 1 "$SETUP"$'\n'"Couldn't watch dangling: No such file or directory" \
		"$INOTIFYWAIT" -t 1 dangling
	# earlier paths were watched, later ones never tried
	fails_with 1 "$SETUP"$'\n'"Couldn't watch nonexist: No such file or directory" \
		"$INOTIFYWAIT" -t 1 d nonexist also-missing
}

@test "-P watches a dangling symlink itself" {
	ln -s nowhere dangling
	iw_bg -t 10 -P dangling
	touch -h dangling
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(cat out)" = "dangling ATTRIB " ]
}

@test "unreadable paths (uid 65534): Permission denied, 1; -r skips an unreadable subdirectory" {
	mkdir -p priv/sub open/shut
	chmod 700 priv open/shut
	chmod 755 . open
	fails_with 1 "$SETUP"$'\n'"Couldn't watch priv: Permission denied" \
		as_nobody "$INOTIFYWAIT" -t 1 priv
	fails_with 1 "$SETUP"$'\n'"Couldn't watch priv/sub: Permission denied" \
		as_nobody "$INOTIFYWAIT" -t 1 priv/sub
	fails_with 2 "Setting up watches.  Beware: since -r was given, this may take a while!"$'\n'"$READY" \
		as_nobody "$INOTIFYWAIT" -r -t 1 open
}

@test "a FIFO, a device and a socket are watched like files" {
	mkfifo fifo
	perl -MIO::Socket::UNIX -e 'IO::Socket::UNIX->new(Local => "sock", Listen => 1) or die' ||
		python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("sock")'
	[ -S sock ]
	iw_bg -t 10 -e attrib fifo sock /dev/null
	touch fifo sock
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(cat out)" = "fifo ATTRIB " ]
	rm -f out err
	iw_bg -m -e attrib fifo sock /dev/null
	chmod 600 sock
	wait_for 10 file_has out '^sock ATTRIB $'
}

@test "--fromfile: empty lines skipped, no comments, CR kept, last line without newline, long lines whole" {
	printf 'd\n\n\n' >list
	iw_bg -t 10 -e create --fromfile list
	touch d/f
	iw_done
	[ "$(cat out)" = "d/ CREATE f" ]
	printf 'd\n#comment\n' >list
	fails_with 1 "$SETUP"$'\n'"Couldn't watch #comment: No such file or directory" \
		"$INOTIFYWAIT" -t 1 --fromfile list
	printf 'd\r\n' >list
	fails_with 1 "$SETUP"$'\n'"Couldn't watch d\\x0d: No such file or directory" \
		"$INOTIFYWAIT" -t 1 --fromfile list
	printf 'nonexist\nd' >list
	fails_with 1 "$SETUP"$'\n'"Couldn't watch nonexist: No such file or directory" \
		"$INOTIFYWAIT" -t 1 --fromfile list
	local long
	long=$(printf 'y%.0s' {1..5000})
	printf 'd\n%s\n' "$long" >list
	fails_with 1 "$SETUP"$'\n'"Couldn't watch $long: File name too long" \
		"$INOTIFYWAIT" -t 1 --fromfile list
}

@test "--fromfile that is a directory: one line, 1" {
	fails_with 1 "Couldn't read d: Is a directory" "$INOTIFYWAIT" --fromfile d
}

@test "@ exclusions that match nothing change nothing" {
	mkdir d/a
	iw_bg -t 10 -r -e create d @nomatch @d/nomatch/ @/nowhere
	touch d/a/f
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(cat out)" = "d/a/ CREATE f" ]
	fails_with 1 "No files specified to watch!" "$INOTIFYWAIT" @d
}

@test "max_user_watches exhausted: upstream's two lines, 1; a new directory past it is a warning" {
	mkdir -p d/a d/b d/c
	fails_with 1 "Setting up watches.  Beware: since -r was given, this may take a while!"$'\n'"Failed to watch d; upper limit on inotify watches reached!"$'\n'"Please increase the amount of inotify watches allowed per user via \`/proc/sys/fs/inotify/max_user_watches'." \
		in_userns 'echo 3 >/proc/sys/user/max_inotify_watches && exec "$@"' \
		"$INOTIFYWAIT" -r -t 1 d
	rm -r d/b d/c
	start_bg out err in_userns \
		'echo 2 >/proc/sys/user/max_inotify_watches && exec "$@"' \
		"$INOTIFYWAIT" -m -r -e create d
	wait_for 10 file_has err "$READY"
	mkdir d/new
	touch d/a/f
	wait_for 10 file_has out '^d/a/ CREATE f$'
	stop_bg
	grep -qx "Couldn't watch new directory d/new/: No space left on device" err
	[ "$(cat out)" = $'d/ CREATE,ISDIR new\nd/a/ CREATE f' ]
}

@test "max_user_instances exhausted: upstream's two lines, 1" {
	fails_with 1 $'Couldn\'t initialize inotify: Too many open files\nTry increasing the value of /proc/sys/fs/inotify/max_user_instances' \
		in_userns 'echo 0 >/proc/sys/user/max_inotify_instances && exec "$@"' \
		"$INOTIFYWAIT" -t 1 d
}

# run_into_closed_pipe: inotifywait -m into a pipe whose reader takes one
# byte and leaves; events are made until inotifywait has ended (rc holds
# its status, err its stderr).
run_into_closed_pipe() {
	{
		local st=0
		"$INOTIFYWAIT" -m -q d 2>err || st=$?
		echo "$st" >rc
	} | head -c 1 >/dev/null &
	local i=0
	while [ ! -s rc ] && (( i++ < 500 )); do
		touch d/f
		sleep 0.02
	done
	wait
}

@test "the output pipe closed early: SIGPIPE ends it quietly" {
	run_into_closed_pipe
	[ "$(cat rc)" -eq 141 ]
	[ ! -s err ]
}

@test "the output pipe closed early with SIGPIPE ignored: one line, 1, no busy loop" {
	trap '' PIPE
	run_into_closed_pipe
	trap - PIPE
	[ "$(cat rc)" -eq 1 ]
	[ "$(cat err)" = "inotifywait: write error: Broken pipe" ]
}

@test "a stalled reader loses no event and the memory stays bounded" {
	local long i before after
	long=$(printf 'y%.0s' {1..200})
	mkfifo pipe
	start_bg pipe err "$INOTIFYWAIT" -m -e create d
	exec 7<pipe
	wait_for 10 file_has err "$READY"
	before=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$BG_PID/status")
	# about 2 MiB of lines: twice what the pipe holds, within the queue
	for (( i = 0; i < 10000; i++ )); do
		: >"d/$long$i"
	done
	after=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$BG_PID/status")
	cat <&7 >out &
	wait_for 30 lines_at_least out 10000
	stop_bg
	exec 7<&-
	wait
	[ "$(wc -l <out)" -eq 10000 ]
	[ "$(sort -u out | wc -l)" -eq 10000 ]
	run ! grep -v -e "^$SETUP\$" -e "^$READY\$" err
	echo "VmRSS ${before} kB before, ${after} kB with the reader stalled"
	(( after - before <= 1024 ))
}

@test "a watched directory deleted: DELETE_SELF, and -m keeps running" {
	mkdir e
	iw_bg -m d e
	rm -r d
	touch e/mark
	wait_for 10 file_has out '^e/ CREATE mark$'
	kill -0 "$BG_PID"
	stop_bg
	grep -qx 'd/ DELETE_SELF ' out
}

@test "a watched directory replaced: the new one is not watched, the rest goes on" {
	mkdir e
	iw_bg -m -e create d e
	rm -r d
	mkdir d
	touch d/x e/mark
	wait_for 10 file_has out '^e/ CREATE mark$'
	stop_bg
	[ "$(cat out)" = "e/ CREATE mark" ]
}

@test "a watched directory unmounted: UNMOUNT with -e unmount; 1 in single mode" {
	mkdir mnt
	mount -t tmpfs -o size=1m itl-badinput mnt
	iw_bg -m -e unmount mnt
	umount mnt
	wait_for 10 file_has out '^mnt/ UNMOUNT,ISDIR $'
	stop_bg
	mount -t tmpfs -o size=1m itl-badinput mnt
	rm -f out err
	iw_bg -t 10 -e modify mnt
	umount mnt
	iw_done
	[ "$BG_STATUS" -eq 1 ]
	[ ! -s out ]
}

@test "a tree deeper than PATH_MAX: that part is skipped as an unreadable one, the rest watched" {
	deep_tree d
	iw_bg -t 10 -r -e create d
	touch d/ok/f
	iw_done
	[ "$BG_STATUS" -eq 0 ]
	[ "$(cat out)" = "d/ok/ CREATE f" ]
	[ "$(grep -vc -e '^Setting up watches' -e "^$READY\$" err)" -eq 0 ]
}

@test "names holding every byte 1..255 are printed as they are" {
	local -a want got
	mapfile -d '' want < <(every_byte_names)
	[ "${#want[@]}" -eq 254 ]
	iw_bg -m -e create --format '%f%0' --no-newline d
	local n
	for n in "${want[@]}"; do
		: >"d/$n"
	done
	wait_for 10 nuls_at_least out 254
	stop_bg
	mapfile -d '' got <out
	[ "${#got[@]}" -eq 254 ]
	[ "${got[*]}" = "${want[*]}" ]
}

@test "names holding every byte 1..255 survive --csv" {
	local -a want
	mapfile -d '' want < <(every_byte_names)
	iw_bg -m -e create --csv d
	local n
	for n in "${want[@]}"; do
		: >"d/$n"
	done
	wait_for 10 file_has out '^d/,CREATE,n'"$(printf '\377')"'$'
	stop_bg
	# the line of "n," is quoted, the one of "n " too; "n\n" spans two
	grep -qx 'd/,CREATE,"n,"' out
	grep -qx 'd/,CREATE,"n "' out
	grep -qx 'd/,CREATE,"n"""' out
	grep -qx 'd/,CREATE,n'"$(printf '\t')" out
}
