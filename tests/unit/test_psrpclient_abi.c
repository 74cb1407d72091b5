/* Unit tests for src/psrpclient (libpsrpclient.so as PowerShell loads
 * it, with dlopen): the exported set, the UTF-16 conversions, the error
 * messages' two-call protocol, the session options PowerShell sets and
 * reads, the certificate files of -CertificateThumbprint, completions
 * without a service (connection refused comes back as an error in the
 * callback, not a hang), and a whole pipeline's cycle against a canned
 * service, with PowerShell's calls from inside the completions. The LP64
 * layouts are pinned at compile time by the static assertions of
 * wsman_api.h, included here. */
#include <arpa/inet.h>
#include <ctype.h>
#include <dlfcn.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/utf16.h"
#include "psrpclient/wsman_api.h"
#include "check.h"
#include "wsman_calls.h"

static const char *const exports[] = {
    "WSManInitialize",
    "WSManDeinitialize",
    "WSManGetErrorMessage",
    "WSManCreateSession",
    "WSManCloseSession",
    "WSManSetSessionOption",
    "WSManGetSessionOptionAsDword",
    "WSManGetSessionOptionAsString",
    "WSManCloseOperation",
    "WSManCreateShellEx",
    "WSManRunShellCommandEx",
    "WSManSendShellInput",
    "WSManReceiveShellOutput",
    "WSManSignalShell",
    "WSManCloseCommand",
    "WSManCloseShell",
    "WSManDisconnectShell",
    "WSManReconnectShell",
    "WSManReconnectShellCommand",
    "WSManConnectShell",
    "WSManConnectShellCommand",
    /* the project's own, for its Microsoft.WSMan.Management module */
    "OpenWinRMEnumerate",
    "OpenWinRMFree",
};

/* UTF-16 w of n units as UTF-8 into out. */
static int u8(const WSMAN_CHAR *w, size_t n, char *out, size_t cap)
{
	struct buf b;
	int ok;

	buf_init(&b, cap - 1);
	ok = utf16_to_utf8(w, n, &b) == ERR_OK;
	if (ok) {
		memcpy(out, buf_ptr(&b), buf_len(&b));
		out[buf_len(&b)] = 0;
	}
	buf_clear(&b);
	return ok;
}

static void load(void)
{
	char self[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	self[n > 0 ? n : 0] = 0;
	/* BUILD/tests/test_psrpclient_abi -> BUILD/libpsrpclient.so */
	if ((slash = strrchr(self, '/')))
		*slash = 0;
	snprintf(path, sizeof(path), "%s/../libpsrpclient.so", self);
	lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	CHECK("dlopen libpsrpclient.so from the build directory", lib != NULL);
	if (!lib)
		printf("# %s\n", dlerror());
}

static void test_exports(void)
{
	static const char *const internal[] = {"winrm_session_new", "winrm_shell_create_ex",
					       "utf16_to_utf8",	    "psrp_lock",
					       "buf_init",	    "shell_op_at"};
	int all = 1, none = 1;

	for (size_t i = 0; i < sizeof(exports) / sizeof(exports[0]); i++)
		if (!dlsym(lib, exports[i])) {
			printf("# not exported: %s\n", exports[i]);
			all = 0;
		}
	CHECK("exports: the 21 functions PowerShell calls", all);
	for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
		if (dlsym(lib, internal[i])) {
			printf("# exported but internal: %s\n", internal[i]);
			none = 0;
		}
	CHECK("exports: libwinrm and the library's own functions stay internal", none);
}

static void test_utf16(void)
{
	/* "é€😀" and back */
	static const char text[] = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
	static const WSMAN_CHAR wide[] = {0xe9, 0x20ac, 0xd83d, 0xde00};
	static const WSMAN_CHAR lone_high[] = {'a', 0xd83d}, lone_low[] = {0xde00, 'a'};
	unsigned char le[32];
	WSMAN_CHAR units[16];
	size_t len = 0;
	char back[32];

	CHECK("utf16: from UTF-8, a surrogate pair for U+1F600",
	      utf16_from_utf8(text, strlen(text), le, &len) == ERR_OK && len == sizeof(wide) &&
		  (memcpy(units, le, len), memcmp(units, wide, len) == 0));
	CHECK("utf16: to UTF-8", u8(wide, 4, back, sizeof(back)) && strcmp(back, text) == 0);
	CHECK("utf16: an unpaired high surrogate is refused",
	      !u8(lone_high, 2, back, sizeof(back)));
	CHECK("utf16: an unpaired low surrogate is refused", !u8(lone_low, 2, back, sizeof(back)));
	CHECK("utf16: ill-formed UTF-8 is refused",
	      utf16_from_utf8("\xc0\xaf", 2, le, &len) == ERR_FORMAT);
	CHECK("utf16: length", utf16_len((const WSMAN_CHAR[]){'a', 0xd83d, 0xde00, 0}) == 3 &&
				   utf16_len((const WSMAN_CHAR[]){0}) == 0);
}

/* WSManGetErrorMessage as PowerShell calls it: the length first, then the
 * text into a buffer of that many characters. */
static int error_message(WSMAN_API_HANDLE api, DWORD code, char *out, size_t cap)
{
	DWORD used = 0, again = 0;
	WSMAN_CHAR *buf;
	int ok;

	if (API(WSManGetErrorMessage)(api, 0, NULL, code, 0, NULL, &used) !=
		ERROR_INSUFFICIENT_BUFFER ||
	    !used || !(buf = calloc(used, sizeof(*buf))))
		return 0;
	/* PowerShell passes the size in bytes: twice the characters. */
	ok = API(WSManGetErrorMessage)(api, 0, NULL, code, 2 * used, buf, &again) == NO_ERROR &&
	     again == used && buf[used - 1] == 0 && u8(buf, used - 1, out, cap);
	free(buf);
	return ok;
}

static void test_errors(WSMAN_API_HANDLE api)
{
	char text[1300];
	DWORD used;

	CHECK("errors: not supported, in words",
	      error_message(api, ERROR_NOT_SUPPORTED, text, sizeof(text)) &&
		  strstr(text, "not supported"));
	CHECK("errors: access denied names the credentials",
	      error_message(api, ERROR_ACCESS_DENIED, text, sizeof(text)) &&
		  strstr(text, "password"));
	CHECK("errors: an unknown code still gets a sentence",
	      error_message(api, 0x8033abcd, text, sizeof(text)) && strstr(text, "0x8033ABCD"));
	CHECK("errors: a buffer too small is refused with the length",
	      API(WSManGetErrorMessage)(api, 0, NULL, ERROR_NOT_SUPPORTED, 3, (WSMAN_CHAR[3]){0},
					&used) == ERROR_INSUFFICIENT_BUFFER &&
		  used > 3);
}

/* name: the user name, or the certificate's thumbprint (the same slot of
 * the credentials' union). */
static WSMAN_SESSION_HANDLE session_as(WSMAN_API_HANDLE api, const char *url, DWORD mechanism,
				       const char *name, WSMAN_PROXY_INFO *proxy, DWORD *status)
{
	WSMAN_CHAR *conn = u16(url), *user = u16(name), *password = u16("secret");
	WSMAN_AUTHENTICATION_CREDENTIALS cred = {.authenticationMechanism = mechanism};
	WSMAN_SESSION_HANDLE s = NULL;

	cred.userAccount.username = user;
	cred.userAccount.password = password;
	*status = API(WSManCreateSession)(api, conn, 0, &cred, proxy, &s);
	free(conn);
	free(user);
	free(password);
	return s;
}

static WSMAN_SESSION_HANDLE new_session(WSMAN_API_HANDLE api, const char *url, DWORD mechanism,
					WSMAN_PROXY_INFO *proxy, DWORD *status)
{
	return session_as(api, url, mechanism, "someone", proxy, status);
}

static DWORD set_dword(WSMAN_SESSION_HANDLE s, DWORD option, DWORD value)
{
	WSMAN_DATA d = {.type = WSMAN_DATA_TYPE_DWORD, .number = value};

	return API(WSManSetSessionOption)(s, option, &d);
}

static void test_options(WSMAN_API_HANDLE api)
{
	/* Every option WSManClientSessionTransportManager.Initialize may set. */
	static const DWORD powershell_sets[] = {
	    WSMAN_OPTION_DEFAULT_OPERATION_TIMEOUTMS,
	    WSMAN_OPTION_TIMEOUTMS_CREATE_SHELL,
	    WSMAN_OPTION_TIMEOUTMS_CLOSE_SHELL,
	    WSMAN_OPTION_TIMEOUTMS_SIGNAL_SHELL,
	    WSMAN_OPTION_USE_SSL,
	    WSMAN_OPTION_UNENCRYPTED_MESSAGES,
	    WSMAN_OPTION_ALLOW_NEGOTIATE_IMPLICIT_CREDENTIALS,
	    WSMAN_OPTION_UTF16,
	    WSMAN_OPTION_SKIP_CA_CHECK,
	    WSMAN_OPTION_SKIP_CN_CHECK,
	    WSMAN_OPTION_SKIP_REVOCATION_CHECK,
	    WSMAN_OPTION_ENABLE_SPN_SERVER_PORT,
	    WSMAN_OPTION_USE_INTERACTIVE_TOKEN,
	    WSMAN_OPTION_MAX_ENVELOPE_SIZE_KB,
	};
	WSMAN_PROXY_INFO proxy = {.accessType = WSMAN_OPTION_PROXY_WINHTTP_PROXY_CONFIG};
	WSMAN_CHAR *locale = u16("en-US"), got[16];
	WSMAN_DATA text = {.type = WSMAN_DATA_TYPE_TEXT};
	WSMAN_SESSION_HANDLE s;
	DWORD st, v = 7, used = 0;
	int all = 1;
	char msg[1300];

	s = new_session(api, "https://127.0.0.1:5986/wsman?PSVersion=7.6.10", WSMAN_FLAG_AUTH_BASIC,
			NULL, &st);
	CHECK("options: a session with Basic credentials", st == NO_ERROR && s);
	for (size_t i = 0; i < sizeof(powershell_sets) / sizeof(powershell_sets[0]); i++)
		if (set_dword(s, powershell_sets[i], 1) != NO_ERROR) {
			printf("# option %u refused\n", powershell_sets[i]);
			all = 0;
		}
	CHECK("options: every option PowerShell sets is accepted", all);
	text.text.buffer = locale;
	text.text.bufferLength = 5;
	CHECK("options: the locale, as text",
	      API(WSManSetSessionOption)(s, WSMAN_OPTION_LOCALE, &text) == NO_ERROR &&
		  API(WSManGetSessionOptionAsString)(s, WSMAN_OPTION_LOCALE, 0, NULL, &used) ==
		      ERROR_INSUFFICIENT_BUFFER &&
		  used == 6 &&
		  API(WSManGetSessionOptionAsString)(s, WSMAN_OPTION_LOCALE, 32, got, &used) ==
		      NO_ERROR &&
		  memcmp(got, locale, 6 * sizeof(WSMAN_CHAR)) == 0);
	CHECK("options: SKIP_CA_CHECK answers (PowerShell's test for certificate checks)",
	      API(WSManGetSessionOptionAsDword)(s, WSMAN_OPTION_SKIP_CA_CHECK, &v) == NO_ERROR &&
		  v == 1);
	CHECK("options: the data per message fits one Send",
	      API(WSManGetSessionOptionAsDword)(s, WSMAN_OPTION_SHELL_MAX_DATA_SIZE_PER_MESSAGE_KB,
						&v) == NO_ERROR &&
		  v > 64 && (v << 10) <= 112128);
	CHECK("options: an unknown option is refused",
	      set_dword(s, 99, 1) == ERROR_INVALID_PARAMETER);
	CHECK("options: a DWORD option given as text is refused",
	      API(WSManSetSessionOption)(s, WSMAN_OPTION_SKIP_CA_CHECK, &text) ==
		  ERROR_INVALID_PARAMETER);
	CHECK("options: close", API(WSManCloseSession)(s, 0) == NO_ERROR);
	free(locale);

	s = new_session(api, "http://127.0.0.1:5985/wsman", WSMAN_FLAG_AUTH_NEGOTIATE, &proxy, &st);
	CHECK("proxy: refused as not supported", st == ERROR_NOT_SUPPORTED && !s);
	CHECK("proxy: the message says what to set",
	      error_message(api, ERROR_NOT_SUPPORTED, msg, sizeof(msg)) &&
		  strstr(msg, "ProxyAccessType = 'NoProxyServer'"));
}

/* ---- certificates (-CertificateThumbprint) ---- */

/* A self-signed certificate of key; its thumbprint in hex. */
static X509 *make_certificate(EVP_PKEY *key, char hex[41])
{
	X509 *x = X509_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!x || !key || !X509_set_version(x, 2) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -60) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 86400) ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
					(const unsigned char *)"psrpclient-unit", -1, -1, 0) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(x)) || !X509_set_pubkey(x, key) ||
	    !X509_sign(x, key, EVP_sha256()) || X509_digest(x, EVP_sha1(), md, &n) != 1)
		abort();
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02X", md[i]);
	return x;
}

/* dir/name holding x and key (either may be NULL), with mode. */
static void write_pem(const char *dir, const char *name, X509 *x, EVP_PKEY *key, mode_t mode)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "w")) || (x && !PEM_write_X509(f, x)) ||
	    (key && !PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)) || fclose(f) != 0 ||
	    chmod(path, mode) != 0)
		abort();
}

/* The certificate session's status for thumbprint over url, and the
 * message remembered for it. */
static DWORD certificate_session(WSMAN_API_HANDLE api, const char *url, const char *thumbprint,
				 char *msg, size_t cap)
{
	DWORD st;
	WSMAN_SESSION_HANDLE s =
	    session_as(api, url, WSMAN_FLAG_AUTH_CLIENT_CERTIFICATE, thumbprint, NULL, &st);

	msg[0] = 0;
	if (s)
		API(WSManCloseSession)(s, 0);
	else if (!error_message(api, st, msg, cap))
		msg[0] = 0;
	return st;
}

static void test_certificates(WSMAN_API_HANDLE api)
{
	const char *https = "https://127.0.0.1:5986/wsman?PSVersion=7.6.10";
	char dir[] = "/tmp/psrpclient-certs-XXXXXX", msg[1300], hex[41], other_hex[41];
	char pasted[60] = "", unknown[41];
	EVP_PKEY *key = EVP_EC_gen("P-256"), *other_key = EVP_EC_gen("P-256");
	X509 *x = make_certificate(key, hex), *other = make_certificate(other_key, other_hex);

	if (!mkdtemp(dir))
		abort();
	setenv("OPENWINRM_CERTIFICATES", dir, 1);
	/* In pairs separated by spaces, as Windows' certificate dialog shows
	 * it, in lower case (u16 takes ASCII: the U+200E that starts
	 * Windows' copies is in tests/e2e/test_psrpclient_certificate.py). */
	for (int i = 0; i < 40; i += 2)
		snprintf(pasted + strlen(pasted), 4, "%c%c%s", tolower(hex[i]), tolower(hex[i + 1]),
			 i < 38 ? " " : "");
	write_pem(dir, "mine.pem", x, key, 0600);
	CHECK("certificates: found by a thumbprint as Windows shows it",
	      certificate_session(api, https, pasted, msg, sizeof(msg)) == NO_ERROR);
	CHECK("certificates: refused over http://, in PowerShell's words",
	      certificate_session(api, "http://127.0.0.1:5985/wsman", hex, msg, sizeof(msg)) &&
		  strstr(msg, "HTTPS only") && strstr(msg, "-UseSSL"));
	memset(unknown, '0', 40);
	unknown[40] = 0;
	CHECK("certificates: an unknown thumbprint is refused, naming it and the directory",
	      certificate_session(api, https, unknown, msg, sizeof(msg)) ==
		      ERROR_WSMAN_CERT_NOT_FOUND &&
		  strstr(msg, unknown) && strstr(msg, dir));
	CHECK("certificates: a thumbprint of no hash is refused",
	      certificate_session(api, https, "someone", msg, sizeof(msg)) ==
		      ERROR_WSMAN_CERT_NOT_FOUND &&
		  strstr(msg, "not a certificate thumbprint"));
	snprintf(msg, sizeof(msg), "%s/mine.pem", dir);
	chmod(msg, 0640);
	CHECK("certificates: a key others can read is refused",
	      certificate_session(api, https, hex, msg, sizeof(msg)) ==
		      ERROR_WSMAN_CERT_NOT_FOUND &&
		  strstr(msg, "(mode 0640)") && strstr(msg, "chmod 600"));

	write_pem(dir, "other.pem", other, NULL, 0644);
	CHECK("certificates: a certificate without its key is refused, saying where it goes",
	      certificate_session(api, https, other_hex, msg, sizeof(msg)) ==
		      ERROR_WSMAN_CERT_NOT_FOUND &&
		  strstr(msg, "beside it as NAME.key") && !strstr(msg, "-certificatekey"));
	write_pem(dir, "other.key", NULL, key, 0600);
	CHECK("certificates: a key not the certificate's is refused",
	      certificate_session(api, https, other_hex, msg, sizeof(msg)) ==
		      ERROR_WSMAN_CERT_NOT_FOUND &&
		  strstr(msg, "does not match"));
	write_pem(dir, "other.key", NULL, other_key, 0600);
	CHECK("certificates: NAME.pem with its key in NAME.key",
	      certificate_session(api, https, other_hex, msg, sizeof(msg)) == NO_ERROR);

	for (const char *const *f =
		 (const char *const[]){"mine.pem", "other.pem", "other.key", NULL};
	     *f; f++) {
		snprintf(msg, sizeof(msg), "%s/%s", dir, *f);
		unlink(msg);
	}
	rmdir(dir);
	unsetenv("OPENWINRM_CERTIFICATES");
	X509_free(x);
	X509_free(other);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other_key);
}

/* ---- completions ---- */

/* A loopback port nobody listens on. */
static int closed_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void test_no_service(WSMAN_API_HANDLE api)
{
	struct completion c = COMPLETION_INIT;
	WSMAN_SHELL_ASYNC async = {.operationContext = &c, .completionFunction = on_complete};
	WSMAN_CHAR *uri = u16("http://schemas.microsoft.com/powershell/Microsoft.PowerShell");
	WSMAN_CHAR *id = u16("76056A84-51DC-4F24-9262-CA2A55464B2B");
	WSMAN_CHAR *xml = u16("<creationXml xmlns=\"http://schemas.microsoft.com/powershell\">"
			      "AAAAAAAAAAEAAAAAAAAAAAMAAADHAgAAAAIAAQB2</creationXml>");
	WSMAN_CHAR *pv_name = u16("protocolversion"), *pv = u16("2.3");
	WSMAN_OPTION pv_option = {.name = pv_name, .value = pv, .mustComply = 1};
	WSMAN_OPTION_SET options = {.optionsCount = 1, .options = &pv_option};
	WSMAN_DATA content = {.type = WSMAN_DATA_TYPE_TEXT};
	WSMAN_SHELL_HANDLE shell = NULL;
	WSMAN_SESSION_HANDLE s;
	char url[64];
	DWORD st;

	snprintf(url, sizeof(url), "https://127.0.0.1:%d/wsman?PSVersion=7.6.10", closed_port());
	s = new_session(api, url, WSMAN_FLAG_AUTH_BASIC, NULL, &st);
	CHECK("no service: session", st == NO_ERROR && s);
	set_dword(s, WSMAN_OPTION_SKIP_CA_CHECK, 1);
	set_dword(s, WSMAN_OPTION_SKIP_CN_CHECK, 1);
	content.text.buffer = xml;
	content.text.bufferLength = (DWORD)utf16_len(xml);
	API(WSManCreateShellEx)(s, 0, uri, id, NULL, &options, &content, &async, &shell);
	CHECK("no service: the shell handle is there when the call returns", shell != NULL);
	CHECK("no service: the completion comes, with an error", wait_calls(&c, 1, 60));
	CHECK("no service: cannot connect, end of operation, this shell",
	      c.code == ERROR_WSMAN_SENDDATA_CANNOT_CONNECT &&
		  c.flags == WSMAN_FLAG_CALLBACK_END_OF_OPERATION && c.shell == shell);
	CHECK("no service: the detail names the refused connection",
	      strstr(c.detail, "127.0.0.1") != NULL);
	if (!strstr(c.detail, "127.0.0.1"))
		printf("# detail: %s\n", c.detail);

	API(WSManDisconnectShell)(shell, 0, &(WSMAN_SHELL_DISCONNECT_INFO){0}, &async);
	CHECK("disconnect: asked of the service, which is not there",
	      wait_calls(&c, 2, 30) && c.code == ERROR_WSMAN_SENDDATA_CANNOT_CONNECT &&
		  c.flags == WSMAN_FLAG_CALLBACK_END_OF_OPERATION);
	/* The shell was never created: closing it asks nothing of the service. */
	API(WSManCloseShell)(shell, 0, &async);
	CHECK("close: a shell that failed to be created closes at once",
	      wait_calls(&c, 3, 30) && c.code == NO_ERROR &&
		  c.flags == WSMAN_FLAG_CALLBACK_END_OF_OPERATION);
	API(WSManCloseSession)(s, 0);
	free(uri);
	free(id);
	free(xml);
	free(pv_name);
	free(pv);
	/* The workers end right after their last completion returns. */
	usleep(200 * 1000);
}

/* ---- a whole cycle against a canned service ---- */

#define NS_ENV                                                                                     \
	"xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "                                     \
	"xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "                            \
	"xmlns:x=\"http://schemas.xmlsoap.org/ws/2004/09/transfer\" "                              \
	"xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\""
#define REPLY(action, body)                                                                        \
	"<s:Envelope " NS_ENV "><s:Header><a:Action>" action "</a:Action>"                         \
	"<a:MessageID>uuid:00000000-0000-0000-0000-000000000001</a:MessageID></s:Header>"          \
	"<s:Body>" body "</s:Body></s:Envelope>"
#define SHELL_NS "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
#define PS_SHELL_ID "76056A84-51DC-4F24-9262-CA2A55464B2B"
#define PS_COMMAND_ID "8372DF51-5986-4AC3-96B4-8C519AE0976F"

/* What the canned service answers each action with (a Windows-shaped
 * reply; the command's Receive: two stream pieces and Done). */
static const struct {
	const char *action, *reply;
} canned[] = {
    {"transfer/Create",
     REPLY("http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse",
	   "<x:ResourceCreated><a:Address>http://127.0.0.1/wsman</a:Address></x:ResourceCreated>"
	   "<rsp:Shell><rsp:ShellId>" PS_SHELL_ID "</rsp:ShellId>"
	   "<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut><rsp:BufferMode>Block</rsp:BufferMode>"
	   "</rsp:Shell>")},
    {"shell/Command",
     REPLY(SHELL_NS "/CommandResponse", "<rsp:CommandResponse><rsp:CommandId>" PS_COMMAND_ID
					"</rsp:CommandId></rsp:CommandResponse>")},
    {"shell/Send", REPLY(SHELL_NS "/SendResponse", "<rsp:SendResponse/>")},
    {"shell/Receive",
     REPLY(SHELL_NS "/ReceiveResponse",
	   "<rsp:ReceiveResponse><rsp:Stream Name=\"stdout\" CommandId=\"" PS_COMMAND_ID
	   "\">YWJj</rsp:Stream><rsp:Stream Name=\"stdout\" CommandId=\"" PS_COMMAND_ID
	   "\">ZGVmZw==</rsp:Stream><rsp:CommandState CommandId=\"" PS_COMMAND_ID
	   "\" State=\"" SHELL_NS "/CommandState/Done\"><rsp:ExitCode>0</rsp:ExitCode>"
	   "</rsp:CommandState></rsp:ReceiveResponse>")},
    {"shell/Signal", REPLY(SHELL_NS "/SignalResponse", "<rsp:SignalResponse/>")},
    {"transfer/Delete", REPLY("http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse", "")},
};

/* The same service when Create negotiated xpress (MS-WSMV 3.1.4.1.31.6):
 * its Create says so, and its output pieces ("abc", "defg") are stored
 * xpress blocks, behind their "size - 1" headers. */
static const char xpress_create[] =
    REPLY("http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse",
	  "<x:ResourceCreated><a:Address>http://127.0.0.1/wsman</a:Address></x:ResourceCreated>"
	  "<rsp:Shell><rsp:ShellId>" PS_SHELL_ID "</rsp:ShellId>"
	  "<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut>"
	  "<rsp:CompressionMode>XpressCompression</rsp:CompressionMode></rsp:Shell>");
static const char xpress_receive[] =
    REPLY(SHELL_NS "/ReceiveResponse",
	  "<rsp:ReceiveResponse><rsp:Stream Name=\"stdout\" CommandId=\"" PS_COMMAND_ID
	  "\">AgACAGFiYw==</rsp:Stream><rsp:Stream Name=\"stdout\" CommandId=\"" PS_COMMAND_ID
	  "\">AwADAGRlZmc=</rsp:Stream><rsp:CommandState CommandId=\"" PS_COMMAND_ID
	  "\" State=\"" SHELL_NS "/CommandState/Done\"><rsp:ExitCode>0</rsp:ExitCode>"
	  "</rsp:CommandState></rsp:ReceiveResponse>");
#define ASKS_XPRESS "<rsp:CompressionType s:mustUnderstand=\"true\">xpress</rsp:CompressionType>"
/* "fragment" as one stored xpress block */
#define SENT_BLOCKS ">BwAHAGZyYWdtZW50<"

/* What a broken service or a middlebox might send instead of a Receive's
 * reply: a SOAP envelope cut short. */
static const char malformed_receive[] =
    "<s:Envelope " NS_ENV "><s:Header><a:Action>" SHELL_NS "/ReceiveResponse</a:Action>"
    "</s:Header><s:Body><rsp:ReceiveResponse><rsp:Stream Name=\"stdout\" CommandId=";

struct canned_service {
	int fd, port;
	int xpress;    /* answer as a service that agreed to xpress */
	int malformed; /* answer Receive with malformed_receive */
	int requests[sizeof(canned) / sizeof(canned[0])];
	int stop_signals; /* Signals with PowerShell's stop code */
	int asked_xpress; /* Creates with rsp:CompressionType xpress */
	int sent_blocks;  /* Sends of "fragment" as xpress blocks */
};

/* Reads one request of the connection (headers, then Content-Length
 * bytes) into req; its length, 0 at the end of the connection. */
static size_t read_request(int fd, char *req, size_t cap)
{
	size_t n = 0, need = 0;
	char *end;

	while (n < cap - 1) {
		ssize_t got = read(fd, req + n, cap - 1 - n);
		if (got <= 0)
			return 0;
		n += (size_t)got;
		req[n] = 0;
		if (!need && (end = strstr(req, "\r\n\r\n"))) {
			char *cl = strcasestr(req, "Content-Length:");
			need = (size_t)(end + 4 - req) + (cl ? strtoul(cl + 15, NULL, 10) : 0);
		}
		if (need && n >= need)
			return n;
	}
	return 0;
}

struct canned_connection {
	struct canned_service *svc;
	int fd;
};

/* One connection's requests, answered in turn. The library's operations
 * run at once on connections of their own (a pooled one may not be back
 * yet), as with a real service: each connection has its thread. */
static void *serve_connection(void *arg)
{
	struct canned_connection *conn = arg;
	struct canned_service *svc = conn->svc;
	int c = conn->fd;
	char *req = malloc(1 << 20);

	while (req && read_request(c, req, 1 << 20)) {
		char head[160];
		const char *reply = NULL;
		for (size_t i = 0; i < sizeof(canned) / sizeof(canned[0]); i++)
			if (strstr(req, canned[i].action)) {
				reply = canned[i].reply;
				__atomic_add_fetch(&svc->requests[i], 1, __ATOMIC_SEQ_CST);
			}
		if (strstr(req, "<rsp:Code>powershell/signal/crtl_c</rsp:Code>"))
			__atomic_add_fetch(&svc->stop_signals, 1, __ATOMIC_SEQ_CST);
		if (strstr(req, ASKS_XPRESS))
			__atomic_add_fetch(&svc->asked_xpress, 1, __ATOMIC_SEQ_CST);
		if (strstr(req, SENT_BLOCKS))
			__atomic_add_fetch(&svc->sent_blocks, 1, __ATOMIC_SEQ_CST);
		if (svc->xpress && reply == canned[0].reply)
			reply = xpress_create;
		if (svc->xpress && reply == canned[3].reply)
			reply = xpress_receive;
		if (svc->malformed && reply == canned[3].reply)
			reply = malformed_receive;
		if (!reply)
			break;
		snprintf(head, sizeof(head),
			 "HTTP/1.1 200 OK\r\nContent-Type: "
			 "application/soap+xml;charset=UTF-8\r\n"
			 "Content-Length: %zu\r\n\r\n",
			 strlen(reply));
		if (write(c, head, strlen(head)) < 0 || write(c, reply, strlen(reply)) < 0)
			break;
	}
	free(req);
	close(c);
	free(conn);
	return NULL;
}

/* Waits up to seconds for the canned service to have had n requests of
 * canned[row]; whether it had. */
static int requests_reach(struct canned_service *svc, size_t row, int n, int seconds)
{
	for (int i = 0; i < seconds * 100; i++) {
		if (__atomic_load_n(&svc->requests[row], __ATOMIC_SEQ_CST) >= n)
			return 1;
		usleep(10 * 1000);
	}
	return 0;
}

static void *serve(void *arg)
{
	struct canned_service *svc = arg;
	int c;

	while ((c = accept(svc->fd, NULL, NULL)) >= 0) {
		struct canned_connection *conn = malloc(sizeof(*conn));
		pthread_t t;
		if (conn)
			*conn = (struct canned_connection){svc, c};
		if (!conn || pthread_create(&t, NULL, serve_connection, conn) != 0) {
			free(conn);
			close(c);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

/* What PowerShell's completions do, recorded: each callback's flags and
 * bytes, and, as WSManTransportManager does, the operation closed from
 * inside the completion that ends it. */
struct recorder {
	struct completion c;
	size_t bytes;
	int ended_with_data; /* the END_OF_OPERATION call carried a data struct */
	DWORD exit_code;
	char state[128];
};

static void on_receive(void *ctx, DWORD flags, WSMAN_ERROR *error, WSMAN_SHELL_HANDLE shell,
		       WSMAN_COMMAND_HANDLE command, WSMAN_OPERATION_HANDLE operation,
		       WSMAN_RESPONSE_DATA *data)
{
	struct recorder *r = ctx;
	const WSMAN_RECEIVE_DATA_RESULT *rd = data ? &data->receiveData : NULL;

	if (rd)
		r->bytes += rd->streamData.binaryData.dataLength;
	if (flags == WSMAN_FLAG_CALLBACK_END_OF_OPERATION) {
		r->ended_with_data = rd != NULL;
		if (rd && rd->commandState)
			u8(rd->commandState, utf16_len(rd->commandState), r->state,
			   sizeof(r->state));
		r->exit_code = rd ? rd->exitCode : 99;
		API(WSManCloseOperation)(operation, 0);
	}
	on_complete(&r->c, flags, error, shell, command, operation, data);
}

/* Create's completion: the rsp:Shell PowerShell reads IdleTimeOut from. */
static char shell_xml[1024];

static void on_create(void *ctx, DWORD flags, WSMAN_ERROR *error, WSMAN_SHELL_HANDLE shell,
		      WSMAN_COMMAND_HANDLE command, WSMAN_OPERATION_HANDLE operation,
		      WSMAN_RESPONSE_DATA *data)
{
	const WSMAN_DATA *d = data ? &data->createData.data : NULL;

	if (d && d->type == WSMAN_DATA_TYPE_TEXT)
		u8(d->text.buffer, d->text.bufferLength, shell_xml, sizeof(shell_xml));
	on_complete(ctx, flags, error, shell, command, operation, data);
}

/* The send completion closes its operation, as PowerShell does. */
static void on_send(void *ctx, DWORD flags, WSMAN_ERROR *error, WSMAN_SHELL_HANDLE shell,
		    WSMAN_COMMAND_HANDLE command, WSMAN_OPERATION_HANDLE operation,
		    WSMAN_RESPONSE_DATA *data)
{
	API(WSManCloseOperation)(operation, 0);
	on_complete(ctx, flags, error, shell, command, operation, data);
}

static int start_canned(struct canned_service *svc, pthread_t *t)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);

	svc->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (svc->fd < 0 || bind(svc->fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(svc->fd, 16) != 0 || getsockname(svc->fd, (struct sockaddr *)&a, &len) != 0)
		return 0;
	svc->port = ntohs(a.sin_port);
	return pthread_create(t, NULL, serve, svc) == 0;
}

/* What PowerShell passes to Create and Command, as it passes them. The
 * option set and argument set point into the struct: it stays where it
 * is made. */
struct ps_call {
	WSMAN_CHAR *uri, *sid, *cid, *line, *arg, *xml, *pv_name, *pv, *stdin_id;
	WSMAN_OPTION pv_option;
	WSMAN_OPTION_SET options;
	WSMAN_COMMAND_ARG_SET args;
	WSMAN_DATA content;
};

static void ps_call_init(struct ps_call *c)
{
	c->uri = u16("http://schemas.microsoft.com/powershell/Microsoft.PowerShell");
	c->sid = u16(PS_SHELL_ID), c->cid = u16(PS_COMMAND_ID), c->line = u16(" ");
	c->arg = u16("AAAAAAAAAAMAAAAAAAAAAAMAAAo6AgAAAAYQAgAy");
	c->xml = u16("<creationXml xmlns=\"http://schemas.microsoft.com/powershell\">"
		     "AAAAAAAAAAEAAAAAAAAAAAMAAADHAgAAAAIAAQB2</creationXml>");
	c->pv_name = u16("protocolversion"), c->pv = u16("2.4"), c->stdin_id = u16("stdin");
	c->pv_option = (WSMAN_OPTION){.name = c->pv_name, .value = c->pv, .mustComply = 1};
	c->options = (WSMAN_OPTION_SET){.optionsCount = 1, .options = &c->pv_option};
	c->args = (WSMAN_COMMAND_ARG_SET){.argsCount = 1, .args = (PCWSTR *)&c->arg};
	c->content = (WSMAN_DATA){.type = WSMAN_DATA_TYPE_TEXT};
	c->content.text.buffer = c->xml;
	c->content.text.bufferLength = (DWORD)utf16_len(c->xml);
}

static void ps_call_free(struct ps_call *c)
{
	free(c->uri), free(c->sid), free(c->cid), free(c->line), free(c->arg), free(c->xml);
	free(c->pv_name), free(c->pv), free(c->stdin_id);
}

/* dir/winrm.conf with text: a client configuration of the test's own. */
static void write_client_config(const char *dir, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/winrm.conf", dir);
	if ((f = fopen(path, "w"))) {
		fputs(text, f);
		fclose(f);
	}
}

/* The shell's Create of a CredSSP session to nobody under the client
 * configuration of dir (the library reads it for every connection): its
 * one completion, the refusal's code and words, in c. */
static void credssp_create(WSMAN_API_HANDLE api, const char *dir, struct completion *c)
{
	struct completion closed = COMPLETION_INIT;
	WSMAN_SHELL_ASYNC async = {.operationContext = c, .completionFunction = on_complete};
	WSMAN_SHELL_ASYNC close_async = {.operationContext = &closed,
					 .completionFunction = on_complete};
	const char *before = getenv("WINRM_CONFIG_DIR");
	char *saved = before ? strdup(before) : NULL, url[64];
	WSMAN_SHELL_HANDLE shell = NULL;
	WSMAN_SESSION_HANDLE s;
	struct ps_call k;
	DWORD st;

	ps_call_init(&k);
	setenv("WINRM_CONFIG_DIR", dir, 1);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/wsman?PSVersion=7.6.10", closed_port());
	s = new_session(api, url, WSMAN_FLAG_AUTH_CREDSSP, NULL, &st);
	API(WSManCreateShellEx)(s, 0, k.uri, k.sid, NULL, &k.options, &k.content, &async, &shell);
	CHECK("credssp: the Create completes", st == NO_ERROR && wait_calls(c, 1, 30));
	API(WSManCloseShell)(shell, 0, &close_async);
	CHECK("credssp: the shell closes", wait_calls(&closed, 1, 30));
	API(WSManCloseSession)(s, 0);
	usleep(200 * 1000); /* the workers end right after their last completion */
	if (saved)
		setenv("WINRM_CONFIG_DIR", saved, 1);
	free(saved);
	ps_call_free(&k);
}

/* The client settings that guard CredSSP refuse it before anything is
 * sent, naming the setting. PowerShell quotes the @{...} of a message
 * itself, so the library's is bare. */
static void test_credssp_refusals(WSMAN_API_HANDLE api)
{
	char dir[] = "/tmp/psrpclient-credssp-XXXXXX", conf_file[sizeof(dir) + 16];
	struct completion disabled = COMPLETION_INIT, not_allowed = COMPLETION_INIT;

	if (!mkdtemp(dir))
		abort();
	write_client_config(dir, "Client/Auth/CredSSP = false\n");
	credssp_create(api, dir, &disabled);
	CHECK("credssp: disabled in the client configuration, which says how to enable it",
	      disabled.code &&
		  strstr(disabled.detail, "CredSSP authentication is currently disabled") &&
		  strstr(disabled.detail, " @{CredSSP=\"true\"}"));
	write_client_config(dir, "Client/Auth/CredSSP = true\n"
				 "Client/AllowFreshCredentials = WSMAN/other\n");
	credssp_create(api, dir, &not_allowed);
	CHECK("credssp: a host not in AllowFreshCredentials, named, with the setting unquoted",
	      not_allowed.code &&
		  strstr(not_allowed.detail,
			 " @{AllowFreshCredentials=\"WSMAN/other,WSMAN/127.0.0.1\"}") &&
		  !strchr(not_allowed.detail, '\''));
	if (!strstr(not_allowed.detail, " @{AllowFreshCredentials"))
		printf("# detail: %s\n", not_allowed.detail);
	snprintf(conf_file, sizeof(conf_file), "%s/winrm.conf", dir);
	unlink(conf_file);
	rmdir(dir);
}

/* A canned service and a Basic session to it over HTTP. */
static WSMAN_SESSION_HANDLE canned_session(WSMAN_API_HANDLE api, struct canned_service *svc,
					   pthread_t *server, const char *what)
{
	char url[64];
	DWORD st;
	WSMAN_SESSION_HANDLE s;

	CHECK(what, start_canned(svc, server));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/wsman?PSVersion=7.6.10", svc->port);
	s = new_session(api, url, WSMAN_FLAG_AUTH_BASIC, NULL, &st);
	set_dword(s, WSMAN_OPTION_UNENCRYPTED_MESSAGES, 1);
	return s;
}

static void canned_end(WSMAN_SESSION_HANDLE s, struct canned_service *svc, pthread_t server)
{
	API(WSManCloseSession)(s, 0);
	usleep(200 * 1000); /* the workers end right after their last completion */
	shutdown(svc->fd, SHUT_RDWR);
	close(svc->fd);
	pthread_join(server, NULL);
}

/* What each cycle below starts with: PowerShell's calls, a Basic session
 * to the canned service, and the shell's Create, reported to on_created;
 * and its handles as the cycle goes. */
struct canned_cycle {
	struct ps_call c;
	WSMAN_SESSION_HANDLE s;
	WSMAN_SHELL_HANDLE shell;
	WSMAN_COMMAND_HANDLE command;
	WSMAN_OPERATION_HANDLE op;
	pthread_t server;
};

static void cycle_start(WSMAN_API_HANDLE api, struct canned_service *svc, struct canned_cycle *k,
			const char *what, WSMAN_SHELL_ASYNC *on_created)
{
	memset(k, 0, sizeof(*k));
	ps_call_init(&k->c);
	k->s = canned_session(api, svc, &k->server, what);
	API(WSManCreateShellEx)
	(k->s, 0, k->c.uri, k->c.sid, NULL, &k->c.options, &k->c.content, on_created, &k->shell);
}

static void cycle_end(struct canned_cycle *k, struct canned_service *svc)
{
	canned_end(k->s, svc, k->server);
	ps_call_free(&k->c);
}

static void test_pipeline_cycle(WSMAN_API_HANDLE api)
{
	struct canned_service svc = {0};
	struct completion created = COMPLETION_INIT;
	struct completion started = created, sent = created, stopped = created, closed = created;
	struct recorder received = {.c = created};
	WSMAN_SHELL_ASYNC on_created = {&created, on_create}, on_started = {&started, on_complete},
			  on_sent = {&sent, on_send}, on_received = {&received, on_receive},
			  on_stopped = {&stopped, on_complete}, on_closed = {&closed, on_complete};
	WSMAN_CHAR *stop = u16("powershell/signal/crtl_c");
	WSMAN_DATA input = {.type = WSMAN_DATA_TYPE_BINARY};
	struct canned_cycle k;

	cycle_start(api, &svc, &k, "cycle: a canned service listens", &on_created);
	CHECK("cycle: Create completes without error",
	      wait_calls(&created, 1, 30) && created.code == NO_ERROR && created.shell == k.shell);
	if (created.code)
		printf("# %s\n", created.detail);
	CHECK("cycle: Create hands over the rsp:Shell as text that reads alone",
	      strstr(shell_xml, "<rsp:Shell xmlns:rsp=\"" SHELL_NS "\">") &&
		  strstr(shell_xml, "<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut>"));

	API(WSManRunShellCommandEx)
	(k.shell, 0, k.c.cid, k.c.line, &k.c.args, NULL, &on_started, &k.command);
	CHECK("cycle: Command completes",
	      k.command && wait_calls(&started, 1, 30) && started.code == NO_ERROR &&
		  started.flags == WSMAN_FLAG_CALLBACK_END_OF_OPERATION);
	if (started.code)
		printf("# %u: %s\n", started.code, started.detail);

	input.binaryData.data = (uint8_t *)"fragment";
	input.binaryData.dataLength = 8;
	API(WSManSendShellInput)(k.shell, k.command, 0, k.c.stdin_id, &input, 0, &on_sent, &k.op);
	CHECK("cycle: Send completes, its operation closed from inside the completion",
	      k.op && wait_calls(&sent, 1, 30) && sent.code == NO_ERROR);

	API(WSManReceiveShellOutput)(k.shell, k.command, 0, NULL, &on_received, &k.op);
	CHECK("cycle: Receive gives each piece, then END_OF_OPERATION alone",
	      k.op && wait_calls(&received.c, 3, 30) && received.bytes == 7 &&
		  received.c.flags == WSMAN_FLAG_CALLBACK_END_OF_OPERATION &&
		  received.ended_with_data && received.exit_code == 0 &&
		  strstr(received.state, "CommandState/Done"));

	API(WSManSignalShell)(k.shell, k.command, 0, stop, &on_stopped, &k.op);
	CHECK("cycle: PowerShell's stop signal goes out", k.op && wait_calls(&stopped, 1, 30) &&
							      stopped.code == NO_ERROR &&
							      svc.stop_signals == 1);
	API(WSManCloseOperation)(k.op, 0);

	API(WSManCloseCommand)(k.command, 0, &on_closed);
	CHECK("cycle: CloseCommand of a finished command completes during the call (its "
	      "Receive sent the terminate Signal ahead when Done came)",
	      wait_calls(&closed, 1, 0) && closed.code == NO_ERROR &&
		  closed.flags == WSMAN_FLAG_CALLBACK_END_OF_OPERATION);
	CHECK("cycle: the service got the terminate Signal", requests_reach(&svc, 4, 2, 30));
	API(WSManCloseShell)(k.shell, 0, &on_closed);
	CHECK("cycle: CloseShell deletes the shell",
	      wait_calls(&closed, 2, 30) && closed.code == NO_ERROR && svc.requests[5] == 1);
	CHECK("cycle: one request of each kind, the two Signals (stop, terminate)",
	      svc.requests[0] == 1 && svc.requests[1] == 1 && svc.requests[2] == 1 &&
		  svc.requests[3] == 1 && svc.requests[4] == 2);
	CHECK("cycle: Create asked for xpress (flags 0); the reply did not agree, so the Send "
	      "went out as it was",
	      svc.asked_xpress == 1 && svc.sent_blocks == 0);
	cycle_end(&k, &svc);
	free(stop);
}

/* A shell whose Create negotiated xpress: Send data leaves as blocks,
 * each received piece is decoded; WSMAN_FLAG_NO_COMPRESSION asks for
 * none. */
static void test_compressed_cycle(WSMAN_API_HANDLE api)
{
	struct canned_service svc = {.xpress = 1};
	struct completion created = COMPLETION_INIT;
	struct completion started = created, sent = created, closed = created, plain = created;
	struct recorder received = {.c = created};
	WSMAN_SHELL_ASYNC on_created = {&created, on_create}, on_started = {&started, on_complete},
			  on_sent = {&sent, on_send}, on_received = {&received, on_receive},
			  on_closed = {&closed, on_complete}, on_plain = {&plain, on_complete};
	WSMAN_DATA input = {.type = WSMAN_DATA_TYPE_BINARY};
	struct canned_cycle k;
	WSMAN_SHELL_HANDLE other = NULL;

	cycle_start(api, &svc, &k, "xpress: a canned service listens", &on_created);
	CHECK("xpress: Create asks for it and completes",
	      wait_calls(&created, 1, 30) && created.code == NO_ERROR && svc.asked_xpress == 1);
	API(WSManRunShellCommandEx)
	(k.shell, 0, k.c.cid, k.c.line, &k.c.args, NULL, &on_started, &k.command);
	CHECK("xpress: Command completes",
	      k.command && wait_calls(&started, 1, 30) && started.code == NO_ERROR);
	if (started.code)
		printf("# %u: %s\n", started.code, started.detail);
	input.binaryData.data = (uint8_t *)"fragment";
	input.binaryData.dataLength = 8;
	API(WSManSendShellInput)(k.shell, k.command, 0, k.c.stdin_id, &input, 0, &on_sent, &k.op);
	CHECK("xpress: Send's data leaves as xpress blocks",
	      k.op && wait_calls(&sent, 1, 30) && sent.code == NO_ERROR && svc.sent_blocks == 1);
	API(WSManReceiveShellOutput)(k.shell, k.command, 0, NULL, &on_received, &k.op);
	CHECK("xpress: each received piece is decoded (7 bytes of output, not the blocks' 15)",
	      k.op && wait_calls(&received.c, 3, 30) && received.bytes == 7 &&
		  received.c.flags == WSMAN_FLAG_CALLBACK_END_OF_OPERATION &&
		  received.c.code == NO_ERROR);
	API(WSManCloseCommand)(k.command, 0, &on_closed);
	CHECK("xpress: the command closes", wait_calls(&closed, 1, 30) && closed.code == NO_ERROR);
	API(WSManCloseShell)(k.shell, 0, &on_closed);
	CHECK("xpress: the shell closes", wait_calls(&closed, 2, 30) && closed.code == NO_ERROR);

	API(WSManCreateShellEx)
	(k.s, WSMAN_FLAG_NO_COMPRESSION, k.c.uri, k.c.sid, NULL, &k.c.options, &k.c.content,
	 &on_plain, &other);
	CHECK("xpress: WSMAN_FLAG_NO_COMPRESSION asks for none",
	      wait_calls(&plain, 1, 30) && plain.code == NO_ERROR && svc.asked_xpress == 1 &&
		  svc.requests[0] == 2);
	API(WSManCloseShell)(other, 0, &on_closed);
	wait_calls(&closed, 3, 30);
	cycle_end(&k, &svc);
}

/* A malformed reply to a Receive ends the Receive with an error PowerShell
 * can show, and the shell can still be closed: no crash, no hang. */
static void test_malformed_reply(WSMAN_API_HANDLE api)
{
	struct canned_service svc = {.malformed = 1};
	struct completion created = {.lock = PTHREAD_MUTEX_INITIALIZER,
				     .cond = PTHREAD_COND_INITIALIZER};
	struct completion started = created, closed = created;
	struct recorder received = {.c = created};
	WSMAN_SHELL_ASYNC on_created = {&created, on_create}, on_started = {&started, on_complete},
			  on_received = {&received, on_receive}, on_closed = {&closed, on_complete};
	struct canned_cycle k;

	cycle_start(api, &svc, &k, "malformed: a canned service listens", &on_created);
	CHECK("malformed: Create completes",
	      wait_calls(&created, 1, 30) && created.code == NO_ERROR);
	API(WSManRunShellCommandEx)
	(k.shell, 0, k.c.cid, k.c.line, &k.c.args, NULL, &on_started, &k.command);
	CHECK("malformed: Command completes",
	      k.command && wait_calls(&started, 1, 30) && started.code == NO_ERROR);
	API(WSManReceiveShellOutput)(k.shell, k.command, 0, NULL, &on_received, &k.op);
	CHECK("malformed: the Receive ends with an error and its words, no data",
	      k.op && wait_calls(&received.c, 1, 30) &&
		  received.c.flags == WSMAN_FLAG_CALLBACK_END_OF_OPERATION &&
		  received.c.code != NO_ERROR && received.c.detail[0] && received.bytes == 0);
	printf("# %u: %s\n", received.c.code, received.c.detail);
	API(WSManCloseCommand)(k.command, 0, &on_closed);
	API(WSManCloseShell)(k.shell, 0, &on_closed);
	CHECK("malformed: the command and the shell still close",
	      wait_calls(&closed, 2, 30) && closed.code == NO_ERROR);
	cycle_end(&k, &svc);
}

int main(void)
{
	WSMAN_API_HANDLE api = NULL;
	char conf[] = "/tmp/psrpclient-conf-XXXXXX";

	char conf_file[sizeof(conf) + 16];

	/* A client configuration of its own, not the machine's: Windows'
	 * defaults but for Basic over HTTP to the canned service. */
	if (mkdtemp(conf))
		setenv("WINRM_CONFIG_DIR", conf, 1);
	snprintf(conf_file, sizeof(conf_file), "%s/winrm.conf", conf);
	write_client_config(conf,
			    "Client/TrustedHosts = 127.0.0.1\nClient/AllowUnencrypted = true\n");
	load();
	test_utf16();
	if (lib) {
		test_exports();
		CHECK("initialize: API version 1.1",
		      API(WSManInitialize)(WSMAN_FLAG_REQUESTED_API_VERSION_1_1, &api) ==
			      NO_ERROR &&
			  api);
		CHECK("initialize: an unknown version is refused",
		      API(WSManInitialize)(7, &(WSMAN_API_HANDLE){0}) == ERROR_INVALID_PARAMETER);
		test_errors(api);
		test_options(api);
		test_certificates(api);
		test_no_service(api);
		test_pipeline_cycle(api);
		test_compressed_cycle(api);
		test_malformed_reply(api);
		test_credssp_refusals(api);
		CHECK("deinitialize", API(WSManDeinitialize)(api, 0) == NO_ERROR);
		dlclose(lib);
	}
	unlink(conf_file);
	rmdir(conf);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
