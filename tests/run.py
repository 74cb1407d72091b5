#!/usr/bin/python3
"""openwinrm test runner (standard library only).

    /usr/bin/python3 tests/run.py [--build build/san] [-k SUBSTRING] [-v]

1. Runs two kinds of checks, each one test that passes iff its program
   exits 0 without a crash or a sanitizer report: "format-check" (`make
   format-check`: the C files follow .clang-format), and
   "replay/fuzz_NAME" for every
   harness fuzz/fuzz_NAME.c: BUILD/replay/fuzz_NAME (the harness with
   fuzz/replay.c, no libFuzzer) feeds it each file of fuzz/corpus/NAME/,
   seeds and kept crashes alike.
2. Runs every unit-test binary BUILD/tests/test_*. Each prints TAP-like
   "ok - ..." / "not ok - ..." lines and, last, "N passed, N failed"; their
   counts are added. A binary that crashes, exits non-zero while reporting no
   failure, or prints no final line counts as 1 failed.
3. Runs every function test_* of tests/e2e/test_*.py, in file and definition
   order, each in its own process (its own session, so a hung test is killed
   with everything it started) with a hard timeout. Before the first one it
   makes the run's test accounts and certificate (tests/e2e/harness.py) and
   removes them at the end, even on failure or interruption.

-k keeps the checks, unit binaries and e2e tests whose name contains
SUBSTRING; --no-unit leaves out the checks and unit binaries; -v shows the
output of passing tests too. A skipped e2e test (harness.Skip) prints
"ok - name # SKIP reason" and counts as a skip, never as a pass: before the
last line comes "N skipped" with the skipped tests' names. The last line is
exactly "N passed, N failed" (passed excludes skips); the exit status is 0
iff no test failed.

Sanitizers: ASAN_OPTIONS keeps leak detection on (LeakSanitizer works in
this sandbox and on CI's Debian 12) with abort_on_error=1; a service log
with a sanitizer report fails the test that produced it. LSAN_OPTIONS
names tests/lsan.supp (a copy in the run directory): leaks inside Debian's
gss-ntlmssp, which says why.

Environment: OWT_KEEP=1 keeps the run directory (configurations, service
logs) in /tmp; OWT_DEBUG=1 starts winrmd with --debug; OWT_E2E_TIMEOUT
changes the per-test limit (seconds, default 180).
"""
import argparse
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
E2E_DIR = os.path.join(HERE, "e2e")
UNIT_TIMEOUT = 300
E2E_TIMEOUT = int(os.environ.get("OWT_E2E_TIMEOUT", "180"))
SKIP_STATUS = 3
PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"  # what one test came to
CURRENT = None  # the e2e child running now, killed if the runner is interrupted
FINAL_RE = re.compile(r"^\s*(\d+) passed, (\d+) failed\s*$")

# Prepended to what the environment already says (later options win).
SANITIZER_ENV = {
    "ASAN_OPTIONS": "abort_on_error=1:detect_leaks=1:disable_coredump=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:abort_on_error=1",
}


def out(line=""):
    print(line, flush=True)


def diag(text, limit=200):
    """Diagnostics as '#' lines, so nothing in them looks like a result."""
    lines = text.rstrip("\n").splitlines()
    if len(lines) > limit:
        lines = lines[:20] + ["... (%d lines cut) ..." % (len(lines) - limit)] + lines[-(limit - 20):]
    for line in lines:
        out("#   " + line)


# ---------------------------------------------------------------------------
# Checks and unit tests: programs that run to the end on their own.

SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
# LeakSanitizer's own crash while it stops the program's threads for the
# leak check at exit (GCC 12's runtime, more often on a loaded machine):
# no verdict on the program, which is run again, once.
LSAN_TRACER_CRASH = "Tracer caught signal"


def run_program(argv, env=None):
    """Runs argv from the repository's root. Returns (output, exit status,
    seconds, trouble): trouble says what went wrong whatever the program
    reported (it could not start, timed out, was killed, or a sanitizer
    spoke), else None."""
    t0 = time.monotonic()
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                           stdin=subprocess.DEVNULL, timeout=UNIT_TIMEOUT, cwd=REPO)
    except subprocess.TimeoutExpired as e:
        text = (e.stdout or b"").decode("utf-8", "replace") + "\n(killed after %ds)" % UNIT_TIMEOUT
        return text, None, time.monotonic() - t0, "timed out"
    except OSError as e:
        return "", None, time.monotonic() - t0, "cannot run %s: %s" % (argv[0], e.strerror)
    text, status, trouble = r.stdout.decode("utf-8", "replace"), r.returncode, None
    if status < 0:
        trouble = "killed by signal %d" % -status
    elif any(p in text for p in SANITIZER_REPORTS):
        trouble = "sanitizer report"
    return text, status, time.monotonic() - t0, trouble


def checks(build):
    """[(name, argv, env)] of the checks, in order."""
    # make run from make check must not look for its parent's jobserver.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    found = [("format-check", ["make", "-s", "--no-print-directory", "format-check"], env)]
    fuzz = os.path.join(REPO, "fuzz")
    for fn in sorted(os.listdir(fuzz)):
        if fn.startswith("fuzz_") and fn.endswith(".c"):
            harness = fn[:-2]
            found.append(("replay/" + harness, [os.path.join(build, "replay", harness),
                                                os.path.join(fuzz, "corpus", harness[5:])], None))
    return found


def run_check(name, argv, env, verbose):
    """Runs one check. Returns PASSED or FAILED."""
    text, status, secs, trouble = run_program(argv, env)
    if not trouble and status != 0:
        trouble = "exit status %d" % status
    if trouble:
        out("not ok - %s (%s) (%.1fs)" % (name, trouble, secs))
        diag(text, limit=80)
        return FAILED
    out("ok - %s (%.1fs)" % (name, secs))
    if verbose:
        diag(text)
    return PASSED


def unit_binaries(build):
    d = os.path.join(build, "tests")
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, n) for n in os.listdir(d)
                  if n.startswith("test_") and "." not in n
                  and os.path.isfile(os.path.join(d, n)) and os.access(os.path.join(d, n), os.X_OK))


def run_unit(path, verbose):
    """Runs one binary. Returns (passed, failed)."""
    name = "unit/" + os.path.basename(path)
    text, status, secs, trouble = run_program([path])
    if trouble and LSAN_TRACER_CRASH in text:
        out("# %s: LeakSanitizer's tracer crashed at exit; run again" % name)
        text, status, secs, trouble = run_program([path])
    lines = text.splitlines()
    final = None
    for line in reversed(lines):
        if line.strip():
            final = FINAL_RE.match(line)
            break
    passed, failed = (int(final.group(1)), int(final.group(2))) if final else (0, 0)
    if trouble is None and not final:
        trouble = "no final 'N passed, N failed' line (exit status %d)" % status
    elif trouble is None and status != 0 and failed == 0:
        trouble = "exit status %d with no failure reported" % status
    if trouble:
        failed += 1
    if failed:
        out("not ok - %s (%d passed, %d failed%s) (%.1fs)" % (name, passed, failed,
                                                            ", " + trouble if trouble else "", secs))
        shown = [l for l in lines if l.startswith("not ok")]
        diag("\n".join(shown) if shown and not trouble else text, limit=80)
    else:
        out("ok - %s (%d passed) (%.1fs)" % (name, passed, secs))
        if verbose:
            diag(text)
    return passed, failed


# ---------------------------------------------------------------------------
# End-to-end tests.

def load_module(path):
    if E2E_DIR not in sys.path:
        sys.path.insert(0, E2E_DIR)
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def e2e_tests():
    """[(module name, function name, path)] in file and definition order."""
    tests = []
    for fn in sorted(os.listdir(E2E_DIR)):
        if not (fn.startswith("test_") and fn.endswith(".py")):
            continue
        path = os.path.join(E2E_DIR, fn)
        mod = load_module(path)
        for name, obj in vars(mod).items():
            if name.startswith("test_") and callable(obj) and getattr(obj, "__module__", None) == mod.__name__:
                tests.append((mod.__name__, name, path))
    return tests


def child_main(path, func):
    """Runs one e2e test in this process (run.py --child). Exit 0 ok, 1 failed,
    SKIP_STATUS skipped (reason on the last line)."""
    import faulthandler
    import harness
    # Show where a hung test hangs, shortly before the runner kills it.
    faulthandler.dump_traceback_later(E2E_TIMEOUT - 5, exit=False)
    status = 0
    try:
        getattr(load_module(path), func)()
    except harness.Skip as e:
        print("SKIP: %s" % e, flush=True)
        status = SKIP_STATUS
    except BaseException:
        traceback.print_exc()
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    problems, reported = harness.finish()
    if problems:
        print("service problems:\n" + problems, flush=True)
        status = 1
    if status == 1:
        tails = harness.log_tails(exclude=reported)
        if tails:
            print("\n" + tails, flush=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def kill_leftovers(run_dir, first=None):
    """Kills what the services a test started left running. The process trees
    are taken before anything is killed (first(), e.g. killing the test), as
    a killed parent's children are reparented and no longer found under it.
    Returns the service log paths."""
    import harness
    path = os.path.join(run_dir, "services.txt")
    entries = []
    if os.path.exists(path):
        with open(path) as f:
            entries = [l.split(None, 2) for l in f if l.strip()]
        os.unlink(path)
    trees = []
    for pid, start, log in entries:
        pid, start = int(pid), int(start)
        alive = harness._proc_stat(pid) is not None
        trees.append((pid, start, harness.descendants(pid) if alive else [], log.strip()))
    if first:
        first()
    for pid, start, tree, _ in trees:
        harness.kill_exact(pid, start, signal.SIGKILL)
        for p, s in tree:
            harness.kill_exact(p, s, signal.SIGKILL)
    return [log for _, _, _, log in trees]


def killpg(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def tail(path, n=60):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return ""
    return "--- %s (last %d lines) ---\n%s" % (path, n, "\n".join(lines[-n:]))


def run_e2e(path, mod, func, run_dir, env, verbose):
    name = "%s.%s" % (mod, func)
    t0 = time.monotonic()
    logf = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--child", path, func],
                            stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env=env, cwd=REPO, start_new_session=True)
    global CURRENT
    CURRENT = proc
    timed_out = False
    try:
        status = proc.wait(E2E_TIMEOUT)
        leftover_logs = kill_leftovers(run_dir)
    except subprocess.TimeoutExpired:
        timed_out = True
        leftover_logs = kill_leftovers(run_dir, first=lambda: killpg(proc.pid))
        status = proc.wait()
    CURRENT = None
    secs = time.monotonic() - t0
    logf.seek(0)
    text = logf.read().decode("utf-8", "replace")
    logf.close()
    if status == 0:
        out("ok - %s (%.1fs)" % (name, secs))
        if verbose:
            diag(text)
        return PASSED
    if status == SKIP_STATUS:
        reason = text.strip().splitlines()[-1] if text.strip() else "SKIP"
        out("ok - %s # SKIP %s (%.1fs)" % (name, reason.replace("SKIP: ", "", 1), secs))
        return SKIPPED
    if timed_out:
        out("not ok - %s (timed out after %ds)" % (name, E2E_TIMEOUT))
        text += "\n" + "\n".join(tail(l) for l in leftover_logs)
    else:
        out("not ok - %s (%.1fs)" % (name, secs))
    diag(text, limit=400)
    return FAILED


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(REPO, "build", "san"))
    ap.add_argument("-k", dest="filter", default=None, help="only tests whose name contains this")
    ap.add_argument("-v", dest="verbose", action="store_true", help="show output of passing tests")
    ap.add_argument("--no-unit", action="store_true")
    ap.add_argument("--no-e2e", action="store_true")
    ap.add_argument("--child", nargs=2, metavar=("PATH", "FUNC"), help=argparse.SUPPRESS)
    args = ap.parse_args()

    build = os.path.abspath(args.build)
    if not args.child:
        for k, v in SANITIZER_ENV.items():
            os.environ[k] = ":".join(x for x in (v, os.environ.get(k)) if x)
    if not args.child:  # a child inherits its parent's OWT_BUILD
        os.environ["OWT_BUILD"] = build

    if args.child:
        sys.path.insert(0, E2E_DIR)
        child_main(*args.child)

    def on_term(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)

    tally = Tally()
    try:
        if not args.no_unit:
            for name, argv, env in checks(build):
                if not args.filter or args.filter in name:
                    tally.add_result(name, run_check(name, argv, env, args.verbose))
            bins = [b for b in unit_binaries(build)
                    if not args.filter or args.filter in os.path.basename(b)]
            if not bins and not args.filter:
                out("# no unit-test binaries in %s/tests" % build)
            for b in bins:
                tally.add(*run_unit(b, args.verbose))
        if not args.no_e2e:
            e2e_phase(build, args, tally)
    except KeyboardInterrupt:
        out("not ok - interrupted")
        tally.add(0, 1)
    except SystemExit as e:
        out("not ok - terminated (%s)" % e.code)
        tally.add(0, 1)
    out("%d skipped%s" % (len(tally.skipped), ": " + ", ".join(tally.skipped) if tally.skipped else ""))
    out("%d passed, %d failed" % (tally.passed, tally.failed))
    return 0 if tally.failed == 0 else 1


class Tally:
    """The totals so far, kept when a phase is interrupted."""

    def __init__(self):
        self.passed = self.failed = 0
        self.skipped = []  # names

    def add(self, passed, failed):
        self.passed += passed
        self.failed += failed

    def add_result(self, name, result):
        if result == SKIPPED:
            self.skipped.append(name)
        else:
            self.add(int(result == PASSED), int(result == FAILED))


def ignore_signals():
    """For the cleanup: a second SIGTERM (timeout(1) signals the whole
    process group, make passes on another) must not cut it short."""
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)


def e2e_phase(build, args, tally):
    try:
        tests = [t for t in e2e_tests() if not args.filter or args.filter in "%s.%s" % (t[0], t[1])]
    except Exception:
        out("not ok - e2e: could not load the tests")
        diag(traceback.format_exc())
        tally.add(0, 1)
        return
    if not tests:
        return
    if os.geteuid() != 0:
        out("not ok - e2e: the end-to-end tests need root (they start winrmd and make test accounts)")
        tally.add(0, 1)
        return
    winrmd = os.path.join(build, "winrmd")
    if not os.access(winrmd, os.X_OK):
        out("not ok - e2e: %s is missing (make san); %d tests not run" % (winrmd, len(tests)))
        tally.add(0, 1)
        return
    sys.path.insert(0, E2E_DIR)
    import harness
    for e in harness.remove_stale_accounts():
        out("# stale test account: " + e)
    # Under /tmp, not $TMPDIR: the service account and the test users must
    # be able to reach the configuration and the copy of winrmd in it.
    run_dir = tempfile.mkdtemp(prefix="owt-run-", dir="/tmp")
    suppressions = os.path.join(run_dir, "lsan.supp")
    shutil.copyfile(os.path.join(os.path.dirname(E2E_DIR), "lsan.supp"), suppressions)
    os.chmod(suppressions, 0o644)
    env = dict(os.environ, OWT_RUN_DIR=run_dir, PYTHONDONTWRITEBYTECODE="1",
               LSAN_OPTIONS=":".join(x for x in ("suppressions=" + suppressions,
                                                 os.environ.get("LSAN_OPTIONS")) if x))
    fx = None
    try:
        try:
            fx = harness.Fixture.create(run_dir)
        except Exception:
            out("not ok - e2e: could not create the test accounts")
            diag(traceback.format_exc())
            tally.add(0, 1)
            return
        for mod, func, path in tests:
            tally.add_result("%s.%s" % (mod, func), run_e2e(path, mod, func, run_dir, env, args.verbose))
    finally:
        ignore_signals()
        child = CURRENT
        kill_leftovers(run_dir, first=(lambda: killpg(child.pid)) if child else None)
        errors = fx.destroy() if fx else []
        for e in errors:
            out("# cleanup: " + e)
        if not os.environ.get("OWT_KEEP"):
            shutil.rmtree(run_dir, ignore_errors=True)
        else:
            out("# kept %s" % run_dir)


if __name__ == "__main__":
    sys.exit(main())
