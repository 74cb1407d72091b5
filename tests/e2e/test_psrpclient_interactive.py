"""libpsrpclient under an interactive pwsh, driven through tmux as a person
types: Enter-PSSession gives the remote prompt, commands run as the user,
`exit` leaves and the server's shell goes with it; Ctrl-C during
Invoke-Command stops the remote pipeline. Each test has a tmux server of
its own (a private socket in the run directory), killed at the end."""
import os
import re
import subprocess
import time

import harness as h
import test_psrpclient as pc

TMUX_TIMEOUT = 10
# pwsh's prompts at the start of a line, with what was typed after them
# (local: "PS /path> ", remote: "[host]: PS /path> ").
REMOTE_PROMPT = re.compile(r"^\[(localhost|127\.0\.0\.1)\]: PS [^\n>]*>", re.M)
LOCAL_PROMPT = re.compile(r"^PS [^\n>]*>", re.M)
# Interactive pwsh: no predictions or history drawn on the screen, so what
# capture-pane shows is what was typed and printed.
QUIET_READLINE = ("if (Get-Module PSReadLine) { Set-PSReadLineOption -PredictionSource None "
                  "-HistorySaveStyle SaveNothing }; ")


class Tmux:
    """One tmux server on a private socket, running one pwsh window."""

    def __init__(self, env):
        self.sock = os.path.join(h.fixture().run_dir, "tmux-%d-%d" % (os.getpid(), time.monotonic_ns()))
        self.env = env

    def _tmux(self, *argv, check=True):
        return subprocess.run(["tmux", "-S", self.sock] + list(argv), env=self.env, check=check,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=TMUX_TIMEOUT)

    def start(self, argv):
        # The server, started by this call, passes its environment (self.env,
        # with the password) to the window: nothing secret on a command line.
        self._tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "200", "-y", "60",
                   " ".join(argv))
        self._tmux("set-option", "-t", "t", "history-limit", "5000")
        return self

    def type(self, text):
        self._tmux("send-keys", "-t", "t", "-l", text)
        self._tmux("send-keys", "-t", "t", "Enter")

    def keys(self, *keys):
        self._tmux("send-keys", "-t", "t", *keys)

    def screen(self):
        r = self._tmux("capture-pane", "-p", "-J", "-S", "-5000", "-t", "t", check=False)
        return r.stdout if r.returncode == 0 else ""

    def wait_for(self, what, timeout, count=1):
        """The screen once what (a regex, or a function of the screen) holds
        count times; fails with the screen after timeout seconds."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            found = what(screen) if callable(what) else len(what.findall(screen)) >= count
            if found:
                return screen
            time.sleep(0.2)
        raise h.TestFailure("waited %ds for %s; the screen:\n%s" %
                            (timeout, getattr(what, "pattern", what), screen[-3000:]))

    def pane_pid(self):
        r = self._tmux("display-message", "-p", "-t", "t", "#{pane_pid}", check=False)
        return int(r.stdout) if r.returncode == 0 and r.stdout.strip().isdigit() else None

    def kill(self):
        self._tmux("kill-server", check=False)
        try:
            os.unlink(self.sock)
        except FileNotFoundError:
            pass


def interactive_pwsh(user, client_settings=None):
    """A tmux running an interactive pwsh with PROLOGUE's $cred and $https,
    at its local prompt."""
    env = pc.pwsh_env(user, client_settings, {"TERM": "xterm"})
    t = Tmux(env).start([pc.PWSH, "-NoProfile", "-NoLogo", "-NoExit", "-Command",
                         "'" + (QUIET_READLINE + pc.PROLOGUE).replace("'", "''") + "'"])
    try:
        t.wait_for(LOCAL_PROMPT, 60)
    except BaseException:
        t.kill()
        raise
    return t


def _lines_equal(screen, text):
    return sum(1 for line in screen.splitlines() if line.strip() == text)


def _user_pwsh(user):
    """The pwsh processes running as user: the server's, one per shell,
    and the one the user's host starts ahead for the next session."""
    return h.pids_named(user.uid, "pwsh")


def _session_pwsh(svc, user, mark):
    """The pid of the pwsh that serves user's session opened after mark, as
    the service logs it."""
    line = svc.wait_for_log(r"psrp: shell \S+ opened for %s \(pwsh (\d+)" % user.name,
                            timeout=10, since=mark)
    return int(re.search(r"\(pwsh (\d+)", line).group(1))


def _check_session_pwsh_ended(user, pid):
    """The session's pwsh ended with the session; what is left of the
    user's is at most the spare for a next session, which the host ends
    with itself (a minute after the last shell)."""
    h.check(h.wait_ended(pid, 20), "the server's pwsh %d ended with the session" % pid)
    left = _user_pwsh(user)
    h.check(len(left) <= 1, "no pwsh of the user's but the spare one is left: %s" % left)


def test_enter_pssession_through_tmux():
    svc = h.service()
    a = h.user("a")
    t = interactive_pwsh(a)
    try:
        h.eq(_user_pwsh(a), [], "no pwsh of the user's before the session")
        mark = svc.log_mark()
        t.type("Enter-PSSession -ComputerName localhost -Port %d -UseSSL -SessionOption $https "
               "-Authentication Basic -Credential $cred" % svc.listener("HTTPS").port)
        t.wait_for(REMOTE_PROMPT, 90)
        session_pwsh = _session_pwsh(svc, a, mark)
        h.check(session_pwsh in _user_pwsh(a),
                "the session's pwsh %d runs as the user: %s" % (session_pwsh, _user_pwsh(a)))

        t.type("[Environment]::UserName")
        t.wait_for(lambda s: _lines_equal(s, a.name) >= 1, 30)
        t.wait_for(REMOTE_PROMPT, 30, count=2)
        t.type("id -un")
        t.wait_for(lambda s: _lines_equal(s, a.name) >= 2, 30)
        t.wait_for(REMOTE_PROMPT, 30, count=3)
        t.type("$PWD.Path")
        screen = t.wait_for(REMOTE_PROMPT, 30, count=4)
        h.check(_lines_equal(screen, a.pw.pw_dir) >= 1,
                "the session starts in the user's home %s:\n%s" % (a.pw.pw_dir, screen[-1500:]))

        t.type("exit")
        # The local prompt is back: the last prompt on the screen is local.
        t.wait_for(lambda s: [ln for ln in s.splitlines() if ln.strip()][-1].startswith("PS "), 60)
        _check_session_pwsh_ended(a, session_pwsh)
        t.type("'local:' + [Environment]::UserName")
        t.wait_for(lambda s: _lines_equal(s, "local:root") >= 1, 30)
        h.assert_serving(svc)
    finally:
        t.kill()


def test_ctrl_c_stops_a_remote_pipeline():
    svc = h.service()
    a = h.user("a")
    t = interactive_pwsh(a)
    try:
        mark = svc.log_mark()
        t.type("Invoke-Command -ComputerName localhost -Port %d -UseSSL -SessionOption $https "
               "-Authentication Basic -Credential $cred -ScriptBlock { 'started'; Start-Sleep 60; "
               "'not reached' }" % svc.listener("HTTPS").port)
        t.wait_for(lambda s: _lines_equal(s, "started") >= 1, 60)
        time.sleep(1.0)  # Start-Sleep is running
        t0 = time.monotonic()
        t.keys("C-c")
        # The local prompt comes back, long before the 60 s sleep ends.
        t.wait_for(LOCAL_PROMPT, 20, count=2)
        h.check(time.monotonic() - t0 < 20, "Ctrl-C stopped the command promptly")
        svc.wait_for_log(r"psrp: pipeline \S+ in shell \S+ ended in state 3", timeout=10, since=mark)
        _check_session_pwsh_ended(a, _session_pwsh(svc, a, mark))
        h.eq(_lines_equal(t.screen(), "not reached"), 0, "lines the script printed after the sleep")
        # pwsh itself goes on.
        t.type("'after:' + (1 + 1)")
        t.wait_for(lambda s: _lines_equal(s, "after:2") >= 1, 30)
        h.check(time.monotonic() - t0 < 45, "all within the sleep's 60 s")
        h.assert_serving(svc)
    finally:
        t.kill()
