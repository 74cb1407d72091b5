#!/usr/bin/env bash
# PowerShell remoting through winrmd (WinRM, HTTPS, Basic; the client is
# pwsh with build/libpsrpclient.so) against PowerShell's own SSH remoting
# (pwsh as the powershell subsystem of a private sshd, public key), in one
# run, both on loopback, both logging in as the same temporary user, both
# driven by one pwsh process (so neither pays its start):
#   1. a new session plus one command: New-PSSession, Invoke-Command
#      -Session { 1 } (Remove-PSSession is not timed); per round the median
#      of N alternating tries each, and the ratio winrm / ssh; ROUNDS rounds
#      give the spread of that ratio (target <= 0.8);
#   2. a command on an open session, Invoke-Command -Session $s { 1 }, on
#      each transport, and the same command on a local runspace in the
#      driver (PowerShell.Invoke): medians, and winrm minus local (target
#      <= 5 ms);
#   3. the memory of an idle session: the resident size of the pwsh that
#      serves it, and of the transport process above it (winrmd's per-user
#      host; sshd's session process).
# Exits non-zero only when something fails to run, not when a target is
# missed. Run as root from the repository root after `make`:
#   bench/psrp_bench.sh [tries] [rounds]
# WINRMD and PWSH select other binaries (default build/winrmd, /opt/pwsh/pwsh).
set -euo pipefail
tries=${1:-5}
rounds=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
winrmd_src=${WINRMD:-$root/build/winrmd}
pwsh=${PWSH:-/opt/pwsh/pwsh}
lib=$root/build/libpsrpclient.so
work=$(mktemp -d)
user=owb_$$
group=owb_users_$$
pass=$(head -c 12 /dev/urandom | base64 | tr -dc A-Za-z0-9)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	pkill -KILL -u "$user" 2>/dev/null || true
	for _ in $(seq 30); do
		userdel -r "$user" >/dev/null 2>&1 && break
		id "$user" >/dev/null 2>&1 || break
		sleep 0.1
	done
	groupdel "$group" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

die() { echo "psrp_bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"
[ -x "$winrmd_src" ] || die "no $winrmd_src (run make first)"
[ -f "$lib" ] || die "no $lib (run make first)"
[ -x "$pwsh" ] || die "no $pwsh (scripts/bootstrap installs PowerShell)"
[ -x /usr/sbin/sshd ] || die "no /usr/sbin/sshd (install openssh-server)"
case "$tries" in '' | *[!0-9]* | 0) die "tries must be a positive integer" ;; esac
case "$rounds" in '' | *[!0-9]* | 0) die "rounds must be a positive integer" ;; esac

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

groupadd "$group"
useradd --create-home --shell /bin/sh --groups "$group" "$user"
echo "$user:$pass" | chpasswd

# winrmd: HTTPS, Basic, PowerShell endpoints served by $pwsh.
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
Service/PowerShell = $pwsh
Listener?Address=*+Transport=HTTPS/Port = $wport
Listener?Address=*+Transport=HTTPS/CertificateFile = cert.pem
Listener?Address=*+Transport=HTTPS/KeyFile = key.pem
CONF
chmod 644 "$conf/winrm.conf"
(cd "$work" && exec "$work/winrmd" --config-dir "$conf" --foreground --user winrmd </dev/null >"$work/winrmd.log" 2>&1) &
wpid=$!
pids+=("$wpid")

# sshd with pwsh as its powershell subsystem, as PowerShell's SSH remoting
# documentation sets it up.
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
Subsystem powershell $pwsh -sshs -NoLogo -NoProfile
CONF
/usr/sbin/sshd -D -e -f "$work/ssh/sshd_config" </dev/null >"$work/sshd.log" 2>&1 &
spid=$!
pids+=("$spid")

wait_port "$wport" "$wpid" "$work/winrmd.log"
wait_port "$sport" "$spid" "$work/sshd.log"

# The client: its own libpsrpclient and an empty client configuration.
mkdir -m 0755 "$work/client" "$work/client/lib" "$work/home"
cp "$lib" "$work/client/lib/"
cat > "$work/driver.ps1" <<'PS1'
param([int]$Tries, [int]$Rounds, [int]$WinrmPort, [int]$SshPort, [string]$User, [string]$Key)
$ErrorActionPreference = 'Stop'
$cred = [pscredential]::new($User, (ConvertTo-SecureString $env:OWB_PASS -AsPlainText -Force))
$tls = New-PSSessionOption -SkipCACheck -SkipCNCheck
$sshOptions = @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = '/dev/null'; LogLevel = 'ERROR' }
function Open-Winrm { New-PSSession -ComputerName 127.0.0.1 -Port $WinrmPort -UseSSL -Authentication Basic -Credential $cred -SessionOption $tls }
function Open-Ssh { New-PSSession -HostName 127.0.0.1 -Port $SshPort -UserName $User -KeyFilePath $Key -Options $sshOptions }
function Median([double[]]$v) { $s = $v | Sort-Object; $n = $s.Count; if ($n % 2) { $s[($n - 1) / 2] } else { ($s[$n / 2 - 1] + $s[$n / 2]) / 2 } }
function Time-NewSession($open) {
    $w = [Diagnostics.Stopwatch]::StartNew()
    $s = & $open
    $r = Invoke-Command -Session $s -ScriptBlock { 1 }
    $w.Stop()
    Remove-PSSession $s
    if ($r -ne 1) { throw "the command returned '$r'" }
    $w.Elapsed.TotalMilliseconds
}
function Time-Command($s, [int]$n) {
    1..$n | ForEach-Object {
        $w = [Diagnostics.Stopwatch]::StartNew()
        $r = Invoke-Command -Session $s -ScriptBlock { 1 }
        $w.Stop()
        if ($r -ne 1) { throw "the command returned '$r'" }
        $w.Elapsed.TotalMilliseconds
    }
}
function Rss([int]$procId) {
    $line = Get-Content "/proc/$procId/status" | Where-Object { $_ -like 'VmRSS:*' }
    [double]($line -split '\s+')[1] / 1024
}
function Parent([int]$procId) { [int]((Get-Content "/proc/$procId/stat") -replace '^.*\) ', '' -split ' ')[1] }

# Warm-up: both log in and run as the user; .NET in the driver is JIT-warm.
foreach ($open in 'Open-Winrm', 'Open-Ssh') {
    $s = & $open
    $who = Invoke-Command -Session $s -ScriptBlock { [Environment]::UserName }
    Remove-PSSession $s
    if ($who -ne $User) { throw "$open ran as '$who', not $User" }
}

$ratios = foreach ($round in 1..$Rounds) {
    $w = @(); $h = @()
    foreach ($i in 1..$Tries) { $w += Time-NewSession 'Open-Winrm'; $h += Time-NewSession 'Open-Ssh' }
    $mw = Median $w; $ms = Median $h
    '{0,-6} new session + 1 command: winrm {1,8:F1} ms   ssh {2,8:F1} ms   ratio {3:F3}' -f "round $round", $mw, $ms, ($mw / $ms) | Out-Host
    $mw / $ms
}
$sr = $ratios | Sort-Object
'new session + 1 command, winrm / ssh over {0} rounds of {1}: min {2:F3}  median {3:F3}  max {4:F3}  (target <= 0.80)' -f $Rounds, $Tries, $sr[0], (Median $ratios), $sr[-1]

$sw = Open-Winrm; $ss = Open-Ssh
$rs = [runspacefactory]::CreateRunspace(); $rs.Open()
$local = { $ps = [powershell]::Create(); $ps.Runspace = $rs; $w = [Diagnostics.Stopwatch]::StartNew(); $r = $ps.AddScript('1').Invoke(); $w.Stop(); $ps.Dispose(); $w.Elapsed.TotalMilliseconds }
$null = Time-Command $sw 5; $null = Time-Command $ss 5; $null = 1..5 | ForEach-Object { & $local }
$n = 10 * $Tries
$cw = Median (Time-Command $sw $n); $cs = Median (Time-Command $ss $n); $cl = Median (1..$n | ForEach-Object { & $local })
'command on an open session, median of {0}: winrm {1:F2} ms   ssh {2:F2} ms   local runspace {3:F2} ms' -f $n, $cw, $cs, $cl
'winrm - local: {0:F2} ms (target <= 5)   winrm / ssh: {1:F3}' -f ($cw - $cl), ($cw / $cs)

Start-Sleep -Seconds 2
$pw = Invoke-Command -Session $sw -ScriptBlock { $PID }; $ps = Invoke-Command -Session $ss -ScriptBlock { $PID }
$hw = Parent $pw; $hs = Parent $ps
'idle session, resident: winrm pwsh {0:F1} MB + host {1:F1} MB   ssh pwsh {2:F1} MB + sshd {3:F1} MB' -f (Rss $pw), (Rss $hw), (Rss $ps), (Rss $hs)
Remove-PSSession $sw, $ss
PS1
chmod 644 "$work/driver.ps1"
HOME=$work/home LD_LIBRARY_PATH=$work/client/lib WINRM_CONFIG_DIR=$work/client OWB_PASS=$pass \
	POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off \
	"$pwsh" -NoProfile -NonInteractive -File "$work/driver.ps1" -Tries "$tries" -Rounds "$rounds" \
	-WinrmPort "$wport" -SshPort "$sport" -User "$user" -Key "$work/ssh/client_key" ||
	{ tail -20 "$work/winrmd.log" >&2; tail -20 "$work/sshd.log" >&2; die "the driver failed"; }
kill -0 "$wpid" 2>/dev/null || { cat "$work/winrmd.log" >&2; die "winrmd exited during the run"; }
