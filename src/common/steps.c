/* steps: see steps.h. */
#include "common/steps.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void steps_report(struct steps *s, const char *verdict, const char *step, const char *fix,
		  const char *fmt, ...)
{
	va_list ap;

	printf("%-5s %-10s ", verdict, step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (fix)
		printf("      fix: %s\n", fix);
	if (strcmp(verdict, "FAIL") == 0)
		s->failures++;
	fflush(stdout);
}
