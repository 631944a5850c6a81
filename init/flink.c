/* flink.c - pinit flink ROLE: entrypoint steps, per-role defaults, privilege drop.
 * See include/pinit/flink.h. */
#include "pinit/flink.h"
#include "pinit/config.h"
#include "pinit/flink_job.h"
#include "pinit/log.h"
#include "pinit/render.h"
#include "pinit/run.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define FLINK_GROUPS_MAX 64

extern char **environ;

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

int flink_property(const char *props, const char *key, char *buf, size_t cap)
{
  int found = 0;
  size_t klen = strlen(key);

  for(const char *line = props; line && *line;) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    char tmp[1024];
    char *colon;
    if(len < sizeof(tmp)) {
      memcpy(tmp, line, len);
      tmp[len] = '\0';
      colon = strchr(tmp, ':');
      if(colon) {
        const char *k;
        *colon = '\0';
        k = trim(tmp);
        if(k[0] != '#' && strlen(k) == klen && !memcmp(k, key, klen)) {
          snprintf(buf, cap, "%s", trim(colon + 1));
          found = 1;
        }
      }
    }
    line = end ? end + 1 : NULL;
  }
  return found;
}

int flink_role_defaults(const char *role, const char *props, const char *rpc, const char *ha_quorum,
                        const char **out, size_t cap, char *buf, size_t bufcap)
{
  char port[32], tmp[512];
  size_t n = 0, used = 0;

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
  ADD("restart.policy=always");
  if(ha_quorum && *ha_quorum) {
    /* HA: every role needs ZooKeeper first (leader election, the TaskManagers' lookup) */
    size_t len = 0;
    char q[256];
    snprintf(q, sizeof(q), "%s", ha_quorum);
    tmp[0] = '\0';
    for(char *h = strtok(q, ","); h; h = strtok(NULL, ",")) {
      int w = snprintf(tmp + len, sizeof(tmp) - len, "%stcp://%s", len ? " " : "", trim(h));
      if(w < 0 || (size_t)w >= sizeof(tmp) - len)
        break;
      len += (size_t)w;
    }
    ADD("wait.targets=%s", tmp);
  }
  if(!strcmp(role, "jobmanager") || !strcmp(role, "standalone-job")) {
    if(!flink_property(props, "rest.port", port, sizeof(port)))
      snprintf(port, sizeof(port), "8081");
    ADD("liveness.url=http://127.0.0.1:%s/config", port);
    ADD("liveness.start_period=30s");
    ADD("readiness.url=http://127.0.0.1:%s/overview", port);
  }
  else if(!strcmp(role, "taskmanager")) {
    if(!flink_property(props, "taskmanager.rpc.port", port, sizeof(port)))
      snprintf(port, sizeof(port), "6122");
    ADD("liveness.tcp=127.0.0.1:%s", port);
    ADD("liveness.start_period=30s");
    if((!ha_quorum || !*ha_quorum) && rpc && *rpc) { /* with HA it waits for ZooKeeper, above */
      if(!flink_property(props, "jobmanager.rpc.port", port, sizeof(port)))
        snprintf(port, sizeof(port), "6123");
      ADD("wait.targets=tcp://%s:%s", rpc, port);
    }
  }
  else {
    ADD("liveness.url=http://127.0.0.1:8082/config");
    ADD("liveness.start_period=30s");
  }
  out[n] = NULL;
  return (int)n;
#undef ADD
}

/* jemalloc, as the official entrypoint: unless DISABLE_JEMALLOC is set to anything but
 * "false", append the library to LD_PRELOAD (warn if it is missing). */
static void maybe_jemalloc(char **envp)
{
  const char *dis = config_env(envp, "DISABLE_JEMALLOC");
  const char *pre = config_env(envp, "LD_PRELOAD");
  struct utsname u;
  char lib[256], val[1024];

  if(dis && *dis && strcmp(dis, "false"))
    return;
  if(uname(&u) < 0)
    return;
  snprintf(lib, sizeof(lib), "/usr/lib/%s-linux-gnu/libjemalloc.so", u.machine);
  if(access(lib, F_OK) < 0) {
    snprintf(lib, sizeof(lib), "/usr/lib/%s-linux-gnu/libjemalloc.so.2", u.machine);
    if(access(lib, F_OK) < 0) {
      log_warn("flink", "jemalloc not found (/usr/lib/%s-linux-gnu/libjemalloc.so): using the default allocator",
               u.machine);
      return;
    }
  }
  snprintf(val, sizeof(val), "%s:%s", pre ? pre : "", lib);
  setenv("LD_PRELOAD", val, 1);
}

/* ENABLE_BUILT_IN_PLUGINS="a.jar;b.jar": plugins/<a>/<a.jar> -> opt/<a.jar>. */
static int link_plugins(char **envp, const char *home)
{
  const char *list = config_env(envp, "ENABLE_BUILT_IN_PLUGINS");
  char copy[1024];

  if(!list || !*list)
    return 0;
  snprintf(copy, sizeof(copy), "%s", list);
  for(char *jar = strtok(copy, ";"); jar; jar = strtok(NULL, ";")) {
    char src[PATH_MAX], dir[PATH_MAX], dst[PATH_MAX + 300], name[256];
    const char *j = trim(jar);
    size_t len = strlen(j);
    if(!len)
      continue;
    snprintf(name, sizeof(name), "%.*s", (int)(len > 4 && !strcmp(j + len - 4, ".jar") ? len - 4 : len), j);
    snprintf(src, sizeof(src), "%s/opt/%s", home, j);
    if(access(src, F_OK) < 0) {
      log_error("flink", "ENABLE_BUILT_IN_PLUGINS: %s: no such jar in %s/opt", j, home);
      return -1;
    }
    snprintf(dir, sizeof(dir), "%s/plugins/%s", home, name);
    if(mkdir(dir, 0755) < 0 && errno != EEXIST) {
      log_error("flink", "ENABLE_BUILT_IN_PLUGINS: %s: %s", dir, strerror(errno));
      return -1;
    }
    snprintf(dst, sizeof(dst), "%s/%s", dir, j);
    if(symlink(src, dst) < 0 && errno != EEXIST) {
      log_error("flink", "ENABLE_BUILT_IN_PLUGINS: %s: %s", dst, strerror(errno));
      return -1;
    }
    log_info("flink", "plugin %s enabled", name);
  }
  return 0;
}

/* Started as root with a `user` account: the child runs as that user. */
static int lookup_user(const char *user, struct run_spec *spec, gid_t *groups, int *ngroups)
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
  setenv("HOME", pw->pw_dir, 1);
  setenv("USER", user, 1);
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

int cmd_flink(int argc, char **argv, char **envp)
{
  static struct config cfg;
  static char *cargv[256];
  static char script[PATH_MAX], confdir[PATH_MAX], rpc_buf[256], dbuf[2048];
  static gid_t groups[FLINK_GROUPS_MAX];
  const char *defaults[16];
  struct config_error err;
  struct render_opts ropts = { 0 };
  struct run_spec spec = { 0 };
  const struct role *role;
  const char *props, *rpc, *home, *ha, *quorum;
  char ha_buf[64];
  int ngroups = 0, nargs, ndefaults = 0;
  static struct flink_job_settings jset;

  if(argc < 2 || !strcmp(argv[1], "help")) {
    usage();
    return argc < 2 ? 64 : 0;
  }
  role = find_role(argv[1]);
  props = config_env(envp, "FLINK_PROPERTIES");
  rpc = config_env(envp, "JOB_MANAGER_RPC_ADDRESS");
  if(flink_property(props, "jobmanager.rpc.address", rpc_buf, sizeof(rpc_buf)))
    rpc = rpc_buf;
  else if(!rpc || !*rpc) {
    if(render_default_address(rpc_buf, sizeof(rpc_buf)) == 0)
      rpc = rpc_buf;
  }
  ha = config_env(envp, "HA_MODE");
  if(flink_property(props, "high-availability.type", ha_buf, sizeof(ha_buf)) ||
     flink_property(props, "high-availability", ha_buf, sizeof(ha_buf)))
    ha = ha_buf;
  quorum = ha && *ha && strcmp(ha, "none") && strcmp(ha, "NONE") ? config_env(envp, "HA_ZOOKEEPER_QUORUM") : NULL;
  {
    static char q[512];
    if(quorum && flink_property(props, "high-availability.zookeeper.quorum", q, sizeof(q)))
      quorum = q;
  }

  if(role && (ndefaults = flink_role_defaults(role->name, props, rpc, quorum, defaults, 16, dbuf, sizeof(dbuf))) < 0) {
    log_error("flink", "%s: role defaults too long", role->name);
    return 78;
  }
  if(role) { /* the job side: savepoint on stop, resume, readiness (flink_job.h) */
    static char jbuf[512];
    flink_job_settings_read(envp, role->name, rpc, ha && *ha && strcmp(ha, "none") && strcmp(ha, "NONE"), &jset);
    flink_job_role_defaults(&jset, defaults + ndefaults, (size_t)(16 - ndefaults), jbuf, sizeof(jbuf));
  }
  if(config_load_secret_files(&err) || config_load(&cfg, role ? defaults : NULL, envp, &err)) {
    log_error("config", "%s", err.msg);
    return 78;
  }
  log_setup(cfg.log_level_set ? cfg.log_level : LOG_INFO, cfg.log_format);
  home = config_env(envp, "FLINK_HOME");
  if(!home || !*home)
    home = cfg.flink_home;

  maybe_jemalloc(envp);
  if(link_plugins(envp, home) < 0)
    return 1;
  if(role && !strcmp(role->name, "taskmanager") && !flink_property(props, "taskmanager.rpc.port", ha_buf, sizeof(ha_buf))) {
    /* pin the TaskManager's RPC port (random by default) so it can be probed; as the first
     * FLINK_PROPERTIES line, so the base file is overridden but nothing set explicitly */
    char *pinned;
    if(asprintf(&pinned, "taskmanager.rpc.port: 6122\n%s", props ? props : "") < 0)
      return 1;
    setenv("FLINK_PROPERTIES", pinned, 1);
    free(pinned);
  }
  envp = environ; /* setenv() may have moved it */
  ropts.flink_home = home;
  ropts.conf_dir = cfg.flink_conf_dir[0] ? cfg.flink_conf_dir : NULL;
  ropts.rpc_address = rpc;
  ropts.format = !strcmp(cfg.flink_format, "yaml") ? RENDER_YAML : !strcmp(cfg.flink_format, "legacy") ? RENDER_LEGACY : RENDER_AUTO;
  if(render_flink_config(envp, &ropts, confdir, sizeof(confdir)) < 0)
    return 78;
  if(confdir[0])
    setenv("FLINK_CONF_DIR", confdir, 1);

  nargs = 0;
  if(role) {
    snprintf(script, sizeof(script), "%s/bin/%s", home, role->script);
    cargv[nargs++] = "bash";
    cargv[nargs++] = script;
    cargv[nargs++] = "start-foreground";
    for(int i = 2; i < argc && nargs < 255; i++)
      cargv[nargs++] = argv[i];
    log_info("flink", "starting %s", role->name);
  }
  else {
    for(int i = 1; i < argc && nargs < 255; i++)
      cargv[nargs++] = argv[i];
  }
  cargv[nargs] = NULL;
  spec.argv = cargv;
  spec.name = role ? role->name : argv[1];
  spec.hooks = role ? flink_job_setup(&jset, &cfg, cargv, nargs, sizeof(cargv) / sizeof(cargv[0])) : NULL;
  if(lookup_user(cfg.flink_user, &spec, groups, &ngroups) < 0)
    return 1;
  return run_with_config(&spec, &cfg);
}
