/* check.c - the liveness and readiness verdicts.  See include/pinit/check.h. */
#include "pinit/check.h"
#include "pinit/clock.h"
#include "pinit/config.h"
#include "pinit/exitcode.h"

#include <stdio.h>
#include <string.h>

/* When pinit's own restart began: the stop it sent (liveness or manual restart), else the
 * exit it saw.  Only meaningful in STOPPING (want up) and BACKOFF. */
static struct clock_mono restart_began(const struct supervise *sv)
{
  if(sv->state == SV_STOPPING || sv->last_reason == SV_R_HEALTH || sv->last_reason == SV_R_MANUAL)
    return sv->stop_requested_at;
  return sv->exited_at;
}

static const char *reason_word(enum supervise_reason r)
{
  return r == SV_R_HEALTH ? "liveness" : r == SV_R_MANUAL ? "restart request" : "stop";
}

/* Writes the "restarting" part of a reason: what pinit is doing and how much of the
 * budget is used.  Returns 1 while within the budget. */
static int restarting(const struct status_view *v, char *buf, size_t cap)
{
  const struct supervise *sv = v->sv;
  int64_t used = clock_mono_diff(v->now, restart_began(sv));
  int64_t left = clock_mono_diff(sv->timer_at, v->now);
  char a[32], b[32], c[32], what[64];

  if(sv->state == SV_STOPPING)
    snprintf(buf, cap, "%s pid %d stopping after %s, %s of %s budget", sv->name, (int)sv->pid,
             reason_word(sv->stop_reason), status_age(used, a, sizeof(a)),
             status_age(CONFIG_RESTART_BUDGET_MS, b, sizeof(b)));
  else
    snprintf(buf, cap, "%s restart in %s after %s, %s of %s budget", sv->name,
             status_age(clock_mono_is_set(sv->timer_at) && left > 0 ? left + 999 : 0, a, sizeof(a)),
             sv->have_exit ? exitcode_describe(sv->last_status, what, sizeof(what)) : "a failure",
             status_age(used, b, sizeof(b)), status_age(CONFIG_RESTART_BUDGET_MS, c, sizeof(c)));
  return used <= CONFIG_RESTART_BUDGET_MS;
}

int check_live(const struct status_view *v, char *why, size_t cap)
{
  const struct supervise *sv = v->sv;
  char a[32], r[160];

  switch(sv->state) {
  case SV_IDLE:
    snprintf(why, cap, "healthy (starting): %s not started yet", sv->name);
    return 0;
  case SV_WAITING:
    snprintf(why, cap, "healthy (waiting): %s not started, deps %s", sv->name, v->deps ? v->deps : "pending");
    return 0;
  case SV_STARTING:
  case SV_UP:
    if(status_child_stopped(v)) {
      /* SIGSTOP/SIGTSTP: only a liveness probe makes pinit notice and restart it */
      if(!sv->has_liveness) {
        snprintf(why, cap, "unhealthy: %s pid %d is stopped by a signal", sv->name, (int)sv->pid);
        return 1;
      }
      snprintf(why, cap, "healthy (stopped): %s pid %d is stopped by a signal, liveness restarts it", sv->name,
               (int)sv->pid);
      return 0;
    }
    if(supervise_live(sv)) {
      snprintf(why, cap, "healthy: %s pid %d up %s%s%s", sv->name, (int)sv->pid,
               status_age(clock_mono_diff(v->now, sv->spawned_at), a, sizeof(a)), v->live_note ? ", " : "",
               v->live_note ? v->live_note : "");
      return 0;
    }
    snprintf(why, cap, "unhealthy: %s liveness failed %d times%s%s", sv->name, sv->live_fail,
             v->live_note ? ": " : "", v->live_note ? v->live_note : "");
    return 1;
  case SV_STOPPING:
  case SV_BACKOFF:
    if(sv->want == SV_WANT_DOWN) {
      snprintf(why, cap, "unhealthy: %s is stopping", sv->name);
      return 1;
    }
    if(restarting(v, r, sizeof(r))) {
      snprintf(why, cap, "healthy (restarting): %s", r);
      return 0;
    }
    snprintf(why, cap, "unhealthy: restart overdue: %s", r);
    return 1;
  case SV_FAILED:
    snprintf(why, cap, "unhealthy: %s gave up after %u restarts", sv->name, sv->failure_restarts);
    return 1;
  case SV_DONE:
    break;
  }
  snprintf(why, cap, "unhealthy: %s is done", sv->name);
  return 1;
}

int check_ready(const struct status_view *v, char *why, size_t cap)
{
  const struct supervise *sv = v->sv;
  char live[256];
  const char *p = live;

  if(status_child_stopped(v)) {
    snprintf(why, cap, "not ready: %s pid %d is stopped by a signal", sv->name, (int)sv->pid);
    return 1;
  }
  if(sv->state == SV_UP && supervise_is_ready(sv)) {
    snprintf(why, cap, "ready: %s pid %d", sv->name, (int)sv->pid);
    return 0;
  }
  if(sv->state == SV_STARTING && supervise_live(sv)) {
    snprintf(why, cap, "not ready: %s is starting", sv->name);
    return 1;
  }
  if(sv->state == SV_UP && supervise_live(sv)) {
    snprintf(why, cap, "not ready: %s is failing readiness", sv->name);
    return 1;
  }
  /* otherwise the liveness reason says why, its verdict word replaced:
   * "healthy (waiting): ..." -> "not ready (waiting): ...", "unhealthy: ..." -> "not ready: ..." */
  check_live(v, live, sizeof(live));
  if(!strncmp(p, "un", 2))
    p += 2;
  if(!strncmp(p, "healthy", 7))
    p += 7;
  snprintf(why, cap, "not ready%s", p);
  return 1;
}
