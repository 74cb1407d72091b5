/* priv_gss: the privileged part's side of Negotiate and Kerberos. The
 * GSSAPI work on the client's tokens is the acceptor's (acceptor.h), in
 * a process of its own; what it reports is judged here: which service
 * the client asked for, which local account its principal is, whether
 * PAM lets that account in. A finished context, which the acceptor
 * exported, goes on to the network process, which seals and unseals
 * messages with it; the long-term keys stay in the acceptor. Handshakes
 * under way are keyed by the network process's connection serial, so a
 * leg sent on another connection finds nothing to continue; each holds
 * the acceptor's slot of the same index. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "common/util.h"
#include "msgenc/msgenc.h"
#include "priv/priv_int.h"

#define GSS_MESSAGE_MAX 512 /* a GSSAPI error text, for the log */
#define CCACHE_DIR "ccache"

struct priv_gss {
	struct priv_slot slots[PRIV_MAX_GSS_CONTEXTS]; /* the acceptor's slots 0... */
	uint64_t generation;			       /* of the acceptor their contexts are in */
	/* This machine's names, looked up when the configuration is applied:
	 * the host name and its canonical (fully qualified) form. */
	char host[256], fqdn[256];
};

static struct priv_gss *gss_state(struct priv *p)
{
	if (!p->gss)
		p->gss = calloc(1, sizeof(*p->gss));
	return p->gss;
}

static void slot_free(void *slot)
{
	memset(slot, 0, sizeof(struct priv_slot));
}

void *priv_slot_for(void *slots, size_t n, size_t size, uint64_t conn, const char *peer,
		    size_t per_peer, uint64_t ttl_ms, void (*release)(void *slot), int *fresh)
{
	uint64_t now = util_now_ms();
	struct priv_slot *victim = NULL, *peers_oldest = NULL;
	size_t peers = 0;

	*fresh = 0;
	for (size_t i = 0; i < n; i++) {
		struct priv_slot *s = (struct priv_slot *)((char *)slots + i * size);
		if (s->last_ms && now - s->last_ms > ttl_ms)
			release(s);
		if (s->last_ms && s->conn == conn) {
			s->last_ms = now;
			return s;
		}
		if (!victim || s->last_ms < victim->last_ms)
			victim = s;
		if (s->last_ms && strcmp(s->peer, peer) == 0 &&
		    (peers++, !peers_oldest || s->last_ms < peers_oldest->last_ms))
			peers_oldest = s;
	}
	if (peers >= per_peer)
		victim = peers_oldest;
	release(victim);
	victim->conn = conn;
	victim->last_ms = now;
	snprintf(victim->peer, sizeof(victim->peer), "%s", peer);
	*fresh = 1;
	return victim;
}

/* Is a service name "HTTP/host" (realm removed) one this service answers
 * to: HTTP/ with this machine's name, short or fully qualified (Windows
 * registers both), or one of ServicePrincipalNames? */
static int acceptable_target(const struct priv *p, const char *spn)
{
	char want[300];
	const char *cursor = p->cfg.service.auth.service_principal_names, *item;
	const char *names[2] = {p->gss->host, p->gss->fqdn};
	size_t n = strcspn(spn, "@"), len;

	for (size_t i = 0; i < 2; i++) {
		snprintf(want, sizeof(want), "HTTP/%s", names[i]);
		if (names[i][0] && strlen(want) == n && strncasecmp(spn, want, n) == 0)
			return 1;
	}
	if (!cursor)
		return 0;
	while ((item = util_list_next(&cursor, &len))) {
		size_t name_len = strcspn(item, "@,");
		if (name_len > len)
			name_len = len;
		if (name_len && name_len == n && strncasecmp(spn, item, n) == 0)
			return 1;
	}
	return 0;
}

/* The local account an NTLM logon without winbind was verified for: the
 * one whose DIR/ntlm_users entry gss-ntlmssp matched the client's name
 * to, whatever capitals the client used (user, without the local
 * domain), and only while that account still has the uid the entry was
 * set for. NULL, or the verdict of a refusal. */
static const char *ntlm_entry_account(const struct priv *p, const char *user, char *out, size_t len)
{
	char entry[NTLM_MAX_NAME + 1];
	uint32_t uid = 0;
	struct buf why;
	struct passwd *pw;
	enum err e;

	buf_init(&why, 1024);
	e = ntlm_users_match(p->config_dir, user, entry, &uid, &why);
	if (e != ERR_OK) {
		if (e != ERR_NOT_FOUND && buf_terminate(&why) == ERR_OK)
			log_warnx("NTLM logon as %s: %s", user, (const char *)buf_ptr(&why));
		buf_clear(&why);
		return e == ERR_NOT_FOUND ? "failure (no NTLM password entry for the user)"
					  : "failure (the NTLM password entry cannot be told)";
	}
	buf_clear(&why);
	if (!(pw = getpwnam(entry)) || pw->pw_uid != uid)
		return "failure (the NTLM password entry was set for an account with another uid)";
	if ((size_t)snprintf(out, len, "%s", entry) >= len)
		return "failure (the principal maps to no local account)";
	return NULL;
}

const char *priv_gss_ntlm_user(const char *shown)
{
	char computer[NTLM_MAX_COMPUTER_NAME + 1];
	const char *bs = strchr(shown, '\\'), *user = util_strip_local_domain(shown);
	size_t n;

	if (!bs || user != shown)
		return user;
	/* The NetBIOS name is the host name cut to 15 characters. */
	ntlm_computer_name(computer);
	n = (size_t)(bs - shown);
	if (n > 0 && n == strlen(computer) && strncasecmp(shown, computer, n) == 0)
		return bs + 1;
	return NULL;
}

/* The local account krb5's auth_to_local rules (or winbind, for NTLM)
 * give the principal the acceptor named (source, as gss_display_name
 * spelt it, which gss_import_name reads back): 0, or -1. */
static int gss_local_name(const char *source, gss_OID mech, char *out, size_t len)
{
	OM_uint32 minor;
	gss_buffer_desc in = {strlen(source), (void *)source}, lname = GSS_C_EMPTY_BUFFER;
	gss_name_t name = GSS_C_NO_NAME;
	gss_OID type = msgenc_mech_is_kerberos(mech) ? (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME
						     : GSS_C_NT_USER_NAME;
	int ok = 0;

	if (gss_import_name(&minor, &in, type, &name) == GSS_S_COMPLETE &&
	    gss_localname(&minor, name, mech, &lname) == GSS_S_COMPLETE) {
		/* gss-ntlmssp counts the terminating NUL in the length. */
		if (lname.length && ((const char *)lname.value)[lname.length - 1] == 0)
			lname.length--;
		ok =
		    lname.length > 0 && lname.length < len && !memchr(lname.value, 0, lname.length);
		if (ok)
			snprintf(out, len, "%.*s", (int)lname.length, (const char *)lname.value);
	}
	gss_release_buffer(&minor, &lname);
	gss_release_name(&minor, &name);
	return ok ? 0 : -1;
}

/* The local account a client principal maps to: krb5's auth_to_local rules
 * for Kerberos (alice@DEFAULT.REALM is alice); for NTLM the account of the
 * password entry that verified it when the domain is this machine or "."
 * (ntlm_entry_account), or winbind's. NULL, or the verdict of a refusal. */
static const char *local_account(const struct priv *p, const char *shown, gss_OID mech, char *out,
				 size_t len)
{
	static const char *const none = "failure (the principal maps to no local account)";
	int winbind = p->cfg.service.auth.ntlm_winbind;

	/* gss-ntlmssp's local name is the client's spelling, which its file
	 * matched ignoring case: with accounts alice and Alice, alice's
	 * password would open Alice's host. */
	if (msgenc_mech_is_kerberos(mech) || winbind) {
		if (gss_local_name(shown, mech, out, len) == 0)
			return NULL;
		if (msgenc_mech_is_kerberos(mech))
			return none;
	}
	/* NTLM: "HOST\user" and ".\user" are local; another domain names a
	 * local account only through winbind, which spells it that way.
	 * NTLMv2 mixes the domain into the response, so gss-ntlmssp refuses
	 * another domain's response against an entry of this machine's, but
	 * it may try a response again without the domain: whose account it
	 * is is decided here. */
	if (!winbind) {
		const char *user = priv_gss_ntlm_user(shown);
		return user ? ntlm_entry_account(p, user, out, len)
			    : "failure (the NTLM domain is not this machine's)";
	}
	if ((size_t)snprintf(out, len, "%s", shown) >= len)
		return none;
	return out[0] != 0 ? NULL : none;
}

/* Forwarded tickets go to DIR/ccache/krb5cc_UID, owned by the user and
 * readable only by them; the directory is root's (0711), so nobody can
 * plant a link there. The user's host finds them there (host.h).
 * krb5 writes a ccache by unlinking and re-creating it as the caller
 * (root), so the tickets are written to a private name first, given to
 * the user, and renamed into place: a command of the user's reading the
 * cache while a later logon forwards fresh tickets sees the old file or
 * the new one, never a file of root's ("permissions incorrect"). The
 * tickets come from the acceptor, exported (gss_export_cred). */
static void store_delegated(struct priv *p, const uint8_t *exported, size_t len, uid_t uid)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], staged[PATH_MAX + 48], ccname[PATH_MAX + 56];
	char why[GSS_MESSAGE_MAX];
	OM_uint32 major, minor;
	gss_key_value_element_desc el = {"ccache", ccname};
	gss_key_value_set_desc store = {1, &el};
	gss_buffer_desc token = {len, (void *)exported};
	gss_cred_id_t deleg = GSS_C_NO_CREDENTIAL;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", p->config_dir, CCACHE_DIR) >= sizeof(dir))
		return;
	major = gss_import_cred(&minor, &token, &deleg);
	if (GSS_ERROR(major)) {
		log_warnx("cannot read the forwarded tickets the GSSAPI acceptor exported: %s",
			  msgenc_gss_why(major, minor, GSS_C_NO_OID, why, sizeof(why)));
		return;
	}
	if (mkdir(dir, 0711) < 0 && errno != EEXIST) {
		log_warn("cannot create %s for forwarded tickets", dir);
		goto done;
	}
	snprintf(path, sizeof(path), "%s/krb5cc_%u", dir, (unsigned)uid);
	snprintf(staged, sizeof(staged), "%s/.krb5cc_%u.XXXXXX", dir, (unsigned)uid);
	int fd = mkstemp(staged);
	if (fd < 0) {
		log_warn("cannot create a file in %s for forwarded tickets", dir);
		goto done;
	}
	close(fd);
	snprintf(ccname, sizeof(ccname), "FILE:%s", staged);
	major = gss_store_cred_into(&minor, deleg, GSS_C_INITIATE, GSS_C_NO_OID, 1, 1, &store, NULL,
				    NULL);
	if (GSS_ERROR(major)) {
		log_warnx("cannot store forwarded tickets in %s: %s", path,
			  msgenc_gss_why(major, minor, GSS_C_NO_OID, why, sizeof(why)));
		unlink(staged);
		goto done;
	}
	if (chown(staged, uid, (gid_t)-1) < 0 || chmod(staged, 0600) < 0 ||
	    rename(staged, path) < 0) {
		log_warn("cannot give %s to uid %u", path, (unsigned)uid);
		unlink(staged);
		goto done;
	}
	log_info("forwarded Kerberos tickets stored in %s", path);
done:
	gss_release_cred(&minor, &deleg);
}

const char *priv_gss_forwarded_tickets(const struct priv *p, uid_t uid, char *out, size_t len)
{
	if ((size_t)snprintf(out, len, "FILE:%s/%s/krb5cc_%u", p->config_dir, CCACHE_DIR,
			     (unsigned)uid) >= len)
		return NULL;
	return out;
}

/* The host name and its canonical name, as Kerberos clients ask for
 * HTTP/<fqdn>; a name that does not resolve keeps the host name only. */
static void this_machine(struct priv_gss *g)
{
	g->host[0] = 0;
	if (gethostname(g->host, sizeof(g->host)) < 0)
		g->host[0] = 0;
	g->host[sizeof(g->host) - 1] = 0;
	util_fqdn(g->fqdn, sizeof(g->fqdn));
}

void priv_gss_configure(struct priv *p)
{
	struct priv_gss *g = gss_state(p);

	if (!g) {
		log_warnx("out of memory: Negotiate and Kerberos will refuse every logon");
		return;
	}
	this_machine(g);
}

static void answer(struct priv *p, uint32_t id, const struct ipc_auth_gss_result *r)
{
	struct buf body;

	buf_init(&body, IPC_MAX_MSG - IPC_HEADER_LEN);
	if (ipc_auth_gss_result_encode(&body, r) == ERR_OK)
		priv_net_send(p, IPC_AUTH_GSS_RESULT, id, &body, NULL, 0);
	else
		log_warnx("cannot encode a GSSAPI authentication result");
	buf_clear(&body);
}

/* The mechanism the acceptor reported, as a gss_OID over r's bytes. */
static gss_OID mech_of(const struct ipc_accepted *r, gss_OID_desc *desc)
{
	desc->length = (OM_uint32)r->mech_len;
	desc->elements = r->mech;
	return desc;
}

const char *priv_gss_mech_name(const struct ipc_accepted *r)
{
	gss_OID_desc mech;

	return msgenc_mech_is_kerberos(mech_of(r, &mech)) ? "Kerberos" : "NTLM";
}

const char *priv_gss_principal(struct priv *p, const struct ipc_accepted *r,
			       char account[IPC_MAX_USER + 1], char *who, size_t wholen)
{
	gss_OID_desc mech;

	snprintf(who, wholen, "%s", r->source[0] ? r->source : "?");
	if (!gss_state(p))
		return "failure (out of memory)";
	if (msgenc_mech_is_kerberos(mech_of(r, &mech)) && !acceptable_target(p, r->target))
		return "failure (a ticket for another service principal)";
	if (!r->source[0])
		return "failure (the principal maps to no local account)";
	return local_account(p, r->source, &mech, account, IPC_MAX_USER + 1);
}

/* One leg waiting for the acceptor: what its answer needs. */
struct gss_leg {
	uint32_t id; /* of the AUTH_GSS leg */
	uint64_t conn;
	uint32_t slot;
	uint64_t generation;
	uint32_t kerberos_only;
	int bound; /* the client sent a channel binding */
	char peer[IPC_MAX_PEER + 1];
	uint32_t peer_port;
};

/* The context is complete: decide who it is. NULL when the principal maps
 * to a local account (account), which PAM's account stack checks next
 * (logon_start); else the verdict of a refusal. */
static const char *established(struct priv *p, const struct gss_leg *leg,
			       const struct ipc_accepted *r, char account[IPC_MAX_USER + 1],
			       char *who, size_t wholen)
{
	gss_OID_desc mech;

	snprintf(who, wholen, "%s", r->source[0] ? r->source : "?");
	if (leg->kerberos_only && !msgenc_mech_is_kerberos(mech_of(r, &mech)))
		return "failure (the Kerberos scheme carried another mechanism)";
	if (p->cfg.service.auth.cbt_hardening_level == CONFIG_CBT_STRICT && leg->bound &&
	    !(r->flags & GSS_C_CHANNEL_BOUND_FLAG))
		return "failure (no channel binding, CbtHardeningLevel is Strict)";
	return priv_gss_principal(p, r, account, who, wholen);
}

/* A finished handshake, from the principal's checks to the answer, which
 * waits for PAM's account stack (priv_account_check). */
struct gss_logon {
	uint32_t id;	/* of the AUTH_GSS leg it answers */
	uint8_t *deleg; /* tickets the client forwarded, stored on success */
	size_t deleg_len;
	struct ipc_auth_gss_result r;	/* the last leg's output token, the exported context */
	char account[IPC_MAX_USER + 1]; /* the local account the principal maps to */
	char name[IPC_MAX_USER + 1];	/* as admitted; r.result.user points here */
	char who[IPC_MAX_USER + 64];	/* the principal, for the log */
	char peer[IPC_MAX_PEER + 1];
	uint32_t peer_port;
	const char *scheme, *mech;
};

static void logon_free(struct gss_logon *l)
{
	if (l->deleg)
		OPENSSL_cleanse(l->deleg, l->deleg_len);
	free(l->deleg);
	l->r.result.user = NULL;
	ipc_auth_gss_result_clear(&l->r);
	free(l);
}

/* A refused handshake's last token goes nowhere, nor does its context:
 * the client learns only of the 401 (or, for an account in no allowed
 * group, the fault). */
static void drop_out_token(struct ipc_auth_gss_result *r)
{
	free(r->out_token);
	r->out_token = NULL;
	r->out_token_len = 0;
	if (r->context)
		OPENSSL_cleanse(r->context, r->context_len);
	free(r->context);
	r->context = NULL;
	r->context_len = 0;
}

/* Logs the verdict on a finished handshake, answers it, forgets it. */
static void logon_end(struct priv *p, struct gss_logon *l, const char *verdict)
{
	char qpeer[LOG_QUOTE_MAX], qwho[LOG_QUOTE_MAX], quser[LOG_QUOTE_MAX];
	const char *user = l->name[0] ? l->name : l->account;

	log_info("authentication %s: principal \"%s\" as user \"%s\" from %s, scheme %s (%s)",
		 verdict, log_quote(qwho, sizeof(qwho), l->who, strlen(l->who)),
		 log_quote(quser, sizeof(quser), user, strlen(user)),
		 log_quote(qpeer, sizeof(qpeer), l->peer, strlen(l->peer)), l->scheme, l->mech);
	priv_audit_logon(verdict, user, l->who, l->peer, l->peer_port, l->scheme);
	if (l->r.result.status != IPC_AUTH_OK)
		drop_out_token(&l->r);
	answer(p, l->id, &l->r);
	logon_free(l);
}

/* PAM's account stack let the account in: admit it as a password check
 * would (groups, token), hand the context over, keep forwarded tickets. */
static const char *admit(struct priv *p, struct gss_logon *l)
{
	struct ipc_auth_gss_result *r = &l->r;
	const char *verdict =
	    priv_auth_admit(p, l->account, l->peer, l->scheme, &r->result, l->name);

	if (r->result.status != IPC_AUTH_OK)
		return verdict;
	if (l->deleg)
		store_delegated(p, l->deleg, l->deleg_len, (uid_t)r->result.uid);
	return verdict;
}

static void account_checked(struct priv *p, void *arg, enum ipc_auth_status status,
			    const char *verdict)
{
	struct gss_logon *l = arg;

	if (status == IPC_AUTH_OK)
		verdict = admit(p, l);
	else
		l->r.result.status = status;
	logon_end(p, l, verdict);
}

static void account_dropped(void *arg)
{
	logon_free(arg);
}

/* The handshake is complete: check the principal and, when it maps to a
 * local account, have PAM's account stack check that account in a worker,
 * as after a password (Windows refuses a disabled or expired account to
 * Kerberos and NTLM logons alike); the answer goes out when it has. Takes
 * the exported context and forwarded tickets out of a, the output token
 * out of r. */
static void logon_start(struct priv *p, const struct gss_leg *leg, struct ipc_accepted *a,
			struct ipc_auth_gss_result *r)
{
	struct gss_logon *l = calloc(1, sizeof(*l));
	const char *verdict;

	if (!l) {
		log_warnx("out of memory for a GSSAPI logon");
		drop_out_token(r);
		r->result.status = IPC_AUTH_BUSY;
		answer(p, leg->id, r);
		return;
	}
	l->id = leg->id;
	l->r = *r;
	memset(r, 0, sizeof(*r));
	l->r.result.status = IPC_AUTH_BAD_CREDENTIALS;
	l->r.context = a->context;
	l->r.context_len = a->context_len;
	a->context = NULL;
	l->deleg = a->deleg;
	l->deleg_len = a->deleg_len;
	a->deleg = NULL;
	snprintf(l->peer, sizeof(l->peer), "%s", leg->peer);
	l->peer_port = leg->peer_port;
	l->scheme = leg->kerberos_only ? "Kerberos" : "Negotiate";
	l->mech = priv_gss_mech_name(a);
	if (!l->r.context)
		verdict = "failure (cannot hand the context over)";
	else
		verdict = established(p, leg, a, l->account, l->who, sizeof(l->who));
	if (verdict) {
		logon_end(p, l, verdict);
		return;
	}
	struct priv_check check = {account_checked, account_dropped, l};
	priv_account_check(p, l->account, l->peer, l->scheme, &check);
}

/* leg's slot, unless another handshake (or acceptor) has it now. */
static struct priv_slot *leg_slot(struct priv *p, const struct gss_leg *leg)
{
	struct priv_slot *s;

	if (!p->gss || p->gss->generation != leg->generation)
		return NULL;
	s = &p->gss->slots[leg->slot];
	return s->last_ms && s->conn == leg->conn ? s : NULL;
}

static void leg_answered(struct priv *p, void *arg, struct ipc_accepted *a)
{
	struct gss_leg *leg = arg;
	struct priv_slot *s = leg_slot(p, leg);
	struct ipc_auth_gss_result r;
	char qpeer[LOG_QUOTE_MAX];
	const char *scheme = leg->kerberos_only ? "Kerberos" : "Negotiate";

	memset(&r, 0, sizeof(r));
	r.result.status = IPC_AUTH_BAD_CREDENTIALS;
	log_quote(qpeer, sizeof(qpeer), leg->peer, strlen(leg->peer));
	if (!a || a->failed_step) {
		const char *why =
		    a ? a->why : "the GSSAPI acceptor did not answer (it is started again)";
		char verdict[LOG_QUOTE_MAX + 16];
		log_info("authentication failure: from %s, scheme %s: %s", qpeer, scheme, why);
		snprintf(verdict, sizeof(verdict), "failure (%s)", why);
		priv_audit_logon(verdict, "", "", leg->peer, leg->peer_port, scheme);
		if (s)
			slot_free(s);
		answer(p, leg->id, &r);
	} else if (!a->complete) {
		r.result.status = IPC_AUTH_CONTINUE;
		r.out_token = a->out_token;
		r.out_token_len = a->out_token_len;
		a->out_token = NULL;
		answer(p, leg->id, &r);
	} else {
		if (s)
			slot_free(s);
		r.out_token = a->out_token;
		r.out_token_len = a->out_token_len;
		a->out_token = NULL;
		/* Answered once PAM's account stack has checked the account. */
		logon_start(p, leg, a, &r);
	}
	ipc_auth_gss_result_clear(&r);
	free(leg);
}

void priv_gss_request(struct priv *p, uint32_t id, struct ipc_auth_gss *m)
{
	struct priv_gss *g = gss_state(p);
	struct ipc_auth_gss_result r;
	struct ipc_accept a;
	struct priv_slot *s;
	struct gss_leg *leg;
	int fresh;

	memset(&r, 0, sizeof(r));
	r.result.status = IPC_AUTH_BUSY;
	if (!g || !(leg = calloc(1, sizeof(*leg)))) {
		answer(p, id, &r);
		ipc_auth_gss_clear(m);
		return;
	}
	priv_acceptor_check(p);
	priv_acceptor_slots(p, &g->generation, g->slots, PRIV_MAX_GSS_CONTEXTS, sizeof(*s),
			    slot_free);
	s = priv_slot_for(g->slots, PRIV_MAX_GSS_CONTEXTS, sizeof(*s), m->conn, m->peer,
			  PRIV_MAX_HANDSHAKES_PER_SOURCE, PRIV_GSS_CONTEXT_TTL_MS, slot_free,
			  &fresh);
	*leg = (struct gss_leg){.id = id,
				.conn = m->conn,
				.slot = (uint32_t)(s - g->slots),
				.generation = g->generation,
				.kerberos_only = m->kerberos_only,
				.bound = m->binding_len != 0};
	snprintf(leg->peer, sizeof(leg->peer), "%s", m->peer);
	leg->peer_port = m->peer_port;
	memset(&a, 0, sizeof(a));
	a.slot = leg->slot;
	a.fresh = (uint32_t)fresh;
	a.token = m->token;
	a.token_len = m->token_len;
	/* Relaxed checks a binding the client sent and accepts none; the
	 * mechanisms compare only when the client put one in its token. */
	if (m->binding_len && p->cfg.service.auth.cbt_hardening_level != CONFIG_CBT_NONE) {
		a.binding = m->binding;
		a.binding_len = m->binding_len;
	}
	if (priv_acceptor_call(p, &a, leg_answered, leg) != ERR_OK)
		leg_answered(p, leg, NULL);
	ipc_auth_gss_clear(m);
}

void priv_gss_stop(struct priv *p)
{
	free(p->gss);
	p->gss = NULL;
}
