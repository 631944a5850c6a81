/* log.h - pinit's own messages: one line each on stderr.
 *
 * Text format (default):  pinit: <level>: <what>: <detail>
 * JSON format:            {"time":"...","level":"...","component":"<what>","message":"<detail>"}
 *                         (invalid UTF-8 shown as U+FFFD; a cut never splits a character)
 * The user:password part of any URL in a message is shown as "***" ("*" or "**" when it
 * is shorter: redaction never makes a line longer).
 *
 * Each line is formatted into a fixed buffer (lines longer than LOG_LINE_MAX are cut)
 * and written with a single write(2), so lines from pinit never interleave with each
 * other.  Never allocates, never blocks beyond that one write to stderr.  Not for a forked
 * child before exec: formatting calls vsnprintf, strftime and the caller's strerror, which
 * are not async-signal-safe while other threads (libcurl's resolver) exist; such a child
 * reports through child_fail.h, whose line log_render() formats before the fork.
 * Every function here keeps errno.
 */
#ifndef PINIT_LOG_H
#define PINIT_LOG_H

#include <stdarg.h>
#include <stddef.h>

#define LOG_LINE_MAX 1024

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };
enum log_format { LOG_TEXT = 0, LOG_JSON = 1 };

/* Messages above `max` are dropped.  Default: LOG_WARN, LOG_TEXT. */
void log_setup(enum log_level max, enum log_format fmt);
enum log_level log_level_get(void);
enum log_format log_format_get(void);

/* Replace the user:password of every URL (scheme, "://", user:password, "@", host) in s
 * with "***" (with one '*' per byte when it has fewer than 3), in place: s never grows. */
void log_redact_userinfo(char *s);

/* Parse "error|warn|warning|info|debug" (any case) or "0".."3"; returns 0 and sets *out,
 * or -1 (*out untouched). */
int log_level_parse(const char *s, enum log_level *out);

/* Log one line.  `what` names the component or object ("spawn", "wait: jobmanager:6123").
 * Callers must not pass secret values: see log_is_secret_name(). */
void plog(enum log_level lvl, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void vplog(enum log_level lvl, const char *what, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Format the line plog() would write, without writing it: into out[0..cap), newline
 * included, no NUL; returns its length, 0 if `lvl` is filtered out.  Lines are cut to cap. */
size_t log_render(char *out, size_t cap, enum log_level lvl, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* 1 if a variable or key name looks secret (contains PASSWORD, PASSWD, SECRET, KEY, TOKEN
 * or CREDENTIAL, case-insensitive), so its value must never be printed; 0 otherwise. */
int log_is_secret_name(const char *name);

/* Structured fields of a line: in JSON mode they become keys of their own ("pid",
 * "exit_code", "state", "target"); the text format shows them only through the message. */
struct log_fields {
  int pid;            /* 0: none */
  int exit_code;      /* -1: none */
  const char *state;  /* NULL: none */
  const char *target; /* NULL: none */
};
#define LOG_NO_FIELDS { 0, -1, NULL, NULL }

void plog_fields(enum log_level lvl, const char *what, const struct log_fields *f, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define log_error(what, ...) plog(LOG_ERROR, what, __VA_ARGS__)
#define log_warn(what, ...)  plog(LOG_WARN, what, __VA_ARGS__)
#define log_info(what, ...)  plog(LOG_INFO, what, __VA_ARGS__)
#define log_debug(what, ...) plog(LOG_DEBUG, what, __VA_ARGS__)

#endif
