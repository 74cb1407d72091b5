/* cim_calls: for the unit tests of cim/'s calls (methods and Put): a
 * request's envelope as Windows' winrm writes one, read by the network
 * process's parser of the call. */
#ifndef OPENWINRM_TEST_CIM_CALLS_H
#define OPENWINRM_TEST_CIM_CALLS_H

#include <string.h>

#include "cim/cim.h"
#include "common/buf.h"
#include "wsman/wsman.h"

typedef enum err cim_call_parse_fn(const struct wsman_request *ws, const struct cim_target *t,
				   struct cim_invoke_request *out);

/* parse (cim_invoke_parse, cim_put_parse) of the envelope of action on
 * resource, with the selectors' XML (NULL: none) and body; ERR_FORMAT if
 * the envelope itself does not parse. */
static inline enum err cim_call_parse(cim_call_parse_fn *parse, const char *resource,
				      const char *action, const char *selector, const char *body,
				      struct cim_invoke_request *out)
{
	struct wsman_request ws;
	struct cim_target t;
	struct buf b;
	enum err e;

	buf_init(&b, 1 << 20);
	buf_putf(&b,
		 "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
		 "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
		 "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
		 "<a:To>http://localhost:5985/wsman</a:To><w:ResourceURI>%s</w:ResourceURI>"
		 "<a:Action>%s</a:Action><a:MessageID>uuid:1</a:MessageID>%s%s%s</s:Header>"
		 "<s:Body>%s</s:Body></s:Envelope>",
		 resource, action, selector ? "<w:SelectorSet>" : "", selector ? selector : "",
		 selector ? "</w:SelectorSet>" : "", body);
	memset(&ws, 0, sizeof(ws));
	e = wsman_parse(buf_ptr(&b), buf_len(&b), &ws);
	if (e == ERR_OK)
		e = cim_uri_parse(ws.hdr.resource_uri, &t);
	if (e == ERR_OK)
		e = parse(&ws, &t, out);
	else
		e = ERR_FORMAT;
	wsman_request_clear(&ws);
	buf_clear(&b);
	return e;
}

#endif
