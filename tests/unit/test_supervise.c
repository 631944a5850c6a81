/* Table tests for supervise.c: the state machine with a fake clock.
 *
 * Part 1 is the state x event table: every state (STOPPING three times: a manual restart,
 * a liveness restart, the final stop) against every event.  Pairs listed in `rows` must do
 * exactly that; every pair NOT listed must do nothing at all: same state, same want, same
 * pid, same timer, no actions.  SPAWNED and SPAWN_FAILED are defined only right after an
 * SV_ACT_SPAWN (the glue feeds them synchronously from do_spawn), so part 2 tests them in
 * every context where a spawn is pending.  The rest are scenarios: the back-off curve,
 * reset, policies, crash-loop limits, windows, liveness, stop handling. */
#include "pinit/backoff.h"
#include "pinit/config.h"
#include "pinit/duration.h"
#include "pinit/log.h"
#include "pinit/signal.h"
#include "pinit/supervise.h"
#include "unit.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#define T0 1000000LL /* a monotonic clock never starts at 0 */
#define EXIT_ST(n) ((n) << 8)
#define SIG_ST(s) (s)

static int64_t now;
static struct config base_cfg;
static struct exitcode_remap no_remap;

static struct supervise_actions step(struct supervise *sv, enum supervise_event_type t, int arg, pid_t pid, int status)
{
  struct supervise_event ev = { t, arg, pid, status };
  return supervise_step(sv, &ev, (struct clock_mono){ now });
}

/* A config from config_load with a controlled environment (PINIT_CONFIG=/dev/null: an
 * empty INI file, so nothing on this machine leaks in). */
static void load_cfg(struct config *cfg, char **extra)
{
  char *envp[16] = { "PINIT_CONFIG=/dev/null" };
  int n = 1;
  struct config_error err;
  for(; extra && *extra && n < 15; extra++)
    envp[n++] = *extra;
  envp[n] = NULL;
  if(config_load(cfg, NULL, envp, &err)) {
    fprintf(stderr, "config_load: %s\n", err.msg);
    exit(2);
  }
}

/* A plain supervisor: policy always, no waits, no probes. */
static void plain(struct supervise *sv, enum restart_policy policy)
{
  supervise_init(sv, "svc", &base_cfg, &no_remap);
  sv->policy = policy;
  now = T0;
}

/* ---- capture stderr (the transition log) ---- */
static int cap_rd = -1, cap_saved = -1;
static void capture_begin(void)
{
  int p[2];
  if(pipe2(p, O_NONBLOCK))
    exit(2);
  cap_rd = p[0];
  cap_saved = dup(2);
  dup2(p[1], 2);
  close(p[1]);
  log_setup(LOG_INFO, LOG_TEXT);
}
static void capture_end(char *buf, size_t cap)
{
  ssize_t n;
  log_setup(LOG_WARN, LOG_TEXT);
  dup2(cap_saved, 2);
  close(cap_saved);
  n = read(cap_rd, buf, cap - 1);
  buf[n > 0 ? n : 0] = '\0';
  close(cap_rd);
}

/* ================================ part 1: state x event ================================ */

enum setup { S_IDLE, S_WAITING, S_STARTING, S_UP, S_STOP_MANUAL, S_STOP_HEALTH, S_STOP_DOWN, S_BACKOFF, S_DONE,
             S_FAILED, S_COUNT };
static const char *const setup_names[] = { "IDLE", "WAITING", "STARTING", "UP", "STOPPING(restart)",
                                           "STOPPING(liveness)", "STOPPING(stop)", "BACKOFF", "DONE", "FAILED" };

enum ev_kind { E_START, E_WAIT_OK, E_WAIT_TIMEOUT, E_EXIT_CHILD, E_EXIT_OTHER, E_LIVE_OK, E_LIVE_FAIL, E_READINESS_OK,
               E_READINESS_FAIL, E_READY, E_TIMER_DUE, E_TIMER_EARLY, E_STOP, E_RESTART, E_COUNT };
static const char *const ev_names[] = { "START", "WAIT_DONE(1)", "WAIT_DONE(0)", "EXITED(child)", "EXITED(other pid)",
                                        "LIVENESS(1)", "LIVENESS(0)", "READINESS(1)", "READINESS(0)", "READY",
                                        "TIMER(due)", "TIMER(early)", "STOP(TERM)", "RESTART" };

#define PID1 100
#define PID2 101

/* Settings for the table: waits, readiness and liveness all configured, policy always. */
static void table_sv(struct supervise *sv)
{
  supervise_init(sv, "svc", &base_cfg, &no_remap);
  sv->policy = POLICY_ALWAYS;
  sv->has_waits = sv->has_readiness = sv->has_liveness = 1;
  sv->live_threshold = 3;
  sv->ready_threshold = 1;
  sv->live_start_period_ms = sv->ready_start_period_ms = 0;
  now = T0;
}

/* Bring sv into state s through the machine itself; returns 0 if a step went wrong. */
static int reach(struct supervise *sv, enum setup s)
{
  table_sv(sv);
  if(s == S_IDLE)
    return sv->state == SV_IDLE;
  step(sv, SV_EV_START, 0, 0, 0);
  if(s == S_WAITING)
    return sv->state == SV_WAITING;
  step(sv, SV_EV_WAIT_DONE, 1, 0, 0);
  step(sv, SV_EV_SPAWNED, 0, PID1, 0);
  if(s == S_STARTING)
    return sv->state == SV_STARTING;
  now += 500;
  step(sv, SV_EV_READY, 1, 0, 0);
  if(s == S_UP)
    return sv->state == SV_UP;
  now += 2000;
  switch(s) {
  case S_STOP_MANUAL:
    step(sv, SV_EV_RESTART, 0, 0, 0);
    return sv->state == SV_STOPPING && sv->want == SV_WANT_UP;
  case S_STOP_HEALTH:
    for(int i = 0; i < 3; i++)
      step(sv, SV_EV_LIVENESS, 0, 0, 0);
    return sv->state == SV_STOPPING && sv->want == SV_WANT_UP;
  case S_STOP_DOWN:
  case S_DONE:
    step(sv, SV_EV_STOP, SIGTERM, 0, 0);
    if(s == S_STOP_DOWN)
      return sv->state == SV_STOPPING && sv->want == SV_WANT_DOWN;
    now += 100;
    step(sv, SV_EV_EXITED, 0, PID1, SIG_ST(SIGTERM));
    return sv->state == SV_DONE;
  default:
    break;
  }
  step(sv, SV_EV_EXITED, 0, PID1, EXIT_ST(1));
  if(s == S_BACKOFF)
    return sv->state == SV_BACKOFF;
  /* FAILED: one restart allowed, then stay */
  sv->max_restarts = 1;
  sv->on_give_up = GIVE_UP_STAY;
  now = sv->timer_at.ms;
  step(sv, SV_EV_TIMER, 0, 0, 0);
  step(sv, SV_EV_SPAWNED, 0, PID2, 0);
  now += 2000;
  step(sv, SV_EV_EXITED, 0, PID2, EXIT_ST(1));
  return sv->state == SV_FAILED;
}

#define NOCHECK INT64_MIN

/* One row reads as a sentence: in state .in, on event .on, the machine goes to .to wanting
 * .want and does exactly .does (with .sig/.group for KILL, .timer_in for TIMER, .exit for
 * EXIT).  docs/internals/supervise.md carries this table, checked by doc_table() below. */
struct row {
  enum setup in;
  enum ev_kind on;
  enum supervise_state to;
  enum supervise_want want;
  unsigned does;
  int sig, group;   /* with SV_ACT_KILL: the signal, and whether it goes to the process group */
  int64_t timer_in; /* with SV_ACT_TIMER: the timer is armed for now + timer_in (ms) */
  int exit;         /* with SV_ACT_EXIT: the exit code */
};

#define UP SV_WANT_UP
#define DOWN SV_WANT_DOWN
#define NOTHING 0u
#define WAIT SV_ACT_WAIT
#define WAIT_CANCEL SV_ACT_WAIT_CANCEL
#define SPAWN SV_ACT_SPAWN
#define KILL SV_ACT_KILL
#define TIMER SV_ACT_TIMER
#define TIMER_STOP SV_ACT_TIMER_STOP
#define PROBES_START SV_ACT_PROBES_START
#define PROBES_STOP SV_ACT_PROBES_STOP
#define EXIT SV_ACT_EXIT

static const struct row rows[] = {
  /* IDLE */
  { .in = S_IDLE, .on = E_START, .to = SV_WAITING, .want = UP, .does = WAIT },
  { .in = S_IDLE, .on = E_STOP, .to = SV_DONE, .want = DOWN, .does = EXIT, .exit = 128 + SIGTERM },
  /* WAITING */
  { .in = S_WAITING, .on = E_WAIT_OK, .to = SV_WAITING, .want = UP, .does = SPAWN },
  { .in = S_WAITING, .on = E_WAIT_TIMEOUT, .to = SV_DONE, .want = UP, .does = EXIT, .exit = 69 },
  { .in = S_WAITING, .on = E_STOP, .to = SV_DONE, .want = DOWN, .does = WAIT_CANCEL | EXIT, .exit = 128 + SIGTERM },
  /* STARTING (pid 100, not ready yet) */
  { .in = S_STARTING, .on = E_EXIT_CHILD, .to = SV_BACKOFF, .want = UP, .does = PROBES_STOP | TIMER, .timer_in = 1000 },
  { .in = S_STARTING, .on = E_READINESS_OK, .to = SV_UP, .want = UP, .does = NOTHING },
  { .in = S_STARTING, .on = E_READY, .to = SV_UP, .want = UP, .does = NOTHING },
  { .in = S_STARTING, .on = E_STOP, .to = SV_STOPPING, .want = DOWN,
    .does = KILL | PROBES_STOP | TIMER, .sig = SIGTERM, .timer_in = 8000 },
  { .in = S_STARTING, .on = E_RESTART, .to = SV_STOPPING, .want = UP,
    .does = KILL | PROBES_STOP | TIMER, .sig = SIGTERM, .group = 1, .timer_in = 8000 },
  /* UP */
  { .in = S_UP, .on = E_EXIT_CHILD, .to = SV_BACKOFF, .want = UP, .does = PROBES_STOP | TIMER, .timer_in = 1000 },
  { .in = S_UP, .on = E_STOP, .to = SV_STOPPING, .want = DOWN,
    .does = KILL | PROBES_STOP | TIMER, .sig = SIGTERM, .timer_in = 8000 },
  { .in = S_UP, .on = E_RESTART, .to = SV_STOPPING, .want = UP,
    .does = KILL | PROBES_STOP | TIMER, .sig = SIGTERM, .group = 1, .timer_in = 8000 },
  /* STOPPING for a manual restart: a manual restart waits only for the 1 s gap */
  { .in = S_STOP_MANUAL, .on = E_EXIT_CHILD, .to = SV_BACKOFF, .want = UP, .does = PROBES_STOP | TIMER, .timer_in = 0 },
  { .in = S_STOP_MANUAL, .on = E_TIMER_DUE, .to = SV_STOPPING, .want = UP, .does = KILL, .sig = SIGKILL, .group = 1 },
  { .in = S_STOP_MANUAL, .on = E_TIMER_EARLY, .to = SV_STOPPING, .want = UP,
    .does = TIMER, .timer_in = 1 }, /* re-armed for the rest */
  { .in = S_STOP_MANUAL, .on = E_STOP, .to = SV_STOPPING, .want = DOWN, .does = KILL, .sig = SIGTERM },
  /* STOPPING for a liveness restart: a failure, so the curve applies */
  { .in = S_STOP_HEALTH, .on = E_EXIT_CHILD, .to = SV_BACKOFF, .want = UP,
    .does = PROBES_STOP | TIMER, .timer_in = 1000 },
  { .in = S_STOP_HEALTH, .on = E_TIMER_DUE, .to = SV_STOPPING, .want = UP, .does = KILL, .sig = SIGKILL, .group = 1 },
  { .in = S_STOP_HEALTH, .on = E_TIMER_EARLY, .to = SV_STOPPING, .want = UP, .does = TIMER, .timer_in = 1 },
  { .in = S_STOP_HEALTH, .on = E_STOP, .to = SV_STOPPING, .want = DOWN, .does = KILL, .sig = SIGTERM },
  /* STOPPING for good */
  { .in = S_STOP_DOWN, .on = E_EXIT_CHILD, .to = SV_DONE, .want = DOWN,
    .does = PROBES_STOP | TIMER_STOP | EXIT, .exit = 1 },
  { .in = S_STOP_DOWN, .on = E_TIMER_DUE, .to = SV_STOPPING, .want = DOWN, .does = KILL, .sig = SIGKILL, .group = 1 },
  { .in = S_STOP_DOWN, .on = E_TIMER_EARLY, .to = SV_STOPPING, .want = DOWN, .does = TIMER, .timer_in = 1 },
  { .in = S_STOP_DOWN, .on = E_STOP, .to = SV_STOPPING, .want = DOWN,
    .does = KILL, .sig = SIGTERM }, /* a second signal is passed on */
  /* BACKOFF (last exit 1) */
  { .in = S_BACKOFF, .on = E_TIMER_DUE, .to = SV_BACKOFF, .want = UP, .does = SPAWN },
  { .in = S_BACKOFF, .on = E_TIMER_EARLY, .to = SV_BACKOFF, .want = UP, .does = TIMER, .timer_in = 1 },
  { .in = S_BACKOFF, .on = E_STOP, .to = SV_DONE, .want = DOWN, .does = TIMER_STOP | EXIT, .exit = 1 },
  { .in = S_BACKOFF, .on = E_RESTART, .to = SV_BACKOFF, .want = UP, .does = TIMER_STOP | SPAWN },
  /* DONE: nothing, ever */
  /* FAILED (gave up, on_give_up=stay; last exit 1) */
  { .in = S_FAILED, .on = E_STOP, .to = SV_DONE, .want = DOWN, .does = EXIT, .exit = 1 },
  { .in = S_FAILED, .on = E_RESTART, .to = SV_BACKOFF, .want = UP, .does = SPAWN },
};

static const struct row *find_row(enum setup s, enum ev_kind e)
{
  for(unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
    if(rows[i].in == s && rows[i].on == e)
      return &rows[i];
  return NULL;
}

static void table(void)
{
  int pairs = 0;
  for(int s = 0; s < S_COUNT; s++) {
    for(int e = 0; e < E_COUNT; e++) {
      struct supervise sv;
      struct supervise_actions a;
      const struct row *r = find_row(s, e);
      enum supervise_state st0;
      enum supervise_want want0;
      pid_t pid0;
      int64_t timer0;
      int bad = 0;

      if(!reach(&sv, s)) {
        fprintf(stderr, "setup %s failed: state %s\n", setup_names[s], supervise_state_name(sv.state));
        CHECK(0);
        continue;
      }
      st0 = sv.state;
      want0 = sv.want;
      pid0 = sv.pid;
      timer0 = sv.timer_at.ms;
      if(e == E_TIMER_DUE)
        now = sv.timer_at.ms ? sv.timer_at.ms : now + 100;
      else if(e == E_TIMER_EARLY)
        now = sv.timer_at.ms ? sv.timer_at.ms - 1 : now + 100;
      else
        now += 100;

      switch((enum ev_kind)e) {
      case E_START: a = step(&sv, SV_EV_START, 0, 0, 0); break;
      case E_WAIT_OK: a = step(&sv, SV_EV_WAIT_DONE, 1, 0, 0); break;
      case E_WAIT_TIMEOUT: a = step(&sv, SV_EV_WAIT_DONE, 0, 0, 0); break;
      case E_EXIT_CHILD: a = step(&sv, SV_EV_EXITED, 0, sv.pid, EXIT_ST(1)); break;
      case E_EXIT_OTHER: a = step(&sv, SV_EV_EXITED, 0, 999, EXIT_ST(1)); break;
      case E_LIVE_OK: a = step(&sv, SV_EV_LIVENESS, 1, 0, 0); break;
      case E_LIVE_FAIL: a = step(&sv, SV_EV_LIVENESS, 0, 0, 0); break;
      case E_READINESS_OK: a = step(&sv, SV_EV_READINESS, 1, 0, 0); break;
      case E_READINESS_FAIL: a = step(&sv, SV_EV_READINESS, 0, 0, 0); break;
      case E_READY: a = step(&sv, SV_EV_READY, 1, 0, 0); break;
      case E_TIMER_DUE:
      case E_TIMER_EARLY: a = step(&sv, SV_EV_TIMER, 0, 0, 0); break;
      case E_STOP: a = step(&sv, SV_EV_STOP, SIGTERM, 0, 0); break;
      case E_RESTART: a = step(&sv, SV_EV_RESTART, 0, 0, 0); break;
      default: continue;
      }
      pairs++;
      if(!r) {
        /* nothing at all */
        bad = sv.state != st0 || sv.want != want0 || sv.pid != pid0 || sv.timer_at.ms != timer0 || a.flags != 0;
      }
      else {
        bad = sv.state != r->to || sv.want != r->want || a.flags != r->does;
        if(r->does & SV_ACT_KILL)
          bad |= a.signal != r->sig || a.group != r->group;
        if(r->does & SV_ACT_TIMER)
          bad |= a.timer_at.ms != now + r->timer_in || sv.timer_at.ms != a.timer_at.ms;
        if(r->does & SV_ACT_EXIT)
          bad |= a.exit_code != r->exit || sv.exit_code != r->exit;
        if(r->does & SV_ACT_TIMER_STOP)
          bad |= sv.timer_at.ms != 0;
      }
      if(bad) {
        fprintf(stderr, "%s x %s: got state %s want %s, flags 0x%x sig %d group %d timer %+lld exit %d",
                setup_names[s], ev_names[e], supervise_state_name(sv.state), sv.want == SV_WANT_UP ? "up" : "down", a.flags,
                a.signal, a.group, (long long)(a.timer_at.ms - now), a.exit_code);
        if(r)
          fprintf(stderr, "; expected state %s want %s flags 0x%x sig %d group %d timer %+lld exit %d\n",
                  supervise_state_name(r->to), r->want == SV_WANT_UP ? "up" : "down", r->does, r->sig, r->group,
                  (long long)r->timer_in, r->exit);
        else
          fprintf(stderr, "; expected nothing (state %s)\n", supervise_state_name(st0));
      }
      CHECK(!bad);
    }
  }
  CHECK_INT(pairs, S_COUNT * E_COUNT);
}

/* ============================ part 2: SPAWNED / SPAWN_FAILED ============================ */

static void spawn_contexts(void)
{
  struct supervise sv;
  struct supervise_actions a;

  /* IDLE, no waits: START asks for a spawn; SPAWNED moves on (UP without readiness) */
  plain(&sv, POLICY_ALWAYS);
  a = step(&sv, SV_EV_START, 0, 0, 0);
  CHECK_INT(a.flags, SV_ACT_SPAWN);
  CHECK_INT(sv.state, SV_IDLE);
  CHECK_INT(sv.restarts, 0);
  a = step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  CHECK_INT(sv.state, SV_UP);
  CHECK_INT(a.flags, SV_ACT_PROBES_START);
  CHECK_INT(sv.pid, PID1);
  CHECK_INT(sv.restarts, 0); /* the first spawn is not a restart */
  CHECK(supervise_running(&sv) && supervise_live(&sv) && supervise_is_ready(&sv));
  CHECK_INT(sv.healthy, 1);
  CHECK_INT(sv.ready, 1);

  /* IDLE with readiness: SPAWNED -> STARTING, live but not ready */
  plain(&sv, POLICY_ALWAYS);
  sv.has_readiness = 1;
  step(&sv, SV_EV_START, 0, 0, 0);
  a = step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  CHECK_INT(sv.state, SV_STARTING);
  CHECK_INT(a.flags, SV_ACT_PROBES_START);
  CHECK(supervise_running(&sv) && supervise_live(&sv) && !supervise_is_ready(&sv));
  now += 5000;
  step(&sv, SV_EV_READY, 1, 0, 0);
  CHECK_INT(sv.state, SV_UP);
  CHECK_INT(sv.up_at.ms, now);
  CHECK(supervise_is_ready(&sv));

  /* WAITING: WAIT_DONE(1) asks for the spawn, SPAWNED moves on */
  plain(&sv, POLICY_NEVER);
  sv.has_waits = 1;
  CHECK_INT(step(&sv, SV_EV_START, 0, 0, 0).flags, SV_ACT_WAIT);
  CHECK_INT(sv.state, SV_WAITING);
  CHECK(!supervise_live(&sv) && !supervise_running(&sv));
  CHECK_INT(step(&sv, SV_EV_WAIT_DONE, 1, 0, 0).flags, SV_ACT_SPAWN);
  step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  CHECK_INT(sv.state, SV_UP);

  /* SPAWN_FAILED: policy always backs off, never ends with 1 */
  plain(&sv, POLICY_ALWAYS);
  step(&sv, SV_EV_START, 0, 0, 0);
  a = step(&sv, SV_EV_SPAWN_FAILED, 11 /* EAGAIN */, 0, 0);
  CHECK_INT(sv.state, SV_BACKOFF);
  CHECK(a.flags & SV_ACT_TIMER);
  CHECK_INT(a.timer_at.ms, now + 1000);
  CHECK(!(a.flags & SV_ACT_EXIT));
  /* ... and the next spawn from BACKOFF counts as a restart */
  now = a.timer_at.ms;
  CHECK_INT(step(&sv, SV_EV_TIMER, 0, 0, 0).flags, SV_ACT_SPAWN);
  CHECK_INT(sv.state, SV_BACKOFF);
  step(&sv, SV_EV_SPAWNED, 0, PID2, 0);
  CHECK_INT(sv.state, SV_UP);
  CHECK_INT(sv.restarts, 1);
  CHECK_INT(sv.pid, PID2);
  /* a second spawn failure from BACKOFF goes one step up the curve */
  now += 10;
  step(&sv, SV_EV_EXITED, 0, PID2, EXIT_ST(1));
  now = sv.timer_at.ms;
  step(&sv, SV_EV_TIMER, 0, 0, 0);
  a = step(&sv, SV_EV_SPAWN_FAILED, 11, 0, 0);
  CHECK_INT(sv.state, SV_BACKOFF);
  CHECK_INT(a.timer_at.ms - now, 4000);

  plain(&sv, POLICY_NEVER);
  step(&sv, SV_EV_START, 0, 0, 0);
  a = step(&sv, SV_EV_SPAWN_FAILED, 11, 0, 0);
  CHECK_INT(sv.state, SV_DONE);
  CHECK(a.flags & SV_ACT_EXIT);
  CHECK_INT(a.exit_code, 1);

  /* FAILED -> RESTART asks for a spawn once the 1 s gap allows it */
  plain(&sv, POLICY_ALWAYS);
  sv.max_restarts = 1;
  sv.on_give_up = GIVE_UP_STAY;
  step(&sv, SV_EV_START, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  step(&sv, SV_EV_EXITED, 0, PID1, EXIT_ST(1));
  now = sv.timer_at.ms;
  step(&sv, SV_EV_TIMER, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID2, 0);
  now += 300;
  a = step(&sv, SV_EV_EXITED, 0, PID2, EXIT_ST(1));
  CHECK_INT(sv.state, SV_FAILED);
  CHECK(!(a.flags & (SV_ACT_EXIT | SV_ACT_TIMER | SV_ACT_SPAWN)));
  now += 100; /* 400 ms after the last spawn: too early */
  a = step(&sv, SV_EV_RESTART, 0, 0, 0);
  CHECK_INT(sv.state, SV_BACKOFF);
  CHECK_INT(a.flags, SV_ACT_TIMER);
  CHECK_INT(a.timer_at.ms, now + 600);
  now = a.timer_at.ms;
  CHECK_INT(step(&sv, SV_EV_TIMER, 0, 0, 0).flags, SV_ACT_SPAWN);
  step(&sv, SV_EV_SPAWNED, 0, 102, 0);
  CHECK_INT(sv.state, SV_UP);
}

/* ================================ part 3: scenarios ================================ */

static double half(void)
{
  return 0.5;
}

/* Child dies at once, every time: spawn times follow 1, 2, 4, 8, 16, 30, 30 s. */
static void crash_loop_curve(void)
{
  static const int64_t gaps[] = { 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000 };
  struct supervise sv;
  int64_t spawn_at[9];
  pid_t pid = PID1;

  plain(&sv, POLICY_ALWAYS);
  CHECK_INT(step(&sv, SV_EV_START, 0, 0, 0).flags, SV_ACT_SPAWN);
  step(&sv, SV_EV_SPAWNED, 0, pid, 0);
  spawn_at[0] = now;
  for(int k = 1; k <= 8; k++) {
    struct supervise_actions a = step(&sv, SV_EV_EXITED, 0, pid, EXIT_ST(1));
    CHECK_INT(sv.state, SV_BACKOFF);
    CHECK_INT(sv.failures, k);
    CHECK_INT(sv.last_backoff_ms, gaps[k - 1]);
    /* a timer that fires early is armed again for the same deadline, never dropped */
    now = a.timer_at.ms - 1;
    {
      struct supervise_actions early = step(&sv, SV_EV_TIMER, 0, 0, 0);
      CHECK_INT(early.flags, SV_ACT_TIMER);
      CHECK_INT(early.timer_at.ms, a.timer_at.ms);
    }
    now = a.timer_at.ms;
    CHECK_INT(step(&sv, SV_EV_TIMER, 0, 0, 0).flags, SV_ACT_SPAWN);
    step(&sv, SV_EV_SPAWNED, 0, ++pid, 0);
    spawn_at[k] = now;
    CHECK_INT(spawn_at[k] - spawn_at[k - 1], gaps[k - 1]);
  }
  CHECK_INT(sv.restarts, 8);
  CHECK_INT(sv.restarts_by[SV_R_EXIT], 8);
  /* a death by signal counts under its own reason */
  step(&sv, SV_EV_EXITED, 0, pid, SIG_ST(SIGSEGV));
  CHECK_INT(sv.last_reason, SV_R_SIGNAL);
  now = sv.timer_at.ms;
  step(&sv, SV_EV_TIMER, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, ++pid, 0);
  CHECK_INT(sv.restarts_by[SV_R_SIGNAL], 1);
  CHECK_INT(sv.restarts, 9);

  /* jitter only shortens, by at most 10 % */
  {
    plain(&sv, POLICY_ALWAYS);
    sv.rand01 = half;
    step(&sv, SV_EV_START, 0, 0, 0);
    step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
    for(int k = 1; k <= 7; k++) {
      struct supervise_actions a;
      now += 1500; /* lives 1.5 s: the 1 s gap does not interfere */
      a = step(&sv, SV_EV_EXITED, 0, sv.pid, EXIT_ST(2));
      CHECK(a.timer_at.ms - now <= gaps[k - 1] && a.timer_at.ms - now >= gaps[k - 1] * 9 / 10);
      CHECK(a.timer_at.ms - now < gaps[k - 1]);
      now = a.timer_at.ms;
      step(&sv, SV_EV_TIMER, 0, 0, 0);
      step(&sv, SV_EV_SPAWNED, 0, PID1 + k, 0);
    }
  }

  /* the 1 s gap: with a 100 ms curve, spawns are still 1 s apart */
  plain(&sv, POLICY_ALWAYS);
  sv.delay_min_ms = 100;
  sv.delay_max_ms = 400;
  step(&sv, SV_EV_START, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  for(int k = 1; k <= 5; k++) {
    int64_t spawned = now;
    struct supervise_actions a = step(&sv, SV_EV_EXITED, 0, sv.pid, EXIT_ST(1));
    CHECK_INT(a.timer_at.ms - spawned, 1000);
    now = a.timer_at.ms;
    step(&sv, SV_EV_TIMER, 0, 0, 0);
    step(&sv, SV_EV_SPAWNED, 0, PID1 + k, 0);
  }
  /* lived 700 ms: the gap needs 300 ms more, the curve (400 ms by now) is longer and wins */
  now += 700;
  CHECK_INT(step(&sv, SV_EV_EXITED, 0, sv.pid, EXIT_ST(1)).timer_at.ms - now, 400);
  now = sv.timer_at.ms;
  step(&sv, SV_EV_TIMER, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, 200, 0);
  sv.delay_max_ms = 100; /* now the curve is shorter than the gap: raised to 300 ms */
  sv.delay_min_ms = 100;
  now += 700;
  CHECK_INT(step(&sv, SV_EV_EXITED, 0, 200, EXIT_ST(1)).timer_at.ms - now, 300);
}

/* The exponent resets after reset_after of UP (not of STARTING). */
static void reset_after(void)
{
  for(int variant = 0; variant < 3; variant++) {
    struct supervise sv;
    struct supervise_actions a;
    plain(&sv, POLICY_ALWAYS);
    if(variant == 2)
      sv.has_readiness = 1;
    step(&sv, SV_EV_START, 0, 0, 0);
    step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
    if(variant == 2)
      step(&sv, SV_EV_READY, 1, 0, 0);
    /* four quick failures: 1, 2, 4, 8 s */
    for(int k = 1; k <= 4; k++) {
      a = step(&sv, SV_EV_EXITED, 0, sv.pid, EXIT_ST(1));
      now = a.timer_at.ms;
      step(&sv, SV_EV_TIMER, 0, 0, 0);
      step(&sv, SV_EV_SPAWNED, 0, PID1 + k, 0);
      if(variant == 2 && k < 4)
        step(&sv, SV_EV_READY, 1, 0, 0);
    }
    if(variant == 0) {
      now += 60000; /* exactly reset_after of UP: the next failure starts the curve again */
      a = step(&sv, SV_EV_EXITED, 0, sv.pid, EXIT_ST(1));
      CHECK_INT(a.timer_at.ms - now, 1000);
      CHECK_INT(sv.failures, 1);
    }
    else if(variant == 1) {
      now += 59999; /* 1 ms short: 16 s */
      a = step(&sv, SV_EV_EXITED, 0, sv.pid, EXIT_ST(1));
      CHECK_INT(a.timer_at.ms - now, 16000);
      CHECK_INT(sv.failures, 5);
    }
    else {
      /* 50 s starting, then 20 s up: 70 s alive but only 20 s healthy uptime */
      CHECK_INT(sv.state, SV_STARTING);
      now += 50000;
      step(&sv, SV_EV_READY, 1, 0, 0);
      now += 20000;
      a = step(&sv, SV_EV_EXITED, 0, sv.pid, EXIT_ST(1));
      CHECK_INT(a.timer_at.ms - now, 16000);
    }
  }
  /* reset_after also applies after a liveness restart */
  {
    struct supervise sv;
    plain(&sv, POLICY_ALWAYS);
    sv.has_liveness = 1;
    sv.live_threshold = 1;
    step(&sv, SV_EV_START, 0, 0, 0);
    step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
    for(int k = 1; k <= 3; k++) {
      step(&sv, SV_EV_EXITED, 0, sv.pid, EXIT_ST(1));
      now = sv.timer_at.ms;
      step(&sv, SV_EV_TIMER, 0, 0, 0);
      step(&sv, SV_EV_SPAWNED, 0, PID1 + k, 0);
    }
    now += 120000;
    step(&sv, SV_EV_LIVENESS, 0, 0, 0);
    CHECK_INT(sv.state, SV_STOPPING);
    now += 100;
    CHECK_INT(step(&sv, SV_EV_EXITED, 0, sv.pid, SIG_ST(SIGTERM)).timer_at.ms - now, 1000);
    CHECK_INT(sv.last_reason, SV_R_HEALTH);
  }
}

struct policy_case {
  enum restart_policy policy;
  int status;
  int remap_code; /* -1: none */
  int done;       /* 1: DONE with code; 0: BACKOFF */
  int code;
};

static void policies(void)
{
  static const struct policy_case cases[] = {
    { POLICY_NEVER, EXIT_ST(0), -1, 1, 0 },
    { POLICY_NEVER, EXIT_ST(1), -1, 1, 1 },
    { POLICY_NEVER, EXIT_ST(255), -1, 1, 255 },
    { POLICY_NEVER, SIG_ST(SIGKILL), -1, 1, 137 },
    { POLICY_NEVER, SIG_ST(SIGSEGV) | 0x80, -1, 1, 139 },
    { POLICY_NEVER, EXIT_ST(3), 3, 1, 0 },           /* -e 3 */
    { POLICY_NEVER, SIG_ST(SIGTERM), 143, 1, 0 },    /* -e 143 */
    { POLICY_ON_FAILURE, EXIT_ST(0), -1, 1, 0 },
    { POLICY_ON_FAILURE, EXIT_ST(1), -1, 0, 0 },
    { POLICY_ON_FAILURE, SIG_ST(SIGKILL), -1, 0, 0 },
    { POLICY_ON_FAILURE, EXIT_ST(143), 143, 1, 0 },  /* a remapped code is a success */
    { POLICY_ALWAYS, EXIT_ST(0), -1, 0, 0 },
    { POLICY_ALWAYS, EXIT_ST(1), -1, 0, 0 },
    { POLICY_ALWAYS, SIG_ST(SIGKILL), -1, 0, 0 },
  };
  for(unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct exitcode_remap remap = { { 0 } };
    struct supervise sv;
    struct supervise_actions a;
    if(cases[i].remap_code >= 0)
      exitcode_remap_add(&remap, cases[i].remap_code);
    supervise_init(&sv, "svc", &base_cfg, &remap);
    sv.policy = cases[i].policy;
    now = T0;
    step(&sv, SV_EV_START, 0, 0, 0);
    step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
    now += 5000;
    a = step(&sv, SV_EV_EXITED, 0, PID1, cases[i].status);
    if(cases[i].done) {
      CHECK_INT(sv.state, SV_DONE);
      CHECK_INT(a.flags, SV_ACT_PROBES_STOP | SV_ACT_EXIT);
      CHECK_INT(a.exit_code, cases[i].code);
      CHECK(!supervise_running(&sv) && !supervise_live(&sv));
    }
    else {
      CHECK_INT(sv.state, SV_BACKOFF);
      CHECK_INT(a.flags, SV_ACT_PROBES_STOP | SV_ACT_TIMER);
      CHECK_INT(a.timer_at.ms, now + 1000);
    }
    if((int)sv.state != (cases[i].done ? SV_DONE : SV_BACKOFF))
      fprintf(stderr, "policy case %u: state %s\n", i, supervise_state_name(sv.state));
  }
}

/* Run a crash loop until the machine stops backing off; returns the number of spawns. */
static int crash_until_settled(struct supervise *sv, int64_t lifetime, int max_spawns, int last_code)
{
  int spawns = 1;
  step(sv, SV_EV_START, 0, 0, 0);
  step(sv, SV_EV_SPAWNED, 0, PID1, 0);
  for(;;) {
    now += lifetime;
    step(sv, SV_EV_EXITED, 0, sv->pid, EXIT_ST(spawns < max_spawns ? 10 + spawns : last_code));
    if(sv->state != SV_BACKOFF || spawns >= max_spawns)
      return spawns;
    now = sv->timer_at.ms;
    step(sv, SV_EV_TIMER, 0, 0, 0);
    step(sv, SV_EV_SPAWNED, 0, PID1 + spawns, 0);
    spawns++;
  }
}

static void crash_loop_limits(void)
{
  struct supervise sv;
  struct supervise_actions a;

  /* max_restarts 3, on_give_up exit: 4 runs, then DONE with the last child's code */
  plain(&sv, POLICY_ALWAYS);
  sv.max_restarts = 3;
  sv.on_give_up = GIVE_UP_EXIT;
  CHECK_INT(crash_until_settled(&sv, 0, 4, 42), 4);
  CHECK_INT(sv.state, SV_DONE);
  CHECK_INT(sv.exit_code, 42);
  CHECK_INT(sv.restarts, 3);

  /* the same by signal: 128 + S */
  plain(&sv, POLICY_ALWAYS);
  sv.max_restarts = 1;
  step(&sv, SV_EV_START, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  step(&sv, SV_EV_EXITED, 0, PID1, EXIT_ST(1));
  now = sv.timer_at.ms;
  step(&sv, SV_EV_TIMER, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID2, 0);
  a = step(&sv, SV_EV_EXITED, 0, PID2, SIG_ST(SIGABRT));
  CHECK_INT(sv.state, SV_DONE);
  CHECK(a.flags & SV_ACT_EXIT);
  CHECK_INT(a.exit_code, 128 + SIGABRT);

  /* on_give_up stay: FAILED, nothing running, no timer; a manual restart revives it */
  plain(&sv, POLICY_ALWAYS);
  sv.max_restarts = 3;
  sv.on_give_up = GIVE_UP_STAY;
  CHECK_INT(crash_until_settled(&sv, 0, 4, 42), 4);
  CHECK_INT(sv.state, SV_FAILED);
  CHECK_INT(sv.timer_at.ms, 0);
  CHECK(!supervise_running(&sv) && !supervise_live(&sv) && !supervise_is_ready(&sv));
  CHECK_INT(sv.want, SV_WANT_UP);
  now += 10000;
  CHECK_INT(step(&sv, SV_EV_TIMER, 0, 0, 0).flags, 0);
  CHECK_INT(step(&sv, SV_EV_LIVENESS, 0, 0, 0).flags, 0);
  a = step(&sv, SV_EV_RESTART, 0, 0, 0);
  CHECK_INT(a.flags, SV_ACT_SPAWN);
  step(&sv, SV_EV_SPAWNED, 0, 500, 0);
  CHECK_INT(sv.state, SV_UP);
  CHECK_INT(sv.failures, 0);
  CHECK(supervise_live(&sv));

  /* window 10 s, max 2: quick deaths (restarts at +1 s, +3 s) give up after 2 restarts */
  plain(&sv, POLICY_ALWAYS);
  sv.max_restarts = 2;
  sv.window_ms = 10000;
  CHECK_INT(crash_until_settled(&sv, 0, 50, 9), 3);
  CHECK_INT(sv.state, SV_DONE);
  CHECK_INT(sv.restarts, 2);

  /* window 10 s, max 2: a child that lives 11 s each time never gives up */
  plain(&sv, POLICY_ALWAYS);
  sv.max_restarts = 2;
  sv.window_ms = 10000;
  CHECK_INT(crash_until_settled(&sv, 11000, 20, 9), 20);
  CHECK_INT(sv.state, SV_BACKOFF);

  /* ... while without a window the same child gives up: the limit is for the lifetime */
  plain(&sv, POLICY_ALWAYS);
  sv.max_restarts = 2;
  CHECK_INT(crash_until_settled(&sv, 11000, 20, 9), 3);
  CHECK_INT(sv.state, SV_DONE);

  /* window: restarts older than the window stop counting */
  plain(&sv, POLICY_ALWAYS);
  sv.max_restarts = 3;
  sv.window_ms = 60000;
  step(&sv, SV_EV_START, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  for(int k = 1; k <= 3; k++) { /* 3 restarts at +1, +3, +7 s */
    step(&sv, SV_EV_EXITED, 0, sv.pid, EXIT_ST(1));
    now = sv.timer_at.ms;
    step(&sv, SV_EV_TIMER, 0, 0, 0);
    step(&sv, SV_EV_SPAWNED, 0, PID1 + k, 0);
  }
  now += 50000; /* +57 s: all three within 60 s -> give up */
  {
    struct supervise copy = sv;
    step(&copy, SV_EV_EXITED, 0, copy.pid, EXIT_ST(1));
    CHECK_INT(copy.state, SV_DONE);
  }
  now += 5000; /* +62 s: the restart at +1 s has left the window -> 2 < 3, back off */
  step(&sv, SV_EV_EXITED, 0, sv.pid, EXIT_ST(1));
  CHECK_INT(sv.state, SV_BACKOFF);
}

static void liveness(void)
{
  struct supervise sv;
  struct supervise_actions a;

  plain(&sv, POLICY_ALWAYS);
  sv.has_liveness = 1;
  sv.live_threshold = 3;
  sv.live_start_period_ms = 30000;
  step(&sv, SV_EV_START, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID1, 0);

  /* in the start period failures do not count, however many */
  for(int i = 0; i < 10; i++) {
    now += 2000;
    CHECK_INT(step(&sv, SV_EV_LIVENESS, 0, 0, 0).flags, 0);
  }
  CHECK_INT(sv.state, SV_UP);
  CHECK_INT(sv.live_fail, 0);
  CHECK(supervise_live(&sv));

  /* ... until a probe succeeds: from then on they count, start period or not (Docker's
   * rule), and a new spawn gives a new start period */
  {
    struct supervise s2 = sv;
    struct clock_mono saved = { now };
    now = T0 + 5000;
    CHECK_INT(step(&s2, SV_EV_LIVENESS, 1, 0, 0).flags, 0);
    CHECK_INT(step(&s2, SV_EV_LIVENESS, 0, 0, 0).flags, 0);
    CHECK_INT(step(&s2, SV_EV_LIVENESS, 0, 0, 0).flags, 0);
    CHECK_INT(s2.live_fail, 2);
    a = step(&s2, SV_EV_LIVENESS, 0, 0, 0);
    CHECK_INT(s2.state, SV_STOPPING);
    CHECK(a.flags & SV_ACT_KILL);
    CHECK_INT(s2.stop_reason, SV_R_HEALTH);
    CHECK(!supervise_live(&s2));
    now = saved.ms;
  }

  /* after it: below the threshold nothing happens; a success resets the count */
  now = T0 + 30000;
  CHECK_INT(step(&sv, SV_EV_LIVENESS, 0, 0, 0).flags, 0);
  CHECK_INT(step(&sv, SV_EV_LIVENESS, 0, 0, 0).flags, 0);
  CHECK_INT(sv.live_fail, 2);
  CHECK(supervise_live(&sv));
  CHECK_INT(step(&sv, SV_EV_LIVENESS, 1, 0, 0).flags, 0);
  CHECK_INT(sv.live_fail, 0);
  CHECK_INT(step(&sv, SV_EV_LIVENESS, 0, 0, 0).flags, 0);
  CHECK_INT(step(&sv, SV_EV_LIVENESS, 0, 0, 0).flags, 0);
  CHECK_INT(sv.state, SV_UP);

  /* at the threshold: stop signal to the group, deadline now + stop.timeout */
  now += 10000;
  a = step(&sv, SV_EV_LIVENESS, 0, 0, 0);
  CHECK_INT(sv.state, SV_STOPPING);
  CHECK_INT(sv.want, SV_WANT_UP);
  CHECK_INT(a.flags, SV_ACT_KILL | SV_ACT_PROBES_STOP | SV_ACT_TIMER);
  CHECK_INT(a.signal, SIGTERM);
  CHECK_INT(a.group, 1);
  CHECK_INT(a.timer_at.ms, now + 8000);
  CHECK_INT(sv.healthy, 0);
  CHECK(!supervise_live(&sv));
  CHECK(supervise_running(&sv));
  /* more probe results while stopping change nothing */
  CHECK_INT(step(&sv, SV_EV_LIVENESS, 0, 0, 0).flags, 0);
  CHECK_INT(step(&sv, SV_EV_LIVENESS, 1, 0, 0).flags, 0);
  /* the deadline: SIGKILL to the group */
  now = a.timer_at.ms;
  a = step(&sv, SV_EV_TIMER, 0, 0, 0);
  CHECK_INT(a.flags, SV_ACT_KILL);
  CHECK_INT(a.signal, SIGKILL);
  CHECK_INT(a.group, 1);
  CHECK_INT(sv.state, SV_STOPPING);
  /* it dies: back off as a failure, counted as a health restart */
  now += 5;
  a = step(&sv, SV_EV_EXITED, 0, PID1, SIG_ST(SIGKILL));
  CHECK_INT(sv.state, SV_BACKOFF);
  CHECK_INT(a.timer_at.ms, now + 1000);
  CHECK_INT(sv.last_reason, SV_R_HEALTH);
  now = a.timer_at.ms;
  step(&sv, SV_EV_TIMER, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID2, 0);
  CHECK_INT(sv.restarts_by[SV_R_HEALTH], 1);
  CHECK_INT(sv.live_fail, 0);
  CHECK_INT(sv.healthy, 1);

  /* a configured stop signal is used for the liveness stop; policy on-failure still
   * restarts a child that exits 0 on it (the restart was pinit's decision) */
  plain(&sv, POLICY_ON_FAILURE);
  sv.has_liveness = 1;
  sv.live_threshold = 1;
  sv.stop_signal = SIGQUIT;
  step(&sv, SV_EV_START, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  now += 1000;
  a = step(&sv, SV_EV_LIVENESS, 0, 0, 0);
  CHECK_INT(a.signal, SIGQUIT);
  now += 100;
  step(&sv, SV_EV_EXITED, 0, PID1, EXIT_ST(0));
  CHECK_INT(sv.state, SV_BACKOFF);

  /* liveness failure in STARTING (not ready yet) also restarts */
  plain(&sv, POLICY_ALWAYS);
  sv.has_liveness = sv.has_readiness = 1;
  sv.live_threshold = 2;
  step(&sv, SV_EV_START, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  step(&sv, SV_EV_LIVENESS, 0, 0, 0);
  CHECK_INT(sv.state, SV_STARTING);
  step(&sv, SV_EV_LIVENESS, 0, 0, 0);
  CHECK_INT(sv.state, SV_STOPPING);

  /* readiness: failures below its threshold keep ready; at it, not ready but still UP */
  plain(&sv, POLICY_ALWAYS);
  sv.has_readiness = 1;
  sv.ready_threshold = 2;
  step(&sv, SV_EV_START, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  step(&sv, SV_EV_READINESS, 1, 0, 0);
  CHECK_INT(sv.state, SV_UP);
  CHECK(supervise_is_ready(&sv));
  CHECK_INT(step(&sv, SV_EV_READINESS, 0, 0, 0).flags, 0);
  CHECK_INT(sv.ready, 1);
  CHECK_INT(step(&sv, SV_EV_READINESS, 0, 0, 0).flags, 0);
  CHECK_INT(sv.ready, 0);
  CHECK_INT(sv.state, SV_UP);
  CHECK(supervise_live(&sv));
  CHECK(!supervise_is_ready(&sv)); /* UP and live, but the readiness probe says no */
  step(&sv, SV_EV_READINESS, 1, 0, 0);
  CHECK_INT(sv.ready, 1);
  CHECK_INT(sv.ready_fail, 0);
}

static void stopping(void)
{
  struct supervise sv;
  struct supervise_actions a;

  /* SIGTERM during back-off: DONE at once, no spawn, timer off; the old timer is inert */
  plain(&sv, POLICY_ALWAYS);
  step(&sv, SV_EV_START, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  now += 2000;
  a = step(&sv, SV_EV_EXITED, 0, PID1, EXIT_ST(3));
  {
    int64_t due = a.timer_at.ms;
    now += 200;
    a = step(&sv, SV_EV_STOP, SIGTERM, 0, 0);
    CHECK_INT(sv.state, SV_DONE);
    CHECK_INT(a.flags, SV_ACT_TIMER_STOP | SV_ACT_EXIT);
    CHECK_INT(a.exit_code, 3);
    now = due;
    CHECK_INT(step(&sv, SV_EV_TIMER, 0, 0, 0).flags, 0);
    CHECK_INT(step(&sv, SV_EV_RESTART, 0, 0, 0).flags, 0);
    CHECK_INT(step(&sv, SV_EV_START, 0, 0, 0).flags, 0);
    CHECK_INT(sv.state, SV_DONE);
  }

  /* STOP while WAITING: cancel the waits and exit 128+signal */
  plain(&sv, POLICY_ALWAYS);
  sv.has_waits = 1;
  step(&sv, SV_EV_START, 0, 0, 0);
  a = step(&sv, SV_EV_STOP, SIGINT, 0, 0);
  CHECK_INT(a.flags, SV_ACT_WAIT_CANCEL | SV_ACT_EXIT);
  CHECK_INT(a.exit_code, 130);
  CHECK_INT(step(&sv, SV_EV_WAIT_DONE, 1, 0, 0).flags, 0); /* a late wait result: no spawn */

  /* WAIT_DONE(0): 69 */
  plain(&sv, POLICY_ALWAYS);
  sv.has_waits = 1;
  step(&sv, SV_EV_START, 0, 0, 0);
  a = step(&sv, SV_EV_WAIT_DONE, 0, 0, 0);
  CHECK_INT(a.flags, SV_ACT_EXIT);
  CHECK_INT(a.exit_code, 69);
  CHECK_INT(sv.exit_code, 69);
  CHECK_INT(sv.state, SV_DONE);

  /* the stop signal: the one received (INT stays INT) unless stop.signal is set; -g */
  plain(&sv, POLICY_NEVER);
  step(&sv, SV_EV_START, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  a = step(&sv, SV_EV_STOP, SIGINT, 0, 0);
  CHECK_INT(a.signal, SIGINT);
  CHECK_INT(a.group, 0);
  now += 50;
  a = step(&sv, SV_EV_EXITED, 0, PID1, SIG_ST(SIGINT));
  CHECK_INT(a.exit_code, 130);
  plain(&sv, POLICY_NEVER);
  sv.stop_signal = SIGQUIT;
  sv.group = 1;
  step(&sv, SV_EV_START, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  a = step(&sv, SV_EV_STOP, SIGTERM, 0, 0);
  CHECK_INT(a.signal, SIGQUIT);
  CHECK_INT(a.group, 1);
  plain(&sv, POLICY_NEVER);
  step(&sv, SV_EV_START, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  CHECK_INT(step(&sv, SV_EV_STOP, 0, 0, 0).signal, SIGTERM); /* pinit stop: arg 0 */
  plain(&sv, POLICY_NEVER);
  CHECK_INT(step(&sv, SV_EV_STOP, 0, 0, 0).exit_code, 143);

  /* STOP while STOPPING for a liveness restart: want down, the exit ends it, no respawn */
  plain(&sv, POLICY_ALWAYS);
  sv.has_liveness = 1;
  sv.live_threshold = 1;
  step(&sv, SV_EV_START, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  now += 3000;
  step(&sv, SV_EV_LIVENESS, 0, 0, 0);
  CHECK_INT(sv.state, SV_STOPPING);
  now += 100;
  a = step(&sv, SV_EV_STOP, SIGTERM, 0, 0);
  CHECK_INT(sv.want, SV_WANT_DOWN);
  CHECK_INT(a.flags, SV_ACT_KILL);
  now += 100;
  a = step(&sv, SV_EV_EXITED, 0, PID1, SIG_ST(SIGTERM));
  CHECK_INT(sv.state, SV_DONE);
  CHECK(a.flags & SV_ACT_EXIT);
  CHECK(!(a.flags & (SV_ACT_SPAWN | SV_ACT_TIMER)));
  CHECK_INT(a.exit_code, 143);

  /* ... and while STOPPING for a manual restart */
  plain(&sv, POLICY_ALWAYS);
  step(&sv, SV_EV_START, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  now += 3000;
  step(&sv, SV_EV_RESTART, 0, 0, 0);
  step(&sv, SV_EV_STOP, SIGTERM, 0, 0);
  CHECK_INT(step(&sv, SV_EV_RESTART, 0, 0, 0).flags, 0); /* a restart cannot undo a stop */
  a = step(&sv, SV_EV_EXITED, 0, PID1, EXIT_ST(0));
  CHECK_INT(sv.state, SV_DONE);
  CHECK_INT(a.exit_code, 0);
  CHECK(!(a.flags & SV_ACT_SPAWN));

  /* STOP timeout: the deadline is the first stop's, a second STOP does not move it */
  plain(&sv, POLICY_NEVER);
  step(&sv, SV_EV_START, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  a = step(&sv, SV_EV_STOP, SIGTERM, 0, 0);
  {
    int64_t deadline = a.timer_at.ms;
    CHECK_INT(deadline, now + 8000);
    now += 3000;
    a = step(&sv, SV_EV_STOP, SIGTERM, 0, 0);
    CHECK(!(a.flags & SV_ACT_TIMER));
    CHECK_INT(sv.timer_at.ms, deadline);
  }
}

static void manual_restart(void)
{
  struct supervise sv;
  struct supervise_actions a;

  /* a manual restart right after a spawn waits only for the 1 s gap, and does not grow
   * the back-off exponent */
  plain(&sv, POLICY_ALWAYS);
  step(&sv, SV_EV_START, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  step(&sv, SV_EV_EXITED, 0, PID1, EXIT_ST(1)); /* failures = 1 */
  now = sv.timer_at.ms;
  step(&sv, SV_EV_TIMER, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID2, 0);
  now += 200;
  a = step(&sv, SV_EV_RESTART, 0, 0, 0);
  CHECK_INT(sv.state, SV_STOPPING);
  CHECK_INT(a.group, 1);
  now += 100;
  a = step(&sv, SV_EV_EXITED, 0, PID2, SIG_ST(SIGTERM));
  CHECK_INT(sv.state, SV_BACKOFF);
  CHECK_INT(a.timer_at.ms - now, 700);
  CHECK_INT(sv.failures, 1);
  CHECK_INT(sv.last_reason, SV_R_MANUAL);
  now = a.timer_at.ms;
  step(&sv, SV_EV_TIMER, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, 102, 0);
  CHECK_INT(sv.restarts_by[SV_R_MANUAL], 1);
  /* a manual restart from BACKOFF skips the wait and resets the exponent */
  now += 10;
  step(&sv, SV_EV_EXITED, 0, 102, EXIT_ST(1));
  CHECK_INT(sv.failures, 2);
  now += 5000;
  a = step(&sv, SV_EV_RESTART, 0, 0, 0);
  CHECK(a.flags & SV_ACT_SPAWN);
  CHECK_INT(sv.failures, 0);

  /* on-failure: a manual restart of a child that exits 0 on SIGTERM still restarts it */
  plain(&sv, POLICY_ON_FAILURE);
  step(&sv, SV_EV_START, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  now += 5000;
  step(&sv, SV_EV_RESTART, 0, 0, 0);
  step(&sv, SV_EV_EXITED, 0, PID1, EXIT_ST(0));
  CHECK_INT(sv.state, SV_BACKOFF);

  /* policy never (plain `pinit cmd`): `pinit restart` answers "restarting X"; it must not
   * end pinit instead.  Either the machine refuses the restart (no action) or the child
   * comes back - never DONE. */
  plain(&sv, POLICY_NEVER);
  step(&sv, SV_EV_START, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  now += 5000;
  a = step(&sv, SV_EV_RESTART, 0, 0, 0);
  if(a.flags) {
    now += 100;
    a = step(&sv, SV_EV_EXITED, 0, PID1, SIG_ST(SIGTERM));
    if(sv.state == SV_DONE)
      fprintf(stderr, "policy never: RESTART then the child's exit -> DONE, exit code %d (pinit exits "
                      "instead of restarting)\n", a.exit_code);
    CHECK(sv.state == SV_BACKOFF && !(a.flags & SV_ACT_EXIT));
  }
  else
    CHECK_INT(sv.state, SV_UP);

  /* manual restarts are not crashes: they must not use up max_restarts and end pinit */
  plain(&sv, POLICY_ALWAYS);
  sv.max_restarts = 2;
  sv.on_give_up = GIVE_UP_EXIT;
  step(&sv, SV_EV_START, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  for(int k = 1; k <= 4; k++) {
    now += 3600 * 1000; /* one `pinit restart` an hour */
    step(&sv, SV_EV_RESTART, 0, 0, 0);
    now += 100;
    a = step(&sv, SV_EV_EXITED, 0, sv.pid, SIG_ST(SIGTERM));
    if(sv.state != SV_BACKOFF) {
      fprintf(stderr, "manual restart %d with max_restarts=2: state %s, exit %d (a manual restart counted as a "
                      "crash)\n", k, supervise_state_name(sv.state), a.exit_code);
      break;
    }
    now = sv.timer_at.ms;
    step(&sv, SV_EV_TIMER, 0, 0, 0);
    step(&sv, SV_EV_SPAWNED, 0, PID1 + k, 0);
  }
  CHECK_INT(sv.state, SV_UP);
  CHECK_INT(sv.restarts_by[SV_R_MANUAL], 4);
}

static void misc(void)
{
  struct supervise sv;
  struct config cfg;
  char logbuf[2048];

  /* supervise_init copies the config */
  {
    char *env[] = { "PINIT_RESTART_POLICY=on-failure", "PINIT_RESTART_DELAY_MIN=2s", "PINIT_RESTART_DELAY_MAX=20s",
                    "PINIT_RESTART_RESET_AFTER=90s", "PINIT_RESTART_MAX_RESTARTS=7", "PINIT_RESTART_WINDOW=5m",
                    "PINIT_RESTART_ON_GIVE_UP=stay", "PINIT_STOP_SIGNAL=QUIT", "PINIT_STOP_TIMEOUT=3s",
                    "PINIT_LIVENESS_TCP=127.0.0.1:1", "PINIT_LIVENESS_FAILURE_THRESHOLD=4",
                    "PINIT_LIVENESS_START_PERIOD=20s", "PINIT_WAIT=tcp://127.0.0.1:2", NULL };
    load_cfg(&cfg, env);
    supervise_init(&sv, "jm", &cfg, &no_remap);
    CHECK_STR(sv.name, "jm");
    CHECK_INT(sv.policy, POLICY_ON_FAILURE);
    CHECK_INT(sv.delay_min_ms, 2000);
    CHECK_INT(sv.delay_max_ms, 20000);
    CHECK_INT(sv.reset_after_ms, 90000);
    CHECK_INT(sv.max_restarts, 7);
    CHECK_INT(sv.window_ms, 300000);
    CHECK_INT(sv.on_give_up, GIVE_UP_STAY);
    CHECK_INT(sv.stop_signal, SIGQUIT);
    CHECK_INT(sv.stop_timeout_ms, 3000);
    CHECK_INT(sv.has_liveness, 1);
    CHECK_INT(sv.has_readiness, 0);
    CHECK_INT(sv.has_waits, 1);
    CHECK_INT(sv.live_threshold, 4);
    CHECK_INT(sv.live_start_period_ms, 20000);
    CHECK_INT(sv.state, SV_IDLE);
    CHECK_INT(sv.want, SV_WANT_UP);
    CHECK(!supervise_running(&sv) && !supervise_live(&sv));
  }
  {
    char *env[] = { "PINIT_NOTIFY_FD=5", NULL };
    load_cfg(&cfg, env);
    supervise_init(&sv, "jm", &cfg, &no_remap);
    CHECK_INT(sv.has_readiness, 1); /* a notify fd gates readiness */
  }
  /* names */
  CHECK_STR(supervise_state_name(SV_IDLE), "IDLE");
  CHECK_STR(supervise_state_name(SV_BACKOFF), "BACKOFF");
  CHECK_STR(supervise_state_name(SV_FAILED), "FAILED");
  CHECK_STR(supervise_state_name((enum supervise_state)99), "?");
  /* the one table: every state has both spellings, the label is the name in lower case */
  for(int s = 0; s < SV_STATE_COUNT; s++) {
    const char *n = supervise_state_name((enum supervise_state)s), *l = supervise_state_label((enum supervise_state)s);
    CHECK(n && l && strcmp(n, "?") && strlen(n) == strlen(l));
    for(size_t i = 0; n && l && i < strlen(n); i++)
      CHECK_INT(l[i], n[i] - 'A' + 'a');
  }
  CHECK_STR(supervise_state_label(SV_BACKOFF), "backoff");
  CHECK_STR(supervise_state_label((enum supervise_state)SV_STATE_COUNT), "?");
  CHECK_STR(supervise_reason_name(SV_R_HEALTH), "health");
  CHECK_STR(supervise_reason_name((enum supervise_reason)99), "?");

  /* every transition is logged once, in the design's words */
  plain(&sv, POLICY_ALWAYS);
  step(&sv, SV_EV_START, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, PID1, 0);
  for(int k = 1; k <= 2; k++) {
    step(&sv, SV_EV_EXITED, 0, sv.pid, EXIT_ST(1));
    now = sv.timer_at.ms;
    step(&sv, SV_EV_TIMER, 0, 0, 0);
    step(&sv, SV_EV_SPAWNED, 0, PID1 + k, 0);
  }
  capture_begin();
  step(&sv, SV_EV_EXITED, 0, sv.pid, EXIT_ST(1));
  step(&sv, SV_EV_LIVENESS, 1, 0, 0); /* not a transition: no line */
  capture_end(logbuf, sizeof(logbuf));
  CHECK_STR(logbuf, "pinit: info: svc: UP -> BACKOFF (exit 1), restart in 4s\n");
  capture_begin();
  now = sv.timer_at.ms;
  step(&sv, SV_EV_TIMER, 0, 0, 0);
  step(&sv, SV_EV_SPAWNED, 0, 555, 0);
  capture_end(logbuf, sizeof(logbuf));
  CHECK_STR(logbuf, "pinit: info: svc: BACKOFF -> UP (pid 555)\n");
}

/* ---- docs/internals/supervise.md shows `rows` as a Markdown table: generated here
 * (`test_supervise --doc`), and checked here, so the doc and the machine cannot disagree ---- */

#define DOC_BEGIN "<!-- transition table: generated by `build/tests/test_supervise --doc`, checked by that test -->\n"
#define DOC_END "<!-- end of the transition table -->\n"

static void doc_does(const struct row *r, char *buf, size_t cap)
{
  static const struct { unsigned flag; const char *name; } acts[] = {
    { WAIT_CANCEL, "WAIT_CANCEL" }, { PROBES_STOP, "PROBES_STOP" }, { KILL, "KILL" }, { TIMER_STOP, "TIMER_STOP" },
    { SPAWN, "SPAWN" },             { WAIT, "WAIT" },               { TIMER, "TIMER" }, { PROBES_START, "PROBES_START" },
    { EXIT, "EXIT" },
  };
  size_t len = 0;
  buf[0] = '\0';
  if(!r->does)
    snprintf(buf, cap, "nothing");
  for(unsigned i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
    char d[32];
    if(!(r->does & acts[i].flag))
      continue;
    len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", acts[i].name);
    if(acts[i].flag == KILL)
      len += (size_t)snprintf(buf + len, cap - len, " SIG%s%s", signal_name(r->sig, d, sizeof(d)), r->group ? " to the group" : "");
    else if(acts[i].flag == TIMER)
      len += (size_t)snprintf(buf + len, cap - len, " in %s", duration_format(r->timer_in, d, sizeof(d)));
    else if(acts[i].flag == EXIT)
      len += (size_t)snprintf(buf + len, cap - len, " %d", r->exit);
  }
}

static size_t doc_table(char *out, size_t cap)
{
  size_t len = (size_t)snprintf(out, cap, "| in state | on event | goes to | want | does |\n|---|---|---|---|---|\n");
  for(unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]) && len < cap; i++) {
    char does[160];
    doc_does(&rows[i], does, sizeof(does));
    len += (size_t)snprintf(out + len, cap - len, "| %s | %s | %s | %s | %s |\n", setup_names[rows[i].in],
                            ev_names[rows[i].on], supervise_state_name(rows[i].to), rows[i].want == UP ? "up" : "down", does);
  }
  return len;
}

static void doc_check(void)
{
  static char table_text[16384], doc[65536];
  const char *src = getenv("PINIT_SOURCE_DIR");
  char path[4096];
  const char *b, *e;
  size_t n;
  FILE *f;

  n = doc_table(table_text, sizeof(table_text));
  CHECK(n < sizeof(table_text) - 1);
  snprintf(path, sizeof(path), "%s/docs/internals/supervise.md", src && *src ? src : ".");
  f = fopen(path, "r");
  CHECK(f != NULL);
  if(!f)
    return;
  n = fread(doc, 1, sizeof(doc) - 1, f);
  fclose(f);
  doc[n] = '\0';
  b = strstr(doc, DOC_BEGIN);
  e = b ? strstr(b, DOC_END) : NULL;
  CHECK(b && e);
  if(!b || !e)
    return;
  b += strlen(DOC_BEGIN);
  if((size_t)(e - b) != strlen(table_text) || memcmp(b, table_text, strlen(table_text))) {
    fprintf(stderr, "%s: the transition table differs from tests/unit/test_supervise.c's rows;"
                    " regenerate it with `test_supervise --doc`:\n%s", path, table_text);
    CHECK(0);
  }
  else
    CHECK(1);
}

int main(int argc, char **argv)
{
  if(argc == 2 && !strcmp(argv[1], "--doc")) {
    static char out[16384];
    fputs(DOC_BEGIN, stdout);
    fwrite(out, 1, doc_table(out, sizeof(out)), stdout);
    fputs(DOC_END, stdout);
    return 0;
  }
  load_cfg(&base_cfg, NULL);
  table();
  doc_check();
  spawn_contexts();
  crash_loop_curve();
  reset_after();
  policies();
  crash_loop_limits();
  liveness();
  stopping();
  manual_restart();
  misc();
  return unit_done("supervise");
}
