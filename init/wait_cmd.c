/* wait_cmd.c - `pinit wait`: parse the command line, run a waiter on the default loop.
 * See include/pinit/cmd.h. */
#include "pinit/cmd.h"
#include "pinit/env.h"
#include "pinit/exitcode.h"

#include "pinit/duration.h"
#include "pinit/log.h"
#include "pinit/probe.h"
#include "pinit/wait.h"

#include <ev.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char usage[] =
  "usage: pinit wait [-t|--timeout D] [-i|--interval D] [-a|--attempt-timeout D] [-q] [TARGET...]\n"
  "  TARGET: tcp://HOST:PORT, HOST:PORT, [IPV6]:PORT, http(s)://URL, unix:///PATH,\n"
  "          file:///PATH, 'exec:CMD ARG...'\n"
  "  without TARGETs: the lists in PINIT_WAIT and SERVICE_PRECONDITION\n"
  "  D: 500ms, 10s, 2m ... (timeout 0 = forever; defaults 5m, 1s, 5s)\n"
  "  exit: 0 all up, 69 timed out, 64 usage error, 128+N on signal N\n";

struct wait_run {
  int result;   /* -1 running, else the exit code */
};

static void done_cb(struct waiter *w, int ok, void *arg)
{
  struct wait_run *r = arg;
  r->result = ok ? 0 : EXITCODE_UNAVAILABLE;
  ev_break(w->loop, EVBREAK_ALL);
}

static void signal_cb(struct ev_loop *loop, ev_signal *s, int revents)
{
  struct wait_run *r = s->data;
  log_warn("wait", "interrupted by %s", s->signum == SIGTERM ? "SIGTERM" : "SIGINT");
  r->result = 128 + s->signum;
  ev_break(loop, EVBREAK_ALL);
}

/* "--name=VALUE", or "--name VALUE" / "-x VALUE".  Returns the value or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *shrt, const char *lng, int *matched)
{
  const char *a = argv[*i];
  size_t ll = strlen(lng);

  *matched = 0;
  if(!strncmp(a, lng, ll) && a[ll] == '=') {
    *matched = 1;
    return a + ll + 1;
  }
  if(strcmp(a, lng) && strcmp(a, shrt))
    return NULL;
  *matched = 1;
  if(*i + 1 >= argc)
    return NULL;
  return argv[++*i];
}

static int usage_error(const char *fmt, const char *arg)
{
  char msg[256];
  snprintf(msg, sizeof(msg), fmt, arg);
  log_error("wait", "%s (pinit wait --help)", msg);
  return EXITCODE_USAGE;
}

/* The command line into targets[0..*n), opt and *quiet.  Options may come before or after
 * the targets (a target never starts with '-').  Returns 0 to go on, -1 when --help was
 * printed (exit 0), or the exit code of a usage error (logged). */
static int parse_args(int argc, char **argv, struct probe_target *targets, int *n, struct wait_options *opt,
                      int *quiet)
{
  struct probe_error err;
  int dashdash = 0, rc;

  for(int i = 1; i < argc; i++) {
    const char *a = argv[i], *v;
    int64_t *dst = NULL;
    int m;

    if(!strcmp(a, "--") && !dashdash) {
      dashdash = 1;
      continue;
    }
    if(dashdash || a[0] != '-' || !a[1]) {
      if(*n == WAIT_MAX_TARGETS)
        return usage_error("too many targets (max %s)", "64");
      if(probe_parse(a, &targets[*n], &err) < 0) {
        log_error("wait", "'%s': %s", a, err.msg);
        return EXITCODE_USAGE;
      }
      (*n)++;
      continue;
    }
    if(!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(usage, stdout);
      fflush(stdout);
      return -1;
    }
    if(!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
      *quiet = 1;
      continue;
    }
    if((v = opt_value(argc, argv, &i, "-t", "--timeout", &m)) || m)
      dst = &opt->timeout_ms;
    else if((v = opt_value(argc, argv, &i, "-i", "--interval", &m)) || m)
      dst = &opt->interval_ms;
    else if((v = opt_value(argc, argv, &i, "-a", "--attempt-timeout", &m)) || m)
      dst = &opt->attempt_timeout_ms;
    rc = !dst ? usage_error("unknown option '%s'", a)
       : !v ? usage_error("%s needs a duration", a)
       : duration_parse(v, dst) < 0 ? usage_error("bad duration '%s' (write 500ms, 10s, 2m)", v)
       : dst != &opt->timeout_ms && *dst <= 0 ? usage_error("%s must be more than 0", a) : 0;
    if(rc)
      return rc;
  }
  return 0;
}

/* No target arguments: PINIT_WAIT, then SERVICE_PRECONDITION.  Returns 0 with *n > 0, or
 * the exit code of a usage error (logged). */
static int targets_from_env(char **envp, struct probe_target *targets, int *n)
{
  static const char *const vars[] = { "PINIT_WAIT", "SERVICE_PRECONDITION" };
  struct probe_error err;
  for(size_t k = 0; k < 2; k++) {
    const char *list = env_value(envp, vars[k]);
    int got;
    if(!list)
      continue;
    if((got = wait_list_parse(list, targets + *n, (size_t)(WAIT_MAX_TARGETS - *n), &err)) < 0) {
      log_error("wait", "%s: %s", vars[k], err.msg);
      return EXITCODE_USAGE;
    }
    *n += got;
  }
  if(!*n)
    return usage_error("%s", "no targets: give TARGET arguments, PINIT_WAIT or SERVICE_PRECONDITION");
  return 0;
}

/* Wait for targets[0..n) on the default loop until done or SIGTERM/SIGINT; frees targets
 * once the waiter has its copy.  Returns the exit code. */
static int run_wait(struct probe_target *targets, int n, const struct wait_options *opt)
{
  struct waiter w;
  struct wait_run run = { -1 };
  ev_signal sigterm, sigint;
  struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
  int rc;

  if(!loop || probe_global_init() < 0) {
    log_error("wait", "cannot initialise %s", loop ? "libcurl" : "libev");
    free(targets);
    return EXITCODE_SOFTWARE;
  }
  rc = wait_init(&w, targets, (size_t)n, opt);
  free(targets);
  if(rc < 0) {
    log_error("wait", "cannot set up the wait: %s", strerror(errno));
    return EXITCODE_SOFTWARE;
  }

  ev_signal_init(&sigterm, signal_cb, SIGTERM);
  ev_signal_init(&sigint, signal_cb, SIGINT);
  sigterm.data = sigint.data = &run;
  ev_signal_start(loop, &sigterm);
  ev_signal_start(loop, &sigint);
  signal(SIGPIPE, SIG_IGN);

  if(wait_start(&w, loop, done_cb, &run) < 0) {
    log_error("wait", "cannot start: %s", strerror(errno));
    run.result = EXITCODE_SOFTWARE;
  }
  else
    ev_run(loop, 0);
  rc = run.result < 0 ? EXITCODE_SOFTWARE : run.result;

  wait_free(&w);
  ev_signal_stop(loop, &sigterm);
  ev_signal_stop(loop, &sigint);
  probe_global_cleanup();
  return rc;
}

int wait_cmd(int argc, char **argv, char **envp)
{
  struct wait_options opt;
  struct probe_target *targets;
  int quiet = 0, n = 0, rc;

  wait_options_default(&opt);
  targets = calloc(WAIT_MAX_TARGETS, sizeof(*targets));
  if(!targets) {
    log_error("wait", "out of memory");
    return EXITCODE_SOFTWARE;
  }
  if((rc = parse_args(argc, argv, targets, &n, &opt, &quiet))) {
    free(targets);
    return rc < 0 ? 0 : rc;
  }
  log_setup(quiet ? LOG_ERROR : LOG_INFO, log_format_get());
  if(!n && (rc = targets_from_env(envp, targets, &n))) {
    free(targets);
    return rc;
  }
  return run_wait(targets, n, &opt);
}
