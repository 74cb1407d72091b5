/* resource: WS-Management operations on any resource (Transfer,
 * Enumeration, custom actions) over a session, for winrm and others. */
#include "client/client_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wsman/wsman_xml.h"

#define ACTION_GET NS_TRANSFER "/Get"
#define ACTION_PUT NS_TRANSFER "/Put"
#define ACTION_ENUMERATE NS_ENUMERATION "/Enumerate"
#define ACTION_PULL NS_ENUMERATION "/Pull"
#define MAX_SELECTORS 16
#define MAX_CONTEXT 256
#define MAX_FILTER_TEXT 8192 /* a filter's markup */
/* Enumerate and Pull rounds before giving up on a service that never ends. */
#define MAX_PULLS 100000

/* Builds and posts a request on the resource; the caller frees resp. */
static enum winrm_result request(struct winrm_session *s, const char *resource_uri,
				 const char *action, const struct winrm_selector *sel, size_t nsel,
				 const char *body_xml, struct wsman_request *resp)
{
	struct wsman_pair pairs[MAX_SELECTORS];
	struct wsman_client_header h;
	struct buf env;

	if (!resource_uri || !*resource_uri || nsel > MAX_SELECTORS || (nsel && !sel))
		return client_fail(s, WINRM_E_USAGE,
				   "a resource URI and at most %d selectors are needed",
				   MAX_SELECTORS);
	for (size_t i = 0; i < nsel; i++) {
		if (!sel[i].name || !sel[i].value)
			return client_fail(s, WINRM_E_USAGE, "a selector without a name or value");
		pairs[i] =
		    (struct wsman_pair){.name = (char *)sel[i].name, .value = (char *)sel[i].value};
	}
	client_header(s, &h);
	buf_init(&env, CLIENT_MAX_ENVELOPE * 4);
	return client_post_built(
	    s, &env, wsman_client_request(&env, &h, resource_uri, action, pairs, nsel, body_xml),
	    resp);
}

static enum winrm_result with_body(struct winrm_session *s, const char *resource_uri,
				   const char *action, const struct winrm_selector *sel,
				   size_t nsel, const char *body_xml, char **xml)
{
	struct wsman_request resp;
	enum winrm_result r;

	if (xml)
		*xml = NULL;
	if ((r = request(s, resource_uri, action, sel, nsel, body_xml, &resp)) != WINRM_OK)
		return r;
	if (xml && wsman_client_body_xml(&resp, xml) != ERR_OK)
		r = client_fail(s, WINRM_E_NOMEM, "out of memory");
	wsman_request_clear(&resp);
	return r;
}

enum winrm_result winrm_get(struct winrm_session *s, const char *resource_uri,
			    const struct winrm_selector *sel, size_t nsel, char **xml)
{
	enum winrm_result r = with_body(s, resource_uri, ACTION_GET, sel, nsel, NULL, xml);

	if (r == WINRM_OK && !*xml)
		r = client_fail(s, WINRM_E_PROTOCOL, "the Get reply of %s has an empty body",
				s->host_header);
	return r;
}

enum winrm_result winrm_put(struct winrm_session *s, const char *resource_uri,
			    const struct winrm_selector *sel, size_t nsel, const char *body_xml,
			    char **xml)
{
	return with_body(s, resource_uri, ACTION_PUT, sel, nsel, body_xml, xml);
}

enum winrm_result winrm_create(struct winrm_session *s, const char *resource_uri,
			       const struct winrm_selector *sel, size_t nsel, const char *body_xml,
			       char **xml)
{
	return with_body(s, resource_uri, ACTION_CREATE, sel, nsel, body_xml, xml);
}

enum winrm_result winrm_delete(struct winrm_session *s, const char *resource_uri,
			       const struct winrm_selector *sel, size_t nsel)
{
	return with_body(s, resource_uri, ACTION_DELETE, sel, nsel, NULL, NULL);
}

enum winrm_result winrm_invoke(struct winrm_session *s, const char *action,
			       const char *resource_uri, const struct winrm_selector *sel,
			       size_t nsel, const char *body_xml, char **xml)
{
	char uri[2048];

	if (!action || !*action || !resource_uri ||
	    (size_t)snprintf(uri, sizeof(uri), "%s/%s", resource_uri, action) >= sizeof(uri))
		return client_fail(s, WINRM_E_USAGE, "an action and a resource URI are needed");
	return with_body(s, resource_uri, uri, sel, nsel, body_xml, xml);
}

struct items {
	winrm_item_fn *fn;
	void *arg;
};

static enum err item(void *arg, const char *xml)
{
	struct items *it = arg;

	it->fn(it->arg, xml);
	return ERR_OK;
}

/* w:EnumerationMode as each mode is asked (objects: none). */
static const char *const mode_element[] = {
    [WINRM_ENUM_OBJECTS] = "",
    [WINRM_ENUM_EPRS] = "<w:EnumerationMode>EnumerateEPR</w:EnumerationMode>",
    [WINRM_ENUM_OBJECTS_AND_EPRS] = "<w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode>",
};

enum winrm_result winrm_session_set_enumeration_mode(struct winrm_session *s,
						     enum winrm_enumeration_mode mode)
{
	if ((unsigned)mode > WINRM_ENUM_OBJECTS_AND_EPRS)
		return client_fail(s, WINRM_E_USAGE, "no such enumeration mode");
	s->enumeration_mode = mode;
	return WINRM_OK;
}

enum winrm_result winrm_enumerate(struct winrm_session *s, const char *resource_uri,
				  const struct winrm_selector *sel, size_t nsel, winrm_item_fn *fn,
				  void *arg)
{
	return winrm_enumerate_ex(s, resource_uri, sel, nsel, NULL, 0, fn, arg);
}

/* Enumerate (optimized: the first items come with the EnumerateResponse)
 * with flt, a filter's markup, then Pulls to the end of the sequence. */
static enum winrm_result enumerate(struct winrm_session *s, const char *resource_uri,
				   const struct winrm_selector *sel, size_t nsel, struct buf *flt,
				   winrm_item_fn *fn, void *arg)
{
	struct items it = {fn, arg};
	char context[MAX_CONTEXT], body[MAX_CONTEXT + 256 + MAX_FILTER_TEXT];
	const char *action = ACTION_ENUMERATE;
	int end = 0;

	if (!fn)
		return client_fail(s, WINRM_E_USAGE, "Enumerate needs an item function");
	if (buf_terminate(flt) != ERR_OK)
		return client_fail(s, WINRM_E_USAGE, "the filter is too long");
	snprintf(body, sizeof(body),
		 "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements>%s%s"
		 "</n:Enumerate>",
		 mode_element[s->enumeration_mode], (const char *)buf_ptr(flt));
	for (int round = 0; round < MAX_PULLS && !end; round++) {
		struct wsman_request resp;
		enum winrm_result r = request(s, resource_uri, action, sel, nsel, body, &resp);
		if (r != WINRM_OK)
			return r;
		enum err e =
		    wsman_client_enumerated(&resp, item, &it, context, sizeof(context), &end);
		wsman_request_clear(&resp);
		if (e != ERR_OK)
			return client_fail(s, WINRM_E_PROTOCOL,
					   "the enumeration reply of %s could not be read",
					   s->host_header);
		if (strpbrk(context, "<&"))
			return client_fail(s, WINRM_E_PROTOCOL,
					   "%s sent an unusable enumeration context",
					   s->host_header);
		action = ACTION_PULL;
		snprintf(
		    body, sizeof(body),
		    "<n:Pull><n:EnumerationContext>%s</n:EnumerationContext><n:MaxElements>32000"
		    "</n:MaxElements></n:Pull>",
		    context);
	}
	return end ? WINRM_OK
		   : client_fail(s, WINRM_E_PROTOCOL, "the enumeration of %s never ended",
				 resource_uri);
}

static enum winrm_result filter_failed(struct winrm_session *s, enum err e)
{
	return client_fail(s, e == ERR_FORMAT ? WINRM_E_USAGE : WINRM_E_NOMEM,
			   "the filter is not UTF-8 or too long");
}

enum winrm_result winrm_enumerate_ex(struct winrm_session *s, const char *resource_uri,
				     const struct winrm_selector *sel, size_t nsel,
				     const struct winrm_selector *filter, size_t nfilter,
				     winrm_item_fn *fn, void *arg)
{
	struct buf flt;
	enum winrm_result r = WINRM_OK;
	enum err e = ERR_OK;

	buf_init(&flt, MAX_FILTER_TEXT);
	/* w:Filter of the Selector dialect (DSP0226 8.3.2), escaped. */
	if (nfilter)
		e = buf_putf(&flt,
			     "<w:Filter Dialect=\"" WSMAN_SELECTOR_FILTER "\"><w:SelectorSet>");
	for (size_t i = 0; i < nfilter && e == ERR_OK && r == WINRM_OK; i++) {
		if (!filter[i].name || !filter[i].value)
			r = client_fail(s, WINRM_E_USAGE,
					"a filter selector without a name or value");
		else if ((e = wsman_put_text(&flt, "<w:Selector Name=\"", filter[i].name, "\">")) ==
			 ERR_OK)
			e = wsman_put_text(&flt, "", filter[i].value, "</w:Selector>");
	}
	if (nfilter && e == ERR_OK)
		e = buf_putf(&flt, "</w:SelectorSet></w:Filter>");
	if (r == WINRM_OK)
		r = e == ERR_OK ? enumerate(s, resource_uri, sel, nsel, &flt, fn, arg)
				: filter_failed(s, e);
	buf_clear(&flt);
	return r;
}

enum winrm_result winrm_enumerate_filter(struct winrm_session *s, const char *resource_uri,
					 const struct winrm_selector *sel, size_t nsel,
					 const char *dialect, const char *filter, winrm_item_fn *fn,
					 void *arg)
{
	struct buf flt;
	enum winrm_result r;
	enum err e;

	if (!dialect || !*dialect || !filter)
		return client_fail(s, WINRM_E_USAGE, "a filter needs its dialect and text");
	buf_init(&flt, MAX_FILTER_TEXT);
	if ((e = wsman_put_text(&flt, "<w:Filter Dialect=\"", dialect, "\">")) == ERR_OK)
		e = wsman_put_text(&flt, "", filter, "</w:Filter>");
	r = e == ERR_OK ? enumerate(s, resource_uri, sel, nsel, &flt, fn, arg)
			: filter_failed(s, e);
	buf_clear(&flt);
	return r;
}
