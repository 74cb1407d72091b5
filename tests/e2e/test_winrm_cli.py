"""The winrm command: the local configuration (Windows' defaults, changes
a running service picks up, bad input that changes nothing), Identify
against a service, and quickconfig."""
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import harness as h


def winrm(args, config_dir, env=None, input=None, timeout=60):
    argv = [h.client_path("winrm")] + list(args) + ["--config-dir", config_dir]
    r = subprocess.run(argv, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                       env=dict(os.environ, **(env or {})))
    for pat in h.SANITIZER_PATTERNS:
        h.check(pat.encode() not in r.stderr, "winrm: sanitizer report:\n%s" % r.stderr.decode(errors="replace"))
    return r


def _out(r):
    return r.stdout.decode(errors="replace")


def _err(r):
    return r.stderr.decode(errors="replace")


def test_get_shows_windows_defaults():
    d = h.client_config()
    r = winrm(["get", "winrm/config"], d)
    h.eq(r.returncode, 0, "winrm get winrm/config (%s)" % _err(r))
    lines = _out(r).splitlines()
    for want in ("Config", "    MaxEnvelopeSizekb = 500", "    MaxTimeoutms = 60000", "    Client",
                 "        AllowUnencrypted = false", "        TrustedHosts", "            Digest = true",
                 "    Service", "            Basic = false", "            Kerberos = true",
                 "            CbtHardeningLevel = Relaxed", "            HTTP = 5985", "            HTTPS = 5986",
                 "    Winrs", "        AllowRemoteShellAccess = true", "        IdleTimeout = 7200000",
                 "        MaxShellsPerUser = 30"):
        h.check(want in lines, "no line %r in:\n%s" % (want, _out(r)))


def test_set_reaches_the_running_service():
    svc = h.service()
    a = h.user("a")
    raw = h.Raw(svc, a)
    first = raw.create()
    r = winrm(["set", "winrm/config/winrs", '@{MaxShellsPerUser="1"}'], svc.conf_dir)
    h.eq(r.returncode, 0, "winrm set (%s)" % _err(r))
    h.check("MaxShellsPerUser = 1" in _out(r), "set prints the resource: %s" % _out(r))
    deadline = time.monotonic() + 10
    while True:
        resp = raw.post(h.create_env())
        if resp.status == 500 and resp.fault().code == h.CODE_QUOTA_MAX_SHELLS:
            break
        if resp.status == 200:
            raw.delete(h.shell_id_of(resp))
        h.check(time.monotonic() < deadline, "MaxShellsPerUser=1 not applied 10 s after winrm set")
        time.sleep(0.3)
    raw.delete(first)


def test_bad_input_changes_nothing():
    d = h.client_config()
    ok = winrm(["create", "winrm/config/Listener?Address=*+Transport=HTTP", '@{Port="15985"}'], d)
    h.eq(ok.returncode, 0, "create a listener (%s)" % _err(ok))
    path = os.path.join(d, "winrm.conf")
    before = open(path, "rb").read()
    cases = [
        (["set", "winrm/config/service", '@{NoSuchSetting="1"}'], "NoSuchSetting"),
        (["set", "winrm/config/service", '@{AllowUnencrypted="maybe"}'], "AllowUnencrypted"),
        (["set", "winrm/config", '@{MaxEnvelopeSizekb="lots"}'], "MaxEnvelopeSizekb"),
        (["set", "winrm/config/service", '@{AllowUnencrypted=tr ue}'], "double-quoted"),
        (["set", "winrm/config/service", '@{AllowUnencrypted="true"'], "'}'"),
        (["set", "winrm/config/service", '@{AllowUnencrypted=true'], "quote the whole argument"),
        (["create", "winrm/config/Listener?Address=*+Transport=HTTP", '@{Port="15986"}'], "exist"),
        (["delete", "winrm/config/Listener?Address=IP:10.9.9.9+Transport=HTTP"], "Listener"),
    ]
    for args, word in cases:
        r = winrm(args, d)
        h.check(r.returncode != 0, "%s succeeded" % args)
        h.check(word.lower() in _err(r).lower(), "%s: message %r lacks %r" % (args, _err(r), word))
        h.check(open(path, "rb").read() == before, "%s changed %s" % (args, path))


def test_lines_pasted_into_bash():
    """Bash strips the quotes of @{Basic="true"}: winrm takes the value as
    Windows takes the quoted one. Two settings unquoted are cut at the ';'
    by bash, and the message says to quote the whole argument."""
    d = h.client_config()
    winrm_path = h.client_path("winrm")

    def bash(line):
        return subprocess.run(["bash", "-c", line.replace("winrm ", winrm_path + " ", 1)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    r = bash('winrm --config-dir %s set winrm/config/service/auth @{Basic="true"}' % d)
    h.eq(r.returncode, 0, "the line with its quotes stripped by bash (%s)" % _err(r))
    h.check("Basic = true" in _out(winrm(["get", "winrm/config/service/auth"], d)), "Basic not set")
    r = bash('winrm --config-dir %s set winrm/config/client @{TrustedHosts="a,b"}' % d)
    h.eq(r.returncode, 0, "a list value (%s)" % _err(r))
    h.check("TrustedHosts = a,b" in _out(winrm(["get", "winrm/config/client"], d)), "TrustedHosts not set")
    # Bash runs "winrm ... @{Basic=false" (which must refuse) and then the
    # assignment "Kerberos=false}".
    r = bash('winrm --config-dir %s set winrm/config/service/auth @{Basic="false";Kerberos="false"}' % d)
    h.check("quote the whole argument" in _err(r), "the message: %s" % _err(r))
    h.check("Basic = true" in _out(winrm(["get", "winrm/config/service/auth"], d)), "a half line was applied")


def test_listener_create_enumerate_delete():
    d = h.client_config()
    r = winrm(["create", "winrm/config/Listener?Address=IP:127.0.0.1+Transport=HTTP", '@{Port="15985"}'], d)
    h.eq(r.returncode, 0, "create (%s)" % _err(r))
    h.check("ResourceCreated" in _out(r), "create prints the new resource: %s" % _out(r))
    r = winrm(["enumerate", "winrm/config/listener"], d)
    h.check("Address = IP:127.0.0.1" in _out(r) and "Port = 15985" in _out(r), "enumerate: %s" % _out(r))
    r = winrm(["delete", "winrm/config/Listener?Address=IP:127.0.0.1+Transport=HTTP"], d)
    h.eq(r.returncode, 0, "delete (%s)" % _err(r))
    h.check("15985" not in _out(winrm(["enumerate", "winrm/config/listener"], d)), "listener still there")


ISSUER = "0123456789abcdef0123456789abcdef01234567"
SHELL_PREFIX = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/*"
CERTMAPPING = "winrm/config/service/certmapping?Issuer=%s+Subject=alice@localhost+URI=%s" % (ISSUER, SHELL_PREFIX)


def test_certmapping_create_enumerate_get_set_delete():
    """winrm/config/service/certmapping as Windows' winrm manages it; the
    Password Windows wants is taken and never kept or shown."""
    d = h.client_config()
    path = os.path.join(d, "winrm.conf")
    r = winrm(["create", CERTMAPPING, '@{UserName="alice";Password="Sw0rdfish!";Enabled="true"}'], d)
    h.eq(r.returncode, 0, "create (%s)" % _err(r))
    h.check("ResourceCreated" in _out(r) and "config/service/certmapping" in _out(r), _out(r))
    r = winrm(["create", CERTMAPPING.replace("alice@", "ALICE@").replace(ISSUER, ISSUER.upper()),
               '@{UserName="alice"}'], d)
    h.check(r.returncode != 0 and "already exists" in _err(r), "created twice: %s" % _err(r))
    r = winrm(["enumerate", "winrm/config/service/certmapping"], d)
    h.eq(r.returncode, 0, "enumerate (%s)" % _err(r))
    h.eq(_out(r).splitlines(), ["CertMapping", "    URI = " + SHELL_PREFIX, "    Subject = alice@localhost",
                                "    Issuer = " + ISSUER.upper(), "    UserName = alice", "    Enabled = true",
                                "    Password"], "enumerate")
    r = winrm(["set", CERTMAPPING, '@{Enabled="false";Password="0therPass"}'], d)
    h.eq(r.returncode, 0, "set (%s)" % _err(r))
    h.check("    Enabled = false" in _out(r).splitlines(), "set shows the change: %s" % _out(r))
    r = winrm(["get", CERTMAPPING.replace(ISSUER, ISSUER.upper())], d)
    h.check(r.returncode == 0 and "    Enabled = false" in _out(r).splitlines(), "get: %s%s" % (_out(r), _err(r)))
    stored = open(path).read()
    h.check("URI=%s/UserName = alice\n" % SHELL_PREFIX in stored, "the stored line: %s" % stored)
    for secret in ("Sw0rdfish!", "0therPass"):
        h.check(secret not in stored and secret not in _out(r), "the password was kept or shown")
    h.check("Password" not in stored, "a Password line was stored")
    before = open(path, "rb").read()
    bad = "winrm/config/service/certmapping?Issuer=%s+Subject=*+URI=*" % ISSUER
    for args, word in [
        (["create", bad, '@{Password="x"}'], "needs a UserName"),
        (["create", bad.replace(ISSUER, "12"), '@{UserName="a"}'], "40 hexadecimal digits"),
        (["create", bad.replace("Subject=*", "Subject=a*b"), '@{UserName="a"}'], "first character"),
        (["create", bad.replace("URI=*", "URI=shell"), '@{UserName="a"}'], "absolute URI"),
        (["create", bad.replace("+URI=*", ""), '@{UserName="a"}'], "all its selectors"),
        (["set", CERTMAPPING, '@{UserName=""}'], "needs a UserName"),
        (["set", CERTMAPPING, '@{Subject="bob"}'], "selector"),
        (["delete", bad], "there is no certmapping"),
    ]:
        r = winrm(args, d)
        h.check(r.returncode != 0, "%s succeeded" % args)
        h.check(word.lower() in _err(r).lower(), "%s: message %r lacks %r" % (args, _err(r), word))
        h.check(open(path, "rb").read() == before, "%s changed %s" % (args, path))
    r = winrm(["delete", CERTMAPPING], d)
    h.eq(r.returncode, 0, "delete (%s)" % _err(r))
    h.eq(_out(winrm(["enumerate", "winrm/config/service/certmapping"], d)), "", "enumerate after delete")
    h.check("CertMapping" not in open(path).read(), "the mapping is gone from the file")


def test_identify_anonymous_and_authenticated():
    svc = h.service()
    a = h.user("a")
    url = svc.url()
    r = winrm(["identify", "-r:" + url, "-skipCAcheck"], h.client_config())
    h.eq(r.returncode, 0, "winrm id (%s)" % _err(r))
    lines = _out(r).splitlines()
    h.eq(lines[0], "IdentifyResponse", "first line")
    h.check("    ProtocolVersion = http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" in lines, _out(r))
    h.check("    ProductVersion = OS: 0.0.0 SP: 0.0 Stack: 3.0" in lines, "anonymous Identify hides the OS")
    r = winrm(["id", "-r:" + url, "-skipCAcheck", "-u:" + a.name, "-p:" + a.password, "-a:Basic"],
              h.client_config())
    h.eq(r.returncode, 0, "authenticated winrm id (%s)" % _err(r))
    h.check("OS: 0.0.0" not in _out(r), "authenticated Identify shows the OS version: %s" % _out(r))
    r = winrm(["id", "-r:" + url, "-skipCAcheck", "-format:xml"], h.client_config())
    h.check(_out(r).startswith("<wsmid:IdentifyResponse xmlns:wsmid="), "-format:xml: %s" % _out(r))
    # Failures say what to do.
    r = winrm(["id", "-r:" + url], h.client_config())
    h.check(r.returncode != 0 and "-skipCAcheck" in _err(r), "untrusted certificate: %s" % _err(r))


def test_quickconfig_sets_up_and_is_idempotent():
    fx = h.fixture()
    d = tempfile.mkdtemp(prefix="qc-", dir=fx.run_dir)
    os.chmod(d, 0o755)
    http_port, https_port = h.free_port(), h.free_port()
    with open(os.path.join(d, "winrm.conf"), "w") as f:
        f.write("Service/DefaultPorts/HTTP = %d\nService/DefaultPorts/HTTPS = %d\n"
                "Service/RemoteUsersGroup = %s\nService/AdminGroups = %s\n"
                % (http_port, https_port, fx.users_group, fx.admins_group))
    env = {"WINRMD": h.winrmd_path()}
    pid = None
    try:
        r = winrm(["quickconfig", "-transport:https", "-quiet"], d, env=env)
        h.eq(r.returncode, 0, "quickconfig (%s%s)" % (_out(r), _err(r)))
        out = _out(r)
        h.check("Create a WinRM listener on HTTP://*" in out and "HTTPS://*" in out, out)
        thumb = [l.split(" = ")[1] for l in out.splitlines() if l.startswith("CertificateThumbprint = ")]
        h.check(len(thumb) == 1 and len(thumb[0]) == 40, "the SHA-1 thumbprint is shown: %s" % out)
        h.check("`winrm user set NAME`" in out, "the summary says NTLM needs each account's key: %s" % out)
        pid = int(open(os.path.join(d, "winrmd.pid")).read())
        # The service answers on both new listeners.
        for url in ("http://127.0.0.1:%d/wsman" % http_port, "https://localhost:%d/wsman" % https_port):
            r = winrm(["id", "-r:" + url, "-skipCAcheck", "-skipCNcheck"], h.client_config())
            h.eq(r.returncode, 0, "identify %s (%s)" % (url, _err(r)))
        cert = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha1", "-in",
                               os.path.join(d, "quickconfig-cert.pem")], stdout=subprocess.PIPE, check=True)
        h.eq(cert.stdout.decode().strip().split("=", 1)[1].replace(":", ""), thumb[0], "thumbprint")
        key = os.stat(os.path.join(d, "quickconfig-key.pem"))
        # Root's alone: the privileged part hands it to the network process.
        h.eq((oct(key.st_mode & 0o777), key.st_uid, key.st_gid), ("0o600", 0, 0), "key file mode and owner")
        before = open(os.path.join(d, "winrm.conf"), "rb").read()
        r = winrm(["qc", "-transport:https", "-q"], d, env=env)
        h.eq(r.returncode, 0, "second quickconfig")
        h.check("already" in _out(r) and "Create" not in _out(r), "second run changes nothing: %s" % _out(r))
        h.check(open(os.path.join(d, "winrm.conf"), "rb").read() == before, "second run rewrote the file")
        h.eq(int(open(os.path.join(d, "winrmd.pid")).read()), pid, "the same service still runs")
    finally:
        if pid:
            os.kill(pid, signal.SIGTERM)
            h.check(h.wait_gone(pid, 10), "winrmd %d did not stop" % pid)


def test_quickconfig_asks_first():
    fx = h.fixture()
    d = tempfile.mkdtemp(prefix="qc-", dir=fx.run_dir)
    os.chmod(d, 0o755)
    with open(os.path.join(d, "winrm.conf"), "w") as f:
        f.write("Service/DefaultPorts/HTTP = %d\nService/RemoteUsersGroup = %s\n" % (h.free_port(), fx.users_group))
    before = open(os.path.join(d, "winrm.conf"), "rb").read()
    # No terminal: the answer comes from stdin.
    r = subprocess.run(["setsid", h.client_path("winrm"), "qc", "--config-dir", d], input=b"n\n",
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    h.check("Make these changes [y/n]?" in r.stdout.decode(), "quickconfig did not ask: %s" % r.stdout)
    h.check("No changes were made" in r.stdout.decode(), r.stdout.decode())
    h.check(open(os.path.join(d, "winrm.conf"), "rb").read() == before, "declined quickconfig changed the file")
    h.check(not os.path.exists(os.path.join(d, "winrmd.pid")), "declined quickconfig started winrmd")


def _remote(svc, u):
    return ["-r:" + svc.url(), "-u:" + u.name, "-p:" + u.password, "-a:Basic", "-skipCAcheck"]


def test_remote_get_set_create_enumerate_delete():
    svc = h.service()
    adm = h.user("adm")
    client = h.client_config()
    conf = os.path.join(svc.conf_dir, "winrm.conf")
    r = winrm(["get", "winrm/config"] + _remote(svc, adm), client)
    h.eq(r.returncode, 0, "remote get (%s)" % _err(r))
    for want in ("Config", "    MaxEnvelopeSizekb = 500", "        Auth", "            Basic = true"):
        h.check(want in _out(r).splitlines(), "no %r in:\n%s" % (want, _out(r)))
    r = winrm(["set", "winrm/config/winrs", '@{MaxShellsPerUser="7"}'] + _remote(svc, adm), client)
    h.eq(r.returncode, 0, "remote set (%s)" % _err(r))
    h.check("    MaxShellsPerUser = 7" in _out(r).splitlines(), "set shows the new value: %s" % _out(r))
    h.check("Winrs/MaxShellsPerUser = 7" in open(conf).read(), "the service's file has the change")
    before = open(conf, "rb").read()
    r = winrm(["set", "winrm/config/winrs", '@{NoSuchSetting="1"}'] + _remote(svc, adm), client)
    h.check(r.returncode != 0 and "NoSuchSetting" in _err(r), "unknown setting: %s" % _err(r))
    r = winrm(["set", "winrm/config/winrs", '@{MaxShellsPerUser="many"}'] + _remote(svc, adm), client)
    h.check(r.returncode != 0, "a bad value was accepted")
    h.check(open(conf, "rb").read() == before, "a refused set changed the file")
    port = h.free_port()
    sel = "winrm/config/Listener?Address=IP:127.0.0.1+Transport=HTTP"
    r = winrm(["create", sel, '@{Port="%d"}' % port] + _remote(svc, adm), client)
    h.eq(r.returncode, 0, "remote create (%s)" % _err(r))
    h.check("ResourceCreated" in _out(r), _out(r))
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    r = winrm(["enumerate", "winrm/config/listener"] + _remote(svc, adm), client)
    h.check("    Port = %d" % port in _out(r).splitlines(), "enumerate lists it: %s" % _out(r))
    r = winrm(["delete", sel] + _remote(svc, adm), client)
    h.eq(r.returncode, 0, "remote delete (%s)" % _err(r))
    r = winrm(["delete", sel] + _remote(svc, adm), client)
    h.check(r.returncode != 0, "deleting it twice succeeded")


def test_remote_certmapping():
    """The same certmapping commands with -r:, as administrator."""
    svc = h.service()
    adm = h.user("adm")
    client = h.client_config()
    conf = os.path.join(svc.conf_dir, "winrm.conf")
    r = winrm(["create", CERTMAPPING, '@{UserName="%s";Password="Sw0rdfish!"}' % adm.name] + _remote(svc, adm),
              client)
    h.eq(r.returncode, 0, "remote create (%s)" % _err(r))
    h.check("ResourceCreated" in _out(r), _out(r))
    h.check(("Subject=alice@localhost+URI=%s/UserName = %s\n" % (SHELL_PREFIX, adm.name)) in open(conf).read(),
            "the service's file has the mapping")
    r = winrm(["set", CERTMAPPING, '@{Enabled="false";Password="0therPass"}'] + _remote(svc, adm), client)
    h.eq(r.returncode, 0, "remote set (%s)" % _err(r))
    h.check("    Enabled = false" in _out(r).splitlines(), "set shows the change: %s" % _out(r))
    r = winrm(["enumerate", "winrm/config/service/certmapping"] + _remote(svc, adm), client)
    h.eq(r.returncode, 0, "remote enumerate (%s)" % _err(r))
    for want in ("    URI = " + SHELL_PREFIX, "    Issuer = " + ISSUER.upper(), "    UserName = " + adm.name,
                 "    Enabled = false"):
        h.check(want in _out(r).splitlines(), "no %r in:\n%s" % (want, _out(r)))
    r = winrm(["get", CERTMAPPING] + _remote(svc, adm), client)
    h.check(r.returncode == 0 and "    Subject = alice@localhost" in _out(r).splitlines(), "remote get: %s%s"
            % (_out(r), _err(r)))
    text = open(conf).read() + svc.log_text()
    for secret in ("Sw0rdfish!", "0therPass"):
        h.check(secret not in text and secret not in _out(r), "the password was kept, logged or shown")
    r = winrm(["create", CERTMAPPING.replace("Subject=alice@localhost", "Subject=*"), "@{}"] + _remote(svc, adm),
              client)
    h.check(r.returncode != 0, "a mapping without UserName was created")
    r = winrm(["delete", CERTMAPPING] + _remote(svc, adm), client)
    h.eq(r.returncode, 0, "remote delete (%s)" % _err(r))
    h.check("CertMapping" not in open(conf).read(), "the mapping is gone from the service's file")
    r = winrm(["delete", CERTMAPPING] + _remote(svc, adm), client)
    h.check(r.returncode != 0, "deleting it twice succeeded")


def test_remote_configuration_is_for_administrators():
    svc = h.service()
    r = winrm(["get", "winrm/config"] + _remote(svc, h.user("a")), h.client_config())
    h.check(r.returncode != 0 and "Access is denied" in _err(r), "a plain user read the configuration: %s%s"
            % (_out(r), _err(r)))


def test_password_prompted_without_echo():
    """-u: without -p: on a terminal: the password is asked for, not echoed."""
    import pty
    svc = h.service()
    a = h.user("a")
    client = h.client_config()
    for argv in ([h.client_path("winrs"), "--config-dir", client, "-r:" + svc.url(), "-u:" + a.name, "-a:Basic",
                  "-skipCAcheck", "echo prompted-ok"],
                 [h.client_path("winrm"), "id", "-r:" + svc.url(), "-u:" + a.name, "-a:Basic", "-skipCAcheck",
                  "--config-dir", client]):
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(argv[0], argv)
        seen, sent = b"", False
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            # Bounded in time even if the child writes nothing more.
            if not select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
                break
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if not sent and b"Password for %s: " % a.name.encode() in seen:
                os.write(fd, a.password.encode() + b"\n")
                sent = True
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        h.check(sent, "%s did not ask for the password: %r" % (argv[0], seen))
        h.check(a.password.encode() not in seen, "the password was echoed: %r" % seen)
        h.eq(os.waitstatus_to_exitcode(status), 0, "%s with a prompted password (%r)" % (os.path.basename(argv[0]), seen))
        h.check(b"prompted-ok" in seen or b"IdentifyResponse" in seen, "no output: %r" % seen)


def test_remote_create_from_file_and_invoke():
    svc = h.service()
    adm = h.user("adm")
    client = h.client_config()
    port = h.free_port()
    body = os.path.join(svc.dir, "listener.xml")
    with open(body, "w") as f:
        f.write('<p:Listener xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/config/listener">'
                '<p:Port>%d</p:Port></p:Listener>' % port)
    sel = "winrm/config/Listener?Address=IP:127.0.0.1+Transport=HTTP"
    r = winrm(["create", sel, "-file:" + body] + _remote(svc, adm), client)
    h.eq(r.returncode, 0, "create -file: (%s)" % _err(r))
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    # winrmd has no custom actions on its configuration: the fault says so.
    r = winrm(["invoke", "Restart", "winrm/config/service", "@{}"] + _remote(svc, adm), client)
    h.check(r.returncode != 0 and "ActionNotSupported" in _err(r), "invoke: %s" % _err(r))


def test_usage_refusals():
    """Bad command lines are refused with a message naming the problem."""
    client = h.client_config()
    cases = [
        ([h.client_path("winrs"), "--config-dir", client, "-nosuch", "true"], 255, "unknown switch"),
        ([h.client_path("winrs"), "--config-dir", client, "-r:localhost"], 255, "no command"),
        ([h.client_path("winrs"), "--config-dir", client, "-a:Telepathy", "true"], 255, "unknown authentication"),
        ([h.client_path("winrm"), "frobnicate", "winrm/config", "--config-dir", client], 1, "unknown operation"),
        ([h.client_path("winrm"), "id", "-format:html", "--config-dir", client], 1, "-format:"),
        ([h.client_path("winrm"), "qc", "-r:otherhost", "--config-dir", client], 1, "this machine only"),
        ([h.client_path("winrm"), "get", "wmicimv2/Win32_Service", "--config-dir", client], 1, "use -r:"),
        ([h.client_path("winrm"), "get", "nosuchalias/x", "-r:https://127.0.0.1:1/wsman", "-u:x", "-p:y",
          "-a:Basic", "--config-dir", client], 1, "unknown resource URI"),
        (["setpriv", "--reuid=" + h.user("a").name, "--regid=" + h.user("a").name, "--clear-groups",
          h.run_copy("winrm"), "quickconfig", "-q", "--config-dir", client], 1, "must run as root"),
    ]
    for argv, code, word in cases:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        h.eq(r.returncode, code, "exit code of %s (%s)" % (argv[-2:], _err(r)))
        h.check(word.lower() in _err(r).lower(), "%s: message %r lacks %r" % (argv, _err(r), word))


def test_every_program_prints_its_version():
    """--version on every program: openwinrm's release, from the one place
    that holds it (src/common/version.h)."""
    header = open(os.path.join(h.REPO, "src", "common", "version.h")).read()
    version = re.search(r'#define OPENWINRM_VERSION "([^"]+)"', header).group(1)
    for name, path in (("winrm", h.client_path("winrm")), ("winrs", h.client_path("winrs")),
                       ("winrmd", h.winrmd_path())):
        r = subprocess.run([path, "--version"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=30)
        h.eq((r.returncode, _out(r), _err(r)), (0, "%s (openwinrm) %s\n" % (name, version), ""),
             "%s --version" % name)
