"""pywinrm 0.3.0 (Debian python3-winrm) over Basic on HTTPS."""
import os
import shutil
import subprocess
import tempfile
import time

import harness as h


def test_stdout_stderr_exit_code():
    svc = h.service()
    p = h.protocol(svc, h.user("a"))
    out, err, code = h.run_cmd(p, "echo out; echo err >&2; exit 3")
    h.eq(out, b"out\n", "stdout")
    h.eq(err, b"err\n", "stderr")
    h.eq(code, 3, "exit code")


def test_arguments_joined_and_session_api():
    """winrm.Session.run_cmd, pywinrm's everyday API: Command plus one
    joined Arguments element."""
    import winrm
    svc = h.service()
    u = h.user("a")
    s = winrm.Session(svc.url(), auth=(u.name, u.password), transport="ssl",
                      server_cert_validation="ignore")
    r = s.run_cmd("echo", ["one", "two"])
    h.eq((r.std_out, r.std_err, r.status_code), (b"one two\n", b"", 0), "run_cmd result")


def test_command_line_in_one_pair_of_quotes():
    """The Ruby WinRM gem (Vagrant, Chef, test-kitchen) sends every cmd
    command as "COMMAND LINE" in one pair of double quotes, which cmd /c
    strips; other quotes are the shell's, and an executable whose path
    has a space stays quoted, as cmd keeps it."""
    svc = h.service()
    u = h.user("a")
    p = h.protocol(svc, u)
    h.eq(h.run_cmd(p, '"id -un"'), (u.name.encode() + b"\n", b"", 0), "one pair of quotes")
    h.eq(h.run_cmd(p, '"echo" "a  b"'), (b"a  b\n", b"", 0), "the shell's own quotes")
    tools = tempfile.mkdtemp(prefix="owt tools ")  # a space in the path
    try:
        run = os.path.join(tools, "run")
        with open(run, "w") as f:
            f.write("#!/bin/sh\necho ran\n")
        os.chmod(tools, 0o755)
        os.chmod(run, 0o755)
        h.eq(h.run_cmd(p, '"%s"' % run), (b"ran\n", b"", 0), "kept quoted, as cmd keeps it")
    finally:
        shutil.rmtree(tools)


def test_stdin_with_send():
    svc = h.service()
    p = h.protocol(svc, h.user("a"))
    shell_id = p.open_shell()
    command_id = p.run_command(shell_id, "cat")
    h.send_stdin(p, shell_id, command_id, b"hello ", end=False)
    h.send_stdin(p, shell_id, command_id, b"world\nsecond line\n", end=True)
    out, err, code = p.get_command_output(shell_id, command_id)
    p.cleanup_command(shell_id, command_id)
    p.close_shell(shell_id)
    h.eq(out, b"hello world\nsecond line\n", "cat output")
    h.eq((err, code), (b"", 0), "stderr and exit code")


def test_large_output_whole_and_in_order():
    svc = h.service()
    p = h.protocol(svc, h.user("a"), operation_timeout_sec=20, read_timeout_sec=60)
    want = subprocess.run(["seq", "1", "1500000"], stdout=subprocess.PIPE, check=True).stdout
    h.check(len(want) > 10 * 1000 * 1000, "seq output is over 10 MB")
    out, err, code = h.run_cmd(p, "seq 1 1500000")
    h.eq(len(out), len(want), "length of the output")
    if out != want:
        i = next(i for i in range(len(want)) if out[i] != want[i])
        raise h.TestFailure("output differs at byte %d: got %r, want %r"
                            % (i, out[max(0, i - 20):i + 20], want[max(0, i - 20):i + 20]))
    h.eq((err, code), (b"", 0), "stderr and exit code")


def test_command_longer_than_operation_timeout():
    """pywinrm loops through the w:TimedOut faults (Code 2150858793) that the
    service must send before the client's 4 s read timeout."""
    from winrm.exceptions import WinRMOperationTimeoutError
    svc = h.service()
    p = h.protocol(svc, h.user("a"), operation_timeout_sec=2, read_timeout_sec=4)
    timeouts = []
    real = p._raw_get_command_output

    def counting(shell_id, command_id):
        try:
            return real(shell_id, command_id)
        except WinRMOperationTimeoutError:
            timeouts.append(time.monotonic())
            raise
    p._raw_get_command_output = counting
    t0 = time.monotonic()
    out, err, code = h.run_cmd(p, "sleep 6; echo done")
    secs = time.monotonic() - t0
    h.eq((out, err, code), (b"done\n", b"", 0), "result")
    h.check(secs >= 5.5, "the command took %.1fs, less than its sleep" % secs)
    h.check(len(timeouts) >= 1, "no TimedOut fault in 6 s with OperationTimeout PT2S")


def test_admin_group_member_runs_as_self():
    svc = h.service()
    adm = h.user("adm")
    out, err, code = h.run_cmd(h.protocol(svc, adm), "id -un; id -u")
    h.eq((out, code), (("%s\n%d\n" % (adm.name, adm.uid)).encode(), 0), "id of an AdminGroups member")
