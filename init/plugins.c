/* plugins.c - ENABLE_BUILT_IN_PLUGINS: plugins/<a>/<a.jar> -> opt/<a.jar>, done as root
 * without following links another user planted.  See include/pinit/plugins.h. */
#include "pinit/plugins.h"
#include "pinit/env.h"
#include "pinit/config.h"
#include "pinit/log.h"
#include "pinit/trusted_path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VAR "ENABLE_BUILT_IN_PLUGINS"

static int fail(const char *what, int err, const struct trusted_path_refusal *why)
{
  char text[512];
  log_error("flink", VAR ": %s: %s", what, trusted_path_describe(err, why, text, sizeof(text)));
  return -1;
}

/* One jar: plugins/<name>/<jar> -> <home>/opt/<jar>. */
static int link_one(int hfd, int pfd, const char *home, const char *jar)
{
  struct trusted_path_refusal why = {.why = NULL};
  char name[NAME_MAX + 1], opt[PATH_MAX], src[PATH_MAX];
  size_t len = strlen(jar);
  int dfd;

  if(len > NAME_MAX || strchr(jar, '/') || jar[0] == '.') {
    log_error("flink", VAR ": %s: not a jar file name in %s/opt", jar, home);
    return -1;
  }
  snprintf(name, sizeof(name), "%.*s", (int)(len > 4 && !strcmp(jar + len - 4, ".jar") ? len - 4 : len), jar);
  snprintf(opt, sizeof(opt), "opt/%s", jar);
  if(snprintf(src, sizeof(src), "%s/opt/%s", home, jar) >= (int)sizeof(src))
    return fail(jar, ENAMETOOLONG, NULL);
  if(faccessat(hfd, opt, F_OK, 0) < 0) {
    log_error("flink", VAR ": %s: no such jar in %s/opt", jar, home);
    return -1;
  }
  if(mkdirat(pfd, name, 0755) < 0 && errno != EEXIST)
    return fail(name, errno, NULL);
  if((dfd = trusted_path_open(pfd, name, O_RDONLY | O_DIRECTORY, &why)) < 0)
    return fail(name, errno, &why);
  if(symlinkat(src, dfd, jar) < 0 && errno != EEXIST) {
    int saved = errno;
    close(dfd);
    return fail(name, saved, NULL);
  }
  close(dfd);
  log_info("flink", "plugin %s enabled", name);
  return 0;
}

int plugins_link(char **envp, const char *home)
{
  struct trusted_path_refusal why = {.why = NULL};
  const char *list = env_value(envp, VAR), *p;
  char jar[NAME_MAX + 2];
  int hfd, pfd, rc = 0;

  if(!list)
    return 0;
  if((hfd = trusted_path_open(AT_FDCWD, home, O_RDONLY | O_DIRECTORY, &why)) < 0)
    return fail(home, errno, &why);
  if((pfd = trusted_path_open(hfd, "plugins", O_RDONLY | O_DIRECTORY, &why)) < 0) {
    int saved = errno;
    close(hfd);
    return fail("plugins", saved, &why);
  }
  for(p = list; !rc && *p; ) {
    size_t n = strcspn(p, ";"), a = 0;
    while(a < n && (p[a] == ' ' || p[a] == '\t' || p[a] == '\n' || p[a] == '\r'))
      a++;
    while(n > a && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\n' || p[n - 1] == '\r'))
      n--;
    if(n > a) {
      if(n - a >= sizeof(jar)) {
        log_error("flink", VAR ": %.40s...: name too long", p + a);
        rc = -1;
        break;
      }
      snprintf(jar, sizeof(jar), "%.*s", (int)(n - a), p + a);
      rc = link_one(hfd, pfd, home, jar);
    }
    p += strcspn(p, ";");
    if(*p == ';')
      p++;
  }
  close(pfd);
  close(hfd);
  return rc;
}
