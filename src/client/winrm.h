/* libwinrm: the WinRM client library under winrm and winrs.
 *
 * A session is one endpoint, one set of credentials and flags (as
 * WSMan.CreateSession takes them) and one keep-alive connection, opened
 * on first use and reopened when the server closed it. A session is not
 * thread-safe: use one per thread (winrs receives on one session while it
 * sends stdin on another).
 *
 * The client-side rules of Windows are enforced here, so every tool gets
 * them: explicit credentials for Basic and Digest, and for Negotiate
 * unless Kerberos can serve (a realm, a host name); TrustedHosts
 * for targets reached without HTTPS (Kerberos excepted); Basic and Digest
 * over HTTP only with WINRM_FLAG_NO_ENCRYPTION and the client's
 * AllowUnencrypted; Certificate over HTTPS only and without a user name
 * or password; CredSSP with a user name and password only, to targets
 * in the client's AllowFreshCredentials (and, when only NTLM
 * authenticated the server, AllowFreshCredentialsWhenNTLMOnly); the
 * client's Auth settings. The client settings come
 * from the winrm/config tree in the configuration directory.
 *
 * Every call returns WINRM_OK or an error; winrm_error() then says what
 * went wrong in words a person can act on. */
#ifndef LIBWINRM_WINRM_H
#define LIBWINRM_WINRM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum winrm_result {
	WINRM_OK = 0,
	WINRM_E_USAGE,	       /* a bad argument or option */
	WINRM_E_POLICY,	       /* a client-side rule refused the request */
	WINRM_E_NOT_SUPPORTED, /* an authentication scheme not built in */
	WINRM_E_CONNECT,       /* connection refused, unreachable, timed out */
	WINRM_E_TLS,	       /* handshake failed or certificate not trusted */
	WINRM_E_AUTH,	       /* the server refused the credentials or the scheme */
	WINRM_E_HTTP,	       /* another HTTP status */
	WINRM_E_FAULT,	       /* a WS-Management fault; see winrm_fault_code() */
	WINRM_E_TIMEOUT,       /* the operation timed out (Receive: poll again) */
	WINRM_E_PROTOCOL,      /* a reply we could not read */
	WINRM_E_NOMEM,
};

enum winrm_auth {
	WINRM_AUTH_DEFAULT = 0, /* Windows' choice: see winrm_session_new */
	WINRM_AUTH_BASIC,
	WINRM_AUTH_DIGEST,
	WINRM_AUTH_NEGOTIATE,
	WINRM_AUTH_KERBEROS,
	WINRM_AUTH_CERTIFICATE,
	WINRM_AUTH_CREDSSP,
	WINRM_AUTH_NONE, /* no authentication: Identify only (WSMANIDENTIFY: unauthenticated) */
};

/* WSMan.CreateSession's flags that concern the connection. */
#define WINRM_FLAG_NO_ENCRYPTION 0x1	 /* -unencrypted */
#define WINRM_FLAG_SKIP_CA_CHECK 0x2	 /* -skipCAcheck */
#define WINRM_FLAG_SKIP_CN_CHECK 0x4	 /* -skipCNcheck */
#define WINRM_FLAG_USE_SSL 0x8		 /* -usessl: a bare host name means HTTPS on 5986 */
#define WINRM_FLAG_ALLOW_DELEGATION 0x10 /* -ad: forward the Kerberos ticket-granting ticket */

struct winrm_options {
	/* "host", "host:port", "http://host:port/wsman", "https://...";
	 * IPv6 literals in brackets. A bare host gets the client's
	 * DefaultPorts and URLPrefix. */
	const char *target;
	const char *user; /* NULL: no explicit credentials */
	const char *password;
	enum winrm_auth auth;
	unsigned flags;
	uint32_t timeout_ms;	/* OperationTimeout; 0: 60000 */
	const char *config_dir; /* NULL: $WINRM_CONFIG_DIR, else /etc/winrm */
};

struct winrm_session;

/* Negotiate and Kerberos go through GSSAPI: the caller's credential cache
 * unless user and password are given; the connection is authenticated
 * once (on an empty POST, with mutual authentication) and over HTTP every
 * message is then encrypted (MS-WSMV 2.2.9.1).
 *
 * Checks the options against the client rules and resolves the default
 * scheme (Kerberos when this host is in a Kerberos realm and the target is
 * neither localhost nor an IP address, else Negotiate; Negotiate whenever
 * explicit credentials are given). Connects nothing yet. On error *out is
 * NULL and, when errbuf is given, the reason is written there. */
enum winrm_result winrm_session_new(const struct winrm_options *o, struct winrm_session **out,
				    char *errbuf, size_t errlen);
/* The URL a session of o would address (the client's DefaultPorts and
 * URLPrefix applied to a bare host), whatever the client rules say of
 * o's scheme and flags: for a tool that diagnoses a connection step by
 * step, the rules being one of the steps. (Since LIBWINRM_0.5.) */
enum winrm_result winrm_target_url(const struct winrm_options *o, char *url, size_t len,
				   char *errbuf, size_t errlen);
/* Certificate authentication (a session made with WINRM_AUTH_CERTIFICATE,
 * over HTTPS) presents this client certificate in the TLS handshake and
 * sends the https/mutual security profile as the Authorization of every
 * request. cert_file is PEM: the certificate, then any intermediate CAs,
 * and the private key too when key_file is NULL; key_file a PEM private
 * key, not encrypted. Both are read now: a file that cannot be read, a key
 * that is encrypted or not the certificate's, or a certificate not for
 * client authentication fails here, before any connection. Call it once,
 * before the first request; until then a Certificate session refuses to
 * connect. (Since LIBWINRM_0.4.) */
enum winrm_result winrm_session_set_certificate(struct winrm_session *s, const char *cert_file,
						const char *key_file);
void winrm_session_free(struct winrm_session *s);

/* The last error of this session, as a sentence (never NULL). */
const char *winrm_error(const struct winrm_session *s);
/* The WSManFault Code of the last WINRM_E_FAULT or WINRM_E_TIMEOUT, else 0. */
uint32_t winrm_fault_code(const struct winrm_session *s);
/* The URL the session talks to. */
const char *winrm_endpoint(const struct winrm_session *s);
const char *winrm_auth_name(enum winrm_auth a);
/* The scheme the session uses: the one asked for, or the default's
 * choice (winrm_session_new). (Since LIBWINRM_0.5.) */
enum winrm_auth winrm_session_auth(const struct winrm_session *s);
/* "basic", "Digest", ... to the enum (case-insensitive); -1 if unknown. */
int winrm_auth_parse(const char *name);

/* Identify (unauthenticated when the session has no credentials and the
 * scheme allows it); the reply's XML in *xml (free it). */
enum winrm_result winrm_identify(struct winrm_session *s, char **xml);

/* ---- WS-Management operations on any resource ---- */

struct winrm_selector {
	const char *name;
	const char *value;
};

/* The XML of an instance or of a reply body, as one standalone element. */
typedef void winrm_item_fn(void *arg, const char *xml);

/* Transfer Get: the resource's XML in *xml (free it). */
enum winrm_result winrm_get(struct winrm_session *s, const char *resource_uri,
			    const struct winrm_selector *sel, size_t nsel, char **xml);
/* Transfer Put of body_xml (the whole resource); the updated resource in
 * *xml when the service returns it (else NULL). */
enum winrm_result winrm_put(struct winrm_session *s, const char *resource_uri,
			    const struct winrm_selector *sel, size_t nsel, const char *body_xml,
			    char **xml);
/* Transfer Create; the reply body (x:ResourceCreated) in *xml. */
enum winrm_result winrm_create(struct winrm_session *s, const char *resource_uri,
			       const struct winrm_selector *sel, size_t nsel, const char *body_xml,
			       char **xml);
enum winrm_result winrm_delete(struct winrm_session *s, const char *resource_uri,
			       const struct winrm_selector *sel, size_t nsel);
/* What an enumeration's items are (DSP0226 8.7, w:EnumerationMode):
 * the resources, their EPRs (a:EndpointReference), or each resource and
 * its EPR in a w:Item; winrm.vbs' -ReturnType:Object|EPR|ObjectAndEPR. */
enum winrm_enumeration_mode {
	WINRM_ENUM_OBJECTS = 0,
	WINRM_ENUM_EPRS,
	WINRM_ENUM_OBJECTS_AND_EPRS,
};
/* The enumerations s makes from now on ask for items of mode (objects
 * until set). (Since LIBWINRM_0.5.) */
enum winrm_result winrm_session_set_enumeration_mode(struct winrm_session *s,
						     enum winrm_enumeration_mode mode);
/* Enumerate and Pull until the end of the sequence, each item to fn. */
enum winrm_result winrm_enumerate(struct winrm_session *s, const char *resource_uri,
				  const struct winrm_selector *sel, size_t nsel, winrm_item_fn *fn,
				  void *arg);
/* The same with a Selector filter (DSP0226 8.3.2; nfilter 0: none), as
 * Get-PSSession asks for a shell's commands: ShellId='...'. */
enum winrm_result winrm_enumerate_ex(struct winrm_session *s, const char *resource_uri,
				     const struct winrm_selector *sel, size_t nsel,
				     const struct winrm_selector *filter, size_t nfilter,
				     winrm_item_fn *fn, void *arg);
/* The same with a filter of any dialect, its text as given (escaped
 * here), as Windows' `winrm enumerate -filter: -dialect:` sends it: a WQL
 * query (WINRM_DIALECT_WQL) for WMI's classes. */
#define WINRM_DIALECT_WQL "http://schemas.microsoft.com/wbem/wsman/1/WQL"
enum winrm_result winrm_enumerate_filter(struct winrm_session *s, const char *resource_uri,
					 const struct winrm_selector *sel, size_t nsel,
					 const char *dialect, const char *filter, winrm_item_fn *fn,
					 void *arg);
/* A custom action (resource_uri/action); the output in *xml. */
enum winrm_result winrm_invoke(struct winrm_session *s, const char *action,
			       const char *resource_uri, const struct winrm_selector *sel,
			       size_t nsel, const char *body_xml, char **xml);

/* ---- the remote shell ---- */

#define WINRM_ID_LEN 36

enum winrm_stream { WINRM_STDOUT = 0, WINRM_STDERR = 1 };
enum winrm_signal {
	WINRM_SIGNAL_TERMINATE = 1,
	WINRM_SIGNAL_CTRL_C = 2,
	WINRM_SIGNAL_CTRL_BREAK = 3,
	/* PowerShell's stop ("powershell/signal/crtl_c", MS-PSRP 3.1.5.3.9):
	 * stop the pipeline. PowerShell's endpoints close a command on any
	 * other code. */
	WINRM_SIGNAL_PS_STOP = 4
};

struct winrm_shell_options {
	const char *working_dir; /* NULL: the user's home */
	const char *const *env;	 /* "NAME=VALUE" */
	size_t nenv;
	int noprofile;		  /* WINRS_NOPROFILE */
	uint32_t codepage;	  /* WINRS_CODEPAGE; 0: 65001 (UTF-8) */
	uint64_t idle_timeout_ms; /* 0: the service's default */
};

enum winrm_result winrm_shell_create(struct winrm_session *s, const struct winrm_shell_options *o,
				     char shell_id[WINRM_ID_LEN + 1]);
/* Starts argv[0] with the arguments argv[1..], through the remote shell's
 * command interpreter unless skip_cmd_shell. */
enum winrm_result winrm_shell_command(struct winrm_session *s, const char *shell_id,
				      const char *const *argv, size_t argc, int skip_cmd_shell,
				      char command_id[WINRM_ID_LEN + 1]);
/* The most bytes one Send carries: longer input is cut into pieces of
 * this size, each sent whole. */
#define WINRM_SEND_MAX_BYTES 112128

/* Sends stdin bytes (cut into pieces that fit the envelope); end closes it. */
enum winrm_result winrm_shell_send(struct winrm_session *s, const char *shell_id,
				   const char *command_id, const void *data, size_t len, int end);

typedef void winrm_output_fn(void *arg, enum winrm_stream stream, const void *data, size_t len);
/* One Receive: output is handed to fn as it is read; *done once the
 * command ended, with *exit_code. WINRM_E_TIMEOUT when nothing came within
 * the OperationTimeout: call again. */
enum winrm_result winrm_shell_receive(struct winrm_session *s, const char *shell_id,
				      const char *command_id, winrm_output_fn *fn, void *arg,
				      int *done, uint32_t *exit_code);
enum winrm_result winrm_shell_signal(struct winrm_session *s, const char *shell_id,
				     const char *command_id, enum winrm_signal sig);
enum winrm_result winrm_shell_delete(struct winrm_session *s, const char *shell_id);

/* ---- PowerShell's endpoints (MS-PSRP 3.1.5.3) ----
 * A shell whose resource URI is this prefix and a session configuration's
 * name ("Microsoft.PowerShell") is a PowerShell RunspacePool: the client
 * chooses the ShellId and each CommandId (its pool's and pipelines' GUIDs),
 * the pool itself (no CommandId) sends and receives, and input goes on
 * stdin or pr. The _ex functions take the shell's resource URI (NULL: cmd,
 * as the functions above) and a command_id of NULL for the shell itself. */
#define WINRM_PS_URI_PREFIX "http://schemas.microsoft.com/powershell/"

struct winrm_shell_spec {
	const char *resource_uri;     /* WINRM_PS_URI_PREFIX + configuration name */
	const char *shell_id;	      /* the client's ShellId (a GUID) */
	const char *protocol_version; /* the protocolversion option, sent MustComply ("2.3") */
	const char *creation_xml;     /* base64 of the first PSRP fragments */
	int noprofile;		      /* WINRS_NOPROFILE */
	uint64_t idle_timeout_ms;     /* 0: the service's default */
	const char *name;	      /* the session's name (rsp:Shell Name); NULL: none */
	/* Ask for xpress compression (rsp:CompressionType). When the reply's
	 * rsp:Shell says CompressionMode XpressCompression, the caller sends
	 * its data as xpress blocks and receives them (libpsrpclient does). */
	int xpress;
};

/* Creates the shell; *shell_xml (when not NULL) gets the reply's rsp:Shell
 * element as XML that reads alone (free it; NULL if the reply had none). */
enum winrm_result winrm_shell_create_ex(struct winrm_session *s,
					const struct winrm_shell_spec *spec,
					char shell_id[WINRM_ID_LEN + 1], char **shell_xml);
/* Starts a command with the client's command_id, the text command_line
 * (PowerShell: " " or the pipeline's text) and the arguments (PowerShell:
 * one, the base64 of its first CREATE_PIPELINE fragment). */
enum winrm_result winrm_shell_command_ex(struct winrm_session *s, const char *resource_uri,
					 const char *shell_id, const char *command_id,
					 const char *command_line, const char *const *args,
					 size_t nargs);

enum winrm_input { WINRM_INPUT_STDIN = 0, WINRM_INPUT_PROMPT_RESPONSE = 1 /* "pr" */ };
/* Sends bytes on an input stream of the command, or of the shell itself
 * (command_id NULL), cut as winrm_shell_send does; end closes it. */
enum winrm_result winrm_shell_send_ex(struct winrm_session *s, const char *resource_uri,
				      const char *shell_id, const char *command_id,
				      enum winrm_input input, const void *data, size_t len,
				      int end);
/* One Receive from the command or the shell itself (command_id NULL), as
 * winrm_shell_receive; a shell never reports done. */
enum winrm_result winrm_shell_receive_ex(struct winrm_session *s, const char *resource_uri,
					 const char *shell_id, const char *command_id,
					 winrm_output_fn *fn, void *arg, int *done,
					 uint32_t *exit_code);
enum winrm_result winrm_shell_signal_ex(struct winrm_session *s, const char *resource_uri,
					const char *shell_id, const char *command_id,
					enum winrm_signal sig);
/* The same Signal to a command, sent ahead: written now on the session's
 * open connection, its reply read and dropped before the connection's next
 * request, so the caller does not wait a round trip for it (libpsrpclient
 * ends a finished command this way). 1 if it was written; 0 when it was
 * not (no open connection, a request already ahead, a write that failed),
 * and the caller sends it the usual way. */
int winrm_shell_signal_ahead_ex(struct winrm_session *s, const char *resource_uri,
				const char *shell_id, const char *command_id,
				enum winrm_signal sig);
enum winrm_result winrm_shell_delete_ex(struct winrm_session *s, const char *resource_uri,
					const char *shell_id);

/* Disconnected sessions (MS-PSRP 3.1.5.3.16 to 3.1.5.3.19), PowerShell's
 * endpoints only. Disconnect leaves the shell running on the service for
 * idle_timeout_ms (0: the service's idle timeout), its output kept
 * (drop_output: the oldest dropped when the buffer is full, else the
 * shell waits). Reconnect takes it back on the client that left it (the
 * shell, or with command_id one of its commands); Connect from any client
 * of the same user: with connect_xml (base64 of PowerShell's
 * SESSION_CAPABILITY and CONNECT_RUNSPACEPOOL fragments) the shell, whose
 * reply's connectResponseXml element goes to *response_xml (free it);
 * with command_id one of its commands (response_xml may be NULL). */
enum winrm_result winrm_shell_disconnect_ex(struct winrm_session *s, const char *resource_uri,
					    const char *shell_id, uint64_t idle_timeout_ms,
					    int drop_output);
enum winrm_result winrm_shell_reconnect_ex(struct winrm_session *s, const char *resource_uri,
					   const char *shell_id, const char *command_id);
enum winrm_result winrm_shell_connect_ex(struct winrm_session *s, const char *resource_uri,
					 const char *shell_id, const char *command_id,
					 const char *protocol_version, const char *connect_xml,
					 char **response_xml);

#ifdef __cplusplus
}
#endif

#endif
