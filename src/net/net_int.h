/* net_int: internals shared by the network process's files (net role only).
 * net.c owns the event loop, listeners, TLS, connections, HTTP and the
 * authentication step; net_wsman.c owns WS-Man dispatch and the per-user
 * host channels; net_config.c owns the winrm/config resources. */
#ifndef OPENWINRM_NET_INT_H
#define OPENWINRM_NET_INT_H

#include <stdint.h>
#include <sys/types.h>

#include <event2/event.h>
#include <event2/bufferevent.h>

#include "auth/auth.h"
#include "common/buf.h"
#include "config/config.h"
#include "http/http1.h"
#include "ipc/ipc.h"
#include "ipc/ipc_priv.h"
#include "msgenc/msgenc.h"
#include "shell/shell_ops.h"
#include "wsman/wsman.h"

#define NET_MAX_OPEN_CONNECTIONS 20000 /* sockets; MaxConnections bounds active requests */
#define NET_REQUEST_TIMEOUT_MS 30000   /* a whole request (headers and body) must arrive in this */
#define NET_IDLE_TIMEOUT_MS 120000     /* keep-alive idle, as HTTP.sys's IdleConnectionTimeout */
#define NET_HOST_LINGER_MS 60000       /* a host with no shells is closed after this */
#define NET_MAX_BUFFERED_INPUT (1024 * 1024) /* unparsed bytes held per connection */
#define NET_DRAIN_TIMEOUT_MS 5000      /* lingering close after an error reply */
#define NET_DRAIN_MAX_BYTES (8 * 1024 * 1024)
#define NET_MAX_REPLY_HEADERS 4        /* a 401's WWW-Authenticate lines, the most any reply sends */
/* A connection Negotiate or Kerberos authenticated keeps its identity as
 * long as it stays open, which may be hours, but the host token of its
 * handshake lasts IPC_TOKEN_LIFETIME_MS (150 s). So the token is renewed
 * (IPC_TOKEN_RENEW, net_token.c) whenever the connection is in use, at
 * two moments: when a reply has gone out (the connection goes idle) and
 * when the first bytes of the next request arrive, if the token is older
 * than NET_TOKEN_RENEW_AGE_MS then. After the first moment the token is at
 * most that old (or a renewal is under way); the next request begins
 * within NET_IDLE_TIMEOUT_MS or the connection is closed, so at the second
 * moment the token is at most AGE + IDLE = LIFETIME - MARGIN old, and a
 * request that arrives before the renewal's answer is served with a token
 * still good for MARGIN. The margin is the time the privileged part has
 * to answer (normally well under a millisecond; it is slow only while a
 * GSSAPI leg waits on winbind). How long a request takes to arrive (up to
 * NET_REQUEST_TIMEOUT_MS) or to be answered (a Receive long poll, a host
 * start) does not matter: the clock restarts at both moments. A smaller
 * age would renew more often for nothing: at most one renewal per
 * connection per 10 s of use. */
#define NET_TOKEN_RENEW_MARGIN_MS 20000
#define NET_TOKEN_RENEW_AGE_MS (IPC_TOKEN_LIFETIME_MS - NET_IDLE_TIMEOUT_MS - NET_TOKEN_RENEW_MARGIN_MS)
_Static_assert(NET_TOKEN_RENEW_AGE_MS > 0, "the host token must outlive a keep-alive idle period");
/* Enumerations of winrm/config/listener that clients may still Pull; the
 * least recently used goes when a new one needs its place. Each expires
 * after Service/EnumerationTimeoutms without a Pull. */
#define NET_MAX_ENUMERATIONS 64

struct net;
struct conn;
struct user_host;

/* What a connection is waiting for; one comment per state. */
enum conn_state {
	CONN_READING,    /* reading a request (or idle between requests) */
	CONN_WAIT_PRIV,  /* the privileged part is verifying a password */
	CONN_WAIT_HOST,  /* a host (or its start) owes us a reply */
	CONN_WRITING,    /* the reply is being written */
	CONN_DRAINING,   /* an error reply went out before the request was read:
	                    discard what the client still sends, so it sees the
	                    reply rather than a reset, then close */
};

/* A request sent to another process, matched to its reply by id. The
 * connection may go away meanwhile: then conn is NULL and the reply is
 * dropped. */
struct pending {
	struct pending *next;
	uint32_t id;
	uint32_t type;       /* the IPC type of the request */
	struct conn *conn;
	struct user_host *host; /* IPC_HOST_OPEN: the host being started */
	uint64_t asked_ms;   /* IPC_TOKEN_RENEW: when it was sent */
};

enum shell_op { OP_NONE, OP_CREATE, OP_COMMAND, OP_SEND, OP_RECEIVE, OP_SIGNAL, OP_DELETE };

struct conn {
	struct net *net;
	struct conn *prev, *next;
	struct bufferevent *bev;
	int https;
	char url_path[80];      /* "/wsman" */
	char peer[64];          /* textual address */
	enum conn_state state;
	struct http1_parser *parser;
	struct http1_request *req;
	int request_counted;    /* counts towards MaxConnections active requests */
	int close_after_reply;
	int drain_before_close; /* the request was refused before it was fully read */
	size_t drained;
	uint64_t started_ms;
	struct event *timer;
	struct pending *waiting; /* the one outstanding IPC request, if any */
	struct auth_identity id;
	struct ipc_auth_password verify;
	struct wsman_request ws;
	int ws_parsed;
	enum shell_op op;
	union {
		struct shell_create_req create;
		struct shell_command_req command;
		struct shell_send_req send;
		struct shell_receive_req receive;
		struct shell_signal_req signal;
		struct shell_delete_req del;
	} u;
	/* Negotiate/Kerberos: the connection, not the request, is authenticated. */
	uint64_t serial;               /* names the connection to the privileged part */
	gss_ctx_id_t gss;              /* the established context, or GSS_C_NO_CONTEXT */
	int gss_kerberos;              /* the "Kerberos" scheme (else "Negotiate") */
	struct auth_identity gss_id;   /* who the connection authenticated as */
	uint64_t gss_token_ms;         /* when gss_id's token was asked for; 0: not renewable */
	struct pending *gss_renewing;  /* the IPC_TOKEN_RENEW under way, which c->waiting is not */
	char *gss_reply_token;         /* "Negotiate <b64>" for the next reply's WWW-Authenticate */
	int seal_reply;                /* the request was sealed: so is the reply */
	enum msgenc_protocol seal_protocol;
	enum msgenc_style seal_style;
	struct user_host *host_waited; /* waiting for this host to start */
	struct conn *host_next;        /* in that host's list of waiting connections */
};

struct user_host {
	struct net *net;
	struct user_host *next;
	uid_t uid;
	char user[IPC_MAX_USER + 1];
	int ready;                /* the channel is open */
	struct ipc_peer peer;
	struct event *ev;
	struct pending *pending;
	struct conn *waiting;     /* connections waiting for the start */
	uint32_t shells;          /* shells this host holds, as far as we know */
	struct event *linger;
};

struct net_listener {
	struct net *net;
	struct evconnlistener *lev;
	int https;
	char url_path[80];
	char name[128];
	void *ssl_ctx; /* SSL_CTX *, shared by the listener's sockets */
};

/* An enumeration a client pulls from: the items as they were when it
 * started (a snapshot, as the listeners may change meanwhile). */
struct net_enumeration {
	char context[WSMAN_MAX_CONTEXT + 1]; /* "uuid:<GUID>"; "" while the slot is free */
	uid_t uid;                           /* only who started it may pull */
	uint64_t expires_ms;
	uint32_t n, next;
	char *items[CONFIG_MAX_LISTENERS];
};

struct net {
	struct event_base *base;
	struct ipc_peer priv;
	struct event *priv_ev;
	struct pending *priv_pending;
	int configured;
	struct config cfg;
	struct auth_settings auth;
	struct net_listener listeners[IPC_MAX_FDS];
	uint32_t nlisteners;
	void *ssl_ctxs[IPC_MAX_LISTENERS];
	uint32_t nssl_ctxs;
	struct conn *conns;
	uint32_t nconns;
	uint32_t active_requests;
	struct user_host *hosts;
	uint32_t next_id;
	uint64_t next_serial;     /* of connections */
	char hostname[256];
	struct net_enumeration enums[NET_MAX_ENUMERATIONS];
};

/* net.c */
void net_reply(struct conn *c, int status, const struct buf *body);
void net_reply_fault(struct conn *c, enum err e);
/* A reply without a body, with extra headers. */
void net_reply_headers(struct conn *c, int status, const struct http1_header *hdrs, size_t nh);
/* The answer to a privileged verdict other than OK or CONTINUE. */
void net_reply_auth_refused(struct conn *c, uint32_t status);
/* 401 with a WWW-Authenticate header per enabled scheme. */
void net_reply_unauthorized(struct conn *c);
/* An authenticated request: parse the envelope and answer it. */
void net_dispatch_authenticated(struct conn *c);
const char *net_machine(const struct conn *c);
/* The URL the client addressed: "https://host:5986/wsman". */
void net_url(const struct conn *c, char *out, size_t len);
/* A request c waits for (c->waiting). */
struct pending *net_pending_add(struct pending **list, uint32_t type, struct conn *c, uint32_t *id);
/* A request on c's behalf that c does not wait for. */
struct pending *net_pending_new(struct pending **list, uint32_t type, struct conn *c, uint32_t *id);
struct pending *net_pending_take(struct pending **list, uint32_t id);
void net_watch_peer(struct event *ev, const struct ipc_peer *p);

/* net_gss.c */
/* A Negotiate/Kerberos Authorization header: send the leg to priv. */
void net_gss_leg(struct conn *c);
void net_gss_result(struct conn *c, struct ipc_msg *m);
/* A request on a connection the handshake authenticated. */
void net_gss_serve(struct conn *c);
/* Seals a reply body with the connection's context. */
enum err net_gss_seal(struct conn *c, const struct buf *body, struct buf *sealed, const char **ctype);
void net_gss_forget(struct conn *c);

/* net_token.c */
/* The connection is in use (a reply went out, a request begins): renews
 * the host token of its Negotiate/Kerberos identity if it is older than
 * NET_TOKEN_RENEW_AGE_MS. */
void net_token_touch(struct conn *c);
/* The privileged part answered p (an IPC_TOKEN_RENEW; p->conn is NULL if
 * the connection or its identity went away meanwhile). */
void net_token_renewed(struct pending *p, struct ipc_msg *m);
/* The connection's identity goes: an answer to a renewal is dropped. */
void net_token_forget(struct conn *c);

/* net_wsman.c */
void net_wsman_dispatch(struct conn *c);
void net_wsman_host_opened(struct net *n, struct user_host *h, struct ipc_msg *m);
void net_wsman_host_failed(struct net *n, struct user_host *h, enum err e);
void net_wsman_push_settings(struct net *n);
/* Drops c from a host's waiting list (the connection is going away). */
void net_wsman_forget(struct conn *c);
void net_wsman_shutdown(struct net *n);

/* net_config.c */
/* 1 if uri names winrm/config or one of its sub-resources. */
int net_config_uri(const char *uri);
void net_config_dispatch(struct conn *c);
/* The privileged part answered c's IPC_CONFIG_CHANGE. */
void net_config_result(struct conn *c, struct ipc_msg *m);
void net_config_shutdown(struct net *n);

#endif
