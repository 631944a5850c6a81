/* flink_conf.h - the render step shared by `pinit flink ROLE` and `pinit render`: one code
 * path, so `pinit render --dry-run` previews exactly the file a container start writes.
 *
 * Sources of the settings, as `pinit flink` has always read them:
 *   Flink home  FLINK_HOME when non-empty, else [flink] home (PINIT_FLINK_HOME; /opt/flink)
 *   conf dir    [flink] conf_dir (PINIT_FLINK_CONF_DIR) when set, else FLINK_CONF_DIR, else
 *               <home>/conf
 *   format      the caller's when not RENDER_AUTO (--format), else [flink] format
 *               (PINIT_FLINK_FORMAT): auto, yaml or legacy
 *   pins        the role's pinned keys (flink_role_pins)
 * NAME_FILE secrets are the caller's job (config_load_secret_files) before envp is taken.
 */
#ifndef PINIT_FLINK_CONF_H
#define PINIT_FLINK_CONF_H

#include "pinit/config.h"
#include "pinit/render.h"

#include <limits.h>

struct flink_conf {
  char conf_dir[PATH_MAX];     /* the dir that holds the result: FLINK_CONF_DIR for the child */
  struct render_result res;    /* what Flink will read: render_get(&fc->res, key) */
};

/* The Flink home for cfg and envp (above).  Returns a string owned by cfg or envp. */
const char *flink_conf_home(const struct config *cfg, char **envp);

/* Render (or with dry_run print) the Flink configuration for `role` (NULL: none) with the
 * settings above.  Returns 0 and fills *out (flink_conf_free it); or -1 after one error line
 * was logged (the caller exits 78), *out zeroed.  Blocks on disk I/O and maybe DNS
 * (hostname -f for jobmanager.rpc.address): call before the event loop runs. */
int flink_conf_render(const struct config *cfg, char **envp, const char *role, enum render_format format,
                      int dry_run, struct flink_conf *out);

/* Free what flink_conf_render() filled (safe on a zeroed struct). */
void flink_conf_free(struct flink_conf *fc);

#endif
