"""Every README and man-page example runs as written in bash (issue 15).

The examples are read from the documents themselves: README.md's indented
code blocks, and the roff blocks (.EX/.EE, .nf/.fi, .RS/.RE) of each man
page. Each line must be in this file's table for its document, which says
how it is checked: RUN (bash -c LINE, as written, must exit 0 and print
what the table expects), or ELSEWHERE (why, and which test covers it). A
line the table does not know fails the test, so that the documents and
this test stay in step; so does a table entry no document has any more.

The lines name /etc/winrm, /etc/winrm-demo, the demo on 127.0.0.1:5986,
users such as alice and hosts such as `host`. They run on a "machine" of
the test's own: mount, network and UTS namespaces (unshare) over the
host's own root, with overlays on the directories the lines write
(/etc, /home, /root, /usr/local, /var/log), so that useradd, make install,
ldconfig or quickconfig change only the overlays, and listeners on 5985
and 5986 are on the namespace's loopback alone. The host's systemd, if
any, is hidden (quickconfig then starts winrmd itself). The machine's
hostname is `host`, which /etc/hosts resolves to 127.0.0.1, and
192.0.2.7 is an address of its loopback; the users the man pages name
(alice, password secret; admin, an administrator) are made there, and, for
winrs(1)'s Kerberos example, the realm EXAMPLE.COM (Machine.make_realm).
The lines run on a terminal: the test types the answers to their prompts.
"""
import fcntl
import os
import pty
import re
import select
import shutil
import subprocess
import tempfile
import termios
import time

import harness as h

OVERLAID = ("/etc", "/home", "/root", "/usr/local", "/var/log")
HOLD_SECONDS = 300  # the namespaces' longest life, past the runner's limit for a test
LINE_SECONDS = 120
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
       "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive"}
ALICE_PASSWORD = "secret"  # as winrs(1) writes it
ADMIN_PASSWORD = "Admin-example-1"
DEMO_PASSWORD = "Demo-example-1"
HOSTNAME = "host"
TEST_NET_ADDRESS = "192.0.2.7"  # winrs(1)'s Negotiate example
REALM, KERBEROS_HOSTS = "EXAMPLE.COM", ("web.example.com", "db.example.com")  # winrs(1)'s Kerberos example
KRB5_CONF = """[libdefaults]
    default_realm = EXAMPLE.COM
    dns_lookup_kdc = false
    dns_lookup_realm = false
    rdns = false
    dns_canonicalize_hostname = false
    udp_preference_limit = 1
    forwardable = true
    default_ccache_name = FILE:WORK/krb5cc_%{uid}
[realms]
    EXAMPLE.COM = {
        kdc = 127.0.0.1:88
    }
[domain_realm]
    .example.com = EXAMPLE.COM
"""
KDC_CONF = """[kdcdefaults]
    kdc_ports = 88
    kdc_tcp_ports = 88
[realms]
    EXAMPLE.COM = {
        database_name = KDC_DIR/principal
        key_stash_file = KDC_DIR/stash
        acl_file = KDC_DIR/kadm5.acl
        supported_enctypes = aes256-cts-hmac-sha1-96:normal
    }
[logging]
    kdc = FILE:KDC_DIR/kdc.log
"""
CURSOR_QUERY, CURSOR_AT_HOME = b"\x1b[6n", b"\x1b[1;1R"  # a terminal's Device Status Report


class Run:
    """A line run as written on the machine named on. expect: a regex its
    output must match; answers: {prompt: reply} typed at the terminal once
    the prompt appears (winrm's and winrs' password prompts, quickconfig's
    question)."""

    def __init__(self, on, expect=None, answers=None, substitute=None, before=()):
        self.on, self.expect, self.answers = on, expect, dict(answers or {})
        self.substitute = dict(substitute or {})  # {placeholder: what it stands for here}
        self.before = list(before)  # the test's own steps (argv) the line needs first

    def text(self, line):
        for placeholder, value in self.substitute.items():
            line = line.replace(placeholder, value)
        return line


class Elsewhere:
    """A line another part of the suite runs: path (in the tree) holds
    what (the test, or the command), checked so that the entry fails once
    that part is gone; why: why not here."""

    def __init__(self, path, what, why):
        self.path, self.what, self.why = path, what, why


# --------------------------------------------------------------------------
# Reading the examples.

def readme_lines():
    """The lines of README.md's indented code blocks (4 spaces after a
    blank line, or 6 inside a list item)."""
    with open(os.path.join(h.REPO, "README.md")) as f:
        lines = f.read().split("\n")
    found = []
    for i, line in enumerate(lines):
        m = re.match(r"^( {4}| {6})(\S.*)$", line)
        if m and (i == 0 or lines[i - 1].strip() == "" or re.match(r"^ {4,}\S", lines[i - 1])):
            found.append(m.group(2))
    return found


ROFF_ESCAPES = ((r"\(aq", "'"), (r"\(dq", '"'), (r"\-", "-"), (r"\e", "\\"), (r"\&", ""))


def man_lines(page):
    """The command lines of a man page's literal blocks, roff escapes
    decoded and continued lines (ending in a backslash) joined."""
    with open(os.path.join(h.REPO, "man", page)) as f:
        roff = f.read().split("\n")
    found, inside, pending = [], False, ""
    for line in roff:
        if line in (".EX", ".nf", ".RS"):
            inside = True
            continue
        if line in (".EE", ".fi", ".RE"):
            inside = False
            continue
        if not inside or line.startswith("."):
            continue
        for roff_form, text in ROFF_ESCAPES:
            line = line.replace(roff_form, text)
        pending += line.strip() if pending else line
        if pending.endswith("\\"):
            pending = pending[:-1]
            continue
        found.append(pending)
        pending = ""
    return found


def check_table(lines, table, document):
    h.check(lines, "no examples found in %s" % document)
    unknown = [line for line in lines if line not in table]
    h.eq(unknown, [], "%s examples this test does not know (add each to its table)" % document)
    gone = [line for line in table if line not in lines]
    h.eq(gone, [], "table entries %s no longer has" % document)
    for line, how in table.items():
        if isinstance(how, Elsewhere):
            with open(os.path.join(h.REPO, how.path)) as f:
                h.check(how.what in f.read(), "`%s` is said to be run by %s (%s), which no longer has %r"
                        % (line, how.path, how.why, how.what))


# --------------------------------------------------------------------------
# The machine.

class Machine:
    """Namespaces of its own (self.namespaces), overlays on OVERLAID."""

    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="examples-", dir="/var/tmp")
        self.namespaces = h.Namespaces(["--mount", "--net", "--uts"], HOLD_SECONDS)

    def open(self):
        for n, d in enumerate(OVERLAID):
            upper, lower_work = os.path.join(self.work, "upper%d" % n), os.path.join(self.work, "work%d" % n)
            os.mkdir(upper)
            os.mkdir(lower_work)
            self.setup(["mount", "-t", "overlay", "overlay", "-o",
                        "lowerdir=%s,upperdir=%s,workdir=%s" % (d, upper, lower_work), d])
        # What the host may hold of its own (a configuration, a demo whose
        # pid file bootstrap would signal) is not this machine's: removed
        # from the overlay alone.
        self.setup(["rm", "-rf", "/etc/winrm", "/etc/winrm-demo"])
        if os.path.isdir("/run/systemd"):
            self.setup(["mount", "-t", "tmpfs", "tmpfs", "/run/systemd"])
        self.setup(["ip", "link", "set", "lo", "up"])
        self.setup(["ip", "addr", "add", TEST_NET_ADDRESS + "/32", "dev", "lo"])
        self.setup(["hostname", HOSTNAME])
        self.setup(["sh", "-c", "echo '127.0.0.1 %s' >>/etc/hosts" % HOSTNAME])

    def argv(self, argv):
        return self.namespaces.nsenter(["mnt", "net", "uts"]) + ["--wd=" + h.REPO] + argv

    def setup(self, argv, stdin=None):
        """A step of the test's own (not a documented line)."""
        r = subprocess.run(self.argv(argv), input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=LINE_SECONDS, env=ENV, cwd=h.REPO)
        text = r.stdout.decode(errors="replace")
        h.eq(r.returncode, 0, "%s:\n%s" % (" ".join(argv), text))
        return text

    def install_programs(self):
        """winrm, winrs and winrmd of the build under test on PATH, as
        `make install` or the packages put them there (quickconfig starts
        the winrmd beside its winrm)."""
        for name in ("winrm", "winrs", "winrmd"):
            self.setup(["install", "-m", "0755", os.path.join(h.build_dir(), name), "/usr/local/bin/" + name])
        # Its configuration directory, as the package and scripts/bootstrap make it.
        self.setup(["install", "-d", "-m", "0755", "/etc/winrm"])

    def make_realm(self):
        """The realm winrs(1) names, EXAMPLE.COM, as a reader's machine
        would be in it: a KDC on this machine's loopback (its database in
        self.work), alice@EXAMPLE.COM with alice's password, the keys of
        HTTP/web.example.com and HTTP/db.example.com in the system keytab,
        both names this machine's and the service's."""
        kdc_dir = os.path.join(self.work, "kdc")
        os.mkdir(kdc_dir, 0o700)
        self.setup(["tee", "/etc/krb5.conf"], stdin=KRB5_CONF.replace("WORK", self.work).encode())
        self.setup(["sh", "-c", "mkdir -p /etc/krb5kdc && cat >/etc/krb5kdc/kdc.conf"],
                   stdin=KDC_CONF.replace("KDC_DIR", kdc_dir).encode())
        self.setup(["kdb5_util", "create", "-r", REALM, "-s", "-P", "Master-example-1"])
        self.setup(["kadmin.local", "-q", "addprinc -pw %s alice" % ALICE_PASSWORD])
        for host in KERBEROS_HOSTS:
            self.setup(["kadmin.local", "-q", "addprinc -randkey HTTP/" + host])
            self.setup(["kadmin.local", "-q", "ktadd -k /etc/krb5.keytab HTTP/" + host])
        self.setup(["krb5kdc"])
        self.setup(["sh", "-c", "echo '127.0.0.1 %s' >>/etc/hosts" % " ".join(KERBEROS_HOSTS)])
        self.setup(["winrm", "set", "winrm/config/service/auth",
                    '@{ServicePrincipalNames="%s"}' % ",".join("HTTP/" + host for host in KERBEROS_HOSTS)])

    def add_user(self, name, password, groups):
        """A fresh account (the host's of that name, if any, removed from
        the machine's /etc first)."""
        if subprocess.run(self.argv(["getent", "passwd", name]), stdout=subprocess.DEVNULL).returncode == 0:
            self.setup(["userdel", "--force", name])  # its processes, if any, are the host's
        self.setup(["useradd", "--create-home", "--shell", "/bin/bash", "--groups", groups, name])
        self.setup(["chpasswd"], stdin=("%s:%s\n" % (name, password)).encode())

    def line(self, text, how):
        """bash -c text in the machine, on a terminal of its own (the
        password prompts read /dev/tty); its exit status must be 0 and its
        output match how.expect."""
        master, slave = pty.openpty()

        def controlling_terminal():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        proc = subprocess.Popen(self.argv(["bash", "-c", text]), stdin=slave, stdout=slave, stderr=slave,
                                env=ENV, cwd=h.REPO, preexec_fn=controlling_terminal)
        os.close(slave)
        output, waiting, answered_queries = b"", dict(how.answers), 0
        deadline = time.monotonic() + LINE_SECONDS
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([master], [], [], 0.2)
                if not ready:
                    continue
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: every process left the terminal
                    break
                if not chunk:
                    break
                output += chunk
                # The terminal's part: where the cursor is, when pwsh asks
                # (its console waits for the answer before it reads a key).
                for _ in range(output.count(CURSOR_QUERY) - answered_queries):
                    os.write(master, CURSOR_AT_HOME)
                answered_queries = output.count(CURSOR_QUERY)
                for prompt in [p for p in waiting if p.encode() in output]:
                    os.write(master, waiting.pop(prompt).encode() + b"\r")
            status = proc.wait(max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            status = "killed after %ds" % LINE_SECONDS
        finally:
            os.close(master)
        # The cursor queries are not output.
        text_out = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output.decode(errors="replace").replace("\r\n", "\n"))
        h.eq(status, 0, "`%s` in bash; it printed:\n%s" % (text, text_out[-4000:]))
        if how.expect:
            h.check(re.search(how.expect, text_out, re.M), "`%s` printed (expected /%s/):\n%s"
                    % (text, how.expect, text_out[-4000:]))
        return text_out

    def close(self):
        """Kills every process in the namespaces (the winrmd instances the
        lines started daemonized), then the holder, which ends them and
        their mounts; then the overlays' upper directories."""
        self.namespaces.close()
        shutil.rmtree(self.work, ignore_errors=True)


def run_lines(lines, table, prepare):
    """Runs the table's RUN lines in the document's order, on a machine
    per name (prepare(name, machine) sets it up first)."""
    names = []
    for how in table.values():
        if isinstance(how, Run) and how.on not in names:
            names.append(how.on)
    for name in names:
        machine = Machine()
        try:
            machine.open()
            prepare(name, machine)
            for line in lines:
                how = table[line]
                if isinstance(how, Run) and how.on == name:
                    for argv in how.before:
                        machine.setup(argv)
                    machine.line(how.text(line), how)
        finally:
            machine.close()


# --------------------------------------------------------------------------
# The documents' tables.

YES = {"[y/n]?": "y"}  # quickconfig's question
ALICE_PROMPT = {"Password for alice": ALICE_PASSWORD}
QUICKCONFIG_QUIET = ["winrm", "quickconfig", "-transport:https", "-quiet"]
# The self-signed certificate quickconfig made for this machine (named
# `host`), trusted as an administrator would trust it on a client.
TRUST_QUICKCONFIG_CERT = ["sh", "-c", "cp /etc/winrm/quickconfig-cert.pem /usr/local/share/ca-certificates/host.crt && "
                                      "update-ca-certificates >/dev/null"]
PACKAGE_TEST = "tests/e2e/test_package.py"
TREE = "/path/to/openwinrm"  # the README's placeholder for this tree
DEMO_WINRS = (TREE + '/build/winrs -r:https://127.0.0.1:5986 -u:winrm-demo '
              '-p:"$(cat /etc/winrm-demo/demo-password)" -a:Basic -skipCAcheck \'id; uname -a\'')
DEMO_PYWINRM = ('/usr/bin/python3 -c "import winrm; r = winrm.Session(\'https://127.0.0.1:5986/wsman\', '
                'auth=(\'winrm-demo\', open(\'/etc/winrm-demo/demo-password\').read().strip()), '
                'transport=\'basic\', server_cert_validation=\'ignore\').run_cmd(\'id\'); '
                'print(r.std_out.decode(), end=\'\')"')
DEMO_PWSH = ('LD_LIBRARY_PATH=$PWD/build pwsh -NoProfile -c \'$c = [pscredential]::new("winrm-demo", '
             '(ConvertTo-SecureString (Get-Content /etc/winrm-demo/demo-password) -AsPlainText -Force)); '
             'Invoke-Command -ComputerName 127.0.0.1 -Port 5986 -UseSSL -Authentication Basic -Credential $c '
             '-SessionOption (New-PSSessionOption -SkipCACheck -SkipCNCheck) '
             '-ScriptBlock { [Environment]::UserName; $PSVersionTable.PSVersion.ToString() }\'')
LISTENER_HTTPS = ("'winrm/config/Listener?Address=*+Transport=HTTPS' "
                  "'@{Port=\"5986\";CertificateFile=\"cert.pem\";KeyFile=\"key.pem\"}'")

# Machines: "demo" (bootstrap demo, then the lines against it), "tree"
# (a development tree set up), "config" (a configuration directory edited).
README_TABLE = {
    # It prints the README's winrs line (the tree for the placeholder), then runs it.
    "./scripts/bootstrap demo": Run(
        "demo", expect=r"^%s\s*$[\s\S]*uid=\d+\(winrm-demo\)" % re.escape(DEMO_WINRS.replace(TREE, h.REPO))),
    "./scripts/bootstrap test": Elsewhere(
        "scripts/bootstrap", 'make -j"$(nproc)" check', "the whole suite, this test included: what CI runs"),
    DEMO_WINRS: Run("demo", expect=r"uid=\d+\(winrm-demo\)", substitute={TREE: h.REPO}),
    DEMO_PYWINRM: Run("demo", expect=r"uid=\d+\(winrm-demo\)"),
    "apt-get install -y dpkg-dev debhelper && apt-get build-dep -y ./": Elsewhere(
        "scripts/bootstrap", "debhelper", "it needs the network: scripts/bootstrap installs the build "
        "dependencies, with which test_package.py builds the packages"),
    "dpkg-buildpackage -b -uc -us": Elsewhere(
        "scripts/build-packages", "dpkg-buildpackage -b -uc -us",
        "test_package.py builds the packages so, in a copy of the tree (here it would clean the tree's build)"),
    "cd .. && apt install -y ./openwinrm_*.deb ./openwinrm-clients_*.deb": Elsewhere(
        PACKAGE_TEST, "def test_install_quickconfig_serve_upgrade_purge",
        "apt installs the built packages in a fresh Debian 12 root"),
    "winrm quickconfig -transport:https": Elsewhere(
        PACKAGE_TEST, '"quickconfig", "-transport:https"',
        "the packages' quickconfig in that root (with -quiet), then its winrmd serves pywinrm"),
    "./scripts/bootstrap build && build/winrm quickconfig -transport:https": Run(
        "tree", answers=YES, expect=r"WinRM has been updated for remote management"),
    "LD_LIBRARY_PATH=$PWD/build pwsh -c 'Invoke-Command -ComputerName host -UseSSL -Authentication Basic "
    "-Credential (Get-Credential) -SessionOption (New-PSSessionOption -SkipCACheck -SkipCNCheck) "
    "-ScriptBlock { hostname }'": Run(
        "demo", answers={"User: ": "winrm-demo", "Password for user winrm-demo: ": DEMO_PASSWORD},
        expect=r"^%s\s*$" % HOSTNAME),
    "winrm --config-dir /etc/winrm set winrm/config/service/auth '@{Basic=\"true\"}'": Run("config"),
    "winrm --config-dir /etc/winrm create " + LISTENER_HTTPS: Run("config"),
    "winrm --config-dir /etc/winrm set winrm/config/service/auth '@{CredSSP=\"true\"}'": Run("config"),
    "winrm set winrm/config/client/auth '@{CredSSP=\"true\"}'": Run("config"),
    "winrm set winrm/config/client '@{AllowFreshCredentials=\"WSMAN/*\";AllowFreshCredentialsWhenNTLMOnly="
    "\"WSMAN/*\"}'": Run("config"),
    DEMO_PWSH: Run("demo", expect=r"^winrm-demo\s*\n7\.\d+\.\d+"),
    "make && make install && pwsh -NoProfile -File /usr/local/bin/psrpclient-check": Run(
        "demo", expect=r"^library: /usr/local/lib/libpsrpclient\.so .*\n.*\n.*Enter-PSSession .* can use it"),
    "winrm create winrm/config/plugin?Name=DnsOps '@{AllowedGroups=\"dnsops\";RunAsUser=\"dnsbot\";"
    "ConfigFilePath=\"/etc/winrm/DnsOps.pssc\"}'": Run("config"),
}


def readme_machine(name, machine):
    """"config" has the programs installed (its lines name `winrm`); the
    others run what their lines build; "demo" has a password the test
    knows."""
    if name == "config":
        machine.install_programs()
    if name == "demo":
        # The demo's password, which bootstrap keeps: Get-Credential's answer.
        machine.setup(["sh", "-c", "install -d -m 0755 /etc/winrm-demo && umask 077 && "
                                   "printf %%s '%s' >/etc/winrm-demo/demo-password" % DEMO_PASSWORD])


def test_readme_examples():
    lines = readme_lines()
    check_table(lines, README_TABLE, "README.md")
    run_lines(lines, README_TABLE, readme_machine)


def man_machine(name, machine):
    """alice and admin on every machine; "quickconfig": Basic on (the
    examples use it) and alice's NTLM password, for the quickconfig line to
    set the service up; "remote": the same, set up, with quickconfig's
    certificate trusted; "realm": "remote" in the realm EXAMPLE.COM."""
    machine.install_programs()
    machine.add_user("alice", ALICE_PASSWORD, "winrm-users")
    machine.add_user("admin", ADMIN_PASSWORD, "sudo")
    if name == "local":
        # winrm(1) deletes an HTTP listener: the directory has one.
        machine.setup(["winrm", "create", "winrm/config/Listener?Address=*+Transport=HTTP", '@{Port="5985"}'])
    if name in ("quickconfig", "remote"):
        machine.setup(["winrm", "set", "winrm/config/service/auth", '@{Basic="true"}'])
        machine.setup(["winrm", "user", "set", "alice", "-p:" + ALICE_PASSWORD])
    if name == "realm":
        machine.make_realm()
    if name in ("remote", "realm"):
        machine.setup(QUICKCONFIG_QUIET)
        machine.setup(TRUST_QUICKCONFIG_CERT)


# Machines: "local" (winrm on the configuration directory alone),
# "quickconfig" (the service it sets up; see man_machine).
WINRM_TABLE = {
    "winrm set winrm/config/service/auth @{Basic=\"true\"}": Run("local"),
    "winrm set winrm/config/service/auth '@{Basic=\"true\";Kerberos=\"true\"}'": Run("local"),
    "winrm get winrm/config": Run("local", expect=r"Basic = true"),
    "winrm get winrm/config/service/auth": Run("local", expect=r"Kerberos = true"),
    "winrm set winrm/config/service '@{AllowUnencrypted=\"true\";IPv4Filter=\"10.0.0.0-10.0.255.255\"}'":
        Run("local"),
    "winrm create " + LISTENER_HTTPS: Run("local"),
    "winrm enumerate winrm/config/listener": Run("local", expect=r"Transport = HTTPS"),
    "winrm create 'winrm/config/service/certmapping?Issuer=5600A015CA5E8A26F638B74E819AE92096DA5C8C"
    "+Subject=alice@localhost+URI=*' '@{UserName=\"alice\";Enabled=\"true\"}'": Run("local"),
    "winrm delete 'winrm/config/Listener?Address=*+Transport=HTTP'": Run("local"),
    "winrm quickconfig -transport:https": Run("quickconfig", answers=YES,
                                              expect=r"WinRM has been updated for remote management"),
    "winrm user set alice": Run("local", answers=ALICE_PROMPT),
    "winrm set winrm/config/service/auth '@{Keytab=\"/etc/winrm/http.keytab\";"
    "ServicePrincipalNames=\"HTTP/winrm.example.com\"}'": Run("local"),
    "winrm identify -r:https://host:5986 -skipCAcheck": Run("quickconfig", expect=r"ProductVendor"),
    "winrm get winrm/config -r:https://host:5986 -u:admin -a:Basic": Run(
        "quickconfig", answers={"Password for admin": ADMIN_PASSWORD}, expect=r"Basic = true",
        before=[TRUST_QUICKCONFIG_CERT]),
    "winrm set 'wmicimv2/Win32_UserAccount?Domain=HOST+Name=alice' '@{FullName=\"Alice Liddell\"}' "
    "-r:https://host:5986 -u:admin -a:Basic": Run(
        "quickconfig", answers={"Password for admin": ADMIN_PASSWORD}, expect=r"FullName = Alice Liddell",
        before=[TRUST_QUICKCONFIG_CERT]),
}


def test_winrm_1_examples():
    lines = man_lines("winrm.1")
    check_table(lines, WINRM_TABLE, "man/winrm.1")
    run_lines(lines, WINRM_TABLE, man_machine)


WINRS_TABLE = {
    "winrm set winrm/config/client/auth '@{CredSSP=\"true\"}'": Run("remote"),
    "winrm set winrm/config/client '@{AllowFreshCredentials=\"WSMAN/host\"}'": Run("remote"),
    "winrm set winrm/config/client @{TrustedHosts=\"host1,*.example.org\"}": Run("remote"),
    "winrs -r:https://host:5986 -u:alice -a:Basic hostname": Run(
        "remote", answers=ALICE_PROMPT, expect=r"^%s\s*$" % HOSTNAME),
    "printf abc | winrs -r:host -usessl -u:alice -p:secret -a:Basic cat": Run("remote", expect=r"^abc"),
    "winrs -r:https://127.0.0.1:5986 -u:alice -p:secret -a:Basic -skipCAcheck -skipCNcheck "
    "'for i in 1 2 3; do echo $i; sleep 1; done'": Run("remote", expect=r"^1\s*\n2\s*\n3\s*$"),
    "kinit alice@EXAMPLE.COM": Run("realm", answers=ALICE_PROMPT),
    "winrs -r:web.example.com -a:Kerberos -ad 'klist; winrs -r:db.example.com hostname'": Run(
        "realm", expect=r"krbtgt/EXAMPLE\.COM@EXAMPLE\.COM[\s\S]*^%s\s*$" % HOSTNAME),
    "winrs -r:http://192.0.2.7:5985/wsman -u:alice -a:Negotiate hostname": Run(
        "remote", answers=ALICE_PROMPT, expect=r"^%s\s*$" % HOSTNAME,
        before=[["winrm", "set", "winrm/config/client", '@{TrustedHosts="%s"}' % TEST_NET_ADDRESS]]),
}


def test_winrs_1_examples():
    lines = man_lines("winrs.1")
    check_table(lines, WINRS_TABLE, "man/winrs.1")
    run_lines(lines, WINRS_TABLE, man_machine)


WINRMD_TABLE = {
    "winrmd -n": Run("remote", expect=r"configuration OK"),
    "winrmd --check": Run("remote"),
    "kill -HUP \"$(cat /etc/winrm/winrmd.pid)\"": Run("remote"),
}


def test_winrmd_8_examples():
    lines = man_lines("winrmd.8")
    check_table(lines, WINRMD_TABLE, "man/winrmd.8")
    run_lines(lines, WINRMD_TABLE, man_machine)
