/* steps: the output of the tools that check something step by step
 * (`winrm diagnose`, `winrmd --check`): one line per step, its verdict
 * ("ok", "warn", "FAIL"), its name and what it found, then, indented, what
 * to change. */
#ifndef OPENWINRM_STEPS_H
#define OPENWINRM_STEPS_H

struct steps {
	int failures;
};

void steps_report(struct steps *s, const char *verdict, const char *step, const char *fix,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
