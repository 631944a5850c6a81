/* config.h - pinit's configuration: built-in defaults (per Flink role), one INI file,
 * then PINIT_<SECTION>_<KEY> environment overrides.  config_load reads the environment
 * only from the envp it is given (env.h), as every other module that reads a variable
 * does (flink.c, plugins.c, render.c, control_cmd.c).  Nothing changes the process environment:
 * NAME_FILE secrets and everything else the child gets are set in an explicit block
 * (env_block.h) that config_load, the renderer and the child then read.
 *
 * Keys (section.key, default) - docs/configuration.md lists them all:
 *   restart.policy never|on-failure|always   restart.delay_min 1s   restart.delay_max 30s
 *   restart.reset_after 60s   restart.max_restarts 0 (unlimited)   restart.window 0 (lifetime)
 *   restart.on_give_up exit|stay   restart.allow_slow false
 *   stop.signal (the signal received)   stop.timeout 8s
 *   wait.targets ""   wait.timeout 5m   wait.interval 1s
 *   liveness.url|tcp|exec   liveness.interval 10s   liveness.timeout 5s
 *   liveness.failure_threshold 3   liveness.start_period 0s   (same for readiness.*)
 *   notify.fd 0 (off)   notify.socket false
 *   control.socket "" (per container)   http.listen ""   log.level   log.format text|json
 *   flink.home /opt/flink   flink.conf_dir ""   flink.format auto|yaml|legacy   flink.user flink
 *   flink.savepoint_on_stop true   flink.savepoint_timeout 30s   flink.resume true
 *   flink.ready_taskmanagers 1   flink.leader_budget 60s (0: off)
 * Aliases: PINIT_WAIT (= wait.targets), SERVICE_PRECONDITION (host:port list, added to
 * the wait targets), TINI_SUBREAPER, TINI_KILL_PROCESS_GROUP, TINI_VERBOSITY.
 */
#ifndef PINIT_CONFIG_H
#define PINIT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "pinit/log.h"

enum restart_policy { POLICY_NEVER = 0, POLICY_ON_FAILURE, POLICY_ALWAYS };
enum give_up { GIVE_UP_EXIT = 0, GIVE_UP_STAY };

/* The 2-minute guarantee: any failure of the child leads to a new child within this time
 * (checked against the settings at load; `pinit check` stays healthy within it). */
#define CONFIG_RESTART_BUDGET_MS (120 * 1000)

#define CONFIG_TARGET_MAX 512
#define CONFIG_TARGETS_MAX 2048
#define CONFIG_PATH_MAX 256
#define RESTART_LIMIT_MAX 100 /* max_restarts cap when a window is set */

struct probe_conf {
  char target[CONFIG_TARGET_MAX]; /* "http://..", "tcp://host:port", "exec:cmd"; "" = none */
  int64_t interval_ms, timeout_ms, start_period_ms;
  int failure_threshold;
};

struct config {
  enum restart_policy policy;
  int64_t delay_min_ms, delay_max_ms, reset_after_ms, window_ms;
  int max_restarts;
  enum give_up on_give_up;
  int allow_slow;

  int stop_signal; /* 0: forward the stop signal pinit received */
  int64_t stop_timeout_ms;

  char wait_targets[CONFIG_TARGETS_MAX]; /* space separated */
  int64_t wait_timeout_ms, wait_interval_ms;

  struct probe_conf liveness, readiness;

  int notify_fd;     /* > 2: the child writes a line to this fd when ready */
  int notify_socket; /* 1: export NOTIFY_SOCKET, READY=1 marks the child ready */

  char control_socket[108];
  char http_listen[64];

  char flink_home[CONFIG_PATH_MAX], flink_conf_dir[CONFIG_PATH_MAX];
  char flink_format[16], flink_user[32];
  int flink_savepoint_on_stop;        /* stop the jobs with a savepoint first (flink_job.h) */
  int64_t flink_savepoint_timeout_ms; /* budget of that, before stop.timeout */
  int flink_resume;                   /* application mode: resume from the newest state */
  int flink_ready_taskmanagers;       /* JobManager readiness: TaskManagers needed (0: off) */
  int64_t flink_leader_budget_ms;     /* HA JobManager: longest time without a leader that is
                                         still live (0: off, flink_job.h) */

  enum log_level log_level;
  int log_level_set;
  enum log_format log_format;

  /* tini compatibility (environment aliases; options of run mode add to them) */
  int subreaper, group, verbosity;

  char path[CONFIG_PATH_MAX]; /* the INI file read, "" if none */
};

/* An error names where it came from: "file:line: key: reason" or "PINIT_X: reason". */
struct config_error {
  char msg[640];
};

/* Load the configuration: defaults, then each "section.key=value" of `role_defaults`
 * (NULL-terminated, may be NULL; e.g. the Flink role's probes), then the INI file
 * (PINIT_CONFIG, else /etc/pinit/pinit.ini; a missing default file is fine, a missing
 * PINIT_CONFIG file is an error), then the environment `envp`.  Validates everything,
 * including the 2-minute rule when the policy restarts (a warning is logged when
 * restart.allow_slow lets a slow configuration through).  The INI file is opened through
 * trusted_path_open() (a link another user planted is refused) and must be a regular file
 * of at most 1 MiB, or /dev/null.
 * Returns 0 (err->msg "") or -1 with err filled; on -1 *cfg is partly filled and must not be
 * used.  Not reentrant: it keeps this load's sources (static state) for config_print().
 * Reads files (blocking I/O); call before the event loop starts. */
int config_load(struct config *cfg, const char *const *role_defaults, char **envp, struct config_error *err);

/* The worst time from a failure to a new child, in ms, as the 2-minute rule counts it. */
int64_t config_worst_restart_ms(const struct config *cfg);

/* For the unit test: 0 if the built-in defaults config_load() starts from are exactly what
 * the key table's default texts parse to; -1 with `why` naming the first key that differs.
 * Never blocks. */
int config_defaults_check(char *why, size_t cap);

/* Print the effective configuration, one "section.key = value  # source" line per key,
 * to fd (values of secret-looking keys redacted).  Returns 0 or -1 (errno from write). */
int config_print(const struct config *cfg, int fd);

/* Docker secrets: for every NAME_FILE=/path in the block env where NAME looks secret
 * (log_is_secret_name) or the path is under /run/secrets/, set NAME in env to the file's
 * contents (one trailing newline removed) unless NAME is already set: all of them, each
 * read as pinit/secret_file.h says (regular files only, links checked, 64 KiB cap).
 * Returns 0, or -1 with err naming the variable (never the contents).  Call before
 * config_load(env->v). */
struct env_block;
int config_load_secret_files(struct env_block *env, struct config_error *err);

/* Before anything can fail: apply PINIT_LOG_FORMAT=json from envp, so that even a
 * configuration error is logged in the format the log shipper expects. */
void config_log_early(char **envp);

#endif
