/* supervise.c - the main child's state machine.  See include/pinit/supervise.h. */
#include "pinit/supervise.h"
#include "pinit/exitcode.h"
#include "pinit/backoff.h"
#include "pinit/duration.h"
#include "pinit/log.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

static const struct {
  const char *name, *label;
} states[SV_STATE_COUNT] = {
  [SV_IDLE] = { "IDLE", "idle" },         [SV_WAITING] = { "WAITING", "waiting" },
  [SV_STARTING] = { "STARTING", "starting" }, [SV_UP] = { "UP", "up" },
  [SV_STOPPING] = { "STOPPING", "stopping" }, [SV_BACKOFF] = { "BACKOFF", "backoff" },
  [SV_DONE] = { "DONE", "done" },         [SV_FAILED] = { "FAILED", "failed" },
};
static const char *const reason_names[] = { "none", "exit", "signal", "health", "manual" };

const char *supervise_state_name(enum supervise_state s)
{
  return (unsigned)s < SV_STATE_COUNT ? states[s].name : "?";
}

const char *supervise_state_label(enum supervise_state s)
{
  return (unsigned)s < SV_STATE_COUNT ? states[s].label : "?";
}

const char *supervise_reason_name(enum supervise_reason r)
{
  return (unsigned)r < sizeof(reason_names) / sizeof(reason_names[0]) ? reason_names[r] : "?";
}

void supervise_init(struct supervise *sv, const char *name, const struct config *cfg, const struct exitcode_remap *remap)
{
  memset(sv, 0, sizeof(*sv));
  sv->name = name;
  sv->policy = cfg->policy;
  sv->delay_min_ms = cfg->delay_min_ms;
  sv->delay_max_ms = cfg->delay_max_ms;
  sv->reset_after_ms = cfg->reset_after_ms;
  sv->window_ms = cfg->window_ms;
  sv->stop_timeout_ms = cfg->stop_timeout_ms;
  sv->max_restarts = cfg->max_restarts;
  sv->on_give_up = cfg->on_give_up;
  sv->stop_signal = cfg->stop_signal;
  sv->group = cfg->group;
  sv->has_waits = cfg->wait_targets[0] != '\0';
  sv->has_liveness = cfg->liveness.target[0] != '\0';
  sv->has_readiness = cfg->readiness.target[0] != '\0' || cfg->notify_fd > 0 || cfg->notify_socket;
  sv->live_threshold = cfg->liveness.failure_threshold;
  sv->ready_threshold = cfg->readiness.failure_threshold;
  sv->live_start_period_ms = cfg->liveness.start_period_ms;
  sv->ready_start_period_ms = cfg->readiness.start_period_ms;
  sv->remap = remap;
  sv->state = SV_IDLE;
  sv->want = SV_WANT_UP;
}

int supervise_running(const struct supervise *sv)
{
  return sv->state == SV_STARTING || sv->state == SV_UP || sv->state == SV_STOPPING;
}

int supervise_live(const struct supervise *sv)
{
  return (sv->state == SV_STARTING || sv->state == SV_UP) && sv->pid > 0 &&
         (!sv->has_liveness || sv->live_fail < sv->live_threshold);
}

int supervise_is_ready(const struct supervise *sv)
{
  return supervise_live(sv) && sv->state == SV_UP && sv->ready;
}

/* The one place that changes state; logs the transition once. */
static void transition(struct supervise *sv, enum supervise_state to, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void transition(struct supervise *sv, enum supervise_state to, const char *fmt, ...)
{
  char detail[200] = "";
  if(log_level_get() < LOG_INFO) { /* not logged: not formatted (a plain run logs warnings only) */
    sv->state = to;
    return;
  }
  if(fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
  }
  {
    struct log_fields f = LOG_NO_FIELDS;
    int ended = to == SV_BACKOFF || to == SV_DONE || to == SV_FAILED;
    f.pid = sv->pid > 0 ? (int)sv->pid : ended ? (int)sv->last_pid : 0;
    f.state = supervise_state_name(to);
    if(to == SV_DONE)
      f.exit_code = sv->exit_code;
    else if(sv->have_exit && ended)
      f.exit_code = exitcode_from_status(sv->last_status, sv->remap);
    plog_fields(LOG_INFO, sv->name, &f, "%s -> %s%s%s", supervise_state_name(sv->state), supervise_state_name(to),
                detail[0] ? " " : "", detail);
  }
  sv->state = to;
}

static void arm(struct supervise *sv, struct supervise_actions *a, struct clock_mono at)
{
  sv->timer_at = at;
  a->flags = (a->flags & ~(unsigned)SV_ACT_TIMER_STOP) | SV_ACT_TIMER;
  a->timer_at = at;
}

static void disarm(struct supervise *sv, struct supervise_actions *a)
{
  if(clock_mono_is_set(sv->timer_at)) {
    sv->timer_at = CLOCK_MONO_UNSET;
    a->flags = (a->flags & ~(unsigned)SV_ACT_TIMER) | SV_ACT_TIMER_STOP;
  }
}

static void finish(struct supervise *sv, struct supervise_actions *a, int code, const char *why)
{
  disarm(sv, a);
  sv->exit_code = code;
  transition(sv, SV_DONE, "(%s), exit code %d", why, code);
  a->flags |= SV_ACT_EXIT;
  a->exit_code = code;
}

static void spawn(struct supervise *sv, struct supervise_actions *a, struct clock_mono now, enum supervise_reason why)
{
  disarm(sv, a);
  a->flags |= SV_ACT_SPAWN;
  sv->spawn_pending = 1;
  if(sv->have_exit || clock_mono_is_set(sv->last_spawn_at)) {
    sv->restarts++;
    sv->restarts_by[why]++;
    /* only restarts after failures count against max_restarts, never manual ones */
    if(why != SV_R_MANUAL) {
      sv->failure_restarts++;
      sv->restart_times[sv->restart_ring++ % RESTART_LIMIT_MAX] = now;
    }
  }
  sv->last_spawn_at = now;
}

static void begin_stop(struct supervise *sv, struct supervise_actions *a, struct clock_mono now, int sig, enum supervise_reason why,
                       int group)
{
  a->flags |= SV_ACT_KILL | SV_ACT_PROBES_STOP;
  a->signal = sig;
  a->group = group;
  sv->stop_reason = why;
  sv->stop_requested_at = now;
  arm(sv, a, clock_mono_add(now, sv->stop_timeout_ms));
}

/* Number of restarts that count against max_restarts now. */
static unsigned recent_restarts(const struct supervise *sv, struct clock_mono now)
{
  unsigned n = 0, have = sv->restart_ring < RESTART_LIMIT_MAX ? sv->restart_ring : RESTART_LIMIT_MAX;
  if(!sv->window_ms)
    return sv->failure_restarts;
  for(unsigned i = 0; i < have; i++)
    if(clock_mono_diff(now, sv->restart_times[i]) <= sv->window_ms)
      n++;
  return n;
}

/* The child is gone and want is up: back off, give up, or finish per policy. */
static void after_failure(struct supervise *sv, struct supervise_actions *a, struct clock_mono now, const char *what)
{
  int code = exitcode_from_status(sv->last_status, sv->remap);
  int64_t delay;
  char d[32];

  /* a manual restart always respawns; a health restart obeys policy never; an exit obeys
   * the policy */
  if(sv->last_reason == SV_R_HEALTH ? sv->policy == POLICY_NEVER
     : sv->last_reason != SV_R_MANUAL &&
       (sv->policy == POLICY_NEVER || (sv->policy == POLICY_ON_FAILURE && code == 0))) {
    finish(sv, a, code, what);
    return;
  }
  if(sv->last_reason != SV_R_MANUAL && sv->max_restarts > 0 &&
     recent_restarts(sv, now) >= (unsigned)sv->max_restarts) {
    if(sv->on_give_up == GIVE_UP_EXIT) {
      log_error(sv->name, "giving up after %u restarts", recent_restarts(sv, now));
      finish(sv, a, code, what);
    }
    else {
      disarm(sv, a);
      transition(sv, SV_FAILED, "(%s), gave up after %u restarts; staying for inspection", what, recent_restarts(sv, now));
    }
    return;
  }
  if(sv->last_reason == SV_R_MANUAL) {
    delay = backoff_delay(1, 0, 0, 0, clock_mono_diff(now, sv->last_spawn_at));
  }
  else {
    if(clock_mono_is_set(sv->up_at) && clock_mono_diff(now, sv->up_at) >= sv->reset_after_ms)
      sv->failures = 0;
    sv->failures++;
    delay = backoff_delay(sv->failures, sv->delay_min_ms, sv->delay_max_ms, sv->rand01 ? sv->rand01() : 0,
                          clock_mono_diff(now, sv->last_spawn_at));
  }
  sv->last_backoff_ms = delay;
  /* whole seconds print as "4s"; a jittered delay as "3.8s", not "3s812ms" */
  if(delay % 1000)
    snprintf(d, sizeof(d), "%.1fs", (double)delay / 1000.0);
  else
    duration_format(delay, d, sizeof(d));
  transition(sv, SV_BACKOFF, "(%s), restart in %s", what, d);
  arm(sv, a, clock_mono_add(now, delay));
}

/* ---- one handler per event, as curl's multi_runsingle reads one state at a time ----
 * Each one first says in which states its event means something and returns otherwise:
 * every (state, event) pair not handled below does nothing at all. */

typedef void supervise_handler(struct supervise *sv, struct supervise_actions *a, const struct supervise_event *ev, struct clock_mono now);

/* Begin: wait for dependencies (if any), else spawn.  Only from IDLE. */
static void on_start(struct supervise *sv, struct supervise_actions *a, const struct supervise_event *ev, struct clock_mono now)
{
  if(sv->state != SV_IDLE)
    return;
  if(sv->has_waits) {
    transition(sv, SV_WAITING, NULL);
    a->flags |= SV_ACT_WAIT;
  }
  else
    spawn(sv, a, now, SV_R_NONE);
}

/* The dependency waits ended: spawn, or give up with 69 (nothing was started). */
static void on_wait_done(struct supervise *sv, struct supervise_actions *a, const struct supervise_event *ev, struct clock_mono now)
{
  if(sv->state != SV_WAITING)
    return;
  if(ev->arg) {
    spawn(sv, a, now, SV_R_NONE);
    return;
  }
  sv->exit_code = EXITCODE_UNAVAILABLE;
  transition(sv, SV_DONE, "(dependency wait timed out), exit code 69");
  a->flags |= SV_ACT_EXIT;
  a->exit_code = EXITCODE_UNAVAILABLE;
}

/* The answer to SV_ACT_SPAWN: the child exists.  STARTING until ready (UP at once without
 * readiness); a stop that came while spawning stops it right away. */
static void on_spawned(struct supervise *sv, struct supervise_actions *a, const struct supervise_event *ev, struct clock_mono now)
{
  if(!sv->spawn_pending)
    return;
  sv->spawn_pending = 0;
  sv->pid = ev->pid;
  sv->spawned_at = now;
  sv->live_fail = sv->ready_fail = 0;
  sv->live_started = sv->ready_started = 0;
  sv->healthy = 1;
  sv->healthy_since = now;
  sv->up_at = CLOCK_MONO_UNSET;
  a->flags |= SV_ACT_PROBES_START;
  if(sv->has_readiness)
    transition(sv, SV_STARTING, "(pid %d)", (int)ev->pid);
  else {
    sv->up_at = now;
    sv->ready = 1;
    sv->ready_since = now;
    transition(sv, SV_UP, "(pid %d)", (int)ev->pid);
  }
  if(sv->want == SV_WANT_DOWN) {
    begin_stop(sv, a, now, sv->stop_signal ? sv->stop_signal : SIGTERM, SV_R_NONE, sv->group);
    transition(sv, SV_STOPPING, "(stop requested)");
  }
}

/* The answer to SV_ACT_SPAWN: fork failed.  Counts as a start that exited 1. */
static void on_spawn_failed(struct supervise *sv, struct supervise_actions *a, const struct supervise_event *ev, struct clock_mono now)
{
  if(!sv->spawn_pending)
    return;
  sv->spawn_pending = 0;
  sv->have_exit = 1;
  sv->last_status = 1 << 8; /* as if it exited 1 */
  sv->last_reason = SV_R_EXIT;
  if(sv->want == SV_WANT_DOWN)
    finish(sv, a, 1, "spawn failed");
  else
    after_failure(sv, a, now, "spawn failed");
}

/* The main child exited (STARTING, UP, STOPPING): finish if a stop was asked for, else back
 * off, give up or finish per policy. */
static void on_exited(struct supervise *sv, struct supervise_actions *a, const struct supervise_event *ev, struct clock_mono now)
{
  char what[64];
  int was_stopping = sv->state == SV_STOPPING;

  if(!supervise_running(sv) || ev->pid != sv->pid)
    return;
  sv->last_pid = sv->pid;
  sv->pid = 0;
  sv->have_exit = 1;
  sv->last_status = ev->status;
  sv->exited_at = now;
  sv->healthy = sv->ready = 0;
  exitcode_describe(ev->status, what, sizeof(what));
  if(was_stopping && sv->stop_reason != SV_R_NONE)
    sv->last_reason = sv->stop_reason;
  else
    sv->last_reason = WIFSIGNALED(ev->status) ? SV_R_SIGNAL : SV_R_EXIT;
  sv->stop_reason = SV_R_NONE;
  a->flags |= SV_ACT_PROBES_STOP;
  if(sv->want == SV_WANT_DOWN) {
    finish(sv, a, exitcode_from_status(ev->status, sv->remap), what);
    return;
  }
  disarm(sv, a);
  after_failure(sv, a, now, what);
}

/* A liveness probe result (STARTING, UP): failure_threshold failures in a row restart the
 * child (its process group).  In the start period failures count only once a probe has
 * succeeded (Docker's rule): a JVM that answered and then hangs is not given the rest. */
static void on_liveness(struct supervise *sv, struct supervise_actions *a, const struct supervise_event *ev, struct clock_mono now)
{
  if(sv->state != SV_STARTING && sv->state != SV_UP)
    return;
  if(ev->arg) {
    sv->live_ok_total++;
    sv->live_fail = 0;
    sv->live_started = 1;
    if(!sv->healthy) {
      sv->healthy = 1;
      sv->healthy_since = now;
    }
    return;
  }
  sv->live_fail_total++;
  if(!sv->live_started && clock_mono_diff(now, sv->spawned_at) < sv->live_start_period_ms)
    return; /* failures in the start period do not count, until the first success */
  if(++sv->live_fail < sv->live_threshold)
    return;
  sv->healthy = 0;
  log_warn(sv->name, "liveness failed %d times in a row: restarting pid %d", sv->live_fail, (int)sv->pid);
  begin_stop(sv, a, now, sv->stop_signal ? sv->stop_signal : SIGTERM, SV_R_HEALTH, 1);
  transition(sv, SV_STOPPING, "(liveness)");
}

/* A readiness probe result or the child's own READY (STARTING, UP): the first success makes
 * STARTING UP; failure_threshold failures after the start period, or after a success, clear
 * `ready`. */
static void on_readiness(struct supervise *sv, struct supervise_actions *a, const struct supervise_event *ev, struct clock_mono now)
{
  if(sv->state != SV_STARTING && sv->state != SV_UP)
    return;
  if(ev->type == SV_EV_READY || ev->arg) {
    sv->ready_fail = 0;
    sv->ready_started = 1;
    if(!sv->ready) {
      sv->ready = 1;
      sv->ready_since = now;
    }
    if(sv->state == SV_STARTING) {
      sv->up_at = now;
      transition(sv, SV_UP, "(ready)");
    }
  }
  else if((sv->ready_started || clock_mono_diff(now, sv->spawned_at) >= sv->ready_start_period_ms) &&
          ++sv->ready_fail >= sv->ready_threshold) {
    sv->ready = 0;
  }
}

/* The machine's timer: in BACKOFF it spawns, in STOPPING it SIGKILLs the group.  Early (the
 * monotonic deadline not reached yet) it is armed again for the rest, never dropped. */
static void on_timer(struct supervise *sv, struct supervise_actions *a, const struct supervise_event *ev, struct clock_mono now)
{
  if(!clock_mono_is_set(sv->timer_at))
    return;
  if(clock_mono_diff(now, sv->timer_at) < 0) {
    arm(sv, a, sv->timer_at);
    return;
  }
  sv->timer_at = CLOCK_MONO_UNSET;
  if(sv->state == SV_BACKOFF) {
    spawn(sv, a, now, sv->manual_pending ? SV_R_MANUAL : sv->last_reason);
    sv->manual_pending = 0;
  }
  else if(sv->state == SV_STOPPING && sv->pid > 0) {
    log_warn(sv->name, "pid %d still running %lldms after the stop signal: SIGKILL", (int)sv->pid,
             (long long)sv->stop_timeout_ms);
    a->flags |= SV_ACT_KILL;
    a->signal = SIGKILL;
    a->group = 1;
  }
}

/* Stop for good (want down): finish at once when no child runs, else signal it and arm the
 * stop timeout; while STOPPING, a further stop passes the signal on and keeps the deadline. */
static void on_stop(struct supervise *sv, struct supervise_actions *a, const struct supervise_event *ev, struct clock_mono now)
{
  /* stop.signal if configured, else the signal pinit received (SIGINT stays SIGINT) */
  int sig = sv->stop_signal ? sv->stop_signal : ev->arg ? ev->arg : SIGTERM;

  sv->want = SV_WANT_DOWN;
  switch(sv->state) {
  case SV_IDLE:
  case SV_WAITING:
  case SV_BACKOFF:
  case SV_FAILED:
    if(sv->state == SV_WAITING)
      a->flags |= SV_ACT_WAIT_CANCEL;
    finish(sv, a, sv->have_exit ? exitcode_from_status(sv->last_status, sv->remap) : 128 + (ev->arg ? ev->arg : SIGTERM),
           "stop requested");
    break;
  case SV_STARTING:
  case SV_UP:
    begin_stop(sv, a, now, sig, SV_R_NONE, sv->group);
    transition(sv, SV_STOPPING, "(stop requested)");
    break;
  case SV_STOPPING:
    /* already stopping (a restart, or a second signal): pass the signal on, keep the deadline */
    sv->stop_reason = SV_R_NONE;
    a->flags |= SV_ACT_KILL;
    a->signal = sig;
    a->group = sv->group;
    break;
  case SV_DONE:
    break;
  }
}

/* A manual restart (pinit restart), unless a stop was asked for: stop the running child,
 * or respawn from BACKOFF/FAILED keeping only the 1 s gap between spawns. */
static void on_restart(struct supervise *sv, struct supervise_actions *a, const struct supervise_event *ev, struct clock_mono now)
{
  if(sv->want == SV_WANT_DOWN)
    return;
  if(sv->state == SV_STARTING || sv->state == SV_UP) {
    begin_stop(sv, a, now, sv->stop_signal ? sv->stop_signal : SIGTERM, SV_R_MANUAL, 1);
    transition(sv, SV_STOPPING, "(restart requested)");
  }
  else if(sv->state == SV_BACKOFF || sv->state == SV_FAILED) {
    struct clock_mono at = clock_mono_add(sv->last_spawn_at, BACKOFF_MIN_GAP_MS);
    sv->failures = 0;
    if(sv->state == SV_FAILED)
      transition(sv, SV_BACKOFF, "(restart requested)");
    if(clock_mono_diff(at, now) <= 0)
      spawn(sv, a, now, SV_R_MANUAL);
    else {
      sv->manual_pending = 1;
      arm(sv, a, at);
    }
  }
}

static supervise_handler *const handlers[] = {
  [SV_EV_START] = on_start,
  [SV_EV_WAIT_DONE] = on_wait_done,
  [SV_EV_SPAWNED] = on_spawned,
  [SV_EV_SPAWN_FAILED] = on_spawn_failed,
  [SV_EV_EXITED] = on_exited,
  [SV_EV_LIVENESS] = on_liveness,
  [SV_EV_READINESS] = on_readiness,
  [SV_EV_READY] = on_readiness,
  [SV_EV_TIMER] = on_timer,
  [SV_EV_STOP] = on_stop,
  [SV_EV_RESTART] = on_restart,
};

struct supervise_actions supervise_step(struct supervise *sv, const struct supervise_event *ev, struct clock_mono now)
{
  struct supervise_actions a = { 0 };
  if((unsigned)ev->type < sizeof(handlers) / sizeof(handlers[0]) && handlers[ev->type])
    handlers[ev->type](sv, &a, ev, now);
  return a;
}
