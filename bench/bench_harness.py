"""What a Python benchmark starts with: root, tests/e2e's harness driving
the optimized build (build/, not the sanitizer build the tests use), and
the harness's fixture (users, groups, certificate; removed at exit)."""
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def harness(name):
    if os.geteuid() != 0:
        raise SystemExit("%s: run as root (it creates users and a service)" % name)
    os.environ.pop("OWT_RUN_DIR", None)
    os.environ["OWT_BUILD"] = os.path.join(REPO, "build")
    sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
    import harness as h
    h.fixture()
    return h
