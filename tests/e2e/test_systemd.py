"""systemd's readiness protocol (the packaged unit's Type=notify): winrmd
sends READY=1 once it listens, RELOADING=1 then READY=1 around a SIGHUP
reload, STOPPING=1 on shutdown, each from its main process (the unit's
NotifyAccess=main drops any other sender's)."""
import os
import signal
import socket
import struct
import tempfile
import time

import harness as h

WAIT_SECONDS = 10


class NotifySocket:
    """The datagram socket systemd would name in $NOTIFY_SOCKET, with the
    sender's credentials on each message, as systemd reads them."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="notify-", dir=h.fixture().run_dir)
        self.path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)

    def next(self):
        """(sender pid, {name: value}) of the next message, within WAIT_SECONDS."""
        self.sock.settimeout(WAIT_SECONDS)
        try:
            data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
        except socket.timeout:
            raise h.TestFailure("no notification within %ds" % WAIT_SECONDS)
        pid = None
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", payload[:12])[0]
        fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
        return pid, fields


def test_ready_reloading_stopping_from_the_main_process():
    n = NotifySocket()
    svc = h.Service(env={"NOTIFY_SOCKET": n.path})
    svc.start()
    pid, fields = n.next()
    h.eq(fields, {"READY": "1"}, "the first notification")
    h.eq(pid, svc.proc.pid, "the sender of READY=1")
    h.assert_serving(svc)

    svc.proc.send_signal(signal.SIGHUP)
    pid, fields = n.next()
    h.eq(fields.get("RELOADING"), "1", "the notification at SIGHUP: %r" % fields)
    # Microseconds of CLOCK_MONOTONIC, as systemd's notify-reload compares.
    now_us = time.clock_gettime(time.CLOCK_MONOTONIC) * 1e6
    h.check(0 < now_us - int(fields.get("MONOTONIC_USEC", "0")) < WAIT_SECONDS * 1e6,
            "MONOTONIC_USEC %r is not a moment ago (now %d)" % (fields.get("MONOTONIC_USEC"), now_us))
    h.eq(pid, svc.proc.pid, "the sender of RELOADING=1")
    pid, fields = n.next()
    h.eq(fields, {"READY": "1"}, "the notification after the reload")
    h.eq(pid, svc.proc.pid, "the sender of READY=1 after the reload")
    h.assert_serving(svc)

    svc.stop()
    pid, fields = n.next()
    h.eq(fields, {"STOPPING": "1"}, "the notification at SIGTERM")
    h.eq(pid, svc.proc.pid, "the sender of STOPPING=1")
