/* Unit tests for priv_config: configuration changes the network process
 * relays (IPC_CONFIG_CHANGE). Refused for a token unknown or expired and
 * for an account that is no administrator, refused with nothing written
 * for an unknown setting or a listener that cannot run; applied to the
 * temporary configuration directory, put in force (IPC_CONFIG, with the
 * listening sockets) and only then answered (IPC_CONFIG_RESULT). Needs
 * the passwd entries root and nobody; loopback ports only. */
#include "priv_fixture.h"
#include "check.h"
#include "loopback.h"

#define LISTENER "Address=IP:127.0.0.1+Transport=HTTP"
#define REQUEST_ID 7

/* What the network process received for one change. */
struct outcome {
	uint32_t status; /* of IPC_CONFIG_RESULT */
	char why[IPC_MAX_CONFIG_MESSAGE + 1];
	int configs;			    /* IPC_CONFIG messages before it */
	int sockets;			    /* descriptors the last one carried */
	char text[IPC_MAX_CONFIG_TEXT + 1]; /* its configuration */
};

/* Sends one change as the network process would and collects what comes
 * back; 0 if the answer did not come as it must. */
static int change(struct priv_fixture *f, const uint8_t token[IPC_TOKEN_LEN], uint32_t op,
		  const char *resource, const char *selectors, const char *name, const char *value,
		  struct outcome *o)
{
	struct ipc_config_change m = {.op = op,
				      .resource = (char *)resource,
				      .selectors = (char *)selectors,
				      .npairs = name ? 1 : 0};
	struct ipc_msg msg;

	memset(o, 0, sizeof(*o));
	memcpy(m.token, token, IPC_TOKEN_LEN);
	m.pairs[0].name = (char *)name;
	m.pairs[0].value = (char *)value;
	priv_config_change(f->p, REQUEST_ID, &m);
	while (fixture_recv(f, &msg) == ERR_OK) {
		int done = msg.type == IPC_CONFIG_RESULT;
		if (msg.type == IPC_CONFIG) {
			struct ipc_config c;
			o->configs++;
			o->sockets = msg.nfds;
			if (ipc_config_decode(&msg.body, &c) != ERR_OK) {
				ipc_msg_clear(&msg);
				return 0;
			}
			snprintf(o->text, sizeof(o->text), "%s", c.config_text);
			ipc_config_clear(&c);
		} else if (done) {
			struct ipc_config_result r;
			if (msg.id != REQUEST_ID ||
			    ipc_config_result_decode(&msg.body, &r) != ERR_OK) {
				ipc_msg_clear(&msg);
				return 0;
			}
			o->status = r.status;
			snprintf(o->why, sizeof(o->why), "%s", r.message);
			ipc_config_result_clear(&r);
		}
		ipc_msg_clear(&msg);
		if (done)
			return 1;
	}
	return 0;
}

/* The stored file, or "" when there is none. */
static const char *stored(struct priv_fixture *f, char *out, size_t len)
{
	char path[PATH_MAX + 16];
	FILE *file;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", f->p->config_dir, CONFIG_FILE);
	if ((file = fopen(path, "r"))) {
		n = fread(out, 1, len - 1, file);
		fclose(file);
	}
	out[n] = 0;
	return out;
}

static void test_refusals(struct priv_fixture *f, const uint8_t root[IPC_TOKEN_LEN])
{
	static struct outcome o;
	uint8_t unknown[IPC_TOKEN_LEN], nobody[IPC_TOKEN_LEN], expired[IPC_TOKEN_LEN];
	char file[CONFIG_MAX_FILE];

	memset(unknown, 0x5a, sizeof(unknown));
	CHECK("refuse an unknown token",
	      change(f, unknown, IPC_CONFIG_PUT, "service", "", "MaxConnections", "42", &o) &&
		  o.status == ERR_WSMAN_ACCESS_DENIED &&
		  strstr(o.why, "unknown or expired token") && o.configs == 0);
	CHECK("nobody admitted as a member of RemoteUsersGroup", fixture_admit_nobody(f, nobody));
	CHECK("refuse an account that is no administrator",
	      change(f, nobody, IPC_CONFIG_PUT, "service", "", "MaxConnections", "42", &o) &&
		  o.status == ERR_WSMAN_ACCESS_DENIED && strstr(o.why, "not an administrator") &&
		  o.configs == 0);
	CHECK("root admitted again", fixture_admit(f, "root", expired));
	fixture_expire(f, expired);
	CHECK("refuse an expired token",
	      change(f, expired, IPC_CONFIG_PUT, "service", "", "MaxConnections", "42", &o) &&
		  o.status == ERR_WSMAN_ACCESS_DENIED && strstr(o.why, "unknown or expired token"));
	CHECK("refuse an unknown setting",
	      change(f, root, IPC_CONFIG_PUT, "service", "", "NoSuchSetting", "1", &o) &&
		  o.status == ERR_WSMAN_CONFIG_INVALID && o.why[0] && o.configs == 0);
	CHECK("refuse a bad value",
	      change(f, root, IPC_CONFIG_PUT, "service", "", "MaxConnections", "many", &o) &&
		  o.status == ERR_WSMAN_CONFIG_INVALID && o.configs == 0);
	CHECK("refuse creating what is not a listener",
	      change(f, root, IPC_CONFIG_CREATE, "service", "", "MaxConnections", "42", &o) &&
		  o.status == ERR_WSMAN_CONFIG_INVALID && strstr(o.why, "Create of this resource"));
	CHECK("nothing refused was written", stored(f, file, sizeof(file))[0] == 0);
}

static void test_changes(struct priv_fixture *f, const uint8_t root[IPC_TOKEN_LEN])
{
	static struct outcome o;
	char file[CONFIG_MAX_FILE], port[8];
	uint16_t p = loopback_free_port();

	snprintf(port, sizeof(port), "%u", p);
	CHECK("a setting is changed",
	      change(f, root, IPC_CONFIG_PUT, "service", "", "MaxConnections", "42", &o) &&
		  o.status == ERR_OK && o.why[0] == 0);
	CHECK("... put in force before the answer",
	      o.configs == 1 && o.sockets == 0 && strstr(o.text, "Service/MaxConnections = 42") &&
		  f->p->cfg.service.max_connections == 42);
	CHECK("... and saved",
	      strstr(stored(f, file, sizeof(file)), "Service/MaxConnections = 42"));

	CHECK("a listener is created",
	      change(f, root, IPC_CONFIG_CREATE, "listener", LISTENER, "Port", port, &o) &&
		  o.status == ERR_OK && o.configs == 1);
	CHECK("... its socket bound and sent",
	      o.sockets == 1 && f->p->listen.nsockets == 1 && loopback_listening(1, p));
	CHECK("... and saved", strstr(stored(f, file, sizeof(file)), LISTENER "/Port = "));
	CHECK("refuse creating it again",
	      change(f, root, IPC_CONFIG_CREATE, "listener", LISTENER, "Port", port, &o) &&
		  o.status == ERR_WSMAN_ALREADY_EXISTS && o.configs == 0);

	char before[CONFIG_MAX_FILE];
	stored(f, before, sizeof(before));
	CHECK("refuse a listener that cannot run (no certificate)",
	      change(f, root, IPC_CONFIG_CREATE, "listener", "Address=IP:127.0.0.1+Transport=HTTPS",
		     "Port", port, &o) &&
		  o.status == ERR_WSMAN_CONFIG_INVALID && strstr(o.why, "CertificateFile") &&
		  o.configs == 0);
	CHECK("... with the stored file untouched",
	      strcmp(stored(f, file, sizeof(file)), before) == 0 && f->p->listen.nsockets == 1);

	CHECK("a listener is deleted",
	      change(f, root, IPC_CONFIG_DELETE, "listener", LISTENER, NULL, NULL, &o) &&
		  o.status == ERR_OK && o.configs == 1 && o.sockets == 0);
	CHECK("... its socket closed", f->p->listen.nsockets == 0 && !loopback_listening(1, p));
	CHECK("refuse deleting a listener that is not there",
	      change(f, root, IPC_CONFIG_DELETE, "listener", LISTENER, NULL, NULL, &o) &&
		  o.status == ERR_WSMAN_NO_INSTANCE);
}

int main(void)
{
	struct priv_fixture f;
	uint8_t root[IPC_TOKEN_LEN];

	fixture_start(&f, 0);
	CHECK("root admitted", fixture_admit(&f, "root", root));
	test_refusals(&f, root);
	test_changes(&f, root);
	fixture_stop(&f);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
