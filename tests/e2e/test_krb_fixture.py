"""The Kerberos fixture (krb.py) itself: a realm with a user and a service
keytab, kinit, klist showing the TGT, kvno getting a ticket for
HTTP/localhost, and no krb5kdc left after stop()."""
import os
import secrets
import subprocess

import harness as h
import krb


def _tool(argv, env):
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=dict(os.environ, **env), timeout=30)
    h.eq(r.returncode, 0, "%s (%s)" % (" ".join(argv), r.stderr.decode(errors="replace")))
    return r.stdout.decode(errors="replace")


def test_realm_user_service_ticket():
    a = h.user("a")
    password = "K" + secrets.token_urlsafe(12)
    with krb.Realm() as realm:
        kdc = realm.proc
        h.check(realm.realm.startswith("OWT") and realm.realm.endswith(".TEST"), realm.realm)
        keytab = os.path.join(realm.dir, "http.keytab")
        spn = realm.add_service("HTTP/localhost", keytab)
        h.eq(spn, "HTTP/localhost@" + realm.realm, "the service principal")
        st = os.stat(keytab)
        h.eq((st.st_mode & 0o7777, st.st_uid), (0o600, 0), "keytab mode and owner")
        h.check(spn in _tool(["klist", "-k", keytab], realm.env()), "klist -k shows the service key")

        realm.add_user(a.name, password)
        env = realm.kinit(a.name, password, os.path.join(realm.dir, "ccache-a"), lifetime=600)
        h.eq(sorted(env), ["KRB5CCNAME", "KRB5_CONFIG"], "kinit's environment")
        out = _tool(["klist", "-f"], env)
        h.check("Default principal: %s@%s" % (a.name, realm.realm) in out, "klist principal:\n" + out)
        h.check("krbtgt/%s@%s" % (realm.realm, realm.realm) in out, "klist shows no TGT:\n" + out)
        h.check("Flags: F" in out, "the TGT is not forwardable:\n" + out)

        out = _tool(["kvno", "HTTP/localhost"], env)
        h.check(out.startswith(spn + ": kvno = "), "kvno: " + out)
        h.check(spn in _tool(["klist"], env), "the service ticket is not in the cache")

        r = subprocess.run(["kinit", "-c", "FILE:" + os.path.join(realm.dir, "ccache-bad"), a.name],
                           input=b"wrong\n", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=dict(os.environ, **realm.env()), timeout=30)
        h.check(r.returncode != 0, "kinit with a wrong password succeeded")
    h.check(kdc.poll() is not None, "krb5kdc still running after stop()")
    realm.stop()  # a second stop is harmless
