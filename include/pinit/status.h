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
  const char *job_json; /* the same as one JSON object of at most STATUS_JSON_JOB bytes, NULL if none */
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
 * {code,signal,reason,description,seconds_ago} or null, backoff_seconds, deps, reaped, message,
 * and "flink" (v->job_json, inserted as is) when the role has a job side.
 * The text fields are cut to a budget of JSON text (escapes counted, never cut inside an
 * escape or a character): name STATUS_JSON_NAME bytes, deps STATUS_JSON_DEPS, message
 * STATUS_JSON_MESSAGE; v->job_json (at most STATUS_JSON_JOB bytes) goes in whole or as null.
 * So with cap >= STATUS_JSON_MAX (CTL_REPLY_MAX - 32) the object is always whole and valid
 * JSON, whatever bytes the fields hold.  Returns the length written (truncated to cap-1
 * below that, and then no longer valid JSON). */
#define STATUS_JSON_NAME 80
#define STATUS_JSON_DEPS 480
#define STATUS_JSON_MESSAGE 150
#define STATUS_JSON_JOB 639
#define STATUS_JSON_MAX 2016
size_t status_json(const struct status_view *v, char *buf, size_t cap);

/* Short age: "42s", "5m", "3h", "2d". */
const char *status_age(int64_t ms, char *buf, size_t cap);

#endif
