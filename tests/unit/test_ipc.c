/* Unit tests for src/ipc/ipc.c: framing, the permission table, credential
 * checks and descriptor passing. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "ipc/ipc.h"
#include "check.h"

static enum err recv_wait(struct ipc_peer *p, struct ipc_msg *m)
{
	for (int i = 0; i < 200; i++) {
		enum err e = ipc_recv(p, m);
		if (e != ERR_INCOMPLETE)
			return e;
		usleep(10000);
	}
	return ERR_INCOMPLETE;
}

int main(void)
{
	int sv[2];
	struct ipc_peer net, priv;
	struct ipc_msg m;
	struct buf body;

	log_init("test", 1, 0);
	CHECK("socketpair", ipc_socketpair(sv) == 0);
	ipc_peer_init(&net, sv[0], IPC_ROLE_NET, IPC_ROLE_PRIV, getuid(), getpid());
	ipc_peer_init(&priv, sv[1], IPC_ROLE_PRIV, IPC_ROLE_NET, getuid(), getpid());

	buf_init(&body, 1024);
	buf_put_cstring(&body, "alice");
	CHECK("send permitted type",
	      ipc_send(&net, IPC_AUTH_PASSWORD, 7, &body, NULL, 0) == ERR_OK);
	CHECK("receive it", recv_wait(&priv, &m) == ERR_OK && m.type == IPC_AUTH_PASSWORD &&
				m.id == 7 && buf_len(&m.body) == 9 && m.uid == getuid() &&
				m.pid == getpid());
	ipc_msg_clear(&m);
	CHECK("nothing more to read", ipc_recv(&priv, &m) == ERR_INCOMPLETE);

	CHECK("role may not send another role's type",
	      ipc_send(&net, IPC_AUTH_RESULT, 1, &body, NULL, 0) == ERR_USAGE);
	CHECK("descriptors on a type that declares none refused",
	      ipc_send(&net, IPC_HOST_OPEN, 1, &body, &sv[0], 1) == ERR_USAGE);
	CHECK("a configuration change goes only from net to priv",
	      ipc_send(&priv, IPC_CONFIG_CHANGE, 1, &body, NULL, 0) == ERR_USAGE &&
		  ipc_send(&net, IPC_CONFIG_RESULT, 1, &body, NULL, 0) == ERR_USAGE);
	CHECK("configuration change and its result pass",
	      ipc_send(&net, IPC_CONFIG_CHANGE, 5, &body, NULL, 0) == ERR_OK &&
		  recv_wait(&priv, &m) == ERR_OK && m.type == IPC_CONFIG_CHANGE && m.id == 5);
	ipc_msg_clear(&m);
	CHECK("configuration result passes",
	      ipc_send(&priv, IPC_CONFIG_RESULT, 5, &body, NULL, 0) == ERR_OK &&
		  recv_wait(&net, &m) == ERR_OK && m.type == IPC_CONFIG_RESULT &&
		  strcmp(ipc_type_name(m.type), "CONFIG_RESULT") == 0);
	ipc_msg_clear(&m);

	int pipefd[2];
	if (pipe(pipefd) != 0)
		return 1;
	CHECK("send with a descriptor",
	      ipc_send(&priv, IPC_HOST_OPENED, 9, &body, &pipefd[0], 1) == ERR_OK);
	CHECK("receive the descriptor", recv_wait(&net, &m) == ERR_OK && m.nfds == 1);
	int got = ipc_msg_take_fd(&m);
	char ch = 0;
	CHECK("descriptor works",
	      got >= 0 && write(pipefd[1], "x", 1) == 1 && read(got, &ch, 1) == 1 && ch == 'x');
	close(got);
	ipc_msg_clear(&m);

	/* A forged message written raw: a reply type coming from the requester's role. */
	uint8_t forged[12] = {0, 0, 0, IPC_AUTH_RESULT, 0, 0, 0, 1, 0, 0, 0, 0};
	CHECK("raw send", send(sv[0], forged, sizeof(forged), 0) == (ssize_t)sizeof(forged));
	CHECK("forged reply from the wrong role rejected", recv_wait(&priv, &m) == ERR_FORMAT);

	/* The wrong sender: a child process whose pid the peer does not expect. */
	pid_t pid = fork();
	if (pid == 0) {
		ipc_send(&net, IPC_HOST_OPEN, 3, &body, NULL, 0);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	CHECK("message from an unexpected pid rejected", recv_wait(&priv, &m) == ERR_FORMAT);

	uint8_t shortmsg[3] = {1, 2, 3};
	CHECK("raw short send", send(sv[0], shortmsg, sizeof(shortmsg), 0) == 3);
	CHECK("short datagram rejected", recv_wait(&priv, &m) == ERR_FORMAT);

	/* Fill the socket: later messages queue, and flush delivers them in order. */
	struct buf big;
	buf_init(&big, IPC_MAX_MSG);
	uint8_t *space;
	buf_reserve(&big, 100000, &space);
	memset(space, 'a', 100000);
	buf_commit(&big, 100000);
	int sent = 0;
	for (int i = 0; i < 20; i++)
		sent += ipc_send(&net, IPC_HOST_OPEN, (uint32_t)i, &big, NULL, 0) == ERR_OK;
	CHECK("sends queue when the socket is full", sent == 20 && ipc_pending(&net));
	int received = 0, in_order = 1;
	for (int round = 0; round < 100 && received < 20; round++) {
		ipc_flush(&net);
		while (ipc_recv(&priv, &m) == ERR_OK) {
			in_order &= m.id == (uint32_t)received && buf_len(&m.body) == 100000;
			received++;
			ipc_msg_clear(&m);
		}
	}
	CHECK("queued messages all arrive, in order",
	      received == 20 && in_order && !ipc_pending(&net));
	buf_clear(&big);

	struct buf huge;
	buf_init(&huge, IPC_MAX_MSG * 2);
	buf_reserve(&huge, IPC_MAX_MSG, &space);
	buf_commit(&huge, IPC_MAX_MSG);
	CHECK("oversized message refused",
	      ipc_send(&net, IPC_HOST_OPEN, 1, &huge, NULL, 0) == ERR_LIMIT);
	buf_clear(&huge);

	ipc_peer_close(&priv);
	CHECK("closed peer reads as ERR_IO", recv_wait(&net, &m) == ERR_IO);
	ipc_peer_close(&net);
	buf_clear(&body);
	close(pipefd[0]);
	close(pipefd[1]);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
