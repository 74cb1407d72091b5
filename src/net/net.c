/* net: the network process (service account). Its event loop, the
 * channel to the privileged part and what that part sends unasked (the
 * configuration, with the listening sockets and certificates), the
 * listeners and their TLS contexts. Connections are net_conn.c's. */
#include "net/net.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "common/log.h"
#include "common/sandbox.h"
#include "common/util.h"
#include "net/net_int.h"

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *arg)
{
	(void)lev, (void)salen;
	net_conn_accept(arg, fd, sa);
}

static void set_accepting(struct net *n, int on)
{
	for (uint32_t i = 0; i < n->nlisteners; i++)
		(on ? evconnlistener_enable : evconnlistener_disable)(n->listeners[i].lev);
}

static void accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	set_accepting(arg, 1);
}

/* The bodies of unverified requests are gone (net_conn.c): their heap
 * goes back to the system, which util_tune_malloc's thresholds would
 * otherwise keep for the process. */
static void trim_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	malloc_trim(0);
}

/* A descriptor held in reserve: a copy of stdin, which is /dev/null
 * (priv_exec_role), so no path is looked up when descriptors run out. */
static int net_spare_fd(void)
{
	return fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
}

/* The connection waiting on listen_fd, taken with the spare descriptor
 * and closed: the client sees its connection end rather than hang. */
static void refuse_waiting(struct net *n, int listen_fd)
{
	if (n->spare_fd < 0)
		return;
	close(n->spare_fd);
	int fd = accept(listen_fd, NULL, NULL);
	if (fd >= 0)
		close(fd);
	n->spare_fd = net_spare_fd();
}

/* accept() failed other than for a client that gave up (libevent retries
 * those itself). The listening socket stays readable, so without a pause
 * the loop would call accept() again at once, forever. */
static void accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct net_listener *l = arg;
	struct net *n = l->net;
	int e = EVUTIL_SOCKET_ERROR();
	const struct timeval pause = {0, NET_ACCEPT_PAUSE_MS * 1000};

	if (e == EMFILE || e == ENFILE)
		refuse_waiting(n, evconnlistener_get_fd(lev));
	errno = e;
	log_warn("listener %s: accept failed (%u connections open), pausing for %d ms", l->name,
		 n->nconns, NET_ACCEPT_PAUSE_MS);
	set_accepting(n, 0);
	evtimer_add(n->accept_pause, &pause);
}

/* ---- configuration from the privileged part ---- */

/* The handshake asks for a client certificate and takes whatever comes:
 * what matters is that the client proves it holds the key, which OpenSSL
 * checks whatever this says. The privileged part judges the certificate
 * itself (priv_cert.c), against the configuration it reads. */
static int any_client_certificate(int preverified, X509_STORE_CTX *ctx)
{
	(void)preverified, (void)ctx;
	return 1;
}

/* ask_client_cert: Service/Auth/Certificate is on. Windows' HTTP.sys asks
 * by a renegotiation once it has seen the request's header; TLS 1.3 has
 * none, so the certificate is asked for (optionally) in the handshake,
 * and every client in scope presents it then (docs/authentication.md). */
static SSL_CTX *tls_context(const char *cert_pem, const char *key_pem, const char *name,
			    int ask_client_cert)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	BIO *cb = BIO_new_mem_buf(cert_pem, -1), *kb = BIO_new_mem_buf(key_pem, -1);
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	int ok = 0;

	if (!ctx || !cb || !kb)
		goto out;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* Without this OpenSSL 3 reports EOF without close_notify as an error
	 * on every client that simply closes its socket. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* An idle keep-alive connection gives its record buffers back (about
	 * 34 KB of the 45 KB each held): thousands of idle clients then cost
	 * the service a few KB each (bench/scale.py idle). */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (ask_client_cert) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE,
				   any_client_certificate);
		/* A resumed session keeps its client certificate: OpenSSL
		 * refuses to resume one without a session id context. */
		SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"winrmd", 6);
	}
	if (!(cert = PEM_read_bio_X509(cb, NULL, NULL, NULL)) ||
	    SSL_CTX_use_certificate(ctx, cert) != 1)
		goto out;
	for (X509 *extra; (extra = PEM_read_bio_X509(cb, NULL, NULL, NULL));)
		if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
			X509_free(extra);
			goto out;
		}
	ERR_clear_error(); /* the loop ends on "no start line" */
	if (!(key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL)) ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1)
		goto out;
	ok = 1;
out:
	if (!ok) {
		char msg[256];
		ERR_error_string_n(ERR_get_error(), msg, sizeof(msg));
		log_warnx("listener %s: certificate or key unusable: %s", name, msg);
		SSL_CTX_free(ctx);
		ctx = NULL;
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	BIO_free(cb);
	BIO_free(kb);
	return ctx;
}

static void close_listeners(struct net *n)
{
	for (uint32_t i = 0; i < n->nlisteners; i++)
		evconnlistener_free(n->listeners[i].lev);
	n->nlisteners = 0;
	/* Live TLS connections hold their own references to these. */
	for (uint32_t i = 0; i < n->nssl_ctxs; i++)
		SSL_CTX_free(n->ssl_ctxs[i]);
	n->nssl_ctxs = 0;
}

static void apply_config(struct net *n, struct ipc_msg *m)
{
	struct ipc_config ic;
	struct config cfg;
	struct buf errmsg;
	int fds[IPC_MAX_FDS], nfds = 0;

	memset(&ic, 0, sizeof(ic));
	buf_init(&errmsg, 1024);
	while (nfds < IPC_MAX_FDS && (fds[nfds] = ipc_msg_take_fd(m)) >= 0)
		nfds++;
	if (ipc_config_decode(&m->body, &ic) != ERR_OK || ipc_msg_done(m) != ERR_OK ||
	    ic.nsockets != (uint32_t)nfds ||
	    config_parse(&cfg, ic.config_text, strlen(ic.config_text), &errmsg) != ERR_OK) {
		buf_terminate(&errmsg);
		log_warnx("configuration from the privileged part refused: %s",
			  buf_len(&errmsg) ? (const char *)buf_ptr(&errmsg) : "malformed message");
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		ipc_config_clear(&ic);
		buf_clear(&errmsg);
		return;
	}
	buf_clear(&errmsg);

	void *ctxs[IPC_MAX_LISTENERS] = {0};
	for (uint32_t i = 0; i < ic.nlisteners; i++)
		if (ic.listeners[i].https)
			ctxs[i] = tls_context(ic.listeners[i].cert_pem, ic.listeners[i].key_pem,
					      ic.listeners[i].name, cfg.service.auth.certificate);

	close_listeners(n);
	for (int i = 0; i < nfds; i++) {
		uint32_t li = ic.socket_listener[i];
		struct net_listener *l = &n->listeners[n->nlisteners];
		if (li >= ic.nlisteners || (ic.listeners[li].https && !ctxs[li])) {
			close(fds[i]);
			continue;
		}
		l->net = n;
		l->https = (int)ic.listeners[li].https;
		l->ssl_ctx = ctxs[li];
		snprintf(l->url_path, sizeof(l->url_path), "/%s", ic.listeners[li].url_prefix);
		snprintf(l->name, sizeof(l->name), "%s", ic.listeners[li].name);
		util_set_nonblock(fds[i]);
		l->lev =
		    evconnlistener_new(n->base, accept_cb, l, LEV_OPT_CLOSE_ON_FREE, -1, fds[i]);
		if (!l->lev) {
			close(fds[i]);
			continue;
		}
		evconnlistener_set_error_cb(l->lev, accept_error_cb);
		n->nlisteners++;
	}
	for (uint32_t i = 0; i < ic.nlisteners; i++)
		if (ctxs[i])
			n->ssl_ctxs[n->nssl_ctxs++] = ctxs[i];
	net_credssp_configure(n, &cfg, &ic);
	ipc_config_clear(&ic);

	if (n->configured)
		config_clear(&n->cfg);
	n->cfg = cfg;
	n->configured = 1;
	n->auth.basic = cfg.service.auth.basic;
	n->auth.negotiate = cfg.service.auth.negotiate;
	n->auth.kerberos = cfg.service.auth.kerberos;
	n->auth.certificate = cfg.service.auth.certificate;
	n->auth.credssp = cfg.service.auth.credssp;
	n->auth.allow_unencrypted = cfg.service.allow_unencrypted;
	/* Settings that decide who may log in may have changed. */
	auth_cache_flush();
	for (struct conn *c = n->conns; c; c = c->next)
		net_cert_forget(c);
	net_host_push_settings(n);
	log_info("configuration applied: %u listening sockets", n->nlisteners);
}

/* ---- the channel to the privileged part ---- */

/* IPC_CONFIG, the only message the privileged part sends unasked. */
static enum err from_priv(void *arg, struct ipc_msg *m)
{
	if (m->type != IPC_CONFIG)
		return ERR_FORMAT;
	apply_config(arg, m);
	return ERR_OK;
}

static void priv_lost(void *arg, enum err why)
{
	struct net *n = arg;

	log_warnx("lost the privileged part (%s): exiting", err_str(why));
	event_base_loopbreak(n->base);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct net *n = arg;
	(void)what;
	log_info("signal %d: exiting", (int)sig);
	event_base_loopbreak(n->base);
}

/* Connections may use the descriptor limit but for NET_RESERVED_FDS: at
 * the cap a new connection is accepted and closed at once, and the rest
 * of the process keeps the descriptors it needs. A limit too small for
 * that reserve is shared half and half. */
static uint32_t connection_cap(rlim_t limit)
{
	rlim_t cap = limit > 2 * NET_RESERVED_FDS ? limit - NET_RESERVED_FDS : limit / 2;
	return cap < NET_MAX_OPEN_CONNECTIONS ? (uint32_t)cap : NET_MAX_OPEN_CONNECTIONS;
}

int net_main(int priv_fd, uid_t priv_uid, pid_t priv_pid, int foreground, int debug)
{
	static const struct ipc_endpoint_ops ops = {from_priv, priv_lost};
	struct net n;
	struct rlimit rl;
	(void)foreground, (void)debug;

	memset(&n, 0, sizeof(n));
	signal(SIGPIPE, SIG_IGN);
	/* Thousands of idle keep-alive connections are expected: descriptors are cheap. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	n.max_conns = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? connection_cap(rl.rlim_cur)
							 : NET_MAX_OPEN_CONNECTIONS;
	n.spare_fd = net_spare_fd();
	if (gethostname(n.hostname, sizeof(n.hostname) - 1) != 0)
		snprintf(n.hostname, sizeof(n.hostname), "localhost");
	n.base = event_base_new();
	if (!n.base)
		fatalx("event_base_new failed");
	n.priv = ipc_endpoint_new(n.base, priv_fd, IPC_ROLE_NET, IPC_ROLE_PRIV, priv_uid, priv_pid,
				  &ops, &n);
	struct event *sigterm = evsignal_new(n.base, SIGTERM, signal_cb, &n);
	n.accept_pause = evtimer_new(n.base, accept_resume_cb, &n);
	n.trim = evtimer_new(n.base, trim_cb, &n);
	if (!n.priv || !sigterm || !n.accept_pause || !n.trim || event_add(sigterm, NULL) < 0)
		fatalx("event_new failed");
	/* The privileged part handles Ctrl-C in the foreground and tells us. */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (sandbox_enter(SANDBOX_NET) < 0)
		fatalx("cannot enter the sandbox");
	log_info("network process started: at most %u connections", n.max_conns);

	event_base_dispatch(n.base);

	/* Connections first: their requests cancel the calls they wait on. */
	while (n.conns)
		net_conn_free(n.conns);
	net_password_shutdown(&n);
	net_host_shutdown(&n);
	net_enum_shutdown(&n);
	close_listeners(&n);
	net_credssp_stop(&n);
	if (n.configured)
		config_clear(&n.cfg);
	ipc_endpoint_free(n.priv);
	event_free(sigterm);
	event_free(n.accept_pause);
	event_free(n.trim);
	if (n.spare_fd >= 0)
		close(n.spare_fd);
	event_base_free(n.base);
	return 0;
}
