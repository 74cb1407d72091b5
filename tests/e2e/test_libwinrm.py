"""libwinrm as another program uses it: its header and libwinrm.pc, the
shared library exporting the winrm_* functions and nothing else, and
carrying only the client's half of the modules it links."""
import os
import subprocess

import harness as h

SRC = os.path.join(h.HERE, "libwinrm", "run.c")
# The daemon's half of src/config/, which a client never calls (it only
# reads the configuration): the Makefile's CLIENT_SRC leaves its files out.
# Static functions count too, also under a suffix the compiler gives a
# copy (listening_on.isra.0 in a release build).
DAEMON_ONLY = ("config_save", "config_serialize", "config_write_file", "config_put", "config_set",
               "config_print_text", "config_print_xml", "ntlm_users_set", "ntlm_users_delete",
               "ntlm_users_list", "listening_on")


def _build(tmp):
    b = h.build_dir()
    pc = os.path.join(b, "libwinrm.pc")
    h.check(os.path.exists(pc) and os.path.exists(os.path.join(b, "libwinrm.so")), "libwinrm is not built")
    # The header as installed: winrm.h alone on the include path.
    inc = os.path.join(tmp, "include")
    os.makedirs(inc, exist_ok=True)
    with open(os.path.join(h.REPO, "src", "client", "winrm.h")) as f, open(os.path.join(inc, "winrm.h"), "w") as g:
        g.write(f.read())
    exe = os.path.join(tmp, "run")
    flags = ["-fsanitize=address,undefined"] if os.path.basename(b) == "san" else []
    h._run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-I" + inc, SRC, "-o", exe, "-L" + b, "-lwinrm",
            "-Wl,-rpath," + b] + flags)
    return exe


def _defined_symbols(*nm_flags):
    """The names of the symbols libwinrm.so.0 defines, as nm lists them."""
    out = h._run(["nm", "--defined-only"] + list(nm_flags) +
                 [os.path.join(h.build_dir(), "libwinrm.so.0")]).stdout.decode()
    return [l.split()[-1] for l in out.split("\n") if l.strip()]


def test_shared_library_holds_only_the_client_half():
    # The version nodes (LIBWINRM_0, LIBWINRM_0.4, ...) are symbols too.
    exported = [n.split("@")[0] for n in _defined_symbols("-D") if not n.startswith("LIBWINRM_")]
    h.check(exported and all(n.startswith("winrm_") for n in exported),
            "libwinrm.so.0 exports more than winrm_*: %s" % [n for n in exported if not n.startswith("winrm_")])
    internal = [n.split(".")[0] for n in _defined_symbols()]
    h.check("config_parse" in internal, "libwinrm.so.0 has no symbol table to look in")
    h.eq(sorted(set(internal) & set(DAEMON_ONLY)), [], "the daemon's half of config in libwinrm.so.0")


def test_later_functions_carry_the_version_that_added_them():
    """A function added after the first release is in its release's node,
    so a program that calls it asks the loader for that release."""
    versions = dict(n.split("@@") for n in _defined_symbols("-D") if "@@" in n)
    h.eq(versions.get("winrm_session_set_certificate"), "LIBWINRM_0.4", "winrm_session_set_certificate's version")
    h.eq(versions.get("winrm_shell_signal_ahead_ex"), "LIBWINRM_0.4", "winrm_shell_signal_ahead_ex's version")
    h.eq(versions.get("winrm_target_url"), "LIBWINRM_0.5", "winrm_target_url's version")
    h.eq(versions.get("winrm_enumerate_filter"), "LIBWINRM_0.5", "winrm_enumerate_filter's version")
    h.eq(versions.get("winrm_session_set_enumeration_mode"), "LIBWINRM_0.5",
         "winrm_session_set_enumeration_mode's version")
    h.eq(versions.get("winrm_session_new"), "LIBWINRM_0", "winrm_session_new's version")


def test_pkg_config_file():
    pc = open(os.path.join(h.build_dir(), "libwinrm.pc")).read()
    h.check("Libs: -L${libdir} -lwinrm" in pc and "Cflags: -I${includedir}" in pc, pc)


def test_program_runs_a_command_through_libwinrm():
    svc = h.service()
    a = h.user("a")
    tmp = os.path.join(svc.dir, "libwinrm")
    os.makedirs(tmp)
    exe = _build(tmp)
    r = subprocess.run([exe, svc.url(), a.name, a.password, "echo from-libwinrm; exit 5", h.client_config()],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    h.eq((r.stdout, r.returncode), (b"from-libwinrm\n", 5), "output and exit code (%s)" % r.stderr.decode())
