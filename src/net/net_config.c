/* net_config: network process. WS-Management operations on winrm/config
 * (MS-WSMV 3.1.4.1.29, 3.1.4.2 to 3.1.4.10), as `winrm
 * get/set/create/delete/enumerate -r:` sends them. Get, Enumerate, Pull
 * and Release are answered here
 * from the configuration the privileged part sent (IPC_CONFIG). Put,
 * Create and Delete are relayed to the privileged part as
 * IPC_CONFIG_CHANGE with the user's token: this process runs as the
 * service account and may not write the configuration, nor does the
 * privileged part take its word on who is an administrator. The reply
 * comes after the privileged part has put the change in force (the new
 * IPC_CONFIG arrives first), so a PutResponse shows the new values.
 * Only administrators may read or change the configuration, as on Windows,
 * where the configuration's security descriptor grants only
 * BUILTIN\Administrators. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "common/util.h"
#include "net/net_int.h"

_Static_assert(WSMAN_MAX_PROPERTIES <= IPC_MAX_CONFIG_PAIRS &&
		   WSMAN_MAX_PROPERTY_NAME <= IPC_MAX_CONFIG_NAME &&
		   WSMAN_MAX_PROPERTY_VALUE <= CONFIG_MAX_VALUE,
	       "a parsed Put body fits IPC_CONFIG_CHANGE");
_Static_assert(CONFIG_MAX_SELECTOR_TEXT <= IPC_MAX_CONFIG_SELECTORS &&
		   CONFIG_MAX_SELECTORS <= WSMAN_MAX_SELECTORS,
	       "every instance's selectors fit IPC_CONFIG_CHANGE");

/* Resource documents are a few KiB; a reply body has room for them all. */
#define MAX_REPLY (1024 * 1024)

/* What a request addresses. */
struct target {
	char resource[IPC_MAX_CONFIG_RESOURCE +
		      1]; /* under winrm/config: "", "service/auth", "listener" */
	enum config_resource kind;
	char element[CONFIG_MAX_ELEMENT]; /* the body's root element: "Service" */
	/* An instance's "Address=...+Transport=...", else "". */
	char selectors[IPC_MAX_CONFIG_SELECTORS + 1];
	/* The selectors, for the CreateResponse EPR. */
	const char *names[CONFIG_MAX_SELECTORS], *values[CONFIG_MAX_SELECTORS];
	uint32_t nselectors;
};

int net_config_uri(const char *uri)
{
	size_t n = strlen(CONFIG_URI);

	/* Windows matches resource URIs case-insensitively: `winrm create`
	 * sends .../config/Listener (docs/protocol-notes.md, "Resource URI case"). */
	return strncasecmp(uri, CONFIG_URI, n) == 0 && (uri[n] == 0 || uri[n] == '/');
}

/* The resource and selectors of the request. An instance is named by
 * its selectors (a listener by exactly Address and Transport, a plugin by
 * Name, a certmapping by Issuer, Subject and URI: config_instance_check);
 * other resources take none. */
static enum err target_of(const struct wsman_request *req, struct target *t)
{
	const struct wsman_header *h = &req->hdr;
	const char *rest = h->resource_uri + strlen(CONFIG_URI);
	char named[sizeof(t->resource) + sizeof(t->selectors) + 1];
	size_t o = 0;

	memset(t, 0, sizeof(*t));
	if (*rest == '/')
		rest++;
	if (strlen(rest) > IPC_MAX_CONFIG_RESOURCE)
		return ERR_WSMAN_UNKNOWN_RESOURCE;
	memcpy(t->resource, rest, strlen(rest) + 1);
	if ((t->kind = config_resource_of(t->resource, t->element)) == CONFIG_RES_UNKNOWN)
		return ERR_WSMAN_UNKNOWN_RESOURCE;
	if (h->nselectors == 0)
		return ERR_OK;
	if (t->kind != CONFIG_RES_COLLECTION || h->nselectors > CONFIG_MAX_SELECTORS)
		return ERR_WSMAN_INVALID_SELECTORS;
	for (uint32_t i = 0; i < h->nselectors; i++) {
		const struct wsman_pair *s = &h->selectors[i];
		/* '+', '=' and '?' are config.c's separators, and '/' too in a
		 * name: no selector holds one, and none may smuggle in another
		 * selector. A value may hold '/' (a certmapping's URI). */
		if (strpbrk(s->name, "+/=?") || strpbrk(s->value, "+=?"))
			return ERR_WSMAN_INVALID_SELECTORS;
		o += (size_t)snprintf(t->selectors + o,
				      o < sizeof(t->selectors) ? sizeof(t->selectors) - o : 0,
				      "%s%s=%s", i ? "+" : "", s->name, s->value);
		if (o >= sizeof(t->selectors))
			return ERR_WSMAN_INVALID_SELECTORS;
		t->names[i] = s->name;
		t->values[i] = s->value;
		t->nselectors = i + 1;
	}
	snprintf(named, sizeof(named), "%s?%s", t->resource, t->selectors);
	return config_instance_check(named) == ERR_OK ? ERR_OK : ERR_WSMAN_INVALID_SELECTORS;
}

/* The XML of a resource (an instance: "listener?<selectors>") in force. */
static enum err resource_xml(const struct net *n, const char *resource, struct buf *xml)
{
	struct buf msg;
	enum err e;

	buf_init(&msg, 1024);
	e = config_print_xml(&n->cfg, resource, xml, &msg);
	if (e != ERR_OK) {
		buf_terminate(&msg);
		log_info("winrm/config: %s", (const char *)buf_ptr(&msg));
	}
	buf_clear(&msg);
	switch (e) {
	case ERR_OK:
		return ERR_OK;
	case ERR_NOT_FOUND:
		return ERR_WSMAN_NO_INSTANCE;
	case ERR_CONFIG: /* the resource was checked: the selectors are bad */
		return ERR_WSMAN_INVALID_SELECTORS;
	default:
		return ERR_WSMAN_INTERNAL;
	}
}

/* The XML of what t names: a singleton, or one instance. */
static enum err target_xml(const struct net *n, const struct target *t, struct buf *xml)
{
	char resource[sizeof(t->resource) + sizeof(t->selectors) + 1];

	if (t->kind == CONFIG_RES_COLLECTION && !t->selectors[0])
		return ERR_WSMAN_INVALID_SELECTORS;
	snprintf(resource, sizeof(resource), "%s%s%s", t->resource, t->selectors[0] ? "?" : "",
		 t->selectors);
	return resource_xml(n, resource, xml);
}

/* GetResponse or PutResponse: the resource as it is now. */
static void reply_resource(struct request *r, const struct target *t, const char *action)
{
	struct buf xml, body;
	enum err e;

	buf_init(&xml, MAX_REPLY);
	buf_init(&body, MAX_REPLY);
	if ((e = target_xml(r->conn->net, t, &xml)) == ERR_OK)
		e = wsman_reply_resource(&body, &r->ws, action, (const char *)buf_ptr(&xml),
					 buf_len(&xml));
	net_reply_sized(r, e, &body);
	buf_clear(&xml);
	buf_clear(&body);
}

/* ---- Put, Create, Delete: through the privileged part ---- */

static void changed(void *arg, struct ipc_msg *m, enum err e);

static void change(struct request *r, const struct target *t, uint32_t op)
{
	struct ipc_config_change m;
	struct wsman_properties props;
	enum err e = ERR_OK;

	memset(&m, 0, sizeof(m));
	props.n = 0;
	/* An instance is named by its selectors; the singletons are only Put. */
	if (t->kind == CONFIG_RES_COLLECTION && !t->selectors[0])
		e = ERR_WSMAN_INVALID_SELECTORS;
	else if (t->kind != CONFIG_RES_COLLECTION && op != IPC_CONFIG_PUT)
		e = ERR_WSMAN_ACTION_NOT_SUPPORTED;
	/* Put sends the whole resource; Create may send no settings at all. */
	else if (op == IPC_CONFIG_PUT || (op == IPC_CONFIG_CREATE && r->ws.body))
		e = wsman_properties_parse(&r->ws, t->element, &props);
	if (e != ERR_OK) {
		net_reply_fault(r, e);
		return;
	}
	memcpy(m.token, r->id.token, sizeof(m.token));
	m.op = op;
	m.resource = (char *)t->resource;
	m.selectors = (char *)t->selectors;
	m.npairs = props.n;
	for (uint32_t i = 0; i < props.n; i++) {
		m.pairs[i].name = props.p[i].name;
		m.pairs[i].value = props.p[i].value;
	}
	e = net_priv_config_change(r, &m, changed);
	OPENSSL_cleanse(m.token, sizeof(m.token));
	wsman_properties_clear(&props);
	if (e != ERR_OK)
		net_reply_fault(r, e == ERR_LIMIT ? ERR_WSMAN_ENCODING_LIMIT : ERR_WSMAN_INTERNAL);
}

/* The privileged part's answer: the change is in force (the new
 * IPC_CONFIG came first), or refused. */
static void changed(void *arg, struct ipc_msg *m, enum err e)
{
	struct request *r = arg;
	const char *action = r->ws.hdr.action;
	struct ipc_config_result res;
	struct target t;
	struct buf body;
	char url[400], q[LOG_QUOTE_MAX];

	r->call = NULL;
	if ((e = net_priv_config_result(m, e, &res)) != ERR_OK) {
		ipc_config_result_clear(&res);
		net_reply_fault(r, e);
		return;
	}
	if (res.status != ERR_OK) {
		/* The privileged part logged why; net_reply_fault logs the refusal. */
		log_debug("configuration change by %s refused: %s", r->id.user,
			  log_quote(q, sizeof(q), res.message, strlen(res.message)));
		net_reply_fault(r, (enum err)res.status);
		ipc_config_result_clear(&res);
		return;
	}
	ipc_config_result_clear(&res);
	/* It passed before the request went out; the request is unchanged. */
	if ((e = target_of(&r->ws, &t)) != ERR_OK) {
		net_reply_fault(r, e);
		return;
	}
	if (strcmp(action, ACTION_PUT) == 0) {
		reply_resource(r, &t, NS_TRANSFER "/PutResponse");
		return;
	}
	buf_init(&body, MAX_REPLY);
	if (strcmp(action, ACTION_CREATE) == 0) {
		net_url(r, url, sizeof(url));
		e = wsman_reply_resource_created(&body, &r->ws, url, r->ws.hdr.resource_uri,
						 t.names, t.values, t.nselectors);
	} else {
		e = wsman_reply_delete(&body, &r->ws);
	}
	net_reply_sized(r, e, &body);
	buf_clear(&body);
}

/* ---- Enumerate ---- */

/* The document of every instance of collection (listener, plugin,
 * certmapping), as things are now. */
static enum err enumeration_fill(struct net *n, const char *collection, struct net_enumeration *en)
{
	char resource[IPC_MAX_CONFIG_RESOURCE + 1 + IPC_MAX_CONFIG_SELECTORS + 1];
	struct buf xml;
	enum err e = ERR_OK;

	buf_init(&xml, MAX_REPLY);
	for (uint32_t i = 0;
	     i < CONFIG_MAX_INSTANCES && e == ERR_OK &&
	     config_instance_resource(&n->cfg, collection, i, resource, sizeof(resource)) == ERR_OK;
	     i++) {
		buf_reset(&xml);
		if ((e = resource_xml(n, resource, &xml)) == ERR_OK)
			e = net_enum_add(en, &xml);
	}
	buf_clear(&xml);
	return e;
}

static void enumerate(struct request *r, const struct target *t)
{
	struct net *n = r->conn->net;
	struct wsman_enumerate_req req;
	struct net_enumeration *en;
	enum err e;

	/* Only listeners, plugins and certmappings are many; the other
	 * resources are got. */
	if (t->kind != CONFIG_RES_COLLECTION) {
		net_reply_fault(r, ERR_WSMAN_ACTION_NOT_SUPPORTED);
		return;
	}
	if (t->selectors[0]) {
		net_reply_fault(r, ERR_WSMAN_INVALID_SELECTORS);
		return;
	}
	if ((e = wsman_enumerate_parse(&r->ws, &req)) == ERR_OK &&
	    (e = wsman_enumerate_objects_only(&req)) == ERR_OK && req.filtered)
		e = ERR_WSMAN_FILTERING_NOT_SUPPORTED; /* the listeners are not filtered */
	if (e == ERR_OK && !(en = net_enum_start(n, r->id.uid)))
		e = ERR_WSMAN_INTERNAL;
	if (e != ERR_OK) {
		net_reply_fault(r, e);
		return;
	}
	if ((e = enumeration_fill(n, t->resource, en)) != ERR_OK) {
		net_enum_free(en);
		net_reply_fault(r, e);
		return;
	}
	net_enum_serve(r, en, 1, req.optimize, req.max_elements);
}

/* ---- dispatch ---- */

void net_config_dispatch(struct request *r)
{
	const char *action = r->ws.hdr.action;
	struct target t;
	enum err e;

	if ((e = net_identity_check(r, "winrm/config")) != ERR_OK) {
		net_reply_fault(r, e);
		return;
	}
	/* net_reply_fault logs the refusal with the user and the action. */
	if (!r->id.is_admin) {
		net_reply_fault(r, ERR_WSMAN_ACCESS_DENIED);
		return;
	}
	if ((e = target_of(&r->ws, &t)) != ERR_OK) {
		net_reply_fault(r, e);
		return;
	}
	if (strcmp(action, ACTION_GET) == 0)
		reply_resource(r, &t, NS_TRANSFER "/GetResponse");
	else if (strcmp(action, ACTION_PUT) == 0)
		change(r, &t, IPC_CONFIG_PUT);
	else if (strcmp(action, ACTION_CREATE) == 0)
		change(r, &t, IPC_CONFIG_CREATE);
	else if (strcmp(action, ACTION_DELETE) == 0)
		change(r, &t, IPC_CONFIG_DELETE);
	else if (strcmp(action, ACTION_ENUMERATE) == 0)
		enumerate(r, &t);
	else if (strcmp(action, ACTION_PULL) == 0)
		net_enum_pull(r, 0);
	else if (strcmp(action, ACTION_RELEASE) == 0)
		net_enum_pull(r, 1);
	else
		net_reply_fault(r, ERR_WSMAN_ACTION_NOT_SUPPORTED);
}
