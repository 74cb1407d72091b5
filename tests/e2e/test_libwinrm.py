"""libwinrm as another program uses it: its header and libwinrm.pc, the
shared library exporting the winrm_* functions and nothing else."""
import os
import subprocess

import harness as h

SRC = os.path.join(h.HERE, "libwinrm", "run.c")


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


def test_shared_library_exports_only_its_api():
    syms = subprocess.run(["nm", "-D", "--defined-only", os.path.join(h.build_dir(), "libwinrm.so")],
                          stdout=subprocess.PIPE, check=True).stdout.decode().split("\n")
    names = [l.split()[-1] for l in syms if l.strip() and l.split()[-1] != "LIBWINRM_0"]
    h.check(names and all(n.split("@")[0].startswith("winrm_") for n in names),
            "libwinrm.so exports more than winrm_*: %s" % [n for n in names if not n.startswith("winrm_")])
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
