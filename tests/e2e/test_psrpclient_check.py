"""scripts/psrpclient-check, run by the real pwsh: it finds the library
where PowerShell finds it, says which file it is and that the 21
functions PowerShell calls are there; a libpsrpclient.so that is not a
WSMan client library is named with what it lacks, and both failures say
how to install ours."""
import os
import shutil
import subprocess

import harness as h

PWSH = os.environ.get("OWT_PWSH", "/opt/pwsh/pwsh")
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "psrpclient-check")


def _release(name):
    b = h.build_dir()
    path = os.path.join(b if os.path.basename(b) != "san" else os.path.dirname(b), name)
    h.check(os.path.exists(path), "%s is missing: build with `make`" % path)
    return path


def _check(lib_dir):
    env = dict(os.environ, HOME=h.fixture().run_dir, POWERSHELL_TELEMETRY_OPTOUT="1",
               POWERSHELL_UPDATECHECK="Off", LD_LIBRARY_PATH=lib_dir)
    return subprocess.run([PWSH, "-NoProfile", "-NonInteractive", "-File", SCRIPT], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env, timeout=120, universal_newlines=True)


def _dir_with(src, tag):
    d = os.path.join(h.fixture().run_dir, "psrpclient-check-" + tag)
    os.makedirs(d, exist_ok=True)
    shutil.copy(src, os.path.join(d, "libpsrpclient.so"))
    return d


def test_ours_is_found_and_complete():
    d = _dir_with(_release("libpsrpclient.so"), "ours")
    r = _check(d)
    h.eq(r.returncode, 0, "psrpclient-check: %s%s" % (r.stdout, r.stderr))
    h.check("library: %s/libpsrpclient.so" % d in r.stdout, r.stdout)
    h.check("exports: 21 of 21" in r.stdout, r.stdout)


def test_a_library_that_is_not_one_is_named():
    d = _dir_with(_release("libwinrm.so.0"), "other")
    r = _check(d)
    h.eq(r.returncode, 1, "psrpclient-check: %s%s" % (r.stdout, r.stderr))
    h.check("library: %s/libpsrpclient.so" % d in r.stdout and "exports: 0 of 21" in r.stdout
            and "missing: WSManInitialize, " in r.stdout, r.stdout)
    h.check("is not a WSMan client library PowerShell can use" in r.stdout, r.stdout)
