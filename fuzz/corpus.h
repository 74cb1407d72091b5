/* corpus: reads a fuzz corpus, for the programs that feed one to code
 * without libFuzzer (fuzz/replay.c, tests/unit/test_alloc_fail.c).
 * Header-only, as check.h: each includes it once. */
#ifndef OPENWINRM_FUZZ_CORPUS_H
#define OPENWINRM_FUZZ_CORPUS_H

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The most a corpus file may hold: seeds are captured messages, far below. */
#define CORPUS_MAX_INPUT (16 * 1024 * 1024)

typedef void corpus_fn(void *arg, const char *path, const uint8_t *data, size_t size);

/* Hands fn one regular file of size bytes, in an allocation of exactly
 * that size (so ASan sees a read past its end); 0, or -1 if it cannot be
 * read. */
static int corpus_file(const char *path, off_t size, corpus_fn *fn, void *arg)
{
	uint8_t *data = size <= CORPUS_MAX_INPUT ? malloc(size ? (size_t)size : 1) : NULL;
	FILE *f = data ? fopen(path, "rb") : NULL;
	int ok = f && fread(data, 1, (size_t)size, f) == (size_t)size;

	if (ok)
		fn(arg, path, data, (size_t)size);
	else
		fprintf(stderr, "corpus: cannot read %s (%lld bytes)\n", path, (long long)size);
	if (f)
		fclose(f);
	free(data);
	return ok ? 0 : -1;
}

static int corpus_by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Hands fn the file path, or each regular file of the directory path in
 * name order (dot files left out). The number of inputs, or -1 (said on
 * stderr) at the first that cannot be read. */
static int corpus_each(const char *path, corpus_fn *fn, void *arg)
{
	struct dirent **names;
	struct stat st;
	char file[4096];
	int n, fed = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "corpus: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return corpus_file(path, st.st_size, fn, arg) == 0 ? 1 : -1;
	if ((n = scandir(path, &names, NULL, corpus_by_name)) < 0) {
		fprintf(stderr, "corpus: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (fed >= 0 && names[i]->d_name[0] != '.') {
			if ((size_t)snprintf(file, sizeof(file), "%s/%s", path, names[i]->d_name) >=
				sizeof(file) ||
			    stat(file, &st) < 0)
				fed = -1;
			else if (S_ISREG(st.st_mode))
				fed = corpus_file(file, st.st_size, fn, arg) == 0 ? fed + 1 : -1;
		}
		free(names[i]);
	}
	free(names);
	return fed;
}

#endif
