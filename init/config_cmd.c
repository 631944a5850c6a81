/* config_cmd.c - `pinit config`: print the effective configuration.  See include/pinit/cmd.h. */
#include "pinit/cmd.h"
#include "pinit/config.h"
#include "pinit/exitcode.h"
#include "pinit/log.h"

#include <unistd.h>

int config_cmd(int argc, char **argv, char **envp)
{
  static struct config cfg;
  struct config_error err;
  (void)argc;
  (void)argv;
  if(config_load(&cfg, NULL, envp, &err)) {
    log_error("config", "%s", err.msg);
    return EXITCODE_CONFIG;
  }
  return config_print(&cfg, STDOUT_FILENO) ? 1 : 0;
}
