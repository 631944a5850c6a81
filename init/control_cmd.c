/* control_cmd.c - pinit check / status / restart / stop.  See include/pinit/cmd.h. */
#include "pinit/cmd.h"
#include "pinit/env.h"
#include "pinit/exitcode.h"
#include "pinit/config.h"
#include "pinit/control.h"
#include "pinit/log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The socket name: PINIT_CONTROL_SOCKET, else the config file's, else the per-container
 * default (control.h). */
static const char *socket_name(char **envp)
{
  static struct config cfg;
  static char name[CTL_NAME_MAX];
  struct config_error err;
  const char *v = env_value(envp, "PINIT_CONTROL_SOCKET");
  if(v)
    return v;
  if(config_load(&cfg, NULL, envp, &err) == 0)
    return control_socket_name(cfg.control_socket, name, sizeof(name));
  return control_socket_name(NULL, name, sizeof(name));
}

static void say(int fd, const char *text)
{
  char line[CTL_REPLY_MAX + 2];
  int n = snprintf(line, sizeof(line), "%s\n", text);
  if(n > 0 && write(fd, line, (size_t)n) < 0)
    return;
}

int check_cmd(int argc, char **argv, char **envp)
{
  enum control_verb verb = CTL_LIVE;
  char text[CTL_REPLY_MAX];
  int code;

  for(int i = 1; i < argc; i++) {
    if(!strcmp(argv[i], "--ready"))
      verb = CTL_READY;
    else if(!strcmp(argv[i], "--live"))
      verb = CTL_LIVE;
    else {
      say(STDOUT_FILENO, "usage: pinit check [--live|--ready]");
      return 1; /* a healthcheck never exits 2 (reserved by Docker) nor 64 */
    }
  }
  code = control_request(socket_name(envp), verb, CTL_DEADLINE_MS, text, sizeof(text));
  say(STDOUT_FILENO, text);
  return code == 0 ? 0 : 1;
}

int status_cmd(int argc, char **argv, char **envp)
{
  enum control_verb verb = CTL_STATUS;
  char text[CTL_REPLY_MAX];
  int code;

  for(int i = 1; i < argc; i++) {
    if(!strcmp(argv[i], "--json"))
      verb = CTL_STATUS_JSON;
    else {
      log_error("usage", "pinit status [--json]");
      return EXITCODE_USAGE;
    }
  }
  code = control_request(socket_name(envp), verb, CTL_DEADLINE_MS, text, sizeof(text));
  if(code != 0 && code != EXITCODE_STATUS_NOT_RUNNING) {
    /* no supervisor, or one that did not answer this caller (busy, or the caller is outside
     * its PID namespace): nothing is known about the child, so the contract's 4 */
    if(verb == CTL_STATUS_JSON)
      printf("{\"error\":\"%s\"}\n", code < 0 ? "supervisor unreachable" : "supervisor did not answer");
    log_error("status", "%s", text);
    return EXITCODE_STATUS_UNREACHABLE;
  }
  say(STDOUT_FILENO, text);
  return code;
}

static int mutate(int argc, char **argv, char **envp, enum control_verb verb)
{
  char text[CTL_REPLY_MAX];
  int code;
  if(argc > 1) {
    log_error("usage", "pinit %s takes no arguments", argv[0]);
    return EXITCODE_USAGE;
  }
  code = control_request(socket_name(envp), verb, CTL_DEADLINE_MS, text, sizeof(text));
  if(code < 0) {
    log_error(argv[0], "%s", text);
    return 1;
  }
  say(code ? STDERR_FILENO : STDOUT_FILENO, text);
  return code;
}

int restart_cmd(int argc, char **argv, char **envp)
{
  return mutate(argc, argv, envp, CTL_RESTART);
}

int stop_cmd(int argc, char **argv, char **envp)
{
  return mutate(argc, argv, envp, CTL_STOP);
}
