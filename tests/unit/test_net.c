/* Unit tests for the network process (src/net/): a forked child runs
 * net_main on one end of an IPC socketpair, and this process plays both
 * the privileged part (it sends IPC_CONFIG with a loopback listening
 * socket and answers the password checks and host starts) and the user's
 * host (it answers the shell operations), while it talks HTTP to the
 * listener as a client. So every path through net/ runs for real, with
 * the other processes' answers chosen by each test: refusals, a host
 * that will not start, dies, breaks the protocol or never answers, and a
 * privileged part that answers the wrong thing. Every wait is bounded. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"
#include "ipc/ipc.h"
#include "ipc/ipc_priv.h"
#include "net/net.h"
#include "shell/shell_ipc.h"
#include "shell/shell_ops.h"
#include "shell/shell_soap.h"
#include "wsman/wsman.h"
#include "check.h"

#define WAIT_MS 15000 /* the longest any one exchange may take (a deadline is 10.5 s) */
#define SHELL_ID "0D6FCA9D-2D40-44C3-B691-E665BE7AA687"
#define CMD_ID "B0973E54-434E-4D99-B4BE-ADE584CE3BFB"
#define QUOTA_UID 4242 /* an account whose host the privileged part refuses to start */

/* How the fake privileged part and host answer. */
enum priv_mode {
	PRIV_OK,
	PRIV_REFUSE,
	PRIV_NOT_ALLOWED,
	PRIV_WRONG_TYPE,
	PRIV_QUOTA_USER,
	PRIV_NAMELESS /* admits the password but names no account */
};
enum host_mode { HOST_OK, HOST_UNKNOWN_SHELL, HOST_SILENT, HOST_DIES, HOST_FORBIDDEN };

static struct {
	pid_t net;
	struct ipc_peer priv; /* our end, as the privileged part */
	struct ipc_peer host; /* our end, as the user's host (fd -1: none yet) */
	int port;
	enum priv_mode priv_mode;
	enum host_mode host_mode;
	int auth_asked, host_opens, host_requests;
} t;

/* ---- the fake privileged part and host ---- */

static void priv_send(uint32_t type, uint32_t id, const struct buf *b, const int *fds, int nfds)
{
	if (ipc_send(&t.priv, type, id, b, fds, nfds) != ERR_OK)
		printf("# cannot send %s\n", ipc_type_name(type));
}

static void answer_auth(uint32_t id, const char *user)
{
	struct ipc_auth_result r = {.status = IPC_AUTH_OK, .user = (char *)user, .is_admin = 1};
	struct buf b;

	r.uid = t.priv_mode == PRIV_QUOTA_USER ? QUOTA_UID : (uint32_t)getuid();
	if (t.priv_mode == PRIV_REFUSE)
		r.status = IPC_AUTH_BAD_CREDENTIALS;
	else if (t.priv_mode == PRIV_NOT_ALLOWED)
		r.status = IPC_AUTH_NOT_ALLOWED;
	else if (t.priv_mode == PRIV_NAMELESS)
		r.user = "";
	memset(r.token, 0x5a, sizeof(r.token));
	buf_init(&b, 4096);
	if (t.priv_mode == PRIV_WRONG_TYPE) {
		struct ipc_config_result cr = {.status = ERR_OK, .message = ""};
		ipc_config_result_encode(&b, &cr);
		priv_send(IPC_CONFIG_RESULT, id, &b, NULL, 0);
	} else {
		ipc_auth_result_encode(&b, &r);
		priv_send(IPC_AUTH_RESULT, id, &b, NULL, 0);
	}
	buf_clear(&b);
}

static void answer_host_open(uint32_t id)
{
	struct buf b;
	int sv[2];

	t.host_opens++;
	buf_init(&b, 64);
	if (t.priv_mode == PRIV_QUOTA_USER) {
		ipc_host_failed_encode(&b, ERR_WSMAN_QUOTA_USERS);
		priv_send(IPC_HOST_FAILED, id, &b, NULL, 0);
	} else if (ipc_socketpair(sv) == 0) {
		struct ipc_host_opened o = {.uid = (uint32_t)getuid(), .pid = (uint32_t)getpid()};
		ipc_peer_close(&t.host);
		ipc_peer_init(&t.host, sv[1], IPC_ROLE_HOST, IPC_ROLE_NET, getuid(), t.net);
		ipc_host_opened_encode(&b, &o);
		priv_send(IPC_HOST_OPENED, id, &b, &sv[0], 1);
		close(sv[0]);
	}
	buf_clear(&b);
}

static void from_net_as_priv(struct ipc_msg *m)
{
	struct ipc_auth_password p;

	if (m->type == IPC_AUTH_PASSWORD && ipc_auth_password_decode(&m->body, &p) == ERR_OK) {
		t.auth_asked++;
		answer_auth(m->id, p.user);
		ipc_auth_password_clear(&p);
	} else if (m->type == IPC_HOST_OPEN) {
		answer_host_open(m->id);
	}
}

static void host_reply(uint32_t id, const struct shell_op *op, enum err status, const void *reply)
{
	struct buf b;

	buf_init(&b, IPC_MAX_MSG);
	shell_op_reply_encode(&b, op, status, reply);
	ipc_send(&t.host, IPC_SHELL_REPLY, id, &b, NULL, 0);
	buf_clear(&b);
}

static void from_net_as_host(struct ipc_msg *m)
{
	const struct shell_op *op;
	struct shell_create_reply created = {.shell_id = SHELL_ID, .idle_timeout_ms = 7200000};
	struct shell_command_reply started = {.command_id = CMD_ID};

	if (m->type != IPC_SHELL_REQUEST || shell_op_request_decode(&m->body, &op) != ERR_OK)
		return;
	t.host_requests++;
	switch (t.host_mode) {
	case HOST_SILENT:
		return;
	case HOST_DIES:
		ipc_peer_close(&t.host);
		return;
	case HOST_FORBIDDEN: {
		/* An answer only the privileged part may send, written past
		 * ipc_send, which would refuse it; the kernel adds our
		 * credentials. */
		struct buf b;
		buf_init(&b, 64);
		buf_put_u32(&b, IPC_AUTH_RESULT);
		buf_put_u32(&b, m->id);
		buf_put_u32(&b, 0);
		if (send(t.host.fd, buf_ptr(&b), buf_len(&b), MSG_NOSIGNAL) < 0)
			perror("send");
		buf_clear(&b);
		return;
	}
	case HOST_UNKNOWN_SHELL:
		host_reply(m->id, op, ERR_WSMAN_UNKNOWN_SHELL, NULL);
		return;
	case HOST_OK:
		host_reply(m->id, op, ERR_OK,
			   op == shell_op_at(SHELL_CMD_CREATE)	  ? (const void *)&created
			   : op == shell_op_at(SHELL_CMD_COMMAND) ? (const void *)&started
								  : NULL);
		return;
	}
}

/* Reads what the network process sent us as either part. */
static void serve_ipc(struct ipc_peer *p, void (*handle)(struct ipc_msg *))
{
	struct ipc_msg m;

	for (int i = 0; i < 64 && p->fd >= 0; i++) {
		enum err e = ipc_recv(p, &m);
		if (e == ERR_INCOMPLETE)
			return;
		if (e != ERR_OK) {
			ipc_peer_close(p);
			return;
		}
		handle(&m);
		ipc_msg_clear(&m);
	}
}

/* ---- HTTP ---- */

struct response {
	int status;
	char head[4096];
	struct buf body;
};

static int http_connect(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)t.port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("connect");
		exit(2);
	}
	return fd;
}

/* The response is whole once the head and Content-Length bytes are in. */
static int response_done(struct buf *raw, struct response *r)
{
	const char *s = (const char *)buf_ptr(raw), *end;
	size_t n = buf_len(raw), hlen, clen = 0;

	if (!(end = memmem(s, n, "\r\n\r\n", 4)))
		return 0;
	hlen = (size_t)(end - s) + 4;
	const char *cl = memmem(s, hlen, "Content-Length: ", 16);
	if (cl)
		clen = strtoul(cl + 16, NULL, 10);
	if (n < hlen + clen)
		return 0;
	snprintf(r->head, sizeof(r->head), "%.*s",
		 (int)(hlen < sizeof(r->head) ? hlen : sizeof(r->head) - 1), s);
	r->status = (int)strtol(s + 9, NULL, 10);
	buf_put(&r->body, s + hlen, clen);
	return 1;
}

/* Sends one request on a new connection and plays the other processes
 * until its response is whole (status 0 if none came in time). */
static void exchange(const char *extra_headers, const struct buf *body, struct response *r)
{
	char head[1024];
	struct buf raw;
	int fd = http_connect();
	uint64_t deadline = util_now_ms() + WAIT_MS;

	memset(r, 0, sizeof(*r));
	buf_init(&r->body, 1 << 20);
	buf_init(&raw, 1 << 21);
	snprintf(head, sizeof(head),
		 "POST /wsman HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: "
		 "application/soap+xml;charset=UTF-8\r\n"
		 "%sContent-Length: %zu\r\n\r\n",
		 t.port, extra_headers, body ? buf_len(body) : 0);
	if (write(fd, head, strlen(head)) < 0 ||
	    (body && write(fd, buf_ptr(body), buf_len(body)) < 0))
		perror("write");
	for (int i = 0; i < 100000 && util_now_ms() < deadline; i++) {
		struct pollfd pf[3] = {
		    {fd, POLLIN, 0}, {t.priv.fd, POLLIN, 0}, {t.host.fd, POLLIN, 0}};
		if (poll(pf, 3, 100) < 0 && errno != EINTR)
			break;
		if (pf[1].revents)
			serve_ipc(&t.priv, from_net_as_priv);
		if (t.host.fd >= 0 && pf[2].revents)
			serve_ipc(&t.host, from_net_as_host);
		ipc_flush(&t.priv);
		if (t.host.fd >= 0)
			ipc_flush(&t.host);
		if (pf[0].revents) {
			uint8_t *space;
			ssize_t n;
			if (buf_reserve(&raw, 65536, &space) != ERR_OK)
				break;
			if ((n = read(fd, space, 65536)) <= 0)
				break;
			buf_commit(&raw, (size_t)n);
			if (response_done(&raw, r))
				break;
		}
	}
	buf_clear(&raw);
	close(fd);
}

static void response_clear(struct response *r)
{
	buf_clear(&r->body);
}

static int body_has(const struct response *r, const char *s)
{
	return memmem(buf_ptr(&r->body), buf_len(&r->body), s, strlen(s)) != NULL;
}

/* ---- requests, as libwinrm builds them ---- */

static const struct wsman_client_header client_hdr = {
    .to = "http://127.0.0.1/wsman", .operation_timeout_ms = 60000, .max_envelope_size = 153600};

#define BASIC "Authorization: Basic cm9vdDpzZWNyZXQ=\r\n" /* root:secret */

static void shell_request(enum shell_op_id op, const void *req, const char *headers,
			  struct response *r, const struct wsman_client_header *h)
{
	struct buf env;

	buf_init(&env, 1 << 20);
	if (shell_op_at(op)->client_build(&env, h ? h : &client_hdr, req) != ERR_OK)
		printf("# cannot build the request\n");
	exchange(headers, &env, r);
	buf_clear(&env);
}

static void create(const char *headers, struct response *r)
{
	struct shell_create_req req = {0};

	shell_request(SHELL_CMD_CREATE, &req, headers, r, NULL);
}

/* ---- the network process ---- */

/* IPC_CONFIG: Basic allowed over HTTP, one loopback listener. */
static void send_config(void)
{
	static char text[] = "Service/Auth/Basic = true\nService/AllowUnencrypted = true\n"
			     "Listener?Address=IP:127.0.0.1+Transport=HTTP/Port = 5985\n";
	struct ipc_config c = {.config_text = text, .nlisteners = 1, .nsockets = 1};
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct buf b;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
		perror("listen");
		exit(2);
	}
	t.port = ntohs(a.sin_port);
	c.listeners[0].name = "Address=IP:127.0.0.1+Transport=HTTP";
	c.listeners[0].url_prefix = "wsman";
	buf_init(&b, IPC_MAX_MSG);
	ipc_config_encode(&b, &c);
	priv_send(IPC_CONFIG, 0, &b, &fd, 1);
	ipc_flush(&t.priv);
	buf_clear(&b);
	close(fd);
}

static void start_net(void)
{
	int sv[2];
	pid_t me = getpid();

	if (ipc_socketpair(sv) < 0) {
		perror("socketpair");
		exit(2);
	}
	fflush(stdout);
	if ((t.net = fork()) < 0) {
		perror("fork");
		exit(2);
	}
	if (t.net == 0) {
		close(sv[0]);
		log_init("net", 1, 0);
		exit(net_main(sv[1], getuid(), me, 1, 0)); /* exit: LeakSanitizer checks it */
	}
	close(sv[1]);
	ipc_peer_init(&t.priv, sv[0], IPC_ROLE_PRIV, IPC_ROLE_NET, getuid(), t.net);
	ipc_peer_init_detached(&t.host, IPC_ROLE_HOST, IPC_ROLE_NET);
	send_config();
	/* Until the configuration is applied, nothing listens through net. */
	for (int i = 0; i < 100; i++) {
		struct response r;
		struct buf id;
		buf_init(&id, 1024);
		wsman_client_identify(&id);
		exchange("WSMANIDENTIFY: unauthenticated\r\n", &id, &r);
		buf_clear(&id);
		int up = r.status == 200;
		response_clear(&r);
		if (up)
			return;
		usleep(20000);
	}
	printf("# the network process did not come up\n");
	exit(2);
}

static int stop_net(void)
{
	int status = -1;

	/* Losing the privileged part ends it; it frees everything first. */
	ipc_peer_close(&t.priv);
	ipc_peer_close(&t.host);
	for (int i = 0; i < 500; i++) {
		if (waitpid(t.net, &status, WNOHANG) == t.net)
			return status;
		usleep(10000);
	}
	kill(t.net, SIGKILL);
	waitpid(t.net, &status, 0);
	return -1;
}

/* ---- the tests ---- */

static void test_identify_and_challenge(void)
{
	struct response r;
	struct buf id;

	buf_init(&id, 1024);
	wsman_client_identify(&id);
	exchange("WSMANIDENTIFY: unauthenticated\r\n", &id, &r);
	CHECK("identify: unauthenticated 200", r.status == 200 && body_has(&r, "IdentifyResponse"));
	response_clear(&r);
	exchange("", &id, &r);
	CHECK("anonymous request: 401 naming Basic",
	      r.status == 401 && strstr(r.head, "WWW-Authenticate: Basic"));
	response_clear(&r);
	buf_clear(&id);
}

static void test_password_refused(void)
{
	struct response r;

	t.priv_mode = PRIV_REFUSE;
	create("Authorization: Basic YWxpY2U6d3Jvbmc=\r\n", &r); /* alice:wrong */
	CHECK("refused password: 401", r.status == 401 && t.auth_asked == 1);
	response_clear(&r);
	t.priv_mode = PRIV_NOT_ALLOWED;
	create("Authorization: Basic Ym9iOnNlY3JldA==\r\n", &r); /* bob:secret */
	CHECK("account in no allowed group: AccessDenied",
	      r.status == 500 && body_has(&r, "AccessDenied"));
	response_clear(&r);
	t.priv_mode = PRIV_WRONG_TYPE;
	create("Authorization: Basic Y2Fyb2w6c2VjcmV0\r\n", &r); /* carol:secret */
	CHECK("an answer of the wrong type: internal error",
	      r.status == 500 && body_has(&r, "InternalError"));
	response_clear(&r);
	t.priv_mode = PRIV_OK;
}

static void test_shell_through_host(void)
{
	struct shell_command_req cmd = {.argc = 1, .argv = (char *[]){"true"}};
	struct shell_create_reply got;
	struct wsman_request resp;
	struct response r;

	t.host_mode = HOST_OK;
	create(BASIC, &r);
	CHECK("create: the host is started and answers",
	      r.status == 200 && t.host_opens == 1 && t.host_requests == 1);
	CHECK("create: the reply names the host's shell",
	      wsman_parse(buf_ptr(&r.body), buf_len(&r.body), &resp) == ERR_OK &&
		  shell_soap_create_read(&resp, &got) == ERR_OK &&
		  strcmp(got.shell_id, SHELL_ID) == 0);
	wsman_request_clear(&resp);
	response_clear(&r);
	int asked = t.auth_asked;
	snprintf(cmd.shell_id, sizeof(cmd.shell_id), "%s", SHELL_ID);
	shell_request(SHELL_CMD_COMMAND, &cmd, BASIC, &r, NULL);
	CHECK("command: same host, password from the cache",
	      r.status == 200 && body_has(&r, CMD_ID) && t.host_opens == 1 &&
		  t.auth_asked == asked);
	response_clear(&r);
	t.host_mode = HOST_UNKNOWN_SHELL;
	shell_request(SHELL_CMD_COMMAND, &cmd, BASIC, &r, NULL);
	CHECK("command: the host's refusal is the fault",
	      r.status == 500 && body_has(&r, "InvalidSelectors"));
	response_clear(&r);
	t.host_mode = HOST_OK;
}

/* A verdict of OK is not an identity: one without an account name must
 * not reach the host of the uid it carries (OMIGOD's shape: OMI ran a
 * request without credentials as the uid its identity defaulted to). */
static void test_verdict_without_identity(void)
{
	struct response r;
	int opens = t.host_opens, requests = t.host_requests;

	t.priv_mode = PRIV_NAMELESS;
	create("Authorization: Basic ZXZlOnNlY3JldA==\r\n", &r); /* eve:secret */
	CHECK("OK without an account: 401, and no host reached",
	      r.status == 401 && t.host_opens == opens && t.host_requests == requests);
	response_clear(&r);
	t.priv_mode = PRIV_OK;
}

static void test_host_failures(void)
{
	struct shell_receive_req rcv = {.shell_id = SHELL_ID, .command_id = CMD_ID};
	struct wsman_client_header quick = client_hdr;
	struct response r;
	uint64_t t0;

	/* The host dies while a request waits on it. */
	t.host_mode = HOST_DIES;
	shell_request(SHELL_CMD_RECEIVE, &rcv, BASIC, &r, NULL);
	CHECK("host dies: the request gets code 995",
	      r.status == 500 && body_has(&r, "Code=\"995\""));
	response_clear(&r);

	/* The next Create starts a new one; it answers what only the
	 * privileged part may send. */
	t.host_mode = HOST_FORBIDDEN;
	create(BASIC, &r);
	CHECK("host breaks the protocol: code 995, host dropped",
	      r.status == 500 && body_has(&r, "Code=\"995\"") && t.host_opens == 2);
	response_clear(&r);

	/* A host that never answers: the request's deadline is its
	 * OperationTimeout and a margin, then w:TimedOut. */
	t.host_mode = HOST_OK;
	create(BASIC, &r);
	response_clear(&r);
	t.host_mode = HOST_SILENT;
	quick.operation_timeout_ms = 500;
	t0 = util_now_ms();
	shell_request(SHELL_CMD_RECEIVE, &rcv, BASIC, &r, &quick);
	CHECK("silent host: TimedOut after the deadline",
	      r.status == 500 && body_has(&r, "TimedOut") && util_now_ms() - t0 >= 10000);
	response_clear(&r);
	t.host_mode = HOST_OK;

	/* A host the privileged part will not start: every request queued
	 * for it gets the reason. */
	t.priv_mode = PRIV_QUOTA_USER;
	create("Authorization: Basic ZGF2ZTpzZWNyZXQ=\r\n", &r); /* dave:secret */
	CHECK("host not started: the reason is the fault",
	      r.status == 500 && body_has(&r, "QuotaLimit"));
	response_clear(&r);
	t.priv_mode = PRIV_OK;

	/* Shells of a user without a host are unknown, and no host starts. */
	int opens = t.host_opens;
	t.priv_mode = PRIV_QUOTA_USER;
	shell_request(SHELL_CMD_RECEIVE, &rcv, "Authorization: Basic ZGF2ZTpzZWNyZXQ=\r\n", &r,
		      NULL);
	CHECK("no host: unknown shell, nothing started",
	      r.status == 500 && body_has(&r, "InvalidSelectors") && t.host_opens == opens);
	response_clear(&r);
	t.priv_mode = PRIV_OK;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	log_init("test", 1, 0);
	start_net();
	test_identify_and_challenge();
	test_password_refused();
	test_shell_through_host();
	test_verdict_without_identity();
	test_host_failures();
	int status = stop_net();
	CHECK("the network process exits cleanly when the privileged part goes",
	      status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
