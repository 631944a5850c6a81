/* test_trusted_path.c - which links and files trusted_path_open() follows, by table, on a
 * tree built here: a root-only dir (Kubernetes-style ..data links), a dir owned by uid
 * 9999 with planted links and a hard link, a sticky dir.  Needs root (chown). */
#include "pinit/trusted_path.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char T[64];

static void mk(const char *rel, const char *text, mode_t mode, uid_t uid)
{
  char p[256];
  snprintf(p, sizeof(p), "%s/%s", T, rel);
  if(text) {
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if(fd < 0 || write(fd, text, strlen(text)) < 0)
      perror(p);
    close(fd);
  }
  else if(mkdir(p, mode) < 0)
    perror(p);
  if(chmod(p, mode) < 0 || chown(p, uid, uid) < 0)
    perror(p);
}

static void ln(const char *target, const char *rel, uid_t uid)
{
  char p[256];
  snprintf(p, sizeof(p), "%s/%s", T, rel);
  if(symlink(target, p) < 0 || lchown(p, uid, uid) < 0)
    perror(p);
}

static const struct {
  const char *path;     /* relative to T; "@" at the start: made absolute */
  int flags;
  int err;              /* 0: opens */
  const char *text;     /* what it reads (files), NULL: not read */
  const char *name;     /* refusal: the component named */
} cases[] = {
  {"root/ok.txt", O_RDONLY, 0, "ok", NULL},
  {"root/config.yaml", O_RDONLY, 0, "K", NULL},            /* -> ..data/config.yaml -> ..2024/ */
  {"root/abs", O_RDONLY, 0, "ok", NULL},                   /* absolute root link */
  {"root/dirlink/", O_RDONLY | O_DIRECTORY, 0, NULL, NULL},
  {"root/dirlink/config.yaml", O_RDONLY, 0, "K", NULL},
  {"root/l1", O_RDONLY, ELOOP, NULL, NULL},                /* l1 -> l2 -> l1 */
  {"root/ok.txt/", O_RDONLY, ENOTDIR, NULL, NULL},
  {"root/missing", O_RDONLY, ENOENT, NULL, NULL},
  {"root/../root/ok.txt", O_RDONLY, 0, "ok", NULL},
  {"user/plain.txt", O_RDONLY, 0, "mine", NULL},
  {"user/evil", O_RDONLY, ELOOP, NULL, "evil"},            /* 9999's link to root's secret */
  {"user/rootlink", O_RDONLY, ELOOP, NULL, "rootlink"},    /* root's link, but 9999 can swap it */
  {"user/conf/ok.txt", O_RDONLY, ELOOP, NULL, "conf"},     /* 9999's link to root's dir */
  {"user/conf", O_RDONLY | O_DIRECTORY, ELOOP, NULL, "conf"},
  {"user/hard", O_RDONLY, EPERM, NULL, "hard"},            /* hard link to root's secret */
  {"user/fifo", O_RDONLY | O_NONBLOCK, 0, NULL, NULL},     /* opens, does not block */
  {"sticky/link", O_RDONLY, 0, "ok", NULL},                /* root's link in a sticky dir */
  {"root/userlink", O_RDONLY, ELOOP, NULL, "userlink"},    /* 9999's link in root's dir */
  {"user/evil", O_PATH, ELOOP, NULL, "evil"},              /* O_PATH: the same rule */
  {"root/config.yaml", O_PATH, 0, NULL, NULL},             /* O_PATH: root's links followed */
};

int main(void)
{
  char p[256], buf[16];
  if(geteuid() != 0) {
    printf("test_trusted_path: skipped, needs root (chown)\n");
    return 0;
  }
  snprintf(T, sizeof(T), "/tmp/pinit-tp-XXXXXX");
  if(!mkdtemp(T))
    return 1;
  chmod(T, 0755);
  mk("root", NULL, 0755, 0);
  mk("root/ok.txt", "ok", 0644, 0);
  mk("root/secret", "S", 0600, 0);
  mk("root/..2024", NULL, 0755, 0);
  mk("root/..2024/config.yaml", "K", 0644, 0);
  ln("..2024", "root/..data", 0);
  ln("..data/config.yaml", "root/config.yaml", 0);
  snprintf(p, sizeof(p), "%s/root/ok.txt", T);
  ln(p, "root/abs", 0);
  ln("..2024", "root/dirlink", 0);
  ln("l2", "root/l1", 0);
  ln("l1", "root/l2", 0);
  ln("secret", "root/userlink", 9999);
  mk("user", NULL, 0755, 9999);
  mk("user/plain.txt", "mine", 0600, 9999);
  ln("../root/secret", "user/evil", 9999);
  ln("../root/ok.txt", "user/rootlink", 0);
  ln("../root", "user/conf", 9999);
  snprintf(p, sizeof(p), "%s/root/secret", T);
  {
    char h[256];
    snprintf(h, sizeof(h), "%s/user/hard", T);
    if(link(p, h) < 0)
      perror(h);
    snprintf(h, sizeof(h), "%s/user/fifo", T);
    if(mkfifo(h, 0666) < 0)
      perror(h);
  }
  mk("sticky", NULL, 01777, 0);
  ln("../root/ok.txt", "sticky/link", 0);

  for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct trusted_path_refusal why = {.why = NULL};
    int fd;
    snprintf(p, sizeof(p), "%s/%s", T, cases[i].path);
    /* half the cases absolute, half relative to a directory descriptor */
    if(i % 2) {
      fd = trusted_path_open(AT_FDCWD, p, cases[i].flags, &why);
    }
    else {
      int d = open(T, O_PATH | O_DIRECTORY);
      fd = trusted_path_open(d, cases[i].path, cases[i].flags, &why);
      close(d);
    }
    if(cases[i].err) {
      if(fd >= 0 || errno != cases[i].err)
        fprintf(stderr, "case %zu (%s):\n", i, cases[i].path);
      CHECK(fd < 0);
      CHECK_INT(errno, cases[i].err);
      if(cases[i].name) {
        CHECK_STR(why.name, cases[i].name);
        CHECK(why.why != NULL);
      }
    }
    else {
      if(fd < 0)
        fprintf(stderr, "case %zu (%s): %s\n", i, cases[i].path, strerror(errno));
      CHECK(fd >= 0);
      if(fd >= 0 && (cases[i].flags & O_PATH)) {
        struct stat st;
        CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode));   /* the target, not the link */
      }
      if(fd >= 0 && cases[i].text) {
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        buf[n > 0 ? n : 0] = 0;
        CHECK_STR(buf, cases[i].text);
      }
    }
    if(fd >= 0)
      close(fd);
  }
  CHECK(trusted_path_open(AT_FDCWD, "", O_RDONLY, NULL) < 0 && errno == ENOENT);
  CHECK(trusted_path_open(AT_FDCWD, "/tmp/x", O_RDONLY | O_CREAT, NULL) < 0 && errno == EINVAL);
  {
    int d = open(T, O_PATH | O_DIRECTORY);
    CHECK_INT(trusted_path_dir_is_root_only(d), 1);
    close(d);
    snprintf(p, sizeof(p), "%s/user", T);
    d = open(p, O_PATH | O_DIRECTORY);
    CHECK_INT(trusted_path_dir_is_root_only(d), 0);
    close(d);
  }
  snprintf(p, sizeof(p), "rm -rf '%s'", T);
  if(system(p) != 0)
    fprintf(stderr, "cannot remove %s\n", T);
  /* the one-line reason shared by every caller */
  {
    struct trusted_path_refusal r = {.why = NULL};
    char text[128];
    CHECK_STR(trusted_path_describe(ENOENT, &r, text, sizeof(text)), "No such file or directory");
    CHECK_STR(trusted_path_describe(ENOENT, NULL, text, sizeof(text)), "No such file or directory");
    snprintf(r.name, sizeof(r.name), "pinit.ini");
    r.uid = 9999;
    r.why = "a symbolic link not owned by root";
    CHECK_STR(trusted_path_describe(ELOOP, &r, text, sizeof(text)),
              "pinit.ini (owner uid 9999): refused: a symbolic link not owned by root");
    CHECK_STR(trusted_path_describe(ELOOP, &r, text, 10), "pinit.ini");
    CHECK(trusted_path_describe(ELOOP, &r, text, 0) == text);
  }
  return unit_done("test_trusted_path");
}
