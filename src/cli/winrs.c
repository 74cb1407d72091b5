/* winrs: runs one command on a remote host over the WinRM shell, with
 * Windows' winrs switches. Output is written as it arrives; local stdin
 * streams to the command; the exit code is the remote command's.
 *
 * Three threads, each with its own session (a session is one connection
 * and not thread-safe): the main thread creates the shell and receives
 * output; a stdin thread sends what it reads; a signal thread turns the
 * first Ctrl-C into ctrl_c and the second into terminate. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "client/winrm.h"
#include "cli/progress.h"
#include "common/util.h"
#include "common/version.h"

#define EXIT_WINRS_ERROR 255 /* as ssh: winrs itself failed, the command's code is unknown */
#define EXIT_INTERRUPTED 130
#define EXIT_BROKEN_PIPE 141
#define MAX_ENV 256
#define STDIN_CHUNK (64 * 1024)
#define MAX_COMMAND_LINE (64 * 1024)

static const char usage_text[] =
    "Usage: winrs [-SWITCH[:VALUE]...] COMMAND [ARGS...]\n"
    "\n"
    "Runs COMMAND on a remote host through WinRM (the user's shell runs it);\n"
    "stdin is sent to it, its output arrives as it is produced, and winrs\n"
    "exits with its exit code (255 when winrs itself fails).\n"
    "\n"
    "  -r[emote]:ENDPOINT    host, host:port or http[s]://host:port/wsman (default localhost)\n"
    "  -u[sername]:USER      explicit user name\n"
    "  -p[assword]:PASSWORD  password (prompted for without echo when -u is given alone)\n"
    "  -a[uthentication]:SCHEME  Basic, Digest, Negotiate, Kerberos, Certificate or CredSSP\n"
    "  -certificate:PATH     client certificate for -a:Certificate (HTTPS only, implies\n"
    "                        it): a PEM file with the certificate, its chain and its key\n"
    "  -certificatekey:PATH  the private key (PEM, unencrypted) when not in that file\n"
    "  -un[encrypted]        no message encryption over HTTP (needs AllowUnencrypted)\n"
    "  -ad, -allowdelegation forward the Kerberos ticket-granting ticket (Kerberos, Negotiate)\n"
    "  -[use]ssl             HTTPS, on the default HTTPS port when none is given\n"
    "  -skipCAcheck          do not check that a trusted CA issued the server certificate\n"
    "  -skipCNcheck          do not check the server certificate's name against the host\n"
    "  -d[irectory]:DIR      working directory of the command\n"
    "  -env[ironment]:NAME=VALUE  an environment variable (repeatable)\n"
    "  -nop[rofile]          do not load the user's profile\n"
    "  -t[imeout]:SECONDS    accepted and ignored (deprecated on Windows too)\n"
    "  --config-dir DIR      client configuration (default $WINRM_CONFIG_DIR or /etc/winrm)\n"
    "  -?, --help            this text\n"
    "  --version             openwinrm's version\n"
    "\n"
    "Ctrl-C sends ctrl_c to the command; a second Ctrl-C terminates it.\n";

static struct winrm_options opts;
static struct cli_certificate certificate;
static char shell_id[WINRM_ID_LEN + 1], command_id[WINRM_ID_LEN + 1];
static pthread_mutex_t exit_lock = PTHREAD_MUTEX_INITIALIZER;
/* Set once a thread is ending the command: the others' failures that
 * follow from it are not news. */
static atomic_int finishing;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("winrs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Ends the remote command and shell on a session of our own, then the
 * process: whichever thread gets here first does it. */
static void finish(int code, int terminate)
{
	struct winrm_session *s;

	atomic_store(&finishing, 1);
	pthread_mutex_lock(&exit_lock);
	progress_end();
	if (shell_id[0] && cli_session_new(&opts, &certificate, &s, NULL, 0) == WINRM_OK) {
		if (terminate && command_id[0])
			winrm_shell_signal(s, shell_id, command_id, WINRM_SIGNAL_TERMINATE);
		winrm_shell_delete(s, shell_id);
		winrm_session_free(s);
	}
	fflush(stderr);
	_exit(code);
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static void output(void *arg, enum winrm_stream stream, const void *data, size_t len)
{
	(void)arg;
	progress_received(len);
	if (write_all(stream == WINRM_STDERR ? STDERR_FILENO : STDOUT_FILENO, data, len) < 0) {
		/* The reader went away (`winrs ... | head`): stop the command. */
		finish(EXIT_BROKEN_PIPE, 1);
	}
}

/* ---- stdin ---- */

static void *stdin_thread(void *arg)
{
	static char chunk[STDIN_CHUNK];
	struct winrm_session *s;
	char err[1200];

	(void)arg;
	if (cli_session_new(&opts, &certificate, &s, err, sizeof(err)) != WINRM_OK) {
		say("%s", err);
		finish(EXIT_WINRS_ERROR, 1);
	}
	for (;;) {
		ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			n = 0; /* an unreadable stdin ends like an empty one */
		if (winrm_shell_send(s, shell_id, command_id, chunk, (size_t)n, n == 0) !=
		    WINRM_OK) {
			/* The command may have ended and taken its stdin with it. */
			break;
		}
		progress_sent((size_t)n);
		if (n == 0)
			break;
	}
	winrm_session_free(s);
	return NULL;
}

/* 1 when stdin is known to be empty without reading it (/dev/null, an
 * empty or fully read file): then the main session sends End and no
 * thread or connection is needed for stdin. */
static int stdin_at_eof(void)
{
	struct stat in, null;
	off_t pos;

	if (fstat(STDIN_FILENO, &in) < 0)
		return 0;
	if (S_ISCHR(in.st_mode))
		return stat("/dev/null", &null) == 0 && in.st_rdev == null.st_rdev;
	return S_ISREG(in.st_mode) && (pos = lseek(STDIN_FILENO, 0, SEEK_CUR)) >= 0 &&
	       pos >= in.st_size;
}

/* ---- Ctrl-C ---- */

static void *signal_thread(void *arg)
{
	sigset_t *set = arg;
	struct winrm_session *s = NULL;
	int sig, count = 0;

	for (int i = 0; i < 1000000; i++) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig != SIGINT || ++count > 1 || !command_id[0])
			finish(EXIT_INTERRUPTED, 1);
		if (!s && cli_session_new(&opts, &certificate, &s, NULL, 0) != WINRM_OK)
			finish(EXIT_INTERRUPTED, 1);
		winrm_shell_signal(s, shell_id, command_id, WINRM_SIGNAL_CTRL_C);
	}
	return NULL;
}

/* ---- switches ---- */

int main(int argc, char **argv)
{
	const char *env[MAX_ENV], *v;
	struct winrm_shell_options so = {0};
	struct winrm_session *s;
	char err[1200], line[MAX_COMMAND_LINE];
	size_t len = 0;
	int i, done = 0;
	uint32_t exit_code = 0;
	enum winrm_result r;
	sigset_t set;
	pthread_t tid;

	/* Output arrives in replies of a hundred kilobytes and more. */
	util_tune_malloc();
	opts.target = "localhost";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-?") == 0 || strcmp(a, "/?") == 0) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (strcmp(a, "--version") == 0) {
			printf("winrs (openwinrm) %s\n", OPENWINRM_VERSION);
			return 0;
		}
		if (strcmp(a, "--config-dir") == 0 && i + 1 < argc) {
			opts.config_dir = argv[++i];
		} else if (cli_switch(a, "r", "remote", &v) && v) {
			opts.target = v;
		} else if (cli_switch(a, "u", "username", &v) && v) {
			opts.user = v;
		} else if (cli_switch(a, "p", "password", &v) && v) {
			opts.password = v;
		} else if ((cli_switch(a, "a", "authentication", &v) ||
			    cli_switch(a, "auth", "auth", &v)) &&
			   v) {
			int scheme = winrm_auth_parse(v);
			if (scheme <= 0) {
				say("unknown authentication scheme '%s' (Basic, Digest, Negotiate, "
				    "Kerberos, "
				    "Certificate, CredSSP)",
				    v);
				return EXIT_WINRS_ERROR;
			}
			opts.auth = (enum winrm_auth)scheme;
		} else if (cli_certificate_switch(a, &certificate)) {
			/* a client certificate and its key */
		} else if (cli_switch(a, "un", "unencrypted", &v) && !v) {
			opts.flags |= WINRM_FLAG_NO_ENCRYPTION;
		} else if ((cli_switch(a, "ad", "ad", &v) ||
			    cli_switch(a, "allowdelegation", "allowdelegation", &v)) &&
			   !v) {
			opts.flags |= WINRM_FLAG_ALLOW_DELEGATION;
		} else if ((cli_switch(a, "ssl", "ssl", &v) ||
			    cli_switch(a, "usessl", "usessl", &v)) &&
			   !v) {
			opts.flags |= WINRM_FLAG_USE_SSL;
		} else if (cli_switch(a, "skipCAcheck", "skipCAcheck", &v) && !v) {
			opts.flags |= WINRM_FLAG_SKIP_CA_CHECK;
		} else if (cli_switch(a, "skipCNcheck", "skipCNcheck", &v) && !v) {
			opts.flags |= WINRM_FLAG_SKIP_CN_CHECK;
		} else if (cli_switch(a, "d", "directory", &v) && v) {
			so.working_dir = v;
		} else if (cli_switch(a, "env", "environment", &v) && v) {
			if (so.nenv >= MAX_ENV) {
				say("more than %d -env switches", MAX_ENV);
				return EXIT_WINRS_ERROR;
			}
			env[so.nenv++] = v;
		} else if (cli_switch(a, "nop", "noprofile", &v) && !v) {
			so.noprofile = 1;
		} else if (cli_switch(a, "t", "timeout", &v) && v) {
			/* deprecated and ignored, as on Windows */
		} else if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (a[0] == '-' && a[1]) {
			say("unknown switch '%s' (winrs --help lists them)", a);
			return EXIT_WINRS_ERROR;
		} else {
			break;
		}
	}
	if (i >= argc) {
		say("no command given (winrs --help)");
		return EXIT_WINRS_ERROR;
	}
	/* Windows' winrs sends the command line as one string. */
	for (; i < argc; i++) {
		size_t n = strlen(argv[i]);
		if (len + n + 2 > sizeof(line)) {
			say("the command line is longer than %d bytes", MAX_COMMAND_LINE);
			return EXIT_WINRS_ERROR;
		}
		if (len)
			line[len++] = ' ';
		memcpy(line + len, argv[i], n);
		len += n;
	}
	line[len] = 0;
	/* A certificate session refuses a password: asking for one would only
	 * delay that. */
	if (opts.user && !opts.password && !cli_certificate_auth(&opts, &certificate) &&
	    isatty(STDIN_FILENO) && !(opts.password = cli_prompt_password(opts.user))) {
		say("no password read");
		return EXIT_WINRS_ERROR;
	}
	so.env = env;
	so.codepage = 65001;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (cli_session_new(&opts, &certificate, &s, err, sizeof(err)) != WINRM_OK) {
		say("%s", err);
		return EXIT_WINRS_ERROR;
	}
	if (pthread_create(&tid, NULL, signal_thread, &set) != 0) {
		say("cannot start a thread");
		winrm_session_free(s);
		return EXIT_WINRS_ERROR;
	}
	const char *cmd[] = {line};
	if ((r = winrm_shell_create(s, &so, shell_id)) != WINRM_OK) {
		say("%s", winrm_error(s));
		winrm_session_free(s);
		return EXIT_WINRS_ERROR;
	}
	if ((r = winrm_shell_command(s, shell_id, cmd, 1, 0, command_id)) != WINRM_OK) {
		say("%s", winrm_error(s));
		finish(EXIT_WINRS_ERROR, 0);
	}
	if (progress_start("winrs") != 0)
		say("cannot start the progress line's thread: going on without it");
	if (stdin_at_eof()) {
		if (winrm_shell_send(s, shell_id, command_id, NULL, 0, 1) != WINRM_OK) {
			say("%s", winrm_error(s));
			finish(EXIT_WINRS_ERROR, 1);
		}
	} else if (pthread_create(&tid, NULL, stdin_thread, NULL) != 0) {
		say("cannot start a thread");
		finish(EXIT_WINRS_ERROR, 1);
	}
	while (!done) {
		r = winrm_shell_receive(s, shell_id, command_id, output, NULL, &done, &exit_code);
		if (r == WINRM_E_TIMEOUT)
			continue;
		if (r != WINRM_OK) {
			if (!atomic_load(&finishing))
				say("%s", winrm_error(s));
			finish(EXIT_WINRS_ERROR, 1);
		}
	}
	pthread_mutex_lock(&exit_lock);
	progress_end();
	winrm_shell_signal(s, shell_id, command_id, WINRM_SIGNAL_TERMINATE);
	winrm_shell_delete(s, shell_id);
	winrm_session_free(s);
	_exit((int)(exit_code & 0xff));
}
