/* net_priv: network process. The calls to the privileged part, typed
 * (OpenSSH's monitor_wrap, without waiting): each encodes its request and
 * sends it with a deadline; each reader decodes the answer. Nothing else
 * in the network process knows how a request or an answer is framed. */
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "net/net_int.h"

#define MAX_BODY (IPC_MAX_MSG - IPC_HEADER_LEN)

/* Sends body, which holds a request of type if encoded is ERR_OK, and
 * clears it: the caller writes body and hands its encoder's verdict in
 * one statement. */
static enum err send_call(struct net *n, uint32_t type, struct buf *body, enum err encoded,
			  ipc_answer_fn *answer, void *arg, struct ipc_call **call)
{
	if (encoded == ERR_OK)
		encoded =
		    ipc_endpoint_call(n->priv, type, body, NET_PRIV_DEADLINE_MS, answer, arg, call);
	buf_clear(body);
	return encoded;
}

/* What the client is told when no answer came: the privileged part did
 * not answer in time or is gone (it is overloaded, or the service is
 * stopping), or answered with the wrong message, which is its bug, not
 * the client's (the endpoint logged it). */
static enum err no_answer(enum err e)
{
	return e == ERR_TIMEOUT || e == ERR_IO ? ERR_HTTP_BUSY : ERR_WSMAN_INTERNAL;
}

/* A malformed answer is the privileged part's bug, not the client's. */
static enum err read_answer(const struct ipc_msg *m, enum err decoded)
{
	if (decoded == ERR_OK && (decoded = ipc_msg_done(m)) == ERR_OK)
		return ERR_OK;
	log_warnx("bad %s from the privileged part", ipc_type_name(m->type));
	return ERR_WSMAN_INTERNAL;
}

enum err net_priv_auth_password(struct net *n, const struct ipc_auth_password *verify,
				ipc_answer_fn *answer, void *arg, struct ipc_call **call)
{
	struct buf body;

	buf_init(&body, MAX_BODY);
	return send_call(n, IPC_AUTH_PASSWORD, &body, ipc_auth_password_encode(&body, verify),
			 answer, arg, call);
}

enum err net_priv_auth_result(struct ipc_msg *m, enum err e, struct ipc_auth_result *res)
{
	memset(res, 0, sizeof(*res));
	return m ? read_answer(m, ipc_auth_result_decode(&m->body, res)) : no_answer(e);
}

enum err net_priv_auth_gss(struct request *r, const struct ipc_auth_gss *leg, ipc_answer_fn *answer)
{
	struct buf body;

	buf_init(&body, MAX_BODY);
	return send_call(r->conn->net, IPC_AUTH_GSS, &body, ipc_auth_gss_encode(&body, leg), answer,
			 r, &r->call);
}

enum err net_priv_gss_result(struct ipc_msg *m, enum err e, struct ipc_auth_gss_result *res)
{
	memset(res, 0, sizeof(*res));
	return m ? read_answer(m, ipc_auth_gss_result_decode(&m->body, res)) : no_answer(e);
}

enum err net_priv_auth_cert(struct request *r, const struct ipc_auth_cert *m, ipc_answer_fn *answer)
{
	struct buf body;

	buf_init(&body, MAX_BODY);
	return send_call(r->conn->net, IPC_AUTH_CERT, &body, ipc_auth_cert_encode(&body, m), answer,
			 r, &r->call);
}

enum err net_priv_auth_credssp(struct request *r, const struct ipc_auth_credssp *m,
			       ipc_answer_fn *answer)
{
	struct buf body;

	buf_init(&body, MAX_BODY);
	return send_call(r->conn->net, IPC_AUTH_CREDSSP, &body, ipc_auth_credssp_encode(&body, m),
			 answer, r, &r->call);
}

enum err net_priv_credssp_result(struct ipc_msg *m, enum err e, struct ipc_auth_credssp_result *res)
{
	memset(res, 0, sizeof(*res));
	return m ? read_answer(m, ipc_auth_credssp_result_decode(&m->body, res)) : no_answer(e);
}

enum err net_priv_config_change(struct request *r, const struct ipc_config_change *change,
				ipc_answer_fn *answer)
{
	struct buf body;

	buf_init(&body, MAX_BODY);
	return send_call(r->conn->net, IPC_CONFIG_CHANGE, &body,
			 ipc_config_change_encode(&body, change), answer, r, &r->call);
}

enum err net_priv_config_result(struct ipc_msg *m, enum err e, struct ipc_config_result *res)
{
	memset(res, 0, sizeof(*res));
	return m ? read_answer(m, ipc_config_result_decode(&m->body, res)) : no_answer(e);
}

enum err net_priv_cim_invoke(struct request *r, const struct cim_invoke_request *call,
			     ipc_answer_fn *answer)
{
	struct ipc_cim_invoke m;
	struct buf body;
	enum err e;

	memcpy(m.token, r->id.token, sizeof(m.token));
	m.call = *call;
	buf_init(&body, MAX_BODY);
	e = send_call(r->conn->net, IPC_CIM_INVOKE, &body, ipc_cim_invoke_encode(&body, &m), answer,
		      r, &r->call);
	OPENSSL_cleanse(m.token, sizeof(m.token));
	return e == ERR_OK ? ERR_OK : ERR_WSMAN_INTERNAL;
}

enum err net_priv_cim_invoked(struct ipc_msg *m, enum err e, struct ipc_cim_invoked *res)
{
	memset(res, 0, sizeof(*res));
	return m ? read_answer(m, ipc_cim_invoked_decode(&m->body, res)) : no_answer(e);
}

enum err net_priv_host_open(struct net *n, const uint8_t token[IPC_TOKEN_LEN], const char *endpoint,
			    const char *peer, const char *scheme, ipc_answer_fn *answer, void *arg,
			    struct ipc_call **call)
{
	struct ipc_host_open m;
	struct buf body;
	enum err e;

	memset(&m, 0, sizeof(m));
	memcpy(m.token, token, sizeof(m.token));
	snprintf(m.endpoint, sizeof(m.endpoint), "%s", endpoint);
	snprintf(m.peer, sizeof(m.peer), "%s", peer);
	snprintf(m.scheme, sizeof(m.scheme), "%s", scheme ? scheme : "");
	buf_init(&body, MAX_BODY);
	e = send_call(n, IPC_HOST_OPEN, &body, ipc_host_open_encode(&body, &m), answer, arg, call);
	OPENSSL_cleanse(&m, sizeof(m));
	return e;
}

enum err net_priv_host_opened(struct ipc_msg *m, enum err e, struct ipc_host_opened *o, int *fd)
{
	enum err why;

	*fd = -1;
	if (!m)
		return no_answer(e);
	if (m->type == IPC_HOST_FAILED) {
		if (read_answer(m, ipc_host_failed_decode(&m->body, &why)) != ERR_OK ||
		    why == ERR_OK)
			return ERR_WSMAN_INTERNAL;
		return why;
	}
	if ((*fd = ipc_msg_take_fd(m)) < 0 ||
	    read_answer(m, ipc_host_opened_decode(&m->body, o)) != ERR_OK) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return ERR_WSMAN_INTERNAL;
	}
	return ERR_OK;
}

enum err net_priv_token_renew(struct net *n, const uint8_t token[IPC_TOKEN_LEN],
			      ipc_answer_fn *answer, void *arg, struct ipc_call **call)
{
	struct ipc_token_renew m;
	struct buf body;
	enum err e;

	memcpy(m.token, token, sizeof(m.token));
	buf_init(&body, MAX_BODY);
	e = send_call(n, IPC_TOKEN_RENEW, &body, ipc_token_renew_encode(&body, &m), answer, arg,
		      call);
	OPENSSL_cleanse(&m, sizeof(m));
	return e;
}

enum err net_priv_token_renewed(struct ipc_msg *m, enum err e, struct ipc_token_renewed *res)
{
	memset(res, 0, sizeof(*res));
	return m ? read_answer(m, ipc_token_renewed_decode(&m->body, res)) : no_answer(e);
}
