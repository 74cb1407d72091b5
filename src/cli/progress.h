/* progress: the progress line of a transfer that lasts (winrs, winrm's
 * enumerations): bytes
 * received and sent and the rate, rewritten in place on stderr twice a
 * second once the transfer has run PROGRESS_AFTER_MS, and a last line at
 * the end. Only when stderr is a terminal and stdout is not (the output
 * goes to a file or a pipe, so the line and the output do not mix), as
 * curl shows its meter; never in a script whose stderr is redirected. */
#ifndef OPENWINRM_PROGRESS_H
#define OPENWINRM_PROGRESS_H

#include <stddef.h>

#define PROGRESS_AFTER_MS 2000
#define PROGRESS_EVERY_MS 500

/* Starts the line's thread, its lines headed by program, when the
 * terminals allow one; 0 on success or when there is none to show. */
int progress_start(const char *program);
/* Counts bytes of the transfer (any thread). */
void progress_received(size_t n);
void progress_sent(size_t n);
/* Ends the line: its last state, once, if it was shown. */
void progress_end(void);

#endif
