/* cim_classes: the classes served, one row each (their providers, one
 * file per kind of thing, are listed in cim_int.h), the namespace's check
 * before a provider runs, and the answers kept until the network process
 * has taken their pages.
 * This runs in the connecting user's host, so the providers read what
 * that user may read, as a WMI provider impersonates its caller. */
#include "cim/cim_int.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

/* Answers whose pages are being taken: the network process asks for the
 * next page as soon as one arrives, so a few per user, kept briefly. */
#define MAX_SNAPSHOTS 8
#define SNAPSHOT_LIFETIME_MS 60000

/* The classes served: WMI's name, and DMTF's for the CIM class it
 * derives from (which the DMTF URI addresses, and root/cimv2 answers by
 * its Win32_ instances, as WMI does), and the key properties that name an
 * instance, as WMI's __RELPATH names them (Win32_Process.Handle="4"; the
 * Win32_ classes redefine CIM's keys), in its alphabetical order: an
 * enumeration's EPRs carry them, a Get takes them back. */
static const struct cim_class {
	const char *name;
	const char *cim_name;		    /* NULL: none (the class is WMI's alone) */
	const char *keys[CIM_MAX_KEYS + 1]; /* NULL-terminated; none: a singleton */
	enum err (*fill)(struct cim_set *out);
	/* Its methods and its writable properties, tables of its provider's;
	 * NULL for none: a Put of a class without writables is refused as
	 * WMI's provider framework refuses a PutInstance a provider does not
	 * implement (WBEM_E_PROVIDER_NOT_CAPABLE). */
	const struct cim_methods *methods;
	const struct cim_writables *writables;
} classes[] = {
    /* A singleton in WMI: Win32_OperatingSystem=@. */
    {"Win32_OperatingSystem",
     "CIM_OperatingSystem",
     {NULL},
     cim_operating_system,
     &cim_os_methods,
     NULL},
    {"Win32_ComputerSystem", "CIM_ComputerSystem", {"Name"}, cim_computer_system, NULL, NULL},
    {"Win32_Process", "CIM_Process", {"Handle"}, cim_processes, &cim_process_methods, NULL},
    {"Win32_LogicalDisk", "CIM_LogicalDisk", {"DeviceID"}, cim_logical_disks, NULL, NULL},
    {"Win32_NetworkAdapter", "CIM_NetworkAdapter", {"DeviceID"}, cim_network_adapters, NULL, NULL},
    /* A CIM_Setting, which WMI does not answer for it: no DMTF name. */
    {"Win32_NetworkAdapterConfiguration", NULL, {"Index"}, cim_network_configurations, NULL, NULL},
    {"Win32_Product",
     "CIM_Product",
     {"IdentifyingNumber", "Name", "Version"},
     cim_products,
     NULL,
     NULL},
    /* Win32_Account's, whose parent is no DMTF account class. */
    {"Win32_UserAccount", NULL, {"Domain", "Name"}, cim_user_accounts, NULL, &cim_user_writables},
    {"Win32_Group", NULL, {"Domain", "Name"}, cim_groups, NULL, NULL},
    {"Win32_Service", "CIM_Service", {"Name"}, cim_services, &cim_service_methods, NULL},
};

static const struct cim_class *class_find(const char *name, int dmtf, const char **spelling)
{
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		if (!dmtf && strcasecmp(name, classes[i].name) == 0) {
			*spelling = classes[i].name;
			return &classes[i];
		}
		if (classes[i].cim_name && strcasecmp(name, classes[i].cim_name) == 0) {
			*spelling = classes[i].cim_name;
			return &classes[i];
		}
	}
	return NULL;
}

/* The account this host runs as, for the log. */
static const char *caller_name(void)
{
	struct passwd *pw = getpwuid(geteuid());

	return pw ? pw->pw_name : "?";
}

/* The class a request names, after the namespace's check
 * (cim_namespace_allows, which logs its refusals): served, and the
 * caller has the rights wanted. */
static enum err class_admitted(const char *namespace_name, const char *class_name, int dmtf,
			       const struct cim_access *access, uint32_t wanted,
			       const struct cim_class **c, const char **spelling)
{
	enum err e = cim_namespace_allows(namespace_name, class_name, access, wanted);

	if (e != ERR_OK)
		return e;
	return (*c = class_find(class_name, dmtf, spelling)) ? ERR_OK : ERR_WSMAN_WMI_NOT_FOUND;
}

enum err cim_select(const struct cim_instance *v, uint32_t n, const struct cim_selector *sel,
		    uint32_t nsel, uint32_t *index)
{
	if (nsel == 0 && n > 1)
		return ERR_WSMAN_WMI_SINGLETON;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t matched = 0;
		for (uint32_t k = 0; k < nsel; k++) {
			const struct cim_property *p = cim_property(&v[i], sel[k].name);
			if (!p)
				return ERR_WSMAN_INVALID_SELECTORS;
			matched += p->type != CIM_NULL && strcasecmp(p->value, sel[k].value) == 0;
		}
		if (matched == nsel) {
			*index = i;
			return ERR_OK;
		}
	}
	return ERR_WSMAN_NO_INSTANCE;
}

struct cim_snapshot {
	uint32_t id; /* 0: the slot is free */
	uint64_t expires_ms;
	const struct cim_class *c;
	char class_name[CIM_MAX_NAME + 1];
	struct cim_set set;
};

struct cim_snapshots {
	uint32_t last_id;
	struct cim_snapshot kept[MAX_SNAPSHOTS];
};

struct cim_snapshots *cim_snapshots_new(void)
{
	return calloc(1, sizeof(struct cim_snapshots));
}

static void snapshot_drop(struct cim_snapshot *k)
{
	cim_set_free(&k->set);
	memset(k, 0, sizeof(*k));
}

void cim_snapshots_free(struct cim_snapshots *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < MAX_SNAPSHOTS; i++)
		snapshot_drop(&s->kept[i]);
	free(s);
}

/* A slot for a new answer: a free or expired one, else the oldest. */
static struct cim_snapshot *snapshot_slot(struct cim_snapshots *s, uint64_t now)
{
	struct cim_snapshot *oldest = &s->kept[0];

	for (size_t i = 0; i < MAX_SNAPSHOTS; i++) {
		struct cim_snapshot *k = &s->kept[i];
		if (k->id && k->expires_ms <= now)
			snapshot_drop(k);
		if (!k->id)
			return k;
		if (k->expires_ms < oldest->expires_ms)
			oldest = k;
	}
	snapshot_drop(oldest);
	return oldest;
}

/* The reply's class: as it is spelt, and its keys. */
static void class_of(const struct cim_class *c, const char *spelling, struct cim_reply *out)
{
	snprintf(out->class_name, sizeof(out->class_name), "%s", spelling);
	for (out->nkeys = 0; out->nkeys < CIM_MAX_KEYS && c->keys[out->nkeys]; out->nkeys++)
		snprintf(out->keys[out->nkeys], sizeof(out->keys[0]), "%s", c->keys[out->nkeys]);
}

/* The page of k from first on; the snapshot goes with its last page. */
static void page_of(struct cim_snapshot *k, uint32_t first, struct cim_reply *out)
{
	uint32_t left = first < k->set.n ? k->set.n - first : 0;

	class_of(k->c, k->class_name, out);
	out->total = k->set.n;
	out->first = first;
	out->ninstances = left < CIM_PAGE_INSTANCES ? left : CIM_PAGE_INSTANCES;
	if (out->ninstances)
		memcpy(out->instances, k->set.v + first,
		       (size_t)out->ninstances * sizeof(out->instances[0]));
	out->snapshot = first + out->ninstances < k->set.n ? k->id : 0;
	if (!out->snapshot)
		snapshot_drop(k);
}

/* A Get's instance, from the provider's whole answer. */
static enum err one_instance(const struct cim_request *req, const struct cim_set *set,
			     struct cim_reply *out)
{
	uint32_t index;
	enum err e = cim_select(set->v, set->n, req->selectors, req->nselectors, &index);

	if (e != ERR_OK)
		return e;
	out->total = out->ninstances = 1;
	out->instances[0] = set->v[index];
	return ERR_OK;
}

/* A new answer of req's class, after the namespace's check: a Get's one
 * instance, or an enumeration's first page (the rest kept in s). */
static enum err answer(struct cim_snapshots *s, const struct cim_request *req,
		       struct cim_reply *out)
{
	const struct cim_class *c;
	const char *spelling = NULL;
	struct cim_set set = {0};
	struct cim_snapshot *k;
	enum err e;

	if ((e = class_admitted(req->namespace_name, req->class_name, req->dmtf != 0, &req->access,
				CIM_READ_REMOTELY, &c, &spelling)) != ERR_OK)
		return e;
	if ((e = c->fill(&set)) != ERR_OK) {
		log_warnx("WMI class %s: its provider failed after %u instances", spelling, set.n);
		cim_set_free(&set);
		return e;
	}
	class_of(c, spelling, out);
	if (!req->enumerate) {
		e = one_instance(req, &set, out);
		cim_set_free(&set);
		return e;
	}
	k = snapshot_slot(s, util_now_ms());
	k->set = set;
	if (++s->last_id == 0)
		s->last_id = 1; /* 0 asks for a new answer */
	k->id = s->last_id;
	k->expires_ms = util_now_ms() + SNAPSHOT_LIFETIME_MS;
	k->c = c;
	snprintf(k->class_name, sizeof(k->class_name), "%s", spelling);
	page_of(k, 0, out);
	return ERR_OK;
}

enum err cim_instances(struct cim_snapshots *s, const struct cim_request *req,
		       struct cim_reply *out)
{
	uint64_t now = util_now_ms();

	memset(out, 0, sizeof(*out));
	if (!req->snapshot)
		return answer(s, req, out);
	for (size_t i = 0; i < MAX_SNAPSHOTS; i++) {
		struct cim_snapshot *k = &s->kept[i];
		if (k->id != req->snapshot)
			continue;
		if (k->expires_ms <= now)
			break;
		page_of(k, req->first, out);
		return ERR_OK;
	}
	log_warnx("WMI: page %u of an answer no longer kept (%u)", req->first, req->snapshot);
	return ERR_WSMAN_INVALID_CONTEXT;
}

/* ---- methods ---- */

static const struct cim_method *method_find(const struct cim_methods *ms, const char *name)
{
	for (size_t i = 0; ms && i < ms->n; i++)
		if (strcasecmp(ms->v[i].name, name) == 0)
			return &ms->v[i];
	return NULL;
}

/* 1 if text is a value of type: a uint32, a boolean, or any string. */
static int typed_as(const char *text, enum cim_type type)
{
	uint64_t v;

	if (type == CIM_NUMBER)
		return util_parse_u64(text, UINT32_MAX, &v) == ERR_OK;
	if (type == CIM_BOOLEAN)
		return strcasecmp(text, "true") == 0 || strcasecmp(text, "false") == 0;
	return 1;
}

/* The call of m on class c: its key from the selectors (exactly the
 * methods' key for a method of an instance, or none for a singleton's
 * one instance, as its Get and EPR name it; a method of the class takes
 * none), and each parameter given one m declares, of its type. */
static enum err call_of(const struct cim_class *c, const struct cim_methods *ms,
			const struct cim_method *m, const struct cim_invoke_request *req,
			struct cim_call *call)
{
	int the_singleton = !c->keys[0] && req->nselectors == 0;

	memset(call, 0, sizeof(*call));
	call->timeout_ms = req->timeout_ms;
	if (m->of_instance && !the_singleton &&
	    (req->nselectors != 1 || strcasecmp(req->selectors[0].name, ms->key) != 0))
		return ERR_WSMAN_INVALID_SELECTORS;
	if (m->of_instance && !the_singleton)
		call->key = req->selectors[0].value;
	for (uint32_t i = 0; i < req->nparameters; i++) {
		const struct cim_property *p = &req->parameters[i];
		size_t k = 0;
		while (k < CIM_MAX_PARAMETERS && m->in[k].name &&
		       strcasecmp(m->in[k].name, p->name) != 0)
			k++;
		if (k == CIM_MAX_PARAMETERS || !m->in[k].name ||
		    (p->type != CIM_NULL && !typed_as(p->value, m->in[k].type)))
			return ERR_WSMAN_WMI_INVALID_PARAMETER;
		call->in[k] = p->type == CIM_NULL ? NULL : p->value;
	}
	return ERR_OK;
}

void cim_return(struct cim_invoke_reply *out, uint32_t value)
{
	cim_prop(&out->output, "ReturnValue", CIM_NUMBER, "%u", value);
}

/* The ReturnValue a reply holds, for the log. */
static const char *return_value(const struct cim_invoke_reply *out)
{
	for (uint32_t i = 0; i < out->output.nproperties; i++)
		if (strcmp(out->output.properties[i].name, "ReturnValue") == 0)
			return out->output.properties[i].value;
	return "?";
}

static enum err put(const struct cim_invoke_request *req, struct cim_invoke_reply *out,
		    struct cim_pending *pending);

enum err cim_invoke(const struct cim_invoke_request *req, struct cim_invoke_reply *out,
		    struct cim_pending *pending)
{
	const struct cim_class *c;
	const struct cim_methods *ms;
	const struct cim_method *m;
	const char *spelling = NULL;
	struct cim_call call;
	uint64_t started = util_now_ms(), spent;
	char key[160]; /* quoted and cut, for the log */
	enum err e;

	if (req->kind == CIM_CALL_PUT)
		return put(req, out, pending);
	memset(out, 0, sizeof(*out));
	memset(pending, 0, sizeof(*pending));
	if ((e = class_admitted(req->namespace_name, req->class_name, req->dmtf != 0, &req->access,
				CIM_INVOKE_REMOTELY, &c, &spelling)) != ERR_OK)
		return e;
	ms = c->methods;
	if (!(m = method_find(ms, req->method)))
		return ERR_WSMAN_ACTION_NOT_SUPPORTED;
	if ((e = call_of(c, ms, m, req, &call)) != ERR_OK)
		return e;
	snprintf(out->class_name, sizeof(out->class_name), "%s", spelling);
	snprintf(out->method, sizeof(out->method), "%s", m->name);
	e = m->run(&call, out, pending);
	/* One line per call: a method whose child runs is logged when it ends. */
	log_quote(key, sizeof(key), call.key ? call.key : "", call.key ? strlen(call.key) : 0);
	snprintf(pending->what, sizeof(pending->what), "%s.%s(%s) by %s from %s", spelling, m->name,
		 key, caller_name(), req->access.client_ip);
	if (e != ERR_OK)
		log_info("WMI method %s: %s", pending->what, err_str(e));
	else if (!pending->pid)
		log_info("WMI method %s: ReturnValue %s", pending->what, return_value(out));
	/* The child has what is left of the caller's time. */
	spent = util_now_ms() - started;
	if (pending->pid)
		pending->timeout_ms =
		    pending->timeout_ms > spent ? (uint32_t)(pending->timeout_ms - spent) : 0;
	return e;
}

/* How a child ended, for the log. */
static const char *ending(int status, int timed_out, char *out, size_t cap)
{
	if (timed_out)
		snprintf(out, cap, "timed out");
	else if (WIFEXITED(status))
		snprintf(out, cap, "exited %d", WEXITSTATUS(status));
	else
		snprintf(out, cap, "was killed by signal %d", WTERMSIG(status));
	return out;
}

enum err cim_pending_finish(const struct cim_pending *pending, struct cim_invoke_reply *out,
			    int status, int timed_out)
{
	enum err e = pending->finish(out, status, timed_out);

	char end[64];

	if (out->kind == CIM_CALL_PUT && e == ERR_OK)
		log_info("WMI Put of %s: done", pending->what);
	else if (out->kind == CIM_CALL_PUT)
		log_info("WMI Put of %s: %s (its process %s)", pending->what, err_str(e),
			 ending(status, timed_out, end, sizeof(end)));
	else
		log_info("WMI method %s: ReturnValue %s%s", pending->what, return_value(out),
			 timed_out ? " (its process timed out)" : "");
	return e;
}

enum err cim_invoke_wait(const struct cim_invoke_request *req, struct cim_invoke_reply *out)
{
	struct cim_pending pending;
	int status;
	enum err e = cim_invoke(req, out, &pending);

	if (e != ERR_OK || !pending.pid)
		return e;
	cim_run_wait(&pending.pid, &status, 1, pending.timeout_ms);
	return cim_pending_finish(&pending, out, status, status == -1);
}

/* ---- Put (WS-Transfer Put of an instance) ---- */

static const struct cim_writable *writable_find(const struct cim_writables *w, const char *name)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcasecmp(w->v[i].name, name) == 0)
			return &w->v[i];
	return NULL;
}

/* 1 if the property sent leaves the instance's as it is: the same text
 * (a boolean's case aside), or nil, which WMI's providers take as a
 * property not given (their PutInstance sets the non-NULL ones). A
 * caller's Get may also show nil what the provider run as root reads
 * (an administrator's Get runs as them, the Put as root: Disabled). */
static int unchanged(const struct cim_property *now, const struct cim_property *sent)
{
	if (sent->type == CIM_NULL)
		return 1;
	if (now->type == CIM_NULL)
		return 0;
	return now->type == CIM_BOOLEAN ? strcasecmp(now->value, sent->value) == 0
					: strcmp(now->value, sent->value) == 0;
}

enum err cim_put_command(const struct cim_writables *w, const struct cim_instance *now,
			 const struct cim_property *sent, uint32_t nsent, struct cim_command *cmd,
			 uint32_t *changes)
{
	const struct cim_property *to[CIM_MAX_PROPERTIES] = {0};
	const struct cim_property *key = cim_property(now, w->key);
	enum err e = ERR_OK;

	memset(cmd, 0, sizeof(*cmd));
	*changes = 0;
	for (uint32_t i = 0; i < nsent; i++) {
		const struct cim_property *p = cim_property(now, sent[i].name);
		const struct cim_writable *wr;
		if (!p)
			return ERR_WSMAN_WMI_INVALID_PARAMETER; /* not the class's */
		if (unchanged(p, &sent[i]))
			continue;
		if (!(wr = writable_find(w, sent[i].name)))
			return ERR_WSMAN_WMI_READ_ONLY;
		if (!typed_as(sent[i].value, wr->type))
			return ERR_WSMAN_WMI_INVALID_PARAMETER;
		to[wr - w->v] = &sent[i];
		++*changes;
	}
	if (!*changes)
		return ERR_OK;
	if (!key || key->type == CIM_NULL)
		return ERR_WSMAN_INTERNAL; /* the provider names every instance */
	e = cim_command_add(cmd, w->tool);
	for (size_t k = 0; k < w->n && e == ERR_OK; k++)
		if (to[k])
			e = w->v[k].set(now, to[k]->value, cmd);
	if (e == ERR_OK && (e = cim_command_add(cmd, "--")) == ERR_OK)
		e = cim_command_add(cmd, key->value);
	return e;
}

/* The instance of class c the selectors name, as the provider gives it
 * now (cim_select's faults, as a Get's). */
static enum err instance_now(const struct cim_class *c, const struct cim_selector *sel,
			     uint32_t nsel, struct cim_instance *out)
{
	struct cim_set set = {0};
	uint32_t index;
	enum err e = c->fill(&set);

	if (e == ERR_OK && (e = cim_select(set.v, set.n, sel, nsel, &index)) == ERR_OK)
		*out = set.v[index];
	cim_set_free(&set);
	return e;
}

/* The keys of c with their values in inst, as a Get's selectors. */
static uint32_t keys_of(const struct cim_class *c, const struct cim_instance *inst,
			struct cim_selector *sel)
{
	uint32_t n = 0;

	for (; n < CIM_MAX_KEYS && c->keys[n]; n++) {
		const struct cim_property *p = cim_property(inst, c->keys[n]);
		snprintf(sel[n].name, sizeof(sel[n].name), "%s", c->keys[n]);
		snprintf(sel[n].value, sizeof(sel[n].value), "%s", p ? p->value : "");
	}
	return n;
}

/* The tool's end: the instance read again, as the Put's answer. What it
 * refuses a caller who is not root is what the system refuses them:
 * WMI's access denied. */
static enum err put_finished(struct cim_invoke_reply *out, int status, int timed_out)
{
	const char *spelling;
	const struct cim_class *c = class_find(out->class_name, 0, &spelling);
	struct cim_selector sel[CIM_MAX_KEYS];

	if (timed_out)
		return ERR_WSMAN_TIMED_OUT;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return geteuid() != 0 ? ERR_WSMAN_WMI_ACCESS_DENIED : ERR_WSMAN_INTERNAL;
	if (!c)
		return ERR_WSMAN_INTERNAL;
	return instance_now(c, sel, keys_of(c, &out->output, sel), &out->output);
}

/* "Win32_UserAccount(Domain=H,Name=u) by caller from ip", the keys
 * quoted, for the log. */
static void describe_put(const struct cim_invoke_request *req, const char *spelling, char *out,
			 size_t cap)
{
	char keys[256], quoted[LOG_QUOTE_MAX];
	size_t n = 0;

	keys[0] = 0;
	for (uint32_t i = 0; i < req->nselectors && n < sizeof(keys); i++)
		n += (size_t)snprintf(keys + n, sizeof(keys) - n, "%s%s=%s", i ? "," : "",
				      req->selectors[i].name, req->selectors[i].value);
	snprintf(out, cap, "%s(%s) by %s from %s", spelling,
		 log_quote(quoted, sizeof(quoted), keys, strlen(keys)), caller_name(),
		 req->access.client_ip);
}

/* A Put: Provider Write on the namespace (with Enable Account and Remote
 * Enable), a class with writable properties, the instance the keys name
 * as a Get finds it; then its class's tool, as the caller, for the
 * properties that change, in a child the caller waits for as a method's;
 * none changing answers the instance at once. */
static enum err put(const struct cim_invoke_request *req, struct cim_invoke_reply *out,
		    struct cim_pending *pending)
{
	const struct cim_class *c;
	const struct cim_writables *w;
	const char *spelling = NULL;
	struct cim_command cmd;
	uint32_t changes = 0;
	enum err e;

	memset(out, 0, sizeof(*out));
	memset(pending, 0, sizeof(*pending));
	out->kind = CIM_CALL_PUT;
	if ((e = class_admitted(req->namespace_name, req->class_name, req->dmtf != 0, &req->access,
				CIM_PUT_REMOTELY, &c, &spelling)) != ERR_OK)
		return e;
	snprintf(out->class_name, sizeof(out->class_name), "%s", spelling);
	describe_put(req, spelling, pending->what, sizeof(pending->what));
	if (!(w = c->writables))
		e = ERR_WSMAN_WMI_NOT_CAPABLE;
	else if ((e = instance_now(c, req->selectors, req->nselectors, &out->output)) == ERR_OK)
		e = cim_put_command(w, &out->output, req->parameters, req->nparameters, &cmd,
				    &changes);
	if (e == ERR_OK && changes && (pending->pid = cim_run_start(cmd.argv)) <= 0) {
		log_warn("WMI Put of %s: cannot start %s", pending->what, w->tool);
		pending->pid = 0;
		e = ERR_WSMAN_INTERNAL;
	}
	if (pending->pid) {
		pending->timeout_ms = req->timeout_ms;
		pending->finish = put_finished;
	} else {
		log_info("WMI Put of %s: %s", pending->what,
			 e != ERR_OK ? err_str(e) : "nothing changes");
	}
	return e;
}
