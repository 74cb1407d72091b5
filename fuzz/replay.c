/* replay: a main for one libFuzzer harness without libFuzzer, so the test
 * run can feed it its corpus under gcc's sanitizers (tests/run.py). Each
 * argument is a file, or a directory whose files are fed in name order;
 * every input goes to LLVMFuzzerTestOneInput once, after
 * LLVMFuzzerInitialize if the harness has one. A harness that crashes
 * ends the run; its input is the last one printed. */
#include <stdint.h>
#include <stdio.h>

#include "corpus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Weak: NULL in a harness that has none. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static void feed(void *arg, const char *path, const uint8_t *data, size_t size)
{
	(void)arg;
	printf("%s (%zu bytes)\n", path, size);
	fflush(stdout);
	LLVMFuzzerTestOneInput(data, size);
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
		int n = corpus_each(argv[i], feed, NULL);
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
