/* metrics.h - the Prometheus text exposition format (version 0.0.4) of pinit's state.
 *
 * metrics_format() is pure: it formats a view of the supervisor (the same status_view that
 * `pinit status` and `pinit check` read, so they never disagree) plus the dependency
 * waiter and pinit's own process figures, which the caller reads beforehand with
 * metrics_process_read().  Every family has its HELP and TYPE lines; docs/metrics.md lists
 * the series and their meaning.
 *
 * Size: the output can never exceed METRICS_MAX bytes.  Everything but the
 * pinit_dependency_up samples fits METRICS_FIXED_MAX whatever the counters hold; each
 * dependency sample fits METRICS_DEP_LINE_MAX (a label value is at most PROBE_NAME_MAX-1
 * bytes, each of which becomes at most 3 bytes: an escape or U+FFFD), and there are at
 * most WAIT_MAX_TARGETS of them.  tests/unit/test_metrics.c formats the worst case.
 */
#ifndef PINIT_METRICS_H
#define PINIT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "pinit/probe.h"
#include "pinit/status.h"
#include "pinit/wait.h"

#define METRICS_FIXED_MAX    6144
#define METRICS_DEP_LINE_MAX (3 * (PROBE_NAME_MAX - 1) + 48)
#define METRICS_EXTRA_MAX    2048   /* the role's own families (metrics_view.extra) */
#define METRICS_MAX          (METRICS_FIXED_MAX + WAIT_MAX_TARGETS * METRICS_DEP_LINE_MAX + METRICS_EXTRA_MAX)

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* pinit's own process, for the standard process_* family.  A figure whose source could not
 * be read has its have_* flag 0 and is left out of the output. */
struct metrics_process {
  int have_stat;                /* cpu_seconds, resident/virtual bytes, start_time */
  int have_fds, have_limit;
  double cpu_seconds;           /* user + system */
  uint64_t resident_bytes, virtual_bytes;
  uint64_t open_fds, max_fds;   /* max_fds: the soft RLIMIT_NOFILE */
  double start_time_seconds;    /* unix time */
};

struct metrics_view {
  const struct status_view *status; /* required; status->now is the clock of sv's times */
  const struct waiter *waiter;      /* dependency waits, NULL if there are none */
  uint64_t zombies_reaped;          /* orphans reaped (the main child not counted) */
  int64_t wall_minus_mono_ms;       /* unix time in ms = sv's clock + this */
  const struct metrics_process *process; /* NULL: no process_* samples */
  const char *extra;                /* the role's families, already formatted (supervisor.h metrics),
                                       at most METRICS_EXTRA_MAX-1 bytes; NULL if none */
};

/* Format every family into buf (always NUL-terminated when cap > 0).  Returns the length
 * of the complete output, like snprintf: if that is >= cap the output was cut after the
 * last whole line that fit.  A cap of METRICS_MAX always suffices.  Pure: no I/O, no
 * allocation, no clock. */
size_t metrics_format(const struct metrics_view *v, char *buf, size_t cap);

/* Escape a label value per the exposition format: backslash, double quote and newline
 * become \\, \" and \n; bytes that are not valid UTF-8 become U+FFFD.  Writes at most
 * 3 * strlen(s) + 1 bytes (NUL included; cut at cap, never inside a sequence).  Returns the
 * length written.  Pure. */
size_t metrics_escape_label(const char *s, size_t n, char *out, size_t cap);

/* Read pinit's own figures from /proc/self/stat, /proc/self/fd and getrlimit(2) into *p
 * (the process start time is computed on the first call and remembered).  Returns 0 if
 * everything was read, -1 if some figure was not (its have_* flag is 0).  Reads /proc only:
 * no allocation, never blocks. */
int metrics_process_read(struct metrics_process *p);

#endif
