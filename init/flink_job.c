/* flink_job.c - the job side of the Flink roles: hooks for supervisor.c.  See
 * include/pinit/flink_job.h. */
#include "pinit/flink_job.h"
#include "pinit/clock.h"
#include "pinit/duration.h"
#include "pinit/flink.h"
#include "pinit/flink_ready.h"
#include "pinit/flink_resume.h"
#include "pinit/flink_savepoint.h"
#include "pinit/log.h"
#include "pinit/render.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ADDRS_MAX 16
#define RESUME_AT 3       /* argv index: bash SCRIPT start-foreground | ARGS */
#define SHOWN_PATH 56    /* bytes of a path or outcome in status and JSON (status.h: JSON <= 400) */

struct job {
  struct flink_job_settings set;
  const struct config *cfg;
  struct supervisor_hooks hooks;
  char **argv;
  int base_argc;
  size_t argv_cap;
  char *base[256];                       /* argv as the role built it */
  int savepoint_on_stop, resume;

  /* readiness */
  struct flink_overview ov;              /* -1: not known yet */
  char ready_why[96];
  char addrs[ADDRS_MAX][64];
  const char *addr_ptr[ADDRS_MAX];
  size_t naddrs;

  /* stop with a savepoint */
  struct flink_savepoint sp;
  void (*go)(void *);
  void *go_arg;
  int holding;
  int64_t hold_wall_ns;                  /* when the savepoint was asked for (wall clock) */
  char stop_outcome[256];                /* "" until a stop */

  /* what pinit knows of savepoints, and the resume */
  char last_savepoint[FLINK_PATH_MAX];
  int64_t last_savepoint_wall_ms;        /* 0 unknown */
  char resumed_from[FLINK_PATH_MAX];
  const char *resume_kind;               /* "savepoint", "checkpoint", "none", "off" */

  /* the HA leader (liveness, on when hooks.judge_live is set): the start of the current
   * stretch without one, on CLOCK_MONOTONIC (unset: a leader is known, or nothing was heard
   * yet) */
  struct clock_mono no_leader_since;
  char live_buf[512];                    /* a 503's body is one short sentence */

  char ready_buf[16384];
};

static struct job job;

static int64_t wall_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts); /* for a person and for comparing with file times */
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- settings --------------------------------------------------------------------- */

static const char *first(const struct render_result *conf, const char *const *keys)
{
  for(size_t i = 0; keys[i]; i++) {
    const char *v = render_get(conf, keys[i]);
    if(v && *v)
      return v;
  }
  return NULL;
}

static unsigned port_of(const struct render_result *conf, const char *key, unsigned def)
{
  const char *v = render_get(conf, key);
  char *end;
  long p;
  if(!v || !*v)
    return def;
  p = strtol(v, &end, 10);
  return *end || p < 1 || p > 65535 ? def : (unsigned)p;
}

void flink_job_settings_read(const struct render_result *conf, const char *role, struct flink_job_settings *out)
{
  static const char *const sp_keys[] = { "execution.checkpointing.savepoint-dir", "state.savepoints.dir", NULL };
  static const char *const ck_keys[] = { "execution.checkpointing.dir", "state.checkpoints.dir", NULL };
  static const char *const jm[] = { "jobmanager.rpc.address", NULL };
  static const char *const given[] = { "execution.savepoint.path", NULL };
  const char *v, *quorum;

  memset(out, 0, sizeof(*out));
  out->role = !strcmp(role, "jobmanager")       ? FLINK_JOB_SESSION
              : !strcmp(role, "standalone-job") ? FLINK_JOB_APPLICATION
              : !strcmp(role, "taskmanager")    ? FLINK_JOB_TASKMANAGER
                                                : FLINK_JOB_NONE;
  out->ha = flink_ha_zookeeper(conf, &quorum);
  /* where the server binds (as the role's probes), else the port it advertises */
  out->rest_port = port_of(conf, "rest.bind-port", 0);
  if(!out->rest_port)
    out->rest_port = port_of(conf, render_get(conf, "rest.port") ? "rest.port" : "web.port", 8081);
  out->rpc_port = port_of(conf, "taskmanager.rpc.port", 6122);
  if((v = first(conf, jm)))
    snprintf(out->jobmanager, sizeof(out->jobmanager), "%s", v);
  if((v = first(conf, sp_keys)))
    snprintf(out->savepoint_dir, sizeof(out->savepoint_dir), "%s", v);
  if((v = first(conf, ck_keys)))
    snprintf(out->checkpoint_dir, sizeof(out->checkpoint_dir), "%s", v);
  out->explicit_savepoint = first(conf, given) != NULL;
}

int flink_job_role_defaults(const struct flink_job_settings *set, const char **out, size_t cap, char *buf,
                            size_t bufcap)
{
  int w;
  if(set->role != FLINK_JOB_TASKMANAGER || !set->jobmanager[0] || set->ha || cap < 2)
    return 0;
  w = snprintf(buf, bufcap, "readiness.url=http://%s:%u/taskmanagers", set->jobmanager, set->rest_port);
  if(w < 0 || (size_t)w >= bufcap)
    return 0;
  out[0] = buf;
  out[1] = NULL;
  return 1;
}

void flink_job_display_path(const char *path, char *out, size_t cap)
{
  size_t n = strlen(path), skip = 0, o = 0;
  if(!cap)
    return;
  if(n >= cap) {
    skip = n - (cap - 4);
    o = (size_t)snprintf(out, cap, "...");
  }
  for(size_t i = skip; i < n && o + 1 < cap; i++) {
    unsigned char c = (unsigned char)path[i];
    out[o++] = c < 0x20 || c > 0x7e || c == '"' || c == '\\' ? '?' : (char)c;
  }
  out[o] = '\0';
}

/* ---- resume --------------------------------------------------------------------------- */

static void before_spawn(void *arg)
{
  struct job *j = arg;
  static struct flink_resume_pick pick;
  char why[256], at[32];

  /* a new JVM: nothing known of it yet */
  j->ov.taskmanagers = j->ov.jobs_running = -1;
  j->ready_why[0] = '\0';
  j->no_leader_since = CLOCK_MONO_UNSET;
  if(!j->resume)
    return;
  /* bash SCRIPT start-foreground [--fromSavepoint PATH] ARGS...: before the role's
   * arguments, since the entry point takes everything after the job's first argument as
   * the job's own */
  memcpy(j->argv, j->base, sizeof(char *) * ((size_t)j->base_argc + 1));
  if(!flink_resume_find(j->set.savepoint_dir, j->set.checkpoint_dir, &pick, why, sizeof(why))) {
    log_info("resume", "starting the job without state: %s", why);
    j->resume_kind = "none";
    j->resumed_from[0] = '\0';
    return;
  }
  snprintf(j->resumed_from, sizeof(j->resumed_from), "%s", pick.path);
  j->resume_kind = pick.savepoint ? "savepoint" : "checkpoint";
  memmove(j->argv + RESUME_AT + 2, j->argv + RESUME_AT, sizeof(char *) * ((size_t)j->base_argc - RESUME_AT + 1));
  j->argv[RESUME_AT] = "--fromSavepoint";
  j->argv[RESUME_AT + 1] = j->resumed_from;
  if(pick.savepoint && pick.mtime_ns / 1000000 > j->last_savepoint_wall_ms) {
    snprintf(j->last_savepoint, sizeof(j->last_savepoint), "%s", pick.path);
    j->last_savepoint_wall_ms = pick.mtime_ns / 1000000;
  }
  log_info("resume", "resuming from %s %s (written %s ago)", j->resume_kind, pick.path,
           duration_format((wall_ns() - pick.mtime_ns) / 1000000000 * 1000, at, sizeof(at)));
}

/* ---- stop with a savepoint ------------------------------------------------------------ */

static void stop_outcome(struct job *j, int ok)
{
  if(ok) {
    snprintf(j->stop_outcome, sizeof(j->stop_outcome), "stopped with a savepoint (%s)", j->sp.why);
    if(j->sp.location[0]) {
      snprintf(j->last_savepoint, sizeof(j->last_savepoint), "%s", j->sp.location);
      j->last_savepoint_wall_ms = wall_ns() / 1000000;
    }
    log_info("savepoint", "jobs stopped with a savepoint (%s): stopping the JobManager", j->sp.why);
  }
  else {
    snprintf(j->stop_outcome, sizeof(j->stop_outcome), "no savepoint (%s): plain stop", j->sp.why);
    log_warn("savepoint", "stop with a savepoint failed (%s): stopping the JobManager without one", j->sp.why);
  }
}

static void savepoint_done(struct flink_savepoint *s, void *arg)
{
  struct job *j = arg;
  stop_outcome(j, s->ok);
  j->holding = 0;
  j->go(j->go_arg);
}

static int hold_stop(void *arg, struct ev_loop *loop, void (*go)(void *), void *go_arg)
{
  struct job *j = arg;
  char d[32];
  if(!j->savepoint_on_stop || j->holding)
    return 0;
  j->go = go;
  j->go_arg = go_arg;
  j->hold_wall_ns = wall_ns();
  log_info("savepoint", "stopping the running jobs with a savepoint into %s (budget %s)", j->set.savepoint_dir,
           duration_format(j->cfg->flink_savepoint_timeout_ms, d, sizeof(d)));
  if(flink_savepoint_start(&j->sp, loop, j->set.rest_port, j->set.savepoint_dir, j->cfg->flink_savepoint_timeout_ms,
                           savepoint_done, j) < 0) {
    stop_outcome(j, 0);
    return 0;
  }
  j->holding = 1;
  snprintf(j->stop_outcome, sizeof(j->stop_outcome), "stopping the jobs with a savepoint");
  return 1;
}

/* The stop must go on now.  When the JobManager went away by itself (application mode
 * ends the cluster once its job stopped), the savepoint may be complete on disk. */
static void release_stop(void *arg, const char *why)
{
  struct job *j = arg;
  static struct flink_resume_pick pick;
  if(!j->holding)
    return;
  j->holding = 0;
  flink_savepoint_cancel(&j->sp, why);
  if(j->sp.location[0] && j->sp.saved >= j->sp.jobs && j->sp.jobs > 0) {
    stop_outcome(j, 1);
    return;
  }
  if(flink_resume_find(j->set.savepoint_dir, NULL, &pick, NULL, 0) && pick.mtime_ns >= j->hold_wall_ns - 1000000000) {
    snprintf(j->sp.location, sizeof(j->sp.location), "%s", pick.path);
    snprintf(j->sp.why, sizeof(j->sp.why), "%.100s; the savepoint is on disk", why);
    stop_outcome(j, 1);
    return;
  }
  stop_outcome(j, 0);
}

/* ---- readiness ------------------------------------------------------------------------ */

static int judge_ready(void *arg, const char *body, size_t len, char *why, size_t cap)
{
  struct job *j = arg;
  int ok;
  if(!body) { /* REST did not answer (or not 2xx): nothing known of the jobs now */
    j->ov.taskmanagers = j->ov.jobs_running = -1;
    ok = 0;
  }
  else if(len + 1 >= sizeof(j->ready_buf)) {
    snprintf(why, cap, "reply longer than %zu bytes", sizeof(j->ready_buf) - 1);
    ok = 0;
  }
  else if(j->set.role == FLINK_JOB_TASKMANAGER)
    ok = flink_ready_taskmanager(body, len, j->addr_ptr, j->naddrs, j->set.rpc_port, why, cap);
  else
    ok = flink_ready_jobmanager(body, len, j->cfg->flink_ready_taskmanagers, j->set.role == FLINK_JOB_APPLICATION,
                                &j->ov, why, cap);
  snprintf(j->ready_why, sizeof(j->ready_why), "%s", why);
  return ok;
}

/* ---- the HA leader (liveness) ------------------------------------------------------- */

/* A liveness reply of an HA JobManager: live unless it has known no leader for longer than
 * flink.leader_budget (flink_ready_leader: why a 503 "leader election" means no leader
 * anywhere, not a standby).  The stretch is measured on CLOCK_MONOTONIC from the first such
 * reply, so it may have begun up to one liveness interval earlier. */
static int judge_live(void *arg, int ok, long status, const char *body, size_t len, char *why, size_t cap)
{
  struct job *j = arg;
  struct clock_mono before = j->no_leader_since;
  char d[32];
  int live = flink_ready_leader(&j->no_leader_since, ok, status, body, len, clock_mono_now(),
                                j->cfg->flink_leader_budget_ms, why, cap);
  if(!clock_mono_is_set(before) && clock_mono_is_set(j->no_leader_since))
    log_warn("leader", "the JobManager knows no leader (REST: leader election): not live after %s without one",
             duration_format(j->cfg->flink_leader_budget_ms, d, sizeof(d)));
  else if(clock_mono_is_set(before) && !clock_mono_is_set(j->no_leader_since))
    log_info("leader", "a leader again after %llds without one",
             (long long)(clock_mono_diff(clock_mono_now(), before) / 1000));
  return live;
}

static void live_note(void *arg, char *buf, size_t cap)
{
  struct job *j = arg;
  flink_ready_leader_note(j->no_leader_since, clock_mono_now(), j->cfg->flink_leader_budget_ms, buf, cap);
}

/* This container's addresses, as Flink writes them in a TaskManager's RPC path. */
static void read_addrs(struct job *j)
{
  struct ifaddrs *ifa, *i;
  char host[64];
  j->naddrs = 0;
  if(gethostname(host, sizeof(host)) == 0) {
    host[sizeof(host) - 1] = '\0';
    snprintf(j->addrs[j->naddrs++], sizeof(j->addrs[0]), "%s", host);
  }
  if(getifaddrs(&ifa) < 0)
    return;
  for(i = ifa; i && j->naddrs < ADDRS_MAX; i = i->ifa_next) {
    const void *a;
    if(!i->ifa_addr)
      continue;
    if(i->ifa_addr->sa_family == AF_INET)
      a = &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr;
    else if(i->ifa_addr->sa_family == AF_INET6)
      a = &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr;
    else
      continue;
    if(inet_ntop(i->ifa_addr->sa_family, a, j->addrs[j->naddrs], sizeof(j->addrs[0])))
      j->naddrs++;
  }
  freeifaddrs(ifa);
  for(size_t k = 0; k < j->naddrs; k++)
    j->addr_ptr[k] = j->addrs[k];
}

/* ---- status and metrics --------------------------------------------------------------- */

static void describe(void *arg, int64_t now_wall_ms, char *text, size_t tcap, char *json, size_t jcap)
{
  struct job *j = arg;
  char sp[SHOWN_PATH], res[SHOWN_PATH], age[32] = "", stop[SHOWN_PATH], lsp[160], lres[160], lstop[160];
  size_t t = 0;
  int64_t age_ms = j->last_savepoint_wall_ms ? now_wall_ms - j->last_savepoint_wall_ms : -1;
  /* -1: no leader check (not an HA JobManager, or flink.leader_budget 0), 0: a leader known */
  int64_t no_leader_s = !j->hooks.judge_live                     ? -1
                        : clock_mono_is_set(j->no_leader_since) ? clock_mono_diff(clock_mono_now(), j->no_leader_since) / 1000
                                                                : 0;

  flink_job_display_path(j->last_savepoint, sp, sizeof(sp));
  flink_job_display_path(j->resumed_from, res, sizeof(res));
  flink_job_display_path(j->stop_outcome, stop, sizeof(stop));
  flink_job_display_path(j->last_savepoint, lsp, sizeof(lsp)); /* the human line has more room */
  flink_job_display_path(j->resumed_from, lres, sizeof(lres));
  flink_job_display_path(j->stop_outcome, lstop, sizeof(lstop));
  if(age_ms >= 0)
    duration_format(age_ms / 1000 * 1000, age, sizeof(age));

  text[0] = '\0';
#define T(...) (t += (size_t)snprintf(text + t, t < tcap ? tcap - t : 0, __VA_ARGS__), t = t < tcap ? t : tcap)
  if(j->set.role != FLINK_JOB_TASKMANAGER) {
    if(j->ov.jobs_running >= 0)
      T("jobs running %d, taskmanagers %d", j->ov.jobs_running, j->ov.taskmanagers);
    else
      T("jobs unknown");
  }
  if(lsp[0])
    T(", last savepoint %s (%s ago)", lsp, age);
  if(j->resume_kind)
    T(", resume: %s%s%s", j->resume_kind, lres[0] ? " " : "", lres);
  if(lstop[0])
    T(", stop: %s", lstop);
  if(j->ready_why[0])
    T("%sreadiness: %s", t ? ", " : "", j->ready_why);
  if(j->hooks.judge_live && clock_mono_is_set(j->no_leader_since)) {
    char note[96];
    live_note(j, note, sizeof(note));
    T("%s%s", t ? ", " : "", note);
  }
#undef T
  snprintf(json, jcap,
           "{\"jobs_running\":%d,\"taskmanagers\":%d,\"last_savepoint\":%s%s%s,"
           "\"last_savepoint_age_seconds\":%lld,\"resume\":\"%s\",\"resumed_from\":%s%s%s,\"stop\":%s%s%s,"
           "\"no_leader_seconds\":%lld}",
           j->ov.jobs_running, j->ov.taskmanagers, sp[0] ? "\"" : "", sp[0] ? sp : "null", sp[0] ? "\"" : "",
           (long long)(age_ms >= 0 ? age_ms / 1000 : -1), j->resume_kind ? j->resume_kind : "off",
           res[0] ? "\"" : "", res[0] ? res : "null", res[0] ? "\"" : "", stop[0] ? "\"" : "", stop[0] ? stop : "null",
           stop[0] ? "\"" : "", (long long)no_leader_s);
}

static size_t metrics(void *arg, char *buf, size_t cap)
{
  struct job *j = arg;
  static const char *const kinds[] = { "savepoint", "checkpoint", "none" };
  size_t n = 0;
#define M(...) (n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, __VA_ARGS__), n = n < cap ? n : cap)
  if(j->set.role != FLINK_JOB_TASKMANAGER) {
    M("# HELP pinit_flink_jobs_running Jobs RUNNING in the JobManager's last /overview reply (-1 unknown).\n"
      "# TYPE pinit_flink_jobs_running gauge\npinit_flink_jobs_running %d\n", j->ov.jobs_running);
    M("# HELP pinit_flink_taskmanagers TaskManagers registered in the last /overview reply (-1 unknown).\n"
      "# TYPE pinit_flink_taskmanagers gauge\npinit_flink_taskmanagers %d\n", j->ov.taskmanagers);
    M("# HELP pinit_flink_last_savepoint_timestamp_seconds Unix time of the last savepoint pinit wrote or "
      "resumed from; absent if none.\n# TYPE pinit_flink_last_savepoint_timestamp_seconds gauge\n");
    if(j->last_savepoint_wall_ms)
      M("pinit_flink_last_savepoint_timestamp_seconds %.3f\n", (double)j->last_savepoint_wall_ms / 1000.0);
  }
  if(j->set.role == FLINK_JOB_APPLICATION) {
    M("# HELP pinit_flink_resume What the last start of the job resumed from: 1 for that kind.\n"
      "# TYPE pinit_flink_resume gauge\n");
    for(size_t i = 0; i < 3; i++)
      M("pinit_flink_resume{from=\"%s\"} %d\n", kinds[i], j->resume_kind && !strcmp(j->resume_kind, kinds[i]));
  }
#undef M
  return n;
}

/* ---- setup ---------------------------------------------------------------------------- */

const struct supervisor_hooks *flink_job_setup(const struct flink_job_settings *set, const struct config *cfg, char **argv,
                                        int base_argc, size_t argv_cap)
{
  struct job *j = &job;
  int jm = set->role == FLINK_JOB_SESSION || set->role == FLINK_JOB_APPLICATION;

  if(set->role == FLINK_JOB_NONE)
    return NULL;
  memset(j, 0, sizeof(*j));
  j->set = *set;
  j->cfg = cfg;
  j->argv = argv;
  j->base_argc = base_argc;
  j->argv_cap = argv_cap;
  j->ov.taskmanagers = j->ov.jobs_running = -1;
  j->hooks.arg = j;
  j->hooks.before_spawn = before_spawn;
  j->hooks.describe = describe;
  j->hooks.metrics = metrics;
  if(cfg->flink_ready_taskmanagers > 0 && (jm || (set->role == FLINK_JOB_TASKMANAGER && !set->ha))) {
    j->hooks.ready_buf = j->ready_buf;
    j->hooks.ready_cap = sizeof(j->ready_buf);
    j->hooks.judge_ready = judge_ready;
    if(set->role == FLINK_JOB_TASKMANAGER)
      read_addrs(j);
  }
  if(jm && set->ha) {
    char d[32];
    if(cfg->flink_leader_budget_ms > 0) {
      j->hooks.live_buf = j->live_buf;
      j->hooks.live_cap = sizeof(j->live_buf);
      j->hooks.judge_live = judge_live;
      j->hooks.live_note = live_note;
      log_info("leader", "HA: no leader for longer than %s is a liveness failure (flink.leader_budget)",
               duration_format(cfg->flink_leader_budget_ms, d, sizeof(d)));
    }
    else
      log_info("leader", "HA: no leader budget (flink.leader_budget is 0): a reply without a leader is a failed probe");
  }
  if(jm) {
    j->savepoint_on_stop = cfg->flink_savepoint_on_stop && cfg->flink_savepoint_timeout_ms > 0 && set->savepoint_dir[0];
    if(j->savepoint_on_stop) {
      j->hooks.hold_stop = hold_stop;
      j->hooks.release_stop = release_stop;
    }
    else
      log_info("savepoint", "no savepoint on stop (%s)",
               set->savepoint_dir[0] ? "flink.savepoint_on_stop is off or flink.savepoint_timeout is 0"
                                     : "no savepoint directory configured");
  }
  if(set->role == FLINK_JOB_APPLICATION) {
    const char *off = !cfg->flink_resume             ? "flink.resume is off"
                      : set->ha                      ? "HA is on: Flink's own recovery decides"
                      : set->explicit_savepoint      ? "execution.savepoint.path is given"
                      : flink_resume_explicit(argv)  ? "--fromSavepoint is given"
                      : (size_t)base_argc + 3 > argv_cap || base_argc < RESUME_AT ||
                          (size_t)base_argc + 1 > sizeof(j->base) / sizeof(j->base[0]) ? "too many arguments"
                                                     : NULL;
    if(off) {
      log_info("resume", "no automatic resume: %s", off);
      j->resume_kind = NULL;
    }
    else {
      memcpy(j->base, argv, sizeof(char *) * ((size_t)base_argc + 1));
      j->resume = 1;
    }
  }
  return &j->hooks;
}
