/* cli: the switch matcher and password prompt winrm and winrs share. */
#include "cli/cli.h"

#include <stdio.h>
#include <termios.h>

#include <string.h>
#include <strings.h>

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
