/* diagnose: `winrm diagnose -r:TARGET [-u: -p: -a: ...]`, why a connection
 * to a WinRM service fails. The most common WinRM complaint is a bare
 * "401" or "the credentials were rejected" where the cause is a name, a
 * port, a certificate, a scheme the service does not offer, a client rule,
 * a Kerberos name or a clock. Each step prints one line, what it found,
 * and, when it fails, what to change; the steps that a failure makes
 * pointless are not run. Exit status 0 when every step passed. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cli/winrm_cli.h"
#include "common/steps.h"
#include "common/util.h"
#include "common/x509_names.h"
#include "http/http1.h"

#define STEP_TIMEOUT_MS 5000
/* Kerberos' default tolerance (krb5.conf clockskew), which Windows'
 * domain policy also uses: five minutes. */
#define CLOCK_TOLERANCE_S 300
#define CERT_EXPIRY_WARNING_DAYS 30
#define PROBE_MAX_RESPONSE (64 * 1024)

/* What the steps learn, for the steps after them. */
struct diag {
	const struct remote *r;
	char url[512];
	int https;
	char host[256];
	char port[8];
	char path[256];
	struct addrinfo *addrs;
	const struct addrinfo *reached; /* the address TCP reached */
	char offered[256];		/* the schemes of the 401, "Negotiate, Basic" */
	int kerberos_ticket;		/* the KDC gave one for HTTP/host */
	long clock_offset_s;		/* the service's Date minus ours */
	int have_clock;
	struct steps steps;
};

/* scheme://host:port/path, as winrm_target_url writes it. */
static int split_url(struct diag *d)
{
	const char *p = d->url, *host_end, *path;

	d->https = strncmp(p, "https://", 8) == 0;
	p += d->https ? 8 : 7;
	path = p + strcspn(p, "/");
	if (*p == '[') {
		host_end = memchr(p, ']', (size_t)(path - p));
		if (!host_end)
			return -1;
		snprintf(d->host, sizeof(d->host), "%.*s", (int)(host_end - p - 1), p + 1);
		p = host_end + 1;
	} else {
		host_end = memchr(p, ':', (size_t)(path - p));
		if (!host_end)
			return -1;
		snprintf(d->host, sizeof(d->host), "%.*s", (int)(host_end - p), p);
		p = host_end;
	}
	if (*p != ':')
		return -1;
	snprintf(d->port, sizeof(d->port), "%.*s", (int)(path - p - 1), p + 1);
	snprintf(d->path, sizeof(d->path), "%s", path);
	return 0;
}

static const char *address_text(const struct addrinfo *a, char *out, size_t len)
{
	if (getnameinfo(a->ai_addr, a->ai_addrlen, out, (socklen_t)len, NULL, 0, NI_NUMERICHOST))
		snprintf(out, len, "?");
	return out;
}

static int step_name(struct diag *d)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *a;
	char addr[INET6_ADDRSTRLEN], back[NI_MAXHOST], list[512] = "";
	int rc = getaddrinfo(d->host, d->port, &hints, &d->addrs);

	if (rc != 0) {
		steps_report(
		    &d->steps, "FAIL", "name",
		    "check the name for a typo, then DNS (/etc/resolv.conf) or /etc/hosts; or give "
		    "the service's address (-r:https://ADDRESS:5986; Kerberos then needs the name)",
		    "%s does not resolve: %s", d->host, gai_strerror(rc));
		return -1;
	}
	for (a = d->addrs; a; a = a->ai_next) {
		size_t n = strlen(list);
		snprintf(list + n, sizeof(list) - n, "%s%s", n ? ", " : "",
			 address_text(a, addr, sizeof(addr)));
	}
	if (getnameinfo(d->addrs->ai_addr, d->addrs->ai_addrlen, back, sizeof(back), NULL, 0,
			NI_NAMEREQD) != 0)
		snprintf(back, sizeof(back), "no name");
	steps_report(&d->steps, "ok", "name", NULL, "%s is %s (reverse of the first: %s)", d->host,
		     list, back);
	return 0;
}

/* A socket connected to a within the step's time, or -1 with errno. */
static int connect_within(const struct addrinfo *a)
{
	int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int err = 0;
	socklen_t len = sizeof(err);

	if (fd < 0)
		return -1;
	if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
		return fd;
	if (errno == EINPROGRESS) {
		int n = poll(&p, 1, STEP_TIMEOUT_MS);
		if (n == 0)
			err = ETIMEDOUT;
		else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err == 0)
			return fd;
	} else {
		err = errno;
	}
	close(fd);
	errno = err;
	return -1;
}

static int step_tcp(struct diag *d)
{
	char addr[INET6_ADDRSTRLEN], fix[512];
	int fd = -1, err = 0;

	for (const struct addrinfo *a = d->addrs; a && fd < 0; a = a->ai_next) {
		if ((fd = connect_within(a)) >= 0)
			d->reached = a;
		else
			err = errno;
	}
	if (fd >= 0) {
		close(fd);
		steps_report(&d->steps, "ok", "tcp", NULL, "%s port %s accepts connections",
			     address_text(d->reached, addr, sizeof(addr)), d->port);
		return 0;
	}
	snprintf(
	    fix, sizeof(fix),
	    err == ECONNREFUSED
		? "nothing listens there: on the service, start winrmd and check its listeners "
		  "(winrm enumerate winrm/config/listener; winrm quickconfig%s makes one); or "
		  "give the port the service uses (-r:%s://%s:PORT)"
		: "a firewall between here and the service may drop the connection: allow TCP "
		  "port %s%s, or check the address",
	    err == ECONNREFUSED ? (d->https ? " -transport:https" : "") : d->port,
	    err == ECONNREFUSED ? (d->https ? "https" : "http") : "",
	    err == ECONNREFUSED ? d->host : "");
	steps_report(&d->steps, "FAIL", "tcp", fix, "%s port %s: %s", d->host, d->port,
		     strerror(err));
	return -1;
}

static SSL_CTX *tls_context(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx) {
		SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
		SSL_CTX_set_default_verify_paths(ctx);
		/* The verdict is read after the handshake, to say why. */
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	return ctx;
}

/* A connection for the probes: TLS on HTTPS (*ssl set), else plain. */
static int probe_connect(const struct diag *d, SSL_CTX *ctx, SSL **ssl)
{
	int fd = connect_within(d->reached);

	struct timeval tv = {STEP_TIMEOUT_MS / 1000, 0};

	*ssl = NULL;
	if (fd < 0)
		return fd;
	/* Blocking, each read and write within the step's time. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (!ctx)
		return fd;
	if (!(*ssl = SSL_new(ctx)) || !SSL_set_fd(*ssl, fd)) {
		SSL_free(*ssl);
		*ssl = NULL;
		close(fd);
		return -1;
	}
	if (!util_text_is_ip(d->host))
		SSL_set_tlsext_host_name(*ssl, d->host);
	X509_VERIFY_PARAM *param = SSL_get0_param(*ssl);
	if (util_text_is_ip(d->host))
		X509_VERIFY_PARAM_set1_ip_asc(param, d->host);
	else
		X509_VERIFY_PARAM_set1_host(param, d->host, 0);
	if (SSL_connect(*ssl) != 1) {
		SSL_free(*ssl);
		*ssl = NULL;
		close(fd);
		return -1;
	}
	return fd;
}

static void probe_close(int fd, SSL *ssl)
{
	if (ssl) {
		SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	if (fd >= 0)
		close(fd);
}

static int step_tls(struct diag *d, SSL_CTX *ctx)
{
	unsigned flags = d->r->session.flags;
	char names[512], fix[768];
	SSL *ssl;
	int fd = probe_connect(d, ctx, &ssl);
	X509 *cert;
	long verdict;
	int days = 0, secs = 0;

	if (fd < 0) {
		steps_report(
		    &d->steps, "FAIL", "tls",
		    "the port may be an HTTP listener: use http:// (port 5985 by default), or "
		    "check the service's HTTPS listener (winrm enumerate winrm/config/listener)",
		    "no TLS handshake with %s port %s: %s", d->host, d->port,
		    ERR_reason_error_string(ERR_peek_last_error())
			?: "the service closed the connection");
		ERR_clear_error();
		return -1;
	}
	cert = SSL_get1_peer_certificate(ssl);
	verdict = SSL_get_verify_result(ssl);
	probe_close(fd, ssl);
	if (!cert) {
		steps_report(&d->steps, "FAIL", "tls", NULL, "the service sent no certificate");
		return -1;
	}
	x509_names(cert, names, sizeof(names));
	if (!names[0])
		snprintf(names, sizeof(names), "no name");
	ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert));
	X509_free(cert);
	switch (verdict) {
	case X509_V_OK:
		if (days < CERT_EXPIRY_WARNING_DAYS)
			steps_report(
			    &d->steps, "warn", "tls",
			    "renew the certificate and name the new one in the HTTPS listener "
			    "(winrm set winrm/config/Listener?Address=*+Transport=HTTPS "
			    "@{CertificateThumbprint=\"...\"})",
			    "trusted certificate for %s, expiring in %d days", names, days);
		else
			steps_report(&d->steps, "ok", "tls", NULL,
				     "trusted certificate for %s, valid %d more days", names, days);
		return 0;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		steps_report(
		    &d->steps, "FAIL", "tls",
		    "renew the service's certificate (winrm quickconfig -transport:https makes a "
		    "self-signed one; a CA's is better) and name it in the HTTPS listener",
		    "the certificate for %s expired %d days ago", names, -days);
		return -1;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		snprintf(
		    fix, sizeof(fix),
		    "connect with a name the certificate holds (-r:https://NAME:%s), or give the "
		    "service a certificate for %s; -skipCNcheck skips this check (testing only)",
		    d->port, d->host);
		steps_report(&d->steps, (flags & WINRM_FLAG_SKIP_CN_CHECK) ? "warn" : "FAIL", "tls",
			     fix, "the certificate names %s, not %s%s", names, d->host,
			     (flags & WINRM_FLAG_SKIP_CN_CHECK) ? " (skipped by -skipCNcheck)"
								: "");
		return 0;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		steps_report(
		    &d->steps, (flags & WINRM_FLAG_SKIP_CA_CHECK) ? "warn" : "FAIL", "tls",
		    "trust the CA that signed it: copy its certificate to "
		    "/usr/local/share/ca-certificates/NAME.crt and run update-ca-certificates (or "
		    "name it in SSL_CERT_FILE); -skipCAcheck skips this check (testing only)",
		    "the certificate for %s is not signed by a CA this machine trusts (%s)%s",
		    names, X509_verify_cert_error_string(verdict),
		    (flags & WINRM_FLAG_SKIP_CA_CHECK) ? " (skipped by -skipCAcheck)" : "");
		return 0;
	default:
		steps_report(&d->steps, "FAIL", "tls", NULL,
			     "the certificate for %s is refused: %s", names,
			     X509_verify_cert_error_string(verdict));
		return -1;
	}
}

/* POSTs body, with extra_header ("Name: value\r\n" or ""), over a new
 * probe connection and reads the response: its parsed form in *resp (the
 * caller frees the parser), its Date header into date. */
static int probe_exchange(const struct diag *d, SSL_CTX *ctx, const char *extra_header,
			  const char *body, struct http1_response_parser **parser,
			  struct http1_response **resp, char *date, size_t date_len)
{
	char head[1024];
	uint8_t in[16384];
	SSL *ssl;
	int fd = probe_connect(d, ctx, &ssl), n, ok = 0;
	size_t blen = strlen(body), used;
	int v6 = strchr(d->host, ':') != NULL;

	*resp = NULL;
	date[0] = 0;
	if (fd < 0 || !(*parser = http1_response_parser_new(PROBE_MAX_RESPONSE))) {
		probe_close(fd, ssl);
		return -1;
	}
	n = snprintf(head, sizeof(head),
		     "POST %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: Microsoft WinRM Client\r\n"
		     "Content-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n%s\r\n",
		     d->path, v6 ? "[" : "", d->host, v6 ? "]" : "", d->port, blen, extra_header);
	if ((ssl ? SSL_write(ssl, head, n) : (int)write(fd, head, (size_t)n)) != n ||
	    (blen &&
	     (ssl ? SSL_write(ssl, body, (int)blen) : (int)write(fd, body, blen)) != (int)blen)) {
		probe_close(fd, ssl);
		return -1;
	}
	for (int rounds = 0; rounds < 1000 && !*resp; rounds++) {
		n = ssl ? SSL_read(ssl, in, sizeof(in)) : (int)read(fd, in, sizeof(in));
		if (n <= 0) {
			http1_response_eof(*parser, resp);
			break;
		}
		/* The Date header, for the clock step: the parser keeps no copy. */
		const uint8_t *at = memmem(in, (size_t)n, "\r\nDate: ", 8);
		if (at && !date[0]) {
			const uint8_t *end = memchr(at + 8, '\r', (size_t)(in + n - at - 8));
			if (end)
				snprintf(date, date_len, "%.*s", (int)(end - at - 8), at + 8);
		}
		if (http1_response_parse(*parser, in, (size_t)n, &used, resp) != ERR_INCOMPLETE &&
		    !*resp)
			break;
	}
	ok = *resp != NULL;
	probe_close(fd, ssl);
	return ok ? 0 : -1;
}

static const char IDENTIFY[] =
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
    "xmlns:wsmid=\"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd\">"
    "<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>";

/* The text of <name>...</name> (any prefix) in xml, or "?". */
static const char *element_text(const struct buf *xml, const char *name, char *out, size_t len)
{
	char open[64];
	const char *b = (const char *)buf_ptr(xml), *end = b + buf_len(xml), *p;

	snprintf(open, sizeof(open), ":%s>", name);
	snprintf(out, len, "?");
	if ((p = memmem(b, (size_t)(end - b), open, strlen(open)))) {
		p += strlen(open);
		const char *q = memchr(p, '<', (size_t)(end - p));
		if (q)
			snprintf(out, len, "%.*s", (int)(q - p), p);
	}
	return out;
}

static int step_identify(struct diag *d, SSL_CTX *ctx)
{
	struct http1_response_parser *parser = NULL;
	struct http1_response *resp;
	char date[64], vendor[128], version[128];
	int rc = -1;

	/* MS-WSMV 3.1.4.1.23: this header asks for an answer without a
	 * logon, which Windows gives and the service's product names. */
	if (probe_exchange(d, ctx, "WSMANIDENTIFY: unauthenticated\r\n", IDENTIFY, &parser, &resp,
			   date, sizeof(date)) != 0) {
		steps_report(&d->steps, "FAIL", "identify", NULL,
			     "no HTTP reply to an Identify on %s", d->url);
	} else if (resp->status == 404) {
		steps_report(
		    &d->steps, "FAIL", "identify",
		    "use the service's URL prefix (-r:SCHEME://HOST:PORT/wsman; the client's "
		    "winrm/config/client URLPrefix)",
		    "%s answers 404: no WS-Management service at %s", d->host, d->path);
	} else if (resp->status == 200) {
		steps_report(&d->steps, "ok", "identify", NULL, "%s %s at %s",
			     element_text(&resp->body, "ProductVendor", vendor, sizeof(vendor)),
			     element_text(&resp->body, "ProductVersion", version, sizeof(version)),
			     d->url);
		rc = 0;
	} else {
		/* Windows answers an unauthenticated Identify only when asked
		 * to; 401 here is no failure. */
		steps_report(&d->steps, "ok", "identify", NULL,
			     "a WS-Management service at %s (HTTP %d to an anonymous Identify)",
			     d->url, resp->status);
		rc = 0;
	}
	if (date[0]) {
		struct tm tm = {0};
		const char *end = strptime(date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		if (end && !*end) {
			d->clock_offset_s = (long)(timegm(&tm) - time(NULL));
			d->have_clock = 1;
		}
	}
	http1_response_parser_free(parser);
	return rc;
}

static int step_schemes(struct diag *d, SSL_CTX *ctx, enum winrm_auth asked)
{
	struct http1_response_parser *parser = NULL;
	struct http1_response *resp;
	char date[64], fix[512];
	const char *name = winrm_auth_name(asked);
	int rc = -1;

	if (probe_exchange(d, ctx, "", "", &parser, &resp, date, sizeof(date)) != 0) {
		steps_report(&d->steps, "FAIL", "schemes", NULL,
			     "no HTTP reply to a request without credentials");
		http1_response_parser_free(parser);
		return -1;
	}
	for (const char *ch = NULL; (ch = http1_response_challenge(resp, ch));) {
		size_t n = strlen(d->offered);
		snprintf(d->offered + n, sizeof(d->offered) - n, "%s%.*s", n ? ", " : "",
			 (int)strcspn(ch, " "), ch);
	}
	if (resp->status != 401 || !d->offered[0]) {
		steps_report(&d->steps, "FAIL", "schemes", NULL,
			     "the service answered HTTP %d, not 401 with its schemes",
			     resp->status);
	} else if (asked == WINRM_AUTH_DEFAULT || asked == WINRM_AUTH_NONE ||
		   asked == WINRM_AUTH_CERTIFICATE) {
		/* Certificate authentication is not in the 401's list. */
		steps_report(&d->steps, "ok", "schemes", NULL, "the service offers %s", d->offered);
		rc = 0;
	} else {
		int found = 0;
		for (const char *p = d->offered; *p && !found;) {
			size_t n = strcspn(p, ",");
			found = n == strlen(name) && strncasecmp(p, name, n) == 0;
			p += n;
			p += strspn(p, ", ");
		}
		snprintf(fix, sizeof(fix),
			 "ask for one it offers (-a:%.*s), or enable %s on the service: winrm set "
			 "winrm/config/service/auth @{%s=\"true\"}%s",
			 (int)strcspn(d->offered, ","), d->offered, name, name,
			 asked == WINRM_AUTH_BASIC && !d->https
			     ? " (over HTTP a service offers Basic only with AllowUnencrypted)"
			     : "");
		if (found)
			steps_report(&d->steps, "ok", "schemes", NULL,
				     "the service offers %s (%s asked for)", d->offered, name);
		else
			steps_report(&d->steps, "FAIL", "schemes", fix,
				     "the service offers %s, not %s", d->offered, name);
		rc = found ? 0 : -1;
	}
	http1_response_parser_free(parser);
	return rc;
}

static void step_clock(struct diag *d)
{
	long off = d->clock_offset_s;

	if (!d->have_clock)
		steps_report(&d->steps, "warn", "clock", NULL,
			     "the service sent no Date: its clock is unknown");
	else if (off > CLOCK_TOLERANCE_S || off < -CLOCK_TOLERANCE_S)
		steps_report(
		    &d->steps, "FAIL", "clock",
		    "set both clocks right (NTP: systemd-timesyncd or chrony); Kerberos refuses "
		    "a difference over 5 minutes",
		    "the service's clock is %ld s %s this machine's", off < 0 ? -off : off,
		    off < 0 ? "behind" : "ahead of");
	else
		steps_report(&d->steps, "ok", "clock", NULL,
			     "the service's clock is within %ld s of ours", off < 0 ? -off : off);
}

/* The user's Kerberos credentials: from the password given, else the
 * ticket cache (GSS_C_NO_CREDENTIAL). */
static OM_uint32 kerberos_credentials(const struct remote *r, gss_cred_id_t *cred, OM_uint32 *minor)
{
	gss_OID_set_desc krb5 = {1, (gss_OID)gss_mech_krb5};
	gss_buffer_desc name_buf, password;
	gss_name_t user = GSS_C_NO_NAME;
	OM_uint32 major, ignored;

	*cred = GSS_C_NO_CREDENTIAL;
	if (!r->session.user || !r->session.password)
		return GSS_S_COMPLETE;
	name_buf.value = (void *)r->session.user;
	name_buf.length = strlen(r->session.user);
	password.value = (void *)r->session.password;
	password.length = strlen(r->session.password);
	major = gss_import_name(minor, &name_buf, GSS_C_NT_USER_NAME, &user);
	if (!GSS_ERROR(major))
		major = gss_acquire_cred_with_password(minor, user, &password, GSS_C_INDEFINITE,
						       &krb5, GSS_C_INITIATE, cred, NULL, NULL);
	gss_release_name(&ignored, &user);
	return major;
}

/* Kerberos: whether the KDC gives a ticket for HTTP/host, the name the
 * client asks for. */
static void step_kerberos(struct diag *d)
{
	OM_uint32 major, minor, ignored;
	gss_buffer_desc name_buf, out = GSS_C_EMPTY_BUFFER, msg = GSS_C_EMPTY_BUFFER;
	gss_name_t target = GSS_C_NO_NAME;
	gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
	gss_cred_id_t cred;
	char spn[300], why[512] = "", fix[768];
	OM_uint32 more = 0;

	snprintf(spn, sizeof(spn), "HTTP@%s", d->host);
	name_buf.value = spn;
	name_buf.length = strlen(spn);
	major = kerberos_credentials(d->r, &cred, &minor);
	if (!GSS_ERROR(major))
		major = gss_import_name(&minor, &name_buf, GSS_C_NT_HOSTBASED_SERVICE, &target);
	if (!GSS_ERROR(major))
		major = gss_init_sec_context(&minor, cred, &ctx, target, (gss_OID)gss_mech_krb5,
					     GSS_C_MUTUAL_FLAG, 0, NULL, GSS_C_NO_BUFFER, NULL,
					     &out, NULL, NULL);
	if (!GSS_ERROR(major)) {
		d->kerberos_ticket = 1;
		steps_report(&d->steps, "ok", "kerberos", NULL, "the KDC gave a ticket for HTTP/%s",
			     d->host);
	} else {
		gss_display_status(&ignored, minor, GSS_C_MECH_CODE, (gss_OID)gss_mech_krb5, &more,
				   &msg);
		snprintf(why, sizeof(why), "%.*s", (int)msg.length, (const char *)msg.value);
		if (strstr(why, "not found in Kerberos database"))
			snprintf(
			    fix, sizeof(fix),
			    "the KDC has no HTTP/%s: register the service under that name (kadmin: "
			    "addprinc -randkey HTTP/%s, then put its key in the service's keytab), "
			    "or connect with a name it has (the service's ServicePrincipalNames)",
			    d->host, d->host);
		else if (strstr(why, "credentials cache") ||
			 strstr(why, "No Kerberos credentials") || strstr(why, "ccache"))
			snprintf(fix, sizeof(fix),
				 "get a ticket first (kinit USER@REALM), or give -u:USER@REALM "
				 "-p:PASSWORD");
		else if (strstr(why, "Preauthentication failed") ||
			 strstr(why, "Password incorrect"))
			snprintf(fix, sizeof(fix), "the KDC refused the password of %s: check it",
				 d->r->session.user ? d->r->session.user : "the user");
		else if (strstr(why, "skew"))
			snprintf(fix, sizeof(fix),
				 "set the clocks right (NTP) on this machine, the "
				 "KDC and the service");
		else
			snprintf(fix, sizeof(fix), "check /etc/krb5.conf's realm and KDC for %s",
				 d->host);
		steps_report(&d->steps, "FAIL", "kerberos", fix, "no ticket for HTTP/%s: %s",
			     d->host, why);
	}
	gss_release_buffer(&ignored, &msg);
	gss_release_buffer(&ignored, &out);
	gss_delete_sec_context(&ignored, &ctx, GSS_C_NO_BUFFER);
	gss_release_name(&ignored, &target);
	gss_release_cred(&ignored, &cred);
}

/* NTLM (Negotiate with a password, off a Kerberos realm): the name form
 * decides the domain the service looks the account up in. */
static void step_ntlm(struct diag *d, const char *user)
{
	const char *backslash = strchr(user, '\\'), *at = strchr(user, '@');
	char domain[256] = "", name[256];

	if (backslash) {
		snprintf(domain, sizeof(domain), "%.*s", (int)(backslash - user), user);
		snprintf(name, sizeof(name), "%s", backslash + 1);
	} else if (at) {
		snprintf(name, sizeof(name), "%.*s", (int)(at - user), user);
		snprintf(domain, sizeof(domain), "%s", at + 1);
	} else {
		snprintf(name, sizeof(name), "%s", user);
	}
	if (!domain[0] || strcmp(domain, ".") == 0)
		steps_report(&d->steps, "ok", "ntlm", NULL,
			     "NTLM for the local account %s of the service (an openwinrm "
			     "service verifies it with the key `winrm user set %s` gave it)",
			     name, name);
	else
		steps_report(&d->steps, "warn", "ntlm",
			     "for a local account of the service, give the name alone (-u:NAME or "
			     "-u:.\\NAME); a domain account needs the service in that domain "
			     "(winbind, Service/Auth/NtlmWinbind)",
			     "NTLM for %s in the domain %s", name, domain);
}

/* Why the service refused the logon, in the words a person acts on. */
static const char *logon_fix(const struct diag *d, enum winrm_result r, char *out, size_t len)
{
	if (r == WINRM_E_AUTH && d->kerberos_ticket)
		snprintf(out, len,
			 "the KDC gave a ticket for HTTP/%s but the service refused it: it does "
			 "not answer to that name, or lacks its key (on the service: HTTP/%s in "
			 "Service/Auth/ServicePrincipalNames and its key in the keytab, "
			 "Service/Auth/Keytab), or the account may not connect (the service's log "
			 "says which)",
			 d->host, d->host);
	else if (r == WINRM_E_AUTH)
		snprintf(
		    out, len,
		    "check the user name and password (a local account as USER, a domain "
		    "one as USER@REALM or DOMAIN\\USER); the account must be in the service's "
		    "allowed groups (root, the administrators' groups, the remote users' "
		    "group); on an openwinrm service, Negotiate (NTLM) needs the account's key: "
		    "run winrm user set USER there, or use -a:Basic over HTTPS%s",
		    strstr(d->offered, "Basic") ? "" : " once Basic is enabled");
	else if (r == WINRM_E_TLS)
		snprintf(out, len, "see the tls step");
	else
		snprintf(out, len, "the service's log says more (journalctl -u winrmd)");
	return out;
}

/* The logon, and `hostname` in a cmd shell, through libwinrm as winrs. */
static void step_logon_and_command(struct diag *d, struct winrm_session *s)
{
	static const char *const hostname[] = {"hostname"};
	struct winrm_shell_options shell = {0};
	char *xml = NULL, fix[1280], shell_id[WINRM_ID_LEN + 1] = "", command_id[WINRM_ID_LEN + 1];
	const char *scheme = winrm_auth_name(winrm_session_auth(s));
	enum winrm_result r = winrm_identify(s, &xml);

	free(xml);
	if (r != WINRM_OK) {
		steps_report(&d->steps, "FAIL", "logon", logon_fix(d, r, fix, sizeof(fix)),
			     "%s authentication failed: %s", scheme, winrm_error(s));
		return;
	}
	steps_report(&d->steps, "ok", "logon", NULL, "logged on with %s", scheme);
	if ((r = winrm_shell_create(s, &shell, shell_id)) != WINRM_OK ||
	    (r = winrm_shell_command(s, shell_id, hostname, 1, 0, command_id)) != WINRM_OK)
		steps_report(&d->steps, "FAIL", "command",
			     "the account may not run commands there: the service's Winrs settings "
			     "(AllowRemoteShellAccess, MaxShellsPerUser) and its log say why",
			     "a shell or command was refused: %s", winrm_error(s));
	else
		steps_report(&d->steps, "ok", "command", NULL, "ran hostname in a cmd shell");
	if (shell_id[0])
		winrm_shell_delete(s, shell_id);
}

int diagnose(const struct remote *r)
{
	struct diag d = {.r = r};
	char err[512];
	struct winrm_session *s = NULL;
	SSL_CTX *ctx = NULL;
	enum winrm_result rules;

	if (!r->session.target)
		return complain("diagnose needs a target: winrm diagnose -r:HOST|URL");
	if (winrm_target_url(&r->session, d.url, sizeof(d.url), err, sizeof(err)) != WINRM_OK)
		return complain("%s", err);
	if (split_url(&d) != 0)
		return complain("cannot read the URL %s", d.url);
	printf("diagnosing %s\n", d.url);
	rules = cli_session_new(&r->session, &r->certificate, &s, err, sizeof(err));
	if (step_name(&d) != 0 || step_tcp(&d) != 0)
		goto done;
	if (d.https && (!(ctx = tls_context()) || step_tls(&d, ctx) != 0))
		goto done;
	if (step_identify(&d, ctx) != 0)
		goto done;
	step_clock(&d);
	step_schemes(&d, ctx, s ? winrm_session_auth(s) : r->session.auth);
	if (rules != WINRM_OK) {
		steps_report(&d.steps, "FAIL", "rules", NULL,
			     "the client's own rules refuse it: %s", err);
		goto done;
	}
	steps_report(&d.steps, "ok", "rules", NULL, "the client's rules allow %s to %s",
		     winrm_auth_name(winrm_session_auth(s)), d.url);
	/* Kerberos: asked for, or Negotiate's choice with the ticket cache. */
	if (winrm_session_auth(s) == WINRM_AUTH_KERBEROS ||
	    (winrm_session_auth(s) == WINRM_AUTH_NEGOTIATE && !r->session.user &&
	     !util_text_is_ip(d.host)))
		step_kerberos(&d);
	else if (winrm_session_auth(s) == WINRM_AUTH_NEGOTIATE && r->session.user)
		step_ntlm(&d, r->session.user);
	step_logon_and_command(&d, s);
done:
	SSL_CTX_free(ctx);
	winrm_session_free(s);
	if (d.addrs)
		freeaddrinfo(d.addrs);
	printf("%s\n", d.steps.failures ? "diagnosis: see the FAIL lines above"
					: "diagnosis: every step passed");
	return d.steps.failures ? 1 : 0;
}
