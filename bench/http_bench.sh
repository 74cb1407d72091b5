#!/usr/bin/env bash
# Request rate of winrmd against nginx on this machine, in one run:
#   1. nginx returning a static 200 (the peer),
#   2. winrmd answering an unauthenticated Identify,
#   3. winrmd answering an Identify authenticated with Basic (credentials
#      verified by PAM once, then from the verification cache).
# All over plain HTTP on loopback, keep-alive, with wrk. Prints each rate and
# the ratios the issue sets targets for (Identify >= 0.5 x nginx,
# authenticated >= 0.8 x Identify). Run as root from the repository root
# after `make`: bench/http_bench.sh [seconds] [connections]
set -euo pipefail
secs=${1:-10}
conns=${2:-50}
root=$(cd "$(dirname "$0")/.." && pwd)
winrmd=${WINRMD:-$root/build/winrmd}
work=$(mktemp -d)
user=owb_$$
pass=$(head -c 12 /dev/urandom | base64 | tr -dc A-Za-z0-9)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	userdel -r "$user" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }
rate() { awk '/Requests\/sec/ {print $2}'; }

# nginx serving a static 200
nport=$(free_port)
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<NGX
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  server { listen 127.0.0.1:$nport; location / { return 200 "ok"; } }
}
NGX
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" & pids+=($!)

# winrmd with an HTTP listener, Basic allowed on HTTP for the comparison
useradd -M -s /bin/sh "$user"
echo "$user:$pass" | chpasswd
wport=$(free_port)
chmod 755 "$work"
cat > "$work/winrm.conf" <<CONF
Service/AllowUnencrypted = true
Service/Auth/Basic = true
Service/AdminGroups = $user
Listener?Address=IP:127.0.0.1+Transport=HTTP/Port = $wport
CONF
"$winrmd" --config-dir "$work" --foreground 2>"$work/winrmd.log" & pids+=($!)
wait_port "$nport"
wait_port "$wport"

identify='<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>'
auth=$(printf '%s:%s' "$user" "$pass" | base64 -w0)
# A wrk script posting Identify with one more header: $1 name, $2 value.
identify_lua() {
	cat <<LUA
wrk.method = "POST"
wrk.body = '$identify'
wrk.headers["Content-Type"] = "application/soap+xml;charset=UTF-8"
wrk.headers["$1"] = "$2"
LUA
}
identify_lua WSMANIDENTIFY unauthenticated > "$work/anon.lua"
identify_lua Authorization "Basic $auth" > "$work/auth.lua"
# Warm the verification cache and check each target answers 200.
for h in "" "Authorization: Basic $auth"; do
	code=$(/usr/bin/python3 - "$wport" "$identify" "$h" <<'PY'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
hd = {"Content-Type": "application/soap+xml;charset=UTF-8"}
if sys.argv[3]:
    k, v = sys.argv[3].split(": ", 1); hd[k] = v
else:
    hd["WSMANIDENTIFY"] = "unauthenticated"
c.request("POST", "/wsman", sys.argv[2], hd); print(c.getresponse().status)
PY
)
	[ "$code" = 200 ] || { echo "winrmd answered $code"; cat "$work/winrmd.log"; exit 1; }
done

threads=1
r_nginx=$(wrk -t$threads -c"$conns" -d"${secs}s" "http://127.0.0.1:$nport/" | rate)
r_ident=$(wrk -t$threads -c"$conns" -d"${secs}s" -s "$work/anon.lua" "http://127.0.0.1:$wport/wsman" | rate)
r_auth=$(wrk -t$threads -c"$conns" -d"${secs}s" -s "$work/auth.lua" "http://127.0.0.1:$wport/wsman" | rate)
echo "nginx static 200:        $r_nginx req/s"
echo "winrmd Identify:         $r_ident req/s"
echo "winrmd Identify + Basic: $r_auth req/s"
awk -v n="$r_nginx" -v i="$r_ident" -v a="$r_auth" 'BEGIN {
	printf "Identify / nginx:         %.2f (target >= 0.50)\n", i / n
	printf "authenticated / Identify: %.2f (target >= 0.80)\n", a / i }'
