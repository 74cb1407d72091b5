/* cli: what winrm and winrs share: Windows-style switches (-name or
 * -name:value, case-insensitive, any spelling from the shortest accepted
 * prefix up to the full name: -r, -remote) and the password prompt. */
#ifndef OPENWINRM_CLI_H
#define OPENWINRM_CLI_H

/* 1 if arg is the switch spelled between shortest and longest; *value is
 * what follows the colon, or NULL when there is none. */
int cli_switch(const char *arg, const char *shortest, const char *longest, const char **value);

/* Asks for user's password on the terminal without echo; NULL when there
 * is no terminal or nothing was read. The result is a static buffer. */
char *cli_prompt_password(const char *user);

#endif
