/* cim_int: inside src/cim, the host's half. A class's provider appends
 * its instances to a set, a property at a time; cim_classes.c holds the
 * table of classes and keeps each answer until its pages are taken. */
#ifndef OPENWINRM_CIM_INT_H
#define OPENWINRM_CIM_INT_H

#include <stdio.h>
#include <time.h>

#include "cim/cim.h"

/* A class's instances as its provider found them. */
struct cim_set {
	struct cim_instance *v;
	uint32_t n, cap;
};

/* A new instance, empty, at the end of s; NULL past CIM_MAX_SET_INSTANCES
 * or without memory (the provider stops there and says so). */
struct cim_instance *cim_set_add(struct cim_set *s);
void cim_set_free(struct cim_set *s);

/* Appends a property; values longer than CIM_MAX_VALUE are cut, and a
 * property past CIM_MAX_PROPERTIES is dropped. */
void cim_prop(struct cim_instance *inst, const char *name, enum cim_type type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A string property from a source that may be missing: nil when it is. */
void cim_prop_text(struct cim_instance *inst, const char *name, const char *value);
/* An array of strings: the name repeated, one element each, in order
 * (cim_instance_xml keeps them so); nil when there are none, as WMI
 * writes an empty array. */
void cim_prop_strings(struct cim_instance *inst, const char *name, const char *const *v, size_t n);
/* xs:dateTime in local time with its offset, as Windows writes WMI's
 * datetimes ("Z" at offset zero). */
void cim_prop_datetime(struct cim_instance *inst, const char *name, time_t t);

/* The first line of a small file, without its newline; "" if unreadable. */
void cim_read_line(const char *path, char *out, size_t cap);
/* The number after "key" in a file of "key value" lines (/proc/meminfo's
 * "MemTotal:", /proc/stat's "btime"); 0 if absent. */
unsigned long long cim_keyed_number(const char *path, const char *key);

/* This machine's short name (its DNS host name's first label), which
 * CSName, SystemName and local accounts' Domain are. */
void cim_host_name(char *out, size_t cap);

/* Win32_OperatingSystem's Name, which other classes' OSName repeat:
 * Windows' is "Caption|WindowsDirectory|boot partition". */
void cim_os_name(char *out, size_t cap);

/* ---- the providers, one per class (cim_classes.c's table) ---- */
enum err cim_operating_system(struct cim_set *out);
enum err cim_computer_system(struct cim_set *out);
enum err cim_processes(struct cim_set *out);
enum err cim_logical_disks(struct cim_set *out);
enum err cim_network_adapters(struct cim_set *out);
enum err cim_network_configurations(struct cim_set *out);
enum err cim_products(struct cim_set *out);
enum err cim_user_accounts(struct cim_set *out);
enum err cim_groups(struct cim_set *out);

/* Win32_Product's instances from a dpkg status file (deb822 stanzas; a
 * field's line longer than 4 KiB is cut, input past 512 MiB ignored),
 * InstallDate from the file lists in info_dir. */
enum err cim_dpkg_packages(FILE *status, const char *info_dir, struct cim_set *out);

#endif
