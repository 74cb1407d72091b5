"""Faults during a configuration write (issue 14): a writer killed at any
point leaves the old configuration or the new one, never a broken file,
and a full disk is a clear error with the old configuration intact; for
`winrm set` on the local directory and for the service's own writes
(`winrm set -r:`, WS-Transfer Put)."""
import ctypes
import os
import random
import re
import shutil
import signal
import subprocess
import time

import harness as h

LOCAL_KILLS = 50
REMOTE_KILLS = 20
SETTING = "winrm/config/winrs"
CONF = "winrm.conf"
CLONE_NEWNS = 0x00020000
FULL_DISK_KB = 256  # the tmpfs the full-disk tests fill


def _set_argv(config_dir, value, remote=()):
    return ([h.client_path("winrm"), "set", SETTING, '@{MaxShellsPerUser="%d"}' % value]
            + list(remote) + ["--config-dir", config_dir])


def _run(argv):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    for pat in h.SANITIZER_PATTERNS:
        h.check(pat.encode() not in r.stderr, "winrm: sanitizer report:\n%s"
                % r.stderr.decode(errors="replace"))
    return r


def _read(config_dir):
    with open(os.path.join(config_dir, CONF), "rb") as f:
        return f.read()


def _parses(config_dir):
    """winrm reads the directory's configuration without complaint."""
    r = _run([h.client_path("winrm"), "get", "winrm/config", "--config-dir", config_dir])
    return r.returncode == 0


def _killed_at_random(argv, before_kill, seconds):
    """Runs argv, waits a random time up to seconds, then SIGKILLs
    before_kill() (the pid that writes); waits for argv to end."""
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.uniform(0, seconds))
    try:
        os.kill(before_kill(p), signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait(60)


def _remote(svc, u):
    return ["-r:" + svc.url(), "-u:" + u.name, "-p:" + u.password, "-a:Basic", "-skipCAcheck"]


def _leftover_temporaries(config_dir):
    return [n for n in os.listdir(config_dir) if n.startswith(CONF + ".tmp.")]


def test_local_write_killed_leaves_old_or_new():
    """`winrm --config-dir D set` killed after a random delay, LOCAL_KILLS
    times: each time D's file parses and is byte for byte the old one or
    the one the same command writes when it runs to the end."""
    d = h.client_config()
    scratch = h.client_config()
    h.eq(_run(_set_argv(d, 1)).returncode, 0, "the first set")
    t0 = time.monotonic()
    h.eq(_run(_set_argv(scratch, 1)).returncode, 0, "a timed set")
    span = 1.2 * (time.monotonic() - t0)
    seen = {"old": 0, "new": 0, "inside": 0}
    for i in range(LOCAL_KILLS):
        old = _read(d)
        shutil.copy(os.path.join(d, CONF), os.path.join(scratch, CONF))
        h.eq(_run(_set_argv(scratch, i + 2)).returncode, 0, "set %d run to its end" % (i + 2))
        new = _read(scratch)
        h.check(new != old, "set %d changes the file" % (i + 2))
        _killed_at_random(_set_argv(d, i + 2), lambda p: p.pid, span)
        now = _read(d)
        h.check(now in (old, new), "after kill %d the file is neither the old nor the new one:\n%s"
                % (i + 1, now.decode(errors="replace")))
        h.check(_parses(d), "after kill %d the configuration does not parse" % (i + 1))
        seen["old" if now == old else "new"] += 1
        # A temporary file left: the kill landed between its creation and the rename.
        seen["inside"] += len(_leftover_temporaries(d))
    print("kills leaving the old file: %(old)d, the new one: %(new)d; "
          "inside the write (a temporary file left): %(inside)d" % seen)
    h.check(seen["old"] and seen["new"], "the kills all landed on one side of the write: %r" % seen)
    h.eq(_run(_set_argv(d, 1)).returncode, 0, "a set after the kills")
    h.eq(_leftover_temporaries(d), [], "temporary files of killed writers after the next set")


def test_stale_temporaries_removed():
    """A temporary file a killed writer left (its pid no process's) goes
    at the next write; one of a writer still running stays."""
    d = h.client_config()
    gone = subprocess.Popen(["true"])
    gone.wait()
    stale = os.path.join(d, "%s.tmp.%d" % (CONF, gone.pid))
    live = os.path.join(d, "%s.tmp.%d" % (CONF, os.getpid()))
    for path in (stale, live):
        with open(path, "w") as f:
            f.write("half a configuration")
    h.eq(_run(_set_argv(d, 1)).returncode, 0, "winrm set")
    h.check(not os.path.exists(stale), "the temporary file of a writer that is gone remains")
    h.check(os.path.exists(live), "the temporary file of a running writer was removed")
    os.unlink(live)


def test_service_write_killed_leaves_old_or_new():
    """winrmd SIGKILLed after a random delay while it applies `winrm set
    -r:` (its privileged part writes the file), REMOTE_KILLS times, a new
    service each time: its file parses and is the old one or the one
    `winrm set` writes from the same file."""
    adm = h.user("adm")
    client = h.client_config()
    svc = h.service()
    t0 = time.monotonic()
    h.eq(_run(_set_argv(client, 2, _remote(svc, adm))).returncode, 0, "a timed remote set")
    span = 1.2 * (time.monotonic() - t0)
    seen = {"old": 0, "new": 0}
    for i in range(REMOTE_KILLS):
        svc = h.service()
        old = _read(svc.conf_dir)
        scratch = h.client_config()
        shutil.copy(os.path.join(svc.conf_dir, CONF), os.path.join(scratch, CONF))
        h.eq(_run(_set_argv(scratch, 2)).returncode, 0, "the same set on a copy")
        new = _read(scratch)
        tree = h.descendants(svc.pid)
        _killed_at_random(_set_argv(client, 2, _remote(svc, adm)), lambda p: svc.pid, span)
        h.eq(svc.wait_exit(10), -signal.SIGKILL, "winrmd's status")
        for pid, start in tree:
            h.kill_exact(pid, start)
        now = _read(svc.conf_dir)
        h.check(now in (old, new), "after kill %d the service's file is neither the old nor the "
                "new one:\n%s" % (i + 1, now.decode(errors="replace")))
        h.check(_parses(svc.conf_dir), "after kill %d the configuration does not parse" % (i + 1))
        seen["old" if now == old else "new"] += 1
    print("kills leaving the old file: %(old)d, the new one: %(new)d" % seen)


def _private_tmpfs(path, size_kb):
    """Mounts a tmpfs of size_kb at path in a mount namespace of this
    process's own (the host's mounts are untouched; winrm and winrmd,
    started from here, see it), keeping what path held."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        raise h.Skip("unshare(CLONE_NEWNS): %s" % os.strerror(ctypes.get_errno()))
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    saved = {}
    for name in os.listdir(path):
        p = os.path.join(path, name)
        st = os.stat(p)
        with open(p, "rb") as f:
            saved[name] = (f.read(), st)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dk,mode=0755" % size_kb, "tmpfs", path],
                   check=True)
    for name, (data, st) in saved.items():
        p = os.path.join(path, name)
        with open(p, "wb") as f:
            f.write(data)
        os.chown(p, st.st_uid, st.st_gid)
        os.chmod(p, st.st_mode & 0o7777)


def _fill(path):
    """Fills the file system of path to the last byte."""
    with open(os.path.join(path, "filler"), "wb", buffering=0) as f:
        chunk = b"\0" * 4096
        try:
            while True:
                f.write(chunk)
        except OSError as e:
            h.eq(e.errno, 28, "the filler's error (ENOSPC)")
        try:
            while True:
                f.write(b"\0")
        except OSError:
            pass


def _says_disk_full(text):
    """In ENOSPC's words (strerror), or Windows' (ERROR_DISK_FULL)."""
    return re.search(r"no space left on device|not enough space on the disk", text, re.I) is not None


def test_full_disk_local_write():
    """`winrm --config-dir D set` with D's file system full: exit status
    non-zero, an error that says no space is left, the old file intact
    and no temporary file left."""
    d = h.client_config()
    h.eq(_run(_set_argv(d, 1)).returncode, 0, "the first set")
    _private_tmpfs(d, FULL_DISK_KB)
    old = _read(d)
    _fill(d)
    r = _run(_set_argv(d, 2))
    err = r.stderr.decode(errors="replace")
    h.check(r.returncode != 0, "winrm set succeeded on a full disk")
    h.check(_says_disk_full(err), "winrm set's error does not say the disk is full: %r" % err)
    h.eq(_read(d), old, "the configuration after the failed set")
    h.eq(_leftover_temporaries(d), [], "temporary files left")
    os.unlink(os.path.join(d, "filler"))
    h.eq(_run(_set_argv(d, 2)).returncode, 0, "the same set once there is room")


def test_full_disk_service_write():
    """`winrm set -r:` (the service's privileged part writes) with the
    service's configuration directory on a full file system: the client
    gets an error that says no space is left, the file is intact, the
    service logs it and goes on serving, and the set works once there
    is room."""
    adm = h.user("adm")
    client = h.client_config()
    svc = h.Service()
    _private_tmpfs(svc.conf_dir, FULL_DISK_KB)
    svc.start()
    old = _read(svc.conf_dir)
    _fill(svc.conf_dir)
    r = _run(_set_argv(client, 2, _remote(svc, adm)))
    err = r.stderr.decode(errors="replace")
    h.check(r.returncode != 0, "winrm set -r: succeeded on a full disk")
    h.check(_says_disk_full(err), "winrm set -r:'s error does not say the disk is full: %r" % err)
    svc.wait_for_log([r"configuration change by", r"No space left on device"])
    h.eq(_read(svc.conf_dir), old, "the configuration after the failed set")
    h.eq(_leftover_temporaries(svc.conf_dir), [], "temporary files left")
    h.assert_serving(svc)
    os.unlink(os.path.join(svc.conf_dir, "filler"))
    r = _run(_set_argv(client, 2, _remote(svc, adm)))
    h.eq(r.returncode, 0, "the same set once there is room (%s)" % r.stderr.decode(errors="replace"))
