/* main.c - argv dispatch only.  Every path returns an exit code here; nothing below exits. */
#include "pinit/config.h"
#include "pinit/exitcode.h"
#include "pinit/cmd.h"
#include "pinit/flink.h"
#include "pinit/log.h"
#include "pinit/opts.h"
#include "pinit/render.h"
#include "pinit/supervisor.h"
#include "pinit/signal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static const char usage[] =
  "usage: pinit [OPTIONS] [--] COMMAND [ARG...]   supervise COMMAND (tini-compatible)\n"
  "       pinit flink ROLE [ARG...]               render Flink's config, wait, run a Flink role\n"
  "       pinit check [--live|--ready]            healthcheck: exit 0 healthy, 1 otherwise\n"
  "       pinit status [--json]                   what pinit and its child are doing\n"
  "       pinit render [--dry-run]                render the Flink config and exit\n"
  "       pinit wait [--timeout D] TARGET...      wait for targets (exit 0, or 69 on timeout)\n"
  "       pinit restart | pinit stop              control the running supervisor\n"
  "       pinit config                            print the effective configuration\n"
  "       pinit --version | --help\n"
  "\n"
  "options: -s subreaper  -g signal the process group  -e CODE remap exit code to 0\n"
  "         -p SIG parent-death signal  -v verbose  -w log reaped orphans\n"
  "See pinit(1) and docs/ for configuration (PINIT_* variables, /etc/pinit/pinit.ini).\n";

static int run_mode(int argc, char **argv)
{
  static struct run_opts opts;
  struct supervisor_spec spec = { 0 };
  char err[200];
  const char *base;

  switch(opts_parse(argc, argv, 1, &opts, err, sizeof(err))) {
  case OPTS_VERSION:
    printf("pinit %s\n", PINIT_VERSION);
    return 0;
  case OPTS_HELP:
    fputs(usage, stdout);
    return 0;
  case OPTS_ERROR:
    log_error("usage", "%s (see pinit --help)", err);
    return EXITCODE_USAGE;
  case OPTS_RUN:
    break;
  }
  spec.argv = argv + opts.cmd_index;
  base = strrchr(spec.argv[0], '/');
  spec.name = base ? base + 1 : spec.argv[0];
  spec.opts = &opts;
  return supervisor_run(&spec, environ);
}

static const struct {
  const char *name;
  int (*fn)(int argc, char **argv, char **envp);
} commands[] = {
  { "check", check_cmd }, { "status", status_cmd }, { "restart", restart_cmd },
  { "stop", stop_cmd },   { "wait", wait_cmd },       { "render", render_cmd },
};

int main(int argc, char **argv)
{
  config_log_early(environ);
  /* client commands first: they must stay cheap (pinit check runs every few seconds) */
  for(size_t i = 0; argc >= 2 && i < sizeof(commands) / sizeof(commands[0]); i++)
    if(!strcmp(argv[1], commands[i].name))
      return commands[i].fn(argc - 1, argv + 1, environ);
  signal_save();
  if(argc >= 2 && !strcmp(argv[1], "config"))
    return config_cmd(argc - 1, argv + 1, environ);
  if(argc >= 2 && !strcmp(argv[1], "flink"))
    return flink_cmd(argc - 1, argv + 1, environ);
  return run_mode(argc, argv);
}
