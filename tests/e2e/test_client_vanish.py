"""A client that vanishes mid-Receive (issue 14, faults): its connection
reset while the Receive waits for output, the command goes on, and the
shell is used from a new connection, which gets everything the command
wrote meanwhile and its exit code."""
import socket
import struct
import time

import harness as h


def _receive_then_reset(svc, u, shell_id, command_id):
    """Sends a Receive on a connection of its own and resets that
    connection (RST: SO_LINGER 0) while the Receive waits."""
    c = h.connect(svc.listener())
    body = h.receive_env(shell_id, command_id, timeout="PT20S")
    c.request("POST", "/wsman", body=body if isinstance(body, bytes) else body.encode(),
              headers={"Authorization": h.basic(u), "Content-Type": "application/soap+xml;charset=UTF-8"})
    time.sleep(0.5)  # the service has the Receive and parks it: no output yet
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.sock.close()


def test_client_vanishing_mid_receive():
    svc = h.service()
    a = h.user("a")
    ra = h.Raw(svc, a)
    shell_id = ra.create()
    command_id = ra.command(shell_id, "sleep 2; for i in 1 2 3; do echo line$i; sleep 0.5; done; exit 7")
    _receive_then_reset(svc, a, shell_id, command_id)
    time.sleep(4)  # the command writes all it writes with no client connected
    out, err, code = ra.receive_all(shell_id, command_id)
    h.eq((out, err, code), (b"line1\nline2\nline3\n", b"", 7),
         "what a new connection receives of the command whose client vanished")
    h.eq(ra.command(shell_id, "true") is not None, True, "the shell takes another command")
    ra.delete(shell_id)
    h.assert_serving(svc)
