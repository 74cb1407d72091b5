/* replay: a main for one libFuzzer harness without libFuzzer, so the test
 * run can feed it its corpus under gcc's sanitizers (tests/run.py). Each
 * argument is a file, or a directory whose files are fed in name order;
 * every input goes to LLVMFuzzerTestOneInput once, after
 * LLVMFuzzerInitialize if the harness has one. A harness that crashes
 * ends the run; its input is the last one printed. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The most a corpus file may hold: seeds are captured messages, far below. */
#define REPLAY_MAX_INPUT (16 * 1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Weak: NULL in a harness that has none. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Feeds one regular file of size bytes; 0, or -1 if it cannot be read. */
static int feed(const char *path, off_t size)
{
	/* Exactly the input's size, so ASan sees a read past its end. */
	uint8_t *data = size <= REPLAY_MAX_INPUT ? malloc(size ? (size_t)size : 1) : NULL;
	FILE *f = data ? fopen(path, "rb") : NULL;
	int ok = f && fread(data, 1, (size_t)size, f) == (size_t)size;

	if (ok) {
		printf("%s (%lld bytes)\n", path, (long long)size);
		fflush(stdout);
		LLVMFuzzerTestOneInput(data, (size_t)size);
	} else {
		fprintf(stderr, "replay: cannot read %s (%lld bytes)\n", path, (long long)size);
	}
	if (f)
		fclose(f);
	free(data);
	return ok ? 0 : -1;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Feeds path, or every regular file in it; how many inputs, or -1. */
static int replay(const char *path)
{
	struct dirent **names;
	struct stat st;
	char file[4096];
	int n, fed = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return feed(path, st.st_size) == 0 ? 1 : -1;
	if ((n = scandir(path, &names, NULL, by_name)) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (fed >= 0 && names[i]->d_name[0] != '.') {
			if ((size_t)snprintf(file, sizeof(file), "%s/%s", path, names[i]->d_name) >=
				sizeof(file) ||
			    stat(file, &st) < 0)
				fed = -1;
			else if (S_ISREG(st.st_mode))
				fed = feed(file, st.st_size) == 0 ? fed + 1 : -1;
		}
		free(names[i]);
	}
	free(names);
	return fed;
}

int main(int argc, char **argv)
{
	int total = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		int n = replay(argv[i]);
		if (n < 0)
			return 1;
		total += n;
	}
	if (total == 0) {
		fprintf(stderr, "replay: no input in the corpus\n");
		return 1;
	}
	printf("replayed %d inputs\n", total);
	return 0;
}
