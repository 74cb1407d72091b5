#!/usr/bin/env bash
# PowerShell remoting through winrmd (WinRM: pwsh with our libpsrpclient,
# HTTPS, Basic) against PowerShell's own SSH remoting (pwsh as the
# `powershell` subsystem of a private sshd, key authentication), on
# loopback, as the same temporary user, measured by one pwsh client so its
# start-up counts for neither:
#   1. a new session and one command: New-PSSession + Invoke-Command
#      -Session { 1 } + Remove-PSSession, N times each, alternating; the
#      ratio winrmd / ssh of each pair, reported as min / median / max
#      (target: median <= 0.8);
#   2. a command on an open session: Invoke-Command -Session $s { 1 }, N
#      times on each transport's open session, and the same script block
#      in a local runspace; medians, and winrmd's minus the local one
#      (target <= 5 ms). PowerShell's own floor for it is measured too: the
#      same Invoke-Command on a session whose pwsh is a child on pipes
#      (CreateOutOfProcessRunspace, no network, no service), which is all
#      of PowerShell's remoting work on both sides and no transport's;
#      winrmd's cost over it is the part a WinRM service can cut;
#   3. the memory of an idle session on the server: the RSS of the user's
#      pwsh and of winrmd's host process for the user, and for SSH of the
#      user's pwsh subsystem and sshd's session processes.
# Exits non-zero only when something fails to run, not when a target is
# missed. Run as root from the repository root after `make`:
#   bench/psrp_vs_ssh.sh [runs]
# WINRMD and PWSH select other binaries (default build/winrmd,
# /opt/pwsh/pwsh); libpsrpclient is build/libpsrpclient.so.
set -euo pipefail
runs=${1:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
winrmd_src=${WINRMD:-$root/build/winrmd}
pwsh=${PWSH:-/opt/pwsh/pwsh}
lib=$root/build/libpsrpclient.so
work=$(mktemp -d)
user=owb_$$
group=owb_users_$$
pass=$(head -c 12 /dev/urandom | base64 | tr -dc A-Za-z0-9)
pids=()
# shellcheck source=bench/loopback_peers.sh
. "$root/bench/loopback_peers.sh"
trap cleanup EXIT

die() { echo "psrp_vs_ssh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"
[ -x "$winrmd_src" ] || die "no $winrmd_src (run make first)"
[ -f "$lib" ] || die "no $lib (run make first)"
[ -x "$pwsh" ] || die "no $pwsh (scripts/bootstrap installs PowerShell)"
[ -x /usr/sbin/sshd ] || die "no /usr/sbin/sshd (install openssh-server)"
case "$runs" in '' | *[!0-9]* | 0) die "runs must be a positive integer" ;; esac
make_user
# The PowerShell endpoints with this pwsh; PowerShell's SSH remoting: pwsh
# as sshd's powershell subsystem.
start_winrmd "Service/PowerShell = $pwsh"
start_sshd "Subsystem powershell $pwsh -sshs -NoLogo -NoProfile"

wait_port "$wport" "$wpid" "$work/winrmd.log"
wait_port "$sport" "$spid" "$work/sshd.log"

# The user's processes named comm, as "pid rss_kB" lines.
rss_of() { ps -u "$user" -o pid=,rss=,comm= | awk -v c="$1" '$3 == c { print $1, $2 }'; }

# The client: one pwsh, its results as "name value" lines on stdout. The
# script stops after opening the idle sessions, writes "idle", and waits
# for a line on stdin while this script reads the servers' memory.
cat > "$work/client.ps1" <<'PS1'
$ErrorActionPreference = 'Stop'
$runs = [int]$env:OWB_RUNS
$cred = New-Object System.Management.Automation.PSCredential($env:OWB_USER,
    (ConvertTo-SecureString $env:OWB_PASS -AsPlainText -Force))
$opt = New-PSSessionOption -SkipCACheck -SkipCNCheck
function New-WinRM { New-PSSession -ComputerName 127.0.0.1 -Port $env:OWB_WPORT -UseSSL -SessionOption $opt -Authentication Basic -Credential $cred }
function New-Ssh { New-PSSession -HostName 127.0.0.1 -Port $env:OWB_SPORT -UserName $env:OWB_USER -KeyFilePath $env:OWB_KEY -Options @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = '/dev/null'; LogLevel = 'ERROR' } }
function Time-Ms([scriptblock]$block) { $watch = [Diagnostics.Stopwatch]::StartNew(); $null = & $block; $watch.Elapsed.TotalMilliseconds }
function Check($s, $what) { $u = Invoke-Command -Session $s { [Environment]::UserName }; if ($u -ne $env:OWB_USER) { throw "$what ran as '$u'" } }
# Warm-up, and both run as the user.
$s = New-WinRM; Check $s 'winrm'; Remove-PSSession $s
$s = New-Ssh; Check $s 'ssh'; Remove-PSSession $s
for ($i = 0; $i -lt $runs; $i++) {
    'new_winrm {0}' -f (Time-Ms { $s = New-WinRM; Invoke-Command -Session $s { 1 }; Remove-PSSession $s })
    'new_ssh {0}' -f (Time-Ms { $s = New-Ssh; Invoke-Command -Session $s { 1 }; Remove-PSSession $s })
}
$winrm = New-WinRM; $ssh = New-Ssh
$child = [runspacefactory]::CreateOutOfProcessRunspace($null); $child.Open()
$pipe = [System.Management.Automation.Runspaces.PSSession]::Create($child, 'pipe', $null)
$local = [runspacefactory]::CreateRunspace(); $local.Open()
$ps = [powershell]::Create(); $ps.Runspace = $local
$null = Invoke-Command -Session $winrm { 1 }; $null = Invoke-Command -Session $ssh { 1 }; $null = Invoke-Command -Session $pipe { 1 }; $null = $ps.AddScript('1').Invoke()
for ($i = 0; $i -lt $runs; $i++) {
    'cmd_winrm {0}' -f (Time-Ms { Invoke-Command -Session $winrm { 1 } })
    'cmd_ssh {0}' -f (Time-Ms { Invoke-Command -Session $ssh { 1 } })
    'cmd_pipe {0}' -f (Time-Ms { Invoke-Command -Session $pipe { 1 } })
    'cmd_local {0}' -f (Time-Ms { $ps.Invoke() })
}
Start-Sleep -Seconds 2
'idle'
[Console]::Out.Flush()
$null = [Console]::In.ReadLine()
Remove-PSSession $winrm, $ssh; $child.Close()
PS1

mkfifo "$work/go"
OWB_RUNS=$runs OWB_USER=$user OWB_PASS=$pass OWB_WPORT=$wport OWB_SPORT=$sport \
	OWB_KEY=$work/ssh/client_key LD_LIBRARY_PATH=$root/build HOME=$work \
	POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off \
	"$pwsh" -NoProfile -NonInteractive -File "$work/client.ps1" <"$work/go" >"$work/results" 2>"$work/client.err" &
cpid=$!
pids+=("$cpid")
exec 4>"$work/go"
for _ in $(seq $((runs * 40 + 600))); do
	grep -qx idle "$work/results" 2>/dev/null && break
	kill -0 "$cpid" 2>/dev/null || { cat "$work/client.err" "$work/sshd.log" >&2; tail -5 "$work/winrmd.log" >&2; die "the pwsh client failed"; }
	sleep 0.1
done
grep -qx idle "$work/results" || die "the pwsh client never reached its idle sessions"

# Idle sessions: one through each transport. winrmd's host process for the
# user runs as the user too (it is named winrmd); sshd's session process
# for the user is named sshd.
rss_pwsh=$(rss_of pwsh | awk '{ print $2 }' | sort -n | tr '\n' ' ')
rss_host=$(rss_of winrmd | awk '{ s += $2 } END { print s + 0 }')
rss_sshd=$(rss_of sshd | awk '{ s += $2 } END { print s + 0 }')
echo >&4
exec 4>&-
wait "$cpid" || { cat "$work/client.err" >&2; die "the pwsh client failed"; }
kill -0 "$wpid" 2>/dev/null || { cat "$work/winrmd.log" >&2; die "winrmd exited during the run"; }

stats() { # name -> "min median max" of its values
	awk -v n="$1" '$1 == n { print $2 }' "$work/results" | sort -n |
		awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f %.1f %.1f", v[1], m, v[NR] }'
}
ratios() { # the winrm / ssh ratio of each pair of new-session runs
	paste <(awk '$1 == "new_winrm" { print $2 }' "$work/results") \
		<(awk '$1 == "new_ssh" { print $2 }' "$work/results") |
		awk '{ print $1 / $2 }' | sort -n |
		awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f %.2f %.2f", v[1], m, v[NR] }'
}
read -r nw_min nw_med nw_max <<<"$(stats new_winrm)"
read -r ns_min ns_med ns_max <<<"$(stats new_ssh)"
read -r r_min r_med r_max <<<"$(ratios)"
read -r cw_min cw_med cw_max <<<"$(stats cmd_winrm)"
read -r cs_min cs_med cs_max <<<"$(stats cmd_ssh)"
read -r cp_min cp_med cp_max <<<"$(stats cmd_pipe)"
read -r cl_min cl_med cl_max <<<"$(stats cmd_local)"

printf 'runs: %d each, alternating, one pwsh client (%s)\n\n' "$runs" "$("$pwsh" -NoProfile -c '$PSVersionTable.PSVersion.ToString()')"
printf 'new session + Invoke-Command + Remove, ms (min / median / max):\n'
printf '  winrmd (WinRM, HTTPS, Basic): %8s %8s %8s\n' "$nw_min" "$nw_med" "$nw_max"
printf '  SSH remoting (sshd, key):     %8s %8s %8s\n' "$ns_min" "$ns_med" "$ns_max"
printf '  ratio winrmd / ssh per pair:  %8s %8s %8s   (target: median <= 0.80)\n\n' "$r_min" "$r_med" "$r_max"
printf 'Invoke-Command on an open session, ms (min / median / max):\n'
printf '  winrmd:        %8s %8s %8s\n' "$cw_min" "$cw_med" "$cw_max"
printf '  SSH remoting:  %8s %8s %8s\n' "$cs_min" "$cs_med" "$cs_max"
printf '  pwsh child on pipes (PowerShell'"'"'s floor):%8s %8s %8s\n' "$cp_min" "$cp_med" "$cp_max"
printf '  local runspace:%8s %8s %8s\n' "$cl_min" "$cl_med" "$cl_max"
awk -v w="$cw_med" -v l="$cl_med" 'BEGIN { printf "  winrmd - local (medians): %.1f ms   (target <= 5 ms)\n", w - l }'
awk -v p="$cp_med" -v l="$cl_med" 'BEGIN { printf "  pipes - local (medians): %.1f ms   (PowerShell'"'"'s own remoting, no transport)\n", p - l }'
awk -v w="$cw_med" -v p="$cp_med" 'BEGIN { printf "  winrmd - pipes (medians): %.1f ms   (the transport'"'"'s part)\n\n", w - p }'
printf 'idle session memory on the server (RSS, kB):\n'
printf '  the user'"'"'s pwsh processes (winrmd'"'"'s and ssh'"'"'s): %s\n' "$rss_pwsh"
printf '  winrmd host process of the user: %s\n' "$rss_host"
printf '  sshd session processes of the user: %s\n' "$rss_sshd"
