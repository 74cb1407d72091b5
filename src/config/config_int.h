/* config_int: what the files of src/config/ share; private, the door is
 * config.h. config.c owns the schema (the setting tables, Windows'
 * defaults, the checks and parsing of values, the listener model,
 * lookups), config_filter.c parses and matches the address filters,
 * config_read.c reads the stored format (config_parse,
 * config_load), config_write.c writes it (config_serialize, config_save,
 * config_write_file), config_resource.c edits resources (config_set,
 * config_put, listener create and delete) and config_print.c prints the
 * text and XML forms. libwinrm links only config.c, config_filter.c and
 * config_read.c: a client reads the configuration and never changes or
 * prints it. */
#ifndef OPENWINRM_CONFIG_INT_H
#define OPENWINRM_CONFIG_INT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "config/config.h"

/* A stored line's name: a resource, its selectors and a setting name
 * ("Service/CertMapping?<CONFIG_MAX_SELECTOR_TEXT>/UserName"); also room
 * for any instance's canonical selectors. */
#define MAX_KEY (CONFIG_MAX_SELECTOR_TEXT + 128)
/* "IP:" and an IPv6 address in text. */
#define MAX_ADDRESS (3 + INET6_ADDRSTRLEN)
/* How much of a bad name or value an error message repeats. */
#define MAX_QUOTE 80

enum stype {
	T_FLAG,	  /* int 0/1, spelled names[0]/names[1] */
	T_CBT,	  /* enum config_cbt, spelled names[] */
	T_U32,	  /* uint32_t in [min, max] */
	T_STR,	  /* char *, never NULL once initialised */
	T_FILTER, /* struct config_filter of family min, its text never NULL once initialised */
	T_NONE,	  /* computed by the service, not stored (ListeningOn) */
	T_SECRET, /* write-only: accepted by create, set and Put, then dropped; printed empty */
};

#define F_RO 1u		     /* read-only: printed but never stored or set */
#define F_KEY 2u	     /* a selector of an instance: fixed by create */
#define F_DEFPORT 4u	     /* default: Service/DefaultPorts for the transport */
#define F_DEF_EXISTING 8u    /* default: the groups of def that exist here */
#define F_UNLESS_DEFAULT 16u /* printed only when not at def (Linux-only settings) */
#define F_REQUIRED 32u	     /* an instance's T_STR that may not stay empty */
#define F_SD 64u	     /* a security descriptor: refused as ERR_WSMAN_INVALID_SD */

struct setting {
	const char *path; /* under winrm/config, Windows' capitalisation */
	const char *name;
	enum stype type;
	unsigned flags;
	size_t off;	   /* in struct config, or struct config_listener */
	const char *def;   /* default, in text */
	uint32_t min, max; /* T_U32: the range; T_FILTER: min is the address family */
	const char *const *names;
	unsigned nnames;
	const char *(*check)(const char *v); /* T_STR: NULL, or why v is refused */
};

union value {
	int choice;
	uint32_t u32;
	char *str;
	struct config_filter filter;
};

/* A resource of many instances (listeners, plugins, certmappings,
 * namespaces): its rows, where its instances live in struct config, and
 * how their selectors read. Every walk over instances (reading, writing, printing,
 * `winrm set`, Put, create, delete) goes through this table, so a new kind
 * is a row. An instance's selectors have one canonical text ("Address=
 * IP:::1+Transport=HTTPS", "Name=DnsOps"), which names it in the stored
 * format and is what instances are compared by (case-insensitively). */
struct collection {
	const char *resource; /* its path as Windows spells it: "Service/CertMapping" */
	const char *noun;     /* in messages: "listener" */
	const char *element;  /* its XML and text element, "Listener", "CertMapping" */
	const char *ns;	      /* the namespace of its XML */
	const char *form;     /* its selectors in messages: "Address=...+Transport=..." */
	const struct setting *settings;
	size_t nsettings;
	size_t items_off, count_off, item_size;
	uint32_t max;
	/* The canonical text of selectors sel into out; ERR_CONFIG with why. */
	enum err (*selectors_parse)(const char *sel, char out[MAX_KEY], struct buf *errmsg,
				    unsigned line);
	/* The canonical selectors of an instance. */
	void (*selectors_of)(const void *item, char out[MAX_KEY]);
	/* Sets the selector fields of a new instance from canonical selectors. */
	enum err (*init)(void *item, const char *canon);
	/* NULL, or why its instances are neither created nor deleted. */
	const char *fixed;
};
#define CONFIG_NCOLLECTIONS 4
extern const struct collection config_collections[CONFIG_NCOLLECTIONS];
extern const size_t config_ncollections;
#define CONFIG_LISTENERS (&config_collections[0])
#define CONFIG_PLUGINS (&config_collections[1])
#define CONFIG_CERTMAPPINGS (&config_collections[2])
#define CONFIG_NAMESPACES (&config_collections[3])

/* The tables of config.c, in Windows' print order: config_settings (the
 * singleton resources), config_listener_settings (one listener) and
 * config_plugin_settings (one plugin). */
extern const struct setting config_settings[];
extern const size_t config_nsettings;
extern const struct setting config_listener_settings[];
extern const size_t config_nlistener_settings;
extern const char *const config_transport_names[]; /* "HTTP", "HTTPS" */

/* Adds "line N: " (when line is not 0) and the message to errmsg (which
 * may be NULL); always ERR_CONFIG. */
__attribute__((format(printf, 3, 4))) enum err config_fail(struct buf *errmsg, unsigned line,
							   const char *fmt, ...);
/* At most MAX_QUOTE bytes of s, escaped for an error message. */
const char *config_quote(char dst[MAX_QUOTE], const char *s, size_t n);

/* config_filter.c: parses v, Service/IPv4Filter or IPv6Filter's text, into
 * the ranges of f (all but f->text); NULL, or why v is refused. */
const char *config_filter_parse(struct config_filter *f, const char *v, int family);

/* Parses text for setting s into *out (a new string for T_STR and for the
 * text of T_FILTER). Only settings that may hold a value get here. */
enum err config_value_parse(const struct setting *s, const char *v, union value *out,
			    struct buf *errmsg, unsigned line);
/* Stores v (taking its string) into s's field at base. */
void config_value_store(const struct setting *s, void *base, union value *v);
/* The value of s in text; num holds a formatted number. */
const char *config_value_text(const struct setting *s, const void *base, char num[16]);
/* 1 if text v means the value s has at base. */
int config_value_same(const struct setting *s, const void *base, const char *v);
/* Sets s from text (from a file line or `winrm set`), refusing what may
 * not be set. base is unchanged on error. */
enum err config_assign(const struct setting *s, void *base, const char *v, struct buf *errmsg,
		       unsigned line);
/* Frees the strings of t's rows at base (T_STR, T_FILTER's text), leaving NULL. */
void config_strings_free(const struct setting *t, size_t n, void *base);
/* The row of t named path/name (case-insensitive), or NULL. */
const struct setting *config_lookup(const struct setting *t, size_t n, const char *path,
				    const char *name);

/* Every row of t with a default set to it, at base (c for the DefaultPorts
 * of a listener's Port). */
enum err config_fill_defaults(const struct setting *t, size_t n, void *base,
			      const struct config *c);
/* A listener's Port when it has no Port line: the service's DefaultPorts. */
uint32_t config_default_port(const struct config *c, int https);

/* The collection resource r names ("listener", "Plugin?Name=x"): *sel
 * points after its '?', or is NULL when r names them all; NULL when r is
 * no collection. */
const struct collection *config_collection_of(const char *r, const char **sel);
/* Instance i of k in c, and where k's count is. */
void *config_instance(const struct config *c, const struct collection *k, uint32_t i);
uint32_t *config_instance_count(const struct config *c, const struct collection *k);
/* The index of the instance of k with canonical selectors canon, or -1. */
int config_instance_find(const struct config *c, const struct collection *k, const char *canon);
/* Appends an instance with its defaults; its index in *idx. */
enum err config_instance_add(struct config *c, const struct collection *k, const char *canon,
			     uint32_t *idx, struct buf *errmsg, unsigned line);
/* Frees instance i of k and closes the gap. */
void config_instance_remove(struct config *c, const struct collection *k, uint32_t i);

/* config_resource.c: the instance of k that selectors name: its index in
 * *idx; ERR_CONFIG for malformed selectors, ERR_NOT_FOUND when there is
 * none. */
enum err config_instance_named(const struct config *c, const struct collection *k,
			       const char *selectors, uint32_t *idx, struct buf *errmsg);
/* The first row under resource ("" is the root), or NULL. */
const struct setting *config_section_first(const char *resource);
/* The element name of a resource plen bytes long whose first row is s:
 * its last segment, spelled as Windows does ("Config" for the root). */
const char *config_section_name(const struct setting *s, size_t plen, size_t *len);

#endif
