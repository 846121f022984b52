#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Where `make install` puts the service files, and what the installed
# scripts and unit are told: a copy of the sources is configured with the
# options under test and its pipeline part installed into a DESTDIR.
bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	SRC_COPY=${BATS_FILE_TMPDIR}/src
	export SRC_COPY
	mkdir -p "${SRC_COPY}"
	# the sources without build outputs (the tree may be configured
	# in place, which a second configure elsewhere refuses)
	tar -C "${top_srcdir}" --exclude=./.git --exclude=./_build \
	    --exclude=./build-fresh-root --exclude=./tests/oracle \
	    --exclude=./autom4te.cache --exclude=.libs --exclude=.deps \
	    --exclude='*.o' --exclude='*.lo' -cf - . | tar -C "${SRC_COPY}" -xf -
	chmod -R u+w "${SRC_COPY}"
	rm -f "${SRC_COPY}"/config.status "${SRC_COPY}"/config.log \
	    "${SRC_COPY}"/config.h "${SRC_COPY}"/Makefile "${SRC_COPY}"/libtool
}

# install_with DESTDIR CONFIGURE-OPTION...: configure the copy with the
# options, then install inotify.sh, syncd, the examples and the unit.
install_with() {
	local dest=$1
	shift
	(cd "${SRC_COPY}" &&
	    ./configure -q --cache-file="${BATS_FILE_TMPDIR}/config.cache" \
		"$@" >/dev/null &&
	    make -s DESTDIR="${dest}" syncd-install-exec syncd-install-data \
		install-systemdsystemunitDATA >/dev/null)
}

# unit_dir: systemd's unit directory as configure finds it by default.
unit_dir() {
	pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null |
	    grep . || echo /usr/local/lib/systemd/system
}

@test "default prefix: syncd.conf and the init script in /etc, syncd in /usr/local/sbin" {
	d=${BATS_TEST_TMPDIR}/root
	install_with "${d}"
	[ -x "${d}/etc/init.d/syncd" ]
	[ -x "${d}/usr/local/sbin/syncd" ]
	[ -x "${d}/usr/local/sbin/inotify.sh" ]
	[ "$(stat -c %a "${d}/etc/syncd.conf")" = 600 ]
	cmp "${top_srcdir}/scripts/syncd.conf.example" "${d}/etc/syncd.conf.example"
	grep -qx 'SYNCD_CONF_DEFAULT=/etc/syncd.conf' "${d}/usr/local/sbin/inotify.sh"
	grep -qx 'SYNCD_CONF_DEFAULT=/etc/syncd.conf' "${d}/etc/init.d/syncd"
	grep -qx 'INOTIFY_SH_DEFAULT=/usr/local/sbin/inotify.sh' "${d}/etc/init.d/syncd"
	cmp "${d}/etc/init.d/syncd" "${d}/usr/local/sbin/syncd"
	[ ! -e "${d}/usr/local/etc" ]
}

@test "default prefix: the unit is in systemd's unit directory and names /etc/syncd.conf" {
	d=${BATS_TEST_TMPDIR}/root
	install_with "${d}"
	unit=${d}$(unit_dir)/syncd.service
	grep -qx 'Environment=SYNCD_CONF=/etc/syncd.conf' "${unit}"
	grep -qx 'ExecStart=/usr/local/sbin/inotify.sh -c ${SYNCD_CONF}' "${unit}"
}

@test "--prefix=/usr: the same /etc paths, programs in /usr/sbin" {
	d=${BATS_TEST_TMPDIR}/root
	install_with "${d}" --prefix=/usr
	[ -x "${d}/etc/init.d/syncd" ]
	grep -qx 'INOTIFY_SH_DEFAULT=/usr/sbin/inotify.sh' "${d}/etc/init.d/syncd"
	grep -qx 'SYNCD_CONF_DEFAULT=/etc/syncd.conf' "${d}/usr/sbin/inotify.sh"
}

@test "--sysconfdir and --with-systemdsystemunitdir are obeyed" {
	d=${BATS_TEST_TMPDIR}/root
	install_with "${d}" --sysconfdir=/srv/conf --with-systemdsystemunitdir=/srv/units
	[ -x "${d}/srv/conf/init.d/syncd" ]
	grep -qx 'SYNCD_CONF_DEFAULT=/srv/conf/syncd.conf' "${d}/usr/local/sbin/inotify.sh"
	grep -qx 'Environment=SYNCD_CONF=/srv/conf/syncd.conf' "${d}/srv/units/syncd.service"
	[ ! -e "${d}/etc" ]
}

@test "a private prefix keeps every file below it" {
	p=${BATS_TEST_TMPDIR}/prefix
	install_with "" --prefix="${p}"
	[ -x "${p}/etc/init.d/syncd" ]
	[ -f "${p}/etc/syncd.conf" ]
	grep -qx "SYNCD_CONF_DEFAULT=${p}/etc/syncd.conf" "${p}/sbin/inotify.sh"
	grep -qx "Environment=SYNCD_CONF=${p}/etc/syncd.conf" \
	    "${p}/lib/systemd/system/syncd.service"
}

@test "an existing syncd.conf is kept" {
	d=${BATS_TEST_TMPDIR}/root
	mkdir -p "${d}/etc"
	echo 'SOURCE=/mine' >"${d}/etc/syncd.conf"
	install_with "${d}"
	[ "$(cat "${d}/etc/syncd.conf")" = 'SOURCE=/mine' ]
}
