/* cli: the switch matcher, the client certificate switches and the
 * password prompt winrm and winrs share. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <termios.h>

int cli_switch(const char *arg, const char *shortest, const char *longest, const char **value)
{
	size_t n, s = strlen(shortest);
	const char *colon;

	if (arg[0] != '-' && arg[0] != '/')
		return 0;
	arg++;
	colon = strchr(arg, ':');
	n = colon ? (size_t)(colon - arg) : strlen(arg);
	if (n < s || n > strlen(longest) || strncasecmp(arg, longest, n) != 0)
		return 0;
	*value = colon ? colon + 1 : NULL;
	return 1;
}

int cli_certificate_switch(const char *arg, struct cli_certificate *c)
{
	const char *v;

	if (cli_switch(arg, "certificate", "certificate", &v) && v && *v)
		c->file = v;
	else if (cli_switch(arg, "certificatekey", "certificatekey", &v) && v && *v)
		c->key_file = v;
	else
		return 0;
	return 1;
}

int cli_certificate_auth(const struct winrm_options *o, const struct cli_certificate *c)
{
	return o->auth == WINRM_AUTH_CERTIFICATE || (c->file && o->auth == WINRM_AUTH_DEFAULT);
}

enum winrm_result cli_session_new(const struct winrm_options *o, const struct cli_certificate *c,
				  struct winrm_session **out, char *err, size_t errlen)
{
	struct winrm_options with = *o;
	enum winrm_result r;

	*out = NULL;
	if (c->key_file && !c->file) {
		snprintf(err, errlen, "-certificatekey: goes with -certificate:PATH");
		return WINRM_E_USAGE;
	}
	if (cli_certificate_auth(o, c))
		with.auth = WINRM_AUTH_CERTIFICATE;
	if ((r = winrm_session_new(&with, out, err, errlen)) != WINRM_OK || !c->file)
		return r;
	if ((r = winrm_session_set_certificate(*out, c->file, c->key_file)) != WINRM_OK) {
		snprintf(err, errlen, "%s", winrm_error(*out));
		winrm_session_free(*out);
		*out = NULL;
	}
	return r;
}

char *cli_prompt_password(const char *user)
{
	static char pw[1024];
	struct termios old, quiet;
	FILE *tty = fopen("/dev/tty", "r+");

	if (!tty)
		return NULL;
	/* Echo goes off before the prompt shows: TCSAFLUSH drops what was
	 * typed earlier, and must not drop a password typed (or pasted) as
	 * soon as the prompt appears. */
	tcgetattr(fileno(tty), &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	fprintf(tty, "Password for %s: ", user);
	fflush(tty);
	char *r = fgets(pw, sizeof(pw), tty);
	tcsetattr(fileno(tty), TCSANOW, &old);
	fputc('\n', tty);
	fclose(tty);
	if (!r)
		return NULL;
	pw[strcspn(pw, "\r\n")] = 0;
	return pw;
}
