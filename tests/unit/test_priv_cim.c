/* Unit tests for priv_cim: an administrator's WMI method run as root
 * (IPC_CIM_INVOKE). Refused at once for a token unknown or expired and for
 * an account that is no administrator, busy past PRIV_MAX_ELEVATED calls;
 * else run in a child whose answer (a fault of the method's own checks, or
 * its output) comes back as IPC_CIM_INVOKED. Needs the passwd entries root
 * and nobody. */
#include <signal.h>

#include "priv_fixture.h"
#include "check.h"

#define REQUEST_ID 9

/* Sends one call as the network process would; 0 if the answer did not
 * come as it must. */
static int call(struct priv_fixture *f, const uint8_t token[IPC_TOKEN_LEN], const char *class_name,
		const char *method, const char *key, struct ipc_cim_invoked *out)
{
	static struct ipc_cim_invoke m;
	struct ipc_msg msg;
	int ok;

	memset(&m, 0, sizeof(m));
	memset(out, 0, sizeof(*out));
	memcpy(m.token, token, IPC_TOKEN_LEN);
	snprintf(m.call.namespace_name, sizeof(m.call.namespace_name), "root/cimv2");
	snprintf(m.call.class_name, sizeof(m.call.class_name), "%s", class_name);
	snprintf(m.call.method, sizeof(m.call.method), "%s", method);
	if (key) {
		m.call.nselectors = 1;
		snprintf(m.call.selectors[0].name, sizeof(m.call.selectors[0].name), "Handle");
		snprintf(m.call.selectors[0].value, sizeof(m.call.selectors[0].value), "%s", key);
	}
	m.call.timeout_ms = 5000;
	/* What the network process claims is not what decides. */
	m.call.access.is_admin = 0;
	priv_cim_invoke(f->p, REQUEST_ID, &m);
	if (fixture_recv(f, &msg) != ERR_OK)
		return 0;
	ok = msg.type == IPC_CIM_INVOKED && msg.id == REQUEST_ID &&
	     ipc_cim_invoked_decode(&msg.body, out) == ERR_OK;
	ipc_msg_clear(&msg);
	return ok;
}

static void test_refusals(struct priv_fixture *f, const uint8_t root[IPC_TOKEN_LEN])
{
	static struct ipc_cim_invoked o;
	uint8_t unknown[IPC_TOKEN_LEN], nobody[IPC_TOKEN_LEN], expired[IPC_TOKEN_LEN];

	memset(unknown, 0x5a, sizeof(unknown));
	CHECK("refuse an unknown token", call(f, unknown, "Win32_Process", "Terminate", "1", &o) &&
					     o.status == ERR_WSMAN_ACCESS_DENIED);
	CHECK("nobody admitted as a member of RemoteUsersGroup", fixture_admit_nobody(f, nobody));
	CHECK("refuse an account that is no administrator",
	      call(f, nobody, "Win32_Process", "Terminate", "1", &o) &&
		  o.status == ERR_WSMAN_ACCESS_DENIED);
	CHECK("root admitted again", fixture_admit(f, "root", expired));
	fixture_expire(f, expired);
	CHECK("refuse an expired token", call(f, expired, "Win32_Process", "Terminate", "1", &o) &&
					     o.status == ERR_WSMAN_ACCESS_DENIED);

	for (int i = 0; i < PRIV_MAX_ELEVATED; i++)
		f->p->elevated[i].ev = (struct event *)&f->p->elevated[i]; /* taken */
	CHECK("busy when every slot is taken",
	      call(f, root, "Win32_Process", "Terminate", "1", &o) && o.status == ERR_HTTP_BUSY);
	for (int i = 0; i < PRIV_MAX_ELEVATED; i++)
		f->p->elevated[i].ev = NULL;
}

static void test_calls(struct priv_fixture *f, const uint8_t root[IPC_TOKEN_LEN])
{
	static struct ipc_cim_invoked o;
	const struct cim_property *rv;
	char handle[16];
	int status = 0;
	pid_t victim = fork();

	if (victim == 0) {
		pause();
		_exit(0);
	}
	CHECK("the child's fault comes back",
	      call(f, root, "Win32_NoSuchClass", "Frob", NULL, &o) &&
		  o.status == ERR_WSMAN_WMI_NOT_FOUND);
	snprintf(handle, sizeof(handle), "%d", (int)victim);
	CHECK("a method runs and answers",
	      call(f, root, "Win32_Process", "Terminate", handle, &o) && o.status == ERR_OK &&
		  strcmp(o.reply.method, "Terminate") == 0 &&
		  (rv = cim_property(&o.reply.output, "ReturnValue")) &&
		  strcmp(rv->value, "0") == 0);
	CHECK("... and did what it says",
	      waitpid(victim, &status, 0) == victim && WIFSIGNALED(status));
	CHECK("its slot is free again", !f->p->elevated[0].ev);
}

int main(void)
{
	struct priv_fixture f;
	uint8_t root[IPC_TOKEN_LEN];

	fixture_start(&f, 0);
	if (fixture_admit(&f, "root", root)) {
		test_refusals(&f, root);
		test_calls(&f, root);
	} else {
		CHECK("root admitted", 0);
	}
	fixture_stop(&f);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
