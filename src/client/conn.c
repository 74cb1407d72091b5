/* conn: the session's keep-alive connection (TCP, TLS through OpenSSL),
 * one HTTP exchange at a time, credentials on each request, and the
 * translation of what went wrong into something a person can act on. */
#include "client/client_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "common/tls_binding.h"
#include "common/util.h"
#include "common/x509_names.h"

#define CONTENT_TYPE_SOAP "application/soap+xml;charset=UTF-8"
#define WSMAN_CODE_TIMED_OUT 2150858793u
#define USER_AGENT "Microsoft WinRM Client"

void client_disconnect(struct winrm_session *s)
{
	if (s->ssl) {
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->rstart = s->rend = 0;
	/* Negotiate, Kerberos and CredSSP authenticate the connection, not
	 * requests: a new one starts the whole handshake again. */
	s->gss_ready = 0;
	client_credssp_clear(s);
}

/* ---- TCP ---- */

static int wait_fd(int fd, short events, uint64_t deadline)
{
	for (int rounds = 0; rounds < 1000000; rounds++) {
		uint64_t now = util_now_ms();
		struct pollfd p = {.fd = fd, .events = events};
		if (now >= deadline)
			return 0;
		int n = poll(&p, 1, (int)(deadline - now));
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
	return 0;
}

static enum winrm_result tcp_connect(struct winrm_session *s)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG}, *ai = NULL;
	uint64_t deadline = util_now_ms() + CLIENT_CONNECT_TIMEOUT_MS;
	int rc, err = 0, timed_out = 0, one = 1;

	if ((rc = getaddrinfo(s->host, s->port, &hints, &ai)) != 0)
		return client_fail(s, WINRM_E_CONNECT, "cannot resolve %s: %s", s->host,
				   gai_strerror(rc));
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
				a->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) {
			int w = wait_fd(fd, POLLOUT, deadline);
			socklen_t len = sizeof(err);
			if (w > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
			    err == 0) {
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				s->fd = fd;
				break;
			}
			if (w == 0)
				timed_out = 1;
			else if (w < 0)
				err = errno;
		} else {
			err = errno;
		}
		close(fd);
	}
	freeaddrinfo(ai);
	if (s->fd >= 0)
		return WINRM_OK;
	if (timed_out)
		return client_fail(
		    s, WINRM_E_CONNECT,
		    "cannot connect to %s port %s: the connection timed out. Check that the "
		    "host is up, that winrmd listens there and that no firewall drops the "
		    "traffic",
		    s->host, s->port);
	if (err == ECONNREFUSED)
		return client_fail(
		    s, WINRM_E_CONNECT,
		    "cannot connect to %s port %s: connection refused. No WinRM service "
		    "listens there: check the port (HTTP 5985, HTTPS 5986), -usessl, and that "
		    "the service runs (winrm quickconfig sets one up)",
		    s->host, s->port);
	return client_fail(s, WINRM_E_CONNECT, "cannot connect to %s port %s: %s", s->host, s->port,
			   strerror(err ? err : EHOSTUNREACH));
}

/* ---- TLS ---- */

static int chain_error(int e)
{
	switch (e) {
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_INVALID_CA:
		return 1;
	default:
		return 0;
	}
}

/* Accepts what the flags say to skip, and remembers the first thing that
 * was not accepted, for the message. */
static int verify_cb(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct winrm_session *s = ssl ? SSL_get_app_data(ssl) : NULL;
	int e = X509_STORE_CTX_get_error(x);

	if (ok || !s)
		return ok;
	if (chain_error(e) && (s->flags & WINRM_FLAG_SKIP_CA_CHECK))
		return 1;
	if ((e == X509_V_ERR_HOSTNAME_MISMATCH || e == X509_V_ERR_IP_ADDRESS_MISMATCH) &&
	    (s->flags & WINRM_FLAG_SKIP_CN_CHECK))
		return 1;
	if (!s->tls_problem[0]) {
		if (chain_error(e))
			snprintf(
			    s->tls_problem, sizeof(s->tls_problem),
			    "the server certificate is not trusted (%s). Install its CA in the "
			    "system's trust store, or skip the check with -skipCAcheck",
			    X509_verify_cert_error_string(e));
		else if (e == X509_V_ERR_HOSTNAME_MISMATCH || e == X509_V_ERR_IP_ADDRESS_MISMATCH) {
			char names[128];
			x509_names(X509_STORE_CTX_get_current_cert(x), names, sizeof(names));
			snprintf(s->tls_problem, sizeof(s->tls_problem),
				 "the server certificate is not for %s: it is for %s. Use the "
				 "name in the certificate, or skip the check with -skipCNcheck",
				 s->host, names[0] ? names : "no name");
		} else
			snprintf(s->tls_problem, sizeof(s->tls_problem),
				 "the server certificate was refused: %s",
				 X509_verify_cert_error_string(e));
	}
	return 0;
}

/* The TLS alert the server sent, from OpenSSL's error queue, as text
 * ("tlsv1 alert unknown ca"); NULL when the failure was something else. */
static const char *server_alert(void)
{
	unsigned long e = ERR_peek_last_error();

	return ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) >= SSL_AD_REASON_OFFSET
		   ? ERR_reason_error_string(e)
		   : NULL;
}

/* A server refuses a client certificate with an alert: in the handshake
 * over TLS 1.2, on the first read over TLS 1.3 (where the client's part of
 * the handshake ends before the server has checked the certificate). The
 * alert may be lost (NULL) when the server resets the connection with our
 * request unread: a Certificate connection that closes without a reply
 * is taken as the same refusal. */
static enum winrm_result certificate_refused(struct winrm_session *s, const char *alert)
{
	return client_fail(s, WINRM_E_AUTH,
			   "%s refused the client certificate in the TLS handshake (%s): the "
			   "service must trust the certificate's issuer, and the certificate must "
			   "be valid now",
			   s->host_header,
			   alert ? alert : "it closed the connection without a reply");
}

enum winrm_result client_tls_context(struct winrm_session *s)
{
	if (s->ctx)
		return WINRM_OK;
	if (!(s->ctx = SSL_CTX_new(TLS_client_method())))
		return client_fail(s, WINRM_E_TLS, "cannot set up TLS");
	SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
	/* The hashed directory is searched on demand; reading the whole
	 * bundle file would cost more than the rest of a winrs run. An
	 * SSL_CERT_FILE the user names is read as OpenSSL always does. */
	if (s->flags & WINRM_FLAG_SKIP_CA_CHECK)
		; /* nothing to trust: every chain is accepted */
	else if (getenv(X509_get_default_cert_file_env()))
		SSL_CTX_set_default_verify_paths(s->ctx);
	else
		SSL_CTX_load_verify_dir(s->ctx, getenv(X509_get_default_cert_dir_env())
						    ?: X509_get_default_cert_dir());
	SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, verify_cb);
	/* Replies run to hundreds of kilobytes: take what the socket has
	 * in one read rather than two reads per 16 KB record. */
	SSL_CTX_set_read_ahead(s->ctx, 1);
	SSL_CTX_set_default_read_buffer_len(s->ctx, 128 * 1024);
	return WINRM_OK;
}

static enum winrm_result tls_start(struct winrm_session *s)
{
	uint64_t deadline = util_now_ms() + CLIENT_CONNECT_TIMEOUT_MS;
	enum winrm_result r;

	if ((r = client_tls_context(s)) != WINRM_OK)
		return r;
	s->tls_problem[0] = 0;
	s->tls_alert = NULL;
	if (!(s->ssl = SSL_new(s->ctx)) || !SSL_set_fd(s->ssl, s->fd))
		return client_fail(s, WINRM_E_TLS, "cannot set up TLS");
	SSL_set_app_data(s->ssl, s);
	if (!s->host_is_ip)
		SSL_set_tlsext_host_name(s->ssl, s->host);
	X509_VERIFY_PARAM *param = SSL_get0_param(s->ssl);
	if (s->host_is_ip)
		X509_VERIFY_PARAM_set1_ip_asc(param, s->host);
	else
		X509_VERIFY_PARAM_set1_host(param, s->host, 0);
	SSL_set_connect_state(s->ssl);
	for (int rounds = 0; rounds < 10000; rounds++) {
		ERR_clear_error();
		int rc = SSL_do_handshake(s->ssl), w = 1;
		if (rc == 1) {
			s->tls_spoken = 1;
			return WINRM_OK;
		}
		switch (SSL_get_error(s->ssl, rc)) {
		case SSL_ERROR_WANT_READ:
			w = wait_fd(s->fd, POLLIN, deadline);
			break;
		case SSL_ERROR_WANT_WRITE:
			w = wait_fd(s->fd, POLLOUT, deadline);
			break;
		default:
			if (s->tls_problem[0])
				return client_fail(s, WINRM_E_TLS, "TLS with %s:%s failed: %s",
						   s->host, s->port, s->tls_problem);
			if (s->auth == WINRM_AUTH_CERTIFICATE && (s->tls_alert = server_alert()))
				return certificate_refused(s, s->tls_alert);
			/* A service stopping or restarting takes the connection
			 * and closes it: no question of its listener's kind when
			 * it spoke TLS before. */
			return client_fail(
			    s, WINRM_E_TLS, "TLS with %s:%s failed (%s)%s", s->host, s->port,
			    ERR_reason_error_string(ERR_peek_last_error())
				?: "the connection closed",
			    s->tls_spoken
				? " where an earlier connection succeeded: the service "
				  "may be stopping or restarting"
				: ". Is it an HTTPS listener? For HTTP use http:// or leave "
				  "out -usessl");
		}
		if (w <= 0)
			return client_fail(s, WINRM_E_TLS, "TLS with %s:%s timed out", s->host,
					   s->port);
	}
	return client_fail(s, WINRM_E_TLS, "TLS with %s:%s did not finish", s->host, s->port);
}

size_t client_tls_binding(const struct winrm_session *s, uint8_t *out, size_t cap)
{
	return s->ssl ? tls_binding_end_point(SSL_get0_peer_certificate(s->ssl), out, cap) : 0;
}

static enum winrm_result connect_session(struct winrm_session *s)
{
	enum winrm_result r;

	if (s->fd >= 0)
		return WINRM_OK;
	if (s->auth == WINRM_AUTH_CERTIFICATE && !s->client_cert)
		return client_fail(
		    s, WINRM_E_USAGE,
		    "Certificate authentication needs the client certificate and its key: give "
		    "the PEM file with -certificate:PATH (libwinrm: "
		    "winrm_session_set_certificate)");
	if ((r = tcp_connect(s)) != WINRM_OK)
		return r;
	if (s->https && (r = tls_start(s)) != WINRM_OK) {
		client_disconnect(s);
		return r;
	}
	return WINRM_OK;
}

/* ---- bytes ---- */

/* 1 written, 0 the peer is gone, -1 timed out or failed. */
static int write_all(struct winrm_session *s, const uint8_t *p, size_t n, uint64_t deadline)
{
	while (n > 0) {
		ssize_t w;
		if (s->ssl) {
			size_t done = 0;
			ERR_clear_error();
			int rc = SSL_write_ex(s->ssl, p, n, &done);
			if (rc == 1) {
				w = (ssize_t)done;
			} else {
				int e = SSL_get_error(s->ssl, rc);
				if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
					if (wait_fd(s->fd,
						    e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN,
						    deadline) <= 0)
						return -1;
					continue;
				}
				return 0;
			}
		} else {
			w = send(s->fd, p, n, MSG_NOSIGNAL);
			if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
				if (wait_fd(s->fd, POLLOUT, deadline) <= 0)
					return -1;
				continue;
			}
			if (w < 0)
				return 0;
		}
		p += w;
		n -= (size_t)w;
	}
	return 1;
}

/* >0 bytes read, 0 end of stream, -1 timed out or failed. */
static ssize_t read_some(struct winrm_session *s, uint8_t *p, size_t n, uint64_t deadline)
{
	for (int rounds = 0; rounds < 1000000; rounds++) {
		if (s->ssl) {
			size_t got = 0;
			ERR_clear_error();
			int rc = SSL_read_ex(s->ssl, p, n, &got);
			if (rc == 1)
				return (ssize_t)got;
			int e = SSL_get_error(s->ssl, rc);
			if (e == SSL_ERROR_ZERO_RETURN)
				return 0;
			if (e == SSL_ERROR_SSL)
				s->tls_alert = server_alert();
			/* A reset, an unclean close or an alert: the same to us. */
			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				return 0;
			if (wait_fd(s->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline) <=
			    0)
				return -1;
		} else {
			ssize_t r = recv(s->fd, p, n, 0);
			if (r >= 0)
				return r;
			if (errno == ECONNRESET)
				return 0;
			if (errno != EAGAIN && errno != EINTR)
				return -1;
			if (wait_fd(s->fd, POLLIN, deadline) <= 0)
				return -1;
		}
	}
	return -1;
}

enum exchange { EX_OK, EX_RETRY, EX_FAILED };

/* Writes a request on the current connection. EX_RETRY: the kept-alive
 * connection turned out closed. */
static enum exchange write_request(struct winrm_session *s, const struct buf *request,
				   enum winrm_result *r)
{
	uint64_t deadline = util_now_ms() + s->timeout_ms + CLIENT_REPLY_SLACK_MS;
	int w = write_all(s, buf_ptr(request), buf_len(request), deadline);

	if (w > 0)
		return EX_OK;
	client_disconnect(s);
	if (w == 0)
		return EX_RETRY;
	*r = client_fail(s, WINRM_E_CONNECT, "sending the request to %s timed out", s->host_header);
	return EX_FAILED;
}

/* Reads the response to the oldest request written. EX_RETRY: the
 * connection closed before any byte of it. */
static enum exchange read_response(struct winrm_session *s, struct http1_response **resp,
				   enum winrm_result *r)
{
	uint64_t deadline = util_now_ms() + s->timeout_ms + CLIENT_REPLY_SLACK_MS;

	http1_response_parser_next(s->parser);
	for (int rounds = 0; rounds < 1000000; rounds++) {
		enum err e;
		size_t used = 0;
		/* What the last read brought beyond the last response comes first. */
		if (s->rstart == s->rend) {
			ssize_t n = read_some(s, s->rbuf, sizeof(s->rbuf), deadline);
			if (n < 0) {
				client_disconnect(s);
				*r = client_fail(s, WINRM_E_CONNECT,
						 "no reply from %s within %u ms", s->host_header,
						 s->timeout_ms + CLIENT_REPLY_SLACK_MS);
				return EX_FAILED;
			}
			s->rstart = 0;
			s->rend = (size_t)n;
		}
		e = s->rstart == s->rend ? http1_response_eof(s->parser, resp)
					 : http1_response_parse(s->parser, s->rbuf + s->rstart,
								s->rend - s->rstart, &used, resp);
		s->rstart += used;
		if (e == ERR_OK) {
			/* Every reply on a sealed connection is opened here, so the
			 * server-to-client sequence never skips one. */
			if (s->gss_ready && s->seal &&
			    (*r = client_gss_open(s, *resp)) != WINRM_OK) {
				client_disconnect(s);
				return EX_FAILED;
			}
			if (!(*resp)->keep_alive)
				client_disconnect(s);
			return EX_OK;
		}
		if (e == ERR_INCOMPLETE)
			continue;
		client_disconnect(s);
		if (e == ERR_IO)
			return EX_RETRY;
		*r = client_fail(s, WINRM_E_PROTOCOL, "%s sent a reply that is not valid HTTP%s",
				 s->host_header,
				 e == ERR_LIMIT ? " (or one over the size limits)" : "");
		return EX_FAILED;
	}
	*r = client_fail(s, WINRM_E_PROTOCOL, "the reply from %s never ended", s->host_header);
	return EX_FAILED;
}

/* ---- authentication ---- */

/* The schemes that authenticate the connection with a handshake of
 * empty POSTs (gss_handshake), after which requests carry no
 * Authorization and, over HTTP, are encrypted. */
static int is_gss(enum winrm_auth a)
{
	return a == WINRM_AUTH_NEGOTIATE || a == WINRM_AUTH_KERBEROS || a == WINRM_AUTH_CREDSSP;
}

/* An Identify goes unauthenticated under -a:None, and without a user name
 * unless the scheme authenticates without one: GSSAPI from the credential
 * cache, or a client certificate. */
static int anonymous_identify(const struct winrm_session *s, int identify)
{
	return identify && (s->auth == WINRM_AUTH_NONE ||
			    (!s->user && !is_gss(s->auth) && s->auth != WINRM_AUTH_CERTIFICATE));
}

static enum winrm_result authorization(struct winrm_session *s, int identify, struct buf *out)
{
	if (s->auth == WINRM_AUTH_NONE && !identify)
		return client_fail(s, WINRM_E_USAGE,
				   "only Identify works without authentication (-a:None)");
	if (anonymous_identify(s, identify))
		return WINRM_OK;
	if (s->auth == WINRM_AUTH_CERTIFICATE)
		return buf_putf(out, "%s", WSMAN_SECPROFILE_HTTPS_MUTUAL) == ERR_OK
			   ? WINRM_OK
			   : client_fail(s, WINRM_E_NOMEM, "out of memory");
	if (s->auth == WINRM_AUTH_BASIC) {
		struct buf plain;
		enum err e;
		buf_init(&plain, 4096);
		e = buf_putf(&plain, "%s:%s", s->user, s->password);
		if (e == ERR_OK && (e = buf_putf(out, "Basic ")) == ERR_OK)
			e = util_b64_encode(out, buf_ptr(&plain), buf_len(&plain));
		buf_clear(&plain);
		return e == ERR_OK
			   ? WINRM_OK
			   : client_fail(s, WINRM_E_USAGE, "the user name or password is too long");
	}
	if (s->auth == WINRM_AUTH_DIGEST && s->digest.nonce &&
	    digest_authorization(&s->digest, s->user, s->password, "POST", s->path, out) != ERR_OK)
		return client_fail(s, WINRM_E_USAGE, "cannot compute the Digest response");
	return WINRM_OK;
}

/* "Negotiate, Kerberos" from the challenges, for messages. */
static void offered(const struct http1_response *resp, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = 0;
	for (const char *c = http1_response_challenge(resp, NULL); c;
	     c = http1_response_challenge(resp, c)) {
		size_t len = strcspn(c, " \t,");
		if (n + len + 3 >= cap)
			break;
		if (n)
			out[n++] = ',', out[n++] = ' ';
		memcpy(out + n, c, len);
		n += len;
		out[n] = 0;
	}
}

static const char *challenge_for(const struct http1_response *resp, const char *scheme)
{
	size_t len = strlen(scheme);

	for (const char *c = http1_response_challenge(resp, NULL); c;
	     c = http1_response_challenge(resp, c))
		if (strncasecmp(c, scheme, len) == 0 &&
		    (c[len] == 0 || c[len] == ' ' || c[len] == '\t'))
			return c;
	return NULL;
}

static enum winrm_result refused(struct winrm_session *s, const struct http1_response *resp)
{
	const char *name = winrm_auth_name(s->auth);
	char schemes[256];

	/* A service never offers Certificate in WWW-Authenticate (the
	 * certificate is asked for in the TLS handshake), so a 401 says only
	 * that this certificate did not map to an account. */
	if (s->auth == WINRM_AUTH_CERTIFICATE)
		return client_fail(
		    s, WINRM_E_AUTH,
		    "%s refused the client certificate: the service must allow Certificate "
		    "authentication (winrm set winrm/config/service/auth "
		    "@{Certificate=\"true\"}), trust the certificate's issuer, and map the "
		    "certificate to a local account (winrm/config/service/certmapping)",
		    s->host_header);
	offered(resp, schemes, sizeof(schemes));
	if (!challenge_for(resp, name))
		return client_fail(
		    s, WINRM_E_AUTH, "%s does not accept %s authentication%s: it offers %s. %s",
		    s->host_header, name, s->https ? "" : " over HTTP",
		    schemes[0] ? schemes : "no scheme at all",
		    s->auth == WINRM_AUTH_DIGEST
			? "A WinRM service never offers Digest; use -a:Basic or -a:Negotiate"
		    : s->auth == WINRM_AUTH_CREDSSP
			? "Use one of those with -a:, or allow CredSSP on the server: winrm set "
			  "winrm/config/service/auth '@{CredSSP=\"true\"}' (on Windows: "
			  "Enable-WSManCredSSP -Role Server)"
		    : s->https
			? "Use one of those with -a:, or on the server: winrm set "
			  "winrm/config/service/auth @{Basic=\"true\"}"
			: "Use HTTPS (-usessl), one of those schemes with -a:, or on the server: "
			  "winrm set winrm/config/service @{AllowUnencrypted=\"true\"} and "
			  "winrm set winrm/config/service/auth @{Basic=\"true\"}");
	/* A Kerberos ticket the KDC issued and the service refused: most
	 * often one for a name the service does not answer to, which no
	 * password can fix. */
	if (s->auth == WINRM_AUTH_KERBEROS && !s->password)
		return client_fail(
		    s, WINRM_E_AUTH,
		    "%s refused your Kerberos ticket for HTTP/%s: the service must answer to that "
		    "name (its keytab holding the key of HTTP/%s, and on an openwinrm service "
		    "Service/Auth/ServicePrincipalNames naming it: winrmd --check there lists "
		    "both; or connect with a name it answers to), and your account must be "
		    "allowed to connect (root, an administrators' group or the remote users' "
		    "group)",
		    s->host_header, s->host, s->host);
	/* NTLM verifies against keys the service holds: an openwinrm service
	 * has none for a local account until `winrm user set`, the one cause
	 * a right password cannot rule out. Kerberos from the ticket cache
	 * names no user. */
	/* Over HTTPS a GSSAPI logon is bound to the service's certificate:
	 * a proxy that ends TLS on the way shows the client another one, and
	 * the service refuses the logon whatever the password. */
	return client_fail(
	    s, WINRM_E_AUTH,
	    "%s rejected the credentials of %s (%s): check the user name and password, and "
	    "that the account may connect remotely (root, a member of an administrators' "
	    "group, or of the remote users' group)%s%s",
	    s->host_header, s->user ? s->user : "your Kerberos ticket", name,
	    s->auth == WINRM_AUTH_NEGOTIATE && s->mech == CLIENT_MECH_SPNEGO_NTLM
		? "; with NTLM an openwinrm service needs the account's key, which `winrm user set "
		  "NAME` (as root, on the service) gives it"
		: "",
	    s->https && s->auth != WINRM_AUTH_BASIC && s->auth != WINRM_AUTH_DIGEST
		? "; over HTTPS the logon is bound to the service's certificate (channel binding), "
		  "so a proxy that ends TLS between here and the service makes the service refuse "
		  "it: connect to the service itself"
		: "");
}

static enum winrm_result http_status(struct winrm_session *s, int status)
{
	switch (status) {
	case 400:
		return client_fail(s, WINRM_E_HTTP,
				   "%s answered 400 Bad Request: it could not read the request",
				   s->host_header);
	case 404:
		return client_fail(
		    s, WINRM_E_HTTP,
		    "%s has no WS-Management endpoint at %s (404): check the URL prefix "
		    "(winrm/config/client URLPrefix, /wsman by default)",
		    s->host_header, s->path);
	case 413:
		return client_fail(
		    s, WINRM_E_HTTP,
		    "the request was larger than %s accepts (413): see MaxEnvelopeSizekb in "
		    "winrm/config on the server",
		    s->host_header);
	case 503:
		return client_fail(s, WINRM_E_HTTP, "%s is busy (503): try again later",
				   s->host_header);
	default:
		return client_fail(s, WINRM_E_HTTP, "%s answered with HTTP status %d",
				   s->host_header, status);
	}
}

/* The whole request for envelope, with the credentials, in s->req; on a
 * connection authenticated by Negotiate or Kerberos, without them and
 * sealed (over HTTP). */
static enum winrm_result build_request(struct winrm_session *s, const struct buf *envelope,
				       int identify)
{
	struct buf authz, sealed;
	struct http1_header hdrs[3];
	size_t nh = 0;
	enum winrm_result r = WINRM_OK;
	enum err e;
	int seal = s->gss_ready && s->seal;

	buf_init(&authz, 8192);
	buf_init(&sealed, msgenc_tls_wrapped_max(buf_len(envelope)) + CLIENT_MAX_ENVELOPE);
	if (!s->gss_ready)
		r = authorization(s, identify, &authz);
	if (r == WINRM_OK && seal)
		r = client_gss_seal(s, envelope, &sealed);
	if (r != WINRM_OK) {
		buf_clear(&authz);
		buf_clear(&sealed);
		return r;
	}
	buf_terminate(&authz);
	hdrs[nh++] = (struct http1_header){"User-Agent", USER_AGENT};
	if (buf_len(&authz))
		hdrs[nh++] = (struct http1_header){"Authorization", (const char *)buf_ptr(&authz)};
	if (anonymous_identify(s, identify))
		hdrs[nh++] = (struct http1_header){"WSMANIDENTIFY", "unauthenticated"};
	buf_reset(&s->req);
	if (seal)
		e = http1_request_write(
		    &s->req, "POST", s->path, s->host_header, hdrs, nh,
		    msgenc_content_type(client_seal_protocol(s), buf_len(envelope)),
		    buf_ptr(&sealed), buf_len(&sealed));
	else
		e = http1_request_write(&s->req, "POST", s->path, s->host_header, hdrs, nh,
					CONTENT_TYPE_SOAP, buf_ptr(envelope), buf_len(envelope));
	buf_clear(&authz);
	buf_clear(&sealed);
	return e == ERR_OK ? WINRM_OK
			   : client_fail(s, WINRM_E_USAGE, "the request is too large to send");
}

/* The most legs of a handshake: SPNEGO with NTLM takes three; CredSSP
 * two or three of TLS, then the SPNEGO legs, pubKeyAuth and the
 * credentials. */
#define MAX_AUTH_LEGS 10

/* Authenticates the open connection with Negotiate, Kerberos or CredSSP,
 * as Windows does: the tokens travel on empty POSTs (so no message is
 * sent, or sent twice, in the clear), 401 with a token means another leg
 * on the same connection. For Negotiate and Kerberos the final 200
 * carries the server's last token, which must complete the context
 * (mutual authentication); for CredSSP the server proved itself with
 * pubKeyAuth before we sent the credentials, and the 200 answers them. */
static enum exchange gss_handshake(struct winrm_session *s, enum winrm_result *r)
{
	int credssp = s->auth == WINRM_AUTH_CREDSSP;
	const char *scheme = credssp			      ? "CredSSP"
			     : s->auth == WINRM_AUTH_KERBEROS ? "Kerberos"
							      : "Negotiate";
	struct buf authz;
	int complete = 0;
	enum exchange x = EX_FAILED;

	buf_init(&authz, credssp ? util_b64_encoded_len(CREDSSP_MAX_TSREQUEST + 1024) + 16
				 : HTTP1_MAX_CHALLENGE_BYTES);
	if ((*r = credssp ? client_credssp_begin(s, &authz) : client_gss_begin(s, &authz)) !=
	    WINRM_OK)
		goto out;
	for (int leg = 0; leg < MAX_AUTH_LEGS; leg++) {
		struct http1_header hdrs[] = {{"User-Agent", USER_AGENT},
					      {"Authorization", (const char *)buf_ptr(&authz)}};
		struct http1_response *resp;
		const char *token = NULL;

		buf_reset(&s->req);
		if (http1_request_write(&s->req, "POST", s->path, s->host_header, hdrs, 2,
					CONTENT_TYPE_SOAP, "", 0) != ERR_OK) {
			*r = client_fail(s, WINRM_E_AUTH, "the %s token does not fit in a request",
					 scheme);
			goto out;
		}
		if ((x = write_request(s, &s->req, r)) != EX_OK ||
		    (x = read_response(s, &resp, r)) != EX_OK)
			goto out;
		x = EX_FAILED;
		for (const char *c = http1_response_challenge(resp, NULL); c && !token;
		     c = http1_response_challenge(resp, c))
			if ((token = client_scheme_token(c, scheme)) && !*token)
				token = NULL;
		if (credssp) {
			/* CredSSP's tokens come in 401s only: the one after our
			 * TLS 1.3 Finished may bring nothing, the one after the
			 * credentials the reason they were refused. */
			if (resp->status != 401)
				token = NULL;
			else if (!token && s->credssp_stage == CLIENT_CREDSSP_TLS_ENDED)
				token = "";
		}
		if (resp->status == 401 && (!token || (complete && !credssp))) {
			*r = refused(s, resp);
			goto out;
		}
		if (resp->status != 401 && (resp->status < 200 || resp->status > 299)) {
			*r = http_status(s, resp->status);
			goto out;
		}
		if (token &&
		    (*r = credssp ? client_credssp_step(s, token, &authz, &complete)
				  : client_gss_step(s, token, &authz, &complete)) != WINRM_OK)
			goto out;
		if (resp->status == 401) {
			if (buf_len(&authz) == 0) {
				*r = client_fail(
				    s, WINRM_E_AUTH,
				    "%s asked for another %s leg, but GSSAPI has no token to send",
				    s->host_header, scheme);
				goto out;
			}
			if (s->fd < 0) {
				*r = client_fail(
				    s, WINRM_E_AUTH,
				    "%s closed the connection in the middle of %s authentication",
				    s->host_header, scheme);
				goto out;
			}
			continue;
		}
		if (!complete) {
			*r = client_fail(
			    s, WINRM_E_AUTH,
			    "%s accepted the %s authentication but did not prove its own identity "
			    "(no final token): refused, as it could be an impostor",
			    s->host_header, scheme);
			goto out;
		}
		if (s->fd < 0) {
			*r = client_fail(s, WINRM_E_AUTH,
					 "%s closed the connection right after %s authentication, "
					 "which binds to "
					 "the connection",
					 s->host_header, scheme);
			goto out;
		}
		s->gss_ready = 1;
		x = EX_OK;
		goto out;
	}
	*r = client_fail(s, WINRM_E_AUTH, "%s did not finish %s authentication in %d legs",
			 s->host_header, scheme, MAX_AUTH_LEGS);
out:
	buf_clear(&authz);
	return x;
}

/* A request sent ahead whose reply nobody asked for: read and dropped
 * before the connection carries anything else. */
static void drop_ahead(struct winrm_session *s)
{
	struct http1_response *resp;
	enum winrm_result r;

	if (s->ahead) {
		s->ahead = 0;
		if (read_response(s, &resp, &r) != EX_OK)
			client_disconnect(s);
	}
}

/* Sends the envelope, answering a Digest challenge once and retrying once
 * on a kept-alive connection the server had closed. With ahead set, the
 * request was already written by client_send_ahead: its reply is read
 * first, and the envelope sent again only if that went wrong. */
static enum winrm_result post(struct winrm_session *s, const struct buf *envelope, int identify,
			      int ahead, struct http1_response **resp)
{
	int digest_tries = 0, reconnects = 0, reauthentications = 0, gss = is_gss(s->auth);

	/* An unauthenticated Identify does not go on a sealed connection. */
	if (!gss && s->gss_ready && !ahead)
		client_disconnect(s);
	for (int attempt = 0; attempt < 5; attempt++) {
		enum winrm_result r;
		enum exchange x = EX_OK;
		int fresh = s->fd < 0, was_ready = s->gss_ready;

		if (ahead) {
			fresh = 0;
			ahead = 0;
			x = read_response(s, resp, &r);
		} else {
			if ((r = connect_session(s)) != WINRM_OK)
				return r;
			if (gss && !s->gss_ready)
				x = gss_handshake(s, &r);
			if (x == EX_OK && (r = build_request(s, envelope, identify)) != WINRM_OK)
				return r;
			if (x == EX_OK)
				x = write_request(s, &s->req, &r);
			if (x == EX_OK)
				x = read_response(s, resp, &r);
		}
		switch (x) {
		case EX_FAILED:
			return r;
		case EX_RETRY:
			/* A kept-alive connection the server had closed gets one
			 * more try on a new one; a fresh connection that closes at
			 * once is a refusal. */
			if (!fresh && reconnects++ == 0)
				continue;
			if (s->auth == WINRM_AUTH_CERTIFICATE)
				return certificate_refused(s, s->tls_alert);
			return client_fail(s, WINRM_E_CONNECT,
					   "%s closed the connection without a reply",
					   s->host_header);
		case EX_OK:
			break;
		}
		if ((*resp)->status != 401)
			return WINRM_OK;
		/* The server forgot the connection's context (it restarted, or
		 * the connection was another's): once more from scratch. */
		if (gss && was_ready && reauthentications++ == 0) {
			client_disconnect(s);
			continue;
		}
		const char *ch;
		int stale = 0;
		if (s->auth == WINRM_AUTH_DIGEST && (ch = challenge_for(*resp, "Digest")) &&
		    digest_challenge(&s->digest, ch, &stale) == ERR_OK &&
		    (digest_tries++ == 0 || stale))
			continue;
		return refused(s, *resp);
	}
	return client_fail(s, WINRM_E_AUTH, "%s kept asking for authentication", s->host_header);
}

int client_send_ahead(struct winrm_session *s, const struct buf *envelope)
{
	enum winrm_result r;

	if (s->fd < 0 || s->ahead || (is_gss(s->auth) && !s->gss_ready) ||
	    build_request(s, envelope, 0) != WINRM_OK)
		return 0;
	if (write_request(s, &s->req, &r) != EX_OK)
		return 0;
	s->ahead = 1;
	return 1;
}

enum winrm_result client_post_raw(struct winrm_session *s, const struct buf *envelope, int identify,
				  struct buf *body)
{
	struct http1_response *resp;
	enum winrm_result r;

	drop_ahead(s);
	if ((r = post(s, envelope, identify, 0, &resp)) != WINRM_OK)
		return r;
	if (resp->status != 200)
		return http_status(s, resp->status);
	return buf_put(body, buf_ptr(&resp->body), buf_len(&resp->body)) == ERR_OK
		   ? WINRM_OK
		   : client_fail(s, WINRM_E_NOMEM, "out of memory");
}

enum winrm_result client_built(struct winrm_session *s, enum err built)
{
	switch (built) {
	case ERR_OK:
		return WINRM_OK;
	case ERR_FORMAT:
		return client_fail(
		    s, WINRM_E_USAGE,
		    "text in the request (a command line, variable, directory, URI or selector) "
		    "is not UTF-8, which WinRM's XML cannot carry");
	case ERR_LIMIT:
		return client_fail(s, WINRM_E_USAGE,
				   "the request is larger than an envelope may be");
	default:
		return client_fail(s, WINRM_E_NOMEM, "out of memory");
	}
}

enum winrm_result client_post_built(struct winrm_session *s, struct buf *envelope, enum err built,
				    struct wsman_request *resp)
{
	enum winrm_result r = client_built(s, built);

	if (r == WINRM_OK)
		r = client_post(s, envelope, resp);
	buf_clear(envelope);
	return r;
}

enum winrm_result client_post(struct winrm_session *s, const struct buf *envelope,
			      struct wsman_request *out)
{
	return client_post_then(s, envelope, 0, NULL, NULL, out);
}

enum winrm_result client_post_then(struct winrm_session *s, const struct buf *envelope, int ahead,
				   client_body_fn *then, void *arg, struct wsman_request *out)
{
	struct http1_response *resp;
	struct wsman_client_fault f;
	enum winrm_result r;

	if (!ahead)
		drop_ahead(s);
	ahead = ahead && s->ahead;
	s->ahead = 0;
	r = post(s, envelope, 0, ahead, &resp);
	s->fault_code = 0;
	memset(out, 0, sizeof(*out));
	if (r != WINRM_OK)
		return r;
	if (resp->status == 200 && then)
		then(s, &resp->body, arg);
	if (resp->status != 200 && resp->status != 500 && resp->status != 400)
		return http_status(s, resp->status);
	if (wsman_parse(buf_ptr(&resp->body), buf_len(&resp->body), out) != ERR_OK) {
		wsman_request_clear(out);
		return resp->status == 200
			   ? client_fail(s, WINRM_E_PROTOCOL,
					 "%s sent a reply that is not a SOAP envelope",
					 s->host_header)
			   : http_status(s, resp->status);
	}
	if (resp->status == 200)
		return WINRM_OK;
	r = WINRM_E_PROTOCOL;
	if (wsman_client_fault(out, &f) == ERR_OK) {
		s->fault_code = f.code;
		r = f.code == WSMAN_CODE_TIMED_OUT || strcmp(f.subcode, "TimedOut") == 0
			? WINRM_E_TIMEOUT
			: WINRM_E_FAULT;
		client_fail(s, r, "%s%s(WSManFault %s, code %u)", f.message,
			    f.message[0] ? " " : "", f.subcode[0] ? f.subcode : "fault", f.code);
	} else {
		http_status(s, resp->status);
		r = WINRM_E_HTTP;
	}
	wsman_request_clear(out);
	return r;
}
