/* Unit tests for priv_cert_map: which certmapping entry a client
 * certificate and a resource URI meet. Certificates are made here with
 * OpenSSL (a CA, an intermediate, clients with and without the Client
 * Authentication usage, expired, oversized, from another CA); the chain
 * is checked up to the issuer an entry names by thumbprint; Subject
 * matches subjectAltName UPNs, e-mail addresses, DNS names or the CN, with
 * Windows' wildcards; URI is "*", a prefix or the whole URI. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "priv_fixture.h"
#include "check.h"

#define SHELL_URI "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
#define PS_URI "http://schemas.microsoft.com/powershell/Microsoft.PowerShell"

struct made {
	X509 *cert;
	EVP_PKEY *key;
};

struct cert_spec {
	const char *cn;
	const char *san; /* X509V3 syntax: "otherName:...;UTF8:alice@localhost,email:..." */
	const struct made *issuer; /* NULL: self-signed */
	int ca;
	const char *eku; /* "clientAuth", or NULL for none */
	long not_before_s, not_after_s;
	size_t padding; /* bytes of an extra extension, to make it big */
};

static EVP_PKEY *ec_key(void)
{
	return EVP_EC_gen("P-256");
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!e || X509_add_ext(x, e, -1) != 1)
		abort();
	X509_EXTENSION_free(e);
}

static struct made make(const struct cert_spec *s)
{
	static long serial = 1;
	struct made m = {X509_new(), ec_key()};
	X509 *issuer_cert = s->issuer ? s->issuer->cert : m.cert;
	EVP_PKEY *issuer_key = s->issuer ? s->issuer->key : m.key;

	if (!m.cert || !m.key)
		abort();
	X509_set_version(m.cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(m.cert), serial++);
	X509_gmtime_adj(X509_getm_notBefore(m.cert), s->not_before_s);
	X509_gmtime_adj(X509_getm_notAfter(m.cert), s->not_after_s ? s->not_after_s : 86400);
	X509_NAME *name = X509_get_subject_name(m.cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)s->cn, -1, -1,
				   0);
	X509_set_issuer_name(m.cert, X509_get_subject_name(issuer_cert));
	X509_set_pubkey(m.cert, m.key);
	if (s->ca) {
		add_ext(m.cert, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(m.cert, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(m.cert, issuer_cert, NID_key_usage, "critical,digitalSignature");
	}
	if (s->eku)
		add_ext(m.cert, issuer_cert, NID_ext_key_usage, s->eku);
	if (s->san)
		add_ext(m.cert, issuer_cert, NID_subject_alt_name, s->san);
	if (s->padding) {
		char *v = malloc(s->padding + 16);
		snprintf(v, s->padding + 16, "ASN1:UTF8:%0*d", (int)s->padding, 0);
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, NID_netscape_comment, v + 10);
		if (!e || X509_add_ext(m.cert, e, -1) != 1)
			abort();
		X509_EXTENSION_free(e);
		free(v);
	}
	if (!X509_sign(m.cert, issuer_key, EVP_sha256()))
		abort();
	return m;
}

static void made_free(struct made *m)
{
	X509_free(m->cert);
	EVP_PKEY_free(m->key);
}

static void thumbprint(X509 *x, char out[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	X509_digest(x, EVP_sha1(), md, &n);
	for (unsigned i = 0; i < n && i < 20; i++)
		snprintf(out + 2 * i, 3, "%02X", md[i]);
}

/* DER of the certificates, one after another. */
static size_t chain_der(uint8_t *out, size_t cap, X509 *const *certs, int n)
{
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		unsigned char *der = NULL;
		int l = i2d_X509(certs[i], &der);
		if (l <= 0 || len + (size_t)l > cap)
			abort();
		memcpy(out + len, der, (size_t)l);
		len += (size_t)l;
		OPENSSL_free(der);
	}
	return len;
}

static uint8_t der[64 * 1024];

/* The verdict for one certificate (and its chain) and a resource. */
static const char *map(const struct config *c, STACK_OF(X509) * issuers, X509 *const *certs, int n,
		       const char *uri, struct priv_cert_verdict *v)
{
	return priv_cert_map(c, issuers, der, chain_der(der, sizeof(der), certs, n), uri, v);
}

#define UPN(u) "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:" u

/* What the privileged part answers an IPC_AUTH_CERT of cert's chain, as
priv_cert_request takes it from the network process. */
static uint32_t request_status(struct priv_fixture *f, X509 *cert)
{
	struct ipc_auth_cert m = {.peer = strdup("192.0.2.1"), .resource_uri = strdup(SHELL_URI)};
	struct ipc_auth_result res;
	struct ipc_msg msg;
	uint32_t status = 99;

	m.chain_len = chain_der(der, sizeof(der), &cert, 1);
	if (!m.peer || !m.resource_uri || !(m.chain = malloc(m.chain_len)))
		abort();
	memcpy(m.chain, der, m.chain_len);
	priv_cert_request(f->p, 7, &m);
	if (fixture_recv(f, &msg) == ERR_OK && msg.type == IPC_AUTH_CERT_RESULT && msg.id == 7 &&
	    ipc_auth_result_decode(&msg.body, &res) == ERR_OK) {
		status = res.status;
		ipc_auth_result_clear(&res);
	}
	ipc_msg_clear(&msg);
	return status;
}

/* The refusals priv_cert_request decides before PAM's account stack: the
 * scheme off, and in single-user mode a certificate mapped to another
 * account than the one winrmd runs as. */
static void test_requests(const struct made *ca, const struct made *alice)
{
	struct priv_fixture f;
	char issuers[PATH_MAX + 16], resource[512], tp[41];
	struct buf msg;

	fixture_start(&f, 0);
	f.p->self_name = strdup("nobody");
	snprintf(issuers, sizeof(issuers), "%s/issuers.pem", f.p->config_dir);
	FILE *out = fopen(issuers, "w");
	if (!out || !PEM_write_X509(out, ca->cert) || fclose(out) != 0)
		abort();
	thumbprint(ca->cert, tp);
	snprintf(resource, sizeof(resource),
		 "service/certmapping?Issuer=%s+Subject=alice@localhost+URI=*", tp);
	buf_init(&msg, 1024);
	if (config_instance_create(&f.p->cfg, resource, &msg) != ERR_OK ||
	    config_set(&f.p->cfg, resource, "UserName", "root", &msg) != ERR_OK ||
	    config_set(&f.p->cfg, "service/auth", "TrustedIssuers", issuers, &msg) != ERR_OK)
		abort();
	CHECK("request: refused while Service/Auth/Certificate is false",
	      request_status(&f, alice->cert) == IPC_AUTH_BAD_CREDENTIALS);
	if (config_set(&f.p->cfg, "service/auth", "Certificate", "true", &msg) != ERR_OK)
		abort();
	CHECK("request: single-user mode refuses a certificate mapped to another account",
	      request_status(&f, alice->cert) == IPC_AUTH_BAD_CREDENTIALS);
	buf_clear(&msg);
	free(f.p->self_name);
	fixture_stop(&f);
}

int main(void)
{
	struct made ca = make(&(struct cert_spec){.cn = "Test CA", .ca = 1});
	struct made other_ca = make(&(struct cert_spec){.cn = "Other CA", .ca = 1});
	struct made inter =
	    make(&(struct cert_spec){.cn = "Test Intermediate", .issuer = &ca, .ca = 1});
	struct made alice = make(&(struct cert_spec){
	    .cn = "Alice", .san = UPN("alice@localhost"), .issuer = &ca, .eku = "clientAuth"});
	struct made bob =
	    make(&(struct cert_spec){.cn = "bob.example.com",
				     .san = "DNS:bob.example.com,email:bob@example.com",
				     .issuer = &inter,
				     .eku = "clientAuth"});
	struct made no_eku =
	    make(&(struct cert_spec){.cn = "noeku", .san = UPN("alice@localhost"), .issuer = &ca});
	struct made server_only = make(&(struct cert_spec){
	    .cn = "srv", .san = UPN("alice@localhost"), .issuer = &ca, .eku = "serverAuth"});
	struct made expired = make(&(struct cert_spec){.cn = "old",
						       .san = UPN("alice@localhost"),
						       .issuer = &ca,
						       .eku = "clientAuth",
						       .not_before_s = -7200,
						       .not_after_s = -3600});
	struct made foreign = make(&(struct cert_spec){.cn = "Alice",
						       .san = UPN("alice@localhost"),
						       .issuer = &other_ca,
						       .eku = "clientAuth"});
	struct made big = make(&(struct cert_spec){.cn = "big",
						   .san = UPN("alice@localhost"),
						   .issuer = &ca,
						   .eku = "clientAuth",
						   .padding = 17000});
	char ca_tp[41], inter_tp[41], other_tp[41];
	thumbprint(ca.cert, ca_tp);
	thumbprint(inter.cert, inter_tp);
	thumbprint(other_ca.cert, other_tp);

	STACK_OF(X509) *issuers = sk_X509_new_null();
	sk_X509_push(issuers, ca.cert);
	sk_X509_push(issuers, inter.cert);

	struct config c;
	memset(&c, 0, sizeof(c));
	c.ncertmappings = 1;
	c.certmappings[0] = (struct config_certmapping){ca_tp, (char *)"alice@localhost",
							(char *)"*", (char *)"owt_alice", 1};
	struct priv_cert_verdict v;
	const char *r;

	r = map(&c, issuers, &alice.cert, 1, SHELL_URI, &v);
	CHECK("a certificate of the named issuer, its UPN the Subject, URI *: mapped",
	      !r && strcmp(v.account, "owt_alice") == 0 && strstr(v.who, "CN=Alice"));
	c.certmappings[0].issuer = (char *)"0000000000000000000000000000000000000000";
	r = map(&c, issuers, &alice.cert, 1, SHELL_URI, &v);
	CHECK("an Issuer among no trusted issuers: refused, saying so",
	      r && strstr(r, "not among the trusted issuers") && !v.account[0]);
	c.certmappings[0].issuer = other_tp;
	sk_X509_push(issuers, other_ca.cert);
	r = map(&c, issuers, &alice.cert, 1, SHELL_URI, &v);
	CHECK("an entry naming another CA: the chain does not lead there", r && !v.account[0]);
	c.certmappings[0].issuer = ca_tp;
	r = map(&c, issuers, &foreign.cert, 1, SHELL_URI, &v);
	CHECK("a certificate from another issuer with the same names: refused",
	      r && strstr(r, "certificate:") && !v.account[0]);
	r = map(&c, issuers, &expired.cert, 1, SHELL_URI, &v);
	CHECK("an expired certificate: refused, saying so", r && strstr(r, "expired"));
	r = map(&c, issuers, &no_eku.cert, 1, SHELL_URI, &v);
	CHECK("no extended key usage: refused", r && strstr(r, "not for client authentication"));
	r = map(&c, issuers, &server_only.cert, 1, SHELL_URI, &v);
	CHECK("server authentication only: refused",
	      r && strstr(r, "not for client authentication"));
	r = map(&c, issuers, &big.cert, 1, SHELL_URI, &v);
	CHECK("a certificate over 16 KB: refused, saying so", r && strstr(r, "over 16 KB"));

	/* Subject. */
	c.certmappings[0].subject = (char *)"ALICE@LOCALHOST";
	CHECK("Subject compares without regard to case",
	      !map(&c, issuers, &alice.cert, 1, SHELL_URI, &v));
	c.certmappings[0].subject = (char *)"Alice";
	CHECK("Subject may be the CN", !map(&c, issuers, &alice.cert, 1, SHELL_URI, &v));
	c.certmappings[0].subject = (char *)"*@localhost";
	CHECK("*@domain matches a UPN's local part",
	      !map(&c, issuers, &alice.cert, 1, SHELL_URI, &v));
	c.certmappings[0].subject = (char *)"bob@localhost";
	r = map(&c, issuers, &alice.cert, 1, SHELL_URI, &v);
	CHECK("another name: no entry", r && strstr(r, "no certmapping entry"));
	c.certmappings[0].subject = (char *)"*.localhost";
	CHECK("*.domain does not match a UPN", map(&c, issuers, &alice.cert, 1, SHELL_URI, &v));

	/* An intermediate: the client sends it, or the issuers hold it; the
	 * entry may name the root or the intermediate. */
	X509 *bob_chain[] = {bob.cert, inter.cert};
	c.certmappings[0].subject = (char *)"*.example.com";
	CHECK("*.example.com matches a DNS name, through the intermediate the client sent",
	      !map(&c, issuers, bob_chain, 2, SHELL_URI, &v));
	CHECK("... or that the issuers hold", !map(&c, issuers, &bob.cert, 1, SHELL_URI, &v));
	c.certmappings[0].subject = (char *)"bob@example.com";
	c.certmappings[0].issuer = inter_tp;
	CHECK("an e-mail address, the entry naming the intermediate",
	      !map(&c, issuers, bob_chain, 2, SHELL_URI, &v));
	c.certmappings[0].subject = (char *)"*.com";
	CHECK("* stands for one label only", map(&c, issuers, bob_chain, 2, SHELL_URI, &v));
	c.certmappings[0].issuer = ca_tp;

	/* URI, Enabled, and the first entry that holds. */
	c.certmappings[0].subject = (char *)"alice@localhost";
	c.certmappings[0].uri = (char *)"http://schemas.microsoft.com/powershell/*";
	CHECK("a URI prefix admits what it starts", !map(&c, issuers, &alice.cert, 1, PS_URI, &v));
	r = map(&c, issuers, &alice.cert, 1, SHELL_URI, &v);
	CHECK("... and nothing else", r && strstr(r, "no certmapping entry"));
	c.certmappings[0].uri = (char *)SHELL_URI;
	CHECK("a whole URI admits itself", !map(&c, issuers, &alice.cert, 1, SHELL_URI, &v));
	CHECK("... only", map(&c, issuers, &alice.cert, 1, PS_URI, &v) != NULL);
	c.certmappings[0].enabled = 0;
	r = map(&c, issuers, &alice.cert, 1, SHELL_URI, &v);
	CHECK("a disabled entry: refused, saying so", r && strstr(r, "disabled"));
	c.ncertmappings = 2;
	c.certmappings[1] =
	    (struct config_certmapping){ca_tp, (char *)"*", (char *)"*", (char *)"owt_other", 1};
	r = map(&c, issuers, &alice.cert, 1, SHELL_URI, &v);
	CHECK("the next entry that holds", !r && strcmp(v.account, "owt_other") == 0);

	/* Malformed chains. */
	uint8_t junk[] = {0x30, 0x82, 0xff, 0xff, 0x01};
	r = priv_cert_map(&c, issuers, junk, sizeof(junk), SHELL_URI, &v);
	CHECK("garbage: refused as malformed", r && strstr(r, "malformed") && !v.account[0]);
	size_t n = chain_der(der, sizeof(der), &alice.cert, 1);
	r = priv_cert_map(&c, issuers, der, n - 1, SHELL_URI, &v);
	CHECK("a truncated certificate: refused", r && strstr(r, "malformed"));
	der[n] = 0;
	r = priv_cert_map(&c, issuers, der, n + 1, SHELL_URI, &v);
	CHECK("trailing bytes: refused", r && strstr(r, "malformed"));
	r = priv_cert_map(&c, NULL, der, n, SHELL_URI, &v);
	CHECK("no issuers at all: refused", r != NULL);

	test_requests(&ca, &alice);

	sk_X509_free(issuers);
	struct made *all[] = {&ca,     &other_ca,    &inter,   &alice,	 &bob,
			      &no_eku, &server_only, &expired, &foreign, &big};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		made_free(all[i]);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
