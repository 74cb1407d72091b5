/* Unit tests for wsman/text.c: resources as the winrm tool shows them
 * (Windows' WsmTxt.xsl text form) and the edit `winrm set` makes. The
 * reference documents are Windows' own (Get of winrm/config and its
 * listeners, `winrm get` output; MS-WSMV 3.1.4.2), in the fuzz corpus. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wsman/wsman.h"
#include "check.h"

#define CORPUS "fuzz/corpus/wsman_text/"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	static char data[1 << 16];

	*len = f ? fread(data, 1, sizeof(data) - 1, f) : 0;
	if (f)
		fclose(f);
	data[*len] = 0;
	return data;
}

static int has_line(const struct buf *b, const char *line)
{
	size_t n = strlen(line);
	const char *p = (const char *)buf_ptr(b), *end = p + buf_len(b);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (len == n && memcmp(p, line, n) == 0)
			return 1;
		p += len + 1;
	}
	return 0;
}

static size_t lines(const struct buf *b)
{
	size_t n = 0;

	for (size_t i = 0; i < buf_len(b); i++)
		n += buf_ptr(b)[i] == '\n';
	return n;
}

static void test_config_text(void)
{
	size_t len;
	char *xml = slurp(CORPUS "config_windows.xml", &len);
	struct buf out;

	buf_init(&out, 1 << 20);
	CHECK("config: renders",
	      len > 0 && wsman_text_render(xml, len, WSMAN_TEXT_PLAIN, &out) == ERR_OK);
	/* Section 10.2 has 52 lines for the same elements. */
	CHECK("config: one line per element, as WsmTxt.xsl", lines(&out) == 52);
	CHECK("config: root", has_line(&out, "Config"));
	CHECK("config: top-level value", has_line(&out, "    MaxEnvelopeSizekb = 150"));
	CHECK("config: group", has_line(&out, "    Client"));
	CHECK("config: nested group", has_line(&out, "        Auth"));
	CHECK("config: nested value", has_line(&out, "            CredSSP = true"));
	CHECK("config: empty value is the bare name", has_line(&out, "        TrustedHosts"));
	CHECK("config: SDDL kept whole",
	      has_line(&out,
		       "        RootSDDL = "
		       "O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)"));
	buf_clear(&out);
}

static void test_listener_and_attributes(void)
{
	size_t len;
	char *xml = slurp(CORPUS "listener_windows.xml", &len);
	struct buf out;

	buf_init(&out, 1 << 20);
	CHECK("listener: renders", wsman_text_render(xml, len, WSMAN_TEXT_PLAIN, &out) == ERR_OK);
	CHECK("listener: repeated values share a line",
	      has_line(&out, "    ListeningOn = 10.0.0.5, 127.0.0.1, ::1"));
	CHECK("listener: values",
	      has_line(&out, "    Port = 5985") && has_line(&out, "    Hostname"));
	buf_reset(&out);
	xml = slurp(CORPUS "service_nil_gpo.xml", &len);
	CHECK("gpo/nil: renders", wsman_text_render(xml, len, WSMAN_TEXT_PLAIN, &out) == ERR_OK);
	CHECK("gpo: the Source attribute",
	      has_line(&out, "    AllowUnencrypted = true [Source=\"GPO\"]"));
	CHECK("nil: null", has_line(&out, "    CertificateThumbprint = null"));
	buf_reset(&out);
	xml = slurp(CORPUS "identify_envelope.xml", &len);
	CHECK("envelope: its body's element",
	      wsman_text_render(xml, len, WSMAN_TEXT_PLAIN, &out) == ERR_OK &&
		  has_line(&out, "IdentifyResponse") &&
		  has_line(&out, "    ProductVendor = Microsoft Corporation"));
	buf_reset(&out);
	CHECK("xml: standalone element with its namespace",
	      wsman_text_render(xml, len, WSMAN_TEXT_XML, &out) == ERR_OK &&
		  strstr((const char *)buf_ptr(&out), "<wsmid:IdentifyResponse xmlns:wsmid=") !=
		      NULL);
	buf_reset(&out);
	xml = slurp(CORPUS "dtd.xml", &len);
	CHECK("dtd: refused", wsman_text_render(xml, len, WSMAN_TEXT_PLAIN, &out) == ERR_FORMAT);
	CHECK("garbage: refused",
	      wsman_text_render("<a><b></a>", 10, WSMAN_TEXT_PLAIN, &out) == ERR_FORMAT);
	buf_clear(&out);
}

static void test_set(void)
{
	size_t len;
	char *xml = slurp(CORPUS "service_nil_gpo.xml", &len);
	struct buf out, msg, text;
	struct wsman_pair ok[] = {{.name = "allowunencrypted", .value = "false"},
				  {.name = "CertificateThumbprint", .value = "a<b"}};
	struct wsman_pair nil[] = {{.name = "AllowUnencrypted", .value = NULL}};
	struct wsman_pair unknown[] = {{.name = "NoSuch", .value = "1"}};
	struct wsman_pair group[] = {{.name = "Auth", .value = "1"}};

	buf_init(&out, 1 << 20);
	buf_init(&msg, 1024);
	buf_init(&text, 1 << 20);
	CHECK("set: ok", wsman_text_set(xml, len, ok, 2, &out, &msg) == ERR_OK);
	CHECK("set: result renders", wsman_text_render((const char *)buf_ptr(&out), buf_len(&out),
						       WSMAN_TEXT_PLAIN, &text) == ERR_OK);
	CHECK("set: value changed, attribute kept",
	      has_line(&text, "    AllowUnencrypted = false [Source=\"GPO\"]"));
	CHECK("set: nil cleared, text escaped",
	      has_line(&text, "    CertificateThumbprint = a<b") &&
		  strstr((const char *)buf_ptr(&out), "a&lt;b") != NULL);
	CHECK("set: other settings untouched", has_line(&text, "        Basic = false"));
	buf_reset(&out), buf_reset(&text);
	CHECK("set: $null", wsman_text_set(xml, len, nil, 1, &out, &msg) == ERR_OK &&
				wsman_text_render((const char *)buf_ptr(&out), buf_len(&out),
						  WSMAN_TEXT_PLAIN, &text) == ERR_OK &&
				has_line(&text, "    AllowUnencrypted = null [Source=\"GPO\"]"));
	buf_reset(&out);
	CHECK("set: unknown setting refused",
	      wsman_text_set(xml, len, unknown, 1, &out, &msg) == ERR_CONFIG &&
		  strstr((const char *)buf_ptr(&msg), "NoSuch") != NULL && buf_len(&out) == 0);
	buf_reset(&msg);
	CHECK("set: a group refused", wsman_text_set(xml, len, group, 1, &out, &msg) == ERR_CONFIG);
	buf_clear(&out);
	buf_clear(&msg);
	buf_clear(&text);
}

int main(void)
{
	test_config_text();
	test_listener_and_attributes();
	test_set();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
