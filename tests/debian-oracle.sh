#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# debian-oracle.sh DIR: fetch Debian's inotify-tools, libinotifytools0 and
# libinotifytools0-dev with `apt-get download` and unpack them under
# DIR/root, never into the system (where our `make install` would collide
# with them).  The differential tests compare ours with these:
#   DIR/bin/inotifywait, DIR/bin/inotifywatch   Debian's, on Debian's library
#   DIR/include, DIR/lib                         its header and library
# DIR/stamp records the versions.  On failure the reason goes to
# DIR/missing (the tests that need the oracle skip with it) and the exit
# status is 0, so that `make check` still runs the other tests.
set -eu

dir=$1
pkgs="inotify-tools libinotifytools0 libinotifytools0-dev"

fail() {
	echo "$*" >"$dir/missing"
	echo "debian-oracle.sh: $*" >&2
	exit 0
}

rm -rf "${dir:?}/debs" "${dir:?}/root" "${dir:?}/bin" "${dir:?}/include" \
    "${dir:?}/lib" "${dir:?}/stamp" "${dir:?}/missing"
mkdir -p "$dir/debs" "$dir/root" "$dir/bin"
command -v apt-get >/dev/null 2>&1 ||
	fail "no apt-get to fetch Debian's $pkgs with"
# shellcheck disable=SC2086 # one word per package
(cd "$dir/debs" && apt-get download -q $pkgs >download.log 2>&1) ||
	fail "apt-get download $pkgs failed (run apt-get update as root):" \
	    "$(tail -n 1 "$dir/debs/download.log")"
for deb in "$dir"/debs/*.deb; do
	dpkg-deb -x "$deb" "$dir/root" ||
		fail "dpkg-deb -x $deb failed"
done

lib=$(find "$dir/root" -name 'libinotifytools.so.0' | head -n 1)
[ -n "$lib" ] || fail "no libinotifytools.so.0 in Debian's packages"
lib=${lib#"$dir"/}
ln -s "${lib%/*}" "$dir/lib"
ln -s root/usr/include "$dir/include"
abs=$(cd "$dir" && pwd)
for prog in inotifywait inotifywatch; do
	[ -x "$dir/root/usr/bin/$prog" ] ||
		fail "no $prog in Debian's inotify-tools"
	cat >"$dir/bin/$prog" <<EOF
#!/bin/sh
# Debian's $prog on Debian's library, both from $abs/root.
LD_LIBRARY_PATH='$abs/lib' exec '$abs/root/usr/bin/$prog' "\$@"
EOF
	chmod 755 "$dir/bin/$prog"
done
for deb in "$dir"/debs/*.deb; do
	# shellcheck disable=SC2016 # dpkg-deb fields, not shell
	dpkg-deb -W --showformat='${Package} ${Version}\n' "$deb"
done >"$dir/stamp"
