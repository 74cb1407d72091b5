/* acceptor: the GSSAPI work on a client's bytes, in a process of its own
 * (acceptor.h). MIT's GSSAPI does it: gss_accept_sec_context recognises
 * SPNEGO, a bare Kerberos AP-REQ and bare NTLMSSP (gss-ntlmssp, NTLMv2
 * only) by their first bytes. The contexts in the making are in slots the
 * privileged part names; which connection holds which slot, and what an
 * established context's names mean, is its business. */
#include "acceptor/acceptor.h"
#include "acceptor/ntlm_negotiate.h"

#include <signal.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "common/sandbox.h"
#include "ipc/ipc_endpoint.h"
#include "ipc/ipc_priv.h"
#include "msgenc/msgenc.h"

struct acceptor_slot {
	gss_ctx_id_t ctx;
	int established;
};

struct acceptor {
	struct event_base *base;
	struct ipc_endpoint *priv;
	struct acceptor_slot slots[IPC_MAX_ACCEPT_SLOTS];
};

static void slot_drop(struct acceptor_slot *s)
{
	OM_uint32 minor;

	if (s->ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&minor, &s->ctx, GSS_C_NO_BUFFER);
	s->ctx = GSS_C_NO_CONTEXT;
	s->established = 0;
}

/* GSSAPI's own words for a failure (a NUL inside a message would end it
 * in the decoder's eyes: snprintf's text has none). */
static char *gss_why(OM_uint32 major, OM_uint32 minor, gss_OID mech)
{
	char out[IPC_MAX_GSS_WHY];
	const char *conf = getenv("KRB5_CONFIG");

	if (!conf || !*conf)
		conf = "/etc/krb5.conf";
	/* MIT's minor code for a krb5.conf this account cannot read is
	 * errno's, whose words name no file: name it, when it is that file. */
	if (minor == EACCES && strchr(conf, ':') == NULL && access(conf, R_OK) != 0) {
		snprintf(out, sizeof(out),
			 "permission denied reading %s, the Kerberos configuration: the service "
			 "account must be able to read it",
			 conf);
		return strdup(out);
	}
	return strdup(msgenc_gss_why(major, minor, mech, out, sizeof(out)));
}

/* A copy of b (released) of at most max bytes: 1, or 0 when too long or
 * out of memory. secret: b is wiped first. */
static int take(gss_buffer_desc *b, size_t max, int secret, uint8_t **out, size_t *len)
{
	OM_uint32 minor;
	int ok = b->length == 0;

	if (b->length && b->value && b->length <= max && (*out = malloc(b->length))) {
		memcpy(*out, b->value, b->length);
		*len = b->length;
		ok = 1;
	}
	if (secret && b->value)
		OPENSSL_cleanse(b->value, b->length);
	gss_release_buffer(&minor, b);
	return ok;
}

static char *display(gss_name_t name)
{
	OM_uint32 minor;
	gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
	char *s = NULL;

	if (name != GSS_C_NO_NAME &&
	    gss_display_name(&minor, name, &text, NULL) == GSS_S_COMPLETE) {
		size_t n = strnlen(text.value, text.length);
		if (n <= IPC_MAX_USER + 64 && (s = malloc(n + 1))) {
			memcpy(s, text.value, n);
			s[n] = 0;
		}
		gss_release_buffer(&minor, &text);
	}
	return s ? s : strdup("");
}

static void fail(struct ipc_accepted *r, enum ipc_accept_step step, OM_uint32 major,
		 OM_uint32 minor, gss_OID mech)
{
	r->failed_step = step;
	r->major = major;
	r->minor = minor;
	free(r->why);
	r->why = gss_why(major, minor, mech);
}

/* The established context's names, mechanism and flags; unless kept, the
 * context itself and the delegated credentials, exported. */
static void established(struct acceptor_slot *s, const struct ipc_accept *m, gss_name_t src,
			gss_OID mech, OM_uint32 flags, gss_cred_id_t deleg, struct ipc_accepted *r)
{
	OM_uint32 major, minor;
	gss_name_t target = GSS_C_NO_NAME;
	gss_buffer_desc buf = GSS_C_EMPTY_BUFFER;

	s->established = 1;
	r->complete = 1;
	r->flags = flags;
	r->source = display(src);
	/* Only Kerberos names the service asked for; gss-ntlmssp's
	 * gss_inquire_context crashes asking it (strdup of NULL). */
	if (!msgenc_mech_is_kerberos(mech) ||
	    gss_inquire_context(&minor, s->ctx, NULL, &target, NULL, NULL, NULL, NULL, NULL) !=
		GSS_S_COMPLETE)
		target = GSS_C_NO_NAME;
	r->target = display(target);
	gss_release_name(&minor, &target);
	if (mech && mech->length <= IPC_MAX_MECH_OID && (r->mech = malloc(mech->length))) {
		memcpy(r->mech, mech->elements, mech->length);
		r->mech_len = mech->length;
	}
	if (m->keep)
		return;
	major = gss_export_sec_context(&minor, &s->ctx, &buf);
	if (GSS_ERROR(major) || !take(&buf, IPC_MAX_GSS_CONTEXT, 1, &r->context, &r->context_len))
		fail(r, IPC_ACCEPT_STEP_ACCEPT, GSS_ERROR(major) ? major : GSS_S_FAILURE, minor,
		     mech);
	slot_drop(s);
	if (deleg == GSS_C_NO_CREDENTIAL || r->failed_step)
		return;
	/* Forwarded tickets are the client's to give: one that cannot travel
	 * costs the tickets, not the logon. */
	if (GSS_ERROR(gss_export_cred(&minor, deleg, &buf)) ||
	    !take(&buf, IPC_MAX_DELEGATED_CRED, 1, &r->deleg, &r->deleg_len))
		log_warnx("cannot export the tickets a client forwarded");
}

static void accept_token(struct acceptor_slot *s, const struct ipc_accept *m,
			 struct ipc_accepted *r)
{
	OM_uint32 major, minor, flags = 0;
	gss_buffer_desc in = {m->token_len, m->token}, out = GSS_C_EMPTY_BUFFER;
	struct gss_channel_bindings_struct cbs;
	gss_channel_bindings_t cb = GSS_C_NO_CHANNEL_BINDINGS;
	gss_name_t src = GSS_C_NO_NAME;
	gss_OID mech = GSS_C_NO_OID;
	gss_cred_id_t deleg = GSS_C_NO_CREDENTIAL;

	if (m->binding_len) {
		memset(&cbs, 0, sizeof(cbs));
		cbs.application_data.length = m->binding_len;
		cbs.application_data.value = m->binding;
		cb = &cbs;
	}
	/* A first leg only: a NEGOTIATE_MESSAGE starts a handshake. */
	uint8_t versioned[IPC_MAX_GSS_TOKEN + NTLM_VERSION_LEN];
	size_t vlen =
	    s->ctx == GSS_C_NO_CONTEXT
		? ntlm_negotiate_with_version(m->token, m->token_len, versioned, sizeof(versioned))
		: 0;
	if (vlen) {
		in.value = versioned;
		in.length = vlen;
	}
	major = gss_accept_sec_context(&minor, &s->ctx, GSS_C_NO_CREDENTIAL, &in, cb, &src, &mech,
				       &out, &flags, NULL, &deleg);
	if (!take(&out, IPC_MAX_GSS_TOKEN, 0, &r->out_token, &r->out_token_len) &&
	    !GSS_ERROR(major))
		major = GSS_S_FAILURE;
	if (GSS_ERROR(major)) {
		fail(r, IPC_ACCEPT_STEP_ACCEPT, major, minor, mech);
		slot_drop(s);
	} else if (!(major & GSS_S_CONTINUE_NEEDED)) {
		established(s, m, src, mech, flags, deleg, r);
	}
	gss_release_name(&minor, &src);
	if (deleg != GSS_C_NO_CREDENTIAL)
		gss_release_cred(&minor, &deleg);
}

/* gss_unwrap (unwrap) or gss_wrap of in with the established context,
 * confidentiality required. */
static void seal_step(struct acceptor_slot *s, enum ipc_accept_step step, const uint8_t *p,
		      size_t len, uint8_t **out, size_t *out_len, struct ipc_accepted *r)
{
	OM_uint32 major, minor = 0, ignored;
	int conf = 0;
	gss_buffer_desc in = {len, (void *)p}, buf = GSS_C_EMPTY_BUFFER;

	if (!s->established)
		major = GSS_S_NO_CONTEXT;
	else if (step == IPC_ACCEPT_STEP_UNWRAP)
		major = gss_unwrap(&minor, s->ctx, &in, &buf, &conf, NULL);
	else
		major = gss_wrap(&minor, s->ctx, 1, GSS_C_QOP_DEFAULT, &in, &conf, &buf);
	/* Anything but plain success (a supplementary status: a replayed or
	 * out-of-order token) fails, as does a buffer that is not sealed. */
	if (major == GSS_S_COMPLETE && !conf)
		major = GSS_S_BAD_QOP;
	if (major != GSS_S_COMPLETE) {
		gss_release_buffer(&ignored, &buf);
		fail(r, step, major, minor, GSS_C_NO_OID);
	} else if (!take(&buf, IPC_MAX_ACCEPT_FIELD, 1, out, out_len)) {
		fail(r, step, GSS_S_FAILURE, 0, GSS_C_NO_OID);
	}
}

static void work(struct acceptor *a, const struct ipc_accept *m, struct ipc_accepted *r)
{
	struct acceptor_slot *s = &a->slots[m->slot];

	if (m->fresh)
		slot_drop(s);
	if (m->token)
		accept_token(s, m, r);
	if (!r->failed_step && m->unwrap)
		seal_step(s, IPC_ACCEPT_STEP_UNWRAP, m->unwrap, m->unwrap_len, &r->unwrapped,
			  &r->unwrapped_len, r);
	if (!r->failed_step && m->wrap)
		seal_step(s, IPC_ACCEPT_STEP_WRAP, m->wrap, m->wrap_len, &r->wrapped,
			  &r->wrapped_len, r);
	if (!r->why)
		r->why = strdup("");
}

static enum err handle(void *arg, struct ipc_msg *msg)
{
	static char too_long[] = "the answer does not fit a message";
	struct acceptor *a = arg;
	struct ipc_accept m;
	struct ipc_accepted r;
	struct buf body;
	enum err e;

	/* ipc_recv lets only IPC_ACCEPT through from the privileged part. */
	IPC_TRY(ipc_accept_decode(&msg->body, &m));
	memset(&r, 0, sizeof(r));
	work(a, &m, &r);
	buf_init(&body, IPC_MAX_MSG - IPC_HEADER_LEN);
	if ((e = ipc_accepted_encode(&body, &r)) != ERR_OK || !r.why) {
		/* Too much to say at once: the privileged part refuses the logon. */
		log_warnx("cannot encode an answer (%s)", err_str(e));
		ipc_accepted_clear(&r);
		slot_drop(&a->slots[m.slot]);
		buf_reset(&body);
		r.failed_step = IPC_ACCEPT_STEP_ACCEPT;
		r.major = GSS_S_FAILURE;
		r.why = too_long;
		e = ipc_accepted_encode(&body, &r);
		r.why = NULL;
	}
	if (e == ERR_OK)
		e = ipc_endpoint_send(a->priv, IPC_ACCEPTED, msg->id, &body, NULL, 0);
	ipc_accepted_clear(&r);
	ipc_accept_clear(&m);
	buf_clear(&body);
	return e == ERR_IO ? ERR_IO : ERR_OK;
}

static void closed(void *arg, enum err why)
{
	struct acceptor *a = arg;

	if (why != ERR_IO)
		log_warnx("the privileged part broke the protocol (%s)", err_str(why));
	event_base_loopbreak(a->base);
}

int acceptor_main(int fd, uid_t priv_uid, pid_t priv_pid)
{
	static const struct ipc_endpoint_ops ops = {handle, closed};
	struct acceptor *a = calloc(1, sizeof(*a));

	if (!a)
		fatalx("out of memory");
	signal(SIGPIPE, SIG_IGN);
	/* The privileged part handles Ctrl-C in the foreground. */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (!(a->base = event_base_new()) ||
	    !(a->priv = ipc_endpoint_new(a->base, fd, IPC_ROLE_ACCEPTOR, IPC_ROLE_PRIV, priv_uid,
					 priv_pid, &ops, a)))
		fatalx("libevent: cannot watch the privileged part");
	if (sandbox_enter(SANDBOX_ACCEPTOR) < 0)
		fatalx("cannot enter the sandbox");
	log_debug("GSSAPI acceptor started");
	event_base_dispatch(a->base);
	for (size_t i = 0; i < IPC_MAX_ACCEPT_SLOTS; i++)
		slot_drop(&a->slots[i]);
	ipc_endpoint_free(a->priv);
	event_base_free(a->base);
	free(a);
	return 0;
}
