/* net_int: internals shared by the network process's files (net role
 * only). Each struct has one owner, the file that creates and frees it:
 *   net.c          struct net: the event loop, the channel to the
 *                  privileged part and what it sends unasked (IPC_CONFIG),
 *                  listeners and TLS contexts;
 *   net_conn.c     struct conn: a TCP/TLS connection, its bytes, timers
 *                  and the state of its authentication (net_gss.c and
 *                  net_token.c keep that part, struct conn_gss;
 *                  net_cert.c struct conn_cert);
 *   net_request.c  struct request: one request in flight, from parsed
 *                  HTTP to the reply, with the IPC call it waits on;
 *   net_host.c     struct user_host: a user's host and its channel;
 *   net_account.c  struct net_account: an account's requests under way;
 *   net_config.c   the enumerations of winrm/config.
 * net_priv.c holds the typed calls to the privileged part, net_shell.c
 * the shell operations, which go to the user's host. A request goes down
 * this list and its reply back up, each file entered once per direction. */
#ifndef OPENWINRM_NET_INT_H
#define OPENWINRM_NET_INT_H

#include <stdint.h>
#include <sys/types.h>

#include <event2/event.h>
#include <event2/bufferevent.h>
#include <openssl/ssl.h>

#include "auth/auth.h"
#include "cim/cim.h"
#include "common/buf.h"
#include "config/config.h"
#include "http/http1.h"
#include "ipc/ipc.h"
#include "ipc/ipc_endpoint.h"
#include "ipc/ipc_priv.h"
#include "msgenc/msgenc.h"
#include "shell/shell_ops.h"
#include "wsman/wsman.h"

#define NET_MAX_OPEN_CONNECTIONS 20000 /* sockets; MaxConnections bounds active requests */
/* Descriptors the connection cap leaves to everything else, below the
 * process's limit: the listening sockets and those of a new configuration
 * (IPC_MAX_FDS each, both open during a reload), the privileged part's
 * channel, a channel per user's host, stderr or syslog, the spare (struct
 * net), and what libevent, OpenSSL and GSSAPI open for a moment. */
#define NET_RESERVED_FDS 256
/* accept() out of descriptors (or memory) pauses the listeners this long,
 * as nginx does, rather than failing again at every turn of the loop. */
#define NET_ACCEPT_PAUSE_MS 500
/* Commands whose start was audited and whose end is awaited, counting
 * their bytes (net_audit.c); past it the oldest is reported as ended. */
#define NET_AUDIT_MAX_COMMANDS 4096
#define NET_REQUEST_TIMEOUT_MS 30000 /* a whole request (headers and body) must arrive in this */
#define NET_IDLE_TIMEOUT_MS 120000   /* keep-alive idle, as HTTP.sys's IdleConnectionTimeout */
#define NET_HOST_LINGER_MS 60000     /* a host with no shells is closed after this */
/* Unparsed bytes held per connection while a request is answered, on a
 * connection with a Negotiate, Kerberos or CredSSP identity; on others,
 * NET_UNVERIFIED_BODY_MAX. */
#define NET_MAX_BUFFERED_INPUT (1024 * 1024)
/* Bodies of requests whose sender is not verified yet (no identity on the
 * connection, Basic credentials not in the cache) cost memory anyone can
 * make the service spend (issue 14, item 6). A request without any
 * credentials is answered 401 whatever its body says, bar an Identify,
 * which is under 1 KiB: it keeps at most this much, and a larger body is
 * read and dropped (net_conn.c). As much of what such a connection sends
 * next is read ahead while a request is answered. */
#define NET_UNVERIFIED_BODY_MAX (16 * 1024)
/* All bodies held for requests not known to be verified (with
 * credentials: a Basic logon, a GSSAPI or CredSSP leg with a body; and the
 * small ones above) together, at most: 64 envelopes of the default
 * MaxEnvelopeSizekb (500), more than the logons that come at once on a
 * busy day, a small part of any machine's memory; at least 8 envelopes
 * when MaxEnvelopeSizekb is larger. Past it such a request is refused
 * (HTTP 503, logged), unless its Basic credentials are in the cache of
 * verifications, while clients on verified connections go on. */
#define NET_UNVERIFIED_BYTES (32 * 1024 * 1024)
#define NET_UNVERIFIED_ENVELOPES 8
/* The memory such bodies held goes back to the system once they are gone
 * (malloc_trim, after NET_TRIM_DELAY_MS; util_tune_malloc keeps freed heap
 * otherwise), when they had reached this much since the last time. */
#define NET_TRIM_MARK (4 * 1024 * 1024)
#define NET_TRIM_DELAY_MS 1000
#define NET_DRAIN_TIMEOUT_MS 5000 /* lingering close after an error reply */
#define NET_DRAIN_MAX_BYTES (8 * 1024 * 1024)
#define NET_MAX_REPLY_HEADERS 4 /* a 401's WWW-Authenticate lines, the most any reply sends */
/* How long the network process waits for the privileged part: longer
 * than the privileged part lets a PAM conversation or a host start run
 * (PRIV_PAM_TIMEOUT_MS, PRIV_HOST_START_TIMEOUT_MS: 60 s), so its own
 * answer, a refusal, normally comes first; after it the client gets 503. */
#define NET_PRIV_DEADLINE_MS 90000
/* A host's answer to a shell operation is due when the operation's
 * OperationTimeout (else MaxTimeoutms) has passed, as a Receive long
 * poll is; this margin on top covers a busy host. After it the client
 * gets w:TimedOut, as from Windows for an operation over its time. */
#define NET_HOST_DEADLINE_MARGIN_MS 10000
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
#define NET_TOKEN_RENEW_AGE_MS                                                                     \
	(IPC_TOKEN_LIFETIME_MS - NET_IDLE_TIMEOUT_MS - NET_TOKEN_RENEW_MARGIN_MS)
_Static_assert(NET_TOKEN_RENEW_AGE_MS > 0, "the host token must outlive a keep-alive idle period");
/* Enumerations of winrm/config/listener that clients may still Pull; the
 * least recently used goes when a new one needs its place. Each expires
 * after Service/EnumerationTimeoutms without a Pull. */
#define NET_MAX_ENUMERATIONS 64
/* Items of one enumeration (winrm/config's instances, a WMI class's),
 * and their bytes: every process or package of a big machine, not an
 * unbounded share of the network process's memory. */
#define NET_MAX_ENUM_ITEMS CIM_MAX_SET_INSTANCES
#define NET_MAX_ENUM_BYTES (32 * 1024 * 1024)
_Static_assert(sizeof(((struct cim_request *)0)->enumeration) == WSMAN_MAX_CONTEXT + 1,
	       "a CIM request holds the context of the enumeration it fills");
#define NET_ACCOUNT_BUCKETS 256 /* of the accounts with requests under way */

struct net;
struct conn;
struct request;
struct user_host;
struct password_check;

/* An account with requests under way (net_account.c). */
struct net_account {
	struct net_account *next; /* in its bucket */
	uid_t uid;
	uint32_t active; /* authenticated requests not ended yet */
};

/* What a connection is doing; one comment per state. */
enum conn_state {
	CONN_READING,	/* reading a request (or idle between requests) */
	CONN_ANSWERING, /* a request is being answered: it may wait on another
			   process (its IPC call has a deadline) */
	CONN_WRITING,	/* the reply is being written */
	CONN_DRAINING,	/* an error reply went out before the request was read:
			   discard what the client still sends, so it sees the
			   reply rather than a reset, then close */
};

/* Negotiate/Kerberos: the connection, not the request, is authenticated
 * (net_gss.c; its host token is renewed by net_token.c). */
struct conn_gss {
	gss_ctx_id_t ctx;	   /* the established context, or GSS_C_NO_CONTEXT */
	int kerberos;		   /* the "Kerberos" scheme (else "Negotiate") */
	struct auth_identity id;   /* who the connection authenticated as */
	uint64_t token_ms;	   /* when id's token was asked for; 0: not renewable */
	struct ipc_call *renewing; /* the IPC_TOKEN_RENEW under way */
	uint64_t renew_asked_ms;
	char *reply_token; /* "Negotiate <b64>" for the next reply's WWW-Authenticate */
};

/* CredSSP: the TLS channel carried in the Authorization headers
 * (net_credssp.c). Its identity, once complete, is conn_gss's. */
struct conn_credssp {
	SSL *tls;	  /* on memory BIOs; NULL when no CredSSP logon is under way */
	uint32_t version; /* the TSRequest version we answer with */
	int complete;	  /* the privileged part admitted the logon */
	/* The credentials the client delegated, sealed for the user's own
	 * host (base64), until the first shell made there takes them
	 * (net_credssp_delegate). */
	char *delegated;
};

/* Certificate authentication: the last logon, for the next requests to
 * the same resource (net_cert.c). */
struct conn_cert {
	struct auth_identity id;
	char *resource_uri;
	uint64_t checked_ms;
};

struct conn {
	struct net *net;
	struct conn *prev, *next;
	uint64_t serial; /* names the connection to the privileged part */
	struct bufferevent *bev;
	int https;
	char url_path[80]; /* "/wsman" */
	char peer[64];	   /* textual address */
	uint16_t peer_port;
	char listener[160]; /* its listener's name and local port, for the audit trail */
	enum conn_state state;
	struct http1_parser *parser;
	int close_after_reply;
	/* Its logon is over (net_conn_end_logon): the reply under way is the
	 * last, and an idle connection closes now. */
	int logon_over;
	int drain_before_close; /* the request was refused before it was fully read */
	size_t unverified_held; /* of the request being read or answered: counted in struct net */
	size_t drained;
	struct event *timer;
	struct request *req; /* being answered, or NULL */
	struct conn_gss gss;
	struct conn_credssp credssp;
	struct conn_cert cert;
};

typedef void net_host_done_fn(struct request *r, struct user_host *h, struct ipc_msg *m,
			      enum err e);

struct request {
	struct conn *conn;
	struct http1_request *http; /* the parser's; NULL for a request that did not parse */
	struct buf plain;	    /* the body, when it came sealed */
	const struct buf *body;	    /* the SOAP body: http->body or plain */
	uint64_t started_ms;
	int counted;		     /* counts towards MaxConnections active requests */
	struct net_account *account; /* and, once authenticated, towards its account's share */
	struct auth_identity id;
	struct ipc_auth_password verify; /* Basic: what the privileged part is asked to check */
	struct password_check *password; /* the check of its Basic credentials it waits on */
	struct request *next_waiting;	 /* of the requests waiting on that check */
	struct wsman_request ws;
	int ws_parsed;
	/* A shell operation: its row and its request struct. */
	const struct shell_op *op;
	void *op_req;
	struct ipc_call *call;	     /* the IPC call it waits on, if any */
	net_host_done_fn *host_done; /* a call to a host: what continues the request */
	struct user_host *host;	     /* and that host */
	/* An administrator's Enumerate of shells: every host asked in turn,
	 * by uid; what they listed so far (a struct shell_list_reply). */
	void *listed;
	uid_t listed_uid; /* the last host asked: its uid and endpoint */
	char listed_endpoint[IPC_MAX_ENDPOINT + 1];
	int seal_reply; /* the request was sealed: so is the reply */
	enum msgenc_protocol seal_protocol;
	enum msgenc_style seal_style;
};

struct user_host {
	struct net *net;
	struct user_host *next;
	uid_t uid; /* the connecting user's */
	char user[IPC_MAX_USER + 1];
	/* "": the user's own host; else the session configuration (plugin)
	 * it alone serves, for this user, as whichever account the
	 * privileged part chose (host_uid). */
	char endpoint[IPC_MAX_ENDPOINT + 1];
	uid_t host_uid;
	char run_as[IPC_MAX_USER + 1]; /* host_uid's name, for the audit lines */
	/* A session configuration's host: the plugin's settings it was opened
	 * under (plugin_terms); NULL for the user's own host. */
	char *opened_under;
	struct ipc_endpoint *chan; /* messages queue on it until the host has started */
	struct ipc_call *opening;  /* the IPC_HOST_OPEN under way */
	uint32_t shells;	   /* shells this host holds, as far as we know */
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
	uid_t uid;			     /* only who started it may pull */
	uint64_t expires_ms;
	uint32_t n, next, cap;
	size_t bytes;
	char **items;
};

struct net {
	struct event_base *base;
	struct ipc_endpoint *priv;
	int configured;
	struct config cfg;
	struct auth_settings auth;
	struct net_listener listeners[IPC_MAX_FDS];
	uint32_t nlisteners;
	void *ssl_ctxs[IPC_MAX_LISTENERS];
	uint32_t nssl_ctxs;
	struct conn *conns;
	uint32_t nconns;
	uint32_t max_conns; /* below the descriptor limit by NET_RESERVED_FDS */
	/* Held open for the moment accept() fails for want of descriptors:
	 * closed, it lets the listener take the waiting connection and close
	 * it, so the client learns at once instead of waiting in the backlog. */
	int spare_fd;
	struct event *accept_pause; /* re-enables the listeners */
	uint32_t active_requests;
	struct net_account *accounts[NET_ACCOUNT_BUCKETS];
	/* Bytes held by the bodies of unverified requests (NET_UNVERIFIED_BYTES),
	 * and the most since the memory was last given back (trim). */
	size_t unverified_bytes, unverified_peak;
	struct event *trim;
	struct user_host *hosts;
	struct password_check *password_checks; /* under way (net_password.c) */
	uint64_t next_serial;			/* of connections */
	char hostname[256];
	struct net_enumeration enums[NET_MAX_ENUMERATIONS];
	/* CredSSP's TLS settings, and the certificate and key it presents
	 * over HTTP (net_credssp.c). */
	SSL_CTX *credssp_ctx;
	X509 *credssp_cert;
	EVP_PKEY *credssp_key;
	int credssp_generated; /* made in memory: kept across reloads */
};

/* net_conn.c */
/* A new connection on fd, accepted by l from addr (the address filters
 * are checked here). */
void net_conn_accept(struct net_listener *l, int fd, const struct sockaddr *addr);
/* Hands the reply's bytes to the connection (the request is over). */
void net_conn_send(struct conn *c, const struct buf *head, const struct buf *body, int keep_alive);
void net_conn_free(struct conn *c);
/* The privileged part will not renew the connection's logon (the account
 * may no longer connect, or the logon is too old): the client must
 * authenticate again, so the connection closes once its reply under way,
 * if any, is out. Closing, not a 401, because what the client sends next
 * may be sealed with the context of the logon that is over. */
void net_conn_end_logon(struct conn *c);

/* net_request.c */
/* A whole request arrived on c (http NULL: it did not parse, e says why). */
void net_request_start(struct conn *c, struct http1_request *http, enum err e);
void net_request_free(struct request *r);
void net_reply(struct request *r, int status, const struct buf *body);
/* A fault, or the refusal the error stands for (HTTP status, 401...). */
void net_reply_fault(struct request *r, enum err e);
/* The URL the client addressed: "https://host:5986/wsman". */
void net_url(const struct request *r, char *out, size_t len);
/* ERR_OK if r carries a verified identity (auth_identity_valid); else it
 * logs that r reached route without one and gives ERR_HTTP_UNAUTHORIZED,
 * the answer to an unauthenticated request. Called wherever a request is
 * routed by its identity: to the envelope's resource, a shell operation,
 * winrm/config, a user's host. */
enum err net_identity_check(const struct request *r, const char *route);

/* net_account.c */
/* Counts r, authenticated, against its account's share of MaxConnections
 * (Service/MaxConnectionsPerUserPercent): ERR_OK, or Windows' fault for too
 * many operations (logged) when the account holds its share already. */
enum err net_account_enter(struct request *r);
/* r ends: its account's count goes down. */
void net_account_leave(struct request *r);

/* net_priv.c: the calls to the privileged part. A call sends its request
 * and arranges for answer(arg, m, e) (ipc_endpoint.h), whose first step is
 * the matching reader: it decodes the answer, or gives the error to
 * answer the client with: ERR_HTTP_BUSY when none came (the privileged
 * part gone, or no answer within NET_PRIV_DEADLINE_MS), ERR_WSMAN_INTERNAL
 * for a malformed one or one of the wrong type. Calls for a request take
 * r as arg and r->call as the handle; a password check is net_password.c's. */
enum err net_priv_auth_password(struct net *n, const struct ipc_auth_password *verify,
				ipc_answer_fn *answer, void *arg, struct ipc_call **call);
enum err net_priv_auth_result(struct ipc_msg *m, enum err e, struct ipc_auth_result *res);
enum err net_priv_auth_gss(struct request *r, const struct ipc_auth_gss *leg,
			   ipc_answer_fn *answer);
enum err net_priv_gss_result(struct ipc_msg *m, enum err e, struct ipc_auth_gss_result *res);
enum err net_priv_auth_cert(struct request *r, const struct ipc_auth_cert *m,
			    ipc_answer_fn *answer); /* answered as net_priv_auth_result reads */
enum err net_priv_auth_credssp(struct request *r, const struct ipc_auth_credssp *m,
			       ipc_answer_fn *answer);
enum err net_priv_credssp_result(struct ipc_msg *m, enum err e,
				 struct ipc_auth_credssp_result *res);
enum err net_priv_config_change(struct request *r, const struct ipc_config_change *change,
				ipc_answer_fn *answer);
enum err net_priv_config_result(struct ipc_msg *m, enum err e, struct ipc_config_result *res);
/* An administrator's WMI method, to run as root (IPC_CIM_INVOKE), and
 * its answer (IPC_CIM_INVOKED), read as net_priv_config_result reads. */
enum err net_priv_cim_invoke(struct request *r, const struct cim_invoke_request *call,
			     ipc_answer_fn *answer);
enum err net_priv_cim_invoked(struct ipc_msg *m, enum err e, struct ipc_cim_invoked *res);
/* HOST_FAILED's reason is the reader's failure; on success *fd is the
 * host's channel, now the caller's. */
enum err net_priv_host_open(struct net *n, const uint8_t token[IPC_TOKEN_LEN], const char *endpoint,
			    const char *peer, const char *scheme, ipc_answer_fn *answer, void *arg,
			    struct ipc_call **call);
enum err net_priv_host_opened(struct ipc_msg *m, enum err e, struct ipc_host_opened *o, int *fd);
enum err net_priv_token_renew(struct net *n, const uint8_t token[IPC_TOKEN_LEN],
			      ipc_answer_fn *answer, void *arg, struct ipc_call **call);
enum err net_priv_token_renewed(struct ipc_msg *m, enum err e, struct ipc_token_renewed *res);

/* net_password.c: Basic passwords checked by the privileged part, one
 * check per set of credentials at a time. */
typedef void net_password_fn(struct request *r, enum err e, uint32_t status);
/* r's credentials (r->verify, moved) are checked, by a check of the same
 * credentials already under way if there is one; done(r, e, status) runs
 * with its answer (e ERR_OK: status is the verdict, and r->id the
 * identity when it admitted the account). ERR_HTTP_BUSY if it could not
 * be asked. */
enum err net_password_check(struct request *r, net_password_fn *done);
/* A cache entry is due to be checked again (verify moved): no request
 * waits for the answer, which renews or removes the entry. */
void net_password_recheck(struct net *n, struct ipc_auth_password *verify);
/* r is freed while waiting: the check goes on without it. */
void net_password_forget(struct request *r);
void net_password_shutdown(struct net *n);

/* net_gss.c: the Negotiate/Kerberos state of a connection, called by the
 * request pipeline, which does the replying. */
/* Sends the leg of r's Authorization header to the privileged part;
 * answer(r, ...) gets its answer. ERR_HTTP_UNAUTHORIZED for a header
 * without a usable token, ERR_HTTP_BUSY when it cannot be sent. */
enum err net_gss_leg(struct request *r, ipc_answer_fn *answer);
/* Reads that answer: ERR_OK, the connection is authenticated now (serve
 * r); ERR_INCOMPLETE, 401 with the next token; else the refusal to send. */
enum err net_gss_result(struct request *r, struct ipc_msg *m, enum err e);
/* A request on a connection the handshake authenticated: opens a sealed
 * body into r->plain. 0: dispatch r; else the HTTP status of the refusal
 * (401: with the challenges), sent without a body. */
int net_gss_open(struct request *r);
/* Seals a reply body with the connection's context. */
enum err net_gss_seal(struct request *r, const struct buf *body, struct buf *sealed,
		      const char **ctype);
void net_gss_forget(struct conn *c);

/* net_cert.c: certificate authentication, called by the request pipeline
 * once r's envelope is parsed. */
/* 1 if the connection's last logon holds for r's resource: r->id is set. */
int net_cert_cached(struct request *r);
/* Sends the client's certificate chain to the privileged part; answer(r,
 * ...) gets its answer. ERR_HTTP_UNAUTHORIZED when the client presented
 * none (logged), ERR_HTTP_BUSY when it cannot be sent. */
enum err net_cert_logon(struct request *r, ipc_answer_fn *answer);
/* Reads that answer: ERR_OK with r->id set (and remembered), else the
 * refusal to send. */
enum err net_cert_result(struct request *r, struct ipc_msg *m, enum err e);
void net_cert_forget(struct conn *c);

/* net_credssp.c: CredSSP (MS-CSSP over HTTP), a connection's TLS channel
 * inside the Authorization headers and the TSRequests through it; the
 * privileged part does the rest (priv_credssp.c). Called by the request
 * pipeline, which does the replying. */
/* One leg: ERR_INCOMPLETE, answer 401 now (the next TLS records ride on
 * it); ERR_OK, a TSRequest went to the privileged part and answer(r, ...)
 * gets its answer; else the refusal to send. */
enum err net_credssp_leg(struct request *r, ipc_answer_fn *answer);
/* Reads that answer: ERR_OK, the connection is authenticated now (serve
 * r); ERR_INCOMPLETE, 401 with the next token; else the refusal. */
enum err net_credssp_result(struct request *r, struct ipc_msg *m, enum err e);
/* The connection's CredSSP TLS session, once the logon is complete: the
 * cipher of its message encryption (MS-WSMV 2.2.9.1.3); else NULL. */
SSL *net_credssp_session(const struct conn *c);
/* Moves the connection's delegated credentials into a Create for the
 * user's own host, once; nothing if it has none. */
void net_credssp_delegate(struct conn *c, struct shell_create_req *create);
void net_credssp_forget(struct conn *c);
/* The certificate CredSSP presents over HTTP: Service/CertificateThumbprint
 * names a listener's (pem: that listener's certificate and key), else one
 * made in memory when first needed, as Windows makes its own. */
void net_credssp_configure(struct net *n, const struct config *cfg, const struct ipc_config *ic);
void net_credssp_stop(struct net *n);

/* net_token.c */
/* The connection is in use (a reply went out, a request begins): renews
 * the host token of its Negotiate/Kerberos identity if it is older than
 * NET_TOKEN_RENEW_AGE_MS. */
void net_token_touch(struct conn *c);
/* The connection's identity goes: an answer to a renewal is dropped. */
void net_token_forget(struct conn *c);

/* net_audit.c */
/* Sends ev to the privileged part, which writes it (an IPC_AUDIT notice). */
void net_audit_send(struct net *n, const struct audit_event *ev);
/* A request refused (a fault or a 401 other than a logon's, which the
 * privileged part reports), with the reason. */
void net_audit_refusal(const struct request *r, const char *reason);
/* A shell operation h answered with success (reply: the row's typed
 * reply): the shell, PowerShell session and command events, and the
 * bytes of each command. endpoint: the session configuration or "". */
void net_audit_shell_op(const struct request *r, const struct user_host *h, const char *endpoint,
			const void *reply);

/* net_shell.c */
/* A request for a shell kind's resource (shell_op_resource): its operation. */
void net_shell_dispatch(struct request *r);
/* What a failed call to a host (no reply: e) means to the client. */
enum err net_call_failure(enum err e);

/* net_host.c */
/* A request for the host of r's user for endpoint ("": the user's own,
 * else a plugin's name: net_shell_endpoint), started when asked to and
 * not running; answered to done(r, ...) with the reply (NULL when e says
 * why there is none). ERR_WSMAN_UNKNOWN_SHELL when the user has no such
 * host and start is 0. */
enum err net_host_call(struct request *r, int start, const char *endpoint, const struct buf *body,
		       uint64_t timeout_ms, net_host_done_fn *done);
/* The same to host h (running or starting). */
enum err net_host_call_to(struct request *r, struct user_host *h, const struct buf *body,
			  uint64_t timeout_ms, net_host_done_fn *done);
/* The host after (uid, endpoint) in (uid, endpoint) order (the first of
 * all when first), or NULL: a walk that survives hosts coming and going. */
struct user_host *net_host_next(struct net *n, int first, uid_t uid, const char *endpoint);
/* A shell was made or ended through h (its idle close depends on it). */
void net_host_count(struct user_host *h, int delta);
void net_host_push_settings(struct net *n);
/* r, waiting on its host (r->call), is abandoned (its client is gone):
 * the host is told (IPC_SHELL_CANCEL), before the caller cancels the call. */
void net_host_cancel(struct request *r);
void net_host_shutdown(struct net *n);

/* net_config.c */
/* 1 if uri names winrm/config or one of its sub-resources. */
int net_config_uri(const char *uri);
void net_config_dispatch(struct request *r);

/* net_enum.c */
/* Sends body (e == ERR_OK) if it fits the client's MaxEnvelopeSize, else the fault. */
void net_reply_sized(struct request *r, enum err e, const struct buf *body);
/* A new enumeration of uid's with a fresh context and no items (the
 * caller adds them with net_enum_add); NULL if no context could be made. */
struct net_enumeration *net_enum_start(struct net *n, uid_t uid);
/* Appends a copy of item (its text). ERR_WSMAN_ENCODING_LIMIT past
 * NET_MAX_ENUM_ITEMS or NET_MAX_ENUM_BYTES, ERR_WSMAN_INTERNAL without
 * memory. */
enum err net_enum_add(struct net_enumeration *en, const struct buf *item);
/* The live enumeration context names for uid, or NULL. */
struct net_enumeration *net_enum_find(struct net *n, const char *context, uid_t uid);
void net_enum_free(struct net_enumeration *en);
/* Replies with en's next items, at most max (0: one, as WS-Enumeration
 * says) and MaxBatchItems, fewer if they would not fit the client's
 * MaxEnvelopeSize; a non-optimized Enumerate gets the context alone. The
 * enumeration ends (and is freed) with its last item. */
void net_enum_serve(struct request *r, struct net_enumeration *en, int enumerate, int optimized,
		    uint32_t max);
/* n:Pull (release 0) or n:Release of one of the caller's enumerations. */
void net_enum_pull(struct request *r, int release);
void net_enum_shutdown(struct net *n);

/* net_cim.c */
/* Management data (cim/cim.h): Get, Enumerate, Pull and Release on the
 * classes' resource URIs (cim_uri_is_cim). */
void net_cim_dispatch(struct request *r);

#endif
