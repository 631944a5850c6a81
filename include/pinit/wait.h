/* wait.h - wait for dependencies: N probe targets, all in parallel, until all are up.
 *
 * Every target is probed at once, then again `interval` after each failed attempt started
 * (at once after a timed-out one), each attempt limited to `attempt_timeout` and to the
 * time left.  TCP and HTTP names are resolved again on every attempt (compose names
 * appear late).  Progress goes to the log (log.h), one line per event worth telling:
 *   pinit: warn: wait: jobmanager:6123: connection refused (attempt 1, 4m59s left)
 *     ... then at most every 10 s per target (or sooner, >= 2 s, when the reason changes)
 *   pinit: info: wait: jobmanager:6123: up after 3.2s
 *   pinit: error: wait: timed out after 5m: missing jobmanager:6123 (connection refused)
 * Never blocks the loop (see probe.h).
 */
#ifndef PINIT_WAIT_H
#define PINIT_WAIT_H

#include "pinit/probe.h"

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#define WAIT_DEFAULT_TIMEOUT_MS  (5 * 60 * 1000)
#define WAIT_DEFAULT_INTERVAL_MS 1000
#define WAIT_DEFAULT_ATTEMPT_MS  5000
#define WAIT_MAX_TARGETS         64

struct wait_options {
  int64_t timeout_ms;           /* overall; 0 = wait forever */
  int64_t interval_ms;          /* between attempt starts of one target, > 0 */
  int64_t attempt_timeout_ms;   /* per attempt, > 0 (cut to the time left) */
};

struct waiter;

/* Called once when every target is up (ok = 1) or the overall timeout expired (ok = 0;
 * the missing targets were logged, wait_missing() lists them).  Not called after
 * wait_cancel().  The callback may call wait_free(). */
typedef void wait_done_cb(struct waiter *w, int ok, void *arg);

/* One target's state; private to wait.c. */
struct wait_item {
  struct probe probe;
  struct waiter *w;
  ev_timer retry;
  int up;
  unsigned attempts;
  int64_t attempt_start;        /* monotonic ms */
  int64_t last_log;
  char last_reason[PROBE_REASON_MAX];
};

struct waiter {
  struct ev_loop *loop;
  struct wait_options opt;
  struct wait_item *items;      /* n of them, owned */
  size_t n;
  size_t missing;
  int running;
  int64_t started;              /* monotonic ms */
  ev_timer deadline;
  ev_timer kick;                /* reports "nothing to wait for" from the loop */
  wait_done_cb *cb;
  void *arg;
};

/* Defaults: 5 min overall, 1 s interval, 5 s per attempt. */
void wait_options_default(struct wait_options *o);

/* Set up w for `n` targets (copied; n may be 0).  Allocates the items once.  Returns 0,
 * or -1 with errno ENOMEM, or EINVAL (n > WAIT_MAX_TARGETS, or a bad option value). */
int wait_init(struct waiter *w, const struct probe_target *targets, size_t n, const struct wait_options *opt);

/* Start probing on `loop` (the default loop if any target is exec).  Returns 0 (cb will be
 * called once, from the loop, even for n = 0), or -1 with errno EBUSY (running) or EINVAL.
 * Never blocks. */
int wait_start(struct waiter *w, struct ev_loop *loop, wait_done_cb *cb, void *arg);

/* Stop everything (probes cancelled, timers stopped) without calling cb.  Never blocks. */
void wait_cancel(struct waiter *w);

/* wait_cancel() and free what wait_init() allocated. */
void wait_free(struct waiter *w);

/* Write the names of the targets not up yet, "a:1, http://b/x", into buf (whole names
 * only: the list ends before the first name that does not fit; always NUL-terminated when
 * cap > 0).  Returns how many are missing, listed or not. */
size_t wait_missing(const struct waiter *w, char *buf, size_t cap);

/* Split a blank-separated list (PINIT_WAIT="tcp://a:1 http://b/x", SERVICE_PRECONDITION=
 * "host:port host:port") and parse each item into out[0..cap).  exec: items are refused
 * (their arguments would be split).  Returns the number of targets (0 for an empty or
 * all-blank list), or -1 with err->msg = "'ITEM': reason" (or "too many targets").
 * Pure: no allocation, no I/O. */
int wait_list_parse(const char *list, struct probe_target *out, size_t cap, struct probe_error *err);

#endif
