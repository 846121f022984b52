#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The upstream-compatible API as a user program sees it: tests/prog/
# watchtree.c built against our headers and shared library.
bats_require_minimum_version 1.5.0
load helpers

setup() {
	tree=$BATS_TEST_TMPDIR/t
	mkdir -p "$tree/a/b"
	echo old >"$tree/a/b/keep"
}

# changes: what the watched tree goes through; 14 events with IN_ALL_EVENTS.
changes() {
	: >"$tree/a/new"		# CREATE OPEN CLOSE_WRITE,CLOSE
	echo data >>"$tree/a/b/keep"	# OPEN MODIFY CLOSE_WRITE,CLOSE
	mv "$tree/a/new" "$tree/a/b/moved"	# MOVED_FROM MOVED_TO
	rm "$tree/a/b/moved"		# DELETE
	mkdir "$tree/a/c"		# CREATE,ISDIR
	mv "$tree/a/c" "$tree/a/d"	# MOVED_FROM,ISDIR MOVED_TO,ISDIR
	rmdir "$tree/a/d"		# DELETE,ISDIR
	chmod 600 "$tree/a/b/keep"	# ATTRIB
}

expected() {
	cat <<EOT
$tree/a/new CREATE
$tree/a/new OPEN
$tree/a/new CLOSE_WRITE,CLOSE
$tree/a/b/keep OPEN
$tree/a/b/keep MODIFY
$tree/a/b/keep CLOSE_WRITE,CLOSE
$tree/a/new MOVED_FROM
$tree/a/b/moved MOVED_TO
$tree/a/b/moved DELETE
$tree/a/c CREATE,ISDIR
$tree/a/c MOVED_FROM,ISDIR
$tree/a/d MOVED_TO,ISDIR
$tree/a/d DELETE,ISDIR
$tree/a/b/keep ATTRIB
EOT
}

# run_prog BINARY: run the client over changes(), output in $out.
run_prog() {
	out=$BATS_TEST_TMPDIR/out.$$
	# a second run must not see the first one's "Watches established."
	rm -f "$BATS_TEST_TMPDIR/err"
	start_watching "$out" "$BATS_TEST_TMPDIR/err" "$1" "$tree" 14
	changes
	wait "$BG_PID"
}

@test "watchtree built with the public header reports a nested tree exactly" {
	prog=$BATS_TEST_TMPDIR/watchtree
	"${CC:-cc}" ${SAN_CFLAGS:-} -Wall -Werror -o "$prog" "$top_srcdir/tests/prog/watchtree.c" \
		-I"$top_srcdir/libinotifytools" \
		"$top_builddir/libinotifytools/.libs/libinotifytools.so" \
		-Wl,-rpath,"$top_builddir/libinotifytools/.libs"
	run_prog "$prog"
	diff -u <(expected) "$out"
}

@test "watchtree prints the same lines with Debian's libinotifytools" {
	debian_oracle
	mkdir -p "$BATS_TEST_TMPDIR/ours" "$BATS_TEST_TMPDIR/theirs"
	cc -o "$BATS_TEST_TMPDIR/theirs/w" "$top_srcdir/tests/prog/watchtree.c" \
		-I"$DEB_INCLUDE" -L"$DEB_LIB" -linotifytools -Wl,-rpath,"$DEB_LIB"
	"${CC:-cc}" ${SAN_CFLAGS:-} -o "$BATS_TEST_TMPDIR/ours/w" "$top_srcdir/tests/prog/watchtree.c" \
		-I"$top_srcdir/libinotifytools" \
		"$top_builddir/libinotifytools/.libs/libinotifytools.so" \
		-Wl,-rpath,"$top_builddir/libinotifytools/.libs"
	run_prog "$BATS_TEST_TMPDIR/theirs/w"
	mv "$out" "$BATS_TEST_TMPDIR/theirs.out"
	rm -rf "$tree"; setup
	run_prog "$BATS_TEST_TMPDIR/ours/w"
	diff -u "$BATS_TEST_TMPDIR/theirs.out" "$out"
}
