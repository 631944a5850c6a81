/* flink_job.h - the job side of the Flink roles: what a JobManager's or TaskManager's
 * supervisor does beyond keeping the JVM alive.  It plugs into supervisor.c through struct
 * supervisor_hooks:
 *
 *   stop      (JobManager roles, a savepoint directory configured, flink.savepoint_on_stop)
 *             a stop holds until every running job is stopped with a savepoint
 *             (flink_savepoint.h) or flink.savepoint_timeout runs out; then the JVM is
 *             stopped as before.  A failure or a timeout is one warn line and shows in
 *             `pinit status`.
 *   resume    (standalone-job, HA off, no --fromSavepoint / execution.savepoint.path given,
 *             flink.resume) before every spawn: the newest complete savepoint or retained
 *             checkpoint (flink_resume.h) is passed as --fromSavepoint PATH.
 *   ready     (flink.ready_taskmanagers > 0) the JobManager's /overview reply must show that
 *             many TaskManagers and, in application mode, a RUNNING job; a TaskManager's
 *             readiness asks the JobManager's /taskmanagers for itself (flink_ready.h).
 *   leader    (JobManager roles, HA on, flink.leader_budget > 0) the liveness probe's replies
 *             also decide: a JobManager whose REST API has answered "leader election" (503)
 *             for longer than the budget is not live (flink_ready_leader in flink_ready.h);
 *             `pinit check` and `pinit status` name the stretch (JSON "no_leader_seconds": the
 *             stretch so far, 0 with a leader, -1 without the check).
 *   status    jobs running, TaskManagers, last savepoint (path, age), the last stop's
 *             savepoint outcome, what the resume used: in `pinit status`, its JSON and
 *             /metrics.
 */
#ifndef PINIT_FLINK_JOB_H
#define PINIT_FLINK_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "pinit/config.h"
#include "pinit/flink_rest.h"
#include "pinit/supervisor.h"

enum flink_job_role { FLINK_JOB_NONE = 0, FLINK_JOB_SESSION, FLINK_JOB_APPLICATION, FLINK_JOB_TASKMANAGER };

/* What the job side needs from the Flink configuration. */
struct flink_job_settings {
  enum flink_job_role role;
  int ha;                                   /* high availability on */
  unsigned rest_port;                       /* rest.port, 8081 */
  unsigned rpc_port;                        /* TaskManager: taskmanager.rpc.port, 6122 */
  char jobmanager[256];                     /* TaskManager: the JobManager's address */
  char savepoint_dir[FLINK_PATH_MAX];       /* "" if none */
  char checkpoint_dir[FLINK_PATH_MAX];      /* "" if none */
  int explicit_savepoint;                   /* execution.savepoint.path is set */
};

/* The settings from the rendered configuration (what Flink will read: render_get),
 * for role (a Flink role name).  The one place the job side reads the Flink
 * configuration.  Pure. */
struct render_result;
void flink_job_settings_read(const struct render_result *conf, const char *role, struct flink_job_settings *out);

/* Role defaults this adds (the TaskManager's readiness URL), like flink_role_defaults():
 * "section.key=value" strings into out (at most cap, NULL-terminated), storage in buf.
 * Returns the count added. */
int flink_job_role_defaults(const struct flink_job_settings *set, const char **out, size_t cap, char *buf,
                            size_t bufcap);

/* Set up the hooks for spec: argv is the role's command "bash SCRIPT start-foreground
 * ARGS..." (static storage of argv_cap entries, needs base_argc + 3), base_argc its length.
 * A resume inserts "--fromSavepoint PATH" after start-foreground, before ARGS (the entry
 * point hands everything after the job's first argument to the job).  Logs what is on and off.
 * Returns the hooks (static storage), or NULL when the role has no job side. */
const struct supervisor_hooks *flink_job_setup(const struct flink_job_settings *set, const struct config *cfg, char **argv,
                                        int base_argc, size_t argv_cap);

/* Pure: a path for display in status/JSON/metrics: bytes other than printable ASCII, '"'
 * and '\\' become '?', and a path longer than cap-1 keeps its tail after "...". */
void flink_job_display_path(const char *path, char *out, size_t cap);

#endif
