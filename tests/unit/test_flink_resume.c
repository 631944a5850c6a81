/* Table tests for flink_resume.c: trees of savepoints and checkpoints built in a temporary
 * directory, with chosen modification times, and the one that must be picked. */
#include "pinit/flink_resume.h"
#include "unit.h"

#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char root[64];

static void sh(const char *fmt, const char *a, const char *b)
{
  char cmd[1024];
  snprintf(cmd, sizeof(cmd), fmt, a, b);
  CHECK_INT(system(cmd), 0);
}

/* One line per entry, relative to root:
 *   "d PATH"         a directory
 *   "m PATH T"       a 10-byte file with mtime T (a complete _metadata)
 *   "e PATH T"       an empty file with mtime T (a _metadata being written)
 *   "l PATH TARGET"  a symbolic link to root/TARGET */
static void build(const char *const *spec)
{
  sh("rm -rf %s/sp %s/ck", root, root);
  sh("rm -rf %s/elsewhere%s", root, "");
  for(size_t i = 0; spec[i]; i++) {
    char kind, arg[256], extra[256] = "", path[512], dir[512];
    if(sscanf(spec[i], "%c %255s %255s", &kind, arg, extra) < 2)
      abort();
    snprintf(path, sizeof(path), "%s/%s", root, arg);
    snprintf(dir, sizeof(dir), "%s", path);
    sh("mkdir -p %s%s", kind == 'd' ? path : dirname(dir), "");
    if(kind == 'm' || kind == 'e') {
      int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      struct timespec ts[2] = { { atol(extra), 0 }, { atol(extra), 0 } };
      CHECK(fd >= 0);
      if(kind == 'm')
        CHECK_INT(write(fd, "0123456789", 10), 10);
      close(fd);
      CHECK_INT(utimensat(AT_FDCWD, path, ts, 0), 0);
    }
    else if(kind == 'l') {
      char target[512];
      snprintf(target, sizeof(target), "%s/%s", root, extra);
      CHECK_INT(symlink(target, path), 0);
    }
  }
}

struct tcase {
  const char *name;
  const char *spec[12];
  const char *want;   /* path under root, NULL: nothing */
  int savepoint;
};

static const struct tcase cases[] = {
  { "empty directories", { "d sp", "d ck", NULL }, NULL, 0 },
  { "one checkpoint", { "m ck/j1/chk-3/_metadata 100", "d ck/j1/shared", NULL }, "ck/j1/chk-3", 0 },
  { "partial newest checkpoint skipped",
    { "m ck/j1/chk-3/_metadata 100", "d ck/j1/chk-4", "e ck/j1/chk-5/_metadata 300", NULL }, "ck/j1/chk-3", 0 },
  { "newest across job ids",
    { "m ck/j1/chk-9/_metadata 100", "m ck/j2/chk-2/_metadata 200", "m ck/j3/chk-7/_metadata 150", NULL },
    "ck/j2/chk-2", 0 },
  { "savepoint newer than checkpoint",
    { "m ck/j1/chk-9/_metadata 100", "m sp/savepoint-aa-bb/_metadata 200", NULL }, "sp/savepoint-aa-bb", 1 },
  { "checkpoint newer than savepoint",
    { "m ck/j1/chk-9/_metadata 300", "m sp/savepoint-aa-bb/_metadata 200", NULL }, "ck/j1/chk-9", 0 },
  { "same time: savepoint wins",
    { "m ck/j1/chk-9/_metadata 200", "m sp/savepoint-aa-bb/_metadata 200", NULL }, "sp/savepoint-aa-bb", 1 },
  { "same time: higher chk wins",
    { "m ck/j1/chk-10/_metadata 200", "m ck/j1/chk-9/_metadata 200", NULL }, "ck/j1/chk-10", 0 },
  { "not chk-N names ignored",
    { "m ck/j1/chk-2/_metadata 100", "m ck/j1/shared/_metadata 900", "m ck/j1/chk-x/_metadata 900",
      "m ck/j1/taskowned/_metadata 900", NULL }, "ck/j1/chk-2", 0 },
  { "links are not followed",
    { "m ck/j1/chk-2/_metadata 100", "m elsewhere/chk-1/_metadata 900", "l ck/j2 elsewhere",
      "d ck/j3/chk-8", "l ck/j3/chk-8/_metadata elsewhere/chk-1/_metadata", "l sp/savepoint-x elsewhere/chk-1", NULL },
    "ck/j1/chk-2", 0 },
  { "a _metadata directory or a file in place of a directory",
    { "d ck/j1/chk-4/_metadata", "m ck/j1/chk-3/_metadata 100", "m ck/chk-9 900", "m sp/savepoint-f 900", NULL },
    "ck/j1/chk-3", 0 },
  { "the top directory a link: nothing", { "m elsewhere/j1/chk-1/_metadata 100", "l ck elsewhere", NULL }, NULL, 0 },
};

static void tables(void)
{
  char sp[128], ck[128];
  snprintf(sp, sizeof(sp), "file://%s/sp", root);
  snprintf(ck, sizeof(ck), "file:%s/ck/", root);
  for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    static struct flink_resume_pick pick;
    char why[256], want[256];
    int rc;
    build(cases[i].spec);
    rc = flink_resume_find(sp, ck, &pick, why, sizeof(why));
    if(rc != (cases[i].want != NULL))
      fprintf(stderr, "case \"%s\": rc %d (%s)\n", cases[i].name, rc, why);
    CHECK_INT(rc, cases[i].want != NULL);
    if(rc == 1 && cases[i].want) {
      snprintf(want, sizeof(want), "%s/%s", root, cases[i].want);
      if(strcmp(pick.path, want))
        fprintf(stderr, "case \"%s\":\n", cases[i].name);
      CHECK_STR(pick.path, want);
      CHECK_INT(pick.savepoint, cases[i].savepoint);
    }
  }
}

static void misc(void)
{
  static struct flink_resume_pick pick;
  char why[256];
  char *const a1[] = { "bash", "standalone-job.sh", "start-foreground", "--fromSavepoint", "/x", NULL };
  char *const a2[] = { "bash", "x", "--fromSavepoint=/x", NULL };
  char *const a3[] = { "bash", "x", "-s", "/x", NULL };
  char *const a4[] = { "bash", "x", "--job-classname", "C", NULL };
  char *const a5[] = { "bash", "x", "--fromSavepoint", NULL };
  char *const a6[] = { "bash", "x", "-Dexecution.savepoint.path=/x", NULL };

  CHECK_STR(flink_resume_local("file:///opt/flink/savepoints"), "/opt/flink/savepoints");
  CHECK_STR(flink_resume_local("file:/opt/x"), "/opt/x");
  CHECK_STR(flink_resume_local("/opt/x"), "/opt/x");
  CHECK(flink_resume_local("s3://bucket/x") == NULL);
  CHECK(flink_resume_local("relative") == NULL);
  CHECK(flink_resume_local("") == NULL);
  CHECK(flink_resume_local(NULL) == NULL);
  CHECK_INT(flink_resume_explicit(a1), 1);
  CHECK_INT(flink_resume_explicit(a2), 1);
  CHECK_INT(flink_resume_explicit(a3), 1);
  CHECK_INT(flink_resume_explicit(a4), 0);
  CHECK_INT(flink_resume_explicit(a5), 0);
  CHECK_INT(flink_resume_explicit(a6), 1);
  CHECK_INT(flink_resume_find("s3://b/sp", "", &pick, why, sizeof(why)), 0);
  CHECK(strstr(why, "s3://b/sp: not a local directory") != NULL);
  CHECK_INT(flink_resume_find(NULL, NULL, &pick, NULL, 0), 0);
}

int main(void)
{
  snprintf(root, sizeof(root), "/tmp/pinit-resume-XXXXXX");
  if(!mkdtemp(root))
    return 1;
  tables();
  misc();
  sh("rm -rf %s%s", root, "");
  return unit_done("flink_resume");
}
