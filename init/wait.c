/* wait.c - dependency waits: all targets probed in parallel until all are up or the
 * overall time runs out.  See include/pinit/wait.h. */
#include "pinit/wait.h"
#include "pinit/strbuf.h"
#include "pinit/clock.h"

#include "pinit/duration.h"
#include "pinit/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define WAIT_LOG_EVERY_MS   10000   /* repeat an unchanged failure this often */
#define WAIT_LOG_CHANGED_MS 2000    /* a new reason, but not more often than this */
#define WAIT_MIN_ATTEMPT_MS 50

static int64_t now_ms(void)
{
  return clock_mono_now().ms;
}

void wait_options_default(struct wait_options *o)
{
  o->timeout_ms = WAIT_DEFAULT_TIMEOUT_MS;
  o->interval_ms = WAIT_DEFAULT_INTERVAL_MS;
  o->attempt_timeout_ms = WAIT_DEFAULT_ATTEMPT_MS;
}

int wait_list_parse(const char *list, struct probe_target *out, size_t cap, struct probe_error *err)
{
  size_t n = 0;
  const char *p = list ? list : "";
  char item[PROBE_SPEC_MAX];

  for(;;) {
    while(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
      p++;
    if(!*p)
      return (int)n;
    const char *s = p;
    while(*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
      p++;
    size_t len = (size_t)(p - s);
    if(len >= sizeof(item)) {
      snprintf(err->msg, sizeof(err->msg), "'%.40s...': target too long", s);
      return -1;
    }
    memcpy(item, s, len);
    item[len] = 0;
    if(!strncasecmp(item, "exec:", 5)) {
      snprintf(err->msg, sizeof(err->msg), "'%.60s': exec targets cannot be given in a blank-separated list", item);
      return -1;
    }
    if(n == cap) {
      snprintf(err->msg, sizeof(err->msg), "too many targets (max %zu)", cap);
      return -1;
    }
    struct probe_error perr;
    if(probe_parse(item, &out[n], &perr) < 0) {
      snprintf(err->msg, sizeof(err->msg), "'%.60s': %.90s", item, perr.msg);
      return -1;
    }
    n++;
  }
}

static void item_start(struct wait_item *it);
static void item_done(struct probe *p, int ok, const char *reason, void *arg);

static void retry_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
  item_start(t->data);
}

static void schedule_retry(struct wait_item *it, int64_t now)
{
  struct waiter *w = it->w;
  int64_t delay = it->attempt_start + w->opt.interval_ms - now;

  if(delay < 0)
    delay = 0;
  ev_timer_set(&it->retry, (double)delay / 1000.0, 0.);
  ev_timer_start(w->loop, &it->retry);
}

static void left_text(const struct waiter *w, int64_t now, char *buf, size_t cap)
{
  char d[32];
  if(!w->opt.timeout_ms) {
    buf[0] = 0;
    return;
  }
  int64_t left = w->started + w->opt.timeout_ms - now;
  left = left < 0 ? 0 : (left + 999) / 1000 * 1000;
  snprintf(buf, cap, ", %s left", duration_format(left, d, sizeof(d)));
}

static void item_failed(struct wait_item *it, const char *reason, int64_t now)
{
  struct waiter *w = it->w;
  int changed = strcmp(reason, it->last_reason) != 0;
  int64_t since = now - it->last_log;

  if(it->attempts == 1 || since >= WAIT_LOG_EVERY_MS || (changed && since >= WAIT_LOG_CHANGED_MS)) {
    char what[PROBE_NAME_MAX + 8], left[48];
    snprintf(what, sizeof(what), "wait: %s", it->probe.target.name);
    left_text(w, now, left, sizeof(left));
    plog_fields(LOG_WARN, what, &(struct log_fields){ 0, -1, NULL, it->probe.target.name }, "%s (attempt %u%s)", reason,
                it->attempts, left);
    it->last_log = now;
  }
  snprintf(it->last_reason, sizeof(it->last_reason), "%s", reason);
  schedule_retry(it, now);
}

static void item_start(struct wait_item *it)
{
  struct waiter *w = it->w;
  int64_t now = now_ms(), t = w->opt.attempt_timeout_ms;

  if(w->opt.timeout_ms) {
    int64_t left = w->started + w->opt.timeout_ms - now;
    if(left < t)
      t = left;
    if(t < WAIT_MIN_ATTEMPT_MS)
      t = WAIT_MIN_ATTEMPT_MS;   /* the overall deadline ends it anyway */
  }
  it->attempts++;
  it->attempt_start = now;
  if(probe_start(&it->probe, w->loop, t, item_done, it) < 0) {
    char buf[96];
    snprintf(buf, sizeof(buf), "cannot start probe: %s", strerror(errno));
    item_failed(it, buf, now);
  }
}

static void finish(struct waiter *w, int ok)
{
  wait_done_cb *cb = w->cb;
  void *arg = w->arg;

  wait_cancel(w);
  cb(w, ok, arg);
}

static void item_done(struct probe *p, int ok, const char *reason, void *arg)
{
  struct wait_item *it = arg;
  struct waiter *w = it->w;
  int64_t now = now_ms();

  if(!ok) {
    item_failed(it, reason, now);
    return;
  }
  char what[PROBE_NAME_MAX + 8];
  snprintf(what, sizeof(what), "wait: %s", p->target.name);
  {
    struct log_fields f = { 0, -1, NULL, p->target.name };
    if(it->attempts > 1)
      plog_fields(LOG_INFO, what, &f, "up after %.1fs (attempt %u)", (double)(now - w->started) / 1000.0, it->attempts);
    else
      plog_fields(LOG_INFO, what, &f, "up after %.1fs", (double)(now - w->started) / 1000.0);
  }
  it->up = 1;
  w->missing--;
  if(!w->missing) {
    if(w->n > 1)
      log_info("wait", "all %zu targets up after %.1fs", w->n, (double)(now - w->started) / 1000.0);
    finish(w, 1);
  }
}

static void deadline_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
  struct waiter *w = t->data;
  char list[LOG_LINE_MAX - 128], d[32];
  struct strbuf sb;
  size_t more = 0;

  strbuf_init(&sb, list, sizeof(list));
  for(size_t i = 0; i < w->n; i++) {
    const struct wait_item *it = &w->items[i];
    if(it->up)
      continue;
    /* the line stays whole: what does not fit is counted instead */
    if(strbuf_printf(&sb, "%s%s (%s)", sb.len ? ", " : "", it->probe.target.name,
                     it->last_reason[0] ? it->last_reason : "no answer yet"))
      more++;
  }
  if(more)
    log_error("wait", "timed out after %s: missing %s and %zu more", duration_format(w->opt.timeout_ms, d, sizeof(d)),
              list, more);
  else
    log_error("wait", "timed out after %s: missing %s", duration_format(w->opt.timeout_ms, d, sizeof(d)), list);
  finish(w, 0);
}

static void kick_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
  finish(t->data, 1);
}

int wait_init(struct waiter *w, const struct probe_target *targets, size_t n, const struct wait_options *opt)
{
  struct wait_options def;

  memset(w, 0, sizeof(*w));
  if(!opt) {
    wait_options_default(&def);
    opt = &def;
  }
  if(n > WAIT_MAX_TARGETS || opt->timeout_ms < 0 || opt->interval_ms <= 0 || opt->attempt_timeout_ms <= 0) {
    errno = EINVAL;
    return -1;
  }
  w->opt = *opt;
  if(n) {
    w->items = calloc(n, sizeof(*w->items));
    if(!w->items) {
      errno = ENOMEM;
      return -1;
    }
  }
  w->n = n;
  for(size_t i = 0; i < n; i++) {
    struct wait_item *it = &w->items[i];
    probe_init(&it->probe, &targets[i]);
    it->w = w;
    ev_timer_init(&it->retry, retry_cb, 0., 0.);
    it->retry.data = it;
  }
  ev_timer_init(&w->deadline, deadline_cb, 0., 0.);
  w->deadline.data = w;
  ev_timer_init(&w->kick, kick_cb, 0., 0.);
  w->kick.data = w;
  return 0;
}

int wait_start(struct waiter *w, struct ev_loop *loop, wait_done_cb *cb, void *arg)
{
  if(w->running) {
    errno = EBUSY;
    return -1;
  }
  if(!loop || !cb) {
    errno = EINVAL;
    return -1;
  }
  for(size_t i = 0; i < w->n; i++)
    if(w->items[i].probe.target.kind == PROBE_EXEC && !ev_is_default_loop(loop)) {
      errno = EINVAL;
      return -1;
    }
  w->loop = loop;
  w->cb = cb;
  w->arg = arg;
  w->running = 1;
  w->started = now_ms();
  w->missing = w->n;
  if(!w->n) {
    ev_timer_start(loop, &w->kick);
    return 0;
  }
  if(w->opt.timeout_ms) {
    ev_timer_set(&w->deadline, (double)w->opt.timeout_ms / 1000.0, 0.);
    ev_timer_start(loop, &w->deadline);
  }
  for(size_t i = 0; i < w->n; i++) {
    struct wait_item *it = &w->items[i];
    it->up = 0;
    it->attempts = 0;
    it->last_log = 0;
    it->last_reason[0] = 0;
    item_start(it);
  }
  return 0;
}

void wait_cancel(struct waiter *w)
{
  if(!w->running)
    return;
  ev_timer_stop(w->loop, &w->deadline);
  ev_timer_stop(w->loop, &w->kick);
  for(size_t i = 0; i < w->n; i++) {
    probe_cancel(&w->items[i].probe);
    ev_timer_stop(w->loop, &w->items[i].retry);
  }
  w->running = 0;
}

void wait_free(struct waiter *w)
{
  wait_cancel(w);
  for(size_t i = 0; i < w->n; i++)
    probe_free(&w->items[i].probe);
  free(w->items);
  w->items = NULL;
  w->n = 0;
}

size_t wait_missing(const struct waiter *w, char *buf, size_t cap)
{
  size_t missing = 0;
  struct strbuf sb;

  strbuf_init(&sb, buf, cap);
  for(size_t i = 0; i < w->n; i++) {
    if(w->items[i].up)
      continue;
    missing++;
    strbuf_printf(&sb, "%s%s", sb.len ? ", " : "", w->items[i].probe.target.name);
  }
  return missing;
}
