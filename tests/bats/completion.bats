#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion (completion/inotifywait) with bash-completion's own
# helpers: the completion function is called as bash calls it on Tab, with
# COMP_WORDS and COMP_CWORD set, against our built programs.

bats_require_minimum_version 1.5.0
load helpers

: "${top_srcdir:=$(cd "${BATS_TEST_DIRNAME}/../.." && pwd)}"

setup() {
	BASH_COMPLETION=${BASH_COMPLETION:-/usr/share/bash-completion/bash_completion}
	[[ -r ${BASH_COMPLETION} ]] ||
	    fail "bash-completion is not installed (${BASH_COMPLETION})"
	# The programs are found in PATH by the name on the command line.
	PATH=${INOTIFYWAIT%/*}:${INOTIFYWATCH%/*}:${PATH}
	cd "${BATS_TEST_TMPDIR}" || return
}

# complete WORD...: print the completions of the last WORD, one a line,
# sorted, from a fresh bash that loaded bash-completion and ours.
complete_words() {
	bash --norc --noprofile -c '
	    set +o posix
	    . "$1"
	    . "$2"
	    shift 2
	    COMP_WORDS=("$@")
	    COMP_CWORD=$(( $# - 1 ))
	    COMP_LINE="$*"
	    COMP_POINT=${#COMP_LINE}
	    spec=$(complete -p "$1")
	    fn=${spec#*-F }
	    fn=${fn%% *}
	    "${fn}" "$1" "${COMP_WORDS[COMP_CWORD]}" \
	        "${COMP_WORDS[COMP_CWORD - 1]}"
	    printf "%s\n" "${COMPREPLY[@]}" | sort
	' bash "${BASH_COMPLETION}" "${top_srcdir}/completion/inotifywait" "$@"
}

# help_events PROG: the event names in PROG --help, sorted.
help_events() {
	"$1" --help | sed -n '/^Events:/,$p' |
	    sed -n 's/^\t\([a-z_]*\)\t.*/\1/p' | sort
}

fail() {
	echo "$*" >&2
	return 1
}

@test "inotifywait -e TAB offers every event name of its --help" {
	run -0 complete_words inotifywait -e ''
	[ "${output}" = "$(help_events inotifywait)" ]
	[[ ${output} == *close_write* && ${output} == *delete_self* ]]
}

@test "inotifywait -e mo TAB offers the events starting with mo" {
	run -0 complete_words inotifywait -m --event mo
	[ "${output}" = "$(printf '%s\n' modify move move_self moved_from moved_to)" ]
}

@test "inotifywait -e close_write,de TAB completes the last name of the list" {
	run -0 complete_words inotifywait -e close_write,de
	[ "${output}" = "$(printf '%s\n' close_write,delete close_write,delete_self)" ]
}

@test "fsnotifywait -e TAB offers the events of its own --help" {
	run -0 complete_words fsnotifywait -e ''
	[ "${output}" = "$(help_events fsnotifywait)" ]
}

@test "inotifywatch -a and -d TAB offer event names and total" {
	run -0 complete_words inotifywatch -a to
	[ "${output}" = total ]
	run -0 complete_words fsnotifywatch -d cl
	[ "${output}" = "$(printf '%s\n' close close_nowrite close_write)" ]
}

@test "inotifywait -d TAB is --daemon: paths, not events" {
	mkdir closedir
	run -0 complete_words inotifywait -d clo
	[ "${output}" = closedir ]
}

@test "options come from --help: --rec TAB, --exc TAB" {
	run -0 complete_words inotifywait --rec
	[ "${output}" = --recursive ]
	run -0 complete_words inotifywatch --exc
	[ "${output}" = "$(printf '%s\n' --exclude --excludei)" ]
}

@test "paths, @ exclusions and the file of --outfile" {
	mkdir -p 'a dir' other
	run -0 complete_words inotifywait -r a
	[ "${output}" = 'a dir' ]
	run -0 complete_words inotifywait -r @oth
	[ "${output}" = @other ]
	touch out.log
	run -0 complete_words inotifywait -o ou
	[ "${output}" = out.log ]
	run -0 complete_words inotifywait --fromfile ou
	[ "${output}" = out.log ]
}

@test "syncd TAB offers its actions, check its thresholds" {
	run -0 complete_words syncd st
	[ "${output}" = "$(printf '%s\n' start status stop)" ]
	run -0 complete_words syncd -c /etc/syncd.conf ch
	[ "${output}" = check ]
	run -0 complete_words syncd check -
	[ "${output}" = "$(printf '%s\n' -Q -a -f -l -q)" ]
}
