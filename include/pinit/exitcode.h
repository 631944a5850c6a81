/* exitcode.h - the exit codes pinit itself chooses, and from a wait(2) status to the exit
 * code pinit reports.  Pure: no call here blocks, allocates or sets errno. */
#ifndef PINIT_EXITCODE_H
#define PINIT_EXITCODE_H

#include <stdint.h>

/* The codes pinit exits with when the code is its own, not the child's (docs: "Exit codes").
 * The sysexits(3) values, the shell's exec codes, and `pinit status`'s LSB-style codes. */
#define EXITCODE_STATUS_NOT_RUNNING 3   /* pinit status: no child running */
#define EXITCODE_STATUS_UNREACHABLE 4   /* pinit status: no supervisor answered */
#define EXITCODE_USAGE        64        /* EX_USAGE: bad command line, nothing started */
#define EXITCODE_UNAVAILABLE  69        /* EX_UNAVAILABLE: a dependency wait timed out */
#define EXITCODE_SOFTWARE     70        /* EX_SOFTWARE: an internal failure (no loop, no memory) */
#define EXITCODE_NOPERM       77        /* EX_NOPERM: a control request this peer may not make */
#define EXITCODE_CONFIG       78        /* EX_CONFIG: bad configuration, nothing started */
#define EXITCODE_CANNOT_EXEC  126       /* the command exists but cannot be run */
#define EXITCODE_NOT_FOUND    127       /* the command does not exist */

/* The code a shell gives when exec(2) failed with errno `err`: EXITCODE_NOT_FOUND for the
 * errors that mean "no such command" (ENOENT, ENOTDIR, ENAMETOOLONG, ELOOP), else
 * EXITCODE_CANNOT_EXEC.  Async-signal-safe (a forked child calls it after exec failed). */
int exitcode_exec_failure(int err);

/* The set of codes that `-e CODE` remaps to 0. */
struct exitcode_remap {
  uint64_t bits[4]; /* bit c set: code c exits as 0 */
};

/* Mark `code` (0..255) as remapped to 0.  Returns 0, or -1 if code is out of range. */
int exitcode_remap_add(struct exitcode_remap *r, int code);

/* The code for a wait status: WEXITSTATUS for a normal exit (then remapped), 128+signal
 * for a death by signal (remapped too, as tini does), 1 for any other status (stopped,
 * continued).  `r` may be NULL. */
int exitcode_from_status(int wstatus, const struct exitcode_remap *r);

/* One human phrase for a wait status into buf: "exit 3", "signal 9 (KILL)",
 * "signal 11 (SEGV), core dumped", "status 0x137f" for anything else.  Cut to cap,
 * NUL-terminated when cap > 0.  Returns buf. */
const char *exitcode_describe(int wstatus, char *buf, unsigned cap);

#endif
