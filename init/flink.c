/* flink.c - pinit flink ROLE: entrypoint steps, per-role defaults, privilege drop.
 * See include/pinit/flink.h. */
#include "pinit/cmd.h"
#include "pinit/flink.h"
#include "pinit/strbuf.h"
#include "pinit/env.h"
#include "pinit/env_block.h"
#include "pinit/exitcode.h"
#include "pinit/config.h"
#include "pinit/flink_conf.h"
#include "pinit/flink_job.h"
#include "pinit/log.h"
#include "pinit/plugins.h"
#include "pinit/render.h"
#include "pinit/supervisor.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define FLINK_GROUPS_MAX 64


static const struct role {
  const char *name, *script;
} roles[] = {
  { "jobmanager", "jobmanager.sh" },
  { "standalone-job", "standalone-job.sh" },
  { "taskmanager", "taskmanager.sh" },
  { "history-server", "historyserver.sh" },
};

static const struct role *find_role(const char *name)
{
  for(size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
    if(!strcmp(roles[i].name, name))
      return &roles[i];
  return NULL;
}

static const char *trim(char *s)
{
  char *e;
  while(*s == ' ' || *s == '\t')
    s++;
  e = s + strlen(s);
  while(e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
    *--e = '\0';
  return s;
}

const char *const *flink_role_pins(const char *role)
{
  /* the TaskManager's RPC port is random by default: pinned so it can be probed, above the
   * base file and below every variable the user sets */
  static const char *const taskmanager[] = { "taskmanager.rpc.port: 6122", NULL };
  return role && !strcmp(role, "taskmanager") ? taskmanager : NULL;
}

/* The rendered value of an option under its current name, else its deprecated ones (Flink's
 * order); NULL if unset or empty. */
static const char *option(const struct render_result *conf, const char *const *names)
{
  for(; *names; names++) {
    const char *v = render_get(conf, *names);
    if(v && *v)
      return v;
  }
  return NULL;
}

/* A single TCP port ("8081"), as text; NULL for a range, a list or anything else. */
static const char *one_port(const char *v)
{
  size_t n = v ? strspn(v, "0123456789") : 0;
  long p;
  if(!n || v[n] || n > 5)
    return NULL;
  p = strtol(v, NULL, 10);
  return p >= 1 && p <= 65535 ? v : NULL;
}

static const char *port_of(const struct render_result *conf, const char *const *names, const char *dflt)
{
  const char *v = option(conf, names);
  return v && one_port(v) ? v : dflt;
}

int flink_ha_zookeeper(const struct render_result *conf, const char **quorum)
{
  static const char *const type[] = { "high-availability.type", "high-availability", "recovery.mode", NULL };
  static const char *const zk[] = { "high-availability.zookeeper.quorum", "recovery.zookeeper.quorum", NULL };
  const char *t = option(conf, type);
  *quorum = NULL;
  if(!t || !strcasecmp(t, "none"))   /* Flink: HighAvailabilityMode, case-insensitive */
    return 0;
  if(!strcasecmp(t, "zookeeper"))
    *quorum = option(conf, zk);
  return 1;
}

int flink_role_defaults(const char *role, const struct render_result *conf, const char **out, size_t cap,
                        char *buf, size_t bufcap)
{
  static const char *const rest[] = { "rest.bind-port", NULL }, *const rest_port[] = { "rest.port", "web.port", NULL };
  static const char *const tm_port[] = { "taskmanager.rpc.port", NULL }, *const jm_port[] = { "jobmanager.rpc.port", NULL };
  static const char *const jm_addr[] = { "jobmanager.rpc.address", NULL };
  static const char *const hs_port[] = { "historyserver.web.port", NULL };
  char tmp[512];
  const char *port, *quorum, *rpc;
  size_t n = 0, used = 0;
  int ha;

#define ADD(...)                                                                       \
  do {                                                                                 \
    int w_ = snprintf(buf + used, bufcap - used, __VA_ARGS__);                         \
    if(w_ < 0 || (size_t)w_ >= bufcap - used || n + 1 >= cap)                          \
      return -1;                                                                       \
    out[n++] = buf + used;                                                             \
    used += (size_t)w_ + 1;                                                            \
  } while(0)

  if(!find_role(role))
    return -1;
  ha = flink_ha_zookeeper(conf, &quorum);
  ADD("restart.policy=always");
  if(quorum) {
    /* HA: every role needs ZooKeeper first (leader election, the TaskManagers' lookup) */
    struct strbuf sb;
    char q[256], *save = NULL;
    snprintf(q, sizeof(q), "%s", quorum);
    strbuf_init(&sb, tmp, sizeof(tmp));
    for(char *h = strtok_r(q, ",", &save); h; h = strtok_r(NULL, ",", &save)) /* strtok_r: no hidden state */
      strbuf_printf(&sb, "%stcp://%s", sb.len ? " " : "", trim(h));
    ADD("wait.targets=%s", tmp);
  }
  if(!strcmp(role, "jobmanager") || !strcmp(role, "standalone-job")) {
    /* the REST server listens on rest.bind-port, which falls back to rest.port */
    port = port_of(conf, rest, port_of(conf, rest_port, "8081"));
    ADD("liveness.url=http://127.0.0.1:%s/config", port);
    /* a hung JobManager restarted within ~45 s: 3 misses 5 s apart; /config answers in
     * milliseconds, and 3 s x 3 without an answer is far beyond a GC pause of its heap.
     * The start period is long instead: a JVM that has not answered yet is starting, and
     * on a loaded machine that took over 60 s (30 s + 3 x 5 s restarted it in a loop) */
    ADD("liveness.start_period=120s");
    ADD("liveness.interval=5s");
    ADD("liveness.timeout=3s");
    ADD("readiness.url=http://127.0.0.1:%s/overview", port);
  }
  else if(!strcmp(role, "taskmanager")) {
    if((port = one_port(option(conf, tm_port)))) {   /* a range: nothing to probe */
      ADD("liveness.tcp=127.0.0.1:%s", port);
      ADD("liveness.start_period=30s");
    }
    rpc = option(conf, jm_addr);
    if(!ha && rpc)       /* with HA the JobManager is found through ZooKeeper, above */
      ADD("wait.targets=tcp://%s:%s", rpc, port_of(conf, jm_port, "6123"));
  }
  else {
    ADD("liveness.url=http://127.0.0.1:%s/config", port_of(conf, hs_port, "8082"));
    ADD("liveness.start_period=30s");
  }
  out[n] = NULL;
  return (int)n;
#undef ADD
}

/* Set NAME=value in the child's environment; logged on failure (ENOMEM). */
static int child_setenv(struct env_block *env, const char *name, const char *value)
{
  if(env_block_set(env, name, value) == 0)
    return 0;
  log_error("flink", "%s: %s", name, strerror(errno));
  return -1;
}

/* jemalloc, as the official entrypoint: unless DISABLE_JEMALLOC is set to anything but
 * "false", append the library to the child's LD_PRELOAD (warn if it is missing). */
static int maybe_jemalloc(struct env_block *env)
{
  const char *dis = env_get(env->v, "DISABLE_JEMALLOC");
  const char *pre = env_get(env->v, "LD_PRELOAD");
  struct utsname u;
  char lib[256], val[1024];

  if(dis && *dis && strcmp(dis, "false"))
    return 0;
  if(uname(&u) < 0)
    return 0;
  snprintf(lib, sizeof(lib), "/usr/lib/%s-linux-gnu/libjemalloc.so", u.machine);
  if(access(lib, F_OK) < 0) {
    snprintf(lib, sizeof(lib), "/usr/lib/%s-linux-gnu/libjemalloc.so.2", u.machine);
    if(access(lib, F_OK) < 0) {
      log_warn("flink", "jemalloc not found (/usr/lib/%s-linux-gnu/libjemalloc.so): using the default allocator",
               u.machine);
      return 0;
    }
  }
  snprintf(val, sizeof(val), "%s:%s", pre ? pre : "", lib);
  return child_setenv(env, "LD_PRELOAD", val);
}

/* Started as root with a `user` account: the child runs as that user. */
static int lookup_user(const char *user, struct supervisor_spec *spec, gid_t *groups, int *ngroups,
                       struct env_block *env)
{
  struct passwd *pw;
  if(getuid() != 0 || !user || !*user)
    return 0;
  pw = getpwnam(user);
  if(!pw) {
    log_info("flink", "no user %s: the child runs as root", user);
    return 0;
  }
  *ngroups = FLINK_GROUPS_MAX;
  if(getgrouplist(user, pw->pw_gid, groups, ngroups) < 0)
    *ngroups = 1, groups[0] = pw->pw_gid;
  spec->drop = 1;
  spec->uid = pw->pw_uid;
  spec->gid = pw->pw_gid;
  spec->groups = groups;
  spec->ngroups = *ngroups;
  if(child_setenv(env, "HOME", pw->pw_dir) < 0 || child_setenv(env, "USER", user) < 0)
    return -1;
  return 0;
}

static void usage(void)
{
  fputs("usage: pinit flink (jobmanager|standalone-job|taskmanager|history-server) [ARG...]\n"
        "       pinit flink help\n"
        "       pinit flink COMMAND [ARG...]   (anything else runs unchanged)\n\n"
        "By default the Flink image uses jemalloc; set DISABLE_JEMALLOC=true to turn it off.\n",
        stdout);
}

int flink_cmd(int argc, char **argv, char **envp)
{
  static struct config cfg;
  static struct flink_conf fc;
  static char script[PATH_MAX], dbuf[2048];
  static gid_t groups[FLINK_GROUPS_MAX];
  const char *defaults[16];
  struct config_error err;
  struct supervisor_spec spec = { 0 };
  const struct role *role;
  const char *home;
  int ngroups = 0, nargs, rc;
  char **cargv;
  static struct flink_job_settings jset;
  static char jbuf[512];
  static struct env_block env; /* the child's: envp, secrets, LD_PRELOAD, FLINK_CONF_DIR, HOME, USER */
  int ndefaults;

  if(argc < 2 || !strcmp(argv[1], "help")) {
    usage();
    return argc < 2 ? EXITCODE_USAGE : 0;
  }
  role = find_role(argv[1]);
  env_block_init(&env, envp);
  if(config_load_secret_files(&env, &err) || config_load(&cfg, NULL, env.v, &err)) {
    log_error("config", "%s", err.msg);
    return EXITCODE_CONFIG;
  }
  log_setup(cfg.log_level_set ? cfg.log_level : LOG_INFO, cfg.log_format);
  home = flink_conf_home(&cfg, env.v);

  if(maybe_jemalloc(&env) < 0 || plugins_link(env.v, home) < 0)
    return 1;
  /* the roles read what Flink will read: the rendered file */
  if(flink_conf_render(&cfg, env.v, role ? role->name : NULL, RENDER_AUTO, 0, &fc) < 0)
    return EXITCODE_CONFIG;
  if(fc.conf_dir[0] && child_setenv(&env, "FLINK_CONF_DIR", fc.conf_dir) < 0)
    return 1;
  if(role) {
    if((ndefaults = flink_role_defaults(role->name, &fc.res, defaults, 16, dbuf, sizeof(dbuf))) < 0) {
      log_error("flink", "%s: role defaults too long", role->name);
      return EXITCODE_CONFIG;
    }
    /* the job side: savepoint on stop, resume, readiness (flink_job.h) */
    flink_job_settings_read(&fc.res, role->name, &jset);
    flink_job_role_defaults(&jset, defaults + ndefaults, (size_t)(16 - ndefaults), jbuf, sizeof(jbuf));
    if(config_load(&cfg, defaults, env.v, &err)) {
      log_error("config", "%s", err.msg);
      return EXITCODE_CONFIG;
    }
  }
  flink_conf_free(&fc);

  /* every argument, however many: "bash SCRIPT start-foreground" + argv[2..] + NULL at most,
   * and room for "--fromSavepoint PATH" (flink_job.h) */
  cargv = calloc((size_t)argc + 5, sizeof(*cargv));
  if(!cargv) {
    log_error("flink", "%d arguments: %s", argc, strerror(errno));
    return 1;
  }
  nargs = 0;
  if(role) {
    snprintf(script, sizeof(script), "%s/bin/%s", home, role->script);
    cargv[nargs++] = "bash";
    cargv[nargs++] = script;
    cargv[nargs++] = "start-foreground";
    for(int i = 2; i < argc; i++)
      cargv[nargs++] = argv[i];
    log_info("flink", "starting %s", role->name);
  }
  else {
    for(int i = 1; i < argc; i++)
      cargv[nargs++] = argv[i];
  }
  cargv[nargs] = NULL;
  spec.argv = cargv;
  spec.name = role ? role->name : argv[1];
  spec.hooks = role ? flink_job_setup(&jset, &cfg, cargv, nargs, (size_t)argc + 5) : NULL;
  if(lookup_user(cfg.flink_user, &spec, groups, &ngroups, &env) < 0) {
    free(cargv);
    return 1;
  }
  spec.child_env = env.v;
  rc = supervisor_run_config(&spec, &cfg);
  free(cargv);
  return rc;
}
