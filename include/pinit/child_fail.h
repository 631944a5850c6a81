/* child_fail.h - how a forked child reports why it gives up before exec, and exits.
 *
 * Between fork(2) and exec(2) pinit may be a copy of a process with other threads
 * (libcurl's resolver), so the child may only make async-signal-safe calls: no stdio, no
 * strerror, no malloc, no locks.  The parent therefore formats the whole line before it
 * forks (child_fail_prepare: the log format, JSON escaping, the timestamp), leaving a
 * place for the reason; the child only copies bytes and makes one write(2)
 * (child_fail_exit).  Used by the main child (spawn.c) and exec probes (probes/exec.c).
 */
#ifndef PINIT_CHILD_FAIL_H
#define PINIT_CHILD_FAIL_H

#include "pinit/log.h"

#include <stddef.h>

enum child_fail_style {
  CHILD_FAIL_LOG,    /* a pinit log line (level error), in the configured text/JSON format */
  CHILD_FAIL_PLAIN,  /* "pinit: <what>: <message>: <reason>": output a person reads as is */
};

/* A prepared line: filled by the parent, used read-only by the child.  No pointers into
 * other memory; lives on the parent's stack across the fork. */
struct child_fail {
  char line[LOG_LINE_MAX + 256];
  size_t len;   /* bytes in line */
  size_t at;    /* where the reason goes; == len: the line was cut, written as is */
};

/* In the parent, before fork: format "<what>: <message>: <reason>" with the reason left
 * open.  Never fails (a long message is cut, as log lines are); keeps errno; no I/O. */
void child_fail_prepare(struct child_fail *cf, enum child_fail_style style, const char *what, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));

/* The same as child_fail_prepare(cf, style, what, "%s", msg), byte for byte, without
 * printf where it can: a text-format line whose message needs no redaction and no cut is
 * put together by memcpy (the common case: every spawn prepares its lines).  Never fails;
 * keeps errno; no I/O. */
void child_fail_prepare_msg(struct child_fail *cf, enum child_fail_style style, const char *what,
                            const char *msg);

/* A fixed English text for errno `err` ("No such file or directory"), or NULL for an
 * errno outside the table (child_fail_exit then writes "errno N").  Async-signal-safe. */
const char *child_fail_reason(int err);

/* In the child: write the prepared line with the reason for `err` to stderr (one write,
 * retried on EINTR, errors ignored) and _exit(code).  Async-signal-safe; never returns. */
void child_fail_exit(const struct child_fail *cf, int err, int code) __attribute__((noreturn));

#endif
