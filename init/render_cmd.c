/* render_cmd.c - `pinit render [--dry-run] [--format auto|yaml|legacy] [--role ROLE]`: the
 * render step of `pinit flink ROLE` (flink_conf_render), and nothing else.
 * See include/pinit/render.h. */
#include "pinit/cmd.h"
#include "pinit/render.h"
#include "pinit/exitcode.h"
#include "pinit/config.h"
#include "pinit/env_block.h"
#include "pinit/flink_conf.h"
#include "pinit/log.h"

#include <stdio.h>
#include <string.h>


static const char usage[] = "usage: pinit render [--dry-run] [--format auto|yaml|legacy] [--role ROLE]";

static int parse_format(const char *s, enum render_format *out)
{
  static const char *const names[] = { "auto", "yaml", "legacy" };
  for(int i = 0; i < 3; i++) {
    if(!strcmp(s, names[i])) {
      *out = (enum render_format)i;
      return 0;
    }
  }
  return -1;
}


int render_cmd(int argc, char **argv, char **envp)
{
  static struct config cfg;
  struct flink_conf fc;
  struct config_error err;
  struct render_opts o;
  const char *role = NULL;
  struct env_block env;
  int rc;
  memset(&o, 0, sizeof(o));
  for(int i = 1; i < argc; i++) {
    const char *a = argv[i], *val = NULL;
    if(!strcmp(a, "--dry-run") || !strcmp(a, "-n"))
      o.dry_run = 1;
    else if(!strcmp(a, "-h") || !strcmp(a, "--help")) {
      printf("%s\n"
             "Render the Flink configuration (config.yaml or flink-conf.yaml in FLINK_CONF_DIR,\n"
             "else $FLINK_HOME/conf) from the environment and FLINK_PROPERTIES, and exit.\n"
             "  -n, --dry-run     print the rendered file on stdout, write nothing\n"
             "  --format FORMAT   auto (the file this Flink version reads), yaml or legacy;\n"
             "                    default: [flink] format (PINIT_FLINK_FORMAT)\n"
             "  --role ROLE       add the role's pinned keys, as `pinit flink ROLE` does\n"
             "The same step as `pinit flink ROLE`: NAME_FILE secrets, FLINK_HOME, [flink] home,\n"
             "conf_dir and format (PINIT_FLINK_*) apply.\n", usage);
      return 0;
    }
    else if(!strcmp(a, "--role")) {
      if(++i == argc) {
        log_error("render", "--role needs a value (%s)", usage);
        return EXITCODE_USAGE;
      }
      role = argv[i];
    }
    else if(!strncmp(a, "--format=", 9))
      val = a + 9;
    else if(!strcmp(a, "--format")) {
      if(++i == argc) {
        log_error("render", "--format needs a value (%s)", usage);
        return EXITCODE_USAGE;
      }
      val = argv[i];
    }
    else {
      log_error("render", "unknown argument '%s' (%s)", a, usage);
      return EXITCODE_USAGE;
    }
    if(val && parse_format(val, &o.format)) {
      log_error("render", "--format: '%s' is not auto, yaml or legacy", val);
      return EXITCODE_USAGE;
    }
  }
  env_block_init(&env, envp);   /* envp + NAME_FILE secrets */
  if(config_load_secret_files(&env, &err) || config_load(&cfg, NULL, env.v, &err)) {
    log_error("config", "%s", err.msg);
    env_block_free(&env);
    return EXITCODE_CONFIG;
  }
  rc = flink_conf_render(&cfg, env.v, role, o.format, o.dry_run, &fc) < 0 ? EXITCODE_CONFIG : 0;
  flink_conf_free(&fc);
  env_block_free(&env);
  return rc;
}
