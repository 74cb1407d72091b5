# Sourced by bench/winrs_bench.sh and bench/psrp_vs_ssh.sh: the temporary
# user, winrmd with an HTTPS listener and Basic, and a private sshd, all on
# loopback, and the cleanup of them all (the caller traps EXIT with it).
# The caller sets work (a directory of its own), user, group, pass,
# winrmd_src, pids (an array) and die.

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	# winrmd's per-user hosts and sshd's sessions follow them out; userdel
	# fails while they run.
	for _ in $(seq 50); do
		userdel -r "$user" >/dev/null 2>&1 && break
		id "$user" >/dev/null 2>&1 || break
		sleep 0.1
	done
	groupdel "$group" >/dev/null 2>&1 || true
	rm -rf "$work"
}

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { # port pid log
	for _ in $(seq 100); do
		(exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || { cat "$3" >&2; die "process $2 exited before listening on $1"; }
		sleep 0.1
	done
	cat "$3" >&2
	die "port $1 never opened"
}

# The temporary user, in the group winrmd admits as remote users.
make_user() {
	groupadd "$group"
	useradd --create-home --shell /bin/sh --groups "$group" "$user"
	echo "$user:$pass" | chpasswd
}

# winrmd with an HTTPS listener and Basic, and the configuration lines
# given as arguments; sets conf, wport and wpid. It drops to the account
# winrmd, which must be able to read its binary's directory and the
# configuration.
start_winrmd() {
	chmod 755 "$work"
	install -m 0755 "$winrmd_src" "$work/winrmd"
	conf=$work/conf
	mkdir -m 0755 "$conf"
	openssl req -x509 -newkey rsa:2048 -nodes -days 3 -subj /CN=localhost \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		-keyout "$conf/key.pem" -out "$conf/cert.pem" 2>/dev/null
	chmod 644 "$conf/cert.pem"
	chgrp winrmd "$conf/key.pem"
	chmod 640 "$conf/key.pem"
	wport=$(free_port)
	{
		echo "Service/Auth/Basic = true"
		echo "Service/RemoteUsersGroup = $group"
		echo "Listener?Address=*+Transport=HTTPS/Port = $wport"
		echo "Listener?Address=*+Transport=HTTPS/CertificateFile = cert.pem"
		echo "Listener?Address=*+Transport=HTTPS/KeyFile = key.pem"
		local line
		for line in "$@"; do echo "$line"; done
	} > "$conf/winrm.conf"
	chmod 644 "$conf/winrm.conf"
	(cd "$work" && exec "$work/winrmd" --config-dir "$conf" --foreground --user winrmd </dev/null >"$work/winrmd.log" 2>&1) &
	wpid=$!
	pids+=("$wpid")
}

# A private sshd on loopback with its own host key, and the sshd_config
# lines given as arguments; the user logs in with a generated key
# ($work/ssh/client_key) listed in an authorized_keys file in the work
# directory. Sets sport and spid.
start_sshd() {
	sport=$(free_port)
	mkdir -p /run/sshd
	mkdir -m 0755 "$work/ssh"
	ssh-keygen -q -t ed25519 -N '' -f "$work/ssh/host_key"
	ssh-keygen -q -t ed25519 -N '' -f "$work/ssh/client_key"
	install -m 0644 "$work/ssh/client_key.pub" "$work/ssh/authorized_keys"
	{
		cat <<CONF
ListenAddress 127.0.0.1
Port $sport
HostKey $work/ssh/host_key
PidFile $work/ssh/sshd.pid
AuthorizedKeysFile $work/ssh/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowUsers $user
PrintMotd no
PrintLastLog no
UseDNS no
CONF
		local line
		for line in "$@"; do echo "$line"; done
	} > "$work/ssh/sshd_config"
	/usr/sbin/sshd -D -e -f "$work/ssh/sshd_config" </dev/null >"$work/sshd.log" 2>&1 &
	spid=$!
	pids+=("$spid")
}
