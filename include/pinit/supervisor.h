/* supervisor.h - pinit's life as a supervisor:
 *   stage 1  configuration, (Flink rendering,) dependency waits
 *   stage 2  spawn, forward signals, reap, probe, restart
 *   stage 3  stop the child, drain every other process, exit with the child's status
 * All of it on one libev loop; nothing here exits the process: supervisor_run() returns the
 * exit code and main() exits with it. */
#ifndef PINIT_SUPERVISOR_H
#define PINIT_SUPERVISOR_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pinit/config.h"
#include "pinit/opts.h"

/* What a role adds to the supervisor (the Flink job side, flink_job.h).  Every hook may be
 * NULL; all run on the loop thread. */
struct supervisor_hooks {
  void *arg;
  /* just before every spawn of the child (it may change the spec's argv) */
  void (*before_spawn)(void *arg);
  /* a stop was asked (signal, `pinit stop`) while the child runs: return 1 to hold the stop
   * and call go(go_arg) exactly once later to let it proceed, 0 to stop at once */
  int (*hold_stop)(void *arg, struct ev_loop *loop, void (*go)(void *go_arg), void *go_arg);
  /* the held stop must proceed now (another stop signal, the child exited): go() is not
   * to be called any more */
  void (*release_stop)(void *arg, const char *why);
  /* readiness probe replies: the body (kept in ready_buf, ready_cap bytes) decides;
   * returns 1 ready or 0, with a short reason in why.  body NULL: the request failed,
   * why holds the probe's reason on entry (the hook notes it, returns 0) */
  char *ready_buf;
  size_t ready_cap;
  int (*judge_ready)(void *arg, const char *body, size_t len, char *why, size_t cap);
  /* liveness probe replies: ok is the probe's verdict, status its HTTP status (0: none, or
   * not HTTP), body the start of the reply (kept in live_buf, live_cap bytes, also for a
   * failed attempt; NULL if none).  Returns 1 live or 0; why holds the probe's reason on
   * entry and the verdict's on return */
  char *live_buf;
  size_t live_cap;
  int (*judge_live)(void *arg, int ok, long status, const char *body, size_t len, char *why, size_t cap);
  /* what `pinit check` adds to its liveness line, "" if nothing (e.g. "no leader for 75s
   * (budget 1m)"), into buf */
  void (*live_note)(void *arg, char *buf, size_t cap);
  /* status and metrics: a human fragment, a JSON object, Prometheus families ("" if none);
   * now_wall_ms is unix time in ms */
  void (*describe)(void *arg, int64_t now_wall_ms, char *text, size_t tcap, char *json, size_t jcap);
  size_t (*metrics)(void *arg, char *buf, size_t cap);
};

struct supervisor_spec {
  char **argv;                       /* the command to supervise */
  const char *name;                  /* for logs and status: "jobmanager", "sleep" */
  const char *const *role_defaults;  /* config defaults of a Flink role, or NULL */
  const struct run_opts *opts;       /* tini options, or NULL */
  char **child_env;                  /* environment of the child, NULL: pinit's own */
  int drop;                          /* run the child as uid/gid/groups below */
  uid_t uid;
  gid_t gid;
  const gid_t *groups;
  int ngroups;
  const struct supervisor_hooks *hooks;     /* NULL: none */
};

/* Load the configuration (exit 78 on error), then supervise spec->argv until it is done.
 * Returns the process exit code (see design.md: child's code, 128+signal, 69, 78 ...).
 * Must be called once, from main, after signal_save(). */
int supervisor_run(const struct supervisor_spec *spec, char **envp);

/* As supervisor_run, with an already loaded configuration. */
int supervisor_run_config(const struct supervisor_spec *spec, struct config *cfg);

#endif
