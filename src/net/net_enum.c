/* net_enum: network process. The enumerations under way (WS-Enumeration,
 * DSP0226 8): each holds its items, rendered when it started, for the
 * Pulls that follow, whatever resource made them (winrm/config's
 * collections, net_config.c; WMI's classes, net_cim.c). An enumeration
 * belongs to the user who started it and expires after
 * EnumerationTimeoutms without a Pull. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "net/net_int.h"

/* A reply's most: a batch of items of a few KiB each. */
#define MAX_REPLY (1024 * 1024)

void net_reply_sized(struct request *r, enum err e, const struct buf *body)
{
	if (e == ERR_OK && buf_len(body) > wsman_max_envelope(&r->ws))
		e = ERR_WSMAN_MAX_ENVELOPE;
	if (e == ERR_OK)
		net_reply(r, 200, body);
	else
		net_reply_fault(r, e);
}

void net_enum_free(struct net_enumeration *en)
{
	for (uint32_t i = 0; i < en->n; i++)
		free(en->items[i]);
	free(en->items);
	memset(en, 0, sizeof(*en));
}

enum err net_enum_add(struct net_enumeration *en, const struct buf *item)
{
	size_t len = buf_len(item);
	char *copy;

	if (en->n >= NET_MAX_ENUM_ITEMS || en->bytes + len > NET_MAX_ENUM_BYTES) {
		log_warnx("enumeration %s: over %u items or %u bytes", en->context,
			  NET_MAX_ENUM_ITEMS, NET_MAX_ENUM_BYTES);
		return ERR_WSMAN_ENCODING_LIMIT;
	}
	if (en->n == en->cap) {
		uint32_t cap = en->cap ? en->cap * 2 : 16;
		char **items = realloc(en->items, (size_t)cap * sizeof(*items));
		if (!items)
			return ERR_WSMAN_INTERNAL;
		en->items = items;
		en->cap = cap;
	}
	if (!(copy = malloc(len + 1)))
		return ERR_WSMAN_INTERNAL;
	memcpy(copy, buf_ptr(item), len);
	copy[len] = 0;
	en->items[en->n++] = copy;
	en->bytes += len;
	return ERR_OK;
}

/* A slot for a new enumeration: a free one, else the least recently used
 * (whose client then gets n:InvalidEnumerationContext). Expired ones go first. */
static struct net_enumeration *enumeration_slot(struct net *n)
{
	struct net_enumeration *oldest = &n->enums[0];
	uint64_t now = util_now_ms();

	for (uint32_t i = 0; i < NET_MAX_ENUMERATIONS; i++)
		if (n->enums[i].context[0] && n->enums[i].expires_ms <= now)
			net_enum_free(&n->enums[i]);
	for (uint32_t i = 0; i < NET_MAX_ENUMERATIONS; i++) {
		if (!n->enums[i].context[0])
			return &n->enums[i];
		if (n->enums[i].expires_ms < oldest->expires_ms)
			oldest = &n->enums[i];
	}
	log_info("enumeration %s dropped: %d are open", oldest->context, NET_MAX_ENUMERATIONS);
	net_enum_free(oldest);
	return oldest;
}

struct net_enumeration *net_enum_start(struct net *n, uid_t uid)
{
	char guid[UTIL_GUID_LEN + 1];
	struct net_enumeration *en;

	if (util_guid(guid) != ERR_OK)
		return NULL;
	en = enumeration_slot(n);
	snprintf(en->context, sizeof(en->context), "uuid:%s", guid);
	en->uid = uid;
	/* Until its first reply it may take a while to fill (a WMI class's
	 * pages): it must not be the first to go meanwhile. */
	en->expires_ms = util_now_ms() + n->cfg.service.enumeration_timeout_ms;
	return en;
}

struct net_enumeration *net_enum_find(struct net *n, const char *context, uid_t uid)
{
	for (uint32_t i = 0; i < NET_MAX_ENUMERATIONS; i++) {
		struct net_enumeration *en = &n->enums[i];
		if (!en->context[0] || strcmp(en->context, context) != 0 || en->uid != uid)
			continue;
		if (en->expires_ms <= util_now_ms()) {
			net_enum_free(en);
			return NULL;
		}
		return en;
	}
	return NULL;
}

/* Replies with en's next items, at most max (0: one, as WS-Enumeration
 * says) and MaxBatchItems, fewer if they would not fit the client's
 * MaxEnvelopeSize. Non-optimized Enumerate gives the context alone. The
 * enumeration ends (and is freed) with its last item. */
void net_enum_serve(struct request *r, struct net_enumeration *en, int enumerate, int optimized,
		    uint32_t max)
{
	struct net *n = r->conn->net;
	int context_only = enumerate && !optimized;
	uint32_t left = en->n - en->next, count;
	struct buf body;
	int ok, keep;
	enum err e;

	if (max == 0)
		max = 1;
	if (max > n->cfg.max_batch_items)
		max = n->cfg.max_batch_items;
	count = context_only ? 0 : left < max ? left : max;
	buf_init(&body, MAX_REPLY);
	for (;;) {
		const char *const *items = (const char *const *)&en->items[en->next];
		int end = !context_only && count == left;
		buf_reset(&body);
		e = enumerate ? wsman_reply_enumerate(&body, &r->ws, en->context, optimized, items,
						      count, end)
			      : wsman_reply_pull(&body, &r->ws, en->context, items, count, end);
		/* Past the reply's own buffer (ERR_LIMIT: a class of thousands of
		 * large instances under MaxBatchItems' 32000) halves the batch;
		 * past the envelope, the share of it that fits, the items' sizes
		 * taken as even, and one fewer each time until it fits (each try
		 * renders the batch again). */
		if (e == ERR_LIMIT && count > 1) {
			count /= 2;
			continue;
		}
		if (e != ERR_OK || buf_len(&body) <= wsman_max_envelope(&r->ws) || count <= 1)
			break;
		uint64_t share = (uint64_t)count * wsman_max_envelope(&r->ws) / buf_len(&body);
		count = share >= 1 && share < count ? (uint32_t)share : count - 1;
	}
	ok = e == ERR_OK && buf_len(&body) <= wsman_max_envelope(&r->ws);
	if (ok)
		en->next += count;
	/* A failed Enumerate leaves the client no context to pull with; a
	 * failed Pull may be retried with a larger envelope. */
	keep = ok ? en->next < en->n || context_only : !enumerate;
	net_reply_sized(r, e, &body); /* c may be gone from here on */
	buf_clear(&body);
	if (keep)
		en->expires_ms = util_now_ms() + n->cfg.service.enumeration_timeout_ms;
	else
		net_enum_free(en);
}

void net_enum_pull(struct request *r, int release)
{
	struct wsman_pull_req req;
	struct net_enumeration *en = NULL;
	struct buf body;
	enum err e;

	e = release ? wsman_release_parse(&r->ws, &req) : wsman_pull_parse(&r->ws, &req);
	if (e == ERR_OK && !(en = net_enum_find(r->conn->net, req.context, r->id.uid)))
		e = ERR_WSMAN_INVALID_CONTEXT;
	if (e != ERR_OK) {
		net_reply_fault(r, e);
		return;
	}
	if (!release) {
		net_enum_serve(r, en, 0, 0, req.max_elements);
		return;
	}
	net_enum_free(en);
	buf_init(&body, 8192);
	net_reply_sized(r, wsman_reply_release(&body, &r->ws), &body);
	buf_clear(&body);
}

void net_enum_shutdown(struct net *n)
{
	for (uint32_t i = 0; i < NET_MAX_ENUMERATIONS; i++)
		net_enum_free(&n->enums[i]);
}
