/* cli: what winrm and winrs share: Windows-style switches (-name or
 * -name:value, case-insensitive, any spelling from the shortest accepted
 * prefix up to the full name: -r, -remote), the client certificate
 * switches and the password prompt. */
#ifndef OPENWINRM_CLI_H
#define OPENWINRM_CLI_H

#include <stddef.h>

#include "client/winrm.h"

/* 1 if arg is the switch spelled between shortest and longest; *value is
 * what follows the colon, or NULL when there is none. */
int cli_switch(const char *arg, const char *shortest, const char *longest, const char **value);

/* The client certificate switches, -certificate:PATH (a PEM file: the
 * certificate, its chain, and its key unless -certificatekey: names
 * another file) and -certificatekey:PATH. Windows takes a thumbprint in
 * its certificate store; Linux has no store. */
struct cli_certificate {
	const char *file;
	const char *key_file;
};

/* 1 if arg is one of the certificate switches (stored in c). */
int cli_certificate_switch(const char *arg, struct cli_certificate *c);
/* 1 if the session authenticates with a client certificate: -a:Certificate,
 * or -certificate: without -a (no other scheme takes a certificate). */
int cli_certificate_auth(const struct winrm_options *o, const struct cli_certificate *c);
/* winrm_session_new with the scheme -certificate: implies, and the
 * certificate loaded into the session; on failure the reason in err. */
enum winrm_result cli_session_new(const struct winrm_options *o, const struct cli_certificate *c,
				  struct winrm_session **out, char *err, size_t errlen);

/* Asks for user's password on the terminal without echo; NULL when there
 * is no terminal or nothing was read. The result is a static buffer. */
char *cli_prompt_password(const char *user);

#endif
