/* cim_packages: Win32_Product, the installed software, from dpkg's
 * database (/var/lib/dpkg/status, deb822 stanzas). Named as Windows names
 * it, because Win32_Product is what Windows' tools ask (wmic product,
 * Get-WmiObject Win32_Product), and its DMTF parent CIM_Product is what
 * a CIM tool asks; the slowness that keeps Windows' administrators away
 * from it (every MSI package checked, and repaired, on each query) has
 * no counterpart here: one read of one file. */
#include "cim/cim_int.h"

#include <ctype.h>
#include <limits.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define DPKG_STATUS "/var/lib/dpkg/status"
#define DPKG_INFO "/var/lib/dpkg/info"
#define MAX_LINE 4096		     /* of a field's first line; the rest is cut */
#define MAX_STATUS_BYTES (512 << 20) /* read of the database */

/* The fields of one stanza that the class shows. */
struct package {
	char name[CIM_MAX_VALUE + 1];
	char version[CIM_MAX_VALUE + 1];
	char arch[CIM_MAX_NAME + 1];
	char maintainer[CIM_MAX_VALUE + 1];
	char synopsis[CIM_MAX_VALUE + 1]; /* Description's first line */
	char state[CIM_MAX_NAME + 1];	  /* Status's third word */
};

/* Win32_Product.InstallState of a dpkg state: 5 installed, -6 bad
 * configuration (dpkg stopped half-way); 0 for a package that is not
 * installed (its configuration files left, or nothing), which Windows
 * does not list. */
static int install_state(const char *state)
{
	static const char *const installed[] = {"installed", "triggers-awaited",
						"triggers-pending"};
	static const char *const broken[] = {"half-installed", "unpacked", "half-configured"};

	for (size_t i = 0; i < sizeof(installed) / sizeof(installed[0]); i++)
		if (strcmp(state, installed[i]) == 0)
			return 5;
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++)
		if (strcmp(state, broken[i]) == 0)
			return -6;
	return 0;
}

/* Win32_Product.InstallDate ("YYYYMMDD"): when dpkg last wrote the
 * package's file list, which it does at each installation or upgrade. */
static void install_date(struct cim_instance *inst, const char *info_dir, const struct package *p)
{
	char path[PATH_MAX], date[16];
	struct stat st;
	struct tm tm;

	snprintf(path, sizeof(path), "%s/%s:%s.list", info_dir, p->name, p->arch);
	if (stat(path, &st) != 0)
		snprintf(path, sizeof(path), "%s/%s.list", info_dir, p->name);
	if (stat(path, &st) == 0 && localtime_r(&st.st_mtime, &tm) &&
	    strftime(date, sizeof(date), "%Y%m%d", &tm))
		cim_prop(inst, "InstallDate", CIM_STRING, "%s", date);
	else
		cim_prop_text(inst, "InstallDate", NULL);
}

static enum err one_package(struct cim_set *out, const char *info_dir, const struct package *p)
{
	int state = install_state(p->state);
	struct cim_instance *inst;

	/* A key that would not fit a value could not be asked for. */
	if (!*p->name || !state || strlen(p->name) + 1 + strlen(p->arch) > CIM_MAX_VALUE)
		return ERR_OK;
	if (!(inst = cim_set_add(out)))
		return ERR_WSMAN_INTERNAL;
	cim_prop_text(inst, "Caption", p->synopsis);
	cim_prop_text(inst, "Description", p->synopsis);
	/* The key: the name alone is not unique where packages of two
	 * architectures are installed (libc6:amd64, libc6:i386). */
	cim_prop(inst, "IdentifyingNumber", CIM_STRING, "%s:%s", p->name, p->arch);
	install_date(inst, info_dir, p);
	cim_prop_text(inst, "InstallLocation", NULL); /* dpkg has none */
	cim_prop(inst, "InstallState", CIM_NUMBER, "%d", state);
	cim_prop(inst, "Name", CIM_STRING, "%s", p->name);
	cim_prop_text(inst, "Vendor", p->maintainer);
	cim_prop_text(inst, "Version", p->version);
	return ERR_OK;
}

/* A field's value into out, cut to fit, without surrounding blanks. */
static void field_value(const char *v, char *out, size_t cap)
{
	size_t n;

	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, v, n);
	out[n] = 0;
}

/* One line of a stanza: "Field: value" (field names are
 * case-insensitive, deb822); a continuation line (a leading blank) adds
 * nothing the class shows. */
static void field(struct package *p, char *line)
{
	static const struct {
		const char *name;
		size_t offset, cap;
	} wanted[] = {
	    {"Package", offsetof(struct package, name), sizeof(p->name)},
	    {"Version", offsetof(struct package, version), sizeof(p->version)},
	    {"Architecture", offsetof(struct package, arch), sizeof(p->arch)},
	    {"Maintainer", offsetof(struct package, maintainer), sizeof(p->maintainer)},
	    {"Description", offsetof(struct package, synopsis), sizeof(p->synopsis)},
	};
	char *colon = strchr(line, ':');

	if (!colon || *line == ' ' || *line == '\t')
		return;
	*colon = 0;
	if (strcasecmp(line, "Status") == 0) {
		/* "want flag state": the third word. */
		char *state = colon + 1;
		for (int word = 0; word < 2 && state; word++)
			state = strchr(state + strspn(state, " \t"), ' ');
		field_value(state ? state : "", p->state, sizeof(p->state));
		return;
	}
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		if (strcasecmp(line, wanted[i].name) == 0)
			field_value(colon + 1, (char *)p + wanted[i].offset, wanted[i].cap);
}

enum err cim_dpkg_packages(FILE *status, const char *info_dir, struct cim_set *out)
{
	struct package p = {0};
	char line[MAX_LINE];
	size_t bytes = 0;
	enum err e = ERR_OK;

	while (e == ERR_OK && bytes < MAX_STATUS_BYTES && fgets(line, sizeof(line), status)) {
		size_t n = strlen(line);
		int whole = n > 0 && line[n - 1] == '\n';
		bytes += n;
		/* A line longer than the buffer: its start counts, the rest goes. */
		while (!whole && n == sizeof(line) - 1 && bytes < MAX_STATUS_BYTES) {
			char rest[MAX_LINE];
			size_t more;
			if (!fgets(rest, sizeof(rest), status))
				break;
			more = strlen(rest);
			bytes += more;
			whole = more > 0 && rest[more - 1] == '\n';
			n = more;
		}
		if (line[strspn(line, " \t\r\n")] == 0) { /* a blank line ends the stanza */
			e = one_package(out, info_dir, &p);
			memset(&p, 0, sizeof(p));
		} else {
			field(&p, line);
		}
	}
	return e == ERR_OK ? one_package(out, info_dir, &p) : e;
}

enum err cim_products(struct cim_set *out)
{
	FILE *f = fopen(DPKG_STATUS, "re");
	enum err e;

	if (!f)
		return ERR_OK; /* no dpkg: nothing installed by it */
	e = cim_dpkg_packages(f, DPKG_INFO, out);
	fclose(f);
	return e;
}
