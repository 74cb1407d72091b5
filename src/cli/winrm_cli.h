/* winrm_cli: what the files of the winrm command share: the operations,
 * the @{KEY="VALUE"} input, and the remote half (winrm_remote.c), which
 * works over libwinrm where the local half works on DIR/winrm.conf. */
#ifndef OPENWINRM_WINRM_CLI_H
#define OPENWINRM_WINRM_CLI_H

#include <stddef.h>

#include "cli/cli.h"
#include "client/winrm.h"
#include "wsman/wsman.h"

#define MAX_INPUT_PAIRS 64 /* KEY="VALUE" pairs in one @{...} */

enum verb {
	V_HELP,
	V_GET,
	V_SET,
	V_CREATE,
	V_DELETE,
	V_ENUMERATE,
	V_INVOKE,
	V_IDENTIFY,
	V_QUICKCONFIG,
	V_DIAGNOSE
};

/* The @{KEY="VALUE";...} argument (winrm(1), INPUT; Windows' `winrm help
 * input`), split in place. */
struct input {
	char *text;
	size_t n;
	struct {
		const char *key;
		const char *value; /* NULL for $null */
	} pairs[MAX_INPUT_PAIRS];
};

/* "winrm: " and the message on stderr; returns 1 (the exit status). */
int complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Parses arg into in (in->text is a copy the caller frees); 0 or 1. */
int input_parse(const char *arg, struct input *in);

struct remote {
	struct winrm_options session;
	struct cli_certificate certificate;
	enum wsman_text_format format;
	const char *file; /* -file: the request body instead of @{...} */
	/* enumerate's -filter: and -dialect: (winrm help filters) */
	const char *filter, *dialect;
	/* enumerate's -returnType:Object|EPR|ObjectAndEPR */
	enum winrm_enumeration_mode mode;
	int mode_given;
};

/* 1 if -dialect: names the Selector dialect (alias or URI). */
int selector_dialect(const char *dialect);
/* Runs one operation on a remote host (or, for identify, the local
 * service); action is the custom action of invoke, in the @{...} input,
 * or for enumerate a Selector -filter:'s pairs. Returns the exit status. */
int remote_run(enum verb verb, const char *action, const char *uri, const struct input *in,
	       const struct remote *r);

/* winrm diagnose -r:TARGET (diagnose.c): each step of a connection to
 * r's target, one line each, with what to change; the exit status. */
int diagnose(const struct remote *r);

/* winrm quickconfig (quickconfig.c) on DIR; the exit status. */
int quickconfig(const char *dir, int https, int quiet);

#endif
