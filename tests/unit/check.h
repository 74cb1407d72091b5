/* check: the one assertion macro of the unit tests. Each test binary prints
 * TAP-like "ok - name" / "not ok - name (file:line)" lines and, last,
 * "N passed, N failed" (tests/run.py adds these up). Included once per
 * test binary, so the counters can live here. */
#ifndef OPENWINRM_TEST_CHECK_H
#define OPENWINRM_TEST_CHECK_H

#include <stdio.h>

static int passed, failed;

#define CHECK(name, cond)                                                                          \
	do {                                                                                       \
		if (cond) {                                                                        \
			passed++;                                                                  \
			printf("ok - %s\n", name);                                                 \
		} else {                                                                           \
			failed++;                                                                  \
			printf("not ok - %s (%s:%d)\n", name, __FILE__, __LINE__);                 \
		}                                                                                  \
		fflush(stdout); /* keep order with output of forked children */                    \
	} while (0)

#endif
