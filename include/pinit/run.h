/* run.h - pinit's life as a supervisor:
 *   stage 1  configuration, (Flink rendering,) dependency waits
 *   stage 2  spawn, forward signals, reap, probe, restart
 *   stage 3  stop the child, drain every other process, exit with the child's status
 * All of it on one libev loop; nothing here exits the process: run_supervise() returns the
 * exit code and main() exits with it. */
#ifndef PINIT_RUN_H
#define PINIT_RUN_H

#include <sys/types.h>

#include "pinit/config.h"
#include "pinit/opts.h"

struct run_spec {
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
};

/* Load the configuration (exit 78 on error), then supervise spec->argv until it is done.
 * Returns the process exit code (see design.md: child's code, 128+signal, 69, 78 ...).
 * Must be called once, from main, after signals_save(). */
int run_supervise(const struct run_spec *spec, char **envp);

/* As run_supervise, with an already loaded configuration. */
int run_with_config(const struct run_spec *spec, struct config *cfg);

#endif
