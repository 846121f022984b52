#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The shipped scripts pass shellcheck and the man pages pass mandoc's lint.
bats_require_minimum_version 1.5.0
load helpers

@test "the pipeline scripts are shellcheck-clean" {
	command -v shellcheck >/dev/null || skip "shellcheck is not installed"
	run -0 shellcheck "$top_srcdir/scripts/inotify.sh" \
		"$top_srcdir/scripts/syncd" "$top_srcdir/scripts/demo.sh"
}

@test "the build, test and CI scripts are shellcheck-clean" {
	run -0 shellcheck "$top_srcdir/bootstrap" "$top_srcdir/.ci/run" \
		"$top_srcdir/.ci/fresh-root" "$top_srcdir/tests/debian-oracle.sh"
}

@test "the man pages are mandoc -Tlint clean at warning level" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	local page
	for page in inotifywait.1 inotifywatch.1 libinotifytools.3 syncd.8; do
		run -0 --separate-stderr mandoc -Tlint -W warning \
			"$top_srcdir/man/$page"
		[ -z "$output" ] && [ -z "$stderr" ]
	done
}

@test "the monitoring, completion and packaging scripts pass the same lints" {
	command -v shellcheck >/dev/null || skip "shellcheck is not installed"
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	run -0 shellcheck "$top_srcdir/scripts/syncd-check"
	run -0 shellcheck -s bash "$top_srcdir/completion/inotifywait"
	run -0 shellcheck "$top_srcdir/.ci/packages"
	run -0 --separate-stderr mandoc -Tlint -W warning \
		"$top_srcdir/man/syncd-check.8"
	[ -z "$output" ] && [ -z "$stderr" ]
}
