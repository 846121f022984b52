#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# inotifywait: --format directives, --timefmt, --no-newline, --csv and odd
# file names.
bats_require_minimum_version 1.5.0
load helpers
load inotifywait-lib

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	mkdir d
}

teardown() {
	stop_bg
}

# one FORMAT-ARGS... -- ACTION...: one create event on d with the given
# output options; out holds the output.
one() {
	local args=()
	while [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	shift
	iw_bg -t 10 -e create "${args[@]}" d
	"$@"
	iw_done
	[ "$BG_STATUS" -eq 0 ]
}

@test "%w and %f" {
	one --format '[%w][%f]' -- touch d/x
	[ "$(cat out)" = "[d/][x]" ]
}

@test "%w of a watched file is its path, %f is empty" {
	: >d/x
	iw_bg -t 10 -e attrib --format '[%w][%f]' d/x
	chmod 600 d/x
	iw_done
	[ "$(cat out)" = "[d/x][]" ]
}

@test "%e joins event names with commas" {
	one --format '%e' -- mkdir d/s
	[ "$(cat out)" = "CREATE,ISDIR" ]
}

@test "%Xe joins event names with X" {
	one --format '%:e|%_e|%.e' -- mkdir d/s
	[ "$(cat out)" = "CREATE:ISDIR|CREATE_ISDIR|CREATE.ISDIR" ]
}

@test "%0e is a NUL then e, %ne a newline then e, %we is %w then e" {
	one --format '%0e|%ne|%we' --no-newline -- touch d/x
	printf '\0e|\ne|d/e' >want
	cmp out want
}

@test "%c is the cookie in lowercase hex, the same for both halves of a move" {
	: >d/x
	iw_bg -m -t 10 -e move --format '%e %c' d
	mv d/x d/y
	wait_for 5 file_has out MOVED_TO
	stop_bg
	from=$(sed -n 's/^MOVED_FROM //p' out)
	to=$(sed -n 's/^MOVED_TO //p' out)
	[[ "$from" =~ ^[0-9a-f]+$ ]]
	[ "$from" != 0 ]
	[ "$from" = "$to" ]
}

@test "%c is 0 for an unpaired event" {
	one --format '%c' -- touch d/x
	[ "$(cat out)" = "0" ]
}

@test "%T uses --timefmt" {
	before=$(date +%s)
	one --format '%T %f' --timefmt '%s' -- touch d/x
	after=$(date +%s)
	read -r t f <out
	[ "$f" = x ]
	[ "$t" -ge "$before" ] && [ "$t" -le "$after" ]
}

@test "%0 is a NUL byte" {
	one --format 'a%0b' -- touch d/x
	printf 'a\0b\n' >want
	cmp out want
}

@test "%n is a newline" {
	one --format '%f%n%f' -- touch d/x
	[ "$(cat out)" = $'x\nx' ]
}

@test "%% is a percent sign" {
	one --format '100%% %f' -- touch d/x
	[ "$(cat out)" = "100% x" ]
}

@test "an unknown directive is printed as is" {
	one --format '%q%z %f' -- touch d/x
	[ "$(cat out)" = "%q%z x" ]
}

@test "a format ending in a lone % prints the %" {
	one --format '%f%' --no-newline -- touch d/x
	printf 'x%%' >want
	cmp out want
}

@test "--format appends a newline unless --no-newline" {
	one --format '%f' -- touch d/x
	printf 'x\n' >want
	cmp out want
}

@test "--no-newline prints the format alone" {
	one --format '<%f>' --no-newline -- touch d/x
	printf '<x>' >want
	cmp out want
}

@test "--format %w with --no-newline is rejected like upstream" {
	run -1 --separate-stderr "$INOTIFYWAIT" --format '%w%f' --no-newline d
	[ "$stderr" = "Something is wrong with your format string." ]
}

@test "an empty --format prints empty lines" {
	one --format '' -- touch d/x
	printf '\n' >want
	cmp out want
}

@test "the last --format wins" {
	one --format 'first %f' --format 'second, and longer: %f' -- touch d/x
	[ "$(cat out)" = "second, and longer: x" ]
}

@test "format output is not truncated at 4096 bytes" {
	long=$(printf 'L%.0s' {1..5000})
	one --format "$long%f$long" -- touch d/x
	[ "$(cat out)" = "${long}x${long}" ]
}

@test "csv: plain fields are unquoted" {
	one -c -- touch d/x
	[ "$(cat out)" = "d/,CREATE,x" ]
}

@test "csv: several event names are quoted" {
	one -c -- mkdir d/s
	[ "$(cat out)" = 'd/,"CREATE,ISDIR",s' ]
}

@test "csv: commas and quotes are quoted, quotes doubled" {
	one -c -- touch 'd/a b,c"q'
	[ "$(cat out)" = 'd/,CREATE,"a b,c""q"' ]
}

@test "csv: leading and trailing spaces are quoted" {
	one -c -- touch 'd/ lead'
	[ "$(cat out)" = 'd/,CREATE," lead"' ]
	one -c -- touch 'd/trail '
	[ "$(cat out)" = 'd/,CREATE,"trail "' ]
}

@test "csv: an inner space alone is not quoted" {
	one -c -- touch 'd/in side'
	[ "$(cat out)" = 'd/,CREATE,in side' ]
}

@test "csv: a newline in a name is quoted" {
	one -c -- touch $'d/new\nline'
	[ "$(cat out)" = $'d/,CREATE,"new\nline"' ]
}

@test "csv: a watched file has an empty name field" {
	: >d/x
	iw_bg -t 10 -c -e attrib d/x
	chmod 600 d/x
	iw_done
	[ "$(cat out)" = "d/x,ATTRIB," ]
}

@test "csv: an event on the watched directory itself" {
	iw_bg -t 10 -c d
	ls d >/dev/null
	iw_done
	[ "$(cat out)" = 'd/,"OPEN,ISDIR",' ]
}

@test "csv: a watched path with a comma is quoted" {
	mkdir 'a,b'
	iw_bg -t 10 -c -e create 'a,b'
	touch 'a,b/x'
	iw_done
	[ "$(cat out)" = '"a,b/",CREATE,x' ]
}

@test "names with spaces are printed raw by default" {
	one -- touch 'd/two words'
	[ "$(cat out)" = "d/ CREATE two words" ]
}

@test "names with newlines are printed raw by default" {
	one -- touch $'d/a\nb'
	[ "$(cat out)" = $'d/ CREATE a\nb' ]
}

@test "names with a leading dash" {
	one -- touch -- d/-rf
	[ "$(cat out)" = "d/ CREATE -rf" ]
}

@test "names with non-UTF-8 bytes are passed through" {
	one --format '%f' -- touch "d/$(printf 'x\377\300y')"
	printf 'x\377\300y\n' >want
	cmp out want
}

@test "a watched path with spaces and a leading dash" {
	mkdir -- '-a b'
	iw_bg -t 10 -e create -- '-a b'
	touch -- '-a b/x'
	iw_done
	[ "$(cat out)" = "-a b/ CREATE x" ]
}

@test "NUL-separated output feeds a read -d '' loop" {
	iw_bg -m -t 10 -e create --format '%w%f%0' --no-newline d
	touch $'d/new\nline' 'd/sp ace' 'd/-dash' "d/$(printf '\377')"
	wait_for 5 file_has out 'dash'
	wait_for 5 sh -c "[ \$(tr -cd '\\0' <out | wc -c) -eq 4 ]"
	stop_bg
	n=0
	while IFS= read -r -d '' file; do
		[ -e "$file" ]
		n=$((n + 1))
	done <out
	[ "$n" -eq 4 ]
}
