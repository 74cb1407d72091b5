/* Unit tests for priv_host: IPC_HOST_OPEN refused for a token unknown or
 * expired and beyond Winrs/MaxConcurrentUsers, or when libevent has no
 * memory to watch the start; a host started (in single-user mode, without
 * PAM, /bin/true standing in for winrmd) is announced with its uid, pid
 * and channel, one that cannot be executed as a failure, and their
 * session processes are reaped; the descriptor hosts are executed from.
 * Needs the passwd entry root. */
#include "priv_fixture.h"
#include "check.h"
#include "event_fail.h"

#define REQUEST_ID 9

/* Asks for the host of token's account; 1 with the answer in m (the
 * caller clears it), 0 if none came. */
static int host_open(struct priv_fixture *f, const uint8_t token[IPC_TOKEN_LEN], struct ipc_msg *m)
{
	struct ipc_host_open req = {.peer = "127.0.0.1", .scheme = "Basic"};

	memcpy(req.token, token, IPC_TOKEN_LEN);
	priv_host_open(f->p, REQUEST_ID, &req);
	return fixture_recv(f, m) == ERR_OK;
}

/* The same for endpoint's host. */
static int endpoint_failed_with(struct priv_fixture *f, const uint8_t token[IPC_TOKEN_LEN],
				const char *endpoint, enum err reason)
{
	struct ipc_host_open req = {.peer = "127.0.0.1", .scheme = "Basic"};
	struct ipc_msg m;
	enum err got = ERR_OK;
	int ok;

	memcpy(req.token, token, IPC_TOKEN_LEN);
	snprintf(req.endpoint, sizeof(req.endpoint), "%s", endpoint);
	priv_host_open(f->p, REQUEST_ID, &req);
	if (fixture_recv(f, &m) != ERR_OK)
		return 0;
	ok = m.type == IPC_HOST_FAILED && ipc_host_failed_decode(&m.body, &got) == ERR_OK &&
	     got == reason;
	ipc_msg_clear(&m);
	return ok;
}

/* The answer is HOST_FAILED for reason. */
static int failed_with(struct priv_fixture *f, const uint8_t token[IPC_TOKEN_LEN], enum err reason)
{
	struct ipc_msg m;
	enum err got = ERR_OK;
	int ok;

	if (!host_open(f, token, &m))
		return 0;
	ok = m.id == REQUEST_ID && m.type == IPC_HOST_FAILED &&
	     ipc_host_failed_decode(&m.body, &got) == ERR_OK && got == reason;
	ipc_msg_clear(&m);
	return ok;
}

static void test_refusals(struct priv_fixture *f)
{
	uint8_t unknown[IPC_TOKEN_LEN], root[IPC_TOKEN_LEN];

	memset(unknown, 0x5a, sizeof(unknown));
	CHECK("refuse an unknown token", failed_with(f, unknown, ERR_WSMAN_ACCESS_DENIED));
	CHECK("root admitted", fixture_admit(f, "root", root));
	f->p->cfg.winrs.max_concurrent_users = 0;
	CHECK("refuse a host over MaxConcurrentUsers", failed_with(f, root, ERR_WSMAN_QUOTA_USERS));
	f->p->cfg.winrs.max_concurrent_users = 1;
	/* Session configurations: who may connect, a session file root must own. */
	struct buf msg;
	char pssc[] = "/tmp/test_priv_host.XXXXXX";
	int fd = mkstemp(pssc);
	buf_init(&msg, 1024);
	CHECK("plugins made",
	      fd >= 0 && config_instance_create(&f->p->cfg, "plugin?Name=Ops", &msg) == ERR_OK &&
		  config_set(&f->p->cfg, "plugin?Name=Ops", "AllowedUsers", "nobody", &msg) ==
		      ERR_OK &&
		  config_instance_create(&f->p->cfg, "plugin?Name=Jea", &msg) == ERR_OK &&
		  config_set(&f->p->cfg, "plugin?Name=Jea", "ConfigFilePath", pssc, &msg) ==
		      ERR_OK &&
		  config_set(&f->p->cfg, "plugin?Name=Jea", "Enabled", "true", &msg) == ERR_OK);
	CHECK("refuse an endpoint that does not exist",
	      endpoint_failed_with(f, root, "Nope", ERR_WSMAN_NO_ENDPOINT));
	CHECK("refuse a user not in AllowedUsers",
	      endpoint_failed_with(f, root, "ops", ERR_WSMAN_ACCESS_DENIED));
	CHECK("refuse a session file others may write",
	      fchmod(fd, 0666) == 0 &&
		  endpoint_failed_with(f, root, "Jea", ERR_WSMAN_ACCESS_DENIED));
	config_set(&f->p->cfg, "plugin?Name=Jea", "Enabled", "false", &msg);
	CHECK("refuse a disabled endpoint",
	      endpoint_failed_with(f, root, "Jea", ERR_WSMAN_NO_ENDPOINT));
	if (fd >= 0) {
		close(fd);
		unlink(pssc);
	}
	buf_clear(&msg);
	fixture_expire(f, root);
	CHECK("refuse an expired token", failed_with(f, root, ERR_WSMAN_ACCESS_DENIED));
	CHECK("nothing was started", f->p->nsessions == 0 && priv_host_reaped(f->p, 1, 0) == 0);
}

/* libevent out of memory while a host starts (event_new, then event_add):
 * that request gets HOST_FAILED, as a failed fork does, and the service
 * goes on. The watch is made before the fork, so no session process runs,
 * nothing is counted and no descriptor leaks. */
static void test_no_memory(struct priv_fixture *f)
{
	static const char *const what[] = {"event_new", "event_add"};
	uint8_t root[IPC_TOKEN_LEN];

	CHECK("root admitted", fixture_admit(f, "root", root));
	for (long after = 0; after < 2; after++) {
		struct ipc_host_open req = {.peer = "127.0.0.1", .scheme = "Basic"};
		struct ipc_msg m;
		enum err reason = ERR_OK;
		char name[128];
		int fd = event_fail_next_fd();

		memcpy(req.token, root, IPC_TOKEN_LEN);
		event_fail_after = after;
		priv_host_open(f->p, REQUEST_ID, &req);
		event_fail_after = -1;
		int answered = fixture_recv(f, &m) == ERR_OK;
		snprintf(name, sizeof(name), "no memory for %s: the request gets HOST_FAILED",
			 what[after]);
		CHECK(name, answered && m.id == REQUEST_ID && m.type == IPC_HOST_FAILED &&
				ipc_host_failed_decode(&m.body, &reason) == ERR_OK &&
				reason == ERR_WSMAN_INTERNAL);
		if (answered)
			ipc_msg_clear(&m);
		snprintf(name, sizeof(name),
			 "no memory for %s: no session process, none counted, no descriptor leaked",
			 what[after]);
		CHECK(name, f->p->nsessions == 0 && fixture_reap_sessions(f) == 0 &&
				event_fail_next_fd() == fd);
	}
}

static void test_start(struct priv_fixture *f)
{
	uint8_t root[IPC_TOKEN_LEN];
	struct ipc_msg m;
	struct ipc_host_opened opened;

	CHECK("root admitted", fixture_admit(f, "root", root));
	int answered = host_open(f, root, &m);
	CHECK("a host starts, announced with its channel",
	      answered && m.id == REQUEST_ID && m.type == IPC_HOST_OPENED && m.nfds == 1 &&
		  ipc_host_opened_decode(&m.body, &opened) == ERR_OK && opened.uid == 0 &&
		  opened.pid > 0);
	if (answered)
		ipc_msg_clear(&m);
	CHECK("... under a session process, reaped when it ends",
	      f->p->nsessions == 1 && fixture_reap_sessions(f) == 1 && f->p->nsessions == 0);

	fixture_exe(f, "/nonexistent/winrmd");
	CHECK("a host that cannot be executed is a failure",
	      failed_with(f, root, ERR_WSMAN_INTERNAL));
	CHECK("... and its session process is reaped",
	      fixture_reap_sessions(f) == 1 && f->p->nsessions == 0);
}

/* The descriptor the roles are executed from: numbered above their
 * channel (fd 3, which priv_exec_role overwrites) even when 3 is free,
 * and close-on-exec, so no role holds it. */
static void test_exe_open(void)
{
	int flags3 = fcntl(3, F_GETFD), saved = fcntl(3, F_DUPFD_CLOEXEC, 3);

	close(3);
	int fd = priv_exe_open("/bin/true");
	CHECK("winrmd's descriptor is above the roles' channel, close-on-exec",
	      fd > 3 && fcntl(fd, F_GETFD) == FD_CLOEXEC && (fcntl(fd, F_GETFL) & O_PATH));
	close(fd);
	if (saved >= 0 && (dup2(saved, 3) < 0 || fcntl(3, F_SETFD, flags3) < 0))
		abort();
	close(saved);
	CHECK("... and none for a file that is not there",
	      priv_exe_open("/nonexistent/winrmd") == -1);
}

int main(void)
{
	struct priv_fixture f;

	event_fail_install();
	fixture_start(&f, 0);
	test_exe_open();
	test_refusals(&f);
	test_no_memory(&f);
	test_start(&f);
	fixture_stop(&f);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
