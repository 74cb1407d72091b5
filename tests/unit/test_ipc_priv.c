/* Unit tests for ipc_priv: the codecs of the privileged part's messages
 * with the network process and with the GSSAPI acceptor. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "ipc/ipc.h"
#include "ipc/ipc_priv.h"
#include "check.h"

#define BODY_MAX (IPC_MAX_MSG - IPC_HEADER_LEN)

static int streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* A buffer holding a copy of the first n bytes of src, as a received body. */
static void body_of(struct buf *dst, const struct buf *src, size_t n)
{
	buf_init(dst, BODY_MAX);
	if (buf_put(dst, buf_ptr(src), n) != ERR_OK)
		abort();
}

typedef enum err (*decode_fn)(struct buf *in, void *out);
typedef void (*free_fn)(void *m);

/* Every proper prefix of a valid body, and the body plus one byte, must be
 * refused with ERR_FORMAT; ASan's leak check sees any partial allocation
 * that survives. Returns 1 if all were refused. */
static int refuses_prefixes_and_trailer(const struct buf *good, decode_fn dec, free_fn fr,
					void *scratch)
{
	int ok = 1;

	for (size_t n = 0; n < buf_len(good); n++) {
		struct buf b;
		body_of(&b, good, n);
		if (dec(&b, scratch) != ERR_FORMAT) {
			ok = 0;
			if (fr)
				fr(scratch);
		}
		buf_clear(&b);
	}
	struct buf b;
	body_of(&b, good, buf_len(good));
	buf_put_u8(&b, 0);
	if (dec(&b, scratch) != ERR_FORMAT) {
		ok = 0;
		if (fr)
			fr(scratch);
	}
	buf_clear(&b);
	return ok;
}

static enum err dec_auth_password(struct buf *in, void *m)
{
	return ipc_auth_password_decode(in, m);
}
static void free_auth_password(void *m)
{
	ipc_auth_password_clear(m);
}
static enum err dec_auth_result(struct buf *in, void *m)
{
	return ipc_auth_result_decode(in, m);
}
static void free_auth_result(void *m)
{
	ipc_auth_result_clear(m);
}
static enum err dec_host_open(struct buf *in, void *m)
{
	return ipc_host_open_decode(in, m);
}
static enum err dec_token_renew(struct buf *in, void *m)
{
	return ipc_token_renew_decode(in, m);
}
static enum err dec_token_renewed(struct buf *in, void *m)
{
	return ipc_token_renewed_decode(in, m);
}
static enum err dec_cim_invoke(struct buf *in, void *m)
{
	return ipc_cim_invoke_decode(in, m);
}
static enum err dec_cim_invoked(struct buf *in, void *m)
{
	return ipc_cim_invoked_decode(in, m);
}
static enum err dec_host_opened(struct buf *in, void *m)
{
	return ipc_host_opened_decode(in, m);
}
static enum err dec_host_failed(struct buf *in, void *m)
{
	return ipc_host_failed_decode(in, m);
}
static enum err dec_config(struct buf *in, void *m)
{
	return ipc_config_decode(in, m);
}
static void free_config(void *m)
{
	ipc_config_clear(m);
}

static enum err dec_config_change(struct buf *in, void *m)
{
	return ipc_config_change_decode(in, m);
}
static void free_config_change(void *m)
{
	ipc_config_change_clear(m);
}
static enum err dec_config_result(struct buf *in, void *m)
{
	return ipc_config_result_decode(in, m);
}
static void free_config_result(void *m)
{
	ipc_config_result_clear(m);
}

static void test_auth_password(void)
{
	struct ipc_auth_password m = {.user = "alice",
				      .password = "s3cret",
				      .peer = "::1",
				      .scheme = "Basic",
				      .peer_port = 50059};
	struct ipc_auth_password d;
	struct buf b;
	static const uint8_t want[] = {
	    0, 0, 0, 5,	  'a', 'l', 'i', 'c', 'e',  0,	  0, 0, 6, 's', '3', 'c', 'r', 'e', 't', 0,
	    0, 0, 3, ':', ':', '1', 0,	 0,   0xc3, 0x8b, 0, 0, 0, 5,	'B', 'a', 's', 'i', 'c',
	};

	buf_init(&b, BODY_MAX);
	CHECK("auth_password encodes", ipc_auth_password_encode(&b, &m) == ERR_OK);
	CHECK("auth_password exact bytes",
	      buf_len(&b) == sizeof(want) && memcmp(buf_ptr(&b), want, sizeof(want)) == 0);
	CHECK("auth_password prefixes and trailer refused",
	      refuses_prefixes_and_trailer(&b, dec_auth_password, free_auth_password, &d));
	CHECK("auth_password decodes", ipc_auth_password_decode(&b, &d) == ERR_OK);
	CHECK("auth_password round trip", streq(d.user, "alice") && streq(d.password, "s3cret") &&
					      streq(d.peer, "::1") && streq(d.scheme, "Basic") &&
					      d.peer_port == 50059);
	ipc_auth_password_clear(&d);
	CHECK("auth_password free clears", d.user == NULL && d.password == NULL);
	buf_clear(&b);

	/* Empty (NULL) fields encode as empty strings. */
	struct ipc_auth_password empty = {0};
	buf_init(&b, BODY_MAX);
	CHECK("auth_password empty encodes",
	      ipc_auth_password_encode(&b, &empty) == ERR_OK && buf_len(&b) == 20);
	CHECK("auth_password empty decodes", ipc_auth_password_decode(&b, &d) == ERR_OK &&
						 streq(d.user, "") && streq(d.password, ""));
	ipc_auth_password_clear(&d);
	buf_clear(&b);

	/* Oversize fields: the encoder refuses them, and so does the decoder. */
	char *longpw = malloc(IPC_MAX_PASSWORD + 2);
	memset(longpw, 'x', IPC_MAX_PASSWORD + 1);
	longpw[IPC_MAX_PASSWORD + 1] = 0;
	struct ipc_auth_password big = m;
	big.password = longpw;
	buf_init(&b, BODY_MAX);
	CHECK("auth_password oversize password not encoded",
	      ipc_auth_password_encode(&b, &big) == ERR_LIMIT);
	buf_reset(&b);
	buf_put_cstring(&b, "alice");
	buf_put_cstring(&b, longpw);
	buf_put_cstring(&b, "::1");
	buf_put_u32(&b, 0);
	buf_put_cstring(&b, "Basic");
	CHECK("auth_password oversize password not decoded",
	      ipc_auth_password_decode(&b, &d) == ERR_FORMAT && d.user == NULL);
	buf_reset(&b);
	longpw[IPC_MAX_PASSWORD] = 0;
	buf_put_cstring(&b, "alice");
	buf_put_cstring(&b, longpw);
	buf_put_cstring(&b, "::1");
	buf_put_u32(&b, 0);
	buf_put_cstring(&b, "Basic");
	CHECK("auth_password password at the limit decoded",
	      ipc_auth_password_decode(&b, &d) == ERR_OK && strlen(d.password) == IPC_MAX_PASSWORD);
	ipc_auth_password_clear(&d);
	free(longpw);

	char longuser[IPC_MAX_USER + 2];
	memset(longuser, 'u', sizeof(longuser) - 1);
	longuser[sizeof(longuser) - 1] = 0;
	big = m;
	big.user = longuser;
	buf_reset(&b);
	CHECK("auth_password oversize user not encoded",
	      ipc_auth_password_encode(&b, &big) == ERR_LIMIT);
	char longpeer[IPC_MAX_PEER + 2];
	memset(longpeer, '1', sizeof(longpeer) - 1);
	longpeer[sizeof(longpeer) - 1] = 0;
	buf_reset(&b);
	buf_put_cstring(&b, "alice");
	buf_put_cstring(&b, "pw");
	buf_put_cstring(&b, longpeer);
	buf_put_u32(&b, 0);
	buf_put_cstring(&b, "Basic");
	CHECK("auth_password oversize peer not decoded",
	      ipc_auth_password_decode(&b, &d) == ERR_FORMAT);

	/* A NUL inside a string would cut the user name short in C. */
	buf_reset(&b);
	buf_put_string(&b, "root\0x", 6);
	buf_put_cstring(&b, "pw");
	buf_put_cstring(&b, "::1");
	buf_put_u32(&b, 0);
	buf_put_cstring(&b, "Basic");
	CHECK("auth_password NUL in user refused", ipc_auth_password_decode(&b, &d) == ERR_FORMAT);
	buf_reset(&b);
	buf_put_cstring(&b, "alice");
	buf_put_string(&b, "pw\0", 3);
	buf_put_cstring(&b, "::1");
	buf_put_u32(&b, 0);
	buf_put_cstring(&b, "Basic");
	CHECK("auth_password NUL in password refused",
	      ipc_auth_password_decode(&b, &d) == ERR_FORMAT && d.user == NULL);
	buf_reset(&b);
	buf_put_cstring(&b, "alice");
	buf_put_cstring(&b, "pw");
	buf_put_cstring(&b, "::1");
	buf_put_u32(&b, 65536);
	buf_put_cstring(&b, "Basic");
	CHECK("auth_password port over 65535 refused",
	      ipc_auth_password_decode(&b, &d) == ERR_FORMAT);
	big = m;
	big.peer_port = 65536;
	buf_reset(&b);
	CHECK("auth_password port over 65535 not encoded",
	      ipc_auth_password_encode(&b, &big) == ERR_USAGE);
	/* A length field larger than the body. */
	buf_reset(&b);
	buf_put_u32(&b, 0xffffffffu);
	CHECK("auth_password huge length refused", ipc_auth_password_decode(&b, &d) == ERR_FORMAT);
	buf_clear(&b);
}

static void test_auth_result(void)
{
	struct ipc_auth_result m = {
	    .status = IPC_AUTH_OK, .user = "bob", .uid = 1001, .is_admin = 1};
	struct ipc_auth_result d;
	struct buf b;

	for (int i = 0; i < IPC_TOKEN_LEN; i++)
		m.token[i] = (uint8_t)(0xa0 + i);
	static const uint8_t want[] = {
	    0,	  0,	0,    0,    0,	  0,	0,    3,    'b',  'o',	'b',  0,
	    0,	  0x03, 0xe9, 0,    0,	  0,	1,    0xa0, 0xa1, 0xa2, 0xa3, 0xa4,
	    0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
	};
	buf_init(&b, BODY_MAX);
	CHECK("auth_result encodes", ipc_auth_result_encode(&b, &m) == ERR_OK);
	CHECK("auth_result exact bytes",
	      buf_len(&b) == sizeof(want) && memcmp(buf_ptr(&b), want, sizeof(want)) == 0);
	CHECK("auth_result prefixes and trailer refused",
	      refuses_prefixes_and_trailer(&b, dec_auth_result, free_auth_result, &d));
	CHECK("auth_result decodes", ipc_auth_result_decode(&b, &d) == ERR_OK);
	CHECK("auth_result round trip", d.status == IPC_AUTH_OK && streq(d.user, "bob") &&
					    d.uid == 1001 && d.is_admin == 1 &&
					    memcmp(d.token, m.token, IPC_TOKEN_LEN) == 0);
	ipc_auth_result_clear(&d);
	CHECK("auth_result free wipes token", d.user == NULL && d.token[0] == 0);

	struct ipc_auth_result busy = {.status = IPC_AUTH_BUSY};
	buf_reset(&b);
	CHECK("auth_result busy round trip", ipc_auth_result_encode(&b, &busy) == ERR_OK &&
						 ipc_auth_result_decode(&b, &d) == ERR_OK &&
						 d.status == IPC_AUTH_BUSY && streq(d.user, ""));
	ipc_auth_result_clear(&d);

	/* Values no sender may produce. */
	struct ipc_auth_result bad = m;
	bad.status = IPC_AUTH_CONTINUE + 1;
	buf_reset(&b);
	CHECK("auth_result unknown status not encoded",
	      ipc_auth_result_encode(&b, &bad) == ERR_USAGE);
	buf_reset(&b);
	buf_put(&b, want, sizeof(want));
	b.data[3] = IPC_AUTH_CONTINUE + 1;
	CHECK("auth_result unknown status refused", ipc_auth_result_decode(&b, &d) == ERR_FORMAT);
	buf_reset(&b);
	buf_put(&b, want, sizeof(want));
	b.data[18] = 2;
	CHECK("auth_result is_admin 2 refused",
	      ipc_auth_result_decode(&b, &d) == ERR_FORMAT && d.user == NULL);
	buf_clear(&b);
}

static enum err dec_auth_credssp(struct buf *in, void *m)
{
	return ipc_auth_credssp_decode(in, m);
}
static void free_auth_credssp(void *m)
{
	ipc_auth_credssp_clear(m);
}
static enum err dec_auth_credssp_result(struct buf *in, void *m)
{
	return ipc_auth_credssp_result_decode(in, m);
}
static void free_auth_credssp_result(void *m)
{
	ipc_auth_credssp_result_clear(m);
}

static void test_auth_credssp(void)
{
	uint8_t tok[] = "NTLMSSP", pka[] = "sealed", cert[] = {0x30, 0x00};
	struct ipc_auth_credssp m = {.conn = 77,
				     .peer = "192.0.2.7",
				     .peer_port = 443,
				     .version = 6,
				     .nego_token = tok,
				     .nego_token_len = sizeof(tok),
				     .pub_key_auth = pka,
				     .pub_key_auth_len = sizeof(pka),
				     .has_client_nonce = 1,
				     .server_cert = cert,
				     .server_cert_len = sizeof(cert)},
				d;
	struct buf b;

	memset(m.client_nonce, 0x5a, sizeof(m.client_nonce));
	buf_init(&b, BODY_MAX);
	CHECK("auth_credssp encodes", ipc_auth_credssp_encode(&b, &m) == ERR_OK);
	CHECK("auth_credssp prefixes and trailer refused",
	      refuses_prefixes_and_trailer(&b, dec_auth_credssp, free_auth_credssp, &d));
	CHECK("auth_credssp round trip",
	      ipc_auth_credssp_decode(&b, &d) == ERR_OK && d.conn == 77 &&
		  streq(d.peer, "192.0.2.7") && d.peer_port == 443 && d.version == 6 &&
		  d.nego_token_len == sizeof(tok) && memcmp(d.nego_token, tok, sizeof(tok)) == 0 &&
		  d.pub_key_auth_len == sizeof(pka) && d.auth_info == NULL &&
		  d.has_client_nonce == 1 && d.client_nonce[31] == 0x5a &&
		  d.server_cert_len == sizeof(cert));
	ipc_auth_credssp_clear(&d);
	m.server_cert_len = 0;
	buf_reset(&b);
	CHECK("auth_credssp without the server's certificate not encoded",
	      ipc_auth_credssp_encode(&b, &m) == ERR_USAGE);
	buf_clear(&b);
}

static void test_auth_credssp_result(void)
{
	uint8_t sealed[] = "sealed for bob's host";
	struct ipc_auth_credssp_result m = {.result = {.status = IPC_AUTH_OK,
						       .user = "bob",
						       .uid = 7},
					    .delegated = sealed,
					    .delegated_len = sizeof(sealed)},
				       d;
	struct buf b;

	buf_init(&b, BODY_MAX);
	CHECK("auth_credssp_result encodes", ipc_auth_credssp_result_encode(&b, &m) == ERR_OK);
	CHECK("auth_credssp_result prefixes and trailer refused",
	      refuses_prefixes_and_trailer(&b, dec_auth_credssp_result, free_auth_credssp_result,
					   &d));
	CHECK("auth_credssp_result round trip",
	      ipc_auth_credssp_result_decode(&b, &d) == ERR_OK && d.result.status == IPC_AUTH_OK &&
		  d.delegated_len == sizeof(sealed) &&
		  memcmp(d.delegated, sealed, sizeof(sealed)) == 0 && d.nego_token == NULL);
	ipc_auth_credssp_result_clear(&d);
	CHECK("auth_credssp_result clear frees the credentials", d.delegated == NULL);
	m.result.status = IPC_AUTH_CONTINUE;
	buf_reset(&b);
	CHECK("credentials with anything but a success refused",
	      ipc_auth_credssp_result_encode(&b, &m) == ERR_OK &&
		  ipc_auth_credssp_result_decode(&b, &d) == ERR_FORMAT && d.delegated == NULL);
	buf_clear(&b);
}

static enum err dec_accept(struct buf *in, void *m)
{
	return ipc_accept_decode(in, m);
}

static void free_accept(void *m)
{
	ipc_accept_clear(m);
}

static enum err dec_accepted(struct buf *in, void *m)
{
	return ipc_accepted_decode(in, m);
}

static void free_accepted(void *m)
{
	ipc_accepted_clear(m);
}

static void test_accept(void)
{
	uint8_t tok[] = "NTLMSSP", sealed[] = "sealed", plain[] = "pubkey";
	struct ipc_accept m = {.slot = IPC_MAX_ACCEPT_SLOTS - 1,
			       .keep = 1,
			       .token = tok,
			       .token_len = sizeof(tok),
			       .unwrap = sealed,
			       .unwrap_len = sizeof(sealed),
			       .wrap = plain,
			       .wrap_len = sizeof(plain)},
			  d;
	struct buf b;

	buf_init(&b, BODY_MAX);
	CHECK("accept encodes", ipc_accept_encode(&b, &m) == ERR_OK);
	CHECK("accept prefixes and trailer refused",
	      refuses_prefixes_and_trailer(&b, dec_accept, free_accept, &d));
	CHECK("accept round trip",
	      ipc_accept_decode(&b, &d) == ERR_OK && d.slot == IPC_MAX_ACCEPT_SLOTS - 1 &&
		  d.keep == 1 && d.fresh == 0 && d.token_len == sizeof(tok) && d.binding == NULL &&
		  d.unwrap_len == sizeof(sealed) && memcmp(d.wrap, plain, sizeof(plain)) == 0);
	ipc_accept_clear(&d);
	m.slot = IPC_MAX_ACCEPT_SLOTS;
	buf_reset(&b);
	CHECK("accept: a slot past the acceptor's not encoded",
	      ipc_accept_encode(&b, &m) == ERR_USAGE);
	buf_clear(&b);
}

static void test_accepted(void)
{
	uint8_t ctx[] = "exported context",
		krb5[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
	struct ipc_accepted m = {.why = "",
				 .complete = 1,
				 .source = "alice@EXAMPLE.ORG",
				 .target = "HTTP/host@EXAMPLE.ORG",
				 .mech = krb5,
				 .mech_len = sizeof(krb5),
				 .flags = 0x1b2,
				 .context = ctx,
				 .context_len = sizeof(ctx)},
			    d;
	struct buf b;

	buf_init(&b, BODY_MAX);
	CHECK("accepted encodes", ipc_accepted_encode(&b, &m) == ERR_OK);
	CHECK("accepted prefixes and trailer refused",
	      refuses_prefixes_and_trailer(&b, dec_accepted, free_accepted, &d));
	CHECK("accepted round trip", ipc_accepted_decode(&b, &d) == ERR_OK && d.complete == 1 &&
					 streq(d.source, "alice@EXAMPLE.ORG") &&
					 streq(d.target, "HTTP/host@EXAMPLE.ORG") &&
					 d.mech_len == sizeof(krb5) && d.flags == 0x1b2 &&
					 d.context_len == sizeof(ctx) && d.deleg == NULL &&
					 d.out_token == NULL);
	ipc_accepted_clear(&d);
	CHECK("accepted clear frees the context", d.context == NULL);
	m.complete = 0;
	buf_reset(&b);
	CHECK("accepted: a context of an unfinished handshake not encoded",
	      ipc_accepted_encode(&b, &m) == ERR_USAGE);
	m.failed_step = IPC_ACCEPT_STEP_WRAP + 1;
	m.context_len = 0;
	CHECK("accepted: an unknown step not encoded", ipc_accepted_encode(&b, &m) == ERR_USAGE);
	buf_clear(&b);
}

static void test_host_open(void)
{
	struct ipc_host_open m = {.endpoint = "DnsOps", .peer = "::1", .scheme = "Basic"}, d;
	static const uint8_t tail[] = {0,   0, 0, 6,   'D', 'n', 's', 'O', 'p',
				       's', 0, 0, 0,   3,   ':', ':', '1', 0,
				       0,   0, 5, 'B', 'a', 's', 'i', 'c'};
	struct buf b;

	for (int i = 0; i < IPC_TOKEN_LEN; i++)
		m.token[i] = (uint8_t)(i * 7);
	buf_init(&b, BODY_MAX);
	CHECK("host_open encodes", ipc_host_open_encode(&b, &m) == ERR_OK);
	uint8_t enc[IPC_TOKEN_LEN + sizeof(tail)];
	int exact = buf_len(&b) == sizeof(enc);
	if (exact)
		memcpy(enc, buf_ptr(&b), sizeof(enc));
	CHECK("host_open exact bytes", exact && memcmp(enc, m.token, IPC_TOKEN_LEN) == 0 &&
					   memcmp(enc + IPC_TOKEN_LEN, tail, sizeof(tail)) == 0);
	CHECK("host_open prefixes and trailer refused",
	      refuses_prefixes_and_trailer(&b, dec_host_open, NULL, &d));
	CHECK("host_open round trip", ipc_host_open_decode(&b, &d) == ERR_OK &&
					  memcmp(d.token, m.token, IPC_TOKEN_LEN) == 0 &&
					  strcmp(d.endpoint, "DnsOps") == 0 &&
					  strcmp(d.peer, "::1") == 0 &&
					  strcmp(d.scheme, "Basic") == 0);
	buf_clear(&b);
	/* An endpoint longer than a plugin's name, a NUL inside: refused. */
	buf_init(&b, BODY_MAX);
	buf_put(&b, m.token, IPC_TOKEN_LEN);
	buf_put_string(&b, "0123456789012345678901234567890123456789012345678901234567890123456789",
		       70);
	buf_put_string(&b, "", 0);
	buf_put_string(&b, "", 0);
	CHECK("host_open endpoint over IPC_MAX_ENDPOINT refused",
	      ipc_host_open_decode(&b, &d) == ERR_FORMAT && d.token[1] == 0);
	buf_clear(&b);
	buf_init(&b, BODY_MAX);
	buf_put(&b, m.token, IPC_TOKEN_LEN);
	buf_put_string(&b, "Dns\0Ops", 7);
	buf_put_string(&b, "", 0);
	buf_put_string(&b, "", 0);
	CHECK("host_open NUL in a string refused", ipc_host_open_decode(&b, &d) == ERR_FORMAT);
	buf_clear(&b);
}

static void test_host_opened(void)
{
	struct ipc_host_opened m = {.uid = 1000, .pid = 0x12345}, d;
	struct buf b;
	static const uint8_t want[] = {0, 0, 0x03, 0xe8, 0, 0x01, 0x23, 0x45};

	buf_init(&b, BODY_MAX);
	CHECK("host_opened encodes", ipc_host_opened_encode(&b, &m) == ERR_OK);
	CHECK("host_opened exact bytes",
	      buf_len(&b) == sizeof(want) && memcmp(buf_ptr(&b), want, sizeof(want)) == 0);
	CHECK("host_opened prefixes and trailer refused",
	      refuses_prefixes_and_trailer(&b, dec_host_opened, NULL, &d));
	CHECK("host_opened round trip",
	      ipc_host_opened_decode(&b, &d) == ERR_OK && d.uid == 1000 && d.pid == 0x12345);

	struct ipc_host_opened zero = {.uid = 0, .pid = 0};
	buf_reset(&b);
	CHECK("host_opened pid 0 not encoded", ipc_host_opened_encode(&b, &zero) == ERR_USAGE);
	buf_reset(&b);
	buf_put_u32(&b, 0);
	buf_put_u32(&b, 0);
	CHECK("host_opened pid 0 refused", ipc_host_opened_decode(&b, &d) == ERR_FORMAT);
	buf_reset(&b);
	buf_put_u32(&b, 0);
	buf_put_u32(&b, 0x80000000u);
	CHECK("host_opened negative pid refused", ipc_host_opened_decode(&b, &d) == ERR_FORMAT);
	buf_reset(&b);
	buf_put_u32(&b, 0xffffffffu);
	buf_put_u32(&b, 5);
	CHECK("host_opened uid -1 refused", ipc_host_opened_decode(&b, &d) == ERR_FORMAT);
	buf_clear(&b);
}

static void test_host_failed(void)
{
	struct buf b;
	enum err r = ERR_OK;
	static const uint8_t want[] = {0, 0, 0, ERR_WSMAN_QUOTA_USERS};

	buf_init(&b, BODY_MAX);
	CHECK("host_failed encodes", ipc_host_failed_encode(&b, ERR_WSMAN_QUOTA_USERS) == ERR_OK);
	CHECK("host_failed exact bytes",
	      buf_len(&b) == sizeof(want) && memcmp(buf_ptr(&b), want, sizeof(want)) == 0);
	CHECK("host_failed prefixes and trailer refused",
	      refuses_prefixes_and_trailer(&b, dec_host_failed, NULL, &r));
	CHECK("host_failed round trip",
	      ipc_host_failed_decode(&b, &r) == ERR_OK && r == ERR_WSMAN_QUOTA_USERS);
	buf_reset(&b);
	CHECK("host_failed ERR_OK not encoded", ipc_host_failed_encode(&b, ERR_OK) == ERR_USAGE);
	CHECK("host_failed ERR_COUNT not encoded",
	      ipc_host_failed_encode(&b, ERR_COUNT) == ERR_USAGE);
	buf_put_u32(&b, ERR_OK);
	CHECK("host_failed ERR_OK refused", ipc_host_failed_decode(&b, &r) == ERR_FORMAT);
	buf_reset(&b);
	buf_put_u32(&b, ERR_COUNT);
	CHECK("host_failed unknown code refused", ipc_host_failed_decode(&b, &r) == ERR_FORMAT);
	buf_clear(&b);
}

static void test_config(void)
{
	struct ipc_config m;
	struct ipc_config d;
	struct buf b;

	memset(&m, 0, sizeof(m));
	m.config_text = "Service/Auth/Basic = true\n";
	m.nlisteners = 2;
	m.listeners[0] = (struct ipc_listener_info){
	    .name = "Address=*+Transport=HTTP", .https = 0, .url_prefix = "wsman"};
	m.listeners[1] = (struct ipc_listener_info){
	    .name = "Address=IP:127.0.0.1+Transport=HTTPS",
	    .https = 1,
	    .url_prefix = "wsman",
	    .cert_pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
	    .key_pem = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"};
	m.nsockets = 3;
	m.socket_listener[0] = 0;
	m.socket_listener[1] = 0;
	m.socket_listener[2] = 1;

	buf_init(&b, BODY_MAX);
	CHECK("config encodes", ipc_config_encode(&b, &m) == ERR_OK);
	/* config_text, count, listener 0, head of listener 1 */
	static const uint8_t head[] = {
	    0,	 0,   0,   26,	'S', 'e', 'r', 'v', 'i', 'c', 'e', '/', 'A',  'u', 't', 'h', '/',
	    'B', 'a', 's', 'i', 'c', ' ', '=', ' ', 't', 'r', 'u', 'e', '\n', 0,   0,	0,   2,
	    0,	 0,   0,   24,	'A', 'd', 'd', 'r', 'e', 's', 's', '=', '*',  '+', 'T', 'r', 'a',
	    'n', 's', 'p', 'o', 'r', 't', '=', 'H', 'T', 'T', 'P', 0,	0,    0,   0,	0,   0,
	    0,	 5,   'w', 's', 'm', 'a', 'n', 0,   0,	 0,   0,   0,	0,    0,   0,
	};
	static const uint8_t tail[] = {0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	CHECK("config exact head bytes",
	      buf_len(&b) > sizeof(head) && memcmp(buf_ptr(&b), head, sizeof(head)) == 0);
	CHECK("config exact tail bytes",
	      memcmp(buf_ptr(&b) + buf_len(&b) - sizeof(tail), tail, sizeof(tail)) == 0);
	CHECK("config prefixes and trailer refused",
	      refuses_prefixes_and_trailer(&b, dec_config, free_config, &d));
	CHECK("config decodes", ipc_config_decode(&b, &d) == ERR_OK);
	CHECK("config round trip text", streq(d.config_text, m.config_text));
	CHECK("config round trip listeners",
	      d.nlisteners == 2 && streq(d.listeners[0].name, m.listeners[0].name) &&
		  d.listeners[0].https == 0 && streq(d.listeners[0].cert_pem, "") &&
		  streq(d.listeners[1].name, m.listeners[1].name) && d.listeners[1].https == 1 &&
		  streq(d.listeners[1].url_prefix, "wsman") &&
		  streq(d.listeners[1].cert_pem, m.listeners[1].cert_pem) &&
		  streq(d.listeners[1].key_pem, m.listeners[1].key_pem));
	CHECK("config round trip sockets", d.nsockets == 3 && d.socket_listener[0] == 0 &&
					       d.socket_listener[1] == 0 &&
					       d.socket_listener[2] == 1);
	ipc_config_clear(&d);
	CHECK("config free clears", d.config_text == NULL && d.nlisteners == 0);

	/* A socket naming a listener that does not exist. */
	struct ipc_config bad = m;
	bad.socket_listener[2] = 2;
	buf_reset(&b);
	CHECK("config bad socket index not encoded", ipc_config_encode(&b, &bad) == ERR_USAGE);
	buf_reset(&b);
	CHECK("config encodes again", ipc_config_encode(&b, &m) == ERR_OK);
	b.data[b.size - 1] = 2;
	CHECK("config bad socket index refused", ipc_config_decode(&b, &d) == ERR_FORMAT);

	/* Counts over the limits. */
	buf_reset(&b);
	buf_put_cstring(&b, "");
	buf_put_u32(&b, IPC_MAX_LISTENERS + 1);
	CHECK("config too many listeners refused", ipc_config_decode(&b, &d) == ERR_FORMAT);
	buf_reset(&b);
	buf_put_cstring(&b, "");
	buf_put_u32(&b, 0);
	buf_put_u32(&b, IPC_MAX_FDS + 1);
	CHECK("config too many sockets refused", ipc_config_decode(&b, &d) == ERR_FORMAT);
	bad = m;
	bad.nsockets = IPC_MAX_FDS + 1;
	buf_reset(&b);
	CHECK("config too many sockets not encoded", ipc_config_encode(&b, &bad) == ERR_LIMIT);
	bad = m;
	bad.listeners[0].https = 2;
	buf_reset(&b);
	CHECK("config https 2 not encoded", ipc_config_encode(&b, &bad) == ERR_USAGE);

	/* An oversize PEM, and a NUL in the key: refused after earlier fields
	 * were allocated, so ASan checks they are freed. */
	char *pem = malloc(IPC_MAX_PEM + 2);
	memset(pem, 'A', IPC_MAX_PEM + 1);
	pem[IPC_MAX_PEM + 1] = 0;
	bad = m;
	bad.listeners[1].key_pem = pem;
	buf_reset(&b);
	CHECK("config oversize key not encoded", ipc_config_encode(&b, &bad) == ERR_LIMIT);
	buf_reset(&b);
	buf_put_cstring(&b, "text");
	buf_put_u32(&b, 1);
	buf_put_cstring(&b, "Address=*+Transport=HTTPS");
	buf_put_u32(&b, 1);
	buf_put_cstring(&b, "wsman");
	buf_put_cstring(&b, "cert");
	buf_put_cstring(&b, pem);
	buf_put_u32(&b, 0);
	CHECK("config oversize key refused",
	      ipc_config_decode(&b, &d) == ERR_FORMAT && d.config_text == NULL);
	free(pem);
	buf_reset(&b);
	buf_put_cstring(&b, "text");
	buf_put_u32(&b, 1);
	buf_put_cstring(&b, "Address=*+Transport=HTTPS");
	buf_put_u32(&b, 1);
	buf_put_cstring(&b, "wsman");
	buf_put_cstring(&b, "cert");
	buf_put_string(&b, "key\0more", 8);
	buf_put_u32(&b, 0);
	CHECK("config NUL in key refused", ipc_config_decode(&b, &d) == ERR_FORMAT);
	buf_reset(&b);
	buf_put_cstring(&b, "text");
	buf_put_u32(&b, 0);
	buf_put_u32(&b, 0);
	CHECK("config with no listener decodes",
	      ipc_config_decode(&b, &d) == ERR_OK && d.nlisteners == 0 && d.nsockets == 0);
	ipc_config_clear(&d);
	buf_clear(&b);
}

/* A CONFIG_CHANGE body written field by field: op, then resource and
 * selectors, then npairs pairs of (name, has-value flag, value). */
static void change_body(struct buf *b, uint32_t op, const char *resource, uint32_t npairs,
			uint32_t has_value)
{
	static const uint8_t token[IPC_TOKEN_LEN] = {1};

	buf_reset(b);
	buf_put(b, token, sizeof(token));
	buf_put_u32(b, op);
	buf_put_cstring(b, resource);
	buf_put_cstring(b, "");
	buf_put_u32(b, npairs);
	for (uint32_t i = 0; i < npairs; i++) {
		buf_put_cstring(b, "Basic");
		buf_put_u32(b, has_value);
		if (has_value == 1)
			buf_put_cstring(b, "true");
	}
}

static void test_config_change(void)
{
	struct ipc_config_change m, d;
	struct buf b;

	memset(&m, 0, sizeof(m));
	for (int i = 0; i < IPC_TOKEN_LEN; i++)
		m.token[i] = (uint8_t)(0xa0 + i);
	m.op = IPC_CONFIG_CREATE;
	m.resource = "listener";
	m.selectors = "Address=IP:127.0.0.1+Transport=HTTP";
	m.npairs = 3;
	m.pairs[0] = (struct ipc_config_pair){"Port", "5999"};
	m.pairs[1] = (struct ipc_config_pair){"Hostname", NULL};
	m.pairs[2] = (struct ipc_config_pair){"URLPrefix", ""};
	buf_init(&b, BODY_MAX);
	CHECK("config_change encodes", ipc_config_change_encode(&b, &m) == ERR_OK);
	/* Through data: buf_ptr's "" for an empty buffer misleads GCC's bounds check. */
	CHECK("config_change layout: token, op",
	      buf_len(&b) > IPC_TOKEN_LEN + 4 && memcmp(b.data, m.token, IPC_TOKEN_LEN) == 0 &&
		  b.data[IPC_TOKEN_LEN + 3] == IPC_CONFIG_CREATE);
	CHECK("config_change prefixes and trailer refused",
	      refuses_prefixes_and_trailer(&b, dec_config_change, free_config_change, &d));
	CHECK("config_change round trip",
	      ipc_config_change_decode(&b, &d) == ERR_OK && d.op == IPC_CONFIG_CREATE &&
		  memcmp(d.token, m.token, IPC_TOKEN_LEN) == 0 && streq(d.resource, "listener") &&
		  streq(d.selectors, m.selectors) && d.npairs == 3 &&
		  streq(d.pairs[0].name, "Port") && streq(d.pairs[0].value, "5999") &&
		  streq(d.pairs[1].name, "Hostname") && d.pairs[1].value == NULL &&
		  streq(d.pairs[2].value, ""));
	ipc_config_change_clear(&d);
	CHECK("config_change free wipes the token", d.resource == NULL && d.token[0] == 0);

	buf_reset(&b);
	m.op = 0;
	CHECK("config_change unknown op not encoded",
	      ipc_config_change_encode(&b, &m) == ERR_USAGE);
	m.op = IPC_CONFIG_PUT;
	m.npairs = IPC_MAX_CONFIG_PAIRS + 1;
	CHECK("config_change too many pairs not encoded",
	      ipc_config_change_encode(&b, &m) == ERR_LIMIT);
	char big[IPC_MAX_CONFIG_RESOURCE + 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	m.npairs = 0;
	m.resource = big;
	buf_reset(&b);
	CHECK("config_change overlong resource not encoded",
	      ipc_config_change_encode(&b, &m) == ERR_LIMIT);

	change_body(&b, IPC_CONFIG_PUT, "service/auth", 1, 1);
	CHECK("config_change by hand decodes", ipc_config_change_decode(&b, &d) == ERR_OK &&
						   d.op == IPC_CONFIG_PUT && d.npairs == 1 &&
						   streq(d.pairs[0].value, "true"));
	ipc_config_change_clear(&d);
	change_body(&b, IPC_CONFIG_DELETE + 1, "listener", 0, 0);
	CHECK("config_change unknown op refused", ipc_config_change_decode(&b, &d) == ERR_FORMAT);
	change_body(&b, IPC_CONFIG_PUT, "", IPC_MAX_CONFIG_PAIRS + 1, 0);
	CHECK("config_change too many pairs refused",
	      ipc_config_change_decode(&b, &d) == ERR_FORMAT);
	change_body(&b, IPC_CONFIG_PUT, "", IPC_MAX_CONFIG_PAIRS, 0);
	CHECK("config_change most pairs decode",
	      ipc_config_change_decode(&b, &d) == ERR_OK && d.npairs == IPC_MAX_CONFIG_PAIRS);
	ipc_config_change_clear(&d);
	change_body(&b, IPC_CONFIG_PUT, "", 1, 2);
	CHECK("config_change value flag 2 refused", ipc_config_change_decode(&b, &d) == ERR_FORMAT);
	change_body(&b, IPC_CONFIG_PUT, big, 0, 0);
	CHECK("config_change overlong resource refused",
	      ipc_config_change_decode(&b, &d) == ERR_FORMAT);
	buf_clear(&b);
}

static void test_config_result(void)
{
	struct ipc_config_result m = {.status = ERR_WSMAN_ALREADY_EXISTS, .message = "exists"}, d;
	struct buf b;
	char big[IPC_MAX_CONFIG_MESSAGE + 2];

	buf_init(&b, BODY_MAX);
	CHECK("config_result encodes", ipc_config_result_encode(&b, &m) == ERR_OK);
	CHECK("config_result exact bytes", buf_len(&b) == 14 &&
					       buf_ptr(&b)[3] == ERR_WSMAN_ALREADY_EXISTS &&
					       memcmp(buf_ptr(&b) + 4, "\0\0\0\6exists", 10) == 0);
	CHECK("config_result prefixes and trailer refused",
	      refuses_prefixes_and_trailer(&b, dec_config_result, free_config_result, &d));
	CHECK("config_result round trip", ipc_config_result_decode(&b, &d) == ERR_OK &&
					      d.status == ERR_WSMAN_ALREADY_EXISTS &&
					      streq(d.message, "exists"));
	ipc_config_result_clear(&d);
	buf_reset(&b);
	m.status = ERR_COUNT;
	CHECK("config_result unknown status not encoded",
	      ipc_config_result_encode(&b, &m) == ERR_USAGE);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	m.status = ERR_OK;
	m.message = big;
	CHECK("config_result overlong message not encoded",
	      ipc_config_result_encode(&b, &m) == ERR_LIMIT);
	buf_reset(&b);
	buf_put_u32(&b, ERR_COUNT);
	buf_put_cstring(&b, "");
	CHECK("config_result unknown status refused",
	      ipc_config_result_decode(&b, &d) == ERR_FORMAT);
	buf_clear(&b);
}

static void test_token_renew(void)
{
	struct ipc_token_renew m, d;
	struct buf b;

	for (int i = 0; i < IPC_TOKEN_LEN; i++)
		m.token[i] = (uint8_t)(0xf0 - i);
	buf_init(&b, BODY_MAX);
	CHECK("token_renew encodes", ipc_token_renew_encode(&b, &m) == ERR_OK);
	CHECK("token_renew exact bytes",
	      buf_len(&b) == IPC_TOKEN_LEN && memcmp(buf_ptr(&b), m.token, IPC_TOKEN_LEN) == 0);
	CHECK("token_renew prefixes and trailer refused",
	      refuses_prefixes_and_trailer(&b, dec_token_renew, NULL, &d));
	CHECK("token_renew round trip", ipc_token_renew_decode(&b, &d) == ERR_OK &&
					    memcmp(d.token, m.token, IPC_TOKEN_LEN) == 0);
	buf_reset(&b);
	buf_put(&b, m.token, IPC_TOKEN_LEN - 1);
	memset(&d, 0x55, sizeof(d));
	CHECK("token_renew short body refused and wiped",
	      ipc_token_renew_decode(&b, &d) == ERR_FORMAT && d.token[0] == 0);
	buf_clear(&b);
}

static void test_token_renewed(void)
{
	struct ipc_token_renewed m = {.status = IPC_AUTH_OK, .uid = 1001, .is_admin = 1}, d;
	struct buf b;

	for (int i = 0; i < IPC_TOKEN_LEN; i++)
		m.token[i] = (uint8_t)(0x10 + i);
	static const uint8_t want[] = {
	    0,	  0,	0,    0,    0,	  0,	0x03, 0xe9, 0,	  0,	0,    1,    0x10, 0x11,
	    0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	};
	buf_init(&b, BODY_MAX);
	CHECK("token_renewed encodes", ipc_token_renewed_encode(&b, &m) == ERR_OK);
	CHECK("token_renewed exact bytes",
	      buf_len(&b) == sizeof(want) && memcmp(buf_ptr(&b), want, sizeof(want)) == 0);
	CHECK("token_renewed prefixes and trailer refused",
	      refuses_prefixes_and_trailer(&b, dec_token_renewed, NULL, &d));
	CHECK("token_renewed round trip",
	      ipc_token_renewed_decode(&b, &d) == ERR_OK && d.status == IPC_AUTH_OK &&
		  d.uid == 1001 && d.is_admin == 1 && memcmp(d.token, m.token, IPC_TOKEN_LEN) == 0);

	/* A refusal is its status alone. */
	static const uint32_t refusals[] = {IPC_AUTH_BAD_CREDENTIALS, IPC_AUTH_NOT_ALLOWED,
					    IPC_AUTH_BUSY};
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		struct ipc_token_renewed no = {.status = refusals[i]};
		buf_reset(&b);
		CHECK("token_renewed refusal round trip",
		      ipc_token_renewed_encode(&b, &no) == ERR_OK && buf_len(&b) == sizeof(want) &&
			  ipc_token_renewed_decode(&b, &d) == ERR_OK && d.status == refusals[i]);
		no.token[5] = 1;
		buf_reset(&b);
		CHECK("token_renewed refusal with a token not encoded",
		      ipc_token_renewed_encode(&b, &no) == ERR_USAGE);
		no.token[5] = 0;
		no.uid = 7;
		CHECK("token_renewed refusal with a uid not encoded",
		      ipc_token_renewed_encode(&b, &no) == ERR_USAGE);
	}
	struct ipc_token_renewed bad = m;
	bad.status = IPC_AUTH_CONTINUE;
	buf_reset(&b);
	CHECK("token_renewed CONTINUE not encoded",
	      ipc_token_renewed_encode(&b, &bad) == ERR_USAGE);
	bad = m;
	bad.is_admin = 2;
	CHECK("token_renewed is_admin 2 not encoded",
	      ipc_token_renewed_encode(&b, &bad) == ERR_USAGE);

	/* What the decoder refuses, each from the good bytes with one change;
	 * a refused message leaves no token behind. */
	static const struct {
		const char *name;
		size_t at;
		uint8_t value;
	} edits[] = {
	    {"token_renewed CONTINUE refused", 3, IPC_AUTH_CONTINUE},
	    {"token_renewed unknown status refused", 3, IPC_AUTH_CONTINUE + 1},
	    {"token_renewed is_admin 2 refused", 11, 2},
	    {"token_renewed refusal carrying a token refused", 3, IPC_AUTH_BAD_CREDENTIALS},
	};
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		buf_reset(&b);
		buf_put(&b, want, sizeof(want));
		b.data[edits[i].at] = edits[i].value;
		CHECK(edits[i].name, ipc_token_renewed_decode(&b, &d) == ERR_FORMAT &&
					 d.token[0] == 0 && d.uid == 0);
	}
	buf_clear(&b);
}

static enum err dec_audit(struct buf *in, void *m)
{
	return ipc_audit_decode(in, m);
}

/* IPC_AUDIT: the numbers, then every string field in audit_fields' order. */
static void test_audit(void)
{
	static struct audit_event m, d;
	static const uint8_t
	    head[] = {0, 0, 0,	 6,   0,   0,	0xc3, 0x8b, 0,	 0,   0,   1, 0,
		      0, 0, 3,	 0,   0,   0,	0, /* kind .. cut */
		      0, 0, 0,	 0,   0,   0,	5,    0xdc, 0,	 0,   0,   0, 0,
		      0, 0, 12,	 0,   0,   0,	0,    0,    0,	 16,  0,   0, 0,
		      0, 9, '1', '9', '2', '.', '0',  '.',  '2', '.', '7', /* source_address */
		      0, 0, 0,	 5,   'a', 'l', 'i',  'c',  'e'};	   /* user */
	struct buf b;

	audit_event_init(&m, AUDIT_COMMAND_END);
	m.source_port = 50059;
	m.has_exit_code = 1;
	m.exit_code = 3;
	m.duration_ms = 1500;
	m.bytes_in = 12;
	m.bytes_out = 4096;
	AUDIT_SET(&m, source_address, "192.0.2.7");
	AUDIT_SET(&m, user, "alice");
	AUDIT_SET(&m, command_id, "DEADBEEF-1111-2222-3333-444455556666");
	memset(m.command_line, 'x', AUDIT_MAX_COMMAND_LINE);
	buf_init(&b, BODY_MAX);
	CHECK("audit encodes", ipc_audit_encode(&b, &m) == ERR_OK);
	CHECK("audit exact bytes",
	      buf_len(&b) > sizeof(head) && memcmp(buf_ptr(&b), head, sizeof(head)) == 0);
	CHECK("audit prefixes and trailer refused",
	      refuses_prefixes_and_trailer(&b, dec_audit, NULL, &d));
	CHECK("audit round trip",
	      ipc_audit_decode(&b, &d) == ERR_OK && memcmp(&d, &m, sizeof(d)) == 0);
	buf_clear(&b);

	static const struct {
		const char *name;
		size_t at;
		uint8_t value;
	} edits[] = {
	    {"audit unknown kind refused", 3, AUDIT_KIND_COUNT},
	    {"audit port over 65535 refused", 5, 1},
	    {"audit exit-code flag 2 refused", 11, 2},
	    {"audit truncation flag 2 refused", 19, 2},
	    {"audit NUL in a field refused", 48, 0},
	};
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		buf_init(&b, BODY_MAX);
		ipc_audit_encode(&b, &m);
		b.data[edits[i].at] = edits[i].value;
		CHECK(edits[i].name, ipc_audit_decode(&b, &d) == ERR_FORMAT);
		buf_clear(&b);
	}
	m.source_port = 70000;
	buf_init(&b, BODY_MAX);
	CHECK("audit port over 65535 not encoded", ipc_audit_encode(&b, &m) == ERR_USAGE);
	buf_clear(&b);
	/* A field one byte over its size. */
	m.source_port = 0;
	buf_init(&b, BODY_MAX);
	ipc_audit_encode(&b, &m);
	struct buf over;
	buf_init(&over, BODY_MAX);
	buf_put(&over, buf_ptr(&b), 44);
	char big[AUDIT_MAX_FIELD + 1];
	memset(big, 'y', sizeof(big));
	buf_put_string(&over, big, sizeof(big));
	for (size_t i = 1; i < audit_nfields; i++)
		buf_put_string(&over, "", 0);
	CHECK("audit field over its size refused", ipc_audit_decode(&over, &d) == ERR_FORMAT);
	buf_clear(&over);
	buf_clear(&b);
}

/* An administrator's StopService, as the network process sends it. */
static void cim_invoke_of(struct ipc_cim_invoke *m)
{
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < IPC_TOKEN_LEN; i++)
		m->token[i] = (uint8_t)(0x30 + i);
	snprintf(m->call.namespace_name, sizeof(m->call.namespace_name), "root/cimv2");
	snprintf(m->call.class_name, sizeof(m->call.class_name), "Win32_Service");
	snprintf(m->call.method, sizeof(m->call.method), "StopService");
	m->call.nselectors = 1;
	snprintf(m->call.selectors[0].name, sizeof(m->call.selectors[0].name), "Name");
	snprintf(m->call.selectors[0].value, sizeof(m->call.selectors[0].value), "cron");
	m->call.timeout_ms = CIM_METHOD_TIMEOUT_MS;
	m->call.access.is_admin = 1;
	m->call.access.encrypted = 1;
	snprintf(m->call.access.sddl, sizeof(m->call.access.sddl), "O:NSG:BAD:P(A;;CCDC;;;BA)");
}

static void test_cim_invoke(void)
{
	static struct ipc_cim_invoke m, d;
	struct buf b;

	cim_invoke_of(&m);
	buf_init(&b, BODY_MAX);
	CHECK("cim_invoke encodes", ipc_cim_invoke_encode(&b, &m) == ERR_OK);
	CHECK("cim_invoke layout: the token first",
	      buf_len(&b) > IPC_TOKEN_LEN && memcmp(b.data, m.token, IPC_TOKEN_LEN) == 0);
	CHECK("cim_invoke prefixes and trailer refused",
	      refuses_prefixes_and_trailer(&b, dec_cim_invoke, NULL, &d));
	CHECK("cim_invoke round trip",
	      ipc_cim_invoke_decode(&b, &d) == ERR_OK && memcmp(&d, &m, sizeof(m)) == 0);
	buf_reset(&b);
	buf_put(&b, m.token, IPC_TOKEN_LEN);
	buf_put_u32(&b, 1);
	memset(&d, 0x55, sizeof(d));
	CHECK("cim_invoke short body refused and its token wiped",
	      ipc_cim_invoke_decode(&b, &d) == ERR_FORMAT && d.token[0] == 0);
	buf_reset(&b);
	m.call.timeout_ms = CIM_METHOD_TIMEOUT_MS + 1;
	CHECK("cim_invoke past the methods' bound not encoded",
	      ipc_cim_invoke_encode(&b, &m) == ERR_USAGE);
	buf_reset(&b);
	cim_invoke_of(&m);
	m.call.access.is_admin = 2;
	CHECK("cim_invoke flag not 0 or 1 not encoded", ipc_cim_invoke_encode(&b, &m) == ERR_USAGE);
	buf_clear(&b);
}

static void test_cim_invoked(void)
{
	static struct ipc_cim_invoked m, d;
	struct buf b;
	struct buf refusal;

	memset(&m, 0, sizeof(m));
	snprintf(m.reply.class_name, sizeof(m.reply.class_name), "Win32_Service");
	snprintf(m.reply.method, sizeof(m.reply.method), "StopService");
	m.reply.output.nproperties = 1;
	snprintf(m.reply.output.properties[0].name, sizeof(m.reply.output.properties[0].name),
		 "ReturnValue");
	m.reply.output.properties[0].type = CIM_NUMBER;
	snprintf(m.reply.output.properties[0].value, sizeof(m.reply.output.properties[0].value),
		 "0");
	buf_init(&b, BODY_MAX);
	CHECK("cim_invoked encodes", ipc_cim_invoked_encode(&b, &m) == ERR_OK);
	CHECK("cim_invoked prefixes and trailer refused",
	      refuses_prefixes_and_trailer(&b, dec_cim_invoked, NULL, &d));
	CHECK("cim_invoked round trip",
	      ipc_cim_invoked_decode(&b, &d) == ERR_OK && memcmp(&d, &m, sizeof(m)) == 0);

	/* A refusal is its status alone. */
	memset(&m, 0, sizeof(m));
	m.status = ERR_WSMAN_ACCESS_DENIED;
	buf_reset(&b);
	buf_init(&refusal, BODY_MAX);
	buf_put_u32(&refusal, ERR_WSMAN_ACCESS_DENIED);
	CHECK("cim_invoked refusal encodes as its status alone",
	      ipc_cim_invoked_encode(&b, &m) == ERR_OK && buf_len(&b) == buf_len(&refusal) &&
		  memcmp(b.data, refusal.data, buf_len(&refusal)) == 0);
	buf_clear(&refusal);
	CHECK("cim_invoked refusal with a trailer refused",
	      refuses_prefixes_and_trailer(&b, dec_cim_invoked, NULL, &d));
	CHECK("cim_invoked refusal round trip",
	      ipc_cim_invoked_decode(&b, &d) == ERR_OK && d.status == ERR_WSMAN_ACCESS_DENIED);
	m.status = ERR_COUNT;
	buf_reset(&b);
	CHECK("cim_invoked unknown status not encoded",
	      ipc_cim_invoked_encode(&b, &m) == ERR_USAGE);
	buf_put_u32(&b, ERR_COUNT);
	CHECK("cim_invoked unknown status refused", ipc_cim_invoked_decode(&b, &d) == ERR_FORMAT);

	/* Names become XML element names in the network process. */
	memset(&m, 0, sizeof(m));
	snprintf(m.reply.class_name, sizeof(m.reply.class_name), "Win32<x>");
	snprintf(m.reply.method, sizeof(m.reply.method), "StopService");
	buf_reset(&b);
	CHECK("cim_invoked class name that is no name refused",
	      ipc_cim_invoked_encode(&b, &m) == ERR_OK &&
		  ipc_cim_invoked_decode(&b, &d) == ERR_FORMAT);
	buf_clear(&b);
}

int main(void)
{
	test_auth_password();
	test_auth_result();
	test_auth_credssp();
	test_auth_credssp_result();
	test_accept();
	test_accepted();
	test_host_open();
	test_token_renew();
	test_token_renewed();
	test_host_opened();
	test_host_failed();
	test_config();
	test_config_change();
	test_config_result();
	test_audit();
	test_cim_invoke();
	test_cim_invoked();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
