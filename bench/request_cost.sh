#!/usr/bin/env bash
# What one request costs winrmd's processes, in instructions counted by
# valgrind's callgrind: unlike wall time on a shared 2-core machine, the
# count repeats to a fraction of a percent, so two builds can be compared
# where bench/compare_builds.sh only shows noise. For each build the
# service runs twice under callgrind (--trace-children, so the network
# process and the user's host are counted apart), with N and then 2N of
# each request; the difference divided by N is the cost of one request,
# start-up and shutdown cancelled out:
#   identify   an anonymous Identify (keep-alive)
#   basic      an Identify with Basic, found in the verification cache
#   command    pywinrm's run_cmd('true'): Create, Command, Receive,
#              Signal, Delete, each through the user's host
# Run as root from the repository root, after `make` (or make BUILD=DIR):
#   bench/request_cost.sh BUILD [BUILD...] [-n N]      (N defaults to 200)
set -euo pipefail
n=200
builds=()
while [ $# -gt 0 ]; do
	case $1 in
	-n) n=$2; shift 2 ;;
	*) builds+=("$(cd "$1" && pwd)"); shift ;;
	esac
done
[ ${#builds[@]} -ge 1 ] || { sed -n '2,16p' "$0"; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 2; }
work=$(mktemp -d)
user=owb_$$
pass=$(head -c 12 /dev/urandom | base64 | tr -dc A-Za-z0-9)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for _ in $(seq 50); do
		userdel -r "$user" >/dev/null 2>&1 && break
		id "$user" >/dev/null 2>&1 || break
		sleep 0.2
	done
	rm -rf "$work"
}
trap cleanup EXIT
useradd -m -s /bin/sh "$user" # shells start in its home
echo "$user:$pass" | chpasswd
chmod 755 "$work"
# The network process and the host write their counts as their own users.
mkdir -m 1777 "$work/cg"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The requests, count each: kind count port.
drive() {
	/usr/bin/python3 - "$@" "$user" "$pass" <<'PY'
import base64, http.client, sys
kind, count, port, user, pw = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
ident = ('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid='
         '"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body>'
         '<wsmid:Identify/></s:Body></s:Envelope>')
hd = {"Content-Type": "application/soap+xml;charset=UTF-8"}
if kind == "command":
    import winrm
    s = winrm.Session("http://127.0.0.1:%d/wsman" % port, auth=(user, pw), transport="basic")
    for _ in range(count):
        assert s.run_cmd("true").status_code == 0
    sys.exit(0)
if kind == "identify":
    hd["WSMANIDENTIFY"] = "unauthenticated"
else:
    hd["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
for _ in range(count):
    c.request("POST", "/wsman", ident, hd)
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
PY
}

# Instructions of the role's process (net or host) in one run of the
# service with count requests of kind.
run() { # build kind count -> "net_instructions host_instructions"
	local build=$1 kind=$2 count=$3 port dir
	port=$(free_port)
	dir=$work/run.$kind.$count.$RANDOM
	mkdir -m 755 "$dir"
	cat > "$dir/winrm.conf" <<CONF
Service/AllowUnencrypted = true
Service/Auth/Basic = true
Service/AdminGroups = $user
Listener?Address=IP:127.0.0.1+Transport=HTTP/Port = $port
CONF
	# Only winrmd's processes are counted, not the commands a host runs.
	valgrind -q --vgdb=no --tool=callgrind --trace-children=yes --trace-children-skip='/bin/*,/usr/*' \
		--callgrind-out-file="$work/cg/$(basename "$dir").%p" \
		"$build/winrmd" --config-dir "$dir" --foreground 2>"$dir/log" &
	local pid=$!
	pids+=("$pid")
	for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.2; done
	if ! drive "$kind" "$count" "$port"; then
		kill -TERM "$pid"
		cat "$dir/log" >&2
		exit 1
	fi
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	local net=0 host=0 f
	for f in "$work/cg/$(basename "$dir")".*; do
		local total
		total=$(awk '/^summary:|^totals:/ {print $2; exit}' "$f")
		if grep -q -- '--role=net' "$f"; then net=$((net + total)); fi
		if grep -q -- '--role=host' "$f"; then host=$((host + total)); fi
	done
	echo "$net $host"
}

printf '%-40s %-9s %14s %14s\n' build request "net instr/req" "host instr/req"
for b in "${builds[@]}"; do
	for kind in identify basic command; do
		read -r n1 h1 < <(run "$b" "$kind" "$n")
		read -r n2 h2 < <(run "$b" "$kind" $((2 * n)))
		printf '%-40s %-9s %14d %14d\n' "$b" "$kind" $(((n2 - n1) / n)) $(((h2 - h1) / n))
	done
done
