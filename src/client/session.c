/* session: a session's endpoint, credentials and the client-side rules
 * of Windows' WinRM client, checked once when the session is made. */
#include "client/client_int.h"

#include <arpa/inet.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <krb5.h>
#include <openssl/crypto.h>

#include "common/util.h"

#define DEFAULT_TIMEOUT_MS 60000

static const char *const auth_names[] = {
    [WINRM_AUTH_DEFAULT] = "Default",	[WINRM_AUTH_BASIC] = "Basic",
    [WINRM_AUTH_DIGEST] = "Digest",	[WINRM_AUTH_NEGOTIATE] = "Negotiate",
    [WINRM_AUTH_KERBEROS] = "Kerberos", [WINRM_AUTH_CERTIFICATE] = "Certificate",
    [WINRM_AUTH_CREDSSP] = "CredSSP",	[WINRM_AUTH_NONE] = "None",
};

const char *winrm_auth_name(enum winrm_auth a)
{
	return (unsigned)a < sizeof(auth_names) / sizeof(auth_names[0]) ? auth_names[a] : "?";
}

int winrm_auth_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(auth_names) / sizeof(auth_names[0]); i++)
		if (strcasecmp(name, auth_names[i]) == 0)
			return (int)i;
	return -1;
}

enum winrm_result client_fail(struct winrm_session *s, enum winrm_result r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return r;
}

const char *winrm_error(const struct winrm_session *s)
{
	return s->err;
}

uint32_t winrm_fault_code(const struct winrm_session *s)
{
	return s->fault_code;
}

const char *winrm_endpoint(const struct winrm_session *s)
{
	return s->url;
}

enum winrm_auth winrm_session_auth(const struct winrm_session *s)
{
	return s->auth;
}

void client_header(const struct winrm_session *s, struct wsman_client_header *h)
{
	/* Whole: a field the caller does not set is none. */
	*h = (struct wsman_client_header){.to = s->url,
					  .operation_timeout_ms = s->timeout_ms,
					  .max_envelope_size = CLIENT_MAX_ENVELOPE};
}

/* ---- the endpoint ---- */

static int text_is_local(const char *host)
{
	return strcasecmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
	       strcmp(host, "::1") == 0;
}

/* [scheme://]host[:port][/path] into the session. */
static enum winrm_result parse_target(struct winrm_session *s, const char *target,
				      const struct config *c)
{
	const char *p = target, *host, *host_end, *port = NULL, *path;
	size_t hlen;
	int explicit_scheme = 1;

	if (strncasecmp(p, "https://", 8) == 0) {
		s->https = 1;
		p += 8;
	} else if (strncasecmp(p, "http://", 7) == 0) {
		p += 7;
	} else {
		explicit_scheme = 0;
		s->https = (s->flags & WINRM_FLAG_USE_SSL) != 0;
	}
	path = p + strcspn(p, "/");
	if (*p == '[') {
		host = p + 1;
		if (!(host_end = memchr(host, ']', (size_t)(path - host))))
			return client_fail(s, WINRM_E_USAGE,
					   "%s: an IPv6 address in brackets needs its ']'", target);
		if (host_end[1] == ':')
			port = host_end + 2;
		else if (host_end + 1 != path)
			return client_fail(s, WINRM_E_USAGE, "%s: unexpected text after ']'",
					   target);
	} else {
		host = p;
		const char *colon = memchr(p, ':', (size_t)(path - p));
		/* More than one colon and no brackets: a bare IPv6 address. */
		if (colon && !memchr(colon + 1, ':', (size_t)(path - colon - 1))) {
			host_end = colon;
			port = colon + 1;
		} else {
			host_end = path;
		}
	}
	hlen = (size_t)(host_end - host);
	if (hlen == 0 || hlen >= sizeof(s->host))
		return client_fail(s, WINRM_E_USAGE, "%s: no host name", target);
	memcpy(s->host, host, hlen);
	s->host[hlen] = 0;
	if (port) {
		size_t plen = (size_t)(path - port);
		uint64_t v;
		char tmp[8];
		if (plen == 0 || plen >= sizeof(tmp))
			return client_fail(s, WINRM_E_USAGE,
					   "%s: the port is not a number from 1 to 65535", target);
		memcpy(tmp, port, plen);
		tmp[plen] = 0;
		if (util_parse_u64(tmp, 65535, &v) != ERR_OK || v == 0)
			return client_fail(s, WINRM_E_USAGE,
					   "%s: the port is not a number from 1 to 65535", target);
		snprintf(s->port, sizeof(s->port), "%u", (unsigned)v);
	} else if (explicit_scheme) {
		/* As Windows' client: a URL without a port means the scheme's. */
		snprintf(s->port, sizeof(s->port), "%s", s->https ? "443" : "80");
	} else {
		snprintf(s->port, sizeof(s->port), "%u",
			 s->https ? c->client.default_ports.https : c->client.default_ports.http);
	}
	if (*path && strlen(path) >= sizeof(s->path))
		return client_fail(s, WINRM_E_USAGE, "%s: the path is too long", target);
	if (*path)
		snprintf(s->path, sizeof(s->path), "%s", path);
	else
		snprintf(s->path, sizeof(s->path), "/%s",
			 c->client.url_prefix ? c->client.url_prefix : "wsman");
	if (strpbrk(s->host, " \t\r\n/@") || strpbrk(s->path, " \t\r\n"))
		return client_fail(s, WINRM_E_USAGE, "%s: not a host name or URL", target);
	s->host_is_ip = util_text_is_ip(s->host);
	s->host_is_local = text_is_local(s->host);
	int v6 = strchr(s->host, ':') != NULL;
	snprintf(s->host_header, sizeof(s->host_header), v6 ? "[%s]:%s" : "%s:%s", s->host,
		 s->port);
	snprintf(s->url, sizeof(s->url), "%s://%s%s", s->https ? "https" : "http", s->host_header,
		 s->path);
	return WINRM_OK;
}

/* ---- the rules ---- */

static int in_kerberos_realm(void)
{
	krb5_context ctx;
	char *realm = NULL;
	int yes;

	if (krb5_init_context(&ctx) != 0)
		return 0;
	yes = krb5_get_default_realm(ctx, &realm) == 0 && realm && *realm;
	if (realm)
		krb5_free_default_realm(ctx, realm);
	krb5_free_context(ctx);
	return yes;
}

/* The next item of a comma list, blanks around it dropped, into item;
 * 0 at the end. Items too long for item are skipped. */
static int list_next(const char **p, char *item, size_t cap)
{
	while (**p) {
		size_t n = strcspn(*p, ",");
		const char *q = *p;
		while (n > 0 && (*q == ' ' || *q == '\t'))
			q++, n--;
		while (n > 0 && (q[n - 1] == ' ' || q[n - 1] == '\t'))
			n--;
		*p += strcspn(*p, ",");
		if (**p)
			(*p)++;
		if (n > 0 && n < cap) {
			memcpy(item, q, n);
			item[n] = 0;
			return 1;
		}
	}
	return 0;
}

/* TrustedHosts: a comma list of names or addresses, with wildcards;
 * "*" is every host and "<local>" every name without a dot. */
static int trusted(const char *list, const char *host)
{
	char item[256];

	for (const char *p = list ? list : ""; list_next(&p, item, sizeof(item));)
		if (strcmp(item, "<local>") == 0 ? !strchr(host, '.') && !util_text_is_ip(host)
						 : fnmatch(item, host, FNM_CASEFOLD) == 0)
			return 1;
	return 0;
}

/* Windows' client asks its credential delegation policy for the service
 * principal WSMAN/host (the "-DelegateComputer" of Enable-WSManCredSSP). */
int client_fresh_credentials_allowed(const char *list, const char *host)
{
	char item[300], spn[300];

	snprintf(spn, sizeof(spn), "WSMAN/%s", host);
	for (const char *p = list ? list : ""; list_next(&p, item, sizeof(item));)
		if (fnmatch(item, spn, FNM_CASEFOLD) == 0)
			return 1;
	return 0;
}

static int auth_enabled(const struct config_auth_client *a, enum winrm_auth scheme)
{
	switch (scheme) {
	case WINRM_AUTH_BASIC:
		return a->basic;
	case WINRM_AUTH_DIGEST:
		return a->digest;
	case WINRM_AUTH_NEGOTIATE:
		return a->negotiate;
	case WINRM_AUTH_KERBEROS:
		return a->kerberos;
	case WINRM_AUTH_CERTIFICATE:
		return a->certificate;
	case WINRM_AUTH_CREDSSP:
		return a->credssp;
	default:
		return 0;
	}
}

/* gss-ntlmssp's default credentials: a file of DOMAIN:USER:PASSWORD lines
 * that NTLM_USER_FILE names, as the commands of a shell that CredSSP
 * delegated credentials to have (docs/authentication.md, "CredSSP"). */
static int ntlm_default_credentials(void)
{
	const char *file = getenv("NTLM_USER_FILE");

	return file && *file;
}

static enum winrm_result check_rules(struct winrm_session *s, const struct config *c,
				     int kerberos_possible)
{
	const char *name = winrm_auth_name(s->auth);

	/* Nothing secret is sent: no rule about credentials or channels. */
	if (s->auth == WINRM_AUTH_NONE)
		return WINRM_OK;

	if (!auth_enabled(&c->client.auth, s->auth))
		return client_fail(
		    s, WINRM_E_POLICY,
		    "%s authentication is currently disabled in the client configuration. Change "
		    "the "
		    "client configuration and try again: winrm set winrm/config/client/auth "
		    "@{%s=\"true\"}",
		    name, name);
	/* The certificate is the credential, as on Windows, which refuses a
	 * user name or password with it. */
	if (s->auth == WINRM_AUTH_CERTIFICATE && (s->user || s->password))
		return client_fail(
		    s, WINRM_E_USAGE,
		    "Certificate authentication takes no user name or password: the client "
		    "certificate is the credential, and the service maps it to an account. "
		    "Leave out -u and -p");
	if (s->auth == WINRM_AUTH_CERTIFICATE && !s->https)
		return client_fail(
		    s, WINRM_E_POLICY,
		    "Certificate authentication works over HTTPS only, where the certificate is "
		    "presented in the TLS handshake: use an https:// URL (port 5986 by default) "
		    "or -usessl");
	/* Negotiate without a password is GSSAPI's default credentials:
	 * Kerberos from the credential cache, which needs a realm and a name
	 * to ask a ticket for, or NTLM from gss-ntlmssp's user file. */
	if ((s->auth == WINRM_AUTH_BASIC || s->auth == WINRM_AUTH_DIGEST ||
	     s->auth == WINRM_AUTH_CREDSSP ||
	     (s->auth == WINRM_AUTH_NEGOTIATE && !kerberos_possible &&
	      !ntlm_default_credentials())) &&
	    (!s->user || !*s->user || !s->password))
		return client_fail(
		    s, WINRM_E_POLICY,
		    "%s authentication needs explicit credentials: give a user name and "
		    "password (-u:USER -p:PASSWORD)%s",
		    name,
		    s->auth == WINRM_AUTH_NEGOTIATE
			? ", or use -a:Kerberos for your Kerberos ticket (Negotiate chooses "
			  "Kerberos only for a host name in a realm, never for an address or "
			  "localhost)"
			: "");
	if ((s->flags & WINRM_FLAG_NO_ENCRYPTION) && !s->https && !c->client.allow_unencrypted)
		return client_fail(
		    s, WINRM_E_POLICY,
		    "Unencrypted traffic is currently disabled in the client configuration. "
		    "Change the client configuration and try again: winrm set "
		    "winrm/config/client @{AllowUnencrypted=\"true\"}");
	if (!s->https && (s->auth == WINRM_AUTH_BASIC || s->auth == WINRM_AUTH_DIGEST)) {
		if (!c->client.allow_unencrypted)
			return client_fail(
			    s, WINRM_E_POLICY,
			    "%s authentication over HTTP sends every message unencrypted, and "
			    "unencrypted traffic is disabled in the client configuration. Use "
			    "HTTPS (-usessl), or allow it: winrm set winrm/config/client "
			    "@{AllowUnencrypted=\"true\"} and pass -unencrypted",
			    name);
		if (!(s->flags & WINRM_FLAG_NO_ENCRYPTION))
			return client_fail(
			    s, WINRM_E_POLICY,
			    "%s authentication over HTTP cannot encrypt the messages: use HTTPS "
			    "(-usessl), or ask for unencrypted traffic with -unencrypted",
			    name);
	}
	if (!s->https && s->auth != WINRM_AUTH_KERBEROS &&
	    !trusted(c->client.trusted_hosts, s->host))
		return client_fail(
		    s, WINRM_E_POLICY,
		    "%s is reached over HTTP with %s authentication, and it is not in the "
		    "TrustedHosts list. Use HTTPS (-usessl) or Kerberos, or add the host: "
		    "winrm set winrm/config/client @{TrustedHosts=\"%s\"}",
		    s->host, name, s->host);
	if (s->auth == WINRM_AUTH_KERBEROS && s->host_is_ip)
		return client_fail(
		    s, WINRM_E_POLICY,
		    "Kerberos cannot be used with an IP address (%s): give the host's name, "
		    "or use another scheme (-a:Negotiate with explicit credentials)",
		    s->host);
	if (s->auth == WINRM_AUTH_KERBEROS && s->user && !s->password)
		return client_fail(
		    s, WINRM_E_POLICY,
		    "Kerberos with a user name needs the password too (-p:PASSWORD), or leave "
		    "out -u to use the ticket from kinit");
	if ((s->flags & WINRM_FLAG_ALLOW_DELEGATION) && s->auth != WINRM_AUTH_KERBEROS &&
	    s->auth != WINRM_AUTH_NEGOTIATE)
		return client_fail(
		    s, WINRM_E_USAGE,
		    "-allowdelegation forwards a Kerberos ticket: it needs -a:Kerberos or "
		    "-a:Negotiate, not %s",
		    name);
	/* Windows' client delegates fresh credentials only to the targets
	 * its credential delegation policy names (MS-CSSP 3.1.5 step 5 is
	 * the password itself leaving this machine). */
	if (s->auth == WINRM_AUTH_CREDSSP &&
	    !client_fresh_credentials_allowed(c->client.allow_fresh_credentials, s->host))
		return client_fail(
		    s, WINRM_E_POLICY,
		    "CredSSP hands your password to %s, and the client configuration does not "
		    "allow delegating credentials to it: add WSMAN/%s to AllowFreshCredentials "
		    "(and to AllowFreshCredentialsWhenNTLMOnly if the server is not in a Kerberos "
		    "realm): winrm set winrm/config/client "
		    "'@{AllowFreshCredentials=\"%s%sWSMAN/%s\"}'",
		    s->host, s->host, c->client.allow_fresh_credentials,
		    *c->client.allow_fresh_credentials ? "," : "", s->host);
	return WINRM_OK;
}

/* A session of o's target, with the client configuration in *c (the
 * caller clears it, also on failure), before any rule is checked. */
static enum winrm_result session_begin(const struct winrm_options *o, struct winrm_session **out,
				       struct config *c)
{
	struct winrm_session *s = calloc(1, sizeof(*s));
	const char *dir = o->config_dir ? o->config_dir : getenv("WINRM_CONFIG_DIR");
	struct buf msg;
	enum winrm_result r;

	memset(c, 0, sizeof(*c));
	*out = s;
	if (!s)
		return WINRM_E_NOMEM;
	s->fd = -1;
	s->flags = o->flags;
	s->timeout_ms = o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	buf_init(&s->req, CLIENT_MAX_ENVELOPE * 4);
	buf_init(&msg, 1024);
	if (config_load(c, dir && *dir ? dir : CONFIG_DEFAULT_DIR, &msg) != ERR_OK) {
		buf_terminate(&msg);
		r = client_fail(s, WINRM_E_USAGE, "cannot read the client configuration: %s",
				(const char *)buf_ptr(&msg));
		buf_clear(&msg);
		return r;
	}
	buf_clear(&msg);
	if (!o->target || !*o->target)
		return client_fail(s, WINRM_E_USAGE, "no target host or URL");
	if ((o->user && !(s->user = strdup(o->user))) ||
	    (o->password && !(s->password = strdup(o->password))))
		return WINRM_E_NOMEM;
	return parse_target(s, o->target, c);
}

/* The session's error for errbuf, and the session gone. */
static enum winrm_result session_failed(struct winrm_session *s, enum winrm_result r, char *errbuf,
					size_t errlen)
{
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s", s && s->err[0] ? s->err : "out of memory");
	winrm_session_free(s);
	return r;
}

enum winrm_result winrm_target_url(const struct winrm_options *o, char *url, size_t len,
				   char *errbuf, size_t errlen)
{
	struct winrm_session *s;
	struct config c;
	enum winrm_result r = session_begin(o, &s, &c);

	config_clear(&c);
	if (r == WINRM_OK && (size_t)snprintf(url, len, "%s", s->url) >= len)
		r = client_fail(s, WINRM_E_USAGE, "the URL is longer than its buffer");
	if (r != WINRM_OK)
		return session_failed(s, r, errbuf, errlen);
	winrm_session_free(s);
	return WINRM_OK;
}

enum winrm_result winrm_session_new(const struct winrm_options *o, struct winrm_session **out,
				    char *errbuf, size_t errlen)
{
	struct winrm_session *s;
	struct config c;
	enum winrm_result r = session_begin(o, &s, &c);

	*out = NULL;
	if (r != WINRM_OK)
		goto done;
	s->auth = o->auth;
	/* Negotiate picks Kerberos only for a name in a realm: an address or
	 * localhost has no service principal to ask a ticket for. */
	int kerberos_possible = !s->host_is_ip && !s->host_is_local && in_kerberos_realm();
	if (s->auth == WINRM_AUTH_DEFAULT)
		s->auth = client_default_auth(s->user != NULL, kerberos_possible);
	s->mech = client_gss_mech(s->auth, s->user != NULL, kerberos_possible);
	s->seal = !s->https && !(s->flags & WINRM_FLAG_NO_ENCRYPTION);
	r = check_rules(s, &c, kerberos_possible);
	if (r == WINRM_OK && s->auth == WINRM_AUTH_CREDSSP) {
		s->fresh_credentials_ntlm = client_fresh_credentials_allowed(
		    c.client.allow_fresh_credentials_when_ntlm_only, s->host);
		if (!(s->fresh_credentials_ntlm_list =
			  strdup(c.client.allow_fresh_credentials_when_ntlm_only)))
			r = WINRM_E_NOMEM;
	}
	if (r == WINRM_OK && !(s->parser = http1_response_parser_new(CLIENT_MAX_RESPONSE)))
		r = WINRM_E_NOMEM;
done:
	config_clear(&c);
	if (r != WINRM_OK)
		return session_failed(s, r, errbuf, errlen);
	*out = s;
	return WINRM_OK;
}

void winrm_session_free(struct winrm_session *s)
{
	if (!s)
		return;
	client_disconnect(s);
	client_gss_clear(s);
	if (s->ctx)
		SSL_CTX_free(s->ctx);
	if (s->credssp_ctx)
		SSL_CTX_free(s->credssp_ctx);
	free(s->fresh_credentials_ntlm_list);
	http1_response_parser_free(s->parser);
	buf_clear(&s->req);
	digest_clear(&s->digest);
	free(s->user);
	if (s->password) {
		OPENSSL_cleanse(s->password, strlen(s->password));
		free(s->password);
	}
	free(s);
}
