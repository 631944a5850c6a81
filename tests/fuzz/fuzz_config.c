/* libFuzzer target for the configuration: INI file + environment.
 *
 * Input: INI text, then a NUL byte, then up to 12 environment lines (NAME=value, '\n'
 * separated).  The INI text goes to a memfd read through /proc/self/fd/N (PINIT_CONFIG).
 * config_load must never crash; when it returns 0, every value must be in range and the
 * 2-minute rule must hold; when it returns -1 the message must be a non-empty string. */
#include "pinit/config.h"
#include "pinit/log.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define DURATION_MAX_MS (30LL * 24 * 3600 * 1000)
#define ENV_MAX 12

static void check(int ok, const char *what)
{
  if(!ok) {
    fprintf(stderr, "invariant failed: %s\n", what);
    abort();
  }
}

static int terminated(const char *s, size_t cap)
{
  return memchr(s, '\0', cap) != NULL;
}

static int duration_ok(int64_t ms)
{
  return ms >= 0 && ms <= DURATION_MAX_MS;
}

static void check_probe(const struct probe_conf *p)
{
  check(terminated(p->target, sizeof(p->target)), "probe target terminated");
  check(duration_ok(p->interval_ms) && duration_ok(p->timeout_ms) && duration_ok(p->start_period_ms), "probe durations");
  check(p->failure_threshold >= 0, "failure_threshold >= 0");
  if(p->target[0]) {
    check(p->interval_ms >= 100 && p->timeout_ms >= 10 && p->failure_threshold >= 1, "probe minimums");
    check(!strncmp(p->target, "http://", 7) || !strncmp(p->target, "https://", 8) || !strncmp(p->target, "tcp://", 6) ||
              !strncmp(p->target, "exec:", 5),
          "probe target kind");
  }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  log_setup(LOG_ERROR, LOG_TEXT); /* allow_slow warnings would flood the output */
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const uint8_t *nul = memchr(data, '\0', size);
  size_t ini_len = nul ? (size_t)(nul - data) : size;
  char cfgvar[64], *envp[ENV_MAX + 2], *envbuf = NULL;
  struct config cfg;
  struct config_error err;
  int fd, n = 0, rc;

  fd = memfd_create("pinit-fuzz.ini", MFD_CLOEXEC);
  if(fd < 0)
    abort();
  if(ini_len && write(fd, data, ini_len) != (ssize_t)ini_len)
    abort();
  snprintf(cfgvar, sizeof(cfgvar), "PINIT_CONFIG=/proc/self/fd/%d", fd);
  envp[n++] = cfgvar;
  if(nul) {
    size_t elen = size - ini_len - 1;
    envbuf = malloc(elen + 1);
    memcpy(envbuf, nul + 1, elen);
    envbuf[elen] = '\0'; /* further NULs simply end the list early */
    for(char *line = envbuf; line && *line && n <= ENV_MAX;) {
      char *nl = strchr(line, '\n');
      if(nl)
        *nl = '\0';
      if(strchr(line, '=') && strncmp(line, "PINIT_CONFIG=", 13))
        envp[n++] = line;
      line = nl ? nl + 1 : NULL;
    }
  }
  envp[n] = NULL;

  memset(&err, 0x41, sizeof(err));
  rc = config_load(&cfg, NULL, envp, &err);
  check(rc == 0 || rc == -1, "rc is 0 or -1");
  check(terminated(err.msg, sizeof(err.msg)), "err.msg terminated");
  if(rc == 0) {
    check(err.msg[0] == '\0', "no message on success");
    check(cfg.policy >= POLICY_NEVER && cfg.policy <= POLICY_ALWAYS, "policy");
    check(cfg.on_give_up == GIVE_UP_EXIT || cfg.on_give_up == GIVE_UP_STAY, "on_give_up");
    check(duration_ok(cfg.delay_min_ms) && duration_ok(cfg.delay_max_ms) && duration_ok(cfg.reset_after_ms) &&
              duration_ok(cfg.window_ms) && duration_ok(cfg.stop_timeout_ms) && duration_ok(cfg.wait_timeout_ms) &&
              duration_ok(cfg.wait_interval_ms),
          "durations in range");
    check(cfg.delay_min_ms <= cfg.delay_max_ms, "delay_min <= delay_max");
    check(cfg.max_restarts >= 0, "max_restarts >= 0");
    check(!cfg.window_ms || cfg.max_restarts <= RESTART_LIMIT_MAX, "max_restarts with a window");
    check(cfg.allow_slow == 0 || cfg.allow_slow == 1, "allow_slow bool");
    check(cfg.stop_signal >= 0 && cfg.stop_signal < 65, "stop_signal");
    check(cfg.policy == POLICY_NEVER || cfg.allow_slow || config_worst_restart_ms(&cfg) <= 120000, "2-minute rule");
    check_probe(&cfg.liveness);
    check_probe(&cfg.readiness);
    check(cfg.notify_fd == 0 || cfg.notify_fd >= 3, "notify_fd");
    check(cfg.notify_socket == 0 || cfg.notify_socket == 1, "notify_socket bool");
    check(terminated(cfg.control_socket, sizeof(cfg.control_socket)) &&
              (cfg.control_socket[0] == '@' || cfg.control_socket[0] == '/'),
          "control socket");
    check(terminated(cfg.wait_targets, sizeof(cfg.wait_targets)), "wait targets terminated");
    check(terminated(cfg.http_listen, sizeof(cfg.http_listen)), "http.listen terminated");
    check(terminated(cfg.flink_home, sizeof(cfg.flink_home)) && terminated(cfg.flink_conf_dir, sizeof(cfg.flink_conf_dir)) &&
              terminated(cfg.flink_user, sizeof(cfg.flink_user)),
          "flink strings terminated");
    check(!strcmp(cfg.flink_format, "auto") || !strcmp(cfg.flink_format, "yaml") || !strcmp(cfg.flink_format, "legacy"),
          "flink.format");
    check(!cfg.log_level_set || (cfg.log_level >= LOG_ERROR && cfg.log_level <= LOG_DEBUG), "log.level");
    check(cfg.log_format == LOG_TEXT || cfg.log_format == LOG_JSON, "log.format");
    check(cfg.verbosity >= 0 && cfg.verbosity <= 3, "verbosity");
    {
      int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
      check(config_print(&cfg, null) == 0, "config_print");
      close(null);
    }
  }
  else
    check(err.msg[0] != '\0', "a message on failure");
  close(fd);
  free(envbuf);
  return 0;
}
