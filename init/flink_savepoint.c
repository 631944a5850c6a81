/* flink_savepoint.c - stop the running jobs with a savepoint over REST.  See
 * include/pinit/flink_savepoint.h. */
#include "pinit/flink_savepoint.h"
#include "pinit/clock.h"
#include "pinit/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define POLL_S 0.25
#define REQUEST_MAX_MS 5000

enum { PH_LIST = 1, PH_TRIGGER, PH_STATUS };

static void next_job(struct flink_savepoint *s);

static void finish(struct flink_savepoint *s, int ok)
{
  s->running = 0;
  s->ok = ok;
  ev_timer_stop(s->loop, &s->poll);
  if(s->inited)
    probe_cancel(&s->probe);
  s->cb(s, s->arg);
}

static void fail(struct flink_savepoint *s, const char *fmt, const char *a, const char *b)
{
  char what[160];
  snprintf(what, sizeof(what), fmt, a, b);
  if(s->cur < s->list.n && s->phase != PH_LIST)
    snprintf(s->why, sizeof(s->why), "job %.8s: %s", s->list.job[s->cur].id, what);
  else
    snprintf(s->why, sizeof(s->why), "%s", what);
  finish(s, 0);
}

static void reply(struct probe *p, int ok, const char *reason, void *arg);

/* One request to http://127.0.0.1:PORT/path (POST json if post is not NULL). */
static void request(struct flink_savepoint *s, const char *path, const char *post)
{
  char url[PROBE_SPEC_MAX];
  struct probe_target t;
  struct probe_error err;
  int64_t left = clock_mono_diff(s->deadline, clock_mono_now());

  if(left <= 0) {
    fail(s, "budget used up%s%s", "", "");
    return;
  }
  snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", s->port, path);
  if(probe_parse(url, &t, &err) < 0) {
    fail(s, "%s: %s", url, err.msg);
    return;
  }
  if(s->inited)
    probe_free(&s->probe);
  probe_init(&s->probe, &t);
  s->inited = 1;
  probe_keep_body(&s->probe, s->body, sizeof(s->body));
  probe_post_json(&s->probe, post);
  if(probe_start(&s->probe, s->loop, left < REQUEST_MAX_MS ? left : REQUEST_MAX_MS, reply, s) < 0)
    fail(s, "cannot start a request: %s%s", strerror(errno), "");
}

static void status_request(struct flink_savepoint *s)
{
  char path[256];
  snprintf(path, sizeof(path), "/jobs/%s/savepoints/%s", s->list.job[s->cur].id, s->trigger);
  s->phase = PH_STATUS;
  request(s, path, NULL);
}

/* The timer: the first request (so that the callback never runs inside start), then the
 * polls of a savepoint's status. */
static void poll_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
  struct flink_savepoint *s = w->data;
  if(s->phase == PH_LIST)
    request(s, "/jobs", NULL);
  else
    status_request(s);
}

static void reply(struct probe *p, int ok, const char *reason, void *arg)
{
  struct flink_savepoint *s = arg;
  size_t len = s->probe.kept;
  struct flink_op op;

  ev_now_update(s->loop);
  if(len + 1 >= sizeof(s->body)) {
    fail(s, "reply longer than %s bytes%s", "8191", "");
    return;
  }
  switch(s->phase) {
  case PH_LIST:
    if(!ok || flink_rest_jobs(s->body, len, &s->list) < 0) {
      fail(s, "GET /jobs: %s%s", ok ? "unreadable reply" : reason, "");
      return;
    }
    s->cur = (size_t)-1;
    next_job(s);
    return;
  case PH_TRIGGER:
    if(!ok || flink_rest_trigger(s->body, len, s->trigger, sizeof(s->trigger)) < 0) {
      fail(s, "stop: %s%s", ok ? "unreadable reply" : reason, "");
      return;
    }
    status_request(s);
    return;
  case PH_STATUS:
    if(!ok) {
      /* the JobManager may be busy finishing the job: ask again while the budget lasts */
      log_debug("savepoint", "savepoint status: %s", reason);
      ev_timer_set(&s->poll, POLL_S, 0.);
      ev_timer_start(s->loop, &s->poll);
      return;
    }
    if(flink_rest_savepoint(s->body, len, &op) < 0) {
      fail(s, "savepoint status: unreadable reply%s%s", "", "");
      return;
    }
    if(op.state == FLINK_OP_IN_PROGRESS) {
      ev_timer_set(&s->poll, POLL_S, 0.);
      ev_timer_start(s->loop, &s->poll);
      return;
    }
    if(op.state == FLINK_OP_FAILED) {
      fail(s, "savepoint failed: %s%s", op.failure, "");
      return;
    }
    snprintf(s->location, sizeof(s->location), "%s", op.location);
    s->saved++;
    log_info("savepoint", "job %s stopped with savepoint %s", s->list.job[s->cur].id, op.location);
    next_job(s);
    return;
  }
}

/* The next RUNNING job, or the end. */
static void next_job(struct flink_savepoint *s)
{
  char path[128];
  while(++s->cur < s->list.n && strcmp(s->list.job[s->cur].status, "RUNNING"))
    ;
  if(s->cur >= s->list.n) {
    s->jobs = (int)s->list.running;
    if(s->list.running > s->list.n && s->saved == (int)s->list.n)
      snprintf(s->why, sizeof(s->why), "%d jobs running, only %d handled", s->jobs, FLINK_JOBS_MAX);
    else if(!s->jobs)
      snprintf(s->why, sizeof(s->why), "no job running");
    else
      snprintf(s->why, sizeof(s->why), "%d savepoint%s", s->saved, s->saved == 1 ? "" : "s");
    finish(s, s->saved == s->jobs);
    return;
  }
  snprintf(path, sizeof(path), "/jobs/%s/stop", s->list.job[s->cur].id);
  s->phase = PH_TRIGGER;
  request(s, path, s->post);
}

int flink_savepoint_start(struct flink_savepoint *s, struct ev_loop *loop, unsigned rest_port, const char *dir,
                          int64_t budget_ms, flink_savepoint_cb *cb, void *arg)
{
  if(s->running) {
    errno = EBUSY;
    return -1;
  }
  s->ok = s->jobs = s->saved = 0;
  s->location[0] = '\0';
  if(budget_ms <= 0 || !cb || flink_rest_stop_body(dir, s->post, sizeof(s->post)) < 0) {
    snprintf(s->why, sizeof(s->why), "savepoint directory cannot be sent to Flink");
    errno = EINVAL;
    return -1;
  }
  snprintf(s->why, sizeof(s->why), "running");
  snprintf(s->dir, sizeof(s->dir), "%s", dir);
  s->loop = loop;
  s->cb = cb;
  s->arg = arg;
  s->port = rest_port;
  s->running = 1;
  s->cur = 0;
  memset(&s->list, 0, sizeof(s->list));
  ev_init(&s->poll, poll_cb);
  s->poll.data = s;
  s->deadline = clock_mono_add(clock_mono_now(), budget_ms); /* never the wall clock (ev_now) */
  s->phase = PH_LIST;
  ev_timer_set(&s->poll, 0., 0.); /* the first request from the loop, like every later one */
  ev_timer_start(loop, &s->poll);
  return 0;
}

void flink_savepoint_cancel(struct flink_savepoint *s, const char *why)
{
  if(!s->running)
    return;
  s->running = 0;
  ev_timer_stop(s->loop, &s->poll);
  if(s->inited)
    probe_cancel(&s->probe);
  snprintf(s->why, sizeof(s->why), "%s", why);
}
