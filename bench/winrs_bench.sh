#!/usr/bin/env bash
# winrs against OpenSSH on this machine, in one run, both on loopback and
# both logging in as the same temporary user:
#   1. latency: `winrs -r:https://127.0.0.1:PORT ... true` (winrmd, HTTPS,
#      Basic) against `ssh -p PORT USER@127.0.0.1 true` (a private sshd,
#      public key); warm-up once each, then N runs each, alternating; prints
#      the median wall times and their ratio (target winrs/ssh <= 0.10);
#   2. stdout throughput: `head -c BYTES /dev/zero` run through each, piped
#      to wc -c (the count must be exact); best of two runs each; prints MB/s
#      and the ratio (target winrs/ssh >= 1.0).
# Exits non-zero only when something fails to run, not when a target is
# missed. Run as root from the repository root after `make`:
#   bench/winrs_bench.sh [runs] [bytes]
# WINRMD and WINRS select other binaries (default build/winrmd, build/winrs).
set -euo pipefail
runs=${1:-20}
bytes=${2:-1000000000}
root=$(cd "$(dirname "$0")/.." && pwd)
winrmd_src=${WINRMD:-$root/build/winrmd}
winrs=${WINRS:-$root/build/winrs}
work=$(mktemp -d)
user=owb_$$
group=owb_users_$$
pass=$(head -c 12 /dev/urandom | base64 | tr -dc A-Za-z0-9)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	# winrmd's per-user hosts follow it out; userdel fails while they run.
	for _ in $(seq 30); do
		userdel -r "$user" >/dev/null 2>&1 && break
		id "$user" >/dev/null 2>&1 || break
		sleep 0.1
	done
	groupdel "$group" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

die() { echo "winrs_bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"
[ -x "$winrmd_src" ] || die "no $winrmd_src (run make first)"
[ -x "$winrs" ] || die "no $winrs (run make first)"
[ -x /usr/sbin/sshd ] || die "no /usr/sbin/sshd (install openssh-server)"
case "$runs" in '' | *[!0-9]* | 0) die "runs must be a positive integer" ;; esac
case "$bytes" in '' | *[!0-9]* | 0) die "bytes must be a positive integer" ;; esac

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
now_ns() { date +%s%N; }
median() { sort -n | awk '{v[NR] = $1} END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The temporary user, in the group winrmd admits as remote users.
groupadd "$group"
useradd --create-home --shell /bin/sh --groups "$group" "$user"
echo "$user:$pass" | chpasswd

# winrmd with an HTTPS listener and Basic. It drops to the account winrmd,
# which must be able to read its binary's directory and the configuration.
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
cat > "$conf/winrm.conf" <<CONF
Service/Auth/Basic = true
Service/RemoteUsersGroup = $group
Listener?Address=*+Transport=HTTPS/Port = $wport
Listener?Address=*+Transport=HTTPS/CertificateFile = cert.pem
Listener?Address=*+Transport=HTTPS/KeyFile = key.pem
CONF
chmod 644 "$conf/winrm.conf"
(cd "$work" && exec "$work/winrmd" --config-dir "$conf" --foreground --user winrmd </dev/null >"$work/winrmd.log" 2>&1) &
wpid=$!
pids+=("$wpid")

# A private sshd on loopback with its own host key; the user logs in with a
# generated key listed in an authorized_keys file in the work directory.
sport=$(free_port)
mkdir -p /run/sshd
mkdir -m 0755 "$work/ssh"
ssh-keygen -q -t ed25519 -N '' -f "$work/ssh/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$work/ssh/client_key"
install -m 0644 "$work/ssh/client_key.pub" "$work/ssh/authorized_keys"
cat > "$work/ssh/sshd_config" <<CONF
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
/usr/sbin/sshd -D -e -f "$work/ssh/sshd_config" </dev/null >"$work/sshd.log" 2>&1 &
spid=$!
pids+=("$spid")

wait_port "$wport" "$wpid" "$work/winrmd.log"
wait_port "$sport" "$spid" "$work/sshd.log"

run_winrs() {
	"$winrs" --config-dir "$conf" -r:"https://127.0.0.1:$wport" -u:"$user" -p:"$pass" \
		-a:Basic -skipCAcheck "$@" </dev/null
}
run_ssh() {
	ssh -q -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
		-o LogLevel=ERROR -i "$work/ssh/client_key" -p "$sport" "$user@127.0.0.1" "$@" </dev/null
}

# Warm-up (and check both log in and run the command).
out=$(run_winrs id -un) || { cat "$work/winrmd.log" >&2; die "winrs failed"; }
[ "$out" = "$user" ] || die "winrs ran as '$out', not $user"
out=$(run_ssh id -un) || { cat "$work/sshd.log" >&2; die "ssh failed"; }
[ "$out" = "$user" ] || die "ssh ran as '$out', not $user"
run_winrs true || die "winrs true failed"
run_ssh true || die "ssh true failed"

# Latency: `true`, N runs each, alternating.
: > "$work/t_winrs"
: > "$work/t_ssh"
for _ in $(seq "$runs"); do
	t0=$(now_ns); run_winrs true || die "winrs true failed"; t1=$(now_ns)
	echo $((t1 - t0)) >> "$work/t_winrs"
	t0=$(now_ns); run_ssh true || die "ssh true failed"; t1=$(now_ns)
	echo $((t1 - t0)) >> "$work/t_ssh"
done
m_winrs=$(median < "$work/t_winrs")
m_ssh=$(median < "$work/t_ssh")

# Throughput: BYTES of zeros to stdout, counted by wc -c; best of two each.
through() { # runner -> prints nanoseconds of the best of two runs
	local best=0 t0 t1 n
	for _ in 1 2; do
		t0=$(now_ns)
		n=$("$1" "head -c $bytes /dev/zero" | wc -c) || die "$1 head failed"
		t1=$(now_ns)
		[ "$n" = "$bytes" ] || die "$1 delivered $n bytes, not $bytes"
		if [ "$best" = 0 ] || [ $((t1 - t0)) -lt "$best" ]; then best=$((t1 - t0)); fi
	done
	echo "$best"
}
b_winrs=$(through run_winrs)
b_ssh=$(through run_ssh)

kill -0 "$wpid" 2>/dev/null || { cat "$work/winrmd.log" >&2; die "winrmd exited during the run"; }

awk -v runs="$runs" -v bytes="$bytes" -v mw="$m_winrs" -v ms="$m_ssh" \
	-v bw="$b_winrs" -v bs="$b_ssh" 'BEGIN {
	tw = bytes / (bw / 1e9) / 1e6; ts = bytes / (bs / 1e9) / 1e6
	printf "winrs true, median of %d:   %8.2f ms\n", runs, mw / 1e6
	printf "ssh true, median of %d:     %8.2f ms\n", runs, ms / 1e6
	printf "winrs stdout, %d bytes: %8.1f MB/s (%.2f s)\n", bytes, tw, bw / 1e9
	printf "ssh stdout, %d bytes:   %8.1f MB/s (%.2f s)\n", bytes, ts, bs / 1e9
	print ""
	printf "command time winrs / ssh:     %.3f (target <= 0.10)\n", mw / ms
	printf "throughput winrs / ssh:       %.2f (target >= 1.00)\n", tw / ts }'
