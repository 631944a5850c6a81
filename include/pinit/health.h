/* health.h - the liveness and readiness probes of the supervised child, as the supervisor
 * runs them: when an attempt starts (readiness first after at most 1 s, liveness after one
 * interval, then every interval; never two attempts of one probe at once), what a reply
 * means (the probe's verdict, or the role's hooks judge_live / judge_ready of
 * supervisor.h), the log lines (a warning per failure with the count in a row, one info
 * line on recovery), and the verdict handed on to the supervisor (health_report_fn), which
 * feeds it to the state machine as SV_EV_LIVENESS / SV_EV_READINESS.
 *
 * Runs on the default loop only (exec probes need it).  Never blocks; allocates nothing
 * (the probe's libcurl handle aside, probe.h). */
#ifndef PINIT_HEALTH_H
#define PINIT_HEALTH_H

#include <ev.h>

#include "pinit/config.h"
#include "pinit/probe.h"
#include "pinit/supervise.h"
#include "pinit/supervisor.h"

struct health;

/* One verdict of h: ok 1 (healthy / ready) or 0.  Called from the loop. */
typedef void health_report_fn(void *arg, struct health *h, int ok);

struct health {
  const struct probe_conf *conf;
  enum supervise_event_type event;     /* SV_EV_LIVENESS or SV_EV_READINESS */
  const char *what;                    /* "liveness", "readiness": the log lines' area */
  int configured;                      /* a target is set and parses */
  /* private to health.c from here on */
  const struct supervise *sv;          /* for the failure count in the log line */
  const struct supervisor_hooks *hooks;
  health_report_fn *report;
  void *arg;
  int last_ok;
  struct probe probe;
  ev_timer tick;
};

/* Set up h for conf (liveness or readiness, by event).  A conf without a target leaves h
 * alone (its memory untouched, h->configured 0: it never starts); a target that does not
 * parse (config.c has refused it already) leaves h unconfigured too.  Exec probes get envp
 * (the child's environment; probe_env).  hooks may be NULL.  h must not move after this. */
void health_init(struct health *h, const struct probe_conf *conf, enum supervise_event_type event, const char *what,
                 const struct supervise *sv, const struct supervisor_hooks *hooks, char *const *envp,
                 health_report_fn *report, void *arg);

/* Start the schedule on loop (a child has just been spawned).  Nothing if unconfigured. */
void health_start(struct health *h, struct ev_loop *loop);

/* Stop the schedule and cancel a running attempt, without a report.  Nothing if
 * unconfigured. */
void health_stop(struct health *h, struct ev_loop *loop);

#endif
