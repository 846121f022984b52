#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd unit: `systemd-analyze verify` finds nothing wrong, it has
# the hardening rsync allows, and the pipeline says READY=1 (Type=notify)
# once its watches are established.

# shellcheck disable=SC2016,SC2034,SC2154 # eval'd strings; env from make, bats
bats_require_minimum_version 1.5.0
load helpers
load rsyncd

setup() {
	D=${BATS_TEST_TMPDIR}
	# The unit as `make install` writes it, run from the source tree.
	sed -e "s|@sbindir@|${top_srcdir}/scripts|" -e 's|@sysconfdir@|/etc|' \
	    "${top_srcdir}/scripts/syncd.service.in" >"${D}/syncd.service"
}

teardown() {
	pipeline_stop
	[[ -z ${LISTENER_PID:-} ]] || kill "${LISTENER_PID}" 2>/dev/null || true
}

@test "systemd-analyze verify finds nothing wrong with the unit" {
	run -0 systemd-analyze verify --man=no "${D}/syncd.service"
	[ -z "${output}" ]
}

@test "the unit has the hardening settings" {
	local s
	for s in Type=notify ProtectSystem=strict \
	    'ReadWritePaths=/var/spool/syncd /run' ProtectHome=read-only \
	    PrivateTmp=yes NoNewPrivileges=yes ProtectKernelTunables=yes \
	    ProtectKernelModules=yes ProtectControlGroups=yes \
	    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' UMask=0077; do
		grep -qx -- "${s}" "${D}/syncd.service" || {
			echo "missing: ${s}" >&2
			return 1
		}
	done
}

@test "under Type=notify the pipeline sends READY=1 once its watches are up" {
	mkdir -p "${D}/src" "${D}/dst"
	perl -MIO::Socket::UNIX -MSocket -e '
		my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM,
		    Local => $ARGV[0]) or die "bind: $!";
		open(my $o, ">>", $ARGV[1]) or die;
		$o->autoflush(1);
		while (defined $s->recv(my $m, 65536)) { print $o "$m\n" }
	' "${D}/notify" "${D}/notified" &
	LISTENER_PID=$!
	wait_for 10 test -S "${D}/notify"
	pipeline_config "${D}/p.conf" "${D}/src" "${D}/dst"
	NOTIFY_SOCKET=${D}/notify pipeline_start "${D}/p.conf"
	wait_for 20 file_has "${D}/notified" 'READY=1'
	grep -q 'notice: watching' "${D}/pipeline.log"
	echo x >"${D}/src/f"
	wait_converged "${D}/src" "${D}/dst"
}
