/* Unit tests for priv_listen: listening sockets bound on loopback ports
 * that were free a moment before, kept across a reload when their address
 * is unchanged, closed by a commit that drops them and by an abort that
 * does not use them; certificates and keys that cannot be PEM refused
 * with nothing left bound. Hermetic: loopback only, files in a temporary
 * directory. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "priv/priv_int.h"
#include "check.h"
#include "loopback.h"

static char dir[] = "/tmp/owt-listen-XXXXXX";

/* The set-up: a configuration of loopback listeners, each "HTTP" or
 * "HTTPS" on 127.0.0.<host>:port, an HTTPS one with the certificate and
 * key files named (relative to dir). */
struct want {
	const char *transport;
	int host;
	uint16_t port;
	const char *cert, *key;
};

static void listeners(struct config *c, const struct want *w, size_t n)
{
	char sel[64], res[80], port[8];
	struct buf msg;

	buf_init(&msg, 1024);
	if (config_defaults(c) != ERR_OK)
		abort();
	for (size_t i = 0; i < n; i++) {
		snprintf(sel, sizeof(sel), "Address=IP:127.0.0.%d+Transport=%s", w[i].host,
			 w[i].transport);
		snprintf(res, sizeof(res), "listener?%s", sel);
		snprintf(port, sizeof(port), "%u", w[i].port);
		if (config_listener_create(c, sel, &msg) != ERR_OK ||
		    config_set(c, res, "Port", port, &msg) != ERR_OK ||
		    (w[i].cert &&
		     config_set(c, res, "CertificateFile", w[i].cert, &msg) != ERR_OK) ||
		    (w[i].key && config_set(c, res, "KeyFile", w[i].key, &msg) != ERR_OK))
			abort();
	}
	buf_clear(&msg);
}

static void write_file(const char *name, const void *data, size_t len)
{
	if (config_write_file(dir, name, data, len, 0600) != ERR_OK)
		abort();
}

static enum err prepare(const struct want *w, size_t n, const struct priv_listeners *cur,
			struct priv_listeners *next, struct buf *msg)
{
	struct config c;
	enum err e;

	listeners(&c, w, n);
	buf_reset(msg);
	e = priv_listen_prepare(&c, dir, cur, next, msg);
	buf_terminate(msg);
	config_clear(&c);
	return e;
}

static void test_bind_reuse_commit(void)
{
	struct priv_listeners cur = {0}, next;
	struct buf msg;
	uint16_t p1 = loopback_free_port(), p2 = loopback_free_port();
	struct want one[] = {{"HTTP", 1, p1, NULL, NULL}};
	struct want two[] = {{"HTTP", 1, p1, NULL, NULL}, {"HTTP", 2, p2, NULL, NULL}};

	buf_init(&msg, 1024);
	CHECK("prepare: binds a loopback listener",
	      prepare(one, 1, &cur, &next, &msg) == ERR_OK && next.nlisteners == 1 &&
		  next.nsockets == 1 && next.sockets[0].fresh && next.sockets[0].listener == 0 &&
		  loopback_listening(1, p1));
	CHECK("prepare: names the listener, with the default URL prefix",
	      strcmp(next.name[0], "Address=IP:127.0.0.1+Transport=HTTP") == 0 &&
		  strcmp(next.url_prefix[0], "wsman") == 0 && !next.https[0] && !next.cert_pem[0]);
	priv_listen_commit(&cur, &next);
	CHECK("commit: the sockets are current, none fresh",
	      cur.nsockets == 1 && !cur.sockets[0].fresh && next.nsockets == 0);
	int fd1 = cur.sockets[0].fd;

	CHECK("prepare again: an unchanged address keeps its socket",
	      prepare(two, 2, &cur, &next, &msg) == ERR_OK && next.nsockets == 2 &&
		  next.sockets[0].fd == fd1 && !next.sockets[0].fresh && next.sockets[1].fresh &&
		  next.sockets[1].listener == 1 && loopback_listening(2, p2));
	priv_listen_abort(&next);
	CHECK("abort: closes what it bound, not what it reused",
	      !loopback_listening(2, p2) && loopback_listening(1, p1) && fcntl(fd1, F_GETFD) >= 0 &&
		  next.nsockets == 0);

	CHECK("prepare a third time", prepare(two, 2, &cur, &next, &msg) == ERR_OK);
	priv_listen_commit(&cur, &next);
	CHECK("commit: both listen, the first on its old socket",
	      cur.nsockets == 2 && cur.sockets[0].fd == fd1 && loopback_listening(1, p1) &&
		  loopback_listening(2, p2));
	struct want second[] = {{"HTTP", 2, p2, NULL, NULL}};
	int fd2 = cur.sockets[1].fd;
	CHECK("prepare without the first listener",
	      prepare(second, 1, &cur, &next, &msg) == ERR_OK);
	priv_listen_commit(&cur, &next);
	CHECK("commit: closes the dropped listener's socket, keeps the other",
	      cur.nsockets == 1 && cur.sockets[0].fd == fd2 && !loopback_listening(1, p1) &&
		  loopback_listening(2, p2));
	priv_listen_clear(&cur);
	CHECK("free: closes the rest", !loopback_listening(2, p2) && cur.nsockets == 0);
	buf_clear(&msg);
}

/* A refused configuration says why and leaves nothing bound, also not the
 * listeners before the one refused. */
static int refused(const struct want *w, size_t n, enum err want, const char *why)
{
	struct priv_listeners cur = {0}, next;
	struct buf msg;
	int ok;

	buf_init(&msg, 1024);
	ok = prepare(w, n, &cur, &next, &msg) == want && strstr((const char *)buf_ptr(&msg), why) &&
	     next.nsockets == 0 && next.nlisteners == 0;
	for (size_t i = 0; i < n; i++)
		ok &= !loopback_listening(w[i].host, w[i].port);
	if (!ok)
		printf("# refusal said: %s\n", (const char *)buf_ptr(&msg));
	buf_clear(&msg);
	return ok;
}

static void test_refusals(void)
{
	static const char pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	static const char nul[] = "-----BEGIN CERTIFICATE-----\n\0\n";
	uint16_t p1 = loopback_free_port(), p2 = loopback_free_port();
	char *big = calloc(1, IPC_MAX_PEM + 1);

	if (!big)
		abort();
	memset(big, 'A', IPC_MAX_PEM + 1);
	write_file("cert.pem", pem, strlen(pem));
	write_file("key.pem", pem, strlen(pem));
	write_file("empty.pem", "", 0);
	write_file("nul.pem", nul, sizeof(nul) - 1);
	write_file("big.pem", big, IPC_MAX_PEM + 1);
	free(big);

	struct want missing[] = {{"HTTP", 1, p1, NULL, NULL},
				 {"HTTPS", 1, p2, "none.pem", "key.pem"}};
	CHECK("refuse a certificate file that is missing",
	      refused(missing, 2, ERR_CONFIG, "CertificateFile"));
	struct want empty[] = {{"HTTP", 1, p1, NULL, NULL},
			       {"HTTPS", 1, p2, "empty.pem", "key.pem"}};
	CHECK("refuse an empty certificate", refused(empty, 2, ERR_CONFIG, "not a PEM file"));
	struct want with_nul[] = {{"HTTPS", 1, p2, "cert.pem", "nul.pem"}};
	CHECK("refuse a key with a NUL byte", refused(with_nul, 1, ERR_CONFIG, "not a PEM file"));
	struct want too_big[] = {{"HTTPS", 1, p2, "big.pem", "key.pem"}};
	CHECK("refuse a certificate over IPC_MAX_PEM",
	      refused(too_big, 1, ERR_CONFIG, "larger than"));
	struct want no_key[] = {{"HTTPS", 1, p2, "cert.pem", NULL}};
	CHECK("refuse an HTTPS listener without a key",
	      refused(no_key, 1, ERR_CONFIG, "no KeyFile"));
	struct want same[] = {{"HTTP", 1, p1, NULL, NULL}, {"HTTPS", 1, p1, "cert.pem", "key.pem"}};
	CHECK("refuse two listeners on one address", refused(same, 2, ERR_CONFIG, "two listeners"));

	struct sockaddr_in a = loopback_addr(1, p2);
	int taken = socket(AF_INET, SOCK_STREAM, 0);
	if (taken < 0 || bind(taken, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(taken, 1) < 0)
		abort();
	struct want busy[] = {{"HTTP", 2, p1, NULL, NULL}, {"HTTP", 1, p2, NULL, NULL}};
	struct priv_listeners cur = {0}, next;
	struct buf msg;
	buf_init(&msg, 1024);
	CHECK("refuse a port another socket listens on",
	      prepare(busy, 2, &cur, &next, &msg) == ERR_IO &&
		  strstr((const char *)buf_ptr(&msg), "cannot listen on 127.0.0.1:") &&
		  next.nsockets == 0 && !loopback_listening(2, p1));
	close(taken);
	buf_clear(&msg);

	struct want good[] = {{"HTTPS", 1, p2, "cert.pem", "key.pem"}};
	CHECK("an HTTPS listener carries its certificate and key",
	      prepare(good, 1, &cur, &next, &msg) == ERR_OK && next.https[0] &&
		  strcmp(next.cert_pem[0], pem) == 0 && next.key_len[0] == strlen(pem));
	priv_listen_abort(&next);
	buf_clear(&msg);
}

int main(void)
{
	log_init("test", 1, 0);
	if (!mkdtemp(dir))
		return 1;
	test_bind_reuse_commit();
	test_refusals();
	const char *files[] = {"cert.pem", "key.pem", "empty.pem", "nul.pem", "big.pem"};
	char path[64];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
