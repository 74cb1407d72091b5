/* priv_gss: the acceptor side of Negotiate and Kerberos, in the privileged
 * part because the keytab and the NTLM hash file are root's. MIT's GSSAPI
 * does the work: gss_accept_sec_context recognises SPNEGO, a bare Kerberos
 * AP-REQ and bare NTLMSSP (gss-ntlmssp, NTLMv2 only) by their first bytes,
 * which is exactly the set of framings WinRM clients send under
 * "Negotiate". A finished context is exported to the network process,
 * which seals and unseals messages with it; the long-term keys stay here.
 * Contexts in the making are keyed by the network process's connection
 * serial, so a leg sent on another connection finds nothing to continue. */
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

struct gss_slot {
	struct priv_slot key;
	gss_ctx_id_t ctx;
};

struct priv_gss {
	struct gss_slot slots[PRIV_MAX_GSS_CONTEXTS];
	/* This machine's names, looked up when the configuration is applied:
	 * the host name and its canonical (fully qualified) form. */
	char host[256], fqdn[256];
	/* KRB5_KTNAME as winrmd found it, for when Keytab is cleared. */
	char *ktname_env;
	int ktname_saved;
};

static struct priv_gss *gss_state(struct priv *p)
{
	if (!p->gss)
		p->gss = calloc(1, sizeof(*p->gss));
	return p->gss;
}

static void slot_free(void *slot)
{
	struct gss_slot *s = slot;
	OM_uint32 minor;

	if (s->ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&minor, &s->ctx, GSS_C_NO_BUFFER);
	memset(s, 0, sizeof(*s));
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

/* The slot of conn's handshake, or a new one. */
static struct gss_slot *slot_for(struct priv *p, uint64_t conn, const char *peer)
{
	int fresh;

	if (!gss_state(p))
		return NULL;
	return priv_slot_for(p->gss->slots, PRIV_MAX_GSS_CONTEXTS, sizeof(struct gss_slot), conn,
			     peer, PRIV_MAX_HANDSHAKES_PER_SOURCE, PRIV_GSS_CONTEXT_TTL_MS,
			     slot_free, &fresh);
}

/* GSSAPI's own words for a failure, major then minor, for the log. */
const char *priv_gss_why(OM_uint32 major, OM_uint32 minor, gss_OID mech, char *out, size_t len)
{
	size_t used = 0;

	out[0] = 0;
	for (int pass = 0; pass < 2; pass++) {
		OM_uint32 code = pass ? minor : major, ctx = 0, m;
		int type = pass ? GSS_C_MECH_CODE : GSS_C_GSS_CODE;
		if (pass && !minor)
			break;
		for (int i = 0; i < 4; i++) {
			gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
			if (GSS_ERROR(gss_display_status(&m, code, type, mech, &ctx, &text)))
				break;
			int n = snprintf(out + used, len - used, "%s%.*s", used ? "; " : "",
					 (int)text.length, (const char *)text.value);
			gss_release_buffer(&m, &text);
			if (n > 0)
				used += (size_t)n < len - used ? (size_t)n : len - used - 1;
			if (!ctx)
				break;
		}
	}
	return out;
}

static const char *display(gss_name_t name, char *out, size_t len)
{
	OM_uint32 minor;
	gss_buffer_desc text = GSS_C_EMPTY_BUFFER;

	snprintf(out, len, "?");
	if (gss_display_name(&minor, name, &text, NULL) == GSS_S_COMPLETE) {
		snprintf(out, len, "%.*s", (int)text.length, (const char *)text.value);
		gss_release_buffer(&minor, &text);
	}
	return out;
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

/* The local account a client principal maps to: krb5's auth_to_local rules
 * for Kerberos (alice@DEFAULT.REALM is alice); for NTLM the account of the
 * password entry that verified it when the domain is this machine or "."
 * (ntlm_entry_account), or winbind's. NULL, or the verdict of a refusal. */
static const char *local_account(const struct priv *p, gss_name_t src, gss_OID mech, char *out,
				 size_t len)
{
	static const char *const none = "failure (the principal maps to no local account)";
	OM_uint32 minor;
	gss_buffer_desc lname = GSS_C_EMPTY_BUFFER;
	char shown[IPC_MAX_USER + 64];
	int winbind = p->cfg.service.auth.ntlm_winbind;

	/* gss-ntlmssp's local name is the client's spelling, which its file
	 * matched ignoring case: with accounts alice and Alice, alice's
	 * password would open Alice's host. */
	if ((msgenc_mech_is_kerberos(mech) || winbind) &&
	    gss_localname(&minor, src, mech, &lname) == GSS_S_COMPLETE) {
		/* gss-ntlmssp counts the terminating NUL in the length. */
		if (lname.length && ((const char *)lname.value)[lname.length - 1] == 0)
			lname.length--;
		int ok =
		    lname.length > 0 && lname.length < len && !memchr(lname.value, 0, lname.length);
		if (ok)
			snprintf(out, len, "%.*s", (int)lname.length, (const char *)lname.value);
		gss_release_buffer(&minor, &lname);
		return ok ? NULL : none;
	}
	if (msgenc_mech_is_kerberos(mech))
		return none;
	/* NTLM: "HOST\user" and ".\user" are local; another domain names a
	 * local account only through winbind, which spells it that way.
	 * NTLMv2 mixes the domain into the response, so gss-ntlmssp refuses
	 * another domain's response against an entry of this machine's, but
	 * it may try a response again without the domain: whose account it
	 * is is decided here. */
	display(src, shown, sizeof(shown));
	if (!winbind) {
		const char *user = priv_gss_ntlm_user(shown);
		return user ? ntlm_entry_account(p, user, out, len)
			    : "failure (the NTLM domain is not this machine's)";
	}
	if ((size_t)snprintf(out, len, "%s", shown) >= len)
		return none;
	return out[0] != 0 && strcmp(out, "?") != 0 ? NULL : none;
}

/* Forwarded tickets go to DIR/ccache/krb5cc_UID, owned by the user and
 * readable only by them; the directory is root's (0711), so nobody can
 * plant a link there. The user's host finds them there (host.h).
 * krb5 writes a ccache by unlinking and re-creating it as the caller
 * (root), so the tickets are written to a private name first, given to
 * the user, and renamed into place: a command of the user's reading the
 * cache while a later logon forwards fresh tickets sees the old file or
 * the new one, never a file of root's ("permissions incorrect"). */
static void store_delegated(struct priv *p, gss_cred_id_t deleg, uid_t uid)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], staged[PATH_MAX + 48], ccname[PATH_MAX + 56];
	char why[GSS_MESSAGE_MAX];
	OM_uint32 major, minor;
	gss_key_value_element_desc el = {"ccache", ccname};
	gss_key_value_set_desc store = {1, &el};

	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", p->config_dir, CCACHE_DIR) >= sizeof(dir))
		return;
	if (mkdir(dir, 0711) < 0 && errno != EEXIST) {
		log_warn("cannot create %s for forwarded tickets", dir);
		return;
	}
	snprintf(path, sizeof(path), "%s/krb5cc_%u", dir, (unsigned)uid);
	snprintf(staged, sizeof(staged), "%s/.krb5cc_%u.XXXXXX", dir, (unsigned)uid);
	int fd = mkstemp(staged);
	if (fd < 0) {
		log_warn("cannot create a file in %s for forwarded tickets", dir);
		return;
	}
	close(fd);
	snprintf(ccname, sizeof(ccname), "FILE:%s", staged);
	major = gss_store_cred_into(&minor, deleg, GSS_C_INITIATE, GSS_C_NO_OID, 1, 1, &store, NULL,
				    NULL);
	if (GSS_ERROR(major)) {
		log_warnx("cannot store forwarded tickets in %s: %s", path,
			  priv_gss_why(major, minor, GSS_C_NO_OID, why, sizeof(why)));
		unlink(staged);
		return;
	}
	if (chown(staged, uid, (gid_t)-1) < 0 || chmod(staged, 0600) < 0 ||
	    rename(staged, path) < 0) {
		log_warn("cannot give %s to uid %u", path, (unsigned)uid);
		unlink(staged);
		return;
	}
	log_info("forwarded Kerberos tickets stored in %s", path);
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
	struct addrinfo hints, *ai = NULL;

	g->host[0] = g->fqdn[0] = 0;
	if (gethostname(g->host, sizeof(g->host)) < 0)
		g->host[0] = 0;
	g->host[sizeof(g->host) - 1] = 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_CANONNAME;
	if (g->host[0] && getaddrinfo(g->host, NULL, &hints, &ai) == 0 && ai && ai->ai_canonname)
		snprintf(g->fqdn, sizeof(g->fqdn), "%s", ai->ai_canonname);
	if (ai)
		freeaddrinfo(ai);
}

void priv_gss_configure(struct priv *p)
{
	char path[PATH_MAX];
	const char *keytab = p->cfg.service.auth.keytab;
	struct priv_gss *g = gss_state(p);

	if (!g) {
		log_warnx("out of memory: Negotiate and Kerberos will refuse every logon");
		return;
	}
	this_machine(g);
	if (!g->ktname_saved) {
		const char *env = getenv("KRB5_KTNAME");
		g->ktname_env = env ? strdup(env) : NULL;
		g->ktname_saved = 1;
	}

	/* gss-ntlmssp reads these; LM_COMPAT_LEVEL 5: NTLMv2 only, LM and
	 * NTLMv1 responses refused. */
	setenv("LM_COMPAT_LEVEL", "5", 1);
	if (p->cfg.service.auth.ntlm_winbind) {
		/* winbind names this host and its domain. */
		unsetenv("NTLM_USER_FILE");
		unsetenv("NETBIOS_COMPUTER_NAME");
	} else if ((size_t)snprintf(path, sizeof(path), "%s/%s", p->config_dir, CONFIG_NTLM_USERS) <
		   sizeof(path)) {
		/* The challenge's target name, the domain of the hash entries. */
		char computer[NTLM_MAX_COMPUTER_NAME + 1];
		ntlm_computer_name(computer);
		setenv("NETBIOS_COMPUTER_NAME", computer, 1);
		setenv("NTLM_USER_FILE", path, 1);
	}
	/* Keytab, else what KRB5_KTNAME named when winrmd started, else the
	 * system keytab: clearing Keytab on a reload goes back to that. */
	if (keytab && *keytab)
		setenv("KRB5_KTNAME", keytab, 1);
	else if (g->ktname_env)
		setenv("KRB5_KTNAME", g->ktname_env, 1);
	else
		unsetenv("KRB5_KTNAME");
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

const char *priv_gss_mech_name(gss_const_OID mech)
{
	return msgenc_mech_is_kerberos(mech) ? "Kerberos" : "NTLM";
}

const char *priv_gss_principal(struct priv *p, gss_ctx_id_t ctx, gss_name_t src, gss_OID mech,
			       char account[IPC_MAX_USER + 1], char *who, size_t wholen)
{
	OM_uint32 minor;
	gss_name_t target = GSS_C_NO_NAME;
	const char *verdict;
	char spn[300];

	display(src, who, wholen);
	if (msgenc_mech_is_kerberos(mech)) {
		int ok = gss_inquire_context(&minor, ctx, NULL, &target, NULL, NULL, NULL, NULL,
					     NULL) == GSS_S_COMPLETE &&
			 acceptable_target(p, display(target, spn, sizeof(spn)));
		gss_release_name(&minor, &target);
		if (!ok)
			return "failure (a ticket for another service principal)";
	}
	if ((verdict = local_account(p, src, mech, account, IPC_MAX_USER + 1)))
		return verdict;
	return NULL;
}

/* The context is complete: decide who it is. NULL when the principal maps
 * to a local account (account), which PAM's account stack checks next
 * (logon_start); else the verdict of a refusal. */
static const char *established(struct priv *p, const struct ipc_auth_gss *m, struct gss_slot *s,
			       gss_name_t src, gss_OID mech, OM_uint32 flags,
			       char account[IPC_MAX_USER + 1], char *who, size_t wholen)
{
	display(src, who, wholen);
	if (m->kerberos_only && !msgenc_mech_is_kerberos(mech))
		return "failure (the Kerberos scheme carried another mechanism)";
	if (p->cfg.service.auth.cbt_hardening_level == CONFIG_CBT_STRICT && m->binding_len &&
	    !(flags & GSS_C_CHANNEL_BOUND_FLAG))
		return "failure (no channel binding, CbtHardeningLevel is Strict)";
	return priv_gss_principal(p, s->ctx, src, mech, account, who, wholen);
}

/* A finished handshake, from the principal's checks to the answer, which
 * waits for PAM's account stack (priv_account_check). */
struct gss_logon {
	uint32_t id;			/* of the AUTH_GSS leg it answers */
	gss_ctx_id_t ctx;		/* exported to the network process on success */
	gss_cred_id_t deleg;		/* tickets the client forwarded, stored on success */
	struct ipc_auth_gss_result r;	/* with the last leg's output token */
	char account[IPC_MAX_USER + 1]; /* the local account the principal maps to */
	char name[IPC_MAX_USER + 1];	/* as admitted; r.result.user points here */
	char who[IPC_MAX_USER + 64];	/* the principal, for the log */
	char peer[IPC_MAX_PEER + 1];
	const char *scheme, *mech;
};

static void logon_free(struct gss_logon *l)
{
	OM_uint32 minor;

	if (l->ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&minor, &l->ctx, GSS_C_NO_BUFFER);
	if (l->deleg != GSS_C_NO_CREDENTIAL)
		gss_release_cred(&minor, &l->deleg);
	l->r.result.user = NULL;
	ipc_auth_gss_result_clear(&l->r);
	free(l);
}

/* A refused handshake's last token goes nowhere: the client learns only
 * of the 401 (or, for an account in no allowed group, the fault). */
static void drop_out_token(struct ipc_auth_gss_result *r)
{
	free(r->out_token);
	r->out_token = NULL;
	r->out_token_len = 0;
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
	if (l->r.result.status != IPC_AUTH_OK)
		drop_out_token(&l->r);
	answer(p, l->id, &l->r);
	logon_free(l);
}

/* PAM's account stack let the account in: admit it as a password check
 * would (groups, token), hand the context over, keep forwarded tickets. */
static const char *admit(struct priv *p, struct gss_logon *l)
{
	OM_uint32 minor;
	gss_buffer_desc exported = GSS_C_EMPTY_BUFFER;
	struct ipc_auth_gss_result *r = &l->r;
	const char *verdict =
	    priv_auth_admit(p, l->account, l->peer, l->scheme, &r->result, l->name);

	if (r->result.status != IPC_AUTH_OK)
		return verdict;
	if (GSS_ERROR(gss_export_sec_context(&minor, &l->ctx, &exported)) ||
	    exported.length > IPC_MAX_GSS_CONTEXT ||
	    !(r->context = malloc(exported.length ? exported.length : 1))) {
		gss_release_buffer(&minor, &exported);
		OPENSSL_cleanse(r->result.token, sizeof(r->result.token));
		r->result.status = IPC_AUTH_BUSY;
		return "failure (cannot hand the context over)";
	}
	memcpy(r->context, exported.value, exported.length);
	r->context_len = exported.length;
	OPENSSL_cleanse(exported.value, exported.length);
	gss_release_buffer(&minor, &exported);
	if (l->deleg != GSS_C_NO_CREDENTIAL)
		store_delegated(p, l->deleg, (uid_t)r->result.uid);
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
 * the context out of s, the forwarded tickets out of *deleg and the
 * output token out of r. */
static void logon_start(struct priv *p, uint32_t id, const struct ipc_auth_gss *m,
			struct gss_slot *s, gss_name_t src, gss_OID mech, OM_uint32 flags,
			gss_cred_id_t *deleg, struct ipc_auth_gss_result *r)
{
	struct gss_logon *l = calloc(1, sizeof(*l));
	const char *verdict;

	if (!l) {
		log_warnx("out of memory for a GSSAPI logon");
		drop_out_token(r);
		r->result.status = IPC_AUTH_BUSY;
		answer(p, id, r);
		return;
	}
	l->id = id;
	l->r = *r;
	memset(r, 0, sizeof(*r));
	l->r.result.status = IPC_AUTH_BAD_CREDENTIALS;
	l->deleg = *deleg;
	*deleg = GSS_C_NO_CREDENTIAL;
	snprintf(l->peer, sizeof(l->peer), "%s", m->peer);
	l->scheme = m->kerberos_only ? "Kerberos" : "Negotiate";
	l->mech = priv_gss_mech_name(mech);
	verdict = established(p, m, s, src, mech, flags, l->account, l->who, sizeof(l->who));
	l->ctx = s->ctx;
	s->ctx = GSS_C_NO_CONTEXT;
	if (verdict) {
		logon_end(p, l, verdict);
		return;
	}
	struct priv_check check = {account_checked, account_dropped, l};
	priv_account_check(p, l->account, l->peer, l->scheme, &check);
}

void priv_gss_request(struct priv *p, uint32_t id, struct ipc_auth_gss *m)
{
	struct ipc_auth_gss_result r;
	struct gss_slot *s = slot_for(p, m->conn, m->peer);
	OM_uint32 major, minor, flags = 0;
	gss_buffer_desc in = {m->token_len, m->token}, out = GSS_C_EMPTY_BUFFER;
	struct gss_channel_bindings_struct cbs;
	gss_channel_bindings_t cb = GSS_C_NO_CHANNEL_BINDINGS;
	gss_name_t src = GSS_C_NO_NAME;
	gss_OID mech = GSS_C_NO_OID;
	gss_cred_id_t deleg = GSS_C_NO_CREDENTIAL;
	char why[GSS_MESSAGE_MAX], qpeer[LOG_QUOTE_MAX];
	const char *verdict = NULL, *scheme = m->kerberos_only ? "Kerberos" : "Negotiate";

	memset(&r, 0, sizeof(r));
	r.result.status = IPC_AUTH_BUSY;
	if (!s) {
		answer(p, id, &r);
		ipc_auth_gss_clear(m);
		return;
	}
	/* Relaxed checks a binding the client sent and accepts none; the
	 * mechanisms compare only when the client put one in its token. */
	if (m->binding_len && p->cfg.service.auth.cbt_hardening_level != CONFIG_CBT_NONE) {
		memset(&cbs, 0, sizeof(cbs));
		cbs.application_data.length = m->binding_len;
		cbs.application_data.value = m->binding;
		cb = &cbs;
	}
	major = gss_accept_sec_context(&minor, &s->ctx, GSS_C_NO_CREDENTIAL, &in, cb, &src, &mech,
				       &out, &flags, NULL, &deleg);
	if (out.length <= IPC_MAX_GSS_TOKEN && out.length) {
		r.out_token = malloc(out.length);
		if (r.out_token) {
			memcpy(r.out_token, out.value, out.length);
			r.out_token_len = out.length;
		}
	}
	gss_release_buffer(&minor, &out);
	if (GSS_ERROR(major)) {
		r.result.status = IPC_AUTH_BAD_CREDENTIALS;
		verdict = priv_gss_why(major, minor, mech, why, sizeof(why));
		log_info("authentication failure: from %s, scheme %s: %s",
			 log_quote(qpeer, sizeof(qpeer), m->peer, strlen(m->peer)), scheme,
			 verdict);
		slot_free(s);
		drop_out_token(&r);
		answer(p, id, &r);
	} else if (major & GSS_S_CONTINUE_NEEDED) {
		r.result.status = IPC_AUTH_CONTINUE;
		answer(p, id, &r);
	} else {
		/* Answered once PAM's account stack has checked the account. */
		logon_start(p, id, m, s, src, mech, flags, &deleg, &r);
		slot_free(s);
	}
	gss_release_name(&minor, &src);
	if (deleg != GSS_C_NO_CREDENTIAL)
		gss_release_cred(&minor, &deleg);
	ipc_auth_gss_result_clear(&r);
	ipc_auth_gss_clear(m);
}

void priv_gss_stop(struct priv *p)
{
	if (!p->gss)
		return;
	for (size_t i = 0; i < PRIV_MAX_GSS_CONTEXTS; i++)
		if (p->gss->slots[i].key.last_ms)
			slot_free(&p->gss->slots[i]);
	free(p->gss->ktname_env);
	free(p->gss);
	p->gss = NULL;
}
