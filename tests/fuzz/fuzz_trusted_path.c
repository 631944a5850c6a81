/* libFuzzer target for trusted_path_open(): the input is a path (bytes up to the first NUL,
 * at most 1024), resolved relative to a small tree built once in /tmp:
 *
 *   T/ok.txt                 root's file
 *   T/..2024/config.yaml     root's dir and file
 *   T/..data -> ..2024       root's links, Kubernetes-style
 *   T/config.yaml -> ..data/config.yaml
 *   T/abs -> T/ok.txt        absolute
 *   T/l1 -> l2, T/l2 -> l1   a loop
 *   T/up -> ..               relative, upwards
 *   T/hidden/forbidden       what the planted link points at
 *   T/user/ (uid 9999)       evil -> ../hidden/forbidden (owned by 9999, when root)
 *
 * Opened with O_PATH (nothing on the machine is really opened, no device driver runs).
 * Invariants: -1 comes with errno set; no descriptor leaks; and a path that does not name
 * "hid" itself never reaches T/hidden/forbidden (only the planted link leads there). */
#include "pinit/trusted_path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int tree = -1;
static struct stat forbidden;
static char T[64] = "/tmp/pinit-fuzz-tp-XXXXXX";

static void cleanup(void)
{
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", T);
  if(system(cmd) != 0)
    fprintf(stderr, "cannot remove %s\n", T);
}

static void check(int ok, const char *what)
{
  if(!ok) {
    fprintf(stderr, "invariant failed: %s\n", what);
    abort();
  }
}

static void setup(void)
{
  char *t = T, p[128], q[128];
  if(!mkdtemp(t))
    abort();
  atexit(cleanup);
  chmod(t, 0755);
#define P(name) (snprintf(p, sizeof(p), "%s/%s", t, name), p)
  close(open(P("ok.txt"), O_WRONLY | O_CREAT, 0644));
  mkdir(P("..2024"), 0755);
  close(open(P("..2024/config.yaml"), O_WRONLY | O_CREAT, 0644));
  symlink("..2024", P("..data"));
  symlink("..data/config.yaml", P("config.yaml"));
  snprintf(q, sizeof(q), "%s/ok.txt", t);
  symlink(q, P("abs"));
  symlink("l2", P("l1"));
  symlink("l1", P("l2"));
  symlink("..", P("up"));
  mkdir(P("hidden"), 0700);
  close(open(P("hidden/forbidden"), O_WRONLY | O_CREAT, 0600));
  if(stat(p, &forbidden) < 0)
    abort();
  mkdir(P("user"), 0755);
  if(chown(p, 9999, 9999) < 0) {
    /* not root: the planted link is then the fuzzer's own, still never followed by root's rule */
  }
  symlink("../hidden/forbidden", P("user/evil"));
  if(lchown(p, 9999, 9999) < 0) {
  }
#undef P
  tree = open(t, O_PATH | O_DIRECTORY);
  if(tree < 0)
    abort();
}

static int count_fds(void)
{
  int n = 0;
  for(int fd = 0; fd < 256; fd++)
    n += fcntl(fd, F_GETFD) >= 0;
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char path[1025];
  struct stat st;
  size_t n = 0;
  if(tree < 0)
    setup();
  while(n < size && n < sizeof(path) - 1 && data[n])
    path[n] = (char)data[n], n++;
  path[n] = 0;
  int before = count_fds();
  errno = 0;
  int fd = trusted_path_open(tree, path, O_PATH, NULL);
  if(fd < 0) {
    check(errno != 0, "-1 without errno");
  }
  else {
    check(fstat(fd, &st) == 0, "fstat of the result");
    if(!strstr(path, "hid"))
      check(!(st.st_dev == forbidden.st_dev && st.st_ino == forbidden.st_ino), "reached the forbidden file");
    close(fd);
  }
  check(count_fds() == before, "descriptor leak");
  return 0;
}
