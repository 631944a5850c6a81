/* render_cmd.c - `pinit render [--dry-run] [--format auto|yaml|legacy]`.
 * See include/pinit/render.h. */
#include "pinit/render.h"
#include "pinit/exitcode.h"
#include "pinit/log.h"

#include <stdio.h>
#include <string.h>


static const char usage[] = "usage: pinit render [--dry-run] [--format auto|yaml|legacy]";

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

int cmd_render(int argc, char **argv, char **envp)
{
  struct render_opts o;
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
             "  --format FORMAT   auto (the file this Flink version reads), yaml or legacy\n", usage);
      return 0;
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
  return render_flink_config(envp, &o, NULL, 0) ? EXITCODE_CONFIG : 0;
}
