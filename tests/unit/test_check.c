/* Table tests for check.c: what `pinit check` and `pinit check --ready` answer in every
 * state, and the 2-minute budget edge for pinit's own restarts. */
#include "pinit/check.h"
#include "pinit/clock.h"
#include "pinit/config.h"
#include "pinit/supervise.h"
#include "unit.h"

#include <signal.h>
#include <stdlib.h>

#define NOW 10000000LL /* ms */
#define B CONFIG_RESTART_BUDGET_MS

struct row {
  const char *what;
  enum supervise_state state;
  enum supervise_want want;
  int pid, live_fail, ready, has_readiness;
  enum supervise_reason last_reason, stop_reason;
  int64_t spawned_ago, exited_ago, stop_ago, timer_in; /* ms relative to NOW; -1: unset */
  int failure_restarts;
  char child_state;   /* /proc state letter of the child, 'T' stopped */
  int no_liveness;    /* no liveness probe configured */
  const char *deps;
  const char *note;   /* the role's word on liveness (status_view.live_note) */
  int live;
  const char *live_why;
  int rdy;
  const char *ready_why;
};

static const struct row rows[] = {
  { .what = "idle", .state = SV_IDLE, .spawned_ago = -1, .exited_ago = -1, .stop_ago = -1, .timer_in = -1,
    .live = 0, .live_why = "healthy (starting): tm not started yet",
    .rdy = 1, .ready_why = "not ready (starting): tm not started yet" },
  { .what = "waiting for the JobManager", .state = SV_WAITING, .spawned_ago = -1, .exited_ago = -1,
    .stop_ago = -1, .timer_in = -1, .deps = "waiting: jobmanager:6123",
    .live = 0, .live_why = "healthy (waiting): tm not started, deps waiting: jobmanager:6123",
    .rdy = 1, .ready_why = "not ready (waiting): tm not started, deps waiting: jobmanager:6123" },
  { .what = "starting, readiness not yet", .state = SV_STARTING, .pid = 7, .has_readiness = 1,
    .spawned_ago = 3000, .exited_ago = -1, .stop_ago = -1, .timer_in = -1,
    .live = 0, .live_why = "healthy: tm pid 7 up 3s", .rdy = 1, .ready_why = "not ready: tm is starting" },
  { .what = "up and ready", .state = SV_UP, .pid = 42, .ready = 1, .spawned_ago = 3605000, .exited_ago = -1,
    .stop_ago = -1, .timer_in = -1,
    .live = 0, .live_why = "healthy: tm pid 42 up 60m", .rdy = 0, .ready_why = "ready: tm pid 42" },
  { .what = "up, failing readiness", .state = SV_UP, .pid = 42, .has_readiness = 1, .spawned_ago = 5000,
    .exited_ago = -1, .stop_ago = -1, .timer_in = -1,
    .live = 0, .live_why = "healthy: tm pid 42 up 5s", .rdy = 1, .ready_why = "not ready: tm is failing readiness" },
  { .what = "liveness below the threshold", .state = SV_UP, .pid = 42, .ready = 1, .live_fail = 2,
    .spawned_ago = 5000, .exited_ago = -1, .stop_ago = -1, .timer_in = -1,
    .live = 0, .live_why = "healthy: tm pid 42 up 5s", .rdy = 0, .ready_why = "ready: tm pid 42" },
  { .what = "liveness at the threshold", .state = SV_UP, .pid = 42, .ready = 1, .live_fail = 3,
    .spawned_ago = 5000, .exited_ago = -1, .stop_ago = -1, .timer_in = -1,
    .live = 1, .live_why = "unhealthy: tm liveness failed 3 times",
    .rdy = 1, .ready_why = "not ready: tm liveness failed 3 times" },
  { .what = "an HA JobManager without a leader, within the budget", .state = SV_UP, .pid = 42, .ready = 1,
    .spawned_ago = 5000, .exited_ago = -1, .stop_ago = -1, .timer_in = -1,
    .note = "no leader for 12s (budget 1m)",
    .live = 0, .live_why = "healthy: tm pid 42 up 5s, no leader for 12s (budget 1m)",
    .rdy = 0, .ready_why = "ready: tm pid 42" },
  { .what = "an HA JobManager without a leader, over the budget", .state = SV_UP, .pid = 42, .ready = 1,
    .live_fail = 3, .spawned_ago = 90000, .exited_ago = -1, .stop_ago = -1, .timer_in = -1,
    .note = "no leader for 75s (budget 1m)",
    .live = 1, .live_why = "unhealthy: tm liveness failed 3 times: no leader for 75s (budget 1m)",
    .rdy = 1, .ready_why = "not ready: tm liveness failed 3 times: no leader for 75s (budget 1m)" },
  { .what = "pinit stops a hung child (liveness restart)", .state = SV_STOPPING, .pid = 42,
    .stop_reason = SV_R_HEALTH, .spawned_ago = 60000, .exited_ago = -1, .stop_ago = 3000, .timer_in = 5000,
    .live = 0, .live_why = "healthy (restarting): tm pid 42 stopping after liveness, 3s of 2m budget",
    .rdy = 1, .ready_why = "not ready (restarting): tm pid 42 stopping after liveness, 3s of 2m budget" },
  { .what = "pinit restart", .state = SV_STOPPING, .pid = 42, .stop_reason = SV_R_MANUAL, .spawned_ago = 60000,
    .exited_ago = -1, .stop_ago = 1000, .timer_in = 7000,
    .live = 0, .live_why = "healthy (restarting): tm pid 42 stopping after restart request, 1s of 2m budget",
    .rdy = 1, .ready_why = "not ready (restarting): tm pid 42 stopping after restart request, 1s of 2m budget" },
  { .what = "an unkillable child beyond the budget", .state = SV_STOPPING, .pid = 42,
    .stop_reason = SV_R_HEALTH, .spawned_ago = 600000, .exited_ago = -1, .stop_ago = B + 1, .timer_in = -1,
    .live = 1, .live_why = "unhealthy: restart overdue: tm pid 42 stopping after liveness, 2m of 2m budget",
    .rdy = 1, .ready_why = "not ready: restart overdue: tm pid 42 stopping after liveness, 2m of 2m budget" },
  { .what = "final stop", .state = SV_STOPPING, .want = SV_WANT_DOWN, .pid = 42, .spawned_ago = 60000,
    .exited_ago = -1, .stop_ago = 1000, .timer_in = 7000,
    .live = 1, .live_why = "unhealthy: tm is stopping", .rdy = 1, .ready_why = "not ready: tm is stopping" },
  { .what = "back-off after the JVM was SIGKILLed", .state = SV_BACKOFF, .last_reason = SV_R_SIGNAL,
    .spawned_ago = 60000, .exited_ago = 2000, .stop_ago = -1, .timer_in = 4000,
    .live = 0, .live_why = "healthy (restarting): tm restart in 4s after signal 9 (KILL), 2s of 2m budget",
    .rdy = 1, .ready_why = "not ready (restarting): tm restart in 4s after signal 9 (KILL), 2s of 2m budget" },
  { .what = "back-off at the budget's edge", .state = SV_BACKOFF, .last_reason = SV_R_SIGNAL,
    .spawned_ago = 200000, .exited_ago = B, .stop_ago = -1, .timer_in = 0,
    .live = 0, .live_why = "healthy (restarting): tm restart in 0s after signal 9 (KILL), 2m of 2m budget",
    .rdy = 1, .ready_why = "not ready (restarting): tm restart in 0s after signal 9 (KILL), 2m of 2m budget" },
  { .what = "back-off beyond the budget", .state = SV_BACKOFF, .last_reason = SV_R_SIGNAL,
    .spawned_ago = 200000, .exited_ago = B + 1, .stop_ago = -1, .timer_in = -1,
    .live = 1, .live_why = "unhealthy: restart overdue: tm restart in 0s after signal 9 (KILL), 2m of 2m budget",
    .rdy = 1, .ready_why = "not ready: restart overdue: tm restart in 0s after signal 9 (KILL), 2m of 2m budget" },
  { .what = "back-off after a liveness restart counts from the stop", .state = SV_BACKOFF,
    .last_reason = SV_R_HEALTH, .spawned_ago = 200000, .exited_ago = 1000, .stop_ago = B + 1000,
    .timer_in = 3000,
    .live = 1, .live_why = "unhealthy: restart overdue: tm restart in 3s after signal 9 (KILL), 2m of 2m budget",
    .rdy = 1, .ready_why = "not ready: restart overdue: tm restart in 3s after signal 9 (KILL), 2m of 2m budget" },
  { .what = "gave up (on_give_up=stay)", .state = SV_FAILED, .last_reason = SV_R_EXIT, .spawned_ago = 9000,
    .exited_ago = 8000, .stop_ago = -1, .timer_in = -1, .failure_restarts = 3,
    .live = 1, .live_why = "unhealthy: tm gave up after 3 restarts",
    .rdy = 1, .ready_why = "not ready: tm gave up after 3 restarts" },
  { .what = "a stopped child that liveness will restart", .state = SV_UP, .pid = 42, .ready = 1,
    .spawned_ago = 5000, .exited_ago = -1, .stop_ago = -1, .timer_in = -1, .child_state = 'T',
    .live = 0, .live_why = "healthy (stopped): tm pid 42 is stopped by a signal, liveness restarts it",
    .rdy = 1, .ready_why = "not ready: tm pid 42 is stopped by a signal" },
  { .what = "a stopped child nothing probes", .state = SV_UP, .pid = 42, .ready = 1, .no_liveness = 1,
    .spawned_ago = 5000, .exited_ago = -1, .stop_ago = -1, .timer_in = -1, .child_state = 'T',
    .live = 1, .live_why = "unhealthy: tm pid 42 is stopped by a signal",
    .rdy = 1, .ready_why = "not ready: tm pid 42 is stopped by a signal" },
  { .what = "a running child nothing probes", .state = SV_UP, .pid = 42, .ready = 1, .no_liveness = 1,
    .spawned_ago = 5000, .exited_ago = -1, .stop_ago = -1, .timer_in = -1, .child_state = 'S',
    .live = 0, .live_why = "healthy: tm pid 42 up 5s", .rdy = 0, .ready_why = "ready: tm pid 42" },
  { .what = "a stale 'T' without a child means nothing", .state = SV_BACKOFF, .last_reason = SV_R_SIGNAL,
    .spawned_ago = 60000, .exited_ago = 2000, .stop_ago = -1, .timer_in = 4000, .child_state = 'T',
    .live = 0, .live_why = "healthy (restarting): tm restart in 4s after signal 9 (KILL), 2s of 2m budget",
    .rdy = 1, .ready_why = "not ready (restarting): tm restart in 4s after signal 9 (KILL), 2s of 2m budget" },
  { .what = "done", .state = SV_DONE, .want = SV_WANT_DOWN, .spawned_ago = 9000, .exited_ago = 8000,
    .stop_ago = -1, .timer_in = -1,
    .live = 1, .live_why = "unhealthy: tm is done", .rdy = 1, .ready_why = "not ready: tm is done" },
};

static struct clock_mono at(int64_t ago)
{
  return ago < 0 ? CLOCK_MONO_UNSET : (struct clock_mono){ NOW - ago };
}

int main(void)
{
  static struct config cfg;
  char *envp[] = { "PINIT_CONFIG=/dev/null", NULL };
  struct config_error err;

  if(config_load(&cfg, NULL, envp, &err)) {
    fprintf(stderr, "config_load: %s\n", err.msg);
    return 2;
  }
  for(unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    const struct row *r = &rows[i];
    struct supervise sv;
    struct status_view v = { .sv = &sv, .now = { NOW }, .deps = r->deps ? r->deps : "none", .message = "",
                             .child_state = r->child_state, .live_note = r->note };
    char why[256];
    int got;

    supervise_init(&sv, "tm", &cfg, NULL);
    sv.has_liveness = !r->no_liveness;
    sv.live_threshold = 3;
    sv.has_readiness = r->has_readiness;
    sv.state = r->state;
    sv.want = r->want;
    sv.pid = r->pid;
    sv.live_fail = r->live_fail;
    sv.healthy = r->live_fail < 3;
    sv.ready = r->ready;
    sv.spawned_at = sv.last_spawn_at = at(r->spawned_ago);
    if(r->exited_ago >= 0) {
      sv.have_exit = 1;
      sv.exited_at = at(r->exited_ago);
      sv.last_status = r->last_reason == SV_R_EXIT ? 1 << 8 : SIGKILL;
    }
    sv.stop_requested_at = at(r->stop_ago);
    sv.timer_at = r->timer_in < 0 ? CLOCK_MONO_UNSET : (struct clock_mono){ NOW + r->timer_in };
    sv.last_reason = r->last_reason;
    sv.stop_reason = r->stop_reason;
    sv.failure_restarts = (unsigned)r->failure_restarts;

    got = check_live(&v, why, sizeof(why));
    if(got != r->live || strcmp(why, r->live_why))
      fprintf(stderr, "row %u (%s):\n", i, r->what);
    CHECK_INT(got, r->live);
    CHECK_STR(why, r->live_why);
    got = check_ready(&v, why, sizeof(why));
    if(got != r->rdy || strcmp(why, r->ready_why))
      fprintf(stderr, "row %u (%s):\n", i, r->what);
    CHECK_INT(got, r->rdy);
    CHECK_STR(why, r->ready_why);
    /* a reason always fits one line of the control protocol and is cut, never overrun */
    got = check_live(&v, why, 8);
    CHECK(strlen(why) < 8);
  }
  return unit_done("test_check");
}
