"""The GSSAPI acceptor: the process that parses the unauthenticated tokens
of Negotiate, Kerberos and CredSSP. Killing it costs the logon under way
and nothing else: the service goes on serving, and the privileged part
starts another. It runs with the least it needs: the service account, no
capabilities, no_new_privs, undumpable, no descriptor of the keytab file,
of the hash file or of a listener, and none of winrmd's environment."""
import base64
import os
import pwd
import re
import shutil
import signal
import subprocess
import time

import harness as h
from test_ntlm import client, ntlm_service

# The NTLMSSP NEGOTIATE message pywinrm sends first, and an AUTHENTICATE
# header with nothing after it (test_priv_gss.c's).
NTLM_NEGOTIATE = bytes.fromhex("4e544c4d5353500001000000329088e2000000002800000000000000"
                               "280000000601b11d0000000f")
NTLM_AUTHENTICATE = bytes.fromhex("4e544c4d535350000300000000000000")


def acceptors(svc):
    """Pids of the service's winrmd --role=acceptor processes."""
    found = []
    for pid, _ in h.descendants(svc.pid):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if b"--role=acceptor" in f.read():
                    found.append(pid)
        except OSError:
            pass
    return found


def the_acceptor(svc, other_than=None, timeout=10.0):
    """The one acceptor pid (waiting for it, and for it to be another than
    other_than, which was killed)."""
    deadline = time.monotonic() + timeout
    while True:
        pids = [p for p in acceptors(svc) if p != other_than]
        if len(pids) == 1:
            return pids[0]
        h.check(time.monotonic() < deadline, "acceptor processes of winrmd: %r" % pids)
        time.sleep(0.05)


def negotiate(conn, svc, token):
    li = svc.listener("HTTP")
    return h.request(li, h.IDENTIFY_ENV, conn=conn,
                     auth="Negotiate " + base64.b64encode(token).decode())


def test_killed_acceptor_costs_the_logon_under_way_only():
    svc = ntlm_service()
    u = h.user("a")
    old = the_acceptor(svc)
    svc.wait_for_log(r"GSSAPI acceptor started: pid %d" % old)

    conn = h.connect(svc.listener("HTTP"))
    r = negotiate(conn, svc, NTLM_NEGOTIATE)
    h.eq(r.status, 401, "an NTLM NEGOTIATE gets a challenge")
    h.check((r.header("WWW-Authenticate") or "").startswith("Negotiate "), "the challenge")
    mark = svc.log_mark()
    os.kill(old, signal.SIGKILL)
    svc.wait_for_log(r"GSSAPI acceptor \(pid %d\) killed by signal 9: starting another" % old,
                     since=mark)
    r = negotiate(conn, svc, NTLM_AUTHENTICATE)
    h.eq(r.status, 401, "the handshake under way when the acceptor died")
    conn.close()
    svc.wait_for_log(r"authentication failure: from 127\.0\.0\.1, scheme Negotiate", since=mark)

    new = the_acceptor(svc, other_than=old)
    svc.wait_for_log(r"GSSAPI acceptor started: pid %d" % new, since=mark)
    r = h.request(svc, h.IDENTIFY_ENV, headers={"WSMANIDENTIFY": "unauthenticated"})
    h.eq(r.status, 200, "Identify after the acceptor died")
    out, _, code = h.run_cmd(h.protocol(svc, u), "id -un")
    h.eq((out, code), (u.name.encode() + b"\n", 0), "a Basic logon after the acceptor died")
    r = client("raw", svc.url("HTTP"), u.name, u.password, "logon")
    h.eq(r["final"], 200, "a Negotiate (NTLM) logon, served by the new acceptor")
    h.eq(acceptors(svc), [new], "one acceptor, the new one")
    h.check(svc.alive(), "winrmd still runs")


def _status(pid):
    fields = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.split()
    return fields


def test_acceptor_runs_with_the_least_it_needs():
    keytab = os.path.join(h.fixture().run_dir, "acceptor-%d.keytab" % os.getpid())
    with open(keytab, "wb") as f:
        f.write(b"\x05\x02")  # a keytab with no entry
    os.chmod(keytab, 0o600)
    svc = h.Service({"Service/Auth/Keytab": keytab}, https=True, http=True, env={"OWT_CANARY": "1"})
    h.ntlm_password(svc, h.user("a"))
    svc.start()
    pid = the_acceptor(svc)
    # The copies are what the mechanisms read: an NTLM logon succeeds. The
    # acceptor is past its start-up (and its prctl) once it has answered.
    r = client("raw", svc.url("HTTP"), h.user("a").name, h.user("a").password, "logon")
    h.eq(r["final"], 200, "an NTLM logon through the hash file's copy")
    st = _status(pid)
    account = pwd.getpwnam(h.SERVICE_ACCOUNT)
    h.eq(st["Uid"], [str(account.pw_uid)] * 4, "the acceptor's uids: the service account's")
    h.eq(st["Gid"], [str(account.pw_gid)] * 4, "the acceptor's gids")
    h.eq(st.get("Groups", []), [], "no supplementary groups")
    for cap in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
        h.eq(int(st[cap][0], 16), 0, cap)
    h.eq(st["NoNewPrivs"], ["1"], "no_new_privs")
    h.eq(st["Seccomp"], ["2"], "Seccomp mode (2: a filter)")
    h.eq(os.stat("/proc/%d/environ" % pid).st_uid, 0, "undumpable: /proc/PID/environ is root's")

    links = {}
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            links[int(fd)] = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            pass
    users = os.path.join(svc.conf_dir, "ntlm_users")
    # 0 to 2: /dev/null and, in the foreground, the log (stderr).
    h.check(all(not t.startswith("/") or t.startswith("/memfd:")
                for fd, t in links.items() if fd > 2),
            "no file but its memory copies: %r" % links)
    h.check(keytab not in links.values() and users not in links.values(),
            "no descriptor of the keytab or the hash file: %r" % links)
    sockets = [t for t in links.values() if t.startswith("socket:")]
    h.eq(len(sockets), 1, "one socket, its channel to the privileged part (no listener): %r" % links)
    h.check(any(t.startswith("/memfd:keytab") for t in links.values()), "the keytab, in memory")
    h.check(any(t.startswith("/memfd:ntlm_users") for t in links.values()),
            "the hash file, in memory")
    with open("/proc/%d/environ" % pid, "rb") as f:
        names = [v.split(b"=", 1)[0].decode() for v in f.read().split(b"\0") if v]
    h.check("OWT_CANARY" not in names and "PATH" not in names and "HOME" not in names,
            "none of winrmd's environment: %r" % names)
    os.unlink(keytab)


def test_changed_hash_file_gives_a_new_acceptor():
    """`winrm user set` writes ntlm_users while winrmd runs: the next
    handshake finds the acceptor replaced, with the new hashes."""
    svc = ntlm_service()
    old = the_acceptor(svc)
    b = h.user("b")
    mark = svc.log_mark()
    r = client("raw", svc.url("HTTP"), b.name, b.password, "logon")
    h.eq(r["final"], 401, "no hash entry for b yet")
    h.ntlm_password(svc, b)
    r = client("raw", svc.url("HTTP"), b.name, b.password, "logon")
    h.eq(r["final"], 200, "b's logon after winrm user set")
    h.check(the_acceptor(svc, other_than=old) != old, "another acceptor")
    svc.wait_for_log(r"GSSAPI acceptor \(pid %d\): loading the keytab and NTLM hashes again" % old,
                     since=mark)
    h.check(re.search(r"GSSAPI acceptor \(pid %d\) killed" % old, svc.log_text()) is None,
            "a replaced acceptor is no crash")


def test_single_user_acceptor_is_that_user_and_serves():
    """Started by an ordinary user there is no privilege to drop: the
    acceptor runs as that user, with the same restrictions, and answers."""
    u = h.user("a")
    svc = h.Service({}, https=False, http=True)
    for root, dirs, files in os.walk(svc.dir):
        for n in dirs + files:
            shutil.chown(os.path.join(root, n), user=u.name, group=u.name)
    shutil.chown(svc.dir, user=u.name, group=u.name)
    with open(svc.log_path, "ab") as log:
        proc = subprocess.Popen(["setpriv", "--reuid=" + u.name, "--regid=" + u.name,
                                 "--init-groups", h.winrmd_path(), "--config-dir", svc.conf_dir,
                                 "--foreground"], stdout=log, stderr=log, cwd=svc.dir)
    try:
        svc.proc = proc
        svc.wait_for_log(r"winrmd started \(single-user mode")
        pid = the_acceptor(svc)
        r = negotiate(None, svc, NTLM_NEGOTIATE)
        h.eq(r.status, 401, "an NTLM NEGOTIATE gets a challenge in single-user mode")
        h.check((r.header("WWW-Authenticate") or "").startswith("Negotiate "), "the challenge")
        st = _status(pid)
        h.eq(st["Uid"], [str(u.uid)] * 4, "the acceptor's uids: the invoking user's")
        h.eq(st["NoNewPrivs"], ["1"], "no_new_privs")
        h.eq(st["Seccomp"], ["2"], "Seccomp mode (2: a filter)")
        h.eq(int(st["CapEff"][0], 16), 0, "CapEff")
        h.eq(os.stat("/proc/%d/environ" % pid).st_uid, 0, "undumpable")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    h.eq(svc.sanitizer_reports(), [], "sanitizer reports of the single-user service")
