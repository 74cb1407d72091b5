/* ipc: messages between winrmd's processes (privileged part, network
 * process, GSSAPI acceptor, per-user hosts) over SOCK_SEQPACKET socketpairs: one datagram is
 * one message, so framing cannot desynchronise. Each message is a fixed
 * header (type, request id) and a body written and read through struct buf.
 * Messages carry no pointers. Each type may be sent by exactly one role to
 * exactly one role, and only declared types carry file descriptors; the
 * receiver checks both, and checks the sender's uid (and pid, where known)
 * from the kernel's SCM_CREDENTIALS on every message, because SO_PEERCRED
 * on a socketpair reports whoever created the pair, not who holds the end
 * now. A message that breaks these rules closes the channel. */
#ifndef OPENWINRM_IPC_H
#define OPENWINRM_IPC_H

#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/err.h"

#define IPC_MAX_MSG (192 * 1024) /* whole datagram, header included */
#define IPC_HEADER_LEN 8
#define IPC_MAX_FDS 32
#define IPC_MAX_QUEUE (64 * 1024 * 1024) /* bytes queued for a slow reader */

enum ipc_role { IPC_ROLE_PRIV = 0, IPC_ROLE_NET = 1, IPC_ROLE_HOST = 2, IPC_ROLE_ACCEPTOR = 3 };

enum ipc_type {
	IPC_NONE = 0,
	/* net -> priv */
	IPC_AUTH_PASSWORD = 1, /* struct ipc_auth_password; answered by IPC_AUTH_RESULT */
	IPC_HOST_OPEN =
	    2,		  /* struct ipc_host_open; answered by IPC_HOST_OPENED or IPC_HOST_FAILED */
	IPC_AUTH_GSS = 3, /* struct ipc_auth_gss; answered by IPC_AUTH_GSS_RESULT */
	IPC_TOKEN_RENEW = 4,   /* struct ipc_token_renew; answered by IPC_TOKEN_RENEWED */
	IPC_CONFIG_CHANGE = 5, /* struct ipc_config_change; answered by IPC_CONFIG_RESULT */
	/* priv -> net */
	IPC_AUTH_RESULT = 6, /* struct ipc_auth_result */
	IPC_HOST_OPENED = 7, /* struct ipc_host_opened + 1 fd: the net end of the host's channel */
	IPC_HOST_FAILED = 8, /* u32 enum err */
	IPC_AUTH_GSS_RESULT = 9, /* struct ipc_auth_gss_result */
	IPC_TOKEN_RENEWED = 10,	 /* struct ipc_token_renewed */
	IPC_CONFIG_RESULT = 11,	 /* struct ipc_config_result, after the IPC_CONFIG of a change */
	IPC_CONFIG = 12, /* struct ipc_config + one fd per listening socket; a notice (id 0) */
	/* net -> host */
	IPC_HOST_SETTINGS = 13, /* struct shell_limits; a notice */
	IPC_SHELL_REQUEST = 14, /* an operation of shell/shell_ops.h: its id, then its request */
	/* host -> net */
	IPC_SHELL_REPLY = 15, /* the status, then the operation's reply (shell_op_reply_encode) */
	IPC_SHELLS_LEFT =
	    16, /* u32 shells the host holds, after it ended one on its own; a notice */
	/* net -> priv */
	IPC_AUTH_CERT = 17, /* struct ipc_auth_cert; answered by IPC_AUTH_CERT_RESULT */
	/* priv -> net */
	IPC_AUTH_CERT_RESULT = 18, /* struct ipc_auth_result */
	/* net -> priv */
	IPC_AUTH_CREDSSP = 19, /* struct ipc_auth_credssp; answered by IPC_AUTH_CREDSSP_RESULT */
	/* priv -> net */
	IPC_AUTH_CREDSSP_RESULT = 20, /* struct ipc_auth_credssp_result */
	/* net -> host */
	IPC_SHELL_CANCEL = 21, /* no body; a notice whose id is that of an IPC_SHELL_REQUEST whose
				  client went away: its answer is no longer wanted */
	/* priv -> acceptor */
	IPC_ACCEPT = 22, /* struct ipc_accept; answered by IPC_ACCEPTED */
	/* acceptor -> priv */
	IPC_ACCEPTED = 23, /* struct ipc_accepted */
	/* net -> priv */
	IPC_AUDIT = 24,	     /* struct audit_event the network process saw; a notice */
	IPC_CIM_INVOKE = 25, /* struct ipc_cim_invoke; answered by IPC_CIM_INVOKED */
	/* priv -> net */
	IPC_CIM_INVOKED = 26, /* struct ipc_cim_invoked */
	IPC_TYPE_COUNT
};

struct ipc_msg {
	uint32_t type;
	uint32_t id;	 /* request id chosen by the requester, echoed in the reply */
	struct buf body; /* the bytes after the header */
	int fds[IPC_MAX_FDS];
	int nfds;  /* descriptors not yet claimed; ipc_msg_clear closes them */
	pid_t pid; /* sender, from SCM_CREDENTIALS */
	uid_t uid;
};

struct ipc_queued;

struct ipc_peer {
	int fd;	    /* -1 before ipc_peer_attach and after ipc_peer_close */
	int closed; /* ipc_peer_close ran: nothing more is sent */
	enum ipc_role self;
	enum ipc_role peer;
	uid_t peer_uid;			/* every message must come from this uid */
	pid_t peer_pid;			/* and this pid, when nonzero */
	struct ipc_queued *head, *tail; /* messages waiting for the socket to drain */
	size_t queued_bytes;
};

/* A SOCK_SEQPACKET socketpair, close-on-exec, SO_PASSCRED on both ends. */
int ipc_socketpair(int sv[2]);

void ipc_peer_init(struct ipc_peer *p, int fd, enum ipc_role self, enum ipc_role peer,
		   uid_t peer_uid, pid_t peer_pid);
/* A peer whose process is still starting: messages sent to it queue
 * (within IPC_MAX_QUEUE) until ipc_peer_attach gives it its socket. */
void ipc_peer_init_detached(struct ipc_peer *p, enum ipc_role self, enum ipc_role peer);
void ipc_peer_attach(struct ipc_peer *p, int fd, uid_t peer_uid, pid_t peer_pid);
/* Closes the socket and drops queued messages. */
void ipc_peer_close(struct ipc_peer *p);

/* Sends (or queues, if the socket is full) one message. The descriptors are
 * duplicated when queued, so the caller keeps ownership of its own.
 * ERR_USAGE if this role may not send that type or those descriptors;
 * ERR_LIMIT if the body or the queue is too large; ERR_IO if the peer is gone. */
enum err ipc_send(struct ipc_peer *p, uint32_t type, uint32_t id, const struct buf *body,
		  const int *fds, int nfds);
/* 1 while messages wait in the queue: watch the socket for writing. */
int ipc_pending(const struct ipc_peer *p);
/* Writes queued messages; ERR_OK when the queue drained or the socket is
 * full again, ERR_IO if the peer is gone. */
enum err ipc_flush(struct ipc_peer *p);

/* Receives one message without blocking. ERR_INCOMPLETE: nothing to read;
 * ERR_IO: the peer closed; ERR_FORMAT: a message this peer may not send
 * (wrong type, role, descriptors, credentials or size): close the channel.
 * On ERR_OK the caller owns msg and must ipc_msg_clear it. */
enum err ipc_recv(struct ipc_peer *p, struct ipc_msg *msg);
void ipc_msg_clear(struct ipc_msg *msg);
/* Takes the next descriptor out of msg (the caller now owns it), or -1. */
int ipc_msg_take_fd(struct ipc_msg *msg);
/* ERR_FORMAT unless every byte of the body was read. */
enum err ipc_msg_done(const struct ipc_msg *msg);

const char *ipc_type_name(uint32_t type);
/* The request type that a reply of this type answers (IPC_AUTH_RESULT
 * answers IPC_AUTH_PASSWORD), or IPC_NONE for a request or a notice. */
uint32_t ipc_answers(uint32_t type);

/* The decoders' one idiom (ipc_priv.c, shell/shell_ipc.c). A datagram is
 * a whole message, so a field that runs past its end is malformed
 * (ERR_FORMAT), never "incomplete"; a body must be read to its last byte. */
#define IPC_TRY(x)                                                                                 \
	do {                                                                                       \
		enum err e_ = (x);                                                                 \
		if (e_ != ERR_OK)                                                                  \
			return e_ == ERR_INCOMPLETE ? ERR_FORMAT : e_;                             \
	} while (0)
static inline enum err ipc_body_end(const struct buf *in)
{
	return buf_len(in) == 0 ? ERR_OK : ERR_FORMAT;
}

#endif
