/* winrm_remote: the operations of the winrm command on a remote host
 * (-r:), over libwinrm: resource URIs with Windows' aliases and
 * ?Key=Value+Key=Value selectors, bodies built from @{...} or -file:, and
 * replies shown in Windows' text form, as XML or pretty. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/progress.h"
#include "cli/winrm_cli.h"
#include "common/buf.h"
#include "common/util.h"

#define MAX_SELECTORS 16
#define MAX_URI 2048
#define MAX_BODY (4u << 20)
#define MAX_OUTPUT (16u << 20)

/* winrm help uris: the short forms Windows expands. */
static const struct {
	const char *alias;
	const char *prefix;
} aliases[] = {
    {"wmicimv2", "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2"},
    {"wmi", "http://schemas.microsoft.com/wbem/wsman/1/wmi"},
    {"cimv2", "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2"},
    {"shell", "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"},
    {"winrm", "http://schemas.microsoft.com/wbem/wsman/1"},
    {"wsman", "http://schemas.microsoft.com/wbem/wsman/1"},
};

struct target {
	char uri[MAX_URI];
	char text[MAX_URI]; /* the selectors, split in place */
	struct winrm_selector sel[MAX_SELECTORS];
	size_t nsel;
};

static int parse_uri(const char *arg, struct target *t)
{
	const char *q = strchr(arg, '?');
	size_t base = q ? (size_t)(q - arg) : strlen(arg);
	const char *expanded = NULL;
	size_t skip = 0;

	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]) && !expanded; i++) {
		size_t n = strlen(aliases[i].alias);
		if (base >= n && strncasecmp(arg, aliases[i].alias, n) == 0 &&
		    (base == n || arg[n] == '/')) {
			expanded = aliases[i].prefix;
			skip = n;
		}
	}
	if (!expanded && strncasecmp(arg, "http://", 7) != 0 &&
	    strncasecmp(arg, "https://", 8) != 0)
		return complain(
		    "unknown resource URI %.*s: give a full URI or one of winrm/, wsman/, "
		    "wmi/, wmicimv2/, cimv2/, shell/",
		    (int)base, arg);
	if ((size_t)snprintf(t->uri, sizeof(t->uri), "%s%.*s", expanded ? expanded : "",
			     (int)(base - skip), arg + skip) >= sizeof(t->uri))
		return complain("the resource URI is too long");
	if (!q)
		return 0;
	if ((size_t)snprintf(t->text, sizeof(t->text), "%s", q + 1) >= sizeof(t->text))
		return complain("the selectors are too long");
	for (char *p = t->text; *p;) {
		char *end = p + strcspn(p, "+"), *eq = memchr(p, '=', (size_t)(end - p));
		if (!eq || eq == p)
			return complain(
			    "malformed selector '%.*s' (the form is URI?Key=Value+Key=Value)",
			    (int)(end - p), p);
		if (t->nsel == MAX_SELECTORS)
			return complain("more than %d selectors", MAX_SELECTORS);
		*eq = 0;
		t->sel[t->nsel++] = (struct winrm_selector){p, eq + 1};
		p = end;
		if (*p)
			*p++ = 0;
	}
	return 0;
}

/* The last path segment of the URI: the root element of a Create body. */
static const char *root_name(const char *uri)
{
	const char *slash = strrchr(uri, '/');

	return slash ? slash + 1 : uri;
}

/* winrm.vbs: <p:ROOT xmlns:p="URI"><p:KEY>VALUE</p:KEY>...</p:ROOT>, $null
 * as xsi:nil; ROOT is the last URI segment (create) or ACTION_INPUT. */
static int build_body(const char *uri, const char *root, const struct input *in, struct buf *body)
{
	int bad =
	    buf_putf(body, "<p:%s xmlns:p=\"", root) != ERR_OK ||
	    util_xml_escape(body, uri) != ERR_OK ||
	    buf_putf(body, "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">") != ERR_OK;

	for (size_t i = 0; in && i < in->n && !bad; i++) {
		if (in->pairs[i].value)
			bad = buf_putf(body, "<p:%s>", in->pairs[i].key) != ERR_OK ||
			      util_xml_escape(body, in->pairs[i].value) != ERR_OK ||
			      buf_putf(body, "</p:%s>", in->pairs[i].key) != ERR_OK;
		else
			bad =
			    buf_putf(body, "<p:%s xsi:nil=\"true\"/>", in->pairs[i].key) != ERR_OK;
	}
	if (bad || buf_putf(body, "</p:%s>", root) != ERR_OK || buf_terminate(body) != ERR_OK)
		return complain("the input is too large");
	return 0;
}

static int read_file(const char *path, struct buf *body)
{
	FILE *f = fopen(path, "r");
	char chunk[8192];
	size_t n;

	if (!f)
		return complain("cannot read %s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_put(body, chunk, n) != ERR_OK) {
			fclose(f);
			return complain("%s is larger than %u bytes", path, MAX_BODY);
		}
	}
	fclose(f);
	return buf_terminate(body) == ERR_OK ? 0 : complain("%s is too large", path);
}

static int show(const char *xml, enum wsman_text_format format)
{
	struct buf out;
	int rc = 0;

	if (!xml)
		return 0;
	buf_init(&out, MAX_OUTPUT);
	if (wsman_text_render(xml, strlen(xml), format, &out) != ERR_OK)
		rc = complain("the reply could not be shown: it is not the XML of a resource");
	else if (fwrite(buf_ptr(&out), 1, buf_len(&out), stdout) != buf_len(&out) ||
		 fflush(stdout) != 0)
		rc = complain("cannot write the output: %s", strerror(errno));
	buf_clear(&out);
	return rc;
}

struct shown {
	enum wsman_text_format format;
	int count, failed;
};

static void show_item(void *arg, const char *xml)
{
	struct shown *s = arg;

	progress_received(strlen(xml));
	if (s->count++ && s->format == WSMAN_TEXT_PLAIN)
		fputc('\n', stdout);
	s->failed |= show(xml, s->format);
}

/* winrm set: Get, change the named children, Put the whole resource. */
static int set(struct winrm_session *s, const struct target *t, const struct input *in,
	       enum wsman_text_format f)
{
	struct wsman_pair pairs[MAX_INPUT_PAIRS];
	struct buf body, msg;
	char *xml = NULL, *updated = NULL;
	int rc;

	if (winrm_get(s, t->uri, t->sel, t->nsel, &xml) != WINRM_OK)
		return complain("%s", winrm_error(s));
	for (size_t i = 0; i < in->n; i++)
		pairs[i] = (struct wsman_pair){.name = (char *)in->pairs[i].key,
					       .value = (char *)in->pairs[i].value};
	buf_init(&body, MAX_BODY);
	buf_init(&msg, 1024);
	if (wsman_text_set(xml, strlen(xml), pairs, in->n, &body, &msg) != ERR_OK ||
	    buf_terminate(&body) != ERR_OK) {
		buf_terminate(&msg);
		rc = complain("%s", buf_len(&msg) ? (const char *)buf_ptr(&msg)
						  : "the input is too large");
	} else if (winrm_put(s, t->uri, t->sel, t->nsel, (const char *)buf_ptr(&body), &updated) !=
		   WINRM_OK) {
		rc = complain("%s", winrm_error(s));
	} else {
		rc = show(updated, f);
	}
	free(xml);
	free(updated);
	buf_clear(&body);
	buf_clear(&msg);
	return rc;
}

int selector_dialect(const char *dialect)
{
	return dialect && (strcasecmp(dialect, "selector") == 0 ||
			   strcasecmp(dialect, WSMAN_SELECTOR_FILTER) == 0);
}

/* winrm.vbs' Enumerate: a -filter: is WQL unless -dialect: says otherwise
 * (aliases WQL, Selector, Association); a Selector filter's pairs come
 * parsed in sel_in. */
static enum winrm_result enumerate(struct winrm_session *s, const struct target *t,
				   const struct remote *r, const struct input *sel_in,
				   struct shown *sh)
{
	const char *dialect = r->dialect ? r->dialect : WINRM_DIALECT_WQL;
	struct winrm_selector sel[MAX_INPUT_PAIRS];

	if (winrm_session_set_enumeration_mode(s, r->mode) != WINRM_OK)
		return WINRM_E_USAGE;
	if (!r->filter)
		return winrm_enumerate(s, t->uri, t->sel, t->nsel, show_item, sh);
	if (selector_dialect(dialect)) {
		for (size_t i = 0; i < sel_in->n; i++)
			sel[i] = (struct winrm_selector){
			    sel_in->pairs[i].key,
			    sel_in->pairs[i].value ? sel_in->pairs[i].value : ""};
		return winrm_enumerate_ex(s, t->uri, t->sel, t->nsel, sel, sel_in->n, show_item,
					  sh);
	}
	if (strcasecmp(dialect, "wql") == 0)
		dialect = WINRM_DIALECT_WQL;
	else if (strcasecmp(dialect, "association") == 0)
		dialect = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding/AssociationFilter";
	return winrm_enumerate_filter(s, t->uri, t->sel, t->nsel, dialect, r->filter, show_item,
				      sh);
}

static int operate(struct winrm_session *s, enum verb verb, const char *action,
		   const struct target *t, const struct input *in, const struct remote *r)
{
	struct buf body;
	struct shown sh = {.format = r->format};
	char *xml = NULL;
	enum winrm_result res = WINRM_OK;
	int rc = 0;

	buf_init(&body, MAX_BODY);
	if (verb == V_CREATE || verb == V_INVOKE) {
		/* winrm.vbs names the root after the resource or ACTION_INPUT. */
		char root[MAX_URI + 16];
		if (verb == V_CREATE)
			snprintf(root, sizeof(root), "%s", root_name(t->uri));
		else
			snprintf(root, sizeof(root), "%s_INPUT", action);
		if ((r->file ? read_file(r->file, &body) : build_body(t->uri, root, in, &body)) !=
		    0) {
			buf_clear(&body);
			return 1;
		}
	}
	switch (verb) {
	case V_GET:
		res = winrm_get(s, t->uri, t->sel, t->nsel, &xml);
		break;
	case V_CREATE:
		res = winrm_create(s, t->uri, t->sel, t->nsel, (const char *)buf_ptr(&body), &xml);
		break;
	case V_DELETE:
		res = winrm_delete(s, t->uri, t->sel, t->nsel);
		break;
	case V_INVOKE:
		res = winrm_invoke(s, action, t->uri, t->sel, t->nsel, (const char *)buf_ptr(&body),
				   &xml);
		break;
	case V_ENUMERATE:
		/* Thousands of items can take a while: the progress line. */
		if (progress_start("winrm") != 0)
			complain("cannot start the progress line's thread: going on without it");
		res = enumerate(s, t, r, in, &sh);
		progress_end();
		break;
	case V_IDENTIFY:
		res = winrm_identify(s, &xml);
		break;
	default:
		break;
	}
	if (res != WINRM_OK)
		rc = complain("%s", winrm_error(s));
	else
		rc = show(xml, r->format) | sh.failed;
	free(xml);
	buf_clear(&body);
	return rc;
}

int remote_run(enum verb verb, const char *action, const char *uri, const struct input *in,
	       const struct remote *r)
{
	struct winrm_session *s;
	struct target t = {0};
	char err[1400];
	int rc;

	if (verb != V_IDENTIFY && parse_uri(uri, &t) != 0)
		return 1;
	if (verb == V_SET && r->file)
		return complain("set takes @{...} input; -file: goes with create and invoke");
	if (cli_session_new(&r->session, &r->certificate, &s, err, sizeof(err)) != WINRM_OK)
		return complain("%s", err);
	rc = verb == V_SET ? set(s, &t, in, r->format) : operate(s, verb, action, &t, in, r);
	winrm_session_free(s);
	return rc;
}
