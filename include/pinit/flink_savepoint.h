/* flink_savepoint.h - stop every running job of a JobManager with a savepoint, through its
 * REST API on 127.0.0.1, without blocking the loop:
 *
 *   GET /jobs; for each RUNNING job: POST /jobs/:id/stop {"drain":false,"targetDirectory":DIR},
 *   then GET /jobs/:id/savepoints/:triggerid every 250 ms until COMPLETED.
 *
 * All of it within one budget (CLOCK_MONOTONIC through libev's timers): each request's
 * timeout is what is left of it, at most 5 s.  The HTTP goes through probes/ (libcurl multi
 * on the loop).  One run at a time per struct; the struct must not move while it runs.
 */
#ifndef PINIT_FLINK_SAVEPOINT_H
#define PINIT_FLINK_SAVEPOINT_H

#include "pinit/clock.h"

#include <ev.h>
#include <stdint.h>

#include "pinit/flink_rest.h"
#include "pinit/probe.h"

struct flink_savepoint;

/* Called once when the run ends, never after flink_savepoint_cancel, always from the loop
 * (never from inside flink_savepoint_start, even when its first request cannot be made).
 * The result is in s->ok, s->jobs, s->saved, s->location, s->why. */
typedef void flink_savepoint_cb(struct flink_savepoint *s, void *arg);

struct flink_savepoint {
  /* the result, valid in the callback and after a cancel */
  int ok;                         /* every running job was stopped with a savepoint */
  int jobs, saved;                /* running jobs found, savepoints completed */
  char location[FLINK_PATH_MAX];  /* the last savepoint written, "" if none */
  char why[192];                  /* "2 savepoints", "no job running", "job 8e1f…: HTTP 404", ... */
  /* private */
  struct ev_loop *loop;
  flink_savepoint_cb *cb;
  void *arg;
  unsigned port;
  int running, phase, inited;
  size_t cur;
  struct clock_mono deadline;      /* CLOCK_MONOTONIC: the budget ends here */
  char dir[FLINK_PATH_MAX];
  char post[FLINK_PATH_MAX + 64];
  char trigger[FLINK_JOB_ID_MAX];
  struct flink_jobs list;
  struct probe probe;
  ev_timer poll;
  char body[8192];
};

/* Start: rest_port is the JobManager's REST port, dir the savepoints' target directory as
 * Flink takes it (file:///x, s3://...), budget_ms > 0.  Returns 0 (cb will be called), or -1
 * and no callback: EINVAL (a dir JSON cannot carry, budget_ms <= 0 or no cb; s->why says
 * so) or EBUSY (a run is going on; s->why left as it is). */
int flink_savepoint_start(struct flink_savepoint *s, struct ev_loop *loop, unsigned rest_port, const char *dir,
                          int64_t budget_ms, flink_savepoint_cb *cb, void *arg);

/* Stop a running run without calling cb; s->why becomes `why` unless the run had already
 * ended.  Never blocks.  Safe when nothing runs. */
void flink_savepoint_cancel(struct flink_savepoint *s, const char *why);

#endif
