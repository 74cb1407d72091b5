/* Unit tests for cim/cim_wql.c and the items of cim_xml.c: every WQL
 * operator on every property type, keywords and names in any case,
 * string escapes and LIKE patterns, AND/OR/NOT precedence, the select
 * list's w:XmlFragment, the selector filter's rules, malformed queries
 * and each limit against hostile ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cim/cim.h"
#include "common/buf.h"
#include "wsman/wsman.h"
#include "check.h"

#define REFUSED_AT_PARSE (-2)
#define REFUSED_AT_MATCH (-1)

static struct cim_instance os;

static void add(struct cim_instance *inst, const char *name, enum cim_type type, const char *v)
{
	struct cim_property *p = &inst->properties[inst->nproperties++];

	snprintf(p->name, sizeof(p->name), "%s", name);
	p->type = type;
	snprintf(p->value, sizeof(p->value), "%s", v);
}

static void build_instance(void)
{
	add(&os, "Caption", CIM_STRING, "Debian GNU/Linux 12 (bookworm)");
	add(&os, "CSName", CIM_STRING, "host1");
	add(&os, "OSType", CIM_NUMBER, "36");
	add(&os, "TotalVisibleMemorySize", CIM_NUMBER, "16384000");
	add(&os, "PauseAfterReset", CIM_NUMBER, "-1");
	add(&os, "Primary", CIM_BOOLEAN, "true");
	add(&os, "LastBootUpTime", CIM_DATETIME, "2024-05-01T10:00:00+02:00");
	add(&os, "Description", CIM_NULL, "");
	add(&os, "Path", CIM_STRING, "C:\\Windows");
	add(&os, "Odd", CIM_STRING, "a_b%c[d]");
	add(&os, "Cafe", CIM_STRING, "caf\xc3\xa9");
}

/* 1 kept, 0 dropped, or where it was refused. */
static int match(const char *query)
{
	struct cim_filter f;
	int keep = 0;

	if (cim_wql_parse(query, &f, NULL) != ERR_OK)
		return REFUSED_AT_PARSE;
	if (cim_filter_match(&f, &os, &keep, NULL) != ERR_OK)
		return REFUSED_AT_MATCH;
	return keep;
}

struct want {
	const char *where;
	int result;
};

static void check_all(const char *group, const struct want *w, size_t n)
{
	char query[1024], name[1200];

	for (size_t i = 0; i < n; i++) {
		snprintf(query, sizeof(query), "select * from Win32_OperatingSystem where %s",
			 w[i].where);
		snprintf(name, sizeof(name), "%s: %s -> %d", group, w[i].where, w[i].result);
		CHECK(name, match(query) == w[i].result);
	}
}

#define CHECK_ALL(group, table) check_all(group, table, sizeof(table) / sizeof(table[0]))

static void test_numbers(void)
{
	static const struct want w[] = {
	    {"OSType = 36", 1},
	    {"OSType = 37", 0},
	    {"OSType <> 37", 1},
	    {"OSType <> 36", 0},
	    {"OSType != 37", 1},
	    {"OSType != 36", 0},
	    {"OSType < 37", 1},
	    {"OSType < 36", 0},
	    {"OSType > 35", 1},
	    {"OSType > 36", 0},
	    {"OSType <= 36", 1},
	    {"OSType <= 35", 0},
	    {"OSType >= 36", 1},
	    {"OSType >= 37", 0},
	    /* numbers as numbers, not as text */
	    {"OSType < 100", 1},
	    {"OSType = 36.0", 1},
	    {"OSType = +36", 1},
	    {"OSType = 036", 1},
	    {"OSType > 35.5", 1},
	    {"OSType < 36.001", 1},
	    {"TotalVisibleMemorySize > 9999999", 1},
	    {"TotalVisibleMemorySize < 99999999999999999999999999", 1},
	    {"PauseAfterReset < 0", 1},
	    {"PauseAfterReset > -2", 1},
	    {"PauseAfterReset = -1", 1},
	    {"PauseAfterReset < -0.5", 1},
	    /* a string constant converted, as WMI converts it */
	    {"OSType = '36'", 1},
	    {"OSType = 'thirty-six'", REFUSED_AT_MATCH},
	    {"OSType = TRUE", REFUSED_AT_MATCH},
	    /* LIKE on a number is =, its wildcards an invalid query */
	    {"OSType LIKE 36", 1},
	    {"OSType LIKE '36'", 1},
	    {"OSType LIKE '3%'", REFUSED_AT_MATCH},
	};
	CHECK_ALL("number", w);
}

static void test_strings(void)
{
	static const struct want w[] = {
	    {"Caption = 'Debian GNU/Linux 12 (bookworm)'", 1},
	    {"Caption = 'DEBIAN gnu/linux 12 (BOOKWORM)'", 1},
	    {"Caption = \"debian gnu/linux 12 (bookworm)\"", 1},
	    {"Caption = 'Debian'", 0},
	    {"Caption <> 'Debian'", 1},
	    {"Caption != 'debian gnu/linux 12 (bookworm)'", 0},
	    {"Caption < 'E'", 1},
	    {"Caption < 'e'", 1},
	    {"Caption > 'Debian'", 1},
	    {"Caption >= 'DEBIAN GNU/LINUX 12 (BOOKWORM)'", 1},
	    {"Caption <= 'debian'", 0},
	    {"CSName = 'HOST1'", 1},
	    /* a number constant compares as its text */
	    {"CSName > 5", 1},
	    {"Caption = FALSE", REFUSED_AT_MATCH},
	    /* backslash escapes: \\ is one backslash, \' a quote */
	    {"Path = 'C:\\\\Windows'", 1},
	    {"Path = 'C:\\Windows'", 0},
	    {"Caption <> 'it\\'s'", 1},
	    {"Caption <> \"say \\\"hi\\\"\"", 1},
	};
	CHECK_ALL("string", w);
}

static void test_like(void)
{
	static const struct want w[] = {
	    {"Caption LIKE '%linux%'", 1},
	    {"Caption LIKE 'debian%'", 1},
	    {"Caption LIKE '%(bookworm)'", 1},
	    {"Caption LIKE '%windows%'", 0},
	    {"Caption LIKE '_ebian%'", 1},
	    {"Caption LIKE '__bian%'", 1},
	    {"Caption LIKE '_bian%'", 0},
	    {"Caption LIKE '[a-e]ebian%'", 1},
	    {"Caption LIKE '[a=e]ebian%'", 1},
	    {"Caption LIKE '[e-z]ebian%'", 0},
	    {"Caption LIKE '[^d]ebian%'", 0},
	    {"Caption LIKE '[^x]ebian%'", 1},
	    {"Caption LIKE '[xyzd]ebian%'", 1},
	    {"Caption LIKE '%'", 1},
	    {"Caption LIKE ''", 0},
	    {"Caption LIKE 'Debian GNU/Linux 12 (bookworm)'", 1},
	    {"Caption LIKE 'Debian'", 0},
	    /* %, _ and [ inside brackets are themselves */
	    {"Odd LIKE 'a[_]b[%]c[[]d]'", 1},
	    {"Odd LIKE 'a[_]b[%]cd%'", 0},
	    /* "[^]" is the caret; "x-]" two characters */
	    {"Odd LIKE '[^]%'", 0},
	    {"Odd LIKE '[-a]%'", 1},
	    {"Odd LIKE '[b-]%'", 0},
	    /* MS-WMI 2.2.1: no backslash escapes in a LIKE pattern */
	    {"Path LIKE 'C:\\Win%'", 1},
	    {"Path LIKE 'c:\\windows'", 1},
	    /* _ is a character, not a byte */
	    {"Cafe LIKE 'caf_'", 1},
	    {"Cafe LIKE 'caf__'", 0},
	    {"Cafe LIKE 'CAF\xc3\xa9'", 1},
	    {"Cafe LIKE 'caf[\xc3\xa9]'", 1},
	    /* many %: linear, not exponential */
	    {"Caption LIKE '%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%z'", 0},
	    /* malformed brackets: the query is refused */
	    {"Caption LIKE '[abc'", REFUSED_AT_PARSE},
	    {"Caption LIKE '[]x'", REFUSED_AT_PARSE},
	    {"Caption LIKE 'x[^'", REFUSED_AT_PARSE},
	};
	CHECK_ALL("like", w);
}

static void test_booleans_datetimes_nulls(void)
{
	static const struct want w[] = {
	    {"Primary = TRUE", 1},
	    {"Primary = true", 1},
	    {"Primary = FALSE", 0},
	    {"Primary <> FALSE", 1},
	    {"Primary != TRUE", 0},
	    {"Primary = 'True'", 1},
	    {"Primary = 1", 1},
	    {"Primary = 0", 0},
	    {"Primary LIKE TRUE", 1},
	    {"Primary > FALSE", REFUSED_AT_MATCH},
	    {"Primary = 'yes'", REFUSED_AT_MATCH},
	    /* 10:00 at +02:00 is 08:00Z, in CIM's form and xs:dateTime's */
	    {"LastBootUpTime = '20240501080000.000000+000'", 1},
	    {"LastBootUpTime = '20240501100000.000000+120'", 1},
	    {"LastBootUpTime = '20240501033000.000000-270'", 1},
	    {"LastBootUpTime = '2024-05-01T08:00:00Z'", 1},
	    {"LastBootUpTime = '2024-05-01T08:00:00.000001Z'", 0},
	    {"LastBootUpTime <> '2024-05-01T08:00:00Z'", 0},
	    {"LastBootUpTime > '20240501075959.999999+000'", 1},
	    {"LastBootUpTime < '2024-05-01T08:00:01Z'", 1},
	    {"LastBootUpTime >= '2024-05-01T10:00:00+02:00'", 1},
	    {"LastBootUpTime <= '2023-12-31T23:59:59Z'", 0},
	    {"LastBootUpTime > '19991231000000.000000+000'", 1},
	    {"LastBootUpTime = 5", REFUSED_AT_MATCH},
	    {"LastBootUpTime = 'yesterday'", REFUSED_AT_MATCH},
	    {"LastBootUpTime = '20241301000000.000000+000'", REFUSED_AT_MATCH},
	    {"LastBootUpTime LIKE '2024%'", REFUSED_AT_MATCH},
	    /* a missing value: IS NULL, equal to nothing, unequal to nothing */
	    {"Description IS NULL", 1},
	    {"Description IS NOT NULL", 0},
	    {"Caption IS NOT NULL", 1},
	    {"caption is null", 0},
	    {"Description = 'x'", 0},
	    {"Description <> 'x'", 0},
	    {"NOT Description = 'x'", 1},
	    {"Description LIKE '%'", 0},
	};
	CHECK_ALL("typed", w);
}

static void test_logic(void)
{
	static const struct want w[] = {
	    {"OSType = 36 AND Primary = TRUE", 1},
	    {"OSType = 36 AND Primary = FALSE", 0},
	    {"OSType = 1 OR Primary = TRUE", 1},
	    {"OSType = 1 OR Primary = FALSE", 0},
	    /* AND binds tighter than OR */
	    {"OSType = 36 OR OSType = 1 AND Primary = FALSE", 1},
	    {"(OSType = 36 OR OSType = 1) AND Primary = FALSE", 0},
	    {"OSType = 1 AND Primary = FALSE OR CSName = 'host1'", 1},
	    {"NOT OSType = 36", 0},
	    {"NOT (OSType = 1)", 1},
	    {"NOT NOT OSType = 36", 1},
	    {"NOT OSType = 1 AND NOT OSType = 2", 1},
	    {"((((OSType = 36))))", 1},
	    {"(OSType = 1 OR (CSName LIKE 'host%' AND NOT (Primary = FALSE)))", 1},
	    /* keywords and names in any case */
	    {"ostype = 36 and PRIMARY = true Or CsNaMe = 'x'", 1},
	    {"osTYPE   =\t36\r\nAND\nprimary=TRUE", 1},
	    /* a property the class lacks is refused wherever it stands */
	    {"NoSuchProperty = 1", REFUSED_AT_MATCH},
	    {"OSType = 36 OR NoSuchProperty = 1", REFUSED_AT_MATCH},
	    {"NoSuchProperty IS NULL", REFUSED_AT_MATCH},
	};
	CHECK_ALL("logic", w);
	CHECK("no WHERE: every instance", match("SELECT * FROM Win32_OperatingSystem") == 1);
	CHECK("keywords in lower case", match("select * from win32_operatingsystem") == 1);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
	    "",
	    "   ",
	    "select",
	    "select *",
	    "select * from",
	    "select * X",
	    "delete from X",
	    "select * from X where",
	    "select * from X where OSType",
	    "select * from X where OSType =",
	    "select * from X where OSType == 36",
	    "select * from X where OSType ~ 36",
	    "select * from X where OSType =! 36",
	    "select * from X where OSType ! 36",
	    "select * from X where OSType = 36 36",
	    "select * from X where (OSType = 36",
	    "select * from X where OSType = 36)",
	    "select * from X where ()",
	    "select * from X where OSType = 36 AND",
	    "select * from X where OR OSType = 36",
	    "select * from X where NOT",
	    "select * from X where 36 = OSType",
	    "select * from X where OSType = NULL",
	    "select * from X where OSType IS 5",
	    "select * from X where Caption IS NOT 'x'",
	    "select * from X where OSType ISA 'Y'",
	    "select * from X where Caption = 'open",
	    "select * from X where Caption = 'a\\",
	    "select * from X where OSType = 1.",
	    "select * from X where OSType = 1.2.3",
	    "select * from X where OSType = 1e5",
	    "select * from X where OSType = 36abc",
	    "select * from X where OSType = .",
	    "select * from X where OSType = -",
	    "select * from X where OSType = `x`",
	    "select * from X where OSType = 36;",
	    "select * from X; drop",
	    "select *, Caption from X",
	    "select Caption, from X",
	    "select Caption Caption from X",
	    "select , from X",
	    "select * from 5",
	    "select * from X Y",
	    "select * from X.Y",
	    "select from from X",
	    "select * from select",
	    "select where from X",
	    "select * from X where where = 1",
	    "select * from X where Caption LIKE",
	    "select * from X where Caption LIKE Caption",
	    "\xc3\xa9 select * from X",
	    "select * from X\xc3\xa9",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cim_filter f;
		const char *why = NULL;
		char name[256];
		enum err e = cim_wql_parse(bad[i], &f, &why);
		snprintf(name, sizeof(name), "malformed: [%.200s]", bad[i]);
		CHECK(name,
		      e == ERR_WSMAN_CANNOT_PROCESS_FILTER && why && f.kind == CIM_FILTER_NONE);
	}
}

/* Whether a query of the given WHERE compiles. */
static int parses(const char *where)
{
	static char q[CIM_MAX_WQL + 4096];
	struct cim_filter f;

	snprintf(q, sizeof(q), "select * from Win32_OperatingSystem where %s", where);
	return cim_wql_parse(q, &f, NULL) == ERR_OK;
}

static void test_limits(void)
{
	static char w[CIM_MAX_WQL + 2048];
	size_t o;

	/* the query's length */
	o = (size_t)snprintf(w, sizeof(w), "select * from X where Caption = '");
	memset(w + o, 'a', CIM_MAX_WQL);
	snprintf(w + CIM_MAX_WQL - 1, sizeof(w) - CIM_MAX_WQL + 1, "'");
	{
		struct cim_filter f;
		const char *why = NULL;
		CHECK("a query of CIM_MAX_WQL bytes: the literal refused, not the length",
		      strlen(w) == CIM_MAX_WQL &&
			  cim_wql_parse(w, &f, &why) == ERR_WSMAN_CANNOT_PROCESS_FILTER);
		memset(w, ' ', sizeof(w));
		o = (size_t)snprintf(w, sizeof(w), "select * from X");
		w[o] = ' ';
		w[CIM_MAX_WQL] = 0;
		CHECK("CIM_MAX_WQL bytes of query", cim_wql_parse(w, &f, NULL) == ERR_OK);
		w[CIM_MAX_WQL] = ' ';
		w[CIM_MAX_WQL + 1] = 0;
		why = NULL;
		CHECK("CIM_MAX_WQL + 1 bytes refused",
		      cim_wql_parse(w, &f, &why) == ERR_WSMAN_CANNOT_PROCESS_FILTER && why &&
			  strstr(why, "CIM_MAX_WQL"));
	}

	/* a literal's length */
	o = (size_t)snprintf(w, sizeof(w), "Caption = '");
	memset(w + o, 'b', CIM_MAX_WQL_LITERAL);
	snprintf(w + o + CIM_MAX_WQL_LITERAL, sizeof(w) - o - CIM_MAX_WQL_LITERAL, "'");
	CHECK("a literal of CIM_MAX_WQL_LITERAL bytes", parses(w));
	snprintf(w + o + CIM_MAX_WQL_LITERAL, sizeof(w) - o - CIM_MAX_WQL_LITERAL, "b'");
	CHECK("a literal of CIM_MAX_WQL_LITERAL + 1 bytes refused", !parses(w));
	o = (size_t)snprintf(w, sizeof(w), "Path = '");
	for (size_t i = 0; i < CIM_MAX_WQL_LITERAL; i++, o += 2)
		memcpy(w + o, "\\\\", 2);
	snprintf(w + o, sizeof(w) - o, "'");
	CHECK("escapes count once against the literal's limit", parses(w));
	o = (size_t)snprintf(w, sizeof(w), "OSType = ");
	memset(w + o, '9', CIM_MAX_WQL_LITERAL + 1);
	w[o + CIM_MAX_WQL_LITERAL + 1] = 0;
	CHECK("a number of CIM_MAX_WQL_LITERAL + 1 digits refused", !parses(w));

	/* nesting: parentheses and NOTs */
	o = 0;
	for (int i = 0; i < CIM_MAX_WQL_DEPTH - 1; i++)
		w[o++] = '(';
	o += (size_t)snprintf(w + o, sizeof(w) - o, "OSType = 36");
	for (int i = 0; i < CIM_MAX_WQL_DEPTH - 1; i++)
		w[o++] = ')';
	w[o] = 0;
	CHECK("parentheses to CIM_MAX_WQL_DEPTH", parses(w));
	o = 0;
	for (int i = 0; i < CIM_MAX_WQL_DEPTH; i++)
		w[o++] = '(';
	o += (size_t)snprintf(w + o, sizeof(w) - o, "OSType = 36");
	for (int i = 0; i < CIM_MAX_WQL_DEPTH; i++)
		w[o++] = ')';
	w[o] = 0;
	CHECK("parentheses past CIM_MAX_WQL_DEPTH refused", !parses(w));
	o = 0;
	for (int i = 0; i < 1000; i++)
		w[o++] = '(';
	w[o] = 0;
	CHECK("a thousand '(' refused", !parses(w));
	o = 0;
	for (int i = 0; i < CIM_MAX_WQL_DEPTH; i++)
		o += (size_t)snprintf(w + o, sizeof(w) - o, "NOT ");
	snprintf(w + o, sizeof(w) - o, "OSType = 36");
	CHECK("NOTs past CIM_MAX_WQL_DEPTH refused", !parses(w));

	/* terms */
	o = 0;
	for (int i = 0; i < CIM_MAX_WQL_TERMS; i++)
		o += (size_t)snprintf(w + o, sizeof(w) - o, "%sOSType = %d", i ? " OR " : "", i);
	CHECK("CIM_MAX_WQL_TERMS comparisons", parses(w));
	snprintf(w + o, sizeof(w) - o, " OR OSType = 36");
	CHECK("CIM_MAX_WQL_TERMS + 1 comparisons refused", !parses(w));
	o = 0;
	for (int i = 0; i < 40; i++)
		o += (size_t)snprintf(w + o, sizeof(w) - o,
				      "%sNOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT "
				      "NOT a=1",
				      i ? " or " : "");
	{
		struct cim_filter f;
		const char *why = NULL;
		static char q[CIM_MAX_WQL + 4096];
		snprintf(q, sizeof(q), "select * from X where %s", w);
		CHECK("more nodes than CIM_MAX_WQL_NODES refused",
		      strlen(q) <= CIM_MAX_WQL &&
			  cim_wql_parse(q, &f, &why) == ERR_WSMAN_CANNOT_PROCESS_FILTER && why &&
			  strstr(why, "terms"));
	}

	/* the select list */
	o = (size_t)snprintf(w, sizeof(w), "select ");
	for (int i = 0; i < CIM_MAX_WQL_TERMS; i++)
		o += (size_t)snprintf(w + o, sizeof(w) - o, "%sP%d", i ? ", " : "", i);
	{
		struct cim_filter f;
		snprintf(w + o, sizeof(w) - o, " from X");
		CHECK("CIM_MAX_WQL_TERMS selected names", cim_wql_parse(w, &f, NULL) == ERR_OK);
		snprintf(w + o, sizeof(w) - o, ", P from X");
		CHECK("CIM_MAX_WQL_TERMS + 1 selected names refused",
		      cim_wql_parse(w, &f, NULL) == ERR_WSMAN_CANNOT_PROCESS_FILTER);
	}

	/* a name longer than any property's */
	o = (size_t)snprintf(w, sizeof(w), "select * from ");
	memset(w + o, 'C', CIM_MAX_NAME + 1);
	w[o + CIM_MAX_NAME + 1] = 0;
	CHECK("a class name past CIM_MAX_NAME refused", match(w) == REFUSED_AT_PARSE);
}

/* A page of class_name's answer, for cim_item_xml: the class and its keys
 * (n of them). */
static const struct cim_reply *page_keyed(const char *class_name, const char *const *keys,
					  uint32_t n)
{
	static struct cim_reply page;

	memset(&page, 0, sizeof(page));
	snprintf(page.class_name, sizeof(page.class_name), "%s", class_name);
	for (page.nkeys = 0; page.nkeys < n; page.nkeys++)
		snprintf(page.keys[page.nkeys], sizeof(page.keys[0]), "%s", keys[page.nkeys]);
	return &page;
}

static const struct cim_reply *page_of(const char *class_name)
{
	return page_keyed(class_name, NULL, 0);
}

static void test_select_list_and_items(void)
{
	struct cim_filter f;
	struct cim_target t = {.namespace_name = "root/cimv2",
			       .class_name = "Win32_OperatingSystem"};
	struct buf out;
	const char *why = NULL;
	int kept = 0;

	CHECK("select list parses",
	      cim_wql_parse("SELECT CSName, caption ,LastBootUpTime,Description FROM "
			    "Win32_OperatingSystem WHERE OSType = 36",
			    &f, NULL) == ERR_OK &&
		  cim_filter_projects(&f) && cim_filter_keeps(&f, "Caption") &&
		  cim_filter_keeps(&f, "CSNAME") && !cim_filter_keeps(&f, "OSType") &&
		  strcmp(cim_filter_class(&f), "Win32_OperatingSystem") == 0);
	buf_init(&out, 64 * 1024);
	CHECK("fragment written",
	      cim_item_xml(&out, &t, page_of("Win32_OperatingSystem"), WSMAN_ENUM_OBJECTS, &f, &os,
			   &kept, &why) == ERR_OK &&
		  kept && buf_terminate(&out) == ERR_OK);
	CHECK("fragment: unqualified, alphabetical case-insensitively, datetime and nil",
	      strcmp((const char *)buf_ptr(&out),
		     "<w:XmlFragment xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
		     "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\">"
		     "<Caption>Debian GNU/Linux 12 (bookworm)</Caption><CSName>host1</CSName>"
		     "<Description xsi:nil=\"true\"/><LastBootUpTime><Datetime>"
		     "2024-05-01T10:00:00+02:00</Datetime></LastBootUpTime></w:XmlFragment>") == 0);

	buf_reset(&out);
	CHECK("SELECT *: the instance",
	      cim_wql_parse("select * from Win32_OperatingSystem", &f, NULL) == ERR_OK &&
		  !cim_filter_projects(&f) &&
		  cim_item_xml(&out, &t, page_of("Win32_OperatingSystem"), WSMAN_ENUM_OBJECTS, &f,
			       &os, &kept, &why) == ERR_OK &&
		  kept && buf_terminate(&out) == ERR_OK &&
		  strncmp((const char *)buf_ptr(&out), "<p:Win32_OperatingSystem xmlns:p=", 33) ==
		      0 &&
		  strstr((const char *)buf_ptr(&out), "<p:OSType>36</p:OSType>"));

	buf_reset(&out);
	CHECK("dropped: nothing written",
	      cim_wql_parse("select Caption from X where OSType = 1", &f, NULL) == ERR_OK &&
		  cim_item_xml(&out, &t, page_of("X"), WSMAN_ENUM_OBJECTS, &f, &os, &kept, &why) ==
		      ERR_OK &&
		  !kept && buf_len(&out) == 0);
	why = NULL;
	CHECK("a selected property the class lacks is refused",
	      cim_wql_parse("select Caption, Nope from X", &f, NULL) == ERR_OK &&
		  cim_item_xml(&out, &t, page_of("X"), WSMAN_ENUM_OBJECTS, &f, &os, &kept, &why) ==
		      ERR_WSMAN_CANNOT_PROCESS_FILTER &&
		  why && !kept);

	memset(&f, 0, sizeof(f));
	buf_reset(&out);
	CHECK("no filter: every instance, whole",
	      cim_item_xml(&out, &t, page_of("X"), WSMAN_ENUM_OBJECTS, &f, &os, &kept, NULL) ==
		      ERR_OK &&
		  kept && buf_len(&out) > 0 && strcmp(cim_filter_class(&f), "") == 0);
	buf_clear(&out);
}

static int select_match(const char *const *names, const char *const *values, uint32_t n)
{
	struct cim_filter f;
	int keep = 0;

	if (cim_selector_filter(names, values, n, &f, NULL) != ERR_OK)
		return REFUSED_AT_PARSE;
	if (cim_filter_match(&f, &os, &keep, NULL) != ERR_OK)
		return REFUSED_AT_MATCH;
	return keep;
}

#define EPR_HEAD                                                                                   \
	"<a:EndpointReference><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/"   \
	"anonymous</a:Address><a:ReferenceParameters><w:ResourceURI>"

/* EnumerateEPR and EnumerateObjectAndEPR items (DSP0226 8.7). */
static void test_epr_items(void)
{
	static const char *const product_keys[] = {"IdentifyingNumber", "Name", "Version"};
	static const char *const handle[] = {"Handle"};
	static struct cim_instance product, process;
	struct cim_target wmi = {.namespace_name = "root/cimv2", .class_name = "Win32_Product"};
	struct cim_target dmtf = {
	    .namespace_name = "root/cimv2", .class_name = "CIM_Process", .dmtf = 1};
	struct cim_filter none = {0}, f;
	struct buf out;
	const char *text;
	int kept = 0;

	/* The keys out of order, and a value to escape. */
	static const char *const product_properties[][2] = {{"Version", "1.0-1"},
							    {"Name", "a<b>&\"c'"},
							    {"IdentifyingNumber", "libc6:amd64"},
							    {"Caption", "x"}};

	for (size_t i = 0; i < sizeof(product_properties) / sizeof(product_properties[0]); i++)
		add(&product, product_properties[i][0], CIM_STRING, product_properties[i][1]);
	add(&process, "Handle", CIM_STRING, "42");
	add(&process, "Name", CIM_STRING, "sshd");
	buf_init(&out, 64 * 1024);

	CHECK("EPR: the class URI and its keys in order, escaped",
	      cim_item_xml(&out, &wmi, page_keyed("Win32_Product", product_keys, 3),
			   WSMAN_ENUM_EPRS, &none, &product, &kept, NULL) == ERR_OK &&
		  kept && buf_terminate(&out) == ERR_OK &&
		  strcmp((const char *)buf_ptr(&out),
			 EPR_HEAD "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/"
				  "Win32_Product</w:ResourceURI><w:SelectorSet>"
				  "<w:Selector Name=\"IdentifyingNumber\">libc6:amd64</w:Selector>"
				  "<w:Selector Name=\"Name\">a&lt;b&gt;&amp;&quot;c'</w:Selector>"
				  "<w:Selector Name=\"Version\">1.0-1</w:Selector></w:SelectorSet>"
				  "</a:ReferenceParameters></a:EndpointReference>") == 0);

	buf_reset(&out);
	CHECK("EPR: DMTF's URI for a DMTF class",
	      cim_item_xml(&out, &dmtf, page_keyed("CIM_Process", handle, 1), WSMAN_ENUM_EPRS,
			   &none, &process, &kept, NULL) == ERR_OK &&
		  buf_terminate(&out) == ERR_OK &&
		  strcmp((const char *)buf_ptr(&out),
			 EPR_HEAD "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Process"
				  "</w:ResourceURI><w:SelectorSet><w:Selector Name=\"Handle\">42"
				  "</w:Selector></w:SelectorSet></a:ReferenceParameters>"
				  "</a:EndpointReference>") == 0);

	buf_reset(&out);
	CHECK("EPR: a singleton's has no selectors",
	      cim_item_xml(&out, &wmi, page_of("Win32_OperatingSystem"), WSMAN_ENUM_EPRS, &none,
			   &os, &kept, NULL) == ERR_OK &&
		  buf_terminate(&out) == ERR_OK &&
		  strcmp((const char *)buf_ptr(&out),
			 EPR_HEAD "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/"
				  "Win32_OperatingSystem</w:ResourceURI></a:ReferenceParameters>"
				  "</a:EndpointReference>") == 0);

	buf_reset(&out);
	CHECK("object and EPR: w:Item, the instance, then its EPR",
	      cim_item_xml(&out, &wmi, page_keyed("Win32_Process", handle, 1),
			   WSMAN_ENUM_OBJECTS_AND_EPRS, &none, &process, &kept, NULL) == ERR_OK &&
		  buf_terminate(&out) == ERR_OK && (text = (const char *)buf_ptr(&out)) &&
		  strncmp(text, "<w:Item><p:Win32_Process xmlns:p=", 33) == 0 &&
		  strstr(text, "</p:Win32_Process>" EPR_HEAD) &&
		  strstr(text, "<w:Selector Name=\"Handle\">42</w:Selector>") &&
		  strcmp(text + strlen(text) - 31, "</a:EndpointReference></w:Item>") == 0);

	buf_reset(&out);
	CHECK("object and EPR with a select list: the fragment, then the EPR",
	      cim_wql_parse("select Name from Win32_Process", &f, NULL) == ERR_OK &&
		  cim_item_xml(&out, &wmi, page_keyed("Win32_Process", handle, 1),
			       WSMAN_ENUM_OBJECTS_AND_EPRS, &f, &process, &kept, NULL) == ERR_OK &&
		  buf_terminate(&out) == ERR_OK && (text = (const char *)buf_ptr(&out)) &&
		  strncmp(text, "<w:Item><w:XmlFragment", 22) == 0 &&
		  strstr(text, "<Name>sshd</Name></w:XmlFragment>" EPR_HEAD));

	buf_reset(&out);
	CHECK("EPR: a filter still drops",
	      cim_wql_parse("select * from Win32_Process where Handle = '1'", &f, NULL) == ERR_OK &&
		  cim_item_xml(&out, &wmi, page_keyed("Win32_Process", handle, 1), WSMAN_ENUM_EPRS,
			       &f, &process, &kept, NULL) == ERR_OK &&
		  !kept && buf_len(&out) == 0);

	CHECK("EPR: an instance without its key is the provider's fault",
	      cim_item_xml(&out, &wmi, page_keyed("Win32_Product", product_keys, 3),
			   WSMAN_ENUM_EPRS, &none, &process, &kept, NULL) == ERR_WSMAN_INTERNAL);
	buf_clear(&out);
}

static void test_selector_filter(void)
{
	static const char *const name_caption[] = {"CSName"};
	static const char *const host[] = {"HOST1"}, *const other[] = {"host2"};
	static const char *const two[] = {"csname", "OSType"}, *const two_v[] = {"host1", "36.0"};
	static const char *const two_bad[] = {"host1", "35"};
	static const char *const dup[] = {"CSName", "csname"}, *const dup_v[] = {"a", "b"};
	static const char *const quote[] = {"it's"}, *const dquote[] = {"say \"x\""};
	static const char *const boot[] = {"LastBootUpTime"}, *const boot_v[] = {"x"};
	static const char *const nope[] = {"Nope"}, *const bad_name[] = {"a b"};
	struct cim_filter f;
	const char *why = NULL;

	CHECK("selector: equal case-insensitively", select_match(name_caption, host, 1) == 1);
	CHECK("selector: not equal", select_match(name_caption, other, 1) == 0);
	CHECK("selector: all of them, typed (a number compares as a number)",
	      select_match(two, two_v, 2) == 1);
	CHECK("selector: one differs", select_match(two, two_bad, 2) == 0);
	CHECK("selector: a name twice refused",
	      cim_selector_filter(dup, dup_v, 2, &f, &why) == ERR_WSMAN_CANNOT_PROCESS_FILTER &&
		  why && f.kind == CIM_FILTER_NONE);
	CHECK("selector: a single quote in a value refused",
	      select_match(name_caption, quote, 1) == REFUSED_AT_PARSE);
	CHECK("selector: a double quote in a value refused",
	      select_match(name_caption, dquote, 1) == REFUSED_AT_PARSE);
	CHECK("selector: a datetime property refused",
	      select_match(boot, boot_v, 1) == REFUSED_AT_MATCH);
	CHECK("selector: a property the class lacks refused",
	      select_match(nope, host, 1) == REFUSED_AT_MATCH);
	CHECK("selector: a name that is not a name refused",
	      select_match(bad_name, host, 1) == REFUSED_AT_PARSE);
	CHECK("selector: none refused", select_match(NULL, NULL, 0) == REFUSED_AT_PARSE);
	CHECK("selector: no select list, no class",
	      cim_selector_filter(name_caption, host, 1, &f, NULL) == ERR_OK &&
		  !cim_filter_projects(&f) && strcmp(cim_filter_class(&f), "") == 0);
}

/* Random bytes and random token soup: refused or parsed, never more. */
static void test_garbage(void)
{
	static const char *const words[] = {"select", "*",	 "from",  "X",	    "where", "(",
					    ")",      "and",	 "or",	  "not",    "=",     "<>",
					    "like",   "'a%'",	 "36",	  "OSType", "is",    "null",
					    ",",      "Caption", "\"x\"", "true",   "<=",    "!="};
	char q[512];
	unsigned seed = 1;
	int ok = 1;

	for (int round = 0; round < 20000; round++) {
		size_t o = 0;
		int n = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 24;
		for (int i = 0; i < n && o < sizeof(q) - 32; i++) {
			seed = seed * 1103515245u + 12345u;
			o += (size_t)snprintf(
			    q + o, sizeof(q) - o, "%s ",
			    words[(seed >> 16) % (sizeof(words) / sizeof(words[0]))]);
		}
		q[o] = 0;
		struct cim_filter f;
		int keep;
		enum err e = cim_wql_parse(q, &f, NULL);
		if (e == ERR_OK)
			e = cim_filter_match(&f, &os, &keep, NULL);
		ok &= e == ERR_OK || e == ERR_WSMAN_CANNOT_PROCESS_FILTER;
	}
	CHECK("20000 token soups: parsed or refused", ok);
}

int main(void)
{
	build_instance();
	test_numbers();
	test_strings();
	test_like();
	test_booleans_datetimes_nulls();
	test_logic();
	test_malformed();
	test_limits();
	test_select_list_and_items();
	test_epr_items();
	test_selector_filter();
	test_garbage();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
