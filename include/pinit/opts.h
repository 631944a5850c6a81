/* opts.h - the tini-compatible options of run mode: pinit [OPTIONS] [--] COMMAND [ARG...].
 * Pure: reads argv only (environment aliases such as TINI_SUBREAPER are config.c's). */
#ifndef PINIT_OPTS_H
#define PINIT_OPTS_H

#include "pinit/exitcode.h"

struct run_opts {
  int subreaper;           /* -s: accepted; pinit registers anyway when not PID 1 */
  int group;               /* -g: signal the child's process group */
  int pdeath_signal;       /* -p SIG, 0 if unset */
  int verbosity;           /* number of -v */
  int warn_reaped;         /* -w: log each reaped orphan */
  struct exitcode_remap remap; /* -e CODE, repeatable */
  int cmd_index;           /* argv index of COMMAND */
};

enum opts_result { OPTS_RUN = 0, OPTS_VERSION = 1, OPTS_HELP = 2, OPTS_ERROR = -1 };

/* Parse argv[first..argc).  Parsing stops at the first non-option or after "--".
 * OPTS_RUN: o->cmd_index names COMMAND.  OPTS_ERROR: err holds one line (no newline),
 * e.g. "-e: 300: not an exit code (0-255)" or "no command given". */
enum opts_result opts_parse(int argc, char **argv, int first, struct run_opts *o, char *err, unsigned cap);

#endif
