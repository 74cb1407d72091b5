/* Unit tests for cim/: resource URIs, the classes of the host's half
 * behind the access check (whose own tests are test_cim_sd.c), the IPC codecs (round trips,
 * names that could not be element names refused), the selection of a
 * Get's instance and the instance's XML. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cim/cim.h"
#include "common/buf.h"
#include "ipc/ipc.h"
#include "shell/shell_ops.h"
#include "check.h"

#define WMI CIM_WMI_PREFIX
#define DMTF CIM_DMTF_PREFIX

static void test_uri(void)
{
	struct cim_target t;

	CHECK("wmi uri parses",
	      cim_uri_parse(WMI "root/cimv2/Win32_OperatingSystem", &t) == ERR_OK &&
		  strcmp(t.namespace_name, "root/cimv2") == 0 &&
		  strcmp(t.class_name, "Win32_OperatingSystem") == 0 && !t.dmtf);
	CHECK("prefix case-insensitive",
	      cim_uri_parse("HTTP://Schemas.Microsoft.com/wbem/wsman/1/WMI/root/cimv2/X", &t) ==
		  ERR_OK);
	CHECK("deeper namespace",
	      cim_uri_parse(WMI "root/Microsoft/Windows/Storage/MSFT_Disk", &t) == ERR_OK &&
		  strcmp(t.namespace_name, "root/Microsoft/Windows/Storage") == 0);
	CHECK("dmtf uri", cim_uri_parse(DMTF "CIM_OperatingSystem", &t) == ERR_OK && t.dmtf &&
			      strcmp(t.namespace_name, CIM_DEFAULT_NAMESPACE) == 0);
	static const char *const bad[] = {
	    WMI "Win32_OperatingSystem",
	    WMI "/Win32_OperatingSystem",
	    WMI "root//cimv2/X",
	    WMI "root/cimv2/",
	    WMI "root/cimv2/**",
	    WMI "root/*/X",
	    DMTF "*",
	    WMI "root/cimv2/X?Name=y",
	    WMI "root/cim v2/X",
	    DMTF "a/CIM_X",
	    DMTF "",
	    "http://schemas.microsoft.com/wbem/wsman/1/config",
	    WMI "root/cimv2/X<y",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[128];
		snprintf(name, sizeof(name), "refused: %.100s", bad[i]);
		CHECK(name,
		      cim_uri_parse(bad[i], &t) == ERR_WSMAN_UNKNOWN_RESOURCE && !*t.class_name);
	}
	CHECK("a WMI class of * is the wildcard", cim_uri_parse(WMI "root/cimv2/*", &t) == ERR_OK &&
						      t.wildcard && !*t.class_name &&
						      strcmp(t.namespace_name, "root/cimv2") == 0);
	char long_class[300];
	snprintf(long_class, sizeof(long_class), WMI "root/cimv2/%0*d", CIM_MAX_NAME + 1, 0);
	CHECK("class over CIM_MAX_NAME refused",
	      cim_uri_parse(long_class, &t) == ERR_WSMAN_UNKNOWN_RESOURCE);
	CHECK("is_cim",
	      cim_uri_is_cim(WMI "x") && cim_uri_is_cim(DMTF "x") &&
		  !cim_uri_is_cim("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"));
}

/* The host's half, as this test process: admitted as an administrator,
 * as a member of its own group, refused as a member of none. */
static void test_instances(void)
{
	struct cim_request req = {.namespace_name = "root/cimv2",
				  .class_name = "win32_operatingsystem",
				  .access.client_ip = "192.0.2.1",
				  .access.sddl = CIM_DEFAULT_SDDL};
	struct cim_reply *r = calloc(1, sizeof(*r));
	struct cim_snapshots *s = cim_snapshots_new();
	struct group *own = getgrgid(getegid());

	snprintf(req.access.remote_users_group, sizeof(req.access.remote_users_group),
		 "owt_no_such_group_%d", (int)getpid());
	CHECK("outside the group: access denied",
	      cim_instances(s, &req, r) == ERR_WSMAN_WMI_ACCESS_DENIED && r->ninstances == 0);
	if (own) {
		snprintf(req.access.remote_users_group, sizeof(req.access.remote_users_group), "%s",
			 own->gr_name);
		CHECK("in the group: served",
		      cim_instances(s, &req, r) == ERR_OK && r->ninstances == 1 &&
			  strcmp(r->class_name, "Win32_OperatingSystem") == 0);
	}
	req.access.is_admin = 1;
	CHECK("administrator: served", cim_instances(s, &req, r) == ERR_OK && r->ninstances == 1 &&
					   r->total == 1 && r->snapshot == 0);
	int has_version = 0;
	for (uint32_t i = 0; i < r->instances[0].nproperties; i++)
		has_version |= strcmp(r->instances[0].properties[i].name, "Version") == 0;
	CHECK("Version among the properties", has_version);
	req.dmtf = 1;
	CHECK("DMTF: a Win32_ class is not found",
	      cim_instances(s, &req, r) == ERR_WSMAN_WMI_NOT_FOUND);
	snprintf(req.class_name, sizeof(req.class_name), "CIM_ComputerSystem");
	CHECK("DMTF: CIM_ComputerSystem", cim_instances(s, &req, r) == ERR_OK &&
					      strcmp(r->class_name, "CIM_ComputerSystem") == 0);
	req.dmtf = 0;
	snprintf(req.class_name, sizeof(req.class_name), "Win32_NoSuchClass");
	CHECK("unknown class", cim_instances(s, &req, r) == ERR_WSMAN_WMI_NOT_FOUND);
	snprintf(req.namespace_name, sizeof(req.namespace_name), "root/default");
	CHECK("unknown namespace", cim_instances(s, &req, r) == ERR_WSMAN_WMI_NOT_FOUND);
	cim_snapshots_free(s);
	free(r);
}

static const char *value_of(const struct cim_instance *inst, const char *name)
{
	for (uint32_t i = 0; i < inst->nproperties; i++)
		if (strcmp(inst->properties[i].name, name) == 0)
			return inst->properties[i].value;
	return NULL;
}

/* Win32_Process: more instances than a page, taken page by page from the
 * host's snapshot, and a Get of one by its key. */
static void test_processes(void)
{
	struct cim_request req = {.namespace_name = "root/cimv2",
				  .class_name = "Win32_Process",
				  .access.is_admin = 1,
				  .access.sddl = CIM_DEFAULT_SDDL,
				  .enumerate = 1};
	struct cim_reply *r = calloc(1, sizeof(*r));
	struct cim_snapshots *s = cim_snapshots_new();
	char me[32];
	pid_t kids[CIM_PAGE_INSTANCES + 2];
	uint32_t pages = 0, seen = 0, total = 0, found_me = 0, in_order = 1;
	enum err e;

	/* Enough processes that the answer takes more than one page. */
	for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
		if ((kids[i] = fork()) == 0) {
			pause();
			_exit(0);
		}
	snprintf(me, sizeof(me), "%d", (int)getpid());
	while ((e = cim_instances(s, &req, r)) == ERR_OK && pages++ < 10000) {
		in_order &= r->first == req.first;
		total = r->total;
		seen += r->ninstances;
		for (uint32_t i = 0; i < r->ninstances; i++)
			found_me |= value_of(&r->instances[i], "Handle") &&
				    strcmp(value_of(&r->instances[i], "Handle"), me) == 0;
		if (!r->snapshot)
			break;
		req.snapshot = r->snapshot;
		req.first = r->first + r->ninstances;
	}
	CHECK("enumeration: every page taken, in order",
	      e == ERR_OK && pages > 1 && seen == total && in_order);
	CHECK("this process among them", found_me);
	CHECK("the snapshot is gone with its last page",
	      cim_instances(s, &req, r) == ERR_WSMAN_INVALID_CONTEXT);
	req.snapshot = req.first = 0;
	req.enumerate = 0;
	CHECK("get without a key: refused", cim_instances(s, &req, r) == ERR_WSMAN_WMI_SINGLETON);
	req.nselectors = 1;
	snprintf(req.selectors[0].name, sizeof(req.selectors[0].name), "handle");
	snprintf(req.selectors[0].value, sizeof(req.selectors[0].value), "%s", me);
	CHECK("get by Handle",
	      cim_instances(s, &req, r) == ERR_OK && r->ninstances == 1 && r->total == 1 &&
		  strcmp(value_of(&r->instances[0], "ProcessId"), me) == 0 &&
		  value_of(&r->instances[0], "CreationDate") &&
		  strcmp(value_of(&r->instances[0], "CreationClassName"), "Win32_Process") == 0);
	snprintf(req.selectors[0].value, sizeof(req.selectors[0].value), "-1");
	CHECK("get of no such process", cim_instances(s, &req, r) == ERR_WSMAN_NO_INSTANCE);
	for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
		}
	cim_snapshots_free(s);
	free(r);
}

static void sample(struct cim_reply *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->class_name, sizeof(r->class_name), "Win32_Thing");
	r->total = r->ninstances = 2;
	for (uint32_t i = 0; i < 2; i++) {
		struct cim_instance *in = &r->instances[i];
		in->nproperties = 4;
		snprintf(in->properties[0].name, CIM_MAX_NAME, "Name");
		snprintf(in->properties[0].value, CIM_MAX_VALUE, "thing%u", i);
		snprintf(in->properties[1].name, CIM_MAX_NAME, "Caption");
		snprintf(in->properties[1].value, CIM_MAX_VALUE, "a <b> & \"c\"");
		snprintf(in->properties[2].name, CIM_MAX_NAME, "CSName");
		in->properties[2].type = CIM_NULL;
		snprintf(in->properties[3].name, CIM_MAX_NAME, "InstallDate");
		in->properties[3].type = CIM_DATETIME;
		snprintf(in->properties[3].value, CIM_MAX_VALUE, "2026-12-06T20:00:00Z");
	}
}

static void test_ipc(void)
{
	struct cim_request req = {.namespace_name = "root/cimv2",
				  .class_name = "Win32_OperatingSystem",
				  .dmtf = 1,
				  .access.is_admin = 1,
				  .access.remote_users_group = "winrm-users",
				  .access.client_ip = "192.0.2.1",
				  .nselectors = 1,
				  .selectors = {{"Handle", "1 <2>"}},
				  .snapshot = 7,
				  .first = 20,
				  .access.sddl = CIM_DEFAULT_SDDL,
				  .access.requires_encryption = 1,
				  .optimize = 1},
			   got;
	struct cim_reply *r = malloc(sizeof(*r)), *back = calloc(1, sizeof(*back));
	struct buf b;

	buf_init(&b, IPC_MAX_MSG);
	memset(&got, 0, sizeof(got));
	CHECK("request round trip",
	      cim_ipc_request_encode(&b, &req) == ERR_OK &&
		  cim_ipc_request_decode(&b, &got) == ERR_OK &&
		  strcmp(got.class_name, req.class_name) == 0 && got.dmtf && got.access.is_admin &&
		  strcmp(got.access.remote_users_group, "winrm-users") == 0 && !got.enumerate &&
		  got.nselectors == 1 && strcmp(got.selectors[0].value, "1 <2>") == 0 &&
		  got.snapshot == 7 && got.first == 20 && !got.optimize &&
		  strcmp(got.access.sddl, CIM_DEFAULT_SDDL) == 0 &&
		  got.access.requires_encryption && !got.access.encrypted);
	snprintf(req.selectors[0].name, sizeof(req.selectors[0].name), "Han dle");
	buf_reset(&b);
	CHECK("a selector that names no property could not be is refused",
	      cim_ipc_request_encode(&b, &req) == ERR_OK &&
		  cim_ipc_request_decode(&b, &got) == ERR_FORMAT);
	snprintf(req.selectors[0].name, sizeof(req.selectors[0].name), "Handle");
	sample(r);
	buf_reset(&b);
	CHECK("reply round trip",
	      cim_ipc_reply_encode(&b, r) == ERR_OK && cim_ipc_reply_decode(&b, back) == ERR_OK &&
		  back->ninstances == 2 &&
		  strcmp(back->instances[1].properties[0].value, "thing1") == 0 &&
		  back->instances[0].properties[2].type == CIM_NULL);
	snprintf(r->instances[0].properties[0].name, CIM_MAX_NAME, "Na<me");
	buf_reset(&b);
	CHECK("a property name that is no element name is refused",
	      cim_ipc_reply_encode(&b, r) == ERR_OK &&
		  cim_ipc_reply_decode(&b, back) == ERR_FORMAT);
	sample(r);
	r->instances[0].properties[0].type = CIM_TYPE_COUNT;
	buf_reset(&b);
	CHECK("unknown type not encoded", cim_ipc_reply_encode(&b, r) == ERR_USAGE);
	r->instances[0].properties[0].type = CIM_STRING;
	r->total = 30;
	buf_reset(&b);
	CHECK("a page that does not end the answer names its snapshot",
	      cim_ipc_reply_encode(&b, r) == ERR_USAGE);
	r->snapshot = 3;
	buf_reset(&b);
	CHECK("a first page of many", cim_ipc_reply_encode(&b, r) == ERR_OK &&
					  cim_ipc_reply_decode(&b, back) == ERR_OK &&
					  back->snapshot == 3 && back->total == 30);
	r->first = 29;
	buf_reset(&b);
	CHECK("a page past its answer not encoded", cim_ipc_reply_encode(&b, r) == ERR_USAGE);
	r->first = 0;
	r->total = r->ninstances = CIM_PAGE_INSTANCES + 1;
	r->snapshot = 0;
	buf_reset(&b);
	CHECK("too many instances not encoded", cim_ipc_reply_encode(&b, r) == ERR_USAGE);
	buf_reset(&b);
	buf_put_cstring(&b, "Win32_Thing");
	buf_put_u32(&b, 0);
	buf_put_u32(&b, CIM_PAGE_INSTANCES + 1);
	buf_put_u32(&b, 0);
	buf_put_u32(&b, CIM_PAGE_INSTANCES + 1);
	CHECK("too many instances not decoded", cim_ipc_reply_decode(&b, back) == ERR_FORMAT);
	buf_reset(&b);
	CHECK("request with trailing bytes refused",
	      cim_ipc_request_encode(&b, &req) == ERR_OK && buf_put_u8(&b, 0) == ERR_OK &&
		  cim_ipc_request_decode(&b, &got) == ERR_FORMAT);
	/* The seeds of fuzz/corpus/shell_ipc are this layout, byte for byte. */
	struct cim_request seed = {.namespace_name = "root/cimv2",
				   .class_name = "Win32_OperatingSystem",
				   .access.remote_users_group = "winrm-users",
				   .access.client_ip = "192.0.2.1",
				   .access.sddl = CIM_DEFAULT_SDDL,
				   .access.encrypted = 1};
	uint8_t file[512];
	FILE *f = fopen("fuzz/corpus/shell_ipc/cim_request", "rb");
	size_t n = f ? fread(file, 1, sizeof(file), f) : 0;
	if (f)
		fclose(f);
	buf_reset(&b);
	CHECK("the request seed is the encoding",
	      buf_put_u32(&b, (uint32_t)SHELL_CIM_INSTANCES) == ERR_OK &&
		  cim_ipc_request_encode(&b, &seed) == ERR_OK && n == buf_len(&b) &&
		  memcmp(file, buf_ptr(&b), n) == 0);
	buf_clear(&b);
	free(r);
	free(back);
}

static void test_select_and_xml(void)
{
	struct cim_reply *r = malloc(sizeof(*r));
	struct cim_target t;
	struct cim_selector key = {"name", "THING1"}, nothing = {"name", "nothing"},
			    bad = {"NoSuchKey", "x"};
	uint32_t index = 99;
	struct buf b;

	sample(r);
	CHECK("no selectors, many instances: refused",
	      cim_select(r->instances, 2, NULL, 0, &index) == ERR_WSMAN_WMI_SINGLETON);
	CHECK("no selectors: the singleton",
	      cim_select(r->instances, 1, NULL, 0, &index) == ERR_OK && index == 0);
	CHECK("no instance at all",
	      cim_select(r->instances, 0, NULL, 0, &index) == ERR_WSMAN_NO_INSTANCE);
	CHECK("by key, any case",
	      cim_select(r->instances, 2, &key, 1, &index) == ERR_OK && index == 1);
	CHECK("no such instance",
	      cim_select(r->instances, 2, &nothing, 1, &index) == ERR_WSMAN_NO_INSTANCE);
	CHECK("no such key",
	      cim_select(r->instances, 2, &bad, 1, &index) == ERR_WSMAN_INVALID_SELECTORS);

	buf_init(&b, 65536);
	cim_uri_parse(WMI "root/cimv2/Win32_Thing", &t);
	CHECK("xml written", cim_instance_xml(&b, &t, r->class_name, &r->instances[0]) == ERR_OK &&
				 buf_terminate(&b) == ERR_OK);
	const char *x = (const char *)buf_ptr(&b);
	CHECK("root element and namespace",
	      strncmp(x, "<p:Win32_Thing xmlns:p=\"" WMI "root/cimv2/Win32_Thing\"", 60) == 0);
	CHECK("xsi:type", strstr(x, "xsi:type=\"p:Win32_Thing_Type\" xml:lang=\"en-US\">") != NULL);
	CHECK("alphabetical order, case-insensitively: Caption, CSName, InstallDate, Name",
	      strstr(x, "<p:Caption") < strstr(x, "<p:CSName") &&
		  strstr(x, "<p:CSName") < strstr(x, "<p:InstallDate") &&
		  strstr(x, "<p:InstallDate") < strstr(x, "<p:Name"));
	CHECK("escaped", strstr(x, "<p:Caption>a &lt;b&gt; &amp; &quot;c&quot;</p:Caption>") ||
			     strstr(x, "<p:Caption>a &lt;b&gt; &amp; \"c\"</p:Caption>"));
	CHECK("nil", strstr(x, "<p:CSName xsi:nil=\"true\"/>") != NULL);
	CHECK("datetime",
	      strstr(x, "<p:InstallDate><cim:Datetime>2026-12-06T20:00:00Z</cim:Datetime>"
			"</p:InstallDate>") != NULL);
	buf_reset(&b);
	cim_uri_parse(DMTF "CIM_Thing", &t);
	CHECK("dmtf namespace",
	      cim_instance_xml(&b, &t, "CIM_Thing", &r->instances[0]) == ERR_OK &&
		  buf_terminate(&b) == ERR_OK &&
		  strstr((const char *)buf_ptr(&b), "xmlns:p=\"" DMTF "CIM_Thing\"") != NULL);
	buf_clear(&b);
	free(r);
}

int main(void)
{
	test_uri();
	test_instances();
	test_processes();
	test_ipc();
	test_select_and_xml();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
