/* config.c - defaults, INI file (inih), environment overrides, validation.
 * See include/pinit/config.h. */
#include "pinit/config.h"
#include "pinit/addr.h"
#include "pinit/strbuf.h"
#include "pinit/env.h"
#include "pinit/duration.h"
#include "pinit/log.h"
#include "pinit/probe.h"
#include "pinit/secret_file.h"
#include "pinit/trusted_path.h"
#include "pinit/wait.h"
#include "pinit/signal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include "pinit_inih.h"   /* generated: cmake/inih.cmake */
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define DEFAULT_CONFIG_PATH "/etc/pinit/pinit.ini"
#define TWO_MINUTES_MS CONFIG_RESTART_BUDGET_MS
#define CONFIG_FILE_MAX (1024 * 1024) /* a bigger "INI file" is a mistake, not a configuration */

enum ktype {
  K_DURATION, K_INT, K_BOOL, K_POLICY, K_GIVEUP, K_SIGNAL, K_STRING, K_TARGETS,
  K_PROBE_URL, K_PROBE_TCP, K_PROBE_EXEC, K_LOGLEVEL, K_LOGFORMAT, K_FORMAT, K_SOCKET, K_FD
};

struct key {
  const char *section, *name;
  enum ktype type;
  size_t off, size;
  const char *def;
};

#define F(field) offsetof(struct config, field), sizeof(((struct config *)0)->field)
#define P(which, field) offsetof(struct config, which.field), sizeof(((struct config *)0)->which.field)

static const struct key keys[] = {
  { "restart", "policy", K_POLICY, F(policy), "never" },
  { "restart", "delay_min", K_DURATION, F(delay_min_ms), "1s" },
  { "restart", "delay_max", K_DURATION, F(delay_max_ms), "30s" },
  { "restart", "reset_after", K_DURATION, F(reset_after_ms), "60s" },
  { "restart", "max_restarts", K_INT, F(max_restarts), "0" },
  { "restart", "window", K_DURATION, F(window_ms), "0s" },
  { "restart", "on_give_up", K_GIVEUP, F(on_give_up), "exit" },
  { "restart", "allow_slow", K_BOOL, F(allow_slow), "false" },
  { "stop", "signal", K_SIGNAL, F(stop_signal), "" },
  { "stop", "timeout", K_DURATION, F(stop_timeout_ms), "8s" },
  { "wait", "targets", K_TARGETS, F(wait_targets), "" },
  { "wait", "timeout", K_DURATION, F(wait_timeout_ms), "5m" },
  { "wait", "interval", K_DURATION, F(wait_interval_ms), "1s" },
  { "liveness", "url", K_PROBE_URL, P(liveness, target), "" },
  { "liveness", "tcp", K_PROBE_TCP, P(liveness, target), "" },
  { "liveness", "exec", K_PROBE_EXEC, P(liveness, target), "" },
  { "liveness", "interval", K_DURATION, P(liveness, interval_ms), "10s" },
  { "liveness", "timeout", K_DURATION, P(liveness, timeout_ms), "5s" },
  { "liveness", "failure_threshold", K_INT, P(liveness, failure_threshold), "3" },
  { "liveness", "start_period", K_DURATION, P(liveness, start_period_ms), "0s" },
  { "readiness", "url", K_PROBE_URL, P(readiness, target), "" },
  { "readiness", "tcp", K_PROBE_TCP, P(readiness, target), "" },
  { "readiness", "exec", K_PROBE_EXEC, P(readiness, target), "" },
  { "readiness", "interval", K_DURATION, P(readiness, interval_ms), "5s" },
  { "readiness", "timeout", K_DURATION, P(readiness, timeout_ms), "5s" },
  { "readiness", "failure_threshold", K_INT, P(readiness, failure_threshold), "1" },
  { "readiness", "start_period", K_DURATION, P(readiness, start_period_ms), "0s" },
  { "notify", "fd", K_FD, F(notify_fd), "0" },
  { "notify", "socket", K_BOOL, F(notify_socket), "false" },
  { "control", "socket", K_SOCKET, F(control_socket), "" }, /* "": per container, control.h */
  { "http", "listen", K_STRING, F(http_listen), "" },
  { "log", "level", K_LOGLEVEL, F(log_level), "" },
  { "log", "format", K_LOGFORMAT, F(log_format), "text" },
  { "flink", "home", K_STRING, F(flink_home), "/opt/flink" },
  { "flink", "conf_dir", K_STRING, F(flink_conf_dir), "" },
  { "flink", "format", K_FORMAT, F(flink_format), "auto" },
  { "flink", "user", K_STRING, F(flink_user), "flink" },
  { "flink", "savepoint_on_stop", K_BOOL, F(flink_savepoint_on_stop), "true" },
  { "flink", "savepoint_timeout", K_DURATION, F(flink_savepoint_timeout_ms), "30s" },
  { "flink", "resume", K_BOOL, F(flink_resume), "true" },
  { "flink", "ready_taskmanagers", K_INT, F(flink_ready_taskmanagers), "1" },
  { "flink", "leader_budget", K_DURATION, F(flink_leader_budget_ms), "60s" },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* The table's defaults as one initializer: config_load() copies it instead of parsing each
 * texts on every start.  config_defaults_check() (run by tests/unit/test_config.c) parses
 * the texts and compares, so the two cannot drift apart. */
static const struct config built_in = {
  .policy = POLICY_NEVER,
  .delay_min_ms = 1000,
  .delay_max_ms = 30000,
  .reset_after_ms = 60000,
  .on_give_up = GIVE_UP_EXIT,
  .stop_timeout_ms = 8000,
  .wait_timeout_ms = 300000,
  .wait_interval_ms = 1000,
  .liveness = { .interval_ms = 10000, .timeout_ms = 5000, .failure_threshold = 3 },
  .readiness = { .interval_ms = 5000, .timeout_ms = 5000, .failure_threshold = 1 },
  .control_socket = "",
  .log_format = LOG_TEXT,
  .flink_home = "/opt/flink",
  .flink_format = "auto",
  .flink_user = "flink",
  .flink_savepoint_on_stop = 1,
  .flink_savepoint_timeout_ms = 30000,
  .flink_resume = 1,
  .flink_ready_taskmanagers = 1,
  .flink_leader_budget_ms = 60000,
};

/* Where each value came from, for `pinit config`. */
struct load_state {
  struct config *cfg;
  struct config_error *err;
  const char *file;
  char **envp;
  int line;
  size_t line_len;  /* bytes of the current physical line read so far */
  int failed;
  const char *source[NKEYS]; /* a static string, or an environment entry "NAME=value" (shown up
                                to '='); NULL once the INI file set the key (file_line) */
  int file_line[NKEYS];
  FILE *fp;
};

static struct load_state *printed_state; /* sources of the last config_load, for config_print */

static int parse_bool(const char *v, int *out)
{
  static const char *const yes[] = { "1", "true", "yes", "on" }, *const no[] = { "0", "false", "no", "off", "" };
  for(unsigned i = 0; i < 4; i++)
    if(!strcasecmp(v, yes[i]))
      return *out = 1, 0;
  for(unsigned i = 0; i < 5; i++)
    if(!strcasecmp(v, no[i]))
      return *out = 0, 0;
  return -1;
}

static int copy_str(char *dst, size_t cap, const char *v)
{
  size_t n = strlen(v);
  if(n >= cap)
    return -1;
  memcpy(dst, v, n + 1);
  return 0;
}

/* Set one key from text.  Returns 0, or -1 with `why` filled. */
/* A whole number 0..1000000 (K_INT, K_FD). */
static int whole_number(const char *v, long *l, char *why, size_t cap)
{
  char *end;
  *l = strtol(v, &end, 10);
  if(!*v || *end || *l < 0 || *l > 1000000)
    return snprintf(why, cap, "%s: not a whole number >= 0", v), -1;
  return 0;
}

/* notify.fd: 0 (off) or a descriptor >= 3 below the descriptor limit the child inherits. */
static int set_fd(int *dst, const char *v, char *why, size_t cap)
{
  struct rlimit rl;
  long l;
  if(whole_number(v, &l, why, cap) < 0)
    return -1;
  if(l && l < 3)
    return snprintf(why, cap, "%ld: must be 3 or more (0 turns it off)", l), -1;
  /* the child inherits pinit's limit: a descriptor at or above it cannot be given */
  if(l && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (rlim_t)l >= rl.rlim_cur)
    return snprintf(why, cap, "%ld: above the descriptor limit (RLIMIT_NOFILE %llu)", l,
                    (unsigned long long)rl.rlim_cur), -1;
  *dst = (int)l;
  return 0;
}

/* liveness.url|tcp|exec (and readiness.*): the probe target text t, with the key's kind
 * as prefix; "" clears the target only if it is of this key's kind. */
static int set_probe(const struct key *k, char *t, const char *v, char *why, size_t cap)
{
  const char *prefix = k->type == K_PROBE_TCP ? "tcp://" : k->type == K_PROBE_EXEC ? "exec:" : "";
  struct probe_target pt;
  struct probe_error perr;
  if(!*v) {
    if(!strncmp(t, prefix, strlen(prefix)) && (*prefix || !strncmp(t, "http", 4)))
      t[0] = '\0';
    return 0;
  }
  if(k->type == K_PROBE_TCP && !strncmp(v, "tcp://", 6))
    prefix = "";
  if(k->type == K_PROBE_URL && strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
    return snprintf(why, cap, "%s: not an http:// or https:// URL", v), -1;
  if((size_t)snprintf(t, k->size, "%s%s", prefix, v) >= k->size)
    return snprintf(why, cap, "too long (max %zu)", k->size - 1), -1;
  if(probe_parse(t, &pt, &perr))
    return snprintf(why, cap, "%s", perr.msg), t[0] = '\0', -1;
  return 0;
}

static int set_value(struct config *cfg, const struct key *k, const char *v, char *why, size_t cap)
{
  void *dst = (char *)cfg + k->off;
  int64_t ms;
  int n;
  long l;
  enum log_level lvl;

  switch(k->type) {
  case K_DURATION:
    if(duration_parse(v, &ms))
      return snprintf(why, cap, "%s: not a duration (like 500ms, 10s, 2m)", v), -1;
    *(int64_t *)dst = ms;
    return 0;
  case K_INT:
    if(whole_number(v, &l, why, cap) < 0)
      return -1;
    *(int *)dst = (int)l;
    return 0;
  case K_FD:
    return set_fd(dst, v, why, cap);
  case K_BOOL:
    if(parse_bool(v, &n))
      return snprintf(why, cap, "%s: not a boolean (true/false)", v), -1;
    *(int *)dst = n;
    return 0;
  case K_POLICY:
    if(!strcmp(v, "never"))
      cfg->policy = POLICY_NEVER;
    else if(!strcmp(v, "on-failure"))
      cfg->policy = POLICY_ON_FAILURE;
    else if(!strcmp(v, "always"))
      cfg->policy = POLICY_ALWAYS;
    else
      return snprintf(why, cap, "%s: unknown policy (always, on-failure, never)", v), -1;
    return 0;
  case K_GIVEUP:
    if(!strcmp(v, "exit"))
      cfg->on_give_up = GIVE_UP_EXIT;
    else if(!strcmp(v, "stay"))
      cfg->on_give_up = GIVE_UP_STAY;
    else
      return snprintf(why, cap, "%s: must be exit or stay", v), -1;
    return 0;
  case K_SIGNAL:
    if(!*v) {
      cfg->stop_signal = 0;
      return 0;
    }
    if((n = signal_parse(v)) < 0)
      return snprintf(why, cap, "%s: not a signal", v), -1;
    if(n == SIGSTOP || n == SIGTSTP || n == SIGTTIN || n == SIGTTOU || n == SIGCONT)
      return snprintf(why, cap, "%s: pauses or continues a process, never stops it", v), -1;
    cfg->stop_signal = n;
    return 0;
  case K_LOGLEVEL:
    if(!*v) {
      cfg->log_level_set = 0;
      return 0;
    }
    if(log_level_parse(v, &lvl))
      return snprintf(why, cap, "%s: unknown level (error, warn, info, debug)", v), -1;
    cfg->log_level = lvl;
    cfg->log_level_set = 1;
    return 0;
  case K_LOGFORMAT:
    if(!strcmp(v, "text"))
      cfg->log_format = LOG_TEXT;
    else if(!strcmp(v, "json"))
      cfg->log_format = LOG_JSON;
    else
      return snprintf(why, cap, "%s: must be text or json", v), -1;
    return 0;
  case K_FORMAT:
    if(strcmp(v, "auto") && strcmp(v, "yaml") && strcmp(v, "legacy"))
      return snprintf(why, cap, "%s: must be auto, yaml or legacy", v), -1;
    return copy_str(dst, k->size, v);
  case K_SOCKET:
    if(*v && v[0] != '@' && v[0] != '/')
      return snprintf(why, cap, "%s: must be @abstract-name or an absolute path", v), -1;
    if(!strcmp(v, "@"))
      return snprintf(why, cap, "@: the abstract name is empty"), -1;
    if(copy_str(dst, k->size, v))
      return snprintf(why, cap, "too long (max %zu)", k->size - 1), -1;
    return 0;
  case K_STRING:
  case K_TARGETS:
    if(copy_str(dst, k->size, v))
      return snprintf(why, cap, "too long (max %zu)", k->size - 1), -1;
    return 0;
  case K_PROBE_URL:
  case K_PROBE_TCP:
  case K_PROBE_EXEC:
    return set_probe(k, dst, v, why, cap);
  }
  return -1;
}

static const struct key *find_key(const char *section, const char *name)
{
  for(size_t i = 0; i < NKEYS; i++)
    if(!strcasecmp(keys[i].section, section) && !strcasecmp(keys[i].name, name))
      return &keys[i];
  return NULL;
}

static int known_section(const char *section)
{
  for(size_t i = 0; i < NKEYS; i++)
    if(!strcasecmp(keys[i].section, section))
      return 1;
  return 0;
}

static void set_source(struct load_state *st, const struct key *k, const char *src)
{
  st->source[k - keys] = src;
}

/* ${NAME} and ${NAME:-default} in an INI value, from the environment (an unset NAME is
 * empty, or the default); a '$' not followed by '{' stays.  So one baked file serves every
 * deployment: targets = tcp://${DATABASE_HOST}:${DATABASE_PORT:-3306}.
 * Returns 0, or -1 with `why` filled (unterminated or too long). */
static int expand(char **envp, const char *in, char *out, size_t cap, char *why, size_t wcap)
{
  struct strbuf sb;
  strbuf_init(&sb, out, cap);
  while(*in) {
    const char *add = in, *end;
    size_t n = 1;
    if(in[0] == '$' && in[1] == '{') {
      char var[128];
      const char *close = strchr(in + 2, '}'), *def = NULL, *v;
      size_t vlen;
      if(!close)
        return snprintf(why, wcap, "unterminated ${ in the value"), -1;
      end = close;
      for(const char *p = in + 2; p < close; p++)
        if(p[0] == ':' && p[1] == '-') {
          def = p + 2;
          end = p;
          break;
        }
      vlen = (size_t)(end - (in + 2));
      if(!vlen || vlen >= sizeof(var))
        return snprintf(why, wcap, "bad variable name in ${...}"), -1;
      memcpy(var, in + 2, vlen);
      var[vlen] = '\0';
      v = env_value(envp, var);
      if(v) {
        add = v;
        n = strlen(v);
      }
      else {
        add = def ? def : "";
        n = def ? (size_t)(close - def) : 0;
      }
      in = close + 1;
    }
    else
      in++;
    if(strbuf_add(&sb, add, n))
      return snprintf(why, wcap, "too long after ${...} expansion"), -1;
  }
  return 0;
}

/* inih callback: returns nonzero on success (inih's convention stays in this file). */
static int ini_cb(void *user, const char *section, const char *name, const char *raw)
{
  struct load_state *st = user;
  const struct key *k;
  char why[256];
  static char value[CONFIG_TARGETS_MAX];

  if(st->failed)
    return 0;
  if(expand(st->envp, raw, value, sizeof(value), why, sizeof(why))) {
    snprintf(st->err->msg, sizeof(st->err->msg), "%s:%d: %s.%s: %s", st->file, st->line, section, name, why);
    st->failed = 1;
    return 0;
  }
  if(!known_section(section)) {
    snprintf(st->err->msg, sizeof(st->err->msg), "%s:%d: [%s]: unknown section", st->file, st->line, section);
    st->failed = 1;
    return 0;
  }
  k = find_key(section, name);
  if(!k) {
    snprintf(st->err->msg, sizeof(st->err->msg), "%s:%d: %s.%s: unknown key", st->file, st->line, section, name);
    st->failed = 1;
    return 0;
  }
  if(st->file_line[k - keys] && k->type == K_TARGETS) {
    /* a continuation line or a second targets= line adds targets */
    char *t = (char *)st->cfg + k->off;
    size_t len = strlen(t);
    if(len + 1 + strlen(value) >= k->size) {
      snprintf(st->err->msg, sizeof(st->err->msg), "%s:%d: %s.%s: too long", st->file, st->line, section, name);
      st->failed = 1;
      return 0;
    }
    t[len] = ' ';
    memcpy(t + len + 1, value, strlen(value) + 1);
    return 1;
  }
  if(st->file_line[k - keys]) {
    snprintf(st->err->msg, sizeof(st->err->msg), "%s:%d: %s.%s: set twice (first on line %d)", st->file, st->line,
             section, name, st->file_line[k - keys]);
    st->failed = 1;
    return 0;
  }
  if(k->type == K_PROBE_URL || k->type == K_PROBE_TCP || k->type == K_PROBE_EXEC) {
    for(size_t i = 0; i < NKEYS; i++) {
      const struct key *o = &keys[i];
      if(o != k && o->off == k->off && st->file_line[i]) {
        snprintf(st->err->msg, sizeof(st->err->msg), "%s:%d: %s.%s: %s.%s is set already (line %d): one probe per section",
                 st->file, st->line, section, name, o->section, o->name, st->file_line[i]);
        st->failed = 1;
        return 0;
      }
    }
  }
  if(set_value(st->cfg, k, value, why, sizeof(why))) {
    snprintf(st->err->msg, sizeof(st->err->msg), "%s:%d: %s.%s: %s", st->file, st->line, section, name,
             log_is_secret_name(name) ? "invalid value" : why);
    st->failed = 1;
    return 0;
  }
  st->file_line[k - keys] = st->line;
  set_source(st, k, NULL);
  return 1;
}

/* inih's line buffer (cmake/inih.cmake), so errors can name a line that is too long. */
#define INI_LINE_MAX PINIT_INI_MAX_LINE

/* A "[section]" line names a known section, even when no key follows it (inih calls back
 * for keys only, so an empty unknown section would otherwise pass unnoticed). */
static void check_section_line(struct load_state *st, const char *line)
{
  const char *p = line, *close;
  char name[64];

  while(*p == ' ' || *p == '\t')
    p++;
  if(*p != '[' || !(close = strchr(p, ']')))
    return; /* not a section header; a broken one is inih's syntax error */
  if((size_t)(close - p - 1) >= sizeof(name)) {
    snprintf(st->err->msg, sizeof(st->err->msg), "%s:%d: [%.*s...]: unknown section", st->file, st->line, 20, p + 1);
    st->failed = 1;
    return;
  }
  memcpy(name, p + 1, (size_t)(close - p - 1));
  name[close - p - 1] = '\0';
  if(!known_section(name)) {
    snprintf(st->err->msg, sizeof(st->err->msg), "%s:%d: [%s]: unknown section", st->file, st->line, name);
    st->failed = 1;
  }
}

/* fgets-style reader that counts physical lines (inih may read a long line in pieces). */
static char *counting_reader(char *str, int num, void *stream)
{
  struct load_state *st = stream;
  char *r = fgets(str, num, st->fp);
  size_t n;
  if(!r)
    return NULL;
  if(!st->line_len)
    st->line++;
  n = strlen(r);
  st->line_len += n;
  if(st->line_len >= INI_LINE_MAX - 3 && !st->failed) {
    snprintf(st->err->msg, sizeof(st->err->msg), "%s:%d: line too long (max %d characters)", st->file, st->line,
             INI_LINE_MAX - 4);
    st->failed = 1;
  }
  if(st->line_len == n && !st->failed)
    check_section_line(st, r);
  if(n && r[n - 1] == '\n')
    st->line_len = 0;
  return r;
}

static const char *file_kind(mode_t m)
{
  return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" : S_ISCHR(m) ? "a character device"
       : S_ISBLK(m) ? "a block device" : "not a regular file";
}

/* The INI file: a regular file of at most CONFIG_FILE_MAX bytes (or /dev/null: no
 * settings).  Opened non-blocking, so a FIFO cannot hang PID 1 in open() or read(); a
 * directory (compose mounts one when the host file is missing) or /dev/zero is refused;
 * a link is followed only when trusted_path.h's rule allows it (root owns it and no other
 * user can swap it). */
static int load_file(struct load_state *st, const char *path, int must_exist)
{
  struct trusted_path_refusal why = {.why = NULL};
  struct stat sb;
  int rc, fd;

  /* root reads it: never through a link another user planted (trusted_path.h) */
  fd = trusted_path_open(AT_FDCWD, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, &why);
  if(fd < 0) {
    char text[512];
    if(errno == ENOENT && !must_exist)
      return 0;
    snprintf(st->err->msg, sizeof(st->err->msg), "%s: %s", path, trusted_path_describe(errno, &why, text, sizeof(text)));
    return -1;
  }
  if(fstat(fd, &sb) < 0) {
    snprintf(st->err->msg, sizeof(st->err->msg), "%s: %s", path, strerror(errno));
    close(fd);
    return -1;
  }
  if(S_ISCHR(sb.st_mode) && sb.st_rdev == makedev(1, 3)) { /* /dev/null: an empty file */
    snprintf(st->cfg->path, sizeof(st->cfg->path), "%s", path);
    close(fd);
    return 0;
  }
  if(!S_ISREG(sb.st_mode) || sb.st_size > CONFIG_FILE_MAX) {
    if(S_ISREG(sb.st_mode))
      snprintf(st->err->msg, sizeof(st->err->msg), "%s: %lld bytes: too big for a configuration file (max %d)", path,
               (long long)sb.st_size, CONFIG_FILE_MAX);
    else
      snprintf(st->err->msg, sizeof(st->err->msg), "%s: %s, not a regular file", path, file_kind(sb.st_mode));
    close(fd);
    return -1;
  }
  st->fp = fdopen(fd, "r");
  if(!st->fp) {
    snprintf(st->err->msg, sizeof(st->err->msg), "%s: %s", path, strerror(errno));
    close(fd);
    return -1;
  }
  snprintf(st->cfg->path, sizeof(st->cfg->path), "%s", path);
  st->file = st->cfg->path;
  /* Debian's inih takes its options at run time: all of them, from cmake/inih.cmake */
  pinit_inih_setup();
  rc = ini_parse_stream(counting_reader, st, ini_cb, st);
  fclose(st->fp);
  st->fp = NULL;
  if(st->failed)
    return -1;
  if(rc) {
    snprintf(st->err->msg, sizeof(st->err->msg), "%s:%d: syntax error (expected [section] or key = value)", path, rc);
    return -1;
  }
  return 0;
}

void config_log_early(char **envp)
{
  const char *f = env_get(envp, "PINIT_LOG_FORMAT");
  if(f && !strcmp(f, "json"))
    log_setup(log_level_get(), LOG_JSON);
}

/* Apply PINIT_<SECTION>_<KEY> and the aliases.  Unknown keys of known sections are errors;
 * other PINIT_* names (PINIT_CONFIG, PINIT_WAIT, ...) are not config keys. */
static int load_env(struct load_state *st, char **envp)
{
  char why[256];
  const char *v;

  for(char **e = envp; e && *e; e++) {
    const char *eq;
    char name[128];
    const struct key *k = NULL;
    size_t nlen;

    if(strncmp(*e, "PINIT_", 6) || !(eq = strchr(*e, '=')) || (nlen = (size_t)(eq - *e)) >= sizeof(name))
      continue;
    memcpy(name, *e, nlen);
    name[nlen] = '\0';
    for(size_t i = 0; i < NKEYS && !k; i++) {
      size_t sl = strlen(keys[i].section);
      if(strncasecmp(name + 6, keys[i].section, sl) || name[6 + sl] != '_')
        continue;
      if(!strcasecmp(name + 6 + sl + 1, keys[i].name))
        k = &keys[i];
    }
    if(!k) {
      int section_known = 0;
      for(size_t i = 0; i < NKEYS; i++) {
        size_t sl = strlen(keys[i].section);
        if(!strncasecmp(name + 6, keys[i].section, sl) && name[6 + sl] == '_')
          section_known = 1;
      }
      if(section_known && strcmp(name, "PINIT_WAIT")) {
        snprintf(st->err->msg, sizeof(st->err->msg), "%s: unknown setting", name);
        return -1;
      }
      continue;
    }
    if(set_value(st->cfg, k, eq + 1, why, sizeof(why))) {
      snprintf(st->err->msg, sizeof(st->err->msg), "%s: %s", name, why);
      return -1;
    }
    set_source(st, k, *e);
  }

  /* aliases */
  if((v = env_value(envp, "PINIT_WAIT"))) {
    const struct key *k = find_key("wait", "targets");
    if(copy_str(st->cfg->wait_targets, sizeof(st->cfg->wait_targets), v)) {
      snprintf(st->err->msg, sizeof(st->err->msg), "PINIT_WAIT: too long");
      return -1;
    }
    set_source(st, k, "PINIT_WAIT");
  }
  if((v = env_value(envp, "SERVICE_PRECONDITION"))) {
    char *t = st->cfg->wait_targets;
    size_t len = strlen(t);
    if(len + 1 + strlen(v) >= sizeof(st->cfg->wait_targets)) {
      snprintf(st->err->msg, sizeof(st->err->msg), "SERVICE_PRECONDITION: too long");
      return -1;
    }
    if(len)
      t[len++] = ' ';
    memcpy(t + len, v, strlen(v) + 1);
    set_source(st, find_key("wait", "targets"), len ? "file/env + SERVICE_PRECONDITION" : "SERVICE_PRECONDITION");
  }
  if((v = env_value(envp, "TINI_SUBREAPER")))
    st->cfg->subreaper = 1;
  if((v = env_value(envp, "TINI_KILL_PROCESS_GROUP")))
    st->cfg->group = 1;
  if((v = env_value(envp, "TINI_VERBOSITY"))) {
    char *end;
    long n = strtol(v, &end, 10);
    if(*end || n < 0 || n > 3) {
      snprintf(st->err->msg, sizeof(st->err->msg), "TINI_VERBOSITY: %s: must be 0-3", v);
      return -1;
    }
    st->cfg->verbosity = (int)n;
  }
  return 0;
}

int64_t config_worst_restart_ms(const struct config *cfg)
{
  int64_t t = cfg->delay_max_ms;
  if(cfg->liveness.target[0])
    t += cfg->liveness.interval_ms * cfg->liveness.failure_threshold + cfg->liveness.timeout_ms + cfg->stop_timeout_ms;
  return t;
}

static int validate(struct config *cfg, struct config_error *err, const char *targets_from)
{
  char a[32], b[32], c[32], d[32], e[32], why[160];
  const struct probe_conf *pcs[2] = { &cfg->liveness, &cfg->readiness };
  const char *names[2] = { "liveness", "readiness" };

  if(cfg->delay_min_ms > cfg->delay_max_ms) {
    snprintf(err->msg, sizeof(err->msg), "restart.delay_min (%s) is above restart.delay_max (%s)",
             duration_format(cfg->delay_min_ms, a, sizeof(a)), duration_format(cfg->delay_max_ms, b, sizeof(b)));
    return -1;
  }
  if(cfg->window_ms && cfg->max_restarts > RESTART_LIMIT_MAX) {
    snprintf(err->msg, sizeof(err->msg), "restart.max_restarts: at most %d when restart.window is set",
             RESTART_LIMIT_MAX);
    return -1;
  }
  for(int i = 0; i < 2; i++) {
    const struct probe_conf *p = pcs[i];
    if(!p->target[0])
      continue;
    if(p->interval_ms < 100 || p->timeout_ms < 10 || p->failure_threshold < 1) {
      snprintf(err->msg, sizeof(err->msg), "%s: interval must be >= 100ms, timeout >= 10ms, failure_threshold >= 1",
               names[i]);
      return -1;
    }
  }
  if(cfg->wait_targets[0]) {
    static struct probe_target targets[WAIT_MAX_TARGETS];
    struct probe_error perr;
    if(wait_list_parse(cfg->wait_targets, targets, WAIT_MAX_TARGETS, &perr) < 0) {
      snprintf(err->msg, sizeof(err->msg), "%s: wait.targets: %s", targets_from, perr.msg);
      return -1;
    }
  }
  if(cfg->http_listen[0] && addr_parse_listen(cfg->http_listen, 0, NULL, NULL, why, sizeof(why)) < 0) {
    snprintf(err->msg, sizeof(err->msg), "http.listen: %s: %s", cfg->http_listen, why);
    return -1;
  }
  if(cfg->policy != POLICY_NEVER && config_worst_restart_ms(cfg) > TWO_MINUTES_MS) {
    if(cfg->liveness.target[0])
      snprintf(err->msg, sizeof(err->msg),
               "2-minute rule: liveness.interval %s x failure_threshold %d + liveness.timeout %s + stop.timeout %s"
               " + restart.delay_max %s = %s > 2m",
               duration_format(cfg->liveness.interval_ms, a, sizeof(a)), cfg->liveness.failure_threshold,
               duration_format(cfg->liveness.timeout_ms, b, sizeof(b)),
               duration_format(cfg->stop_timeout_ms, c, sizeof(c)), duration_format(cfg->delay_max_ms, d, sizeof(d)),
               duration_format(config_worst_restart_ms(cfg), e, sizeof(e)));
    else
      snprintf(err->msg, sizeof(err->msg), "2-minute rule: restart.delay_max %s > 2m",
               duration_format(cfg->delay_max_ms, a, sizeof(a)));
    if(!cfg->allow_slow)
      return -1;
    log_warn("config", "%s (allowed by restart.allow_slow)", err->msg);
    err->msg[0] = '\0';
  }
  return 0;
}

int config_defaults_check(char *why, size_t cap)
{
  static struct config parsed;
  char msg[256];

  memset(&parsed, 0, sizeof(parsed));
  for(size_t i = 0; i < NKEYS; i++) {
    const struct key *k = &keys[i];
    if(!k->def[0] && k->type != K_STRING && k->type != K_TARGETS)
      continue;
    if(set_value(&parsed, k, k->def, msg, sizeof(msg)))
      return snprintf(why, cap, "%s.%s = %s: %s", k->section, k->name, k->def, msg), -1;
  }
  for(size_t i = 0; i < NKEYS; i++) {
    const struct key *k = &keys[i];
    if(memcmp((const char *)&parsed + k->off, (const char *)&built_in + k->off, k->size))
      return snprintf(why, cap, "%s.%s: the initializer differs from the table's \"%s\"", k->section, k->name,
                      k->def), -1;
  }
  if(memcmp(&parsed, &built_in, sizeof(parsed)))
    return snprintf(why, cap, "a field outside the key table has a non-zero default"), -1;
  return 0;
}

int config_load(struct config *cfg, const char *const *role_defaults, char **envp, struct config_error *err)
{
  static struct load_state st;
  char why[256];
  const char *path;
  int must_exist = 0;

  memset(&st, 0, sizeof(st));
  *cfg = built_in;
  err->msg[0] = '\0';
  st.cfg = cfg;
  st.envp = envp;
  st.err = err;
  for(size_t i = 0; i < NKEYS; i++)
    set_source(&st, &keys[i], "default");
  for(const char *const *rd = role_defaults; rd && *rd; rd++) {
    char sec[32], name[64];
    const char *dot = strchr(*rd, '.'), *eq = strchr(*rd, '=');
    const struct key *k;
    if(!dot || !eq || dot > eq || (size_t)(dot - *rd) >= sizeof(sec) || (size_t)(eq - dot - 1) >= sizeof(name)) {
      snprintf(err->msg, sizeof(err->msg), "role default %s: malformed", *rd);
      return -1;
    }
    memcpy(sec, *rd, (size_t)(dot - *rd));
    sec[dot - *rd] = '\0';
    memcpy(name, dot + 1, (size_t)(eq - dot - 1));
    name[eq - dot - 1] = '\0';
    if(!(k = find_key(sec, name)) || set_value(cfg, k, eq + 1, why, sizeof(why))) {
      snprintf(err->msg, sizeof(err->msg), "role default %s: %s", *rd, k ? why : "unknown key");
      return -1;
    }
    set_source(&st, k, "role default");
  }
  path = env_value(envp, "PINIT_CONFIG");
  if(path)
    must_exist = 1;
  else
    path = DEFAULT_CONFIG_PATH;
  if(load_file(&st, path, must_exist))
    return -1;
  if(load_env(&st, envp))
    return -1;
  {
    /* where the wait targets came from, for their error message (only if there are any) */
    const struct key *wk = cfg->wait_targets[0] ? find_key("wait", "targets") : NULL;
    const char *src = wk ? st.source[wk - keys] : NULL;
    char from[CONFIG_PATH_MAX + 64];
    if(!wk)
      from[0] = '\0';
    else if(!src)
      snprintf(from, sizeof(from), "%s:%d", cfg->path, st.file_line[wk - keys]);
    else
      snprintf(from, sizeof(from), "%.*s", (int)(strchr(src, '=') ? (size_t)(strchr(src, '=') - src) : strlen(src)), src);
    if(validate(cfg, err, from))
      return -1;
  }
  printed_state = &st;
  return 0;
}

static const char *value_text(const struct config *cfg, const struct key *k, char *buf, size_t cap)
{
  const void *src = (const char *)cfg + k->off;
  static const char *const policies[] = { "never", "on-failure", "always" };
  static const char *const levels[] = { "error", "warn", "info", "debug" };
  switch(k->type) {
  case K_DURATION: return duration_format(*(const int64_t *)src, buf, cap);
  case K_INT:
  case K_FD: snprintf(buf, cap, "%d", *(const int *)src); return buf;
  case K_BOOL: return *(const int *)src ? "true" : "false";
  case K_POLICY: return policies[cfg->policy];
  case K_GIVEUP: return cfg->on_give_up == GIVE_UP_STAY ? "stay" : "exit";
  case K_SIGNAL: return cfg->stop_signal ? signal_name(cfg->stop_signal, buf, cap) : "(the signal received)";
  case K_LOGLEVEL: return cfg->log_level_set ? levels[cfg->log_level] : "(warn; info when supervising)";
  case K_LOGFORMAT: return cfg->log_format == LOG_JSON ? "json" : "text";
  case K_PROBE_URL: {
    struct probe_target t;
    struct probe_error e;
    if(strncmp(src, "http", 4))
      return "";
    /* the parsed name hides user:password */
    if(probe_parse(src, &t, &e) == 0) {
      snprintf(buf, cap, "%s", t.name);
      return buf;
    }
    return "(invalid)";
  }
  case K_PROBE_TCP: return !strncmp(src, "tcp://", 6) ? (const char *)src + 6 : "";
  case K_PROBE_EXEC: return !strncmp(src, "exec:", 5) ? (const char *)src + 5 : "";
  default: return src;
  }
}

int config_print(const struct config *cfg, int fd)
{
  char line[CONFIG_TARGETS_MAX + 512], buf[PROBE_NAME_MAX + 8];
  for(size_t i = 0; i < NKEYS; i++) {
    const struct key *k = &keys[i];
    const char *v = value_text(cfg, k, buf, sizeof(buf));
    int n;
    if(log_is_secret_name(k->name) && *v)
      v = "(redacted)";
    const char *src = printed_state ? printed_state->source[i] : "default";
    if(!src)
      n = snprintf(line, sizeof(line), "%s.%s = %s  # %s:%d\n", k->section, k->name, v, cfg->path,
                   printed_state->file_line[i]);
    else
      n = snprintf(line, sizeof(line), "%s.%s = %s  # %.*s\n", k->section, k->name, v,
                   (int)(strchr(src, '=') ? (size_t)(strchr(src, '=') - src) : strlen(src)), src);
    if(n > (int)sizeof(line) - 1)
      n = (int)sizeof(line) - 1;
    log_redact_userinfo(line); /* wait targets and URLs may carry user:password */
    n = (int)strlen(line);
    if(write(fd, line, (size_t)n) < 0)
      return -1;
  }
  return 0;
}

int config_load_secret_files(struct env_block *env, struct config_error *err)
{
  return secret_file_load(env, err->msg, sizeof(err->msg));
}
