/* ipc_priv: typed messages between the privileged part and the network
 * process, and between the privileged part and the GSSAPI acceptor. Encoders append a body to a
 * struct buf; decoders read a received body, copy what must outlive it, and reject trailing bytes.
 */
#ifndef OPENWINRM_IPC_PRIV_H
#define OPENWINRM_IPC_PRIV_H

#include <stdint.h>

#include "audit/audit.h"
#include "cim/cim.h"
#include "common/buf.h"
#include "common/err.h"
#include "ipc/ipc.h"

#define IPC_TOKEN_LEN 16
#define IPC_MAX_USER 256 /* user names, as typed by the client */
#define IPC_MAX_PASSWORD 1024
#define IPC_MAX_PEER 64 /* textual peer address */
#define IPC_MAX_PEM (64 * 1024)
#define IPC_MAX_CONFIG_TEXT (96 * 1024)
#define IPC_MAX_LISTENERS 16

/* IPC_AUTH_PASSWORD, net -> priv: verify a password with PAM (service
 * "winrm") and check that the account may use WinRM. */
struct ipc_auth_password {
	char *user;	    /* as sent, after stripping ".\" or "HOST\" */
	char *password;	    /* wiped by ipc_auth_password_clear */
	char *peer;	    /* client address, for the log line */
	char *scheme;	    /* "Basic" (later: others), for the log line */
	uint32_t peer_port; /* the client's port, for the audit trail (0: unknown) */
};

enum ipc_auth_status {
	IPC_AUTH_OK = 0,
	IPC_AUTH_BAD_CREDENTIALS = 1, /* unknown user and wrong password look the same */
	IPC_AUTH_NOT_ALLOWED = 2,     /* authenticated, but in no allowed group */
	IPC_AUTH_BUSY = 3,	      /* too many verifications waiting */
	IPC_AUTH_CONTINUE = 4,	      /* GSSAPI: send the output token, await the next leg */
};

/* IPC_AUTH_RESULT, priv -> net. */
struct ipc_auth_result {
	uint32_t status; /* enum ipc_auth_status */
	char *user;	 /* canonical account name (when OK or NOT_ALLOWED) */
	uint32_t uid;
	uint32_t is_admin;	      /* root or a member of AdminGroups */
	uint8_t token[IPC_TOKEN_LEN]; /* opaque handle for IPC_HOST_OPEN (when OK) */
};

/* IPC_AUTH_GSS, net -> priv: one leg of a Negotiate or Kerberos handshake.
 * The privileged part holds the half-made security context (the keytab and
 * the NTLM hashes never leave it), keyed by the connection's serial: a leg
 * from another connection finds no context and starts afresh, so a token
 * replayed on a new connection fails. */
#define IPC_MAX_GSS_TOKEN (64 * 1024)
#define IPC_MAX_GSS_CONTEXT (64 * 1024) /* an exported, established context */
#define IPC_MAX_CHANNEL_BINDING 256	/* "tls-server-end-point:" + a digest */
struct ipc_auth_gss {
	uint64_t conn;		/* the network process's serial of the TCP connection */
	uint32_t kerberos_only; /* the "Kerberos" scheme: no NTLM inside */
	char *peer;		/* for the log line */
	uint32_t peer_port;	/* for the audit trail */
	uint8_t *token;
	size_t token_len;
	uint8_t *binding; /* TLS channel binding application data; NULL over HTTP */
	size_t binding_len;
};

/* IPC_AUTH_GSS_RESULT, priv -> net. On CONTINUE only out_token matters; on
 * OK the established context travels too (gss_export_sec_context), so the
 * network process can seal and unseal messages without holding any
 * long-term key. */
struct ipc_auth_gss_result {
	struct ipc_auth_result result;
	uint8_t *out_token;
	size_t out_token_len;
	uint8_t *context; /* wiped by ipc_auth_gss_result_clear */
	size_t context_len;
};

/* IPC_AUTH_CERT, net -> priv: a request that asked for certificate
 * authentication (Authorization: ...secprofile/https/mutual) on a TLS
 * connection where the client presented a certificate. The TLS handshake
 * proved the client holds the certificate's key; the privileged part
 * checks the rest itself: the chain up to the issuer a
 * winrm/config/service/certmapping entry names, validity, key usage, the
 * entry's subject and URI, and the account's right to connect. Answered
 * by IPC_AUTH_CERT_RESULT, a struct ipc_auth_result. */
#define IPC_MAX_CERT (16 * 1024) /* Windows' limit for a client certificate */
#define IPC_MAX_CERT_CHAIN (64 * 1024)
#define IPC_MAX_RESOURCE_URI 2048
struct ipc_auth_cert {
	char *peer;	    /* for the log line and PAM_RHOST */
	uint32_t peer_port; /* for the audit trail */
	char *resource_uri; /* what the request addresses, matched against the entries' URI */
	uint8_t *chain;	    /* DER certificates one after another, the client's first */
	size_t chain_len;
};
/* IPC_AUTH_CREDSSP, net -> priv: one TSRequest of a CredSSP logon (MS-CSSP
 * 3.1.5), which the network process took out of the CredSSP TLS channel
 * and decoded. The inner SPNEGO context is the privileged part's, as for
 * Negotiate, keyed by the connection's serial; so are the checks of
 * pubKeyAuth and the unsealing of authInfo, whose password the network
 * process therefore never sees. server_cert is the certificate the
 * network process presented in that TLS channel, which pubKeyAuth binds. */
#define IPC_CREDSSP_NONCE_LEN 32
#define IPC_MAX_CREDSSP_FIELD                                                                      \
	(16 * 1024) /* pubKeyAuth, authInfo: a sealed hash or TSCredentials                        \
		     */
struct ipc_auth_credssp {
	uint64_t conn;
	char *peer;
	uint32_t peer_port; /* for the audit trail */
	uint32_t version;   /* the TSRequest's */
	uint8_t *nego_token;
	size_t nego_token_len;
	uint8_t *pub_key_auth;
	size_t pub_key_auth_len;
	uint8_t *auth_info;
	size_t auth_info_len;
	uint32_t has_client_nonce;
	uint8_t client_nonce[IPC_CREDSSP_NONCE_LEN];
	uint8_t *server_cert; /* DER */
	size_t server_cert_len;
};

/* IPC_AUTH_CREDSSP_RESULT, priv -> net: the fields of the TSRequest that
 * answers (status CONTINUE), or the verdict. On OK, delegated: the
 * credentials the client delegated, sealed for the user's own host
 * (sealbox.h, with the key the privileged part gave that user's hosts),
 * which the network process carries there and cannot open
 * (docs/design.md, "CredSSP"). error_code: the NTSTATUS a refusal puts in
 * the answering TSRequest, 0 for none. */
#define IPC_MAX_DELEGATED 4096
struct ipc_auth_credssp_result {
	struct ipc_auth_result result;
	uint8_t *nego_token;
	size_t nego_token_len;
	uint8_t *pub_key_auth;
	size_t pub_key_auth_len;
	uint32_t error_code;
	uint8_t *delegated; /* OK only */
	size_t delegated_len;
};

/* IPC_ACCEPT, priv -> acceptor: GSSAPI work on a client's bytes, for the
 * context in one of the acceptor's slots (the privileged part keeps the
 * table of which connection holds which slot). In order, each step only
 * if given and the one before succeeded: gss_accept_sec_context of token
 * (with binding as the channel binding's application data, if any);
 * gss_unwrap of unwrap and gss_wrap of wrap, both with confidentiality,
 * on an established context. fresh: the slot's context, if any, belongs
 * to a handshake that is over: drop it first. keep: an established
 * context stays in the slot (CredSSP seals and unseals with it next);
 * else it is exported and the slot freed. */
#define IPC_MAX_ACCEPT_SLOTS 2048
#define IPC_MAX_ACCEPT_FIELD (16 * 1024) /* unwrap, wrap: CredSSP's fields */
struct ipc_accept {
	uint32_t slot; /* < IPC_MAX_ACCEPT_SLOTS */
	uint32_t fresh;
	uint32_t keep;
	uint8_t *token; /* NULL: no accept step */
	size_t token_len;
	uint8_t *binding;
	size_t binding_len;
	uint8_t *unwrap;
	size_t unwrap_len;
	uint8_t *wrap; /* wiped by ipc_accept_clear */
	size_t wrap_len;
};

/* IPC_ACCEPTED, acceptor -> priv: what GSSAPI said, no judgement. major
 * and minor are the failing step's (failed_step), else the accept's; why
 * is GSSAPI's text for a failure. Once the context is established
 * (complete): the initiator's name (gss_display_name), the name the
 * client addressed (for Kerberos, the service principal), the mechanism's
 * OID, the context's flags, and, unless the request kept the context, the
 * context exported (gss_export_sec_context) and the credentials the client
 * delegated (gss_export_cred), if any. unwrapped: the plaintext of
 * unwrap; wrapped: wrap sealed. */
enum ipc_accept_step {
	IPC_ACCEPT_STEP_NONE = 0,
	IPC_ACCEPT_STEP_ACCEPT = 1,
	IPC_ACCEPT_STEP_UNWRAP = 2,
	IPC_ACCEPT_STEP_WRAP = 3,
};
#define IPC_MAX_GSS_WHY 512
#define IPC_MAX_MECH_OID 64
#define IPC_MAX_DELEGATED_CRED (32 * 1024)
struct ipc_accepted {
	uint32_t failed_step; /* enum ipc_accept_step */
	uint32_t major;
	uint32_t minor;
	char *why;
	uint32_t complete;
	uint8_t *out_token;
	size_t out_token_len;
	char *source; /* complete only, as the rest below */
	char *target;
	uint8_t *mech;
	size_t mech_len;
	uint32_t flags;
	uint8_t *context; /* wiped by ipc_accepted_clear, as deleg and unwrapped */
	size_t context_len;
	uint8_t *deleg;
	size_t deleg_len;
	uint8_t *unwrapped;
	size_t unwrapped_len;
	uint8_t *wrapped;
	size_t wrapped_len;
};

/* IPC_HOST_OPEN, net -> priv: start the per-user host for the account a
 * token names. The token stays valid for IPC_TOKEN_LIFETIME_MS after the
 * password check that issued it (longer than the network process's cache).
 * endpoint "" asks for the user's own host; a plugin's name asks for that
 * user's host of the session configuration (winrm/config/plugin), which
 * the privileged part admits, runs as the plugin's RunAsUser and
 * restricts by the plugin's configuration, all as it finds them in its
 * own configuration: the network process names the endpoint, never an
 * account. peer and scheme are the requesting connection's, for the audit
 * line and the session's WINRMD_* variables. */
#define IPC_TOKEN_LIFETIME_MS 150000
#define IPC_MAX_ENDPOINT 64 /* CONFIG_MAX_PLUGIN_NAME */
#define IPC_MAX_SCHEME 16
struct ipc_host_open {
	uint8_t token[IPC_TOKEN_LEN];
	char endpoint[IPC_MAX_ENDPOINT + 1];
	char peer[IPC_MAX_PEER + 1];
	char scheme[IPC_MAX_SCHEME + 1];
};

/* IPC_TOKEN_RENEW, net -> priv: a live token for a new one naming the same
 * account, with a fresh IPC_TOKEN_LIFETIME_MS. Negotiate and Kerberos
 * authenticate the connection once, and it may outlive the token of its
 * handshake by hours; the network process renews the token while the
 * connection is in use (net_token.c). The privileged part renews a token
 * once, and only while it is live and its account may still connect, so
 * the network process never gains authority for an account that did not
 * authenticate. */
struct ipc_token_renew {
	uint8_t token[IPC_TOKEN_LEN];
};

/* IPC_TOKEN_RENEWED, priv -> net. On anything but OK the other fields are
 * zero: BAD_CREDENTIALS for a token unknown, expired or already renewed,
 * NOT_ALLOWED for an account in no allowed group any more, BUSY when no
 * token could be made. */
struct ipc_token_renewed {
	uint32_t status;   /* enum ipc_auth_status, never CONTINUE */
	uint32_t uid;	   /* the account's, as a check on the reply's connection */
	uint32_t is_admin; /* by the configuration in force now */
	uint8_t token[IPC_TOKEN_LEN];
};

/* IPC_HOST_OPENED, priv -> net, with one descriptor: the network process's
 * end of the host's channel. */
struct ipc_host_opened {
	uint32_t uid;
	uint32_t pid; /* the host process: every message on the channel must come from it */
};

/* IPC_CONFIG, priv -> net: the configuration text (the stored winrm/config
 * file, which the network process parses with config_parse), one entry per
 * enabled listener, and one descriptor per listening socket. */
struct ipc_listener_info {
	char *name; /* "Address=*+Transport=HTTPS", for logs */
	uint32_t https;
	char *url_prefix; /* "wsman" */
	char *cert_pem;	  /* HTTPS only: certificate chain and key, PEM */
	char *key_pem;	  /* wiped by ipc_config_clear */
};
struct ipc_config {
	char *config_text;
	uint32_t nlisteners;
	struct ipc_listener_info listeners[IPC_MAX_LISTENERS];
	uint32_t nsockets;
	uint32_t socket_listener[IPC_MAX_FDS]; /* listener index of each descriptor, in order */
};

/* IPC_CONFIG_CHANGE, net -> priv: change winrm/config (WS-Transfer Put,
 * Create or Delete) for the account a token names. The privileged part
 * acts only if the token is live and its account is an administrator by
 * the configuration in force: the network process is not asked. It
 * applies the change to the stored file, saves it, reloads as on SIGHUP
 * (IPC_CONFIG) and then answers IPC_CONFIG_RESULT. */
enum ipc_config_op { IPC_CONFIG_PUT = 1, IPC_CONFIG_CREATE = 2, IPC_CONFIG_DELETE = 3 };
#define IPC_MAX_CONFIG_RESOURCE 64    /* "service/defaultports" */
#define IPC_MAX_CONFIG_SELECTORS 1024 /* CONFIG_MAX_SELECTOR_TEXT: a certmapping's */
#define IPC_MAX_CONFIG_PAIRS 128
#define IPC_MAX_CONFIG_NAME 256 /* "Client/DefaultPorts/HTTPS" */
#define IPC_MAX_CONFIG_MESSAGE 1024
struct ipc_config_pair {
	char *name;  /* the setting's path below the resource: "Auth/Basic" */
	char *value; /* NULL: xsi:nil, winrm's $null */
};
struct ipc_config_change {
	uint8_t token[IPC_TOKEN_LEN];
	uint32_t op;	 /* enum ipc_config_op */
	char *resource;	 /* under winrm/config: "", "service/auth", "listener" */
	char *selectors; /* an instance's "Address=...+Transport=...", else "" */
	uint32_t npairs; /* the settings of a Put or Create; none for Delete */
	struct ipc_config_pair pairs[IPC_MAX_CONFIG_PAIRS];
};

/* IPC_CONFIG_RESULT, priv -> net. */
struct ipc_config_result {
	uint32_t status; /* ERR_OK, or the enum err whose fault answers the request */
	char *message;	 /* why, for the network process's log; "" on success */
};

/* IPC_CIM_INVOKE, net -> priv: a WMI method for the administrator a
 * token names, to run as root (docs/design.md, "Administrators acting as
 * root"). The privileged part acts only if the token is live and its
 * account an administrator by the configuration in force, and takes the
 * namespace's security from its own configuration: of call.access only
 * whether the request came encrypted is the network process's word. */
struct ipc_cim_invoke {
	uint8_t token[IPC_TOKEN_LEN];
	struct cim_invoke_request call; /* as SHELL_CIM_INVOKE carries it */
};

/* IPC_CIM_INVOKED, priv -> net: ERR_OK and the method's answer, or the
 * enum err whose fault answers the request (and nothing else). */
struct ipc_cim_invoked {
	uint32_t status;
	struct cim_invoke_reply reply; /* status ERR_OK only */
};

enum err ipc_auth_password_encode(struct buf *out, const struct ipc_auth_password *m);
enum err ipc_auth_password_decode(struct buf *in, struct ipc_auth_password *m);
void ipc_auth_password_clear(struct ipc_auth_password *m);

enum err ipc_auth_result_encode(struct buf *out, const struct ipc_auth_result *m);
enum err ipc_auth_result_decode(struct buf *in, struct ipc_auth_result *m);
void ipc_auth_result_clear(struct ipc_auth_result *m);
enum err ipc_auth_gss_encode(struct buf *out, const struct ipc_auth_gss *m);
enum err ipc_auth_gss_decode(struct buf *in, struct ipc_auth_gss *m);
void ipc_auth_gss_clear(struct ipc_auth_gss *m);
enum err ipc_auth_gss_result_encode(struct buf *out, const struct ipc_auth_gss_result *m);
enum err ipc_auth_gss_result_decode(struct buf *in, struct ipc_auth_gss_result *m);
void ipc_auth_gss_result_clear(struct ipc_auth_gss_result *m);

enum err ipc_auth_cert_encode(struct buf *out, const struct ipc_auth_cert *m);
enum err ipc_auth_cert_decode(struct buf *in, struct ipc_auth_cert *m);
void ipc_auth_cert_clear(struct ipc_auth_cert *m);
enum err ipc_auth_credssp_encode(struct buf *out, const struct ipc_auth_credssp *m);
enum err ipc_auth_credssp_decode(struct buf *in, struct ipc_auth_credssp *m);
void ipc_auth_credssp_clear(struct ipc_auth_credssp *m);
enum err ipc_auth_credssp_result_encode(struct buf *out, const struct ipc_auth_credssp_result *m);
enum err ipc_auth_credssp_result_decode(struct buf *in, struct ipc_auth_credssp_result *m);
void ipc_auth_credssp_result_clear(struct ipc_auth_credssp_result *m);
enum err ipc_accept_encode(struct buf *out, const struct ipc_accept *m);
enum err ipc_accept_decode(struct buf *in, struct ipc_accept *m);
void ipc_accept_clear(struct ipc_accept *m);
enum err ipc_accepted_encode(struct buf *out, const struct ipc_accepted *m);
enum err ipc_accepted_decode(struct buf *in, struct ipc_accepted *m);
void ipc_accepted_clear(struct ipc_accepted *m);
/* IPC_AUDIT, net -> priv: an event of audit.h the network process saw, a
 * notice (no answer). Every string within its field's size, no NUL in
 * one, the kind known, the port a port, the flags 0 or 1; which kinds
 * the network process may report is the privileged part's to check. */
enum err ipc_audit_encode(struct buf *out, const struct audit_event *m);
enum err ipc_audit_decode(struct buf *in, struct audit_event *m);

enum err ipc_host_open_encode(struct buf *out, const struct ipc_host_open *m);
enum err ipc_host_open_decode(struct buf *in, struct ipc_host_open *m);

enum err ipc_token_renew_encode(struct buf *out, const struct ipc_token_renew *m);
enum err ipc_token_renew_decode(struct buf *in, struct ipc_token_renew *m);

enum err ipc_token_renewed_encode(struct buf *out, const struct ipc_token_renewed *m);
enum err ipc_token_renewed_decode(struct buf *in, struct ipc_token_renewed *m);

enum err ipc_host_opened_encode(struct buf *out, const struct ipc_host_opened *m);
enum err ipc_host_opened_decode(struct buf *in, struct ipc_host_opened *m);

enum err ipc_host_failed_encode(struct buf *out, enum err reason);
enum err ipc_host_failed_decode(struct buf *in, enum err *reason);

enum err ipc_config_encode(struct buf *out, const struct ipc_config *m);
enum err ipc_config_decode(struct buf *in, struct ipc_config *m);
void ipc_config_clear(struct ipc_config *m);

enum err ipc_config_change_encode(struct buf *out, const struct ipc_config_change *m);
enum err ipc_config_change_decode(struct buf *in, struct ipc_config_change *m);
void ipc_config_change_clear(struct ipc_config_change *m);

enum err ipc_config_result_encode(struct buf *out, const struct ipc_config_result *m);
enum err ipc_config_result_decode(struct buf *in, struct ipc_config_result *m);
void ipc_config_result_clear(struct ipc_config_result *m);

enum err ipc_cim_invoke_encode(struct buf *out, const struct ipc_cim_invoke *m);
enum err ipc_cim_invoke_decode(struct buf *in, struct ipc_cim_invoke *m);
enum err ipc_cim_invoked_encode(struct buf *out, const struct ipc_cim_invoked *m);
enum err ipc_cim_invoked_decode(struct buf *in, struct ipc_cim_invoked *m);

#endif
