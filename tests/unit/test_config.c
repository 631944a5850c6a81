/* Table tests for config.c: defaults, the INI file, environment overrides, aliases,
 * validation with exact messages, the 2-minute rule, `pinit config` output and Docker
 * secrets.  Every load gets an explicit envp; files are written to /tmp. */
#include "pinit/config.h"
#include "pinit/env.h"
#include "pinit/env_block.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_MAX_FILES 128
static char tmpfiles[TMP_MAX_FILES][64];
static int ntmp;

/* Write `text` to a new temp file; returns its path (valid until exit). */
static const char *write_tmp(const char *text)
{
  char *path;
  int fd;
  if(ntmp == TMP_MAX_FILES) {
    fprintf(stderr, "too many temp files\n");
    exit(2);
  }
  path = tmpfiles[ntmp++];
  snprintf(path, 64, "/tmp/pinit-ut-XXXXXX.ini");
  fd = mkstemps(path, 4);
  if(fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
    perror("temp file");
    exit(2);
  }
  close(fd);
  return path;
}

/* config_load with PINIT_CONFIG=path (NULL: /dev/null, an empty file) plus `env`. */
static int load(struct config *cfg, const char *path, const char *const *env, struct config_error *err)
{
  char cfgvar[128];
  char *envp[32];
  int n = 0;
  snprintf(cfgvar, sizeof(cfgvar), "PINIT_CONFIG=%s", path ? path : "/dev/null");
  envp[n++] = cfgvar;
  for(; env && *env && n < 31; env++)
    envp[n++] = (char *)*env;
  envp[n] = NULL;
  return config_load(cfg, NULL, envp, err);
}

/* Run config_print into a pipe and return the text. */
static const char *print_config(const struct config *cfg)
{
  static char out[65536];
  int p[2];
  ssize_t n, total = 0;
  if(pipe(p))
    exit(2);
  fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
  CHECK_INT(config_print(cfg, p[1]), 0);
  close(p[1]);
  while((n = read(p[0], out + total, sizeof(out) - 1 - (size_t)total)) > 0)
    total += n;
  out[total] = '\0';
  close(p[0]);
  return out;
}

static void check_has(const char *text, const char *want)
{
  if(!strstr(text, want))
    fprintf(stderr, "missing \"%s\" in:\n%s\n", want, text);
  CHECK(strstr(text, want) != NULL);
}

static void defaults(void)
{
  struct config c;
  struct config_error err;
  char why[300] = "";

  /* the initializer config_load() copies is what the key table's texts say */
  CHECK_INT(config_defaults_check(why, sizeof(why)), 0);
  CHECK_STR(why, "");

  CHECK_INT(load(&c, NULL, NULL, &err), 0);
  CHECK_STR(err.msg, "");
  CHECK_INT(c.policy, POLICY_NEVER);
  CHECK_INT(c.delay_min_ms, 1000);
  CHECK_INT(c.delay_max_ms, 30000);
  CHECK_INT(c.reset_after_ms, 60000);
  CHECK_INT(c.max_restarts, 0);
  CHECK_INT(c.window_ms, 0);
  CHECK_INT(c.on_give_up, GIVE_UP_EXIT);
  CHECK_INT(c.allow_slow, 0);
  CHECK_INT(c.stop_signal, 0);
  CHECK_INT(c.stop_timeout_ms, 8000);
  CHECK_STR(c.wait_targets, "");
  CHECK_INT(c.wait_timeout_ms, 300000);
  CHECK_INT(c.wait_interval_ms, 1000);
  CHECK_STR(c.liveness.target, "");
  CHECK_INT(c.liveness.interval_ms, 10000);
  CHECK_INT(c.liveness.timeout_ms, 5000);
  CHECK_INT(c.liveness.failure_threshold, 3);
  CHECK_INT(c.liveness.start_period_ms, 0);
  CHECK_STR(c.readiness.target, "");
  CHECK_INT(c.readiness.interval_ms, 5000);
  CHECK_INT(c.readiness.timeout_ms, 5000);
  CHECK_INT(c.readiness.failure_threshold, 1);
  CHECK_INT(c.readiness.start_period_ms, 0);
  CHECK_INT(c.notify_fd, 0);
  CHECK_INT(c.notify_socket, 0);
  CHECK_STR(c.control_socket, ""); /* "": the per-container default (control.h) */
  CHECK_STR(c.http_listen, "");
  CHECK_STR(c.flink_home, "/opt/flink");
  CHECK_STR(c.flink_conf_dir, "");
  CHECK_STR(c.flink_format, "auto");
  CHECK_STR(c.flink_user, "flink");
  CHECK_INT(c.log_level_set, 0);
  CHECK_INT(c.log_format, LOG_TEXT);
  CHECK_INT(c.subreaper, 0);
  CHECK_INT(c.group, 0);
  CHECK_INT(c.verbosity, 0);
  CHECK_STR(c.path, "/dev/null");
  CHECK_INT(config_worst_restart_ms(&c), 30000);

  /* no PINIT_CONFIG and no /etc/pinit/pinit.ini: defaults, no file */
  if(access("/etc/pinit/pinit.ini", F_OK) != 0) {
    char *envp[] = { "HOME=/root", NULL };
    CHECK_INT(config_load(&c, NULL, envp, &err), 0);
    CHECK_STR(c.path, "");
    CHECK_INT(config_load(&c, NULL, NULL, &err), 0); /* envp may be NULL */
  }
  /* PINIT_CONFIG= (empty) means the default path too */
  if(access("/etc/pinit/pinit.ini", F_OK) != 0) {
    char *envp[] = { "PINIT_CONFIG=", NULL };
    CHECK_INT(config_load(&c, NULL, envp, &err), 0);
    CHECK_STR(c.path, "");
  }
  /* a missing PINIT_CONFIG file is an error */
  {
    char *envp[] = { "PINIT_CONFIG=/nonexistent/pinit.ini", NULL };
    CHECK_INT(config_load(&c, NULL, envp, &err), -1);
    CHECK_STR(err.msg, "/nonexistent/pinit.ini: No such file or directory");
  }
}

static const char full_ini[] =
  "# pinit test configuration\n"                  /* 1 */
  "; another comment style\n"                      /* 2 */
  "[restart]\n"                                    /* 3 */
  "policy = on-failure\n"                          /* 4 */
  "delay_min = 500ms\n"                            /* 5 */
  "delay_max = 20s\n"                              /* 6 */
  "reset_after = 2m\n"                             /* 7 */
  "max_restarts = 5\n"                             /* 8 */
  "window = 10m\n"                                 /* 9 */
  "on_give_up = stay\n"                            /* 10 */
  "allow_slow = no\n"                              /* 11 */
  "\n"                                             /* 12 */
  "[stop]\n"                                       /* 13 */
  "signal = SIGQUIT\n"                             /* 14 */
  "timeout = 5s\n"                                 /* 15 */
  "[wait]\n"                                       /* 16 */
  "targets = tcp://db:5432\n"                      /* 17 */
  "targets = http://jm:8081/overview\n"            /* 18: a second line adds */
  "timeout = 1m\n"                                 /* 19 */
  "interval = 250ms\n"                             /* 20 */
  "[liveness]\n"                                   /* 21 */
  "url = http://localhost:8081/overview\n"         /* 22 */
  "interval = 5s\n"                                /* 23 */
  "timeout = 2s\n"                                 /* 24 */
  "failure_threshold = 4\n"                        /* 25 */
  "start_period = 30s\n"                           /* 26 */
  "[readiness]\n"                                  /* 27 */
  "tcp = localhost:6123\n"                         /* 28 */
  "interval = 2s\n"                                /* 29 */
  "timeout = 1s\n"                                 /* 30 */
  "failure_threshold = 2\n"                        /* 31 */
  "start_period = 5s\n"                            /* 32 */
  "[notify]\n"                                     /* 33 */
  "fd = 5\n"                                       /* 34 */
  "socket = true\n"                                /* 35 */
  "[control]\n"                                    /* 36 */
  "socket = /run/pinit.sock\n"                     /* 37 */
  "[http]\n"                                       /* 38 */
  "listen = 127.0.0.1:9249\n"                      /* 39 */
  "[log]\n"                                        /* 40 */
  "level = debug\n"                                /* 41 */
  "format = json\n"                                /* 42 */
  "[flink]\n"                                      /* 43 */
  "home = /opt/flink2\n"                           /* 44 */
  "conf_dir = /etc/flink\n"                        /* 45 */
  "format = yaml\n"                                /* 46 */
  "user = app\n";                                  /* 47 */

static void ini_file(void)
{
  struct config c;
  struct config_error err;
  const char *path = write_tmp(full_ini);

  CHECK_INT(load(&c, path, NULL, &err), 0);
  CHECK_STR(err.msg, "");
  CHECK_STR(c.path, path);
  CHECK_INT(c.policy, POLICY_ON_FAILURE);
  CHECK_INT(c.delay_min_ms, 500);
  CHECK_INT(c.delay_max_ms, 20000);
  CHECK_INT(c.reset_after_ms, 120000);
  CHECK_INT(c.max_restarts, 5);
  CHECK_INT(c.window_ms, 600000);
  CHECK_INT(c.on_give_up, GIVE_UP_STAY);
  CHECK_INT(c.allow_slow, 0);
  CHECK_INT(c.stop_signal, SIGQUIT);
  CHECK_INT(c.stop_timeout_ms, 5000);
  CHECK_STR(c.wait_targets, "tcp://db:5432 http://jm:8081/overview");
  CHECK_INT(c.wait_timeout_ms, 60000);
  CHECK_INT(c.wait_interval_ms, 250);
  CHECK_STR(c.liveness.target, "http://localhost:8081/overview");
  CHECK_INT(c.liveness.interval_ms, 5000);
  CHECK_INT(c.liveness.timeout_ms, 2000);
  CHECK_INT(c.liveness.failure_threshold, 4);
  CHECK_INT(c.liveness.start_period_ms, 30000);
  CHECK_STR(c.readiness.target, "tcp://localhost:6123");
  CHECK_INT(c.readiness.interval_ms, 2000);
  CHECK_INT(c.readiness.timeout_ms, 1000);
  CHECK_INT(c.readiness.failure_threshold, 2);
  CHECK_INT(c.readiness.start_period_ms, 5000);
  CHECK_INT(c.notify_fd, 5);
  CHECK_INT(c.notify_socket, 1);
  CHECK_STR(c.control_socket, "/run/pinit.sock");
  CHECK_STR(c.http_listen, "127.0.0.1:9249");
  CHECK_INT(c.log_level_set, 1);
  CHECK_INT(c.log_level, LOG_DEBUG);
  CHECK_INT(c.log_format, LOG_JSON);
  CHECK_STR(c.flink_home, "/opt/flink2");
  CHECK_STR(c.flink_conf_dir, "/etc/flink");
  CHECK_STR(c.flink_format, "yaml");
  CHECK_STR(c.flink_user, "app");
  /* 5s x 4 + 2s + 5s + 20s */
  CHECK_INT(config_worst_restart_ms(&c), 47000);

  /* the environment beats the file; the file beats the defaults */
  {
    const char *env[] = { "PINIT_RESTART_DELAY_MAX=10s", "PINIT_RESTART_POLICY=always", "PINIT_STOP_SIGNAL=",
                          "PINIT_LIVENESS_URL=", "PINIT_FLINK_USER=flink", "PINIT_LOG_LEVEL=", NULL };
    CHECK_INT(load(&c, path, env, &err), 0);
    CHECK_INT(c.delay_max_ms, 10000);
    CHECK_INT(c.delay_min_ms, 500);
    CHECK_INT(c.policy, POLICY_ALWAYS);
    CHECK_INT(c.stop_signal, 0);           /* empty: back to "the signal received" */
    CHECK_STR(c.liveness.target, "");      /* empty: no liveness probe */
    CHECK_STR(c.flink_user, "flink");
    CHECK_INT(c.log_level_set, 0);
    CHECK_INT(config_worst_restart_ms(&c), 10000);
  }
  /* keys are case-insensitive in the file and after PINIT_ in the environment */
  {
    const char *p2 = write_tmp("[Restart]\nPolicy = always\n");
    const char *env[] = { "PINIT_restart_delay_max=5s", NULL };
    CHECK_INT(load(&c, p2, env, &err), 0);
    CHECK_INT(c.policy, POLICY_ALWAYS);
    CHECK_INT(c.delay_max_ms, 5000);
  }
  /* values keep inner spaces, lose the outer ones; CRLF files work */
  {
    const char *p2 = write_tmp("[flink]\r\nhome =   /opt/my flink  \r\n[liveness]\r\nexec = pg_isready -h db\r\n");
    CHECK_INT(load(&c, p2, NULL, &err), 0);
    CHECK_STR(c.flink_home, "/opt/my flink");
    CHECK_STR(c.liveness.target, "exec:pg_isready -h db");
  }
  /* long lines (a few hundred characters: many wait targets, a long URL) load intact */
  {
    char ini[2048], targets[1024] = "", url[512];
    for(int i = 0; i < 30; i++)
      snprintf(targets + strlen(targets), sizeof(targets) - strlen(targets), "%stcp://host-%02d:6123", i ? " " : "", i);
    snprintf(url, sizeof(url), "http://localhost:8081/%0300d", 7);
    snprintf(ini, sizeof(ini), "[wait]\ntargets = %s\n[liveness]\nurl = %s\n[restart]\npolicy = always\n", targets, url);
    const char *p2 = write_tmp(ini);
    int rc = load(&c, p2, NULL, &err);
    if(rc)
      fprintf(stderr, "long lines (%zu, %zu chars): %s\n", strlen(targets) + 10, strlen(url) + 6, err.msg);
    CHECK_INT(rc, 0);
    CHECK_STR(c.wait_targets, targets);
    CHECK_STR(c.liveness.target, url);
    CHECK_INT(c.policy, POLICY_ALWAYS);
  }
  /* role defaults sit between the built-in defaults and the file */
  {
    const char *role[] = { "restart.policy=always", "liveness.url=http://localhost:8081/overview",
                           "stop.timeout=9s", NULL };
    const char *p2 = write_tmp("[stop]\ntimeout = 7s\n");
    char cfgvar[128], *envp[2] = { cfgvar, NULL };
    snprintf(cfgvar, sizeof(cfgvar), "PINIT_CONFIG=%s", p2);
    CHECK_INT(config_load(&c, role, envp, &err), 0);
    CHECK_INT(c.policy, POLICY_ALWAYS);
    CHECK_STR(c.liveness.target, "http://localhost:8081/overview");
    CHECK_INT(c.stop_timeout_ms, 7000);
    check_has(print_config(&c), "restart.policy = always  # role default\n");
    const char *bad1[] = { "restartpolicy", NULL }, *bad2[] = { "restart.nope=1", NULL },
               *bad3[] = { "restart.policy=sometimes", NULL };
    CHECK_INT(config_load(&c, bad1, envp, &err), -1);
    CHECK_STR(err.msg, "role default restartpolicy: malformed");
    CHECK_INT(config_load(&c, bad2, envp, &err), -1);
    CHECK_STR(err.msg, "role default restart.nope=1: unknown key");
    CHECK_INT(config_load(&c, bad3, envp, &err), -1);
    CHECK_STR(err.msg, "role default restart.policy=sometimes: sometimes: unknown policy (always, on-failure, never)");
  }
}

/* An INI text and the exact error; "%s" in want is the file's path. */
struct file_error {
  const char *ini;
  const char *want;
};

static const struct file_error file_errors[] = {
  { "[restart]\nbogus = 1\n", "%s:2: restart.bogus: unknown key" },
  { "[restart]\npolicy = always\n[nope]\nx = 1\n", "%s:3: [nope]: unknown section" },
  /* an unknown section is refused even with no key in it (inih calls back for keys only) */
  { "[restart]\npolicy = always\n[bogus]\n", "%s:3: [bogus]: unknown section" },
  { "[bogus]\n[restart]\npolicy = always\n", "%s:1: [bogus]: unknown section" },
  { "  [Restart]\n\tpolicy = always\n[ restart ]\n", "%s:3: [ restart ]: unknown section" },
  { "[stop]\nsignal = TSTP\n", "%s:2: stop.signal: TSTP: pauses or continues a process, never stops it" },
  { "[control]\nsocket = @\n", "%s:2: control.socket: @: the abstract name is empty" },
  { "[notify]\nfd = 2\n", "%s:2: notify.fd: 2: must be 3 or more (0 turns it off)" },
  { "[stop]\ntimeout = 10x\n", "%s:2: stop.timeout: 10x: not a duration (like 500ms, 10s, 2m)" },
  { "[stop]\ntimeout = -1s\n", "%s:2: stop.timeout: -1s: not a duration (like 500ms, 10s, 2m)" },
  { "[flink]\nleader_budget = soon\n", "%s:2: flink.leader_budget: soon: not a duration (like 500ms, 10s, 2m)" },
  { "[restart]\npolicy = sometimes\n", "%s:2: restart.policy: sometimes: unknown policy (always, on-failure, never)" },
  { "[restart]\npolicy = Always\n", "%s:2: restart.policy: Always: unknown policy (always, on-failure, never)" },
  { "[restart]\npolicy = always\n\npolicy = never\n", "%s:4: restart.policy: set twice (first on line 2)" },
  { "[restart]\npolicy = always\n[stop]\ntimeout = 1s\n[restart]\npolicy = never\n",
    "%s:6: restart.policy: set twice (first on line 2)" },
  { "[liveness]\nurl = ftp://x\n", "%s:2: liveness.url: ftp://x: not an http:// or https:// URL" },
  { "[restart]\nmax_restarts = -1\n", "%s:2: restart.max_restarts: -1: not a whole number >= 0" },
  { "[restart]\nmax_restarts = 3x\n", "%s:2: restart.max_restarts: 3x: not a whole number >= 0" },
  { "[restart]\non_give_up = retry\n", "%s:2: restart.on_give_up: retry: must be exit or stay" },
  { "[restart]\nallow_slow = maybe\n", "%s:2: restart.allow_slow: maybe: not a boolean (true/false)" },
  { "[stop]\nsignal = NOPE\n", "%s:2: stop.signal: NOPE: not a signal" },
  { "[log]\nlevel = loud\n", "%s:2: log.level: loud: unknown level (error, warn, info, debug)" },
  { "[log]\nformat = xml\n", "%s:2: log.format: xml: must be text or json" },
  { "[flink]\nformat = toml\n", "%s:2: flink.format: toml: must be auto, yaml or legacy" },
  { "[control]\nsocket = pinit.sock\n", "%s:2: control.socket: pinit.sock: must be @abstract-name or an absolute path" },
  { "[restart]\npolicy = always\ngarbage line\n", "%s:3: syntax error (expected [section] or key = value)" },
  { "[restart\npolicy = always\n", "%s:1: syntax error (expected [section] or key = value)" },
  { "policy = always\n", "%s:1: []: unknown section" },
  /* line numbers stay right after a line longer than inih's initial buffer */
  { "# "
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
    "[restart]\n"
    "policy = sometimes\n",
    "%s:3: restart.policy: sometimes: unknown policy (always, on-failure, never)" },
};

struct env_error {
  const char *env[4];
  const char *want;
};

static const struct env_error env_errors[] = {
  { { "PINIT_LIVENESS_URL=ftp://x" }, "PINIT_LIVENESS_URL: ftp://x: not an http:// or https:// URL" },
  { { "PINIT_RESTART_POLCY=x" }, "PINIT_RESTART_POLCY: unknown setting" },
  { { "PINIT_STOP_TIMEOUT=abc" }, "PINIT_STOP_TIMEOUT: abc: not a duration (like 500ms, 10s, 2m)" },
  { { "PINIT_FLINK_LEADER_BUDGET=-5s" }, "PINIT_FLINK_LEADER_BUDGET: -5s: not a duration (like 500ms, 10s, 2m)" },
  { { "PINIT_RESTART_POLICY=sometimes" }, "PINIT_RESTART_POLICY: sometimes: unknown policy (always, on-failure, never)" },
  { { "PINIT_LIVENESS_FAILURE_THRESHOLD=many" }, "PINIT_LIVENESS_FAILURE_THRESHOLD: many: not a whole number >= 0" },
  { { "PINIT_CONTROL_SOCKET=relative" }, "PINIT_CONTROL_SOCKET: relative: must be @abstract-name or an absolute path" },
  { { "PINIT_CONTROL_SOCKET=@" }, "PINIT_CONTROL_SOCKET: @: the abstract name is empty" },
  /* stop signals that only pause or continue a process can never stop it */
  { { "PINIT_STOP_SIGNAL=STOP" }, "PINIT_STOP_SIGNAL: STOP: pauses or continues a process, never stops it" },
  { { "PINIT_STOP_SIGNAL=SIGTSTP" }, "PINIT_STOP_SIGNAL: SIGTSTP: pauses or continues a process, never stops it" },
  { { "PINIT_STOP_SIGNAL=ttin" }, "PINIT_STOP_SIGNAL: ttin: pauses or continues a process, never stops it" },
  { { "PINIT_STOP_SIGNAL=TTOU" }, "PINIT_STOP_SIGNAL: TTOU: pauses or continues a process, never stops it" },
  { { "PINIT_STOP_SIGNAL=CONT" }, "PINIT_STOP_SIGNAL: CONT: pauses or continues a process, never stops it" },
  { { "PINIT_STOP_SIGNAL=19" }, "PINIT_STOP_SIGNAL: 19: pauses or continues a process, never stops it" },
  { { "TINI_VERBOSITY=9" }, "TINI_VERBOSITY: 9: must be 0-3" },
  { { "TINI_VERBOSITY=x" }, "TINI_VERBOSITY: x: must be 0-3" },
  /* validation across keys */
  { { "PINIT_RESTART_DELAY_MIN=40s" }, "restart.delay_min (40s) is above restart.delay_max (30s)" },
  { { "PINIT_NOTIFY_FD=2" }, "PINIT_NOTIFY_FD: 2: must be 3 or more (0 turns it off)" },
  { { "PINIT_RESTART_WINDOW=1m", "PINIT_RESTART_MAX_RESTARTS=101" },
    "restart.max_restarts: at most 100 when restart.window is set" },
  { { "PINIT_LIVENESS_TCP=127.0.0.1:1", "PINIT_LIVENESS_INTERVAL=50ms" },
    "liveness: interval must be >= 100ms, timeout >= 10ms, failure_threshold >= 1" },
  { { "PINIT_READINESS_TCP=127.0.0.1:1", "PINIT_READINESS_FAILURE_THRESHOLD=0" },
    "readiness: interval must be >= 100ms, timeout >= 10ms, failure_threshold >= 1" },
};

static void errors(void)
{
  struct config c;
  struct config_error err;

  for(unsigned i = 0; i < sizeof(file_errors) / sizeof(file_errors[0]); i++) {
    const char *path = write_tmp(file_errors[i].ini);
    char want[640];
    snprintf(want, sizeof(want), file_errors[i].want, path);
    CHECK_INT(load(&c, path, NULL, &err), -1);
    CHECK_STR(err.msg, want);
  }
  for(unsigned i = 0; i < sizeof(env_errors) / sizeof(env_errors[0]); i++) {
    CHECK_INT(load(&c, NULL, env_errors[i].env, &err), -1);
    CHECK_STR(err.msg, env_errors[i].want);
  }
  /* not config keys: ignored */
  {
    const char *env[] = { "PINIT_BIN=/usr/bin/pinit", "PINIT_SOURCE_DIR=/src", "PINIT_SANITIZE=1", "PINIT_X=1",
                          "PINIT_=1", "PINIT_NOTIFY=1", "PINIT_NOTIFY_FD_X", "pinit_restart_polcy=x", NULL };
    CHECK_INT(load(&c, NULL, env, &err), 0);
    CHECK_STR(err.msg, "");
  }
  /* the first bad one is reported, nothing after it matters */
  {
    const char *env[] = { "PINIT_STOP_TIMEOUT=1s", "PINIT_STOP_TIMOUT=2s", "PINIT_RESTART_POLICY=bad", NULL };
    CHECK_INT(load(&c, NULL, env, &err), -1);
    CHECK_STR(err.msg, "PINIT_STOP_TIMOUT: unknown setting");
  }
}

static void two_minute_rule(void)
{
  struct config c;
  struct config_error err;

  /* default liveness: 10s x 3 + 5s + 8s + 30s = 73s */
  {
    const char *env[] = { "PINIT_RESTART_POLICY=always", "PINIT_LIVENESS_URL=http://localhost:8081/overview", NULL };
    CHECK_INT(load(&c, NULL, env, &err), 0);
    CHECK_INT(config_worst_restart_ms(&c), 73000);
  }
  /* 30s x 3 + 5s + 8s + 30s = 133s: refused, naming every term */
  {
    const char *env[] = { "PINIT_RESTART_POLICY=always", "PINIT_LIVENESS_URL=http://localhost:8081/overview",
                          "PINIT_LIVENESS_INTERVAL=30s", NULL };
    CHECK_INT(load(&c, NULL, env, &err), -1);
    CHECK_STR(err.msg, "2-minute rule: liveness.interval 30s x failure_threshold 3 + liveness.timeout 5s"
                       " + stop.timeout 8s + restart.delay_max 30s = 2m13s > 2m");
    check_has(err.msg, "liveness.interval");
    check_has(err.msg, "failure_threshold");
    check_has(err.msg, "liveness.timeout");
    check_has(err.msg, "stop.timeout");
    check_has(err.msg, "restart.delay_max");
  }
  /* ... allowed with restart.allow_slow (file or environment): a success, no error text */
  {
    const char *env[] = { "PINIT_RESTART_POLICY=always", "PINIT_LIVENESS_URL=http://localhost:8081/overview",
                          "PINIT_LIVENESS_INTERVAL=30s", "PINIT_RESTART_ALLOW_SLOW=1", NULL };
    CHECK_INT(load(&c, NULL, env, &err), 0);
    CHECK_STR(err.msg, "");
    CHECK_INT(c.allow_slow, 1);
    CHECK_INT(config_worst_restart_ms(&c), 133000);
  }
  /* ... and never checked with policy never (pinit exits, it does not restart) */
  {
    const char *env[] = { "PINIT_LIVENESS_URL=http://localhost:8081/overview", "PINIT_LIVENESS_INTERVAL=30s", NULL };
    CHECK_INT(load(&c, NULL, env, &err), 0);
    const char *env2[] = { "PINIT_RESTART_POLICY=never", "PINIT_RESTART_DELAY_MAX=10m", NULL };
    CHECK_INT(load(&c, NULL, env2, &err), 0);
  }
  /* on-failure restarts too: checked */
  {
    const char *env[] = { "PINIT_RESTART_POLICY=on-failure", "PINIT_LIVENESS_TCP=127.0.0.1:6123",
                          "PINIT_LIVENESS_INTERVAL=30s", NULL };
    CHECK_INT(load(&c, NULL, env, &err), -1);
    check_has(err.msg, "2-minute rule");
  }
  /* the boundary: exactly 120 s passes, 1 ms more fails (10s x 3 + 5s + 8s + 77s) */
  {
    const char *env[] = { "PINIT_RESTART_POLICY=always", "PINIT_LIVENESS_TCP=127.0.0.1:6123",
                          "PINIT_RESTART_DELAY_MAX=77s", NULL };
    CHECK_INT(load(&c, NULL, env, &err), 0);
    CHECK_INT(config_worst_restart_ms(&c), 120000);
    const char *env2[] = { "PINIT_RESTART_POLICY=always", "PINIT_LIVENESS_TCP=127.0.0.1:6123",
                           "PINIT_RESTART_DELAY_MAX=77001ms", NULL };
    CHECK_INT(load(&c, NULL, env2, &err), -1);
  }
  /* without probes only delay_max counts */
  {
    const char *env[] = { "PINIT_RESTART_POLICY=always", "PINIT_RESTART_DELAY_MAX=2m", NULL };
    CHECK_INT(load(&c, NULL, env, &err), 0);
    const char *env2[] = { "PINIT_RESTART_POLICY=always", "PINIT_RESTART_DELAY_MAX=2m1s", NULL };
    CHECK_INT(load(&c, NULL, env2, &err), -1);
    CHECK_STR(err.msg, "2-minute rule: restart.delay_max 2m1s > 2m");
  }
  /* a readiness probe does not count (it restarts nothing) */
  {
    const char *env[] = { "PINIT_RESTART_POLICY=always", "PINIT_READINESS_TCP=127.0.0.1:6123",
                          "PINIT_READINESS_INTERVAL=1m", "PINIT_READINESS_FAILURE_THRESHOLD=5", NULL };
    CHECK_INT(load(&c, NULL, env, &err), 0);
  }
  /* allow_slow from the file */
  {
    const char *p = write_tmp("[restart]\npolicy = always\ndelay_max = 5m\nallow_slow = true\n");
    CHECK_INT(load(&c, p, NULL, &err), 0);
  }
}

static void aliases(void)
{
  struct config c;
  struct config_error err;

  {
    const char *env[] = { "PINIT_WAIT=tcp://jobmanager:6123 http://jobmanager:8081/overview", NULL };
    CHECK_INT(load(&c, NULL, env, &err), 0);
    CHECK_STR(c.wait_targets, "tcp://jobmanager:6123 http://jobmanager:8081/overview");
  }
  {
    const char *env[] = { "SERVICE_PRECONDITION=namenode:9870 datanode:9864", NULL };
    CHECK_INT(load(&c, NULL, env, &err), 0);
    CHECK_STR(c.wait_targets, "namenode:9870 datanode:9864");
  }
  {
    const char *env[] = { "PINIT_WAIT=tcp://a:1", "SERVICE_PRECONDITION=b:2 c:3", NULL };
    CHECK_INT(load(&c, NULL, env, &err), 0);
    CHECK_STR(c.wait_targets, "tcp://a:1 b:2 c:3");
  }
  {
    /* PINIT_WAIT replaces the file's targets; SERVICE_PRECONDITION adds to whatever is there */
    const char *p = write_tmp("[wait]\ntargets = tcp://file:1\n");
    const char *env[] = { "PINIT_WAIT=tcp://env:2", NULL };
    CHECK_INT(load(&c, p, env, &err), 0);
    CHECK_STR(c.wait_targets, "tcp://env:2");
    const char *env2[] = { "SERVICE_PRECONDITION=sp:3", NULL };
    CHECK_INT(load(&c, p, env2, &err), 0);
    CHECK_STR(c.wait_targets, "tcp://file:1 sp:3");
    const char *env3[] = { "PINIT_WAIT_TARGETS=tcp://key:4", NULL };
    CHECK_INT(load(&c, p, env3, &err), 0);
    CHECK_STR(c.wait_targets, "tcp://key:4");
    const char *env4[] = { "PINIT_WAIT=", "SERVICE_PRECONDITION=", NULL }; /* empty: no change */
    CHECK_INT(load(&c, p, env4, &err), 0);
    CHECK_STR(c.wait_targets, "tcp://file:1");
  }
  {
    const char *env[] = { "TINI_SUBREAPER=1", "TINI_KILL_PROCESS_GROUP=1", "TINI_VERBOSITY=2", NULL };
    CHECK_INT(load(&c, NULL, env, &err), 0);
    CHECK_INT(c.subreaper, 1);
    CHECK_INT(c.group, 1);
    CHECK_INT(c.verbosity, 2);
    const char *env2[] = { "TINI_SUBREAPER=", "TINI_KILL_PROCESS_GROUP=", "TINI_VERBOSITY=0", NULL };
    CHECK_INT(load(&c, NULL, env2, &err), 0);
    CHECK_INT(c.subreaper, 0);
    CHECK_INT(c.group, 0);
    CHECK_INT(c.verbosity, 0);
  }
  /* probe keys: tcp gets its scheme, exec its prefix */
  {
    const char *env[] = { "PINIT_LIVENESS_TCP=localhost:6123", "PINIT_READINESS_EXEC=pg_isready -h db", NULL };
    CHECK_INT(load(&c, NULL, env, &err), 0);
    CHECK_STR(c.liveness.target, "tcp://localhost:6123");
    CHECK_STR(c.readiness.target, "exec:pg_isready -h db");
    const char *env2[] = { "PINIT_LIVENESS_TCP=tcp://h:1", NULL };
    CHECK_INT(load(&c, NULL, env2, &err), 0);
    CHECK_STR(c.liveness.target, "tcp://h:1");
    const char *env3[] = { "PINIT_LIVENESS_EXEC=sh -c 'exit 0'", NULL };
    CHECK_INT(load(&c, NULL, env3, &err), -1);
    check_has(err.msg, "PINIT_LIVENESS_EXEC: ");
  }
}

static void printing(void)
{
  struct config c;
  struct config_error err;
  const char *p = write_tmp("[restart]\npolicy = on-failure\n\n[stop]\nsignal = QUIT\n");
  const char *env[] = { "PINIT_RESTART_DELAY_MAX=10s", "SERVICE_PRECONDITION=db:5432",
                        "PINIT_LIVENESS_URL=http://admin:hunter2@localhost:8081/overview", NULL };
  char want[512];
  const char *out;

  CHECK_INT(load(&c, p, env, &err), 0);
  out = print_config(&c);
  snprintf(want, sizeof(want), "restart.policy = on-failure  # %s:2\n", p);
  check_has(out, want);
  snprintf(want, sizeof(want), "stop.signal = QUIT  # %s:5\n", p);
  check_has(out, want);
  check_has(out, "restart.delay_max = 10s  # PINIT_RESTART_DELAY_MAX\n");
  check_has(out, "restart.delay_min = 1s  # default\n");
  check_has(out, "stop.timeout = 8s  # default\n");
  check_has(out, "control.socket =   # default\n");
  check_has(out, "wait.targets = db:5432  # SERVICE_PRECONDITION\n");
  check_has(out, "liveness.url = ");
  check_has(out, "  # PINIT_LIVENESS_URL\n");
  check_has(out, "liveness.tcp =   # default\n");
  /* one line per key, each "section.key = value  # source" */
  {
    int lines = 0;
    for(const char *s = out; *s; s++)
      lines += *s == '\n';
    CHECK_INT(lines, 42);
  }
  /* a password inside a probe URL is a secret: `pinit config` must not print it */
  if(strstr(out, "hunter2"))
    fprintf(stderr, "config_print shows the URL password: %.*s\n",
            (int)strcspn(strstr(out, "liveness.url"), "\n"), strstr(out, "liveness.url"));
  CHECK(strstr(out, "hunter2") == NULL);

  /* the printer survives an invalid fd */
  CHECK_INT(config_print(&c, -1), -1);
}

static void secret_files(void)
{
  struct config_error err;
  struct env_block env;
  const char *f1 = write_tmp("s3cret\n");
  const char *f2 = write_tmp("abc\r\n");
  const char *f3 = write_tmp("a\nb\n\n");
  const char *f4 = write_tmp("");
  char e1[128], e2[128], e3[128], e4[128], e5[128], e6[128], e7[128];
  char *from[] = {
    e1, e2, e3, e4,
    e5, "S3_ACCESS_KEY=explicit",          /* explicit values win */
    e6,                                    /* not Docker-secret style: left alone */
    e7,                                    /* pinit's own variables are not secrets to load */
    "PATH=/bin", NULL
  };
  snprintf(e1, sizeof(e1), "DB_PASSWORD_FILE=%s", f1);
  snprintf(e2, sizeof(e2), "API_TOKEN_FILE=%s", f2);
  snprintf(e3, sizeof(e3), "MY_SECRET_FILE=%s", f3);
  snprintf(e4, sizeof(e4), "EMPTY_KEY_FILE=%s", f4);
  snprintf(e5, sizeof(e5), "S3_ACCESS_KEY_FILE=%s", f1);
  snprintf(e6, sizeof(e6), "SSL_CERT_FILE=%s", f1);
  snprintf(e7, sizeof(e7), "PINIT_SECRET_FILE=%s", f1);

  /* set from the file in the block, one trailing newline removed */
  unsetenv("DB_PASSWORD");
  env_block_init(&env, from);
  CHECK_INT(config_load_secret_files(&env, &err), 0);
  CHECK_STR(env_get(env.v, "DB_PASSWORD"), "s3cret");
  CHECK_STR(env_get(env.v, "API_TOKEN"), "abc");
  CHECK_STR(env_get(env.v, "MY_SECRET"), "a\nb\n");
  CHECK_STR(env_get(env.v, "EMPTY_KEY"), "");
  CHECK_STR(env_get(env.v, "S3_ACCESS_KEY"), "explicit");
  CHECK(env_get(env.v, "SSL_CERT") == NULL);
  CHECK(env_get(env.v, "PINIT_SECRET") == NULL);
  CHECK_STR(env_get(env.v, "PATH"), "/bin");
  CHECK(getenv("DB_PASSWORD") == NULL);    /* the process environment is not touched */
  CHECK(from[0] == e1 && !strncmp(e1, "DB_PASSWORD_FILE=", 17));
  /* idempotent: a second call changes nothing */
  CHECK_INT(config_load_secret_files(&env, &err), 0);
  CHECK_STR(env_get(env.v, "DB_PASSWORD"), "s3cret");
  env_block_free(&env);

  /* nothing to load: nothing copied */
  {
    char *plain[] = { "PATH=/bin", "SSL_CERT_FILE=/etc/ssl/x.pem", NULL };
    env_block_init(&env, plain);
    CHECK_INT(config_load_secret_files(&env, &err), 0);
    CHECK(env.v == plain && env.cap == 0);
    env_block_free(&env);
  }

  /* a missing file is an error naming the variable and the path, never contents */
  {
    char *missing[] = { "REDIS_PASSWORD_FILE=/nonexistent/secret", NULL };
    env_block_init(&env, missing);
    CHECK_INT(config_load_secret_files(&env, &err), -1);
    CHECK_STR(err.msg, "REDIS_PASSWORD_FILE: /nonexistent/secret: No such file or directory");
    CHECK(env_get(env.v, "REDIS_PASSWORD") == NULL);
    env_block_free(&env);
  }

  /* too large (64 KiB and more) is refused */
  {
    static char big[70000];
    char path[64] = "/tmp/pinit-ut-big-XXXXXX", var[128];
    char *bigenv[] = { var, NULL };
    int fd = mkstemp(path);
    memset(big, 'x', sizeof(big));
    CHECK(fd >= 0 && write(fd, big, sizeof(big)) == (ssize_t)sizeof(big));
    close(fd);
    snprintf(var, sizeof(var), "BIG_TOKEN_FILE=%s", path);
    env_block_init(&env, bigenv);
    CHECK_INT(config_load_secret_files(&env, &err), -1);
    check_has(err.msg, "BIG_TOKEN_FILE: ");
    check_has(err.msg, "larger than 64 KiB");
    CHECK(strstr(err.msg, "xxxx") == NULL);
    env_block_free(&env);
    unlink(path);
  }
}

/* ${NAME} and ${NAME:-default} in INI values, from the environment */
static void expansion(void)
{
  static const struct { const char *ini; const char *env[3]; int rc; const char *targets, *msg; } cases[] = {
    { "[wait]\ntargets = tcp://${DBH}:${DBP:-3306}\n", { "DBH=db", NULL }, 0, "tcp://db:3306", NULL },
    { "[wait]\ntargets = tcp://${DBH}:${DBP:-3306}\n", { "DBH=db", "DBP=4000", NULL }, 0, "tcp://db:4000", NULL },
    { "[wait]\ntargets = tcp://h:1 ${EXTRA}\n", { NULL }, 0, "tcp://h:1 ", NULL },          /* unset: empty */
    { "[wait]\ntargets = tcp://h:1 ${EXTRA:-}\n", { "EXTRA=", NULL }, 0, "tcp://h:1 ", NULL },
    { "[wait]\ntargets = tcp://$HOST:1\n", { "HOST=x", NULL }, -1, NULL, "wait.targets: " }, /* no braces: literal, refused */
    { "[wait]\ntargets = tcp://${DBH\n", { NULL }, -1, NULL, ":2: wait.targets: unterminated ${" },
    { "[wait]\ntargets = tcp://${}:1\n", { NULL }, -1, NULL, ":2: wait.targets: bad variable name" },
  };
  for(unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct config cfg;
    struct config_error err;
    int rc = load(&cfg, write_tmp(cases[i].ini), cases[i].env, &err);
    CHECK_INT(rc, cases[i].rc);
    if(rc == 0)
      CHECK_STR(cfg.wait_targets, cases[i].targets);
    else if(!strstr(err.msg, cases[i].msg)) {
      fprintf(stderr, "expansion case %u: error %s, want %s\n", i, err.msg, cases[i].msg);
      CHECK(0);
    }
  }
}

/* The INI file must be a regular file (or /dev/null); nothing else is read, nothing hangs. */
static void file_kinds(void)
{
  struct config c;
  struct config_error err;
  char dir[] = "/tmp/pinit-ut-dirXXXXXX", fifo[64], big[64], want[256];
  int fd;

  alarm(20); /* a FIFO used to block open() for good: fail rather than hang */
  CHECK(mkdtemp(dir) != NULL);
  CHECK_INT(load(&c, dir, NULL, &err), -1);
  snprintf(want, sizeof(want), "%s: a directory, not a regular file", dir);
  CHECK_STR(err.msg, want);

  snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
  CHECK_INT(mkfifo(fifo, 0600), 0);
  CHECK_INT(load(&c, fifo, NULL, &err), -1);
  snprintf(want, sizeof(want), "%s: a FIFO, not a regular file", fifo);
  CHECK_STR(err.msg, want);

  CHECK_INT(load(&c, "/dev/zero", NULL, &err), -1);
  CHECK_STR(err.msg, "/dev/zero: a character device, not a regular file");

  snprintf(big, sizeof(big), "%s/big.ini", dir);
  fd = open(big, O_WRONLY | O_CREAT | O_EXCL, 0600);
  CHECK(fd >= 0 && ftruncate(fd, 2 * 1024 * 1024) == 0);
  close(fd);
  CHECK_INT(load(&c, big, NULL, &err), -1);
  snprintf(want, sizeof(want), "%s: 2097152 bytes: too big for a configuration file (max 1048576)", big);
  CHECK_STR(err.msg, want);

  /* a link another user made (and could swap) is not followed by root; root's is */
  {
    char sub[96], target[112], link[112];
    FILE *f;
    snprintf(sub, sizeof(sub), "%s/conf", dir);
    snprintf(target, sizeof(target), "%s/real.ini", dir);
    snprintf(link, sizeof(link), "%s/pinit.ini", sub);
    f = fopen(target, "w");
    CHECK(f != NULL);
    if(f) {
      fputs("[restart]\npolicy = always\n", f);
      fclose(f);
    }
    CHECK_INT(mkdir(sub, 0755), 0);
    CHECK_INT(symlink(target, link), 0);
    CHECK_INT(load(&c, link, NULL, &err), 0); /* root's link in root's directory */
    CHECK_INT(c.policy, POLICY_ALWAYS);
    CHECK_INT(chown(sub, 65534, 65534), 0);   /* the directory now belongs to another user */
    CHECK_INT(lchown(link, 65534, 65534), 0);
    CHECK_INT(load(&c, link, NULL, &err), -1);
    snprintf(want, sizeof(want), "%s: pinit.ini (owner uid 65534): refused: ", link);
    CHECK(!strncmp(err.msg, want, strlen(want)));
    unlink(link);
    rmdir(sub);
    unlink(target);
  }

  /* the default path, when it is a directory, is refused too: only ENOENT means "no file" */
  CHECK_INT(load(&c, NULL, NULL, &err), 0); /* /dev/null: no settings */
  CHECK_INT(c.policy, POLICY_NEVER);
  alarm(0);
  unlink(big);
  unlink(fifo);
  rmdir(dir);
}

/* notify.fd must be a descriptor the child can have: below RLIMIT_NOFILE. */
static void notify_fd_limit(void)
{
  struct config c;
  struct config_error err;
  struct rlimit saved, low;
  CHECK_INT(getrlimit(RLIMIT_NOFILE, &saved), 0);
  low = saved;
  low.rlim_cur = 64;
  CHECK_INT(setrlimit(RLIMIT_NOFILE, &low), 0);
  {
    const char *env[] = { "PINIT_NOTIFY_FD=63", NULL };
    CHECK_INT(load(&c, NULL, env, &err), 0);
    CHECK_INT(c.notify_fd, 63);
  }
  {
    const char *env[] = { "PINIT_NOTIFY_FD=64", NULL };
    CHECK_INT(load(&c, NULL, env, &err), -1);
    CHECK_STR(err.msg, "PINIT_NOTIFY_FD: 64: above the descriptor limit (RLIMIT_NOFILE 64)");
  }
  CHECK_INT(setrlimit(RLIMIT_NOFILE, &saved), 0);
}

/* inih's settings (cmake/inih.cmake), one row each: what a pinit.ini line does. */
static void inih_settings(void)
{
  static char longc[5100], okc[4100];
  memset(okc, 'x', 4000);
  okc[0] = '#';
  memset(longc, 'x', 5000);
  longc[0] = '#';
  static const struct {
    const char *text;
    int rc;
    const char *targets;    /* wait.targets when rc is 0 */
    const char *err;        /* a piece of the message when rc is -1 */
  } t[] = {
    { "\xef\xbb\xbf[wait]\ntargets = tcp://a:1\n", 0, "tcp://a:1", NULL },            /* BOM */
    { "# c\n; c\n[wait]\ntargets = tcp://a:1 ; a note\n", 0, "tcp://a:1", NULL },      /* comments */
    { "[wait]\ntargets = http://a:1/x#frag\n", 0, "http://a:1/x#frag", NULL },         /* '#' stays */
    { "[wait]\ntargets = tcp://a:1\n  tcp://b:2\n", 0, "tcp://a:1 tcp://b:2", NULL },  /* multiline */
    { "[wait]\ntargets\n", -1, NULL, ":2: syntax error" },                             /* no value */
    { "[wait]\nbad line\ntargets = nope://x\n", -1, NULL, ":2: syntax error" },        /* first error */
  };
  for(size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    struct config c;
    struct config_error err = { "" };
    int rc = load(&c, write_tmp(t[i].text), NULL, &err);
    if(rc != t[i].rc)
      fprintf(stderr, "inih row %zu: %s\n", i, err.msg);
    CHECK_INT(rc, t[i].rc);
    if(!rc && t[i].targets)
      CHECK_STR(c.wait_targets, t[i].targets);
    if(rc && t[i].err)
      CHECK(strstr(err.msg, t[i].err) != NULL);
  }
  {
    struct config c;
    struct config_error err = { "" };
    char ini[5200];
    snprintf(ini, sizeof(ini), "%s\n[wait]\ntargets = tcp://a:1\n", okc);
    CHECK_INT(load(&c, write_tmp(ini), NULL, &err), 0);                 /* 4000 characters */
    snprintf(ini, sizeof(ini), "%s\n[wait]\ntargets = tcp://a:1\n", longc);
    CHECK_INT(load(&c, write_tmp(ini), NULL, &err), -1);                /* 5000: too long */
    CHECK(strstr(err.msg, ":1: line too long") != NULL);
  }
}

int main(void)
{
  defaults();
  expansion();
  ini_file();
  errors();
  two_minute_rule();
  aliases();
  printing();
  secret_files();
  file_kinds();
  notify_fd_limit();
  inih_settings();
  for(int i = 0; i < ntmp; i++)
    unlink(tmpfiles[i]);
  return unit_done("config");
}
