/* supervise.h - the main child's state machine: data plus one pure step function.
 *
 * supervise_step() changes only the struct and returns the actions the glue (supervisor.c) carries out:
 * start waits, spawn, signal the child, arm the timer, start/stop probes, finish.  It never
 * forks, signals or reads a clock: `now` is passed in (struct clock_mono: every
 * time in here is monotonic, see clock.h), so every transition can be tested by table
 * (tests/unit/test_supervise.c; docs/internals/supervise.md shows the same table, checked by
 * that test).  Inside, one handler per event.  Every state change goes through one function
 * that logs it once:  pinit: info: jobmanager: UP -> BACKOFF (exit 1), restart in 4s
 * Those log lines and a few warnings (log.h: one write(2) each to stderr, when the level
 * lets them through) are the only system calls it makes.
 *
 * States:  IDLE -> WAITING -> STARTING -> UP -> STOPPING -> BACKOFF -> STARTING ...
 *          any -> DONE (pinit drains and exits), or FAILED (gave up, on_give_up=stay).
 * `want` (up/down) is kept apart from `state`: STOPPING with want=up is a restart,
 * STOPPING with want=down is the final stop.
 */
#ifndef PINIT_SUPERVISE_H
#define PINIT_SUPERVISE_H

#include <stdint.h>
#include <sys/types.h>

#include "pinit/clock.h"
#include "pinit/config.h"
#include "pinit/exitcode.h"

enum supervise_state { SV_IDLE, SV_WAITING, SV_STARTING, SV_UP, SV_STOPPING, SV_BACKOFF, SV_DONE, SV_FAILED };
#define SV_STATE_COUNT (SV_FAILED + 1) /* the states are 0 .. SV_STATE_COUNT-1 */
enum supervise_want { SV_WANT_UP, SV_WANT_DOWN };

/* Why the last incarnation ended (and the label of pinit_service_restarts_total). */
enum supervise_reason { SV_R_NONE, SV_R_EXIT, SV_R_SIGNAL, SV_R_HEALTH, SV_R_MANUAL };

enum supervise_event_type {
  SV_EV_START,        /* begin: wait for dependencies (if any), else spawn */
  SV_EV_WAIT_DONE,    /* arg: 1 all targets up, 0 timed out */
  SV_EV_SPAWNED,      /* pid: the child the glue just forked */
  SV_EV_SPAWN_FAILED, /* fork itself failed: counts as a failed start */
  SV_EV_EXITED,       /* status: wait status of the main child */
  SV_EV_LIVENESS,     /* arg: 1 probe ok, 0 probe failed */
  SV_EV_READINESS,    /* arg: 1 probe ok, 0 probe failed */
  SV_EV_READY,        /* the child announced readiness (notify fd / NOTIFY_SOCKET) */
  SV_EV_TIMER,        /* the machine's timer fired */
  SV_EV_STOP,         /* arg: the signal pinit received (0: none, e.g. `pinit stop`); the
                       * child gets stop.signal when configured, else arg, else SIGTERM */
  SV_EV_RESTART,      /* manual restart (pinit restart) */
};

struct supervise_event {
  enum supervise_event_type type;
  int arg;
  pid_t pid;
  int status;
};

enum {
  SV_ACT_WAIT = 1 << 0,         /* start the dependency waits */
  SV_ACT_WAIT_CANCEL = 1 << 1,  /* cancel them */
  SV_ACT_SPAWN = 1 << 2,        /* fork/exec the child, then feed SV_EV_SPAWNED/_FAILED */
  SV_ACT_KILL = 1 << 3,         /* send `signal` to the child (its process group if `group`) */
  SV_ACT_TIMER = 1 << 4,        /* arm the machine's timer for `timer_at` (replaces any); it may
                                 * fire early: SV_EV_TIMER before timer_at re-arms it */
  SV_ACT_TIMER_STOP = 1 << 5,   /* disarm it */
  SV_ACT_PROBES_START = 1 << 6, /* start liveness/readiness probes (a new incarnation) */
  SV_ACT_PROBES_STOP = 1 << 7,
  SV_ACT_EXIT = 1 << 8,         /* done: drain the other processes, exit with exit_code */
};

struct supervise_actions {
  unsigned flags;
  int signal;
  int group;
  struct clock_mono timer_at;
  int exit_code;
};

struct supervise {
  /* settings (copied from the config by supervise_init) */
  const char *name;
  enum restart_policy policy;
  int64_t delay_min_ms, delay_max_ms, reset_after_ms, window_ms, stop_timeout_ms;
  int max_restarts;
  enum give_up on_give_up;
  int stop_signal;
  int group;                    /* -g: stop signals go to the process group */
  int has_waits, has_liveness, has_readiness;
  int live_threshold, ready_threshold;
  int64_t live_start_period_ms, ready_start_period_ms;
  const struct exitcode_remap *remap;

  /* state */
  enum supervise_state state;
  enum supervise_want want;
  pid_t pid, last_pid;
  struct clock_mono spawned_at, up_at, last_spawn_at, exited_at, timer_at, stop_requested_at; /* unset: .ms 0 */
  int failures;                 /* consecutive failures: the back-off exponent */
  unsigned restarts;            /* total respawns */
  unsigned failure_restarts;    /* respawns after failures (what max_restarts counts) */
  int spawn_pending;            /* SV_ACT_SPAWN asked, SPAWNED/SPAWN_FAILED not yet fed */
  int manual_pending;           /* the armed BACKOFF timer is a manual restart's */
  unsigned restarts_by[SV_R_MANUAL + 1];
  struct clock_mono restart_times[RESTART_LIMIT_MAX]; /* ring, for max_restarts within window */
  unsigned restart_ring;
  int have_exit;
  int last_status;              /* wait status of the last incarnation */
  enum supervise_reason last_reason, stop_reason;
  int64_t last_backoff_ms;
  int live_fail, ready_fail;
  int live_started, ready_started; /* a success since the spawn: the start period is over
                                      (Docker's rule: failures count from the first success) */
  int healthy, ready;
  struct clock_mono healthy_since, ready_since;
  uint64_t live_ok_total, live_fail_total;
  int exit_code;
  double (*rand01)(void);       /* jitter source; NULL = no jitter */
};

/* Fill `sv` from the configuration; state IDLE, want UP.  `name` and `remap` must outlive sv. */
void supervise_init(struct supervise *sv, const char *name, const struct config *cfg, const struct exitcode_remap *remap);

/* Feed one event at monotonic time `now`; returns what the glue must do, in the order
 * WAIT_CANCEL, PROBES_STOP, KILL, TIMER_STOP, SPAWN, WAIT, TIMER, PROBES_START, EXIT. */
struct supervise_actions supervise_step(struct supervise *sv, const struct supervise_event *ev, struct clock_mono now);

/* Names, from the one table next to the enum; "?" for a value outside it.  Static strings.
 * supervise_state_name: the logs' "UP"; supervise_state_label: "up", as `pinit status` and the metric
 * label pinit_service_state{state} spell it; supervise_reason_name: "exit", also the label of
 * pinit_service_restarts_total{reason}. */
const char *supervise_state_name(enum supervise_state s);
const char *supervise_state_label(enum supervise_state s);
const char *supervise_reason_name(enum supervise_reason r);

/* 1 if the child process exists (STARTING, UP, STOPPING). */
int supervise_running(const struct supervise *sv);
/* The liveness view of `pinit check`: STARTING or UP with a pid, and (when a liveness probe
 * is configured) fewer than failure_threshold failures in a row.  STOPPING is not live. */
int supervise_live(const struct supervise *sv);
/* The readiness view of `pinit check --ready`: supervise_live(), state UP and sv->ready (the
 * readiness probe's or notify fd's verdict, 1 when neither is configured). */
int supervise_is_ready(const struct supervise *sv);

#endif
