/* flink_conf.c - the render step of `pinit flink ROLE` and `pinit render`.
 * See include/pinit/flink_conf.h. */
#include "pinit/flink_conf.h"
#include "pinit/env.h"
#include "pinit/flink.h"

#include <string.h>

const char *flink_conf_home(const struct config *cfg, char **envp)
{
  const char *home = env_value(envp, "FLINK_HOME");
  return home ? home : cfg->flink_home;
}

static enum render_format format_of(const char *name)
{
  return !strcmp(name, "yaml") ? RENDER_YAML : !strcmp(name, "legacy") ? RENDER_LEGACY : RENDER_AUTO;
}

int flink_conf_render(const struct config *cfg, char **envp, const char *role, enum render_format format,
                      int dry_run, struct flink_conf *out)
{
  struct render_opts o;
  memset(out, 0, sizeof(*out));
  memset(&o, 0, sizeof(o));
  o.flink_home = flink_conf_home(cfg, envp);
  o.conf_dir = cfg->flink_conf_dir[0] ? cfg->flink_conf_dir : NULL;
  o.format = format != RENDER_AUTO ? format : format_of(cfg->flink_format);
  o.pins = role ? flink_role_pins(role) : NULL;
  o.dry_run = dry_run;
  o.result = &out->res;
  if(render_flink_config(envp, &o, out->conf_dir, sizeof(out->conf_dir)) < 0) {
    memset(out, 0, sizeof(*out));
    return -1;
  }
  return 0;
}

void flink_conf_free(struct flink_conf *fc)
{
  render_result_free(&fc->res);
}
