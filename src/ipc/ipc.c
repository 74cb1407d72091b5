/* ipc: framing, permissions and credential checks for every channel
 * between winrmd's processes. */
#include "ipc/ipc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/log.h"

/* Who may send what, and which request a reply answers. A type missing
 * here, or arriving from another role, or with descriptors it does not
 * declare, closes the channel: OMI's privilege escalations came from an
 * internal socket that took forged replies. */
static const struct {
	const char *name;
	enum ipc_role from;
	enum ipc_role to;
	int max_fds;
	uint32_t answers; /* a reply: the request type it answers */
} ipc_rules[IPC_TYPE_COUNT] = {
    [IPC_AUTH_PASSWORD] = {"AUTH_PASSWORD", IPC_ROLE_NET, IPC_ROLE_PRIV, 0, IPC_NONE},
    [IPC_HOST_OPEN] = {"HOST_OPEN", IPC_ROLE_NET, IPC_ROLE_PRIV, 0, IPC_NONE},
    [IPC_AUTH_GSS] = {"AUTH_GSS", IPC_ROLE_NET, IPC_ROLE_PRIV, 0, IPC_NONE},
    [IPC_TOKEN_RENEW] = {"TOKEN_RENEW", IPC_ROLE_NET, IPC_ROLE_PRIV, 0, IPC_NONE},
    [IPC_CONFIG_CHANGE] = {"CONFIG_CHANGE", IPC_ROLE_NET, IPC_ROLE_PRIV, 0, IPC_NONE},
    [IPC_AUTH_RESULT] = {"AUTH_RESULT", IPC_ROLE_PRIV, IPC_ROLE_NET, 0, IPC_AUTH_PASSWORD},
    [IPC_HOST_OPENED] = {"HOST_OPENED", IPC_ROLE_PRIV, IPC_ROLE_NET, 1, IPC_HOST_OPEN},
    [IPC_HOST_FAILED] = {"HOST_FAILED", IPC_ROLE_PRIV, IPC_ROLE_NET, 0, IPC_HOST_OPEN},
    [IPC_AUTH_GSS_RESULT] = {"AUTH_GSS_RESULT", IPC_ROLE_PRIV, IPC_ROLE_NET, 0, IPC_AUTH_GSS},
    [IPC_TOKEN_RENEWED] = {"TOKEN_RENEWED", IPC_ROLE_PRIV, IPC_ROLE_NET, 0, IPC_TOKEN_RENEW},
    [IPC_CONFIG_RESULT] = {"CONFIG_RESULT", IPC_ROLE_PRIV, IPC_ROLE_NET, 0, IPC_CONFIG_CHANGE},
    [IPC_CONFIG] = {"CONFIG", IPC_ROLE_PRIV, IPC_ROLE_NET, IPC_MAX_FDS, IPC_NONE},
    [IPC_HOST_SETTINGS] = {"HOST_SETTINGS", IPC_ROLE_NET, IPC_ROLE_HOST, 0, IPC_NONE},
    [IPC_SHELL_REQUEST] = {"SHELL_REQUEST", IPC_ROLE_NET, IPC_ROLE_HOST, 0, IPC_NONE},
    [IPC_SHELL_REPLY] = {"SHELL_REPLY", IPC_ROLE_HOST, IPC_ROLE_NET, 0, IPC_SHELL_REQUEST},
    [IPC_SHELLS_LEFT] = {"SHELLS_LEFT", IPC_ROLE_HOST, IPC_ROLE_NET, 0, IPC_NONE},
    [IPC_AUTH_CERT] = {"AUTH_CERT", IPC_ROLE_NET, IPC_ROLE_PRIV, 0, IPC_NONE},
    [IPC_AUTH_CERT_RESULT] = {"AUTH_CERT_RESULT", IPC_ROLE_PRIV, IPC_ROLE_NET, 0, IPC_AUTH_CERT},
    [IPC_AUTH_CREDSSP] = {"AUTH_CREDSSP", IPC_ROLE_NET, IPC_ROLE_PRIV, 0, IPC_NONE},
    [IPC_AUTH_CREDSSP_RESULT] = {"AUTH_CREDSSP_RESULT", IPC_ROLE_PRIV, IPC_ROLE_NET, 0,
				 IPC_AUTH_CREDSSP},
    [IPC_SHELL_CANCEL] = {"SHELL_CANCEL", IPC_ROLE_NET, IPC_ROLE_HOST, 0, IPC_NONE},
    [IPC_ACCEPT] = {"ACCEPT", IPC_ROLE_PRIV, IPC_ROLE_ACCEPTOR, 0, IPC_NONE},
    [IPC_ACCEPTED] = {"ACCEPTED", IPC_ROLE_ACCEPTOR, IPC_ROLE_PRIV, 0, IPC_ACCEPT},
    [IPC_AUDIT] = {"AUDIT", IPC_ROLE_NET, IPC_ROLE_PRIV, 0, IPC_NONE},
    [IPC_CIM_INVOKE] = {"CIM_INVOKE", IPC_ROLE_NET, IPC_ROLE_PRIV, 0, IPC_NONE},
    [IPC_CIM_INVOKED] = {"CIM_INVOKED", IPC_ROLE_PRIV, IPC_ROLE_NET, 0, IPC_CIM_INVOKE},
};

struct ipc_queued {
	struct ipc_queued *next;
	size_t len;
	int nfds;
	int fds[IPC_MAX_FDS];
	uint8_t data[];
};

const char *ipc_type_name(uint32_t type)
{
	if (type == 0 || type >= IPC_TYPE_COUNT || !ipc_rules[type].name)
		return "UNKNOWN";
	return ipc_rules[type].name;
}

uint32_t ipc_answers(uint32_t type)
{
	return type < IPC_TYPE_COUNT ? ipc_rules[type].answers : IPC_NONE;
}

static int ipc_allowed(uint32_t type, enum ipc_role from, enum ipc_role to, int nfds)
{
	return type > 0 && type < IPC_TYPE_COUNT && ipc_rules[type].name &&
	       ipc_rules[type].from == from && ipc_rules[type].to == to &&
	       nfds <= ipc_rules[type].max_fds;
}

int ipc_socketpair(int sv[2])
{
	int one = 1;
	/* Large enough for the biggest datagram, which must fit the send buffer whole. */
	int bufsize = 2 * IPC_MAX_MSG;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		if (setsockopt(sv[i], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
		    setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize)) < 0 ||
		    setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize)) < 0) {
			int saved = errno;
			close(sv[0]);
			close(sv[1]);
			errno = saved;
			return -1;
		}
	}
	return 0;
}

void ipc_peer_init(struct ipc_peer *p, int fd, enum ipc_role self, enum ipc_role peer,
		   uid_t peer_uid, pid_t peer_pid)
{
	int one = 1;

	memset(p, 0, sizeof(*p));
	p->fd = fd;
	p->self = self;
	p->peer = peer;
	p->peer_uid = peer_uid;
	p->peer_pid = peer_pid;
	/* An inherited end may not have it yet; credentials are checked on every message. */
	(void)setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void ipc_peer_init_detached(struct ipc_peer *p, enum ipc_role self, enum ipc_role peer)
{
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->self = self;
	p->peer = peer;
}

void ipc_peer_attach(struct ipc_peer *p, int fd, uid_t peer_uid, pid_t peer_pid)
{
	struct ipc_queued *head = p->head, *tail = p->tail;
	size_t queued = p->queued_bytes;

	ipc_peer_init(p, fd, p->self, p->peer, peer_uid, peer_pid);
	p->head = head;
	p->tail = tail;
	p->queued_bytes = queued;
}

/* A datagram may carry a password (Basic's, CredSSP's delegated one) or
 * a token: wiped before its memory goes back. */
static void ipc_queued_free(struct ipc_queued *q)
{
	for (int i = 0; i < q->nfds; i++)
		close(q->fds[i]);
	OPENSSL_cleanse(q->data, q->len);
	free(q);
}

void ipc_peer_close(struct ipc_peer *p)
{
	struct ipc_queued *q = p->head, *next;

	for (; q; q = next) {
		next = q->next;
		ipc_queued_free(q);
	}
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->closed = 1;
	p->head = p->tail = NULL;
	p->queued_bytes = 0;
}

/* One sendmsg of a whole datagram: 1 sent, 0 would block, -1 peer gone. */
static int ipc_sendmsg(int fd, const uint8_t *data, size_t len, const int *fds, int nfds)
{
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * IPC_MAX_FDS)];
	} control;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (nfds > 0) {
		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	for (;;) {
		ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0)
			return (size_t)n == len ? 1 : -1; /* a datagram goes whole or not at all */
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
			return 0;
		return -1;
	}
}

enum err ipc_send(struct ipc_peer *p, uint32_t type, uint32_t id, const struct buf *body,
		  const int *fds, int nfds)
{
	size_t blen = body ? buf_len(body) : 0;
	size_t len = IPC_HEADER_LEN + blen;

	if (p->closed)
		return ERR_IO;
	if (nfds < 0 || nfds > IPC_MAX_FDS || !ipc_allowed(type, p->self, p->peer, nfds)) {
		log_warnx("ipc: refusing to send %s", ipc_type_name(type));
		return ERR_USAGE;
	}
	if (len > IPC_MAX_MSG)
		return ERR_LIMIT;
	if (p->queued_bytes + len > IPC_MAX_QUEUE)
		return ERR_LIMIT;

	struct ipc_queued *q = malloc(sizeof(*q) + len);
	struct buf head;
	if (!q)
		return ERR_NOMEM;
	q->next = NULL;
	q->len = len;
	q->nfds = 0;
	buf_init(&head, IPC_HEADER_LEN);
	if (buf_put_u32(&head, type) != ERR_OK || buf_put_u32(&head, id) != ERR_OK) {
		buf_clear(&head);
		free(q);
		return ERR_NOMEM;
	}
	memcpy(q->data, buf_ptr(&head), IPC_HEADER_LEN);
	buf_clear(&head);
	if (blen)
		memcpy(q->data + IPC_HEADER_LEN, buf_ptr(body), blen);

	if (!p->head && p->fd >= 0) {
		int r = ipc_sendmsg(p->fd, q->data, len, fds, nfds);
		if (r != 0) {
			ipc_queued_free(q);
			return r > 0 ? ERR_OK : ERR_IO;
		}
	}
	/* Queue behind earlier messages, keeping our own copies of the descriptors. */
	for (int i = 0; i < nfds; i++) {
		q->fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
		if (q->fds[i] < 0) {
			q->nfds = i;
			ipc_queued_free(q);
			return ERR_IO;
		}
	}
	q->nfds = nfds;
	if (p->tail)
		p->tail->next = q;
	else
		p->head = q;
	p->tail = q;
	p->queued_bytes += len;
	return ERR_OK;
}

int ipc_pending(const struct ipc_peer *p)
{
	return p->head != NULL;
}

enum err ipc_flush(struct ipc_peer *p)
{
	if (p->fd < 0)
		return p->closed ? ERR_IO : ERR_OK;
	while (p->head) {
		struct ipc_queued *q = p->head;
		int r = ipc_sendmsg(p->fd, q->data, q->len, q->fds, q->nfds);
		if (r == 0)
			return ERR_OK;
		if (r < 0)
			return ERR_IO;
		p->head = q->next;
		if (!p->head)
			p->tail = NULL;
		p->queued_bytes -= q->len;
		ipc_queued_free(q);
	}
	return ERR_OK;
}

static void close_fds(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* The whole datagram lands in the message's buffer, which is then read
 * past the header: replies carry shell output by the hundred kilobytes,
 * and are not copied again. */
enum err ipc_recv(struct ipc_peer *p, struct ipc_msg *msg)
{
	uint8_t *data;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * IPC_MAX_FDS)];
	} control;
	struct iovec iov = {.iov_len = IPC_MAX_MSG};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = control.buf,
			    .msg_controllen = sizeof(control.buf)};
	struct ucred cred = {.pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1};
	int have_cred = 0, nfds = 0, fds[IPC_MAX_FDS];
	ssize_t n;

	memset(msg, 0, sizeof(*msg));
	if (p->fd < 0)
		return p->closed ? ERR_IO : ERR_INCOMPLETE;
	buf_init(&msg->body, IPC_MAX_MSG);
	if (buf_reserve(&msg->body, IPC_MAX_MSG, &data) != ERR_OK)
		return ERR_NOMEM;
	iov.iov_base = data;
	do
		n = recvmsg(p->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		buf_clear(&msg->body);
		return errno == EAGAIN || errno == EWOULDBLOCK ? ERR_INCOMPLETE : ERR_IO;
	}
	/* Committed now so that every path wipes what arrived (a password, say). */
	buf_commit(&msg->body, (size_t)n);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(cred))) {
			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			have_cred = 1;
		} else if (c->cmsg_type == SCM_RIGHTS) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (nfds < IPC_MAX_FDS)
					fds[nfds++] = fd;
				else
					close(fd);
			}
		}
	}
	if (n == 0 && nfds == 0) {
		buf_clear(&msg->body);
		return ERR_IO; /* orderly shutdown of the peer */
	}

	uint32_t type = 0, id = 0;
	const char *why = NULL;
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		why = "truncated";
	else if (buf_get_u32(&msg->body, &type) != ERR_OK || buf_get_u32(&msg->body, &id) != ERR_OK)
		why = "short";
	else if (!have_cred)
		why = "no credentials";
	else if (cred.uid != p->peer_uid || (p->peer_pid != 0 && cred.pid != p->peer_pid))
		why = "wrong sender";
	else if (!ipc_allowed(type, p->peer, p->self, nfds))
		why = "not permitted";
	if (why) {
		log_warnx("ipc: rejected message %s from pid %d uid %d: %s", ipc_type_name(type),
			  (int)cred.pid, (int)cred.uid, why);
		close_fds(fds, nfds);
		buf_clear(&msg->body);
		return ERR_FORMAT;
	}

	msg->type = type;
	msg->id = id;
	msg->pid = cred.pid;
	msg->uid = cred.uid;
	memcpy(msg->fds, fds, sizeof(int) * (size_t)nfds);
	msg->nfds = nfds;
	return ERR_OK;
}

void ipc_msg_clear(struct ipc_msg *msg)
{
	close_fds(msg->fds, msg->nfds);
	msg->nfds = 0;
	buf_clear(&msg->body);
}

int ipc_msg_take_fd(struct ipc_msg *msg)
{
	if (msg->nfds == 0)
		return -1;
	int fd = msg->fds[0];
	memmove(msg->fds, msg->fds + 1, sizeof(int) * (size_t)(msg->nfds - 1));
	msg->nfds--;
	return fd;
}

enum err ipc_msg_done(const struct ipc_msg *msg)
{
	return ipc_body_end(&msg->body);
}
