/* cim_disk: Win32_LogicalDisk, one instance per mounted file system as
 * df lists them by default (/proc/self/mounts, statvfs): file systems
 * with storage of their own, each device once. Linux has no drive
 * letters, so the key, DeviceID, is the mount point ("/", "/home"),
 * where Windows has "C:". A mount point the user may not reach is left
 * out, as df leaves it out with an error. */
#include "cim/cim_int.h"

#include <dirent.h>
#include <limits.h>
#include <mntent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#define MAX_MOUNTS 4096 /* lines of /proc/self/mounts looked at */
#define MAX_LABELS 1024 /* entries of /dev/disk/by-label looked at */
#define LABELS_DIR "/dev/disk/by-label"

/* Win32_LogicalDisk.DriveType's values. */
enum drive_type { DRIVE_LOCAL = 3, DRIVE_NETWORK = 4, DRIVE_OPTICAL = 5 };

/* Types with no storage of their own, which df leaves out (gnulib's
 * ME_DUMMY, df's list); those with storage but no blocks (cgroup2,
 * binfmt_misc) df leaves out by their size, and so do we. */
static const char *const pseudo_types[] = {
    "autofs", "proc",	    "subfs", "debugfs", "devpts", "fusectl", "fuse.portal",
    "mqueue", "rpc_pipefs", "sysfs", "devfs",	"kernfs", "ignore",  "none",
};

struct mount {
	char dir[CIM_MAX_VALUE + 1];	/* the mount point: the key */
	char source[CIM_MAX_VALUE + 1]; /* "/dev/vda", "server:/export" */
	char type[CIM_MAX_NAME + 1];
	int read_only, remote;
	dev_t dev;
};

static int is_pseudo(const char *type)
{
	for (size_t i = 0; i < sizeof(pseudo_types) / sizeof(pseudo_types[0]); i++)
		if (strcmp(type, pseudo_types[i]) == 0)
			return 1;
	return 0;
}

/* A network file system, as df's -l tells them: a "host:path" source,
 * or a "//server/share" of SMB. */
static int is_remote(const char *source, const char *type)
{
	return strchr(source, ':') || strcmp(source, "-hosts") == 0 ||
	       (strncmp(source, "//", 2) == 0 &&
		(strcmp(type, "smbfs") == 0 || strcmp(type, "smb3") == 0 ||
		 strcmp(type, "cifs") == 0));
}

/* df's choice between two mounts of one device: a real device's name
 * (with a '/') over a pseudo one's, the mount nearer the root, and a
 * mount over another one at the same point. */
static int prefer(const struct mount *m, const struct mount *seen)
{
	return (strchr(m->source, '/') && !strchr(seen->source, '/')) ||
	       strlen(m->dir) < strlen(seen->dir) ||
	       (strcmp(m->source, seen->source) != 0 && strcmp(m->dir, seen->dir) == 0);
}

/* Adds m to v[0..*n), or lets it replace the mount of its device it is
 * preferred to; remote mounts of different sources are kept apart, as df
 * keeps them. */
static void keep(struct mount *v, size_t *n, const struct mount *m)
{
	for (size_t i = 0; i < *n; i++) {
		if (v[i].dev != m->dev ||
		    (m->remote && v[i].remote && strcmp(m->source, v[i].source) != 0))
			continue;
		if (prefer(m, &v[i]))
			v[i] = *m;
		return;
	}
	v[(*n)++] = *m;
}

/* The file systems df would list, in the order they were mounted. */
static size_t mounts(struct mount *v)
{
	FILE *f = setmntent("/proc/self/mounts", "re");
	struct mntent ent;
	char line[3 * PATH_MAX];
	size_t n = 0, lines = 0;

	if (!f)
		return 0;
	while (lines++ < MAX_MOUNTS && getmntent_r(f, &ent, line, sizeof(line))) {
		struct mount m = {0};
		struct stat st;
		if (is_pseudo(ent.mnt_type) || strlen(ent.mnt_dir) > CIM_MAX_VALUE ||
		    stat(ent.mnt_dir, &st) != 0)
			continue; /* a point longer than a key could be is not addressable */
		snprintf(m.dir, sizeof(m.dir), "%s", ent.mnt_dir);
		snprintf(m.source, sizeof(m.source), "%s", ent.mnt_fsname);
		snprintf(m.type, sizeof(m.type), "%s", ent.mnt_type);
		m.read_only = hasmntopt(&ent, "ro") != NULL;
		m.remote = is_remote(ent.mnt_fsname, ent.mnt_type);
		m.dev = st.st_dev;
		keep(v, &n, &m);
	}
	endmntent(f);
	return n;
}

/* udev's name of a label: "\x20" for a space and other bytes it escapes. */
static void unescape_label(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	for (; *in && n + 1 < cap; in++) {
		char hex[3] = {0};
		if (in[0] == '\\' && in[1] == 'x' && in[2] && in[3]) {
			memcpy(hex, in + 2, 2);
			out[n++] = (char)strtoul(hex, NULL, 16);
			in += 3;
		} else {
			out[n++] = *in;
		}
	}
	out[n] = 0;
}

/* The label of the device source is, from udev's /dev/disk/by-label; ""
 * when it has none (or there is no udev, as in a container). */
static void volume_label(const char *source, char *out, size_t cap)
{
	char device[PATH_MAX], link[sizeof(LABELS_DIR) + NAME_MAX + 1], target[PATH_MAX];
	DIR *d;
	struct dirent *de;
	size_t seen = 0;

	*out = 0;
	if (*source != '/' || !realpath(source, device) || !(d = opendir(LABELS_DIR)))
		return;
	while ((de = readdir(d)) && seen++ < MAX_LABELS) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), LABELS_DIR "/%s", de->d_name);
		if (realpath(link, target) && strcmp(target, device) == 0) {
			unescape_label(de->d_name, out, cap);
			break;
		}
	}
	closedir(d);
}

static enum drive_type drive_type(const struct mount *m)
{
	if (m->remote)
		return DRIVE_NETWORK;
	if (strcmp(m->type, "iso9660") == 0 || strcmp(m->type, "udf") == 0)
		return DRIVE_OPTICAL;
	return DRIVE_LOCAL;
}

static void one_disk(struct cim_instance *inst, const struct mount *m, const struct statvfs *vfs,
		     const char *host)
{
	static const char *const descriptions[] = {
	    [DRIVE_LOCAL] = "Local Fixed Disk",
	    [DRIVE_NETWORK] = "Network Connection",
	    [DRIVE_OPTICAL] = "CD-ROM Disc",
	};
	enum drive_type type = drive_type(m);
	char label[CIM_MAX_VALUE + 1];

	volume_label(m->source, label, sizeof(label));
	/* CIM_LogicalDisk.Access: 1 readable, 3 read and write. */
	cim_prop(inst, "Access", CIM_NUMBER, "%d", m->read_only ? 1 : 3);
	cim_prop(inst, "Caption", CIM_STRING, "%s", m->dir);
	cim_prop(inst, "CreationClassName", CIM_STRING, "Win32_LogicalDisk");
	cim_prop(inst, "Description", CIM_STRING, "%s", descriptions[type]);
	cim_prop(inst, "DeviceID", CIM_STRING, "%s", m->dir);
	cim_prop(inst, "DriveType", CIM_NUMBER, "%d", (int)type);
	cim_prop(inst, "FileSystem", CIM_STRING, "%s", m->type);
	/* What the caller may still write, as df's Avail: Windows' free
	 * space is the caller's too (GetDiskFreeSpaceEx). */
	cim_prop(inst, "FreeSpace", CIM_NUMBER, "%llu",
		 (unsigned long long)vfs->f_bavail * vfs->f_frsize);
	cim_prop(inst, "MaximumComponentLength", CIM_NUMBER, "%lu", vfs->f_namemax);
	if (type == DRIVE_LOCAL)
		cim_prop(inst, "MediaType", CIM_NUMBER, "12"); /* fixed hard disk media */
	else
		cim_prop_text(inst, "MediaType", NULL);
	cim_prop(inst, "Name", CIM_STRING, "%s", m->dir);
	cim_prop_text(inst, "ProviderName", type == DRIVE_NETWORK ? m->source : NULL);
	cim_prop(inst, "Size", CIM_NUMBER, "%llu",
		 (unsigned long long)vfs->f_blocks * vfs->f_frsize);
	cim_prop(inst, "SystemCreationClassName", CIM_STRING, "Win32_ComputerSystem");
	cim_prop(inst, "SystemName", CIM_STRING, "%s", host);
	cim_prop_text(inst, "VolumeName", label);
}

enum err cim_logical_disks(struct cim_set *out)
{
	struct mount *v = calloc(MAX_MOUNTS, sizeof(*v));
	char host[CIM_MAX_VALUE + 1];
	enum err e = ERR_OK;
	size_t n;

	if (!v)
		return ERR_WSMAN_INTERNAL;
	cim_host_name(host, sizeof(host));
	n = mounts(v);
	for (size_t i = 0; i < n && e == ERR_OK; i++) {
		struct statvfs vfs;
		struct cim_instance *inst;
		/* A file system of no blocks is df's dummy: left out. */
		if (statvfs(v[i].dir, &vfs) != 0 || vfs.f_blocks == 0)
			continue;
		if (!(inst = cim_set_add(out)))
			e = ERR_WSMAN_INTERNAL;
		else
			one_disk(inst, &v[i], &vfs, host);
	}
	free(v);
	return e;
}
