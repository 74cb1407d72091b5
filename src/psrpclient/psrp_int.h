/* psrp_int: what the files of libpsrpclient share. Private to
 * src/psrpclient/; the library's door is wsman_api.h (the exports).
 *
 * Objects and their lifetimes: every handle given to PowerShell is one
 * of the structs below, reference-counted under one lock (psrp_lock).
 * PowerShell holds one reference until it closes the handle; every
 * worker thread holds one on each object it reports about, so a handle
 * closed from inside a callback (PowerShell closes a Receive's operation
 * in its last callback) stays valid until the worker is done. A closed
 * object is never reported about again. No callback is made with the
 * lock held: PowerShell calls back into the API from inside them. */
#ifndef OPENWINRM_PSRP_INT_H
#define OPENWINRM_PSRP_INT_H

#include <pthread.h>
#include <stdint.h>

#include "client/winrm.h"
#include "psrpclient/wsman_api.h"

/* Every operation's w:OperationTimeout is capped here: PowerShell asks
 * 180 s (its OperationTimeout and OpenTimeout), but winrmd and Windows
 * refuse an OperationTimeout above their MaxTimeoutms, 60000 by default,
 * and a Receive that times out is simply polled again. */
#define PSRP_MAX_OPERATION_TIMEOUT_MS 60000u
/* Idle connections a session keeps for its next operations. */
#define PSRP_POOL_MAX 8

struct psrp_session {
	int refs;   /* PowerShell's (until WSManCloseSession) and each worker's */
	int closed; /* WSManCloseSession was called */
	/* how to connect (UTF-8) */
	char *target; /* the connection string without PowerShell's ?PSVersion= */
	char *user, *password;
	enum winrm_auth auth;
	/* Certificate authentication: the certificate's thumbprint (upper-case
	 * hex, for messages) and its files (key_file NULL: the key is in
	 * cert_file), found by psrp_certificate_choose */
	char *thumbprint, *cert_file, *key_file;
	unsigned flags;		    /* WINRM_FLAG_* from the session options */
	uint32_t timeout_ms;	    /* WSMAN_OPTION_DEFAULT_OPERATION_TIMEOUTMS */
	uint32_t max_envelope_kb;   /* WSMAN_OPTION_MAX_ENVELOPE_SIZE_KB, as set */
	char *locale, *ui_language; /* WSMAN_OPTION_LOCALE, _UI_LANGUAGE, as set */
	/* connections not in use */
	struct winrm_session *idle[PSRP_POOL_MAX];
	int nidle;
};

struct psrp_shell {
	int refs;
	int closed;  /* WSManCloseShell was called */
	int created; /* the service has it: closing deletes it */
	/* Disconnect asked and no Reconnect since: the shell's Receives wait
	 * (the service fails them meanwhile) and go on after Reconnect, as
	 * WSMan's own do; PowerShell does not ask again. */
	int disconnected;
	struct psrp_session *session;
	char *resource_uri;
	char id[WINRM_ID_LEN + 1];
	/* xpress, once Create negotiated it (psrp_xpress.c): set before
	 * Create's completion, so before any Send or Receive. Its workers
	 * run at once: the codec is used under codec_lock. */
	int xpress;
	struct xpress_codec *codec;
	pthread_mutex_t codec_lock;
};

struct psrp_command {
	int refs;
	int closed;
	int created; /* the service has it: closing terminates it */
	/* Its Receive brought Done and sent the terminate Signal ahead on its
	 * connection: closing it asks the service nothing more. */
	int terminated;
	struct psrp_shell *shell;
	char id[WINRM_ID_LEN + 1];
};

struct psrp_operation {
	int refs;
	int closed; /* WSManCloseOperation was called: report nothing more */
};

/* The lock over every reference count and flag above. */
void psrp_lock(void);
void psrp_unlock(void);
/* Under the lock: sets a flag (closed, created); drops a reference, 1
 * when it was the last (the caller then frees the object). */
void psrp_set(int *flag);
int psrp_unref(int *refs);
void psrp_session_release(struct psrp_session *s);

/* A connection of the session's (an idle one, else a new one), and its
 * return. On failure NULL, and the reason in *code and errbuf. */
struct winrm_session *psrp_connection_get(struct psrp_session *s, DWORD *code, char *errbuf,
					  size_t errlen);
void psrp_connection_put(struct psrp_session *s, struct winrm_session *w);

/* -CertificateThumbprint (thumbprint as PowerShell passes it): the
 * certificate's files from the user's certificate directory into s, and
 * a connection made with them and dropped, so that every problem with
 * them is known now. NO_ERROR, or the code of a refusal whose words are
 * remembered (psrp_error_remember). */
DWORD psrp_certificate_choose(struct psrp_session *s, PCWSTR thumbprint);

/* The Windows error code for a libwinrm failure on w (the WSManFault
 * code when the service sent one). */
DWORD psrp_error_code(enum winrm_result r, const struct winrm_session *w);
/* Remembers message as the text of code, for WSManGetErrorMessage. */
void psrp_error_remember(DWORD code, const char *message);
/* message (libwinrm's, in winrs' switches) with PowerShell's parameters
 * for them, as a new string (NULL when out of memory). */
char *psrp_powershell_words(const char *message);

/* UTF-16 strings from PowerShell as UTF-8 (NULL for NULL or for text
 * that is not UTF-16), and UTF-8 as a new UTF-16 string (NULL when out
 * of memory); free both. */
char *psrp_to_utf8(PCWSTR s);
char *psrp_to_utf8_n(PCWSTR s, size_t units);
WSMAN_CHAR *psrp_to_utf16(const char *s, size_t *units);

/* PowerShell's stream compression (psrp_xpress.c). negotiated: whether
 * the Create reply's rsp:Shell says CompressionMode XpressCompression.
 * start makes the shell's codec (0 for want of memory), end frees it.
 * encode and decode give a new buffer in *out (NULL for empty data); 0
 * when the data cannot be coded (decode: not xpress blocks, or more than
 * PowerShell's output can be). */
int psrp_xpress_negotiated(const char *shell_xml);
int psrp_xpress_start(struct psrp_shell *sh);
void psrp_xpress_end(struct psrp_shell *sh);
int psrp_xpress_encode(struct psrp_shell *sh, const uint8_t *in, size_t len, uint8_t **out,
		       size_t *out_len);
int psrp_xpress_decode(struct psrp_shell *sh, const uint8_t *in, size_t len, uint8_t **out,
		       size_t *out_len);

#endif
