/* status.h - the words and JSON of `pinit status`, `pinit check` (check.h) and the metrics, all
 * formatted from one view of the supervisor's state so they never disagree.  Pure. */
#ifndef PINIT_STATUS_H
#define PINIT_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "pinit/supervise.h"

#define STATUS_MESSAGE_MAX 128

struct status_view {
  const struct supervise *sv;
  struct clock_mono now; /* the clock of sv's timestamps */
  const char *deps;     /* "ok", "none", or "waiting: a:1 b:2" */
  uint64_t reaped;      /* orphans reaped */
  const char *message;  /* the child's STATUS= (NOTIFY_SOCKET), "" if none; any bytes:
                           shown through escape.h, at most STATUS_MESSAGE_MAX - 1 of them */
  char child_state;     /* the child's /proc state letter: 'T' stopped (SIGSTOP/SIGTSTP); 0 unknown */
  const char *job;      /* the role's job side, human (supervisor.h describe), NULL if none */
  const char *job_json; /* the same as one JSON object of at most 400 bytes, NULL if none */
  const char *live_note; /* the role's word on liveness, for `pinit check` (supervisor.h
                            live_note: "no leader for 75s (budget 1m)"), NULL if none */
};

/* One human line, e.g.
 *   jobmanager: up (pid 42) 3605s, healthy 3590s, restarts 2 (last: signal 9, 1h ago), deps ok
 * Returns the length written (truncated to cap-1). */
size_t status_line(const struct status_view *v, char *buf, size_t cap);

/* A running child stopped by a signal (SIGSTOP, SIGTSTP ...) is neither healthy nor ready:
 * the line says "stopped", JSON has "stopped":true, and `pinit check` fails unless a
 * liveness probe will make pinit restart it (check.h).
 * status_child_stopped: 1 if the child exists and its /proc state is 'T', else 0. */
int status_child_stopped(const struct status_view *v);

/* One JSON object on one line: name, state, want, pid, uptime_seconds, stopped, healthy, ready,
 * healthy_seconds, restarts, restarts_by_reason{exit,signal,health,manual}, last_exit
 * {code,signal,description,seconds_ago} or null, backoff_seconds, deps, reaped, message,
 * and "flink" (v->job_json, inserted as is) when the role has a job side.
 * Returns the length written (truncated to cap-1).  With deps up to 511 bytes and a message
 * up to 127 bytes (what supervisor.c passes), cap >= 2016 (CTL_REPLY_MAX - 32) always holds
 * the whole object (about 1680 bytes at most). */
size_t status_json(const struct status_view *v, char *buf, size_t cap);

/* Short age: "42s", "5m", "3h", "2d". */
const char *status_age(int64_t ms, char *buf, size_t cap);

#endif
