"""Files through a PowerShell session of libpsrpclient: Copy-Item
-ToSession and -FromSession (PowerShell's own file transfer, base64
chunks in pipelines of the remote runspace) move 10 MB intact, and the
copy on the server belongs to the user."""
import hashlib
import os

import harness as h
import test_psrpclient as pc

SIZE = 10 * 1024 * 1024


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_copy_item_to_and_from_session_10mb():
    svc = h.service()
    a = h.user("a")
    work = os.path.join(h.fixture().run_dir, "copy-%d" % os.getpid())
    os.makedirs(work)
    src = os.path.join(work, "random.bin")
    back = os.path.join(work, "back.bin")
    with open(src, "wb") as f:
        f.write(os.urandom(SIZE))
    remote = os.path.join(a.pw.pw_dir, "copied-%d.bin" % os.getpid())
    try:
        r = pc.pwsh("$s = New-PSSession -ComputerName 127.0.0.1 -Port %d -UseSSL -SessionOption $https "
                    "-Authentication Basic -Credential $cred; "
                    "Copy-Item -Path '%s' -ToSession $s -Destination '%s'; "
                    "Copy-Item -FromSession $s -Path '%s' -Destination '%s'; "
                    "Invoke-Command -Session $s -ScriptBlock { (Get-FileHash $args[0]).Hash } -Args '%s'; "
                    "Remove-PSSession $s; 'copied'"
                    % (svc.listener("HTTPS").port, src, remote, remote, back, remote), a, timeout=300)
        h.eq((r.returncode, r.stdout.split()[-1:]), (0, ["copied"]),
             "Copy-Item both ways (%s)" % pc._said(r)[-2000:])
        want = _sha256(src)
        h.eq(_sha256(remote), want, "the file on the server")
        h.eq(r.stdout.split()[0].lower(), want, "Get-FileHash in the session")
        st = os.stat(remote)
        h.eq((st.st_uid, st.st_gid), (a.uid, a.gid), "the copy is the user's")
        h.eq(_sha256(back), want, "the file copied back with -FromSession")
    finally:
        if os.path.exists(remote):
            os.unlink(remote)


def test_compressed_large_output_and_input():
    """pwsh asks for xpress unless NoCompression: with libpsrpclient the
    whole session is compressed both ways (winrmd's codec at the other
    end), and 5 MB of output and 1 MB of input arrive intact."""
    svc = h.service()
    a = h.user("a")
    script = ("$s = New-PSSession -ComputerName 127.0.0.1 -Port %d -UseSSL -SessionOption %s "
              "-Authentication Basic -Credential $cred; "
              "$in = -join (1..20000 | %% { 'line {0:D6} of the input' -f $_ }); "
              "$out = Invoke-Command -Session $s -ScriptBlock { param($t) "
              "  [Environment]::UserName; $t.Length; "
              "  (1..100000 | %% { 'output line {0:D6} {1}' -f $_, ('x' * 20) }) -join \"`n\" } -Args $in; "
              "$out[0]; $out[1]; $lines = $out[2] -split \"`n\"; $lines.Count; "
              "$bad = 0; for ($i = 0; $i -lt $lines.Count; $i++) { "
              "  if ($lines[$i] -ne ('output line {0:D6} {1}' -f ($i + 1), ('x' * 20))) { $bad++ } }; "
              "'bad=' + $bad; $out[2].Length; Remove-PSSession $s")
    expected_len = 100000 * len("output line 000001 " + "x" * 20) + 99999
    for option, compressed in (("$https", True), ("$nc", False)):
        mark = svc.log_mark()
        r = pc.pwsh("$nc = New-PSSessionOption -SkipCACheck -SkipCNCheck; $nc.NoCompression = $true; " +
                    script % (svc.listener("HTTPS").port, option), a, timeout=300)
        h.eq((r.stdout.split(), r.returncode),
             ([a.name, str(20000 * len("line 000001 of the input")), "100000", "bad=0", str(expected_len)], 0),
             "5 MB of output, 1 MB of input, %s (%s)" % (option, pc._said(r)[-2000:]))
        opened = svc.wait_for_log(r"psrp: shell \S+ opened for %s \(pwsh \d+[^)]*\)" % a.name, since=mark)
        h.eq("xpress compression" in opened, compressed,
             "compression negotiated (%s): %s" % (option, opened.strip()))
