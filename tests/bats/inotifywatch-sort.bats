#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# inotifywatch: sorting with -a/-d on total and on every event column.
#
# Three watched dirs p, q, r (wds in that order).  For a key event X, p gets
# 2, q 3 and r 1 of it; filler events of another kind make the totals
# p 6 > r 4 > q 3.  So -d X gives q p r, -a X gives r p q, the default
# (descending total) p r q and ascending total q r p: four different
# orders, none of them the wd order.
bats_require_minimum_version 1.5.0
load helpers
load inotifywatch-lib

# The kernel merges an event into the previous one still queued when both
# are identical, so no two events in a row are: each one names its own
# file, or the watches take turns.
setup() {
	iw_setup
	mkdir p q r
	for d in p q r; do
		for i in 1 2 3; do
			echo x >"$d/f$i"
			touch "$d/d$i"
		done
		for i in 1 2 3 4 5; do
			touch "$d/fill$i"
		done
	done
}

teardown() {
	iw_teardown
	for d in p r; do
		if mountpoint -q "$d"; then umount "$d"; fi
	done
}

# gen EVENT DIR I: cause the I-th event of kind EVENT on the watch of DIR
# (other kinds may come too: the runs below count only the key and the
# filler).
gen() {
	local d=$2 i=$3
	case $1 in
	access) dd if="$d/f$i" of=/dev/null bs=1 count=1 status=none ;;
	modify|close_write) printf x >>"$d/f$i" ;;
	attrib) chmod 644 "$d/f$i" ;;
	close_nowrite|open) : <"$d/f$i" ;;
	moved_from|moved_to)
		if (( i % 2 )); then mv "$d/f1" "$d/g"; else mv "$d/g" "$d/f1"; fi ;;
	move_self)
		if (( i % 2 )); then mv "$d" "$d.m"; else mv "$d.m" "$d"; fi ;;
	create) mkdir "$d/c$i" ;;
	delete) rm "$d/d$i" ;;
	*) return 1 ;;
	esac
}

# filler EVENT: the filler kind for key EVENT.
filler() {
	if [ "$1" = attrib ]; then echo create; else echo attrib; fi
}

# fill KIND DIR I: the I-th filler event on DIR.
fill() {
	if [ "$1" = create ]; then mkdir "$2/new$3"; else chmod 600 "$2/fill$3"; fi
}

# scenario EVENT: key counts p 2, q 3, r 1; totals p 6, r 4, q 3.
scenario() {
	local f
	f=$(filler "$1")
	fill "$f" p 1; fill "$f" r 1; fill "$f" p 2; fill "$f" r 2
	fill "$f" p 3; fill "$f" r 3; fill "$f" p 4
	gen "$1" q 1; gen "$1" p 1; gen "$1" q 2; gen "$1" p 2
	gen "$1" q 3; gen "$1" r 1
}

# sort_case EVENT: run -a EVENT, -d EVENT and the default side by side.
sort_case() {
	local ev=$1 f
	f=$(filler "$ev")
	iw_start asc -e "$ev" -e "$f" -a "$ev" p q r
	iw_start desc -e "$ev" -e "$f" -d "$ev" p q r
	iw_start dflt -e "$ev" -e "$f" p q r
	scenario "$ev"
	iw_stop asc
	iw_stop desc
	iw_stop dflt
	[ "$(iw_files dflt)" = "p/ r/ q/ " ]
	[ "$(iw_files asc)" = "r/ p/ q/ " ]
	[ "$(iw_files desc)" = "q/ p/ r/ " ]
}

@test "default sort is descending by total; -a total ascends; -d total" {
	iw_start dflt -e create,attrib p q r
	iw_start asc -a total -e create,attrib p q r
	iw_start desc -d TOTAL -e create,attrib p q r
	scenario create
	iw_stop dflt
	iw_stop asc
	iw_stop desc
	[ "$(iw_files dflt)" = "p/ r/ q/ " ]
	[ "$(iw_files desc)" = "p/ r/ q/ " ]
	[ "$(iw_files asc)" = "q/ r/ p/ " ]
}

@test "ties are broken by ascending wd, ascending or descending" {
	iw_start dflt q p r
	iw_start asc -a create q p r
	gen create r 1
	gen create p 2
	gen create q 3
	iw_stop dflt
	iw_stop asc
	[ "$(iw_files dflt)" = "q/ p/ r/ " ]
	[ "$(iw_files asc)" = "q/ p/ r/ " ]
}

@test "sort by access" {
	sort_case access
}

@test "sort by modify" {
	sort_case modify
}

@test "sort by attrib" {
	sort_case attrib
}

@test "sort by close_write" {
	sort_case close_write
}

@test "sort by close_nowrite" {
	sort_case close_nowrite
}

@test "sort by open" {
	sort_case open
}

@test "sort by moved_from" {
	sort_case moved_from
}

@test "sort by moved_to" {
	sort_case moved_to
}

@test "sort by move_self" {
	sort_case move_self
}

@test "sort by create" {
	sort_case create
}

@test "sort by delete" {
	sort_case delete
}

@test "sort by delete_self" {
	# One delete_self at most per watch: p 1, q 0, r 1; totals (IGNORED
	# counts) p 2, q 5, r 4.
	iw_start asc -e delete_self -e attrib -a delete_self p q r
	iw_start desc -e delete_self -e attrib -d delete_self p q r
	iw_start dflt -e delete_self -e attrib p q r
	fill attrib q 1; fill attrib r 1; fill attrib q 2; fill attrib r 2
	fill attrib q 3; fill attrib q 4; fill attrib q 5
	rm -r p r
	iw_stop asc
	iw_stop desc
	iw_stop dflt
	[ "$(iw_files dflt)" = "q/ r/ p/ " ]
	[ "$(iw_files asc)" = "q/ p/ r/ " ]
	[ "$(iw_files desc)" = "p/ r/ q/ " ]
}

@test "sort by unmount" {
	# p and r are unmounted (unmount 1 each, IGNORED counts): totals
	# p 2, q 5, r 4.
	mount -t tmpfs iwtest p || skip "cannot mount a tmpfs here"
	mount -t tmpfs iwtest r || skip "cannot mount a second tmpfs"
	touch p/fill1 r/fill1 r/fill2
	iw_start asc -e unmount -e attrib -a unmount p q r
	iw_start desc -e unmount -e attrib -d unmount p q r
	iw_start dflt -e unmount -e attrib p q r
	fill attrib q 1; fill attrib r 1; fill attrib q 2; fill attrib r 2
	fill attrib q 3; fill attrib q 4; fill attrib q 5
	umount p r
	iw_stop asc
	iw_stop desc
	iw_stop dflt
	[ "$(iw_files dflt)" = "q/ r/ p/ " ]
	[ "$(iw_files asc)" = "q/ p/ r/ " ]
	[ "$(iw_files desc)" = "p/ r/ q/ " ]
}

@test "-d access sorts by access, not by total (upstream bug fixed)" {
	iw_start desc -e access -e attrib -d access p q r
	scenario access
	iw_stop desc
	[ "$(iw_files desc)" = "q/ p/ r/ " ]
}

@test "-d may be given again and before -a: the last one wins" {
	iw_start w -e create -e attrib -d attrib -d create -a create p q r
	scenario create
	iw_stop w
	[ "$IW_STATUS" -eq 0 ]
	[ "$(iw_files w)" = "r/ p/ q/ " ]
}
