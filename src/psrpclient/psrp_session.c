/* psrp_session: WSMan's API and session handles: initialisation, the
 * session's connection details and options, its pool of libwinrm
 * connections, error codes and their messages, and the UTF-16 strings
 * PowerShell passes (psrp_int.h). */
#include "psrpclient/psrp_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "common/buf.h"
#include "common/utf16.h"

/* The API handle carries nothing: every session holds what it needs. */
struct psrp_api {
	int unused;
};

static pthread_mutex_t psrp_mutex = PTHREAD_MUTEX_INITIALIZER;

void psrp_lock(void)
{
	pthread_mutex_lock(&psrp_mutex);
}

void psrp_unlock(void)
{
	pthread_mutex_unlock(&psrp_mutex);
}

void psrp_set(int *flag)
{
	psrp_lock();
	*flag = 1;
	psrp_unlock();
}

int psrp_unref(int *refs)
{
	int last;

	psrp_lock();
	last = --*refs == 0;
	psrp_unlock();
	return last;
}

/* ---- strings ---- */

/* The longest string PowerShell passes us: a creationXml of whole PSRP
 * fragments, with room to spare. */
#define PSRP_MAX_STRING_UNITS (4u << 20)

char *psrp_to_utf8_n(PCWSTR s, size_t units)
{
	struct buf out;
	char *text = NULL;

	if (!s || units > PSRP_MAX_STRING_UNITS)
		return NULL;
	buf_init(&out, 3 * units + 1);
	if (utf16_to_utf8(s, units, &out) == ERR_OK && buf_terminate(&out) == ERR_OK)
		text = strndup((const char *)buf_ptr(&out), buf_len(&out));
	buf_clear(&out);
	return text;
}

char *psrp_to_utf8(PCWSTR s)
{
	return s ? psrp_to_utf8_n(s, utf16_len(s)) : NULL;
}

WSMAN_CHAR *psrp_to_utf16(const char *s, size_t *units)
{
	size_t n = strlen(s), len = 0;
	WSMAN_CHAR *w = malloc(2 * n + 2);

	if (!w)
		return NULL;
	/* Text of ours or of the service's, which libwinrm checked is UTF-8;
	 * anything else becomes an empty string rather than a failure. */
	if (utf16_from_utf8(s, n, (unsigned char *)w, &len) != ERR_OK)
		len = 0;
	w[len / 2] = 0;
	if (units)
		*units = len / 2;
	return w;
}

/* ---- error codes and messages ---- */

/* Messages for the codes this library reports itself; a failure that
 * came with its own words (a fault, a refused connection) is remembered
 * under its code by psrp_error_remember. */
static const struct {
	DWORD code;
	const char *message;
} fixed_messages[] = {
    {ERROR_ACCESS_DENIED, "Access is denied: the service refused the user name, the password or "
			  "the authentication scheme."},
    {ERROR_NOT_SUPPORTED, "The request is not supported by libpsrpclient."},
    {ERROR_INVALID_PARAMETER, "The parameter is incorrect."},
    {ERROR_OUTOFMEMORY, "Not enough memory is available to complete this operation."},
    {ERROR_OPERATION_ABORTED, "The operation was cancelled."},
};

/* The last words of each code, a few codes deep. */
#define REMEMBERED_CODES 16
#define MAX_MESSAGE 1200
static struct {
	DWORD code;
	char message[MAX_MESSAGE];
} remembered[REMEMBERED_CODES];
static unsigned next_remembered;

void psrp_error_remember(DWORD code, const char *message)
{
	unsigned slot = next_remembered;

	psrp_lock();
	for (unsigned i = 0; i < REMEMBERED_CODES; i++)
		if (remembered[i].code == code && remembered[i].message[0])
			slot = i;
	if (slot == next_remembered)
		next_remembered = (next_remembered + 1) % REMEMBERED_CODES;
	remembered[slot].code = code;
	snprintf(remembered[slot].message, sizeof(remembered[slot].message), "%s", message);
	psrp_unlock();
}

/* The text of code into out (cap bytes). */
static void error_text(DWORD code, char *out, size_t cap)
{
	snprintf(out, cap, "WinRM client error %u (0x%08X).", code, code);
	for (size_t i = 0; i < sizeof(fixed_messages) / sizeof(fixed_messages[0]); i++)
		if (fixed_messages[i].code == code)
			snprintf(out, cap, "%s", fixed_messages[i].message);
	psrp_lock();
	for (unsigned i = 0; i < REMEMBERED_CODES; i++)
		if (remembered[i].code == code && remembered[i].message[0])
			snprintf(out, cap, "%s", remembered[i].message);
	psrp_unlock();
}

DWORD psrp_error_code(enum winrm_result r, const struct winrm_session *w)
{
	uint32_t fault = w ? winrm_fault_code(w) : 0;

	switch (r) {
	case WINRM_OK:
		return NO_ERROR;
	case WINRM_E_AUTH:
		return ERROR_ACCESS_DENIED;
	case WINRM_E_CONNECT:
		return ERROR_WSMAN_SENDDATA_CANNOT_CONNECT;
	case WINRM_E_TLS:
		return ERROR_WINHTTP_SECURE_FAILURE;
	case WINRM_E_FAULT:
	case WINRM_E_TIMEOUT:
		return fault ? fault : ERROR_WSMAN_OPERATION_TIMEDOUT;
	case WINRM_E_HTTP:
		return ERROR_WSMAN_HTTP_SERVICE_ERROR;
	case WINRM_E_PROTOCOL:
		return ERROR_INVALID_DATA;
	case WINRM_E_NOMEM:
		return ERROR_OUTOFMEMORY;
	case WINRM_E_NOT_SUPPORTED:
		return ERROR_NOT_SUPPORTED;
	case WINRM_E_USAGE:
	case WINRM_E_POLICY:
		break;
	}
	return ERROR_INVALID_PARAMETER;
}

/* PowerShell's two-call protocol: a first call with no buffer learns the
 * length (ERROR_INSUFFICIENT_BUFFER and *used, in characters with the
 * NUL). PowerShell passes its buffer's size in bytes as the length, twice
 * the characters it holds, so only the text and its NUL are written. */
static DWORD put_string(const char *text, DWORD length, WSMAN_CHAR *out, DWORD *used)
{
	size_t units;
	WSMAN_CHAR *w = psrp_to_utf16(text, &units);

	if (!w)
		return ERROR_OUTOFMEMORY;
	if (used)
		*used = (DWORD)units + 1;
	if (!out || length < units + 1) {
		free(w);
		return ERROR_INSUFFICIENT_BUFFER;
	}
	memcpy(out, w, (units + 1) * sizeof(WSMAN_CHAR));
	free(w);
	return NO_ERROR;
}

/* ---- the API handle ---- */

DWORD WSManInitialize(DWORD flags, WSMAN_API_HANDLE *api)
{
	if (!api || (flags != WSMAN_FLAG_REQUESTED_API_VERSION_1_0 &&
		     flags != WSMAN_FLAG_REQUESTED_API_VERSION_1_1))
		return ERROR_INVALID_PARAMETER;
	/* libxml2's one-time set-up, done before any worker thread parses
	 * (it is not safe to race on). */
	xmlInitParser();
	return (*api = calloc(1, sizeof(**api))) ? NO_ERROR : ERROR_OUTOFMEMORY;
}

DWORD WSManDeinitialize(WSMAN_API_HANDLE api, DWORD flags)
{
	(void)flags;
	free(api);
	return NO_ERROR;
}

DWORD WSManGetErrorMessage(WSMAN_API_HANDLE api, DWORD flags, PCWSTR language, DWORD code,
			   DWORD length, WSMAN_CHAR *message, DWORD *used)
{
	char text[MAX_MESSAGE];

	(void)language;
	if (!api || flags || !used)
		return ERROR_INVALID_PARAMETER;
	error_text(code, text, sizeof(text));
	return put_string(text, length, message, used);
}

/* ---- sessions ---- */

static void wipe_free(char *secret)
{
	if (secret)
		explicit_bzero(secret, strlen(secret));
	free(secret);
}

static void session_free(struct psrp_session *s)
{
	for (int i = 0; i < s->nidle; i++)
		winrm_session_free(s->idle[i]);
	free(s->target);
	free(s->user);
	wipe_free(s->password);
	free(s->thumbprint);
	free(s->cert_file);
	free(s->key_file);
	free(s->locale);
	free(s->ui_language);
	free(s);
}

void psrp_session_release(struct psrp_session *s)
{
	if (psrp_unref(&s->refs))
		session_free(s);
}

/* The scheme of WSMAN_AUTHENTICATION_CREDENTIALS; -1 for one libwinrm
 * does not have. */
static int auth_of(DWORD mechanism)
{
	switch (mechanism) {
	case WSMAN_FLAG_DEFAULT_AUTHENTICATION:
		return WINRM_AUTH_DEFAULT;
	case WSMAN_FLAG_NO_AUTHENTICATION:
		return WINRM_AUTH_NONE;
	case WSMAN_FLAG_AUTH_DIGEST:
		return WINRM_AUTH_DIGEST;
	case WSMAN_FLAG_AUTH_NEGOTIATE:
		return WINRM_AUTH_NEGOTIATE;
	case WSMAN_FLAG_AUTH_BASIC:
		return WINRM_AUTH_BASIC;
	case WSMAN_FLAG_AUTH_KERBEROS:
		return WINRM_AUTH_KERBEROS;
	case WSMAN_FLAG_AUTH_CREDSSP:
		return WINRM_AUTH_CREDSSP;
	case WSMAN_FLAG_AUTH_CLIENT_CERTIFICATE:
		return WINRM_AUTH_CERTIFICATE;
	}
	return -1;
}

/* PowerShell appends "?PSVersion=7.6.x" (";PSVersion=" after a query of
 * the user's) for Exchange's sake; WinRM ignores it, and so does the
 * target here. */
static char *connection_target(PCWSTR connection)
{
	char *t = connection ? psrp_to_utf8(connection) : strdup("127.0.0.1");
	char *q;

	if (t && (q = strstr(t, "PSVersion=")) && q > t && (q[-1] == '?' || q[-1] == ';'))
		q[-1] = 0;
	return t;
}

DWORD WSManCreateSession(WSMAN_API_HANDLE api, PCWSTR connection, DWORD flags,
			 WSMAN_AUTHENTICATION_CREDENTIALS *credentials, WSMAN_PROXY_INFO *proxy,
			 WSMAN_SESSION_HANDLE *session)
{
	struct psrp_session *s;
	int auth = credentials ? auth_of(credentials->authenticationMechanism) : WINRM_AUTH_DEFAULT;

	if (!session)
		return ERROR_INVALID_PARAMETER;
	*session = NULL;
	if (!api || flags)
		return ERROR_INVALID_PARAMETER;
	if (proxy && proxy->accessType != WSMAN_OPTION_PROXY_NO_PROXY_SERVER) {
		psrp_error_remember(ERROR_NOT_SUPPORTED,
				    "libpsrpclient connects directly and does not support a proxy: "
				    "leave the session option's ProxyAccessType unset or set it "
				    "to NoProxyServer ($o = New-PSSessionOption; "
				    "$o.ProxyAccessType = 'NoProxyServer').");
		return ERROR_NOT_SUPPORTED;
	}
	if (auth < 0) {
		psrp_error_remember(ERROR_NOT_SUPPORTED,
				    "libpsrpclient does not know this authentication mechanism: "
				    "use Basic over HTTPS, Negotiate, Kerberos or a certificate.");
		return ERROR_NOT_SUPPORTED;
	}
	if (!(s = calloc(1, sizeof(*s))))
		return ERROR_OUTOFMEMORY;
	s->refs = 1;
	s->auth = (enum winrm_auth)auth;
	s->timeout_ms = PSRP_MAX_OPERATION_TIMEOUT_MS;
	s->max_envelope_kb = 150;
	/* The credentials are a union: a certificate's has a thumbprint where
	 * the others have a user name. */
	if (!(s->target = connection_target(connection)) ||
	    (credentials && auth != WINRM_AUTH_NONE && auth != WINRM_AUTH_CERTIFICATE &&
	     credentials->userAccount.username &&
	     (!(s->user = psrp_to_utf8(credentials->userAccount.username)) ||
	      (credentials->userAccount.password &&
	       !(s->password = psrp_to_utf8(credentials->userAccount.password)))))) {
		session_free(s);
		return ERROR_INVALID_PARAMETER;
	}
	if (auth == WINRM_AUTH_CERTIFICATE) {
		DWORD code = psrp_certificate_choose(s, credentials->certificateThumbprint);
		if (code != NO_ERROR) {
			session_free(s);
			return code;
		}
	}
	*session = s;
	return NO_ERROR;
}

DWORD WSManCloseSession(WSMAN_SESSION_HANDLE s, DWORD flags)
{
	(void)flags;
	if (!s)
		return ERROR_INVALID_PARAMETER;
	psrp_set(&s->closed);
	psrp_session_release(s);
	return NO_ERROR;
}

/* ---- session options ---- */

/* What an option's DWORD value does to the connection flags. */
static const struct {
	DWORD option;
	unsigned flag;
} flag_options[] = {
    {WSMAN_OPTION_SKIP_CA_CHECK, WINRM_FLAG_SKIP_CA_CHECK},
    {WSMAN_OPTION_SKIP_CN_CHECK, WINRM_FLAG_SKIP_CN_CHECK},
    {WSMAN_OPTION_UNENCRYPTED_MESSAGES, WINRM_FLAG_NO_ENCRYPTION},
    {WSMAN_OPTION_USE_SSL, WINRM_FLAG_USE_SSL},
};

/* Options PowerShell sets whose effect is Windows' own and has no
 * equivalent here (UTF-16 bodies, the SPN's port, the interactive token,
 * revocation checks, implicit credentials, robust-connection retries,
 * per-operation timeouts, which the cap of every operation's timeout
 * makes moot): accepted, so New-PSSession goes on, and ignored. */
static int ignored_option(DWORD option)
{
	switch (option) {
	case WSMAN_OPTION_MAX_RETRY_TIME:
	case WSMAN_OPTION_TIMEOUTMS_CREATE_SHELL:
	case WSMAN_OPTION_TIMEOUTMS_RUN_SHELL_COMMAND:
	case WSMAN_OPTION_TIMEOUTMS_RECEIVE_SHELL_OUTPUT:
	case WSMAN_OPTION_TIMEOUTMS_SEND_SHELL_INPUT:
	case WSMAN_OPTION_TIMEOUTMS_SIGNAL_SHELL:
	case WSMAN_OPTION_TIMEOUTMS_CLOSE_SHELL:
	case WSMAN_OPTION_UTF16:
	case WSMAN_OPTION_ENABLE_SPN_SERVER_PORT:
	case WSMAN_OPTION_SKIP_REVOCATION_CHECK:
	case WSMAN_OPTION_ALLOW_NEGOTIATE_IMPLICIT_CREDENTIALS:
	case WSMAN_OPTION_USE_INTERACTIVE_TOKEN:
		return 1;
	}
	return 0;
}

static DWORD set_text_option(char **slot, const WSMAN_DATA *data)
{
	char *text;

	if (data->type != WSMAN_DATA_TYPE_TEXT ||
	    !(text = psrp_to_utf8_n(data->text.buffer, data->text.bufferLength)))
		return ERROR_INVALID_PARAMETER;
	psrp_lock();
	free(*slot);
	*slot = text;
	psrp_unlock();
	return NO_ERROR;
}

DWORD WSManSetSessionOption(WSMAN_SESSION_HANDLE s, DWORD option, WSMAN_DATA *data)
{
	if (!s || !data)
		return ERROR_INVALID_PARAMETER;
	if (option == WSMAN_OPTION_LOCALE)
		return set_text_option(&s->locale, data);
	if (option == WSMAN_OPTION_UI_LANGUAGE)
		return set_text_option(&s->ui_language, data);
	if (data->type != WSMAN_DATA_TYPE_DWORD)
		return ERROR_INVALID_PARAMETER;
	if (ignored_option(option))
		return NO_ERROR;
	psrp_lock();
	if (option == WSMAN_OPTION_DEFAULT_OPERATION_TIMEOUTMS && data->number)
		s->timeout_ms = data->number < PSRP_MAX_OPERATION_TIMEOUT_MS
				    ? data->number
				    : PSRP_MAX_OPERATION_TIMEOUT_MS;
	if (option == WSMAN_OPTION_MAX_ENVELOPE_SIZE_KB && data->number)
		s->max_envelope_kb = data->number;
	for (size_t i = 0; i < sizeof(flag_options) / sizeof(flag_options[0]); i++)
		if (flag_options[i].option == option)
			s->flags = data->number ? s->flags | flag_options[i].flag
						: s->flags & ~flag_options[i].flag;
	psrp_unlock();
	if (option == WSMAN_OPTION_DEFAULT_OPERATION_TIMEOUTMS ||
	    option == WSMAN_OPTION_MAX_ENVELOPE_SIZE_KB)
		return NO_ERROR;
	for (size_t i = 0; i < sizeof(flag_options) / sizeof(flag_options[0]); i++)
		if (flag_options[i].option == option)
			return NO_ERROR;
	return ERROR_INVALID_PARAMETER;
}

DWORD WSManGetSessionOptionAsDword(WSMAN_SESSION_HANDLE s, DWORD option, DWORD *value)
{
	DWORD r = NO_ERROR;

	if (!s || !value)
		return ERROR_INVALID_PARAMETER;
	psrp_lock();
	switch (option) {
	case WSMAN_OPTION_DEFAULT_OPERATION_TIMEOUTMS:
		*value = s->timeout_ms;
		break;
	case WSMAN_OPTION_MAX_ENVELOPE_SIZE_KB:
		*value = s->max_envelope_kb;
		break;
	/* PowerShell cuts its data into fragments of this size, and each
	 * must go out in one Send: a fragment cut across two would reach
	 * the service's PowerShell in pieces. */
	case WSMAN_OPTION_SHELL_MAX_DATA_SIZE_PER_MESSAGE_KB:
		*value = WINRM_SEND_MAX_BYTES >> 10;
		break;
	/* No robust-connection retries. */
	case WSMAN_OPTION_MAX_RETRY_TIME:
		*value = 0;
		break;
	/* PowerShell on Unix asks for SKIP_CA_CHECK only to learn whether
	 * this library verifies certificates (it does): any answer but
	 * NO_ERROR makes it refuse HTTPS without -SkipCACheck -SkipCNCheck. */
	default:
		r = ERROR_INVALID_PARAMETER;
		for (size_t i = 0; i < sizeof(flag_options) / sizeof(flag_options[0]); i++)
			if (flag_options[i].option == option) {
				*value = (s->flags & flag_options[i].flag) != 0;
				r = NO_ERROR;
			}
	}
	psrp_unlock();
	return r;
}

DWORD WSManGetSessionOptionAsString(WSMAN_SESSION_HANDLE s, DWORD option, DWORD length,
				    WSMAN_CHAR *value, DWORD *used)
{
	char *text = NULL;
	DWORD r;

	if (!s || !used)
		return ERROR_INVALID_PARAMETER;
	psrp_lock();
	if (option == WSMAN_OPTION_LOCALE || option == WSMAN_OPTION_UI_LANGUAGE) {
		const char *v = option == WSMAN_OPTION_LOCALE ? s->locale : s->ui_language;
		text = strdup(v ? v : "");
	}
	psrp_unlock();
	if (option != WSMAN_OPTION_LOCALE && option != WSMAN_OPTION_UI_LANGUAGE)
		return ERROR_INVALID_PARAMETER;
	if (!text)
		return ERROR_OUTOFMEMORY;
	r = put_string(text, length, value, used);
	free(text);
	return r;
}

/* ---- connections ---- */

struct winrm_session *psrp_connection_get(struct psrp_session *s, DWORD *code, char *errbuf,
					  size_t errlen)
{
	struct winrm_options o = {0};
	struct winrm_session *w = NULL;
	enum winrm_result r;

	psrp_lock();
	if (s->nidle)
		w = s->idle[--s->nidle];
	o.target = s->target;
	o.user = s->user;
	o.password = s->password;
	o.auth = s->auth;
	o.flags = s->flags;
	o.timeout_ms = s->timeout_ms;
	psrp_unlock();
	if (w)
		return w;
	/* The session's strings stay as they are while a worker holds it:
	 * only the text options change, and the options are not read here. */
	if ((r = winrm_session_new(&o, &w, errbuf, errlen)) != WINRM_OK) {
		*code = psrp_error_code(r, NULL);
		return NULL;
	}
	if (s->cert_file &&
	    winrm_session_set_certificate(w, s->cert_file, s->key_file) != WINRM_OK) {
		snprintf(errbuf, errlen,
			 "The certificate with thumbprint %s, in %s, cannot be used for "
			 "-CertificateThumbprint: %s.",
			 s->thumbprint, s->cert_file, winrm_error(w));
		*code = ERROR_WSMAN_CERT_NOT_FOUND;
		winrm_session_free(w);
		return NULL;
	}
	return w;
}

void psrp_connection_put(struct psrp_session *s, struct winrm_session *w)
{
	psrp_lock();
	if (!s->closed && s->nidle < PSRP_POOL_MAX) {
		s->idle[s->nidle++] = w;
		w = NULL;
	}
	psrp_unlock();
	winrm_session_free(w);
}
