/* priv_config: privileged part. Changes winrm/config for administrators
 * connected over the network (WS-Transfer Put, Create and Delete, which the
 * network process turns into IPC_CONFIG_CHANGE). The network process runs
 * as the service account and cannot write the configuration directory; it
 * only relays. Who asks is the account its token names, whether that
 * account is an administrator is decided here by the configuration in
 * force, and the change goes through the config_* functions the winrm
 * command uses, into a fresh copy of the stored file. The copy is staged
 * (its listeners bound) before it is saved, so a change that cannot run is
 * refused with nothing written; once saved atomically it is put in force
 * exactly as a SIGHUP reload would (IPC_CONFIG to the network process),
 * and only then answered, so the reply reflects the new configuration. */
#include "priv/priv_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"

/* Room for "<resource>?<selectors>", as config_set and config_put take it. */
#define MAX_RESOURCE (IPC_MAX_CONFIG_RESOURCE + 1 + IPC_MAX_CONFIG_SELECTORS)

static const char *const op_names[] = {
    [IPC_CONFIG_PUT] = "Put",
    [IPC_CONFIG_CREATE] = "Create",
    [IPC_CONFIG_DELETE] = "Delete",
};

static void answer(struct priv *p, uint32_t id, enum err status, const struct buf *why)
{
	char text[IPC_MAX_CONFIG_MESSAGE + 1];
	struct ipc_config_result r = {.status = (uint32_t)status, .message = text};
	size_t n = buf_len(why) < IPC_MAX_CONFIG_MESSAGE ? buf_len(why) : IPC_MAX_CONFIG_MESSAGE;
	struct buf body;

	memcpy(text, buf_ptr(why), n);
	text[n] = 0;
	buf_init(&body, IPC_MAX_MSG - IPC_HEADER_LEN);
	if (ipc_config_result_encode(&body, &r) == ERR_OK)
		priv_net_send(p, IPC_CONFIG_RESULT, id, &body, NULL, 0);
	buf_clear(&body);
}

/* What a refusal of config.c becomes on the wire. */
static enum err fault_of(enum err e)
{
	switch (e) {
	case ERR_EXISTS:
		return ERR_WSMAN_ALREADY_EXISTS;
	case ERR_NOT_FOUND:
		return ERR_WSMAN_NO_INSTANCE;
	case ERR_WSMAN_INVALID_SD: /* a namespace's Sddl */
		return e;
	case ERR_NOMEM:
	case ERR_INTERNAL:
		return ERR_WSMAN_INTERNAL;
	default:
		/* An unknown setting, a bad value, a listener that cannot run
		 * (its port taken, its certificate unreadable). */
		return ERR_WSMAN_CONFIG_INVALID;
	}
}

/* Applies m to c. The network process sends only what its checks let
 * through; a message that breaks them is refused like a bad request. */
static enum err apply(struct config *c, const struct ipc_config_change *m, struct buf *errmsg)
{
	struct config_pair pairs[IPC_MAX_CONFIG_PAIRS];
	char resource[MAX_RESOURCE + 1], element[CONFIG_MAX_ELEMENT];
	int many = config_resource_of(m->resource, element) == CONFIG_RES_COLLECTION;
	enum err e;

	/* Selectors name an instance (a listener, a plugin, a certmapping);
	 * only instances are created and deleted. */
	if (many != (m->selectors[0] != 0) || (!many && m->op != IPC_CONFIG_PUT)) {
		buf_putf(errmsg, "%s of this resource is not supported", op_names[m->op]);
		return ERR_CONFIG;
	}
	snprintf(resource, sizeof(resource), "%s%s%s", m->resource, many ? "?" : "", m->selectors);
	for (uint32_t i = 0; i < m->npairs; i++) {
		pairs[i].name = m->pairs[i].name;
		pairs[i].value = m->pairs[i].value;
	}
	switch (m->op) {
	case IPC_CONFIG_DELETE:
		return config_instance_delete(c, resource, errmsg);
	case IPC_CONFIG_CREATE:
		if ((e = config_instance_create(c, resource, errmsg)) != ERR_OK)
			return e;
		break;
	default:
		break;
	}
	if ((e = config_put(c, resource, pairs, m->npairs, errmsg)) != ERR_OK)
		return e;
	/* A certmapping created without UserName, or set to none. */
	return config_check_required(c, errmsg);
}

/* Loads, changes, stages, saves and commits; the enum err to answer. */
static enum err change(struct priv *p, const struct ipc_config_change *m, struct buf *why)
{
	struct priv_staged st;
	struct config c;
	enum err e;

	if (config_load(&c, p->config_dir, why) != ERR_OK)
		return ERR_WSMAN_INTERNAL;
	if ((e = apply(&c, m, why)) != ERR_OK) {
		config_clear(&c);
		return fault_of(e);
	}
	if ((e = priv_stage(p, &c, &st, why)) != ERR_OK)
		return fault_of(e);
	if (config_save(&st.cfg, p->config_dir) != ERR_OK) {
		int full = errno == ENOSPC || errno == EDQUOT;
		buf_putf(why, "cannot save %s/%s: %s", p->config_dir, CONFIG_FILE, strerror(errno));
		priv_stage_abort(&st);
		/* The administrator is told why, in Windows' words. */
		return full ? ERR_WSMAN_DISK_FULL : ERR_WSMAN_INTERNAL;
	}
	priv_stage_commit(p, &st);
	return ERR_OK;
}

void priv_config_change(struct priv *p, uint32_t id, const struct ipc_config_change *m)
{
	const struct priv_account *a = priv_token_find(p, m->token);
	char what[MAX_RESOURCE + 64], who[LOG_QUOTE_MAX], q[LOG_QUOTE_MAX];
	struct buf why;
	enum err status;

	snprintf(what, sizeof(what), "%s winrm/config%s%s%s%s", op_names[m->op],
		 *m->resource ? "/" : "", m->resource, *m->selectors ? "?" : "", m->selectors);
	log_quote(q, sizeof(q), what, strlen(what));
	snprintf(who, sizeof(who), "%s", a ? a->name : "-");
	buf_init(&why, 4096);
	/* A token the network process holds proves a password check; the
	 * right to change the configuration is decided now, here. */
	if (!a || !priv_is_admin(p, a)) {
		buf_putf(&why, "%s", a ? "not an administrator" : "unknown or expired token");
		status = ERR_WSMAN_ACCESS_DENIED;
	} else {
		status = change(p, m, &why);
	}
	buf_terminate(&why);
	if (status == ERR_OK)
		log_info("configuration change by %s: %s: applied", who, q);
	else
		log_warnx("configuration change by %s: %s: refused: %s", who, q,
			  (const char *)buf_ptr(&why));
	priv_audit_config_change(a, what,
				 status == ERR_OK ? "applied" : (const char *)buf_ptr(&why));
	answer(p, id, status, &why);
	buf_clear(&why);
}
