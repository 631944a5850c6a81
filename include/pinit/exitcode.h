/* exitcode.h - from a wait(2) status to the exit code pinit reports.  Pure. */
#ifndef PINIT_EXITCODE_H
#define PINIT_EXITCODE_H

#include <stdint.h>

/* The set of codes that `-e CODE` remaps to 0. */
struct exit_remap {
  uint64_t bits[4]; /* bit c set: code c exits as 0 */
};

/* Mark `code` (0..255) as remapped to 0.  Returns 0, or -1 if code is out of range. */
int exit_remap_add(struct exit_remap *r, int code);

/* The code for a wait status: WEXITSTATUS for a normal exit (then remapped), 128+signal
 * for a death by signal (remapped too, as tini does).  `r` may be NULL. */
int exit_code_from_status(int wstatus, const struct exit_remap *r);

/* One human phrase for a wait status into buf: "exit 3", "signal 9 (KILL)",
 * "signal 11 (SEGV), core dumped".  Returns buf. */
const char *exit_describe(int wstatus, char *buf, unsigned cap);

#endif
