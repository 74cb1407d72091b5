/* test_client_credssp: libwinrm's CredSSP client (client/credssp.c)
 * against a scripted server in a child process on loopback: an OpenSSL
 * server on memory BIOs with a certificate made here, an NTLM acceptor
 * from gss-ntlmssp with a temporary user file, and the TSRequest
 * sequence of MS-CSSP 3.1.5 as pyspnego's acceptor plays it. Also the
 * client-side guard (Client/Auth/CredSSP, AllowFreshCredentials,
 * ...WhenNTLMOnly) and a server that fails its pubKeyAuth or answers
 * with an errorCode. Kerberos needs a KDC: left to the end-to-end tests. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gssapi/gssapi.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "client/winrm.h"
#include "common/buf.h"
#include "common/util.h"
#include "credssp/credssp.h"
#include "msgenc/msgenc.h"
#include "check.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
const char *__lsan_default_suppressions(void);
const char *__asan_default_options(void);
/* gss-ntlmssp 1.2.0 leaks in gss_acquire_cred_with_password (an MD4
 * fetch), which libwinrm calls for every handshake here: the suppression
 * of tests/lsan.supp, for this binary. The library has no frame
 * pointers, so only the slow unwinder sees its frames to match. */
const char *__lsan_default_suppressions(void)
{
	return "leak:gssntlmssp.so\n";
}
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}
#endif

/* How the scripted server behaves. */
enum script {
	SCRIPT_GOOD,	      /* the whole exchange; 200 to the credentials */
	SCRIPT_BAD_PUBKEY,    /* answers pubKeyAuth with the client's own binding */
	SCRIPT_ERROR_CODE,    /* answers the first TSRequest with errorCode */
	SCRIPT_NO_CREDENTIALS /* expects the client to stop before pubKeyAuth */
};

/* What the child reports by its exit status. */
enum outcome {
	OUT_CREDENTIALS_OK = 10, /* it received user/Password for the right domain */
	OUT_CLOSED_EARLY = 11,	 /* the client closed before pubKeyAuth */
	OUT_SERVER_FAILED = 12,
	OUT_DONE = 13,	    /* the script ended as planned without credentials */
	OUT_SEALED_OK = 14, /* and then opened a sealed Identify and answered it sealed */
};

#define MAX_LEGS 12
#define IO_TIMEOUT_MS 10000

static char user_file[64], config_dir[64];

static int write_user_file(void)
{
	FILE *f;
	int fd;

	snprintf(user_file, sizeof(user_file), "/tmp/test_client_credssp.XXXXXX");
	if ((fd = mkstemp(user_file)) < 0 || !(f = fdopen(fd, "w")))
		return 0;
	/* The NT hash is MD4 of "Password" in UTF-16LE. */
	fprintf(f, "user:1000:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:A4F49C406510BDCAB6824EE7C30FD852:"
		   "[U          ]:LCT-00000000:\n");
	return fclose(f) == 0 && setenv("NTLM_USER_FILE", user_file, 1) == 0;
}

static int write_config(const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/winrm.conf", config_dir);
	if (!(f = fopen(path, "w")))
		return 0;
	fputs(text, f);
	return fclose(f) == 0;
}

/* A self-signed P-256 certificate, as a CredSSP listener's own. */
static int make_certificate(EVP_PKEY **key, X509 **cert)
{
	X509_NAME *name;

	*key = EVP_EC_gen("P-256");
	*cert = X509_new();
	if (!*key || !*cert)
		return 0;
	name = X509_get_subject_name(*cert);
	X509_set_version(*cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(*cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(*cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(*cert), 3600);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"CREDSSP", -1,
				   -1, 0);
	X509_set_issuer_name(*cert, name);
	X509_set_pubkey(*cert, *key);
	return X509_sign(*cert, *key, EVP_sha256()) > 0;
}

/* ---- the scripted server (child process, blocking) ---- */

struct server {
	int fd;
	SSL *tls;
	X509 *cert;
	gss_ctx_id_t ctx;
	char request[65536];
	size_t request_len;
	char head[4096]; /* the last request's head */
};

/* One request's head (its body is empty on every auth leg); the
 * CredSSP token into raw. 0 when the client closed. */
static int read_leg(struct server *sv, struct buf *raw)
{
	char *end, *at;

	buf_reset(raw);
	for (int rounds = 0; rounds < 1000; rounds++) {
		struct pollfd p = {.fd = sv->fd, .events = POLLIN};
		ssize_t n;
		sv->request[sv->request_len] = 0;
		if ((end = strstr(sv->request, "\r\n\r\n")))
			break;
		if (poll(&p, 1, IO_TIMEOUT_MS) <= 0)
			return 0;
		n = read(sv->fd, sv->request + sv->request_len,
			 sizeof(sv->request) - 1 - sv->request_len);
		if (n <= 0)
			return 0;
		sv->request_len += (size_t)n;
	}
	if (!end)
		return 0;
	if ((at = strstr(sv->request, "Authorization: CredSSP ")) && at < end) {
		at += strlen("Authorization: CredSSP ");
		util_b64_decode(raw, at, strcspn(at, "\r"));
	}
	end += 4;
	snprintf(sv->head, sizeof(sv->head), "%.*s", (int)(end - sv->request), sv->request);
	sv->request_len -= (size_t)(end - sv->request);
	memmove(sv->request, end, sv->request_len);
	return 1;
}

/* A reply: 401 with what TLS wrote as the token (none: a bare offer),
 * or 200. */
static int reply(struct server *sv, int status)
{
	BIO *wbio = SSL_get_wbio(sv->tls);
	struct buf out, rec;
	size_t n = BIO_ctrl_pending(wbio);
	uint8_t *space;
	int ok;

	buf_init(&out, 1 << 20);
	buf_init(&rec, 1 << 20);
	if (n && buf_reserve(&rec, n, &space) == ERR_OK && BIO_read(wbio, space, (int)n) == (int)n)
		buf_commit(&rec, n);
	buf_putf(&out, "HTTP/1.1 %d \r\n", status);
	if (status == 401) {
		buf_putf(&out, "WWW-Authenticate: CredSSP");
		if (buf_len(&rec)) {
			buf_putf(&out, " ");
			util_b64_encode(&out, buf_ptr(&rec), buf_len(&rec));
		}
		buf_putf(&out, "\r\n");
	}
	buf_putf(&out, "Content-Length: 0\r\n\r\n");
	ok = write(sv->fd, buf_ptr(&out), buf_len(&out)) == (ssize_t)buf_len(&out);
	buf_clear(&out);
	buf_clear(&rec);
	return ok;
}

static int read_tsrequest(struct server *sv, const struct buf *raw, struct credssp_tsrequest *m)
{
	uint8_t plain[65536];
	size_t got = 0;

	BIO_write(SSL_get_rbio(sv->tls), buf_ptr(raw), (int)buf_len(raw));
	if (SSL_read_ex(sv->tls, plain, sizeof(plain), &got) != 1)
		return 0;
	return credssp_tsrequest_parse(plain, got, m) == ERR_OK;
}

static int write_tsrequest(struct server *sv, const struct credssp_tsrequest *m)
{
	struct buf der;
	size_t done = 0;
	int ok;

	buf_init(&der, CREDSSP_MAX_TSREQUEST);
	ok = credssp_tsrequest_encode(&der, m) == ERR_OK &&
	     SSL_write_ex(sv->tls, buf_ptr(&der), buf_len(&der), &done) == 1;
	buf_clear(&der);
	return ok;
}

static int wrap(struct server *sv, int seal, const uint8_t *p, size_t n, struct buf *out)
{
	OM_uint32 minor;
	gss_buffer_desc in = {n, (void *)p}, res = GSS_C_EMPTY_BUFFER;
	OM_uint32 major = seal ? gss_wrap(&minor, sv->ctx, 1, 0, &in, NULL, &res)
			       : gss_unwrap(&minor, sv->ctx, &in, &res, NULL, NULL);
	int ok = major == GSS_S_COMPLETE && buf_put(out, res.value, res.length) == ERR_OK;

	gss_release_buffer(&minor, &res);
	return ok;
}

/* After the logon, one request sealed with the CredSSP TLS session (the
 * Identify), answered sealed the same way: MS-WSMV 2.2.9.1.3. */
static enum outcome serve_sealed(struct server *sv)
{
	static const char identify_response[] =
	    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>"
	    "<wsmid:IdentifyResponse "
	    "xmlns:wsmid=\"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd\">"
	    "<wsmid:ProtocolVersion>http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	    "</wsmid:ProtocolVersion></wsmid:IdentifyResponse></s:Body></s:Envelope>";
	struct buf raw, plain, sealed, head;
	enum msgenc_style style;
	enum outcome o = OUT_CREDENTIALS_OK;
	const char *cl;
	size_t want;

	buf_init(&raw, 1 << 16);
	buf_init(&plain, 1 << 20);
	buf_init(&sealed, 1 << 20);
	buf_init(&head, 1024);
	sv->request[sv->request_len] = 0;
	/* read_leg keeps the head in request until the next one: its length. */
	if (!read_leg(sv, &raw) || !(cl = strstr(sv->head, "Content-Length: ")))
		goto out;
	want = strtoul(cl + 16, NULL, 10);
	for (int rounds = 0; rounds < 1000 && sv->request_len < want; rounds++) {
		struct pollfd p = {.fd = sv->fd, .events = POLLIN};
		ssize_t n;
		if (poll(&p, 1, IO_TIMEOUT_MS) <= 0 ||
		    (n = read(sv->fd, sv->request + sv->request_len,
			      sizeof(sv->request) - 1 - sv->request_len)) <= 0)
			goto out;
		sv->request_len += (size_t)n;
	}
	if (sv->request_len != want ||
	    msgenc_tls_unwrap(sv->tls, (const uint8_t *)sv->request, want, &plain, &style) !=
		ERR_OK ||
	    !memmem(buf_ptr(&plain), buf_len(&plain), "Identify", 8) ||
	    msgenc_tls_wrap(sv->tls, style, (const uint8_t *)identify_response,
			    sizeof(identify_response) - 1, &sealed) != ERR_OK)
		goto out;
	buf_putf(&head, "HTTP/1.1 200 \r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
		 msgenc_content_type(MSGENC_CREDSSP, sizeof(identify_response) - 1),
		 buf_len(&sealed));
	if (write(sv->fd, buf_ptr(&head), buf_len(&head)) == (ssize_t)buf_len(&head) &&
	    write(sv->fd, buf_ptr(&sealed), buf_len(&sealed)) == (ssize_t)buf_len(&sealed))
		o = OUT_SEALED_OK;
out:
	buf_clear(&raw);
	buf_clear(&plain);
	buf_clear(&sealed);
	buf_clear(&head);
	return o;
}

/* The TSRequest legs after the TLS handshake. */
static enum outcome serve_tsrequests(struct server *sv, enum script script, struct buf *raw)
{
	for (int leg = 0; leg < MAX_LEGS; leg++) {
		struct credssp_tsrequest in, out = {.version = CREDSSP_VERSION};
		struct buf a, b;
		OM_uint32 major, minor;
		gss_buffer_desc tok = GSS_C_EMPTY_BUFFER, t;
		enum outcome o = OUT_SERVER_FAILED;

		if (!read_tsrequest(sv, raw, &in))
			return OUT_SERVER_FAILED;
		if (script == SCRIPT_ERROR_CODE) {
			out.has_error_code = 1;
			out.error_code = 0xC000006Du;
			write_tsrequest(sv, &out);
			reply(sv, 401);
			credssp_tsrequest_clear(&in);
			return OUT_DONE;
		}
		buf_init(&a, 1 << 16);
		buf_init(&b, 1 << 16);
		if (in.nego_token) {
			t = (gss_buffer_desc){in.nego_token_len, in.nego_token};
			major = gss_accept_sec_context(&minor, &sv->ctx, GSS_C_NO_CREDENTIAL, &t,
						       GSS_C_NO_CHANNEL_BINDINGS, NULL, NULL, &tok,
						       NULL, NULL, NULL);
			if (GSS_ERROR(major))
				goto next;
		}
		if (in.auth_info) {
			struct credssp_password_creds c;
			if (wrap(sv, 0, in.auth_info, in.auth_info_len, &a) &&
			    credssp_credentials_parse(buf_ptr(&a), buf_len(&a), &c) == ERR_OK) {
				if (strcmp(c.domain, "") == 0 && strcmp(c.user, "user") == 0 &&
				    strcmp(c.password, "Password") == 0 && reply(sv, 200))
					o = serve_sealed(sv);
				credssp_password_creds_clear(&c);
			}
			goto next;
		}
		if (in.pub_key_auth) {
			/* Step 4: check the client's binding, answer with ours. */
			if (script == SCRIPT_NO_CREDENTIALS ||
			    !wrap(sv, 0, in.pub_key_auth, in.pub_key_auth_len, &a) ||
			    credssp_pubkey_auth(sv->cert, CREDSSP_VERSION, CREDSSP_CLIENT_TO_SERVER,
						in.client_nonce, &b) != ERR_OK ||
			    buf_len(&a) != buf_len(&b) ||
			    memcmp(buf_ptr(&a), buf_ptr(&b), buf_len(&b)) != 0)
				goto next;
			buf_reset(&a);
			if (script != SCRIPT_BAD_PUBKEY) {
				buf_reset(&b);
				credssp_pubkey_auth(sv->cert, CREDSSP_VERSION,
						    CREDSSP_SERVER_TO_CLIENT, in.client_nonce, &b);
			}
			if (!wrap(sv, 1, buf_ptr(&b), buf_len(&b), &a))
				goto next;
			out.pub_key_auth = (uint8_t *)buf_ptr(&a);
			out.pub_key_auth_len = buf_len(&a);
		}
		if (tok.length) {
			out.nego_token = tok.value;
			out.nego_token_len = tok.length;
		}
		if (write_tsrequest(sv, &out) && reply(sv, 401))
			o = 0;
	next:
		gss_release_buffer(&minor, &tok);
		credssp_tsrequest_clear(&in);
		buf_clear(&a);
		buf_clear(&b);
		if (o)
			return o;
		if (!read_leg(sv, raw))
			return script == SCRIPT_NO_CREDENTIALS ? OUT_CLOSED_EARLY
							       : OUT_SERVER_FAILED;
	}
	return OUT_SERVER_FAILED;
}

static enum outcome serve(int listener, enum script script, int tls13, int tickets)
{
	struct server sv = {.ctx = GSS_C_NO_CONTEXT};
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY *key;
	struct buf raw;
	enum outcome o = OUT_SERVER_FAILED;
	struct pollfd p = {.fd = listener, .events = POLLIN};

	if (!ctx || !make_certificate(&key, &sv.cert) || poll(&p, 1, IO_TIMEOUT_MS) <= 0 ||
	    (sv.fd = accept(listener, NULL, NULL)) < 0)
		return OUT_SERVER_FAILED;
	SSL_CTX_use_certificate(ctx, sv.cert);
	SSL_CTX_use_PrivateKey(ctx, key);
	SSL_CTX_set_max_proto_version(ctx, tls13 ? TLS1_3_VERSION : TLS1_2_VERSION);
	SSL_CTX_set_num_tickets(ctx, (size_t)tickets);
	sv.tls = SSL_new(ctx);
	SSL_set_bio(sv.tls, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
	SSL_set_accept_state(sv.tls);
	buf_init(&raw, 1 << 20);
	/* The TLS handshake: every leg answered with what TLS wrote; once
	 * it is done, TLS 1.2 answers the client's Finished flight with its
	 * own and TLS 1.3 the client's Finished with tickets or nothing. */
	for (int leg = 0; leg < MAX_LEGS; leg++) {
		int done;
		if (!read_leg(&sv, &raw) || buf_len(&raw) == 0)
			goto out;
		BIO_write(SSL_get_rbio(sv.tls), buf_ptr(&raw), (int)buf_len(&raw));
		done = SSL_do_handshake(sv.tls) == 1;
		if (!reply(&sv, 401))
			goto out;
		if (done)
			break;
	}
	if (read_leg(&sv, &raw))
		o = serve_tsrequests(&sv, script, &raw);
	else if (script == SCRIPT_NO_CREDENTIALS)
		o = OUT_CLOSED_EARLY;
out:
	buf_clear(&raw);
	close(sv.fd);
	return o;
}

/* ---- the client side ---- */

/* Runs the scripted server in a child and one Identify against it;
 * the child's outcome into *outcome, the client's error into err. */
static enum winrm_result run(enum script script, int tls13, int tickets, const char *user,
			     enum outcome *outcome, char *err, size_t cap)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int listener = socket(AF_INET, SOCK_STREAM, 0), status = 0;
	struct winrm_session *s = NULL;
	char target[64];
	char *xml = NULL;
	enum winrm_result r;
	pid_t pid;

	*outcome = OUT_SERVER_FAILED;
	err[0] = 0;
	if (listener < 0 || bind(listener, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(listener, 4) < 0 || getsockname(listener, (struct sockaddr *)&a, &len) < 0)
		return WINRM_E_CONNECT;
	snprintf(target, sizeof(target), "http://127.0.0.1:%u/wsman", ntohs(a.sin_port));
	if ((pid = fork()) == 0) {
#ifdef __SANITIZE_ADDRESS__
		__lsan_disable(); /* the child exits without freeing */
#endif
		alarm(30);
		_exit(serve(listener, script, tls13, tickets));
	}
	close(listener);
	struct winrm_options o = {.target = target,
				  .user = user,
				  .password = "Password",
				  .auth = WINRM_AUTH_CREDSSP,
				  .config_dir = config_dir,
				  .timeout_ms = 5000};
	r = winrm_session_new(&o, &s, err, cap);
	if (r == WINRM_OK) {
		r = winrm_identify(s, &xml);
		snprintf(err, cap, "%s", winrm_error(s));
		free(xml);
		winrm_session_free(s);
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		*outcome = (enum outcome)WEXITSTATUS(status);
	else if (pid > 0)
		kill(pid, SIGKILL);
	return r;
}

static const char allowed_config[] = "Client/Auth/CredSSP = true\n"
				     "Client/TrustedHosts = 127.0.0.1\n"
				     "Client/AllowFreshCredentials = WSMAN/127.0.0.*\n"
				     "Client/AllowFreshCredentialsWhenNTLMOnly = WSMAN/*\n";

static void test_exchange(void)
{
	enum outcome got;
	char err[1200];
	enum winrm_result r;

	CHECK("config: CredSSP allowed", write_config(allowed_config));
	for (int variant = 0; variant < 3; variant++) {
		const char *names[] = {"TLS 1.2", "TLS 1.3 with tickets",
				       "TLS 1.3 without tickets"};
		char name[1400];
		r = run(SCRIPT_GOOD, variant > 0, variant == 1 ? 2 : 0, "user", &got, err,
			sizeof(err));
		snprintf(name, sizeof(name),
			 "%s: the server receives the credentials and a sealed Identify",
			 names[variant]);
		CHECK(name, got == OUT_SEALED_OK);
		snprintf(name, sizeof(name), "%s: the handshake ends in success (%s)",
			 names[variant], err);
		CHECK(name, r == WINRM_OK);
	}

	r = run(SCRIPT_BAD_PUBKEY, 0, 0, "user", &got, err, sizeof(err));
	CHECK("a wrong server pubKeyAuth is refused as a possible man in the middle",
	      r == WINRM_E_AUTH && strstr(err, "possible man in the middle") &&
		  got != OUT_CREDENTIALS_OK && got != OUT_SEALED_OK);

	r = run(SCRIPT_ERROR_CODE, 1, 2, "user", &got, err, sizeof(err));
	CHECK("an errorCode is a refusal that names the NTSTATUS in hex",
	      r == WINRM_E_AUTH && strstr(err, "0xC000006D") &&
		  strstr(err, "STATUS_LOGON_FAILURE"));
}

static void test_guard(void)
{
	struct winrm_options o = {.target = "http://127.0.0.1:1/wsman",
				  .user = "user",
				  .password = "Password",
				  .auth = WINRM_AUTH_CREDSSP,
				  .config_dir = config_dir};
	struct winrm_session *s = NULL;
	enum outcome got;
	char err[1200];

	CHECK("config: CredSSP off", write_config("Client/TrustedHosts = 127.0.0.1\n"));
	CHECK("guard: Client/Auth/CredSSP=false refuses, naming the setting",
	      winrm_session_new(&o, &s, err, sizeof(err)) == WINRM_E_POLICY && !s &&
		  strstr(err, "winrm set winrm/config/client/auth @{CredSSP=\"true\"}"));

	CHECK("config: CredSSP on, no delegation",
	      write_config("Client/Auth/CredSSP = true\nClient/TrustedHosts = 127.0.0.1\n"
			   "Client/AllowFreshCredentials = WSMAN/other,WSMAN/*.example.com\n"));
	CHECK("guard: a target not in AllowFreshCredentials is refused with the command",
	      winrm_session_new(&o, &s, err, sizeof(err)) == WINRM_E_POLICY && !s &&
		  strstr(err, "winrm set winrm/config/client '@{AllowFreshCredentials=\"WSMAN/"
			      "other,WSMAN/*.example.com,WSMAN/127.0.0.1\"}'"));

	o.password = NULL;
	CHECK("config: CredSSP allowed", write_config(allowed_config));
	CHECK("guard: no password, no CredSSP",
	      winrm_session_new(&o, &s, err, sizeof(err)) == WINRM_E_POLICY && !s &&
		  strstr(err, "explicit credentials"));
	o.password = "Password";
	CHECK("guard: allowed by a wildcard",
	      winrm_session_new(&o, &s, err, sizeof(err)) == WINRM_OK && s);
	winrm_session_free(s);

	CHECK("config: delegation, not over NTLM",
	      write_config("Client/Auth/CredSSP = true\nClient/TrustedHosts = 127.0.0.1\n"
			   "Client/AllowFreshCredentials = wsman/127.0.0.1\n"));
	CHECK("guard: NTLM without AllowFreshCredentialsWhenNTLMOnly stops before pubKeyAuth",
	      run(SCRIPT_NO_CREDENTIALS, 0, 0, "user", &got, err, sizeof(err)) == WINRM_E_POLICY &&
		  got == OUT_CLOSED_EARLY &&
		  strstr(err, "winrm set winrm/config/client "
			      "'@{AllowFreshCredentialsWhenNTLMOnly=\"WSMAN/127.0.0.1\"}'"));
}

int main(void)
{
	char path[128];

	signal(SIGPIPE, SIG_IGN);
	snprintf(config_dir, sizeof(config_dir), "/tmp/test_client_credssp.d.XXXXXX");
	if (!write_user_file() || !mkdtemp(config_dir)) {
		printf("not ok - temporary files\n");
		return 1;
	}
	setenv("NETBIOS_COMPUTER_NAME", "TESTHOST", 1);
	test_guard();
	test_exchange();
	snprintf(path, sizeof(path), "%s/winrm.conf", config_dir);
	unlink(path);
	rmdir(config_dir);
	unlink(user_file);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
