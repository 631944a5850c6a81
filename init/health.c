/* health.c - liveness and readiness probes on a schedule, judged and logged.
 * See include/pinit/health.h. */
#include "pinit/health.h"
#include "pinit/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void done(struct probe *p, int ok, const char *reason, void *arg)
{
  struct health *h = arg;
  const struct supervisor_hooks *hk = h->hooks;
  char why[128];
  if(h->event == SV_EV_READINESS && hk && hk->judge_ready) {
    snprintf(why, sizeof(why), "%s", reason);
    ok = hk->judge_ready(hk->arg, ok ? hk->ready_buf : NULL, ok ? p->kept : 0, why, sizeof(why));
    reason = why;
  }
  else if(h->event == SV_EV_LIVENESS && hk && hk->judge_live) {
    snprintf(why, sizeof(why), "%s", reason);
    ok = hk->judge_live(hk->arg, ok, p->status, hk->live_buf, hk->live_buf ? p->kept : 0, why, sizeof(why));
    reason = why;
  }
  if(!ok)
    log_warn(h->what, "%s: %s (%d in a row)", p->target.name, reason,
             (h->event == SV_EV_LIVENESS ? h->sv->live_fail : h->sv->ready_fail) + 1);
  else if(!h->last_ok)
    log_info(h->what, "%s: %s", p->target.name, reason);
  h->last_ok = ok;
  h->report(h->arg, h, ok);
}

static void tick(struct ev_loop *loop, ev_timer *w, int revents)
{
  struct health *h = w->data;
  (void)revents;
  if(probe_running(&h->probe))
    return; /* the previous attempt is still within its timeout */
  if(probe_start(&h->probe, loop, h->conf->timeout_ms, done, h) < 0)
    log_error(h->what, "%s: cannot start probe: %s", h->probe.target.name, strerror(errno));
}

__attribute__((noinline)) /* its probe_target stays off the caller's frame */
void health_init(struct health *h, const struct probe_conf *conf, enum supervise_event_type event, const char *what,
                 const struct supervise *sv, const struct supervisor_hooks *hooks, char *const *envp,
                 health_report_fn *report, void *arg)
{
  struct probe_target t;
  struct probe_error err;
  if(!conf->target[0])
    return; /* not configured (h->configured stays 0): its pages stay untouched */
  h->conf = conf;
  h->event = event;
  h->what = what;
  h->sv = sv;
  h->hooks = hooks;
  h->report = report;
  h->arg = arg;
  h->last_ok = 0;
  h->configured = probe_parse(conf->target, &t, &err) == 0;
  if(!h->configured)
    return;
  probe_init(&h->probe, &t);
  probe_env(&h->probe, envp);
  if(event == SV_EV_READINESS && hooks && hooks->judge_ready)
    probe_keep_body(&h->probe, hooks->ready_buf, hooks->ready_cap);
  if(event == SV_EV_LIVENESS && hooks && hooks->judge_live && hooks->live_buf)
    probe_keep_body(&h->probe, hooks->live_buf, hooks->live_cap);
  ev_init(&h->tick, tick);
  h->tick.data = h;
}

void health_start(struct health *h, struct ev_loop *loop)
{
  double first;
  if(!h->configured)
    return;
  /* readiness is looked at after 1 s, liveness after one interval, then every interval */
  first = (double)h->conf->interval_ms / 1000.0;
  if(h->event == SV_EV_READINESS && first > 1.0)
    first = 1.0;
  h->last_ok = 1;
  ev_timer_set(&h->tick, first, (double)h->conf->interval_ms / 1000.0);
  ev_timer_start(loop, &h->tick);
}

void health_stop(struct health *h, struct ev_loop *loop)
{
  if(!h->configured)
    return;
  ev_timer_stop(loop, &h->tick);
  probe_cancel(&h->probe);
}
