"""The service log (stderr in --foreground): one line per authentication
success and failure, shell create and delete, command start and exit, with
the user, the peer address, the ShellId, the command line and the exit code.
The exact wording is the service's; these checks look for the facts."""
import re

import harness as h


def test_log_lines_for_auth_shells_and_commands():
    svc = h.service()
    a = h.user("a")
    p = h.protocol(svc, a)
    mark = svc.log_mark()
    shell_id = p.open_shell()
    command_line = "echo log-marker-7d1; exit 42"
    command_id = p.run_command(shell_id, command_line)
    out, err, code = p.get_command_output(shell_id, command_id)
    h.eq((out, code), (b"log-marker-7d1\n", 42), "the logged command ran")
    p.cleanup_command(shell_id, command_id)
    p.close_shell(shell_id)

    name, shell = re.escape(a.name), re.escape(shell_id)
    svc.wait_for_log([name, r"127\.0\.0\.1", h.SUCCESS_WORDS], since=mark)
    svc.wait_for_log([shell, r"creat|open|new|start"], since=mark)
    svc.wait_for_log([r"log-marker-7d1", name], since=mark)
    svc.wait_for_log([r"exit\D{0,40}\b42\b", r"%s|%s|log-marker-7d1" % (shell, re.escape(command_id))],
                     since=mark)
    svc.wait_for_log([shell, r"delet|clos|remov|end|destroy"], since=mark)
    # Nothing secret in the log.
    text = svc.log_text()
    h.check(a.password not in text, "the password appears in the log")
    h.check("Authorization: Basic" not in text and h.basic(a).split()[1] not in text,
            "the Authorization header appears in the log")

    mark = svc.log_mark()
    r = h.request(svc, h.create_env(), auth=(a.name, "wrong-" + a.password))
    h.eq(r.status, 401, "wrong password")
    svc.wait_for_log([name, r"127\.0\.0\.1", h.FAILURE_WORDS], since=mark)
    h.check("wrong-" + a.password not in svc.log_text(), "a tried password appears in the log")
