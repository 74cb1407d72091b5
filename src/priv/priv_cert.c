/* priv_cert: privileged part. Client certificate logons: which
 * winrm/config/service/certmapping entry a certificate and a resource URI
 * meet, the chain checked up to the issuer that entry names, then PAM's
 * account stack for the entry's account, as for every other scheme.
 *
 * The network process did the TLS handshake, so it vouches for one thing
 * only: that the client holds the key of the first certificate. Everything
 * else is checked here, against the configuration and the issuers this
 * part reads itself. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/log.h"
#include "common/tls_binding.h"
#include "priv/priv_int.h"

/* Where Debian keeps the system's trusted CAs as one file
 * (update-ca-certificates): the default for Service/Auth/TrustedIssuers. */
#define SYSTEM_ISSUERS "/etc/ssl/certs/ca-certificates.crt"
#define MAX_CHAIN_CERTS 10
#define MAX_CERT_NAMES 32
#define OID_UPN "1.3.6.1.4.1.311.20.2.3" /* Microsoft's User Principal Name */

/* The issuers file as last read; read again when it changes. */
struct priv_cert_issuers {
	char path[PATH_MAX];
	struct stat st;
	STACK_OF(X509) * certs;
};

/* A logon waiting for PAM's account stack. */
struct cert_logon {
	uint32_t id; /* of the IPC_AUTH_CERT it answers */
	struct priv_cert_verdict v;
	char peer[IPC_MAX_PEER + 1];
	uint32_t peer_port;
};

/* ---- matching (pure: also what fuzz/fuzz_cert_map.c drives) ---- */

/* An entry's URI: "*", a prefix ending in '*', or the whole URI. */
static int uri_matches(const char *pattern, const char *uri)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		return strncasecmp(pattern, uri, n - 1) == 0;
	return strcasecmp(pattern, uri) == 0;
}

/* An entry's Subject: "*", a name, or '*' and a suffix, where the '*'
 * stands for one label or local part ("*.example.com", "*@example.com"),
 * as a certificate's own wildcards do. */
static int subject_matches(const char *pattern, const char *name)
{
	size_t pn = strlen(pattern), nn = strlen(name);

	if (strcmp(pattern, "*") == 0)
		return 1;
	if (pattern[0] != '*')
		return strcasecmp(pattern, name) == 0;
	if (nn < pn || strcasecmp(name + nn - (pn - 1), pattern + 1) != 0)
		return 0;
	size_t head = nn - (pn - 1);
	return head > 0 && !memchr(name, '.', head) && !memchr(name, '@', head);
}

/* One name, copied if it is text without NUL bytes (a NUL inside would
 * make "alice@x\0.evil" compare as "alice@x"). */
static void add_name(char names[][IPC_MAX_USER + 1], int *n, const ASN1_STRING *s)
{
	int len = ASN1_STRING_length(s);
	const unsigned char *d = ASN1_STRING_get0_data(s);

	if (*n >= MAX_CERT_NAMES || len <= 0 || len > IPC_MAX_USER || memchr(d, 0, (size_t)len))
		return;
	memcpy(names[*n], d, (size_t)len);
	names[(*n)++][len] = 0;
}

/* The names a Subject can match: the User Principal Names, e-mail
 * addresses and DNS names of subjectAltName, and the subject's CN. */
static int cert_names(X509 *cert, char names[][IPC_MAX_USER + 1])
{
	GENERAL_NAMES *alt = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	ASN1_OBJECT *upn = OBJ_txt2obj(OID_UPN, 1);
	int n = 0;

	for (int i = 0; alt && i < sk_GENERAL_NAME_num(alt); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(alt, i);
		if (g->type == GEN_EMAIL || g->type == GEN_DNS)
			add_name(names, &n, g->d.ia5);
		else if (g->type == GEN_OTHERNAME && upn &&
			 OBJ_cmp(g->d.otherName->type_id, upn) == 0 &&
			 g->d.otherName->value->type == V_ASN1_UTF8STRING)
			add_name(names, &n, g->d.otherName->value->value.utf8string);
	}
	GENERAL_NAMES_free(alt);
	ASN1_OBJECT_free(upn);
	X509_NAME *subject = X509_get_subject_name(cert);
	for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) >= 0;)
		add_name(names, &n, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)));
	return n;
}

/* The certificates of chain (DER, one after another), the client's first;
 * NULL if it is not exactly that. */
static STACK_OF(X509) * chain_parse(const uint8_t *chain, size_t len, const char **why)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	const unsigned char *p = chain, *end = chain + len;
	int oversized = 0;

	while (certs && p < end && sk_X509_num(certs) < MAX_CHAIN_CERTS && !oversized) {
		const unsigned char *start = p;
		X509 *x = d2i_X509(NULL, &p, end - p);
		if (!x)
			break;
		if (!sk_X509_push(certs, x)) {
			X509_free(x);
			break;
		}
		oversized = sk_X509_num(certs) == 1 && p - start > IPC_MAX_CERT;
	}
	ERR_clear_error();
	*why = oversized ? "failure (a certificate over 16 KB)"
			 : "failure (a malformed certificate chain)";
	if (certs && p == end && sk_X509_num(certs) > 0 && !oversized)
		return certs;
	sk_X509_pop_free(certs, X509_free);
	return NULL;
}

static X509 *issuer_by_thumbprint(STACK_OF(X509) * issuers, const char *thumbprint)
{
	for (int i = 0; i < sk_X509_num(issuers); i++) {
		X509 *ca = sk_X509_value(issuers, i);
		char hex[TLS_THUMBPRINT_HEX + 1];
		if (tls_thumbprint(ca, hex) == 0 && strcasecmp(hex, thumbprint) == 0)
			return ca;
	}
	return NULL;
}

/* Verifies the client's certificate up to ca, the one trust anchor (it may
 * be an intermediate CA, hence PARTIAL_CHAIN), with the rest of the
 * client's chain and the other issuers as intermediates, for TLS client
 * use (validity, key usage). NULL, or why not. */
static const char *chain_verify(X509 *ca, STACK_OF(X509) * chain, STACK_OF(X509) * issuers,
				char *why, size_t whylen)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	const char *verdict = "failure (out of memory verifying a certificate)";
	int ok = store && ctx && untrusted && X509_STORE_add_cert(store, ca) == 1;

	for (int i = 1; ok && i < sk_X509_num(chain); i++)
		ok = sk_X509_push(untrusted, sk_X509_value(chain, i)) > 0;
	for (int i = 0; ok && i < sk_X509_num(issuers); i++)
		ok = sk_X509_push(untrusted, sk_X509_value(issuers, i)) > 0;
	if (ok && X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0), untrusted) == 1) {
		X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN);
		X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
		if (X509_verify_cert(ctx) == 1) {
			verdict = NULL;
		} else {
			snprintf(why, whylen, "failure (certificate: %s)",
				 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
			verdict = why;
		}
	}
	ERR_clear_error();
	sk_X509_free(untrusted); /* the certificates are chain's and issuers' */
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return verdict;
}

/* Windows maps only certificates made for client authentication: the
 * extended key usage must name it (the chain check alone lets a
 * certificate without the extension through). */
static int for_client_authentication(X509 *cert)
{
	return (X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) &&
	       (X509_get_extended_key_usage(cert) & XKU_SSL_CLIENT);
}

const char *priv_cert_map(const struct config *c, STACK_OF(X509) * issuers, const uint8_t *chain,
			  size_t chain_len, const char *uri, struct priv_cert_verdict *out)
{
	char names[MAX_CERT_NAMES][IPC_MAX_USER + 1];
	const char *verdict, *entry_verdict = NULL;
	STACK_OF(X509) *certs = chain_parse(chain, chain_len, &verdict);
	int nnames, disabled = 0;

	out->account[0] = 0;
	snprintf(out->who, sizeof(out->who), "-");
	if (!certs)
		return verdict;
	X509 *leaf = sk_X509_value(certs, 0);
	X509_NAME_oneline(X509_get_subject_name(leaf), out->who, sizeof(out->who));
	nnames = cert_names(leaf, names);
	for (uint32_t i = 0; for_client_authentication(leaf) && i < c->ncertmappings; i++) {
		const struct config_certmapping *m = &c->certmappings[i];
		int named = 0;
		for (int k = 0; k < nnames && !named; k++)
			named = subject_matches(m->subject, names[k]);
		if (!named || !uri_matches(m->uri, uri))
			continue;
		if (!m->enabled) {
			disabled = 1;
			continue;
		}
		X509 *ca = issuer_by_thumbprint(issuers, m->issuer);
		entry_verdict =
		    ca ? chain_verify(ca, certs, issuers, out->why, sizeof(out->why))
		       : "failure (the entry's Issuer is not among the trusted issuers)";
		if (!entry_verdict) {
			snprintf(out->account, sizeof(out->account), "%s", m->user_name);
			break;
		}
	}
	sk_X509_pop_free(certs, X509_free);
	if (out->account[0])
		return NULL;
	/* The most telling refusal: an entry's own over "disabled" over none. */
	if (!for_client_authentication(leaf))
		return "failure (the certificate is not for client authentication)";
	if (entry_verdict)
		return entry_verdict;
	return disabled ? "failure (its certmapping entry is disabled)"
			: "failure (no certmapping entry for this certificate and resource)";
}

/* ---- the issuers ---- */

static void issuers_forget(struct priv_cert_issuers *is)
{
	sk_X509_pop_free(is->certs, X509_free);
	memset(is, 0, sizeof(*is));
}

/* The certificates of the issuers file, read again when it changed; an
 * empty list when it cannot be read (logged: every logon then fails). */
static STACK_OF(X509) * issuers_current(struct priv *p)
{
	struct priv_cert_issuers *is = p->cert_issuers;
	const char *path = *p->cfg.service.auth.trusted_issuers
			       ? p->cfg.service.auth.trusted_issuers
			       : SYSTEM_ISSUERS;
	struct stat st;
	BIO *bio;

	if (!is && !(is = p->cert_issuers = calloc(1, sizeof(*is))))
		return NULL;
	if (stat(path, &st) == 0 && is->certs && strcmp(is->path, path) == 0 &&
	    st.st_ino == is->st.st_ino && st.st_size == is->st.st_size &&
	    st.st_mtim.tv_sec == is->st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == is->st.st_mtim.tv_nsec)
		return is->certs;
	issuers_forget(is);
	snprintf(is->path, sizeof(is->path), "%s", path);
	if (!(is->certs = sk_X509_new_null()))
		return NULL;
	if (!(bio = BIO_new_file(path, "r"))) {
		log_warnx("Service/Auth/TrustedIssuers: cannot read %s", path);
		ERR_clear_error();
		return is->certs;
	}
	is->st = st;
	for (X509 *x; (x = PEM_read_bio_X509(bio, NULL, NULL, NULL));)
		if (!sk_X509_push(is->certs, x))
			X509_free(x);
	ERR_clear_error(); /* the loop ends on "no start line" */
	BIO_free(bio);
	return is->certs;
}

/* ---- logons ---- */

static void answer(struct priv *p, uint32_t id, const struct ipc_auth_result *r)
{
	struct buf body;

	buf_init(&body, IPC_MAX_MSG - IPC_HEADER_LEN);
	if (ipc_auth_result_encode(&body, r) == ERR_OK)
		priv_net_send(p, IPC_AUTH_CERT_RESULT, id, &body, NULL, 0);
	else
		log_warnx("cannot encode a certificate authentication result");
	buf_clear(&body);
}

static void logon_end(struct priv *p, struct cert_logon *l, const struct ipc_auth_result *r,
		      const char *verdict)
{
	char qwho[LOG_QUOTE_MAX], quser[LOG_QUOTE_MAX], qpeer[LOG_QUOTE_MAX];
	const char *user = r->user ? r->user : l->v.account;

	log_info("authentication %s: certificate \"%s\" as user \"%s\" from %s, scheme Certificate",
		 verdict, log_quote(qwho, sizeof(qwho), l->v.who, strlen(l->v.who)),
		 log_quote(quser, sizeof(quser), user, strlen(user)),
		 log_quote(qpeer, sizeof(qpeer), l->peer, strlen(l->peer)));
	priv_audit_logon(verdict, user, l->v.who, l->peer, l->peer_port, "Certificate");
	answer(p, l->id, r);
	free(l);
}

static void account_checked(struct priv *p, void *arg, enum ipc_auth_status status,
			    const char *verdict)
{
	struct cert_logon *l = arg;
	struct ipc_auth_result r = {.status = status};
	char name[IPC_MAX_USER + 1];

	if (status == IPC_AUTH_OK)
		verdict = priv_auth_admit(p, l->v.account, l->peer, "Certificate", &r, name);
	logon_end(p, l, &r, verdict);
	OPENSSL_cleanse(r.token, sizeof(r.token));
}

static void account_dropped(void *arg)
{
	free(arg);
}

void priv_cert_request(struct priv *p, uint32_t id, struct ipc_auth_cert *m)
{
	struct cert_logon *l = calloc(1, sizeof(*l));
	struct ipc_auth_result refused = {.status = IPC_AUTH_BAD_CREDENTIALS};
	const char *verdict;

	if (!l) {
		log_warnx("out of memory for a certificate logon");
		refused.status = IPC_AUTH_BUSY;
		answer(p, id, &refused);
		ipc_auth_cert_clear(m);
		return;
	}
	l->id = id;
	snprintf(l->peer, sizeof(l->peer), "%s", m->peer);
	l->peer_port = m->peer_port;
	snprintf(l->v.who, sizeof(l->v.who), "-"); /* until priv_cert_map reads the certificate */
	if (!p->cfg.service.auth.certificate)
		verdict = "failure (Service/Auth/Certificate is false)";
	else
		verdict = priv_cert_map(&p->cfg, issuers_current(p), m->chain, m->chain_len,
					m->resource_uri, &l->v);
	ipc_auth_cert_clear(m);
	if (verdict) {
		logon_end(p, l, &refused, verdict);
		return;
	}
	struct priv_check check = {account_checked, account_dropped, l};
	priv_account_check(p, l->v.account, l->peer, "Certificate", &check);
}

void priv_cert_stop(struct priv *p)
{
	if (p->cert_issuers)
		issuers_forget(p->cert_issuers);
	free(p->cert_issuers);
	p->cert_issuers = NULL;
}
