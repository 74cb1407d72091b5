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
# shellcheck source=bench/loopback_peers.sh
. "$root/bench/loopback_peers.sh"
trap cleanup EXIT

die() { echo "winrs_bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"
[ -x "$winrmd_src" ] || die "no $winrmd_src (run make first)"
[ -x "$winrs" ] || die "no $winrs (run make first)"
[ -x /usr/sbin/sshd ] || die "no /usr/sbin/sshd (install openssh-server)"
case "$runs" in '' | *[!0-9]* | 0) die "runs must be a positive integer" ;; esac
case "$bytes" in '' | *[!0-9]* | 0) die "bytes must be a positive integer" ;; esac
now_ns() { date +%s%N; }
median() { sort -n | awk '{v[NR] = $1} END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

make_user
start_winrmd
start_sshd

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
