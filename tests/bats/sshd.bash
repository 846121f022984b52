# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for ssh targets: a real OpenSSH sshd on 127.0.0.1 (random free
# port, its own host key, public-key login only) whose one login is the
# unprivileged user nobody (uid 65534), with a home and /bin/sh given to
# it only inside sshd's own mount namespace (a copy of /etc/passwd bound
# over the real one, a private /run for /run/sshd): the system's sshd and
# its files are never touched.  Needs root.  Also sourced by bench/.
#	sshd_setup DIR; sshd_start; ... ; sshd_stop
# shellcheck disable=SC2016 # eval'd strings expand later

: "${SSHD:=/usr/sbin/sshd}"

# sshd_setup DIR: keys, the server config and nobody's home in DIR; sets
# SSHD_DIR, SSH_KEY (the client's key), SSH_KNOWN (a known_hosts file
# holding the host key once sshd_start has a port) and SSH_HOME (nobody's
# home, which it owns).
sshd_setup() {
	local dir=$1 d
	SSHD_DIR=${dir}
	SSH_HOME=${dir}/home
	SSH_KEY=${dir}/client_key
	SSH_KNOWN=${dir}/known_hosts
	mkdir -p "${dir}" "${SSH_HOME}/.ssh"
	ssh-keygen -q -t ed25519 -N '' -C host -f "${dir}/host_key"
	ssh-keygen -q -t ed25519 -N '' -C client -f "${SSH_KEY}"
	cp "${SSH_KEY}.pub" "${SSH_HOME}/.ssh/authorized_keys"
	chown -R 65534:65534 "${SSH_HOME}"
	chmod 700 "${SSH_HOME}/.ssh"
	# nobody reaches its home: o+x (never write) on the dirs above it,
	# up to SSH_OPEN_ROOT (the test's run directory).
	d=${dir}
	while [[ ${d} == "${SSH_OPEN_ROOT:-${BATS_RUN_TMPDIR:-${dir}}}"* ]]; do
		chmod o+x -- "${d}"
		d=${d%/*}
	done
	sed "s|^nobody:\([^:]*:[^:]*:[^:]*:[^:]*\):.*|nobody:\1:${SSH_HOME}:/bin/sh|" \
	    /etc/passwd >"${dir}/passwd"
	grep -q "^nobody:.*:${SSH_HOME}:/bin/sh\$" "${dir}/passwd"
	chmod 644 "${dir}/passwd"
	: >"${SSH_KNOWN}"
	export SSHD_DIR SSH_HOME SSH_KEY SSH_KNOWN
}

# sshd_config PORT: the server's config for PORT.
sshd_config() {
	cat >"${SSHD_DIR}/sshd_config" <<-EOF
	ListenAddress 127.0.0.1
	Port $1
	HostKey ${SSHD_DIR}/host_key
	PidFile none
	UsePAM no
	AuthenticationMethods publickey
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	PermitRootLogin no
	AllowUsers nobody
	StrictModes yes
	AuthorizedKeysFile .ssh/authorized_keys
	LogLevel VERBOSE
	EOF
}

# sshd_up PORT: sshd listens on PORT (or has given up).
sshd_up() {
	grep -q "Server listening on 127.0.0.1 port $1" "${SSHD_DIR}/sshd.log" \
	    2>/dev/null || ! kill -0 "${SSHD_PID}" 2>/dev/null
}

# sshd_start [PORT]: run sshd on PORT, or on a random free port; sets
# SSHD_PORT and SSHD_PID, and writes SSH_KNOWN with the host key, and
# SSH_RSH, the client command (BatchMode: never a prompt).
sshd_start() {
	local port=${1:-} tries=0
	while :; do
		[[ -n ${1:-} ]] || port=$(( 20000 + RANDOM % 40000 ))
		sshd_config "${port}"
		: >"${SSHD_DIR}/sshd.log"
		unshare -m --propagation private -- sh -c '
			mount --bind "$1/passwd" /etc/passwd &&
			mount -t tmpfs -o size=1m,mode=755 tmpfs /run &&
			mkdir -m 755 /run/sshd &&
			exec "$2" -D -e -f "$1/sshd_config"' sh "${SSHD_DIR}" \
		    "${SSHD}" 3>&- </dev/null 2>>"${SSHD_DIR}/sshd.log" >&2 &
		SSHD_PID=$!
		wait_for 10 sshd_up "${port}"
		kill -0 "${SSHD_PID}" 2>/dev/null && break
		tries=$(( tries + 1 ))
		if [[ -n ${1:-} ]] || (( tries > 20 )); then
			echo "sshd_start: cannot listen on ${port}" >&2
			cat "${SSHD_DIR}/sshd.log" >&2
			return 1
		fi
	done
	SSHD_PORT=${port}
	printf '[127.0.0.1]:%s %s\n' "${port}" \
	    "$(cut -d' ' -f1,2 "${SSHD_DIR}/host_key.pub")" >"${SSH_KNOWN}"
	SSH_RSH="ssh -p ${port} -i ${SSH_KEY} -o IdentitiesOnly=yes"
	SSH_RSH+=" -o UserKnownHostsFile=${SSH_KNOWN} -o GlobalKnownHostsFile=/dev/null"
	SSH_RSH+=" -o BatchMode=yes -o ConnectTimeout=5 -F /dev/null"
	export SSHD_PORT SSHD_PID SSH_RSH
}

# sshd_stop: stop sshd and wait until the port is free.
sshd_stop() {
	[[ -n ${SSHD_PID:-} ]] || return 0
	kill -TERM "${SSHD_PID}" 2>/dev/null || true
	wait "${SSHD_PID}" 2>/dev/null || true
	wait_for 10 eval '! kill -0 "${SSHD_PID}" 2>/dev/null'
	SSHD_PID=
}
