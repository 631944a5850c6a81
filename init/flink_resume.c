/* flink_resume.c - the newest complete savepoint or retained checkpoint.
 * See include/pinit/flink_resume.h. */
#include "pinit/flink_resume.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *flink_resume_local(const char *uri)
{
  if(!uri)
    return NULL;
  if(!strncmp(uri, "file://", 7))
    uri += 7;
  else if(!strncmp(uri, "file:", 5))
    uri += 5;
  return uri[0] == '/' ? uri : NULL;
}

int flink_resume_explicit(char *const *argv)
{
  for(size_t i = 0; argv && argv[i]; i++) {
    const char *a = argv[i];
    if(!strcmp(a, "--fromSavepoint") || !strcmp(a, "-s"))
      return argv[i + 1] != NULL;
    if(!strncmp(a, "--fromSavepoint=", 16) || !strncmp(a, "-Dexecution.savepoint.path=", 27))
      return 1;
  }
  return 0;
}

/* openat(dirfd, name) as a directory, never following a link. */
static int open_dir(int dirfd, const char *name)
{
  return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* The directory fd holds a complete _metadata: its mtime into *ns, 1; else 0. */
static int complete(int fd, int64_t *ns)
{
  struct stat st;
  if(fstatat(fd, "_metadata", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
    return 0;
  *ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
  return 1;
}

/* chk-N: N, or -1 for another name. */
static long chk_number(const char *name)
{
  char *end;
  long n;
  if(strncmp(name, "chk-", 4) || name[4] < '0' || name[4] > '9')
    return -1;
  errno = 0;
  n = strtol(name + 4, &end, 10);
  return *end || errno ? -1 : n;
}

/* Is (ns, savepoint, chk, name) newer than the current pick? */
static int newer(const struct flink_resume_pick *cur, int have, int64_t ns, int sp, long chk, const char *path)
{
  if(!have || ns != cur->mtime_ns)
    return !have || ns > cur->mtime_ns;
  if(sp != cur->savepoint)
    return sp;
  if(chk != cur->chk)
    return chk > cur->chk;
  return strcmp(path, cur->path) > 0;
}

struct scan {
  struct flink_resume_pick *out;
  int have;
  char *why;
  size_t cap;
};

static void consider(struct scan *s, int fd, const char *path, int sp, long chk)
{
  int64_t ns;
  if(!complete(fd, &ns) || strlen(path) >= sizeof(s->out->path))
    return;
  if(newer(s->out, s->have, ns, sp, chk, path)) {
    snprintf(s->out->path, sizeof(s->out->path), "%s", path);
    s->out->mtime_ns = ns;
    s->out->savepoint = sp;
    s->out->chk = chk;
    s->have = 1;
  }
}

static void note(struct scan *s, const char *what, const char *reason)
{
  size_t len;
  if(!s->why || !s->cap)
    return;
  len = strlen(s->why);
  if(len + 1 < s->cap)
    snprintf(s->why + len, s->cap - len, "%s%s: %s", len ? "; " : "", what, reason);
}

/* The base path without trailing slashes (a configured "file:///x/" gives "/x"). */
static void trim_base(const char *local, char *buf, size_t cap)
{
  size_t n;
  snprintf(buf, cap, "%s", local);
  n = strlen(buf);
  while(n > 1 && buf[n - 1] == '/')
    buf[--n] = '\0';
}

/* Open the configured directory (not a link: "/x/" would follow one), as a DIR stream;
 * its path without trailing slashes into base. */
static DIR *open_top(struct scan *s, const char *uri, char *base, size_t cap)
{
  const char *local = flink_resume_local(uri);
  int fd;
  DIR *d;
  if(!local) {
    note(s, uri, "not a local directory");
    return NULL;
  }
  trim_base(local, base, cap);
  fd = open(base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if(fd < 0) {
    if(errno != ENOENT)
      note(s, base, strerror(errno));
    return NULL;
  }
  d = fdopendir(fd);
  if(!d)
    close(fd);
  return d;
}

/* Call fn for every subdirectory (not a link) of d, at most FLINK_RESUME_SCAN_MAX. */
static void each_dir(struct scan *s, DIR *d, const char *base, void (*fn)(struct scan *, int, const char *, const char *))
{
  struct dirent *de;
  int seen = 0;
  while((de = readdir(d)) && seen++ < FLINK_RESUME_SCAN_MAX) {
    char path[FLINK_PATH_MAX];
    int fd;
    if(de->d_name[0] == '.')
      continue;
    if(snprintf(path, sizeof(path), "%s/%s", base, de->d_name) >= (int)sizeof(path))
      continue;
    fd = open_dir(dirfd(d), de->d_name);
    if(fd < 0)
      continue; /* a file, a link, or unreadable */
    fn(s, fd, de->d_name, path);
    close(fd);
  }
}

static void savepoint_entry(struct scan *s, int fd, const char *name, const char *path)
{
  consider(s, fd, path, 1, -1);
}

static void checkpoint_entry(struct scan *s, int fd, const char *name, const char *path)
{
  long n = chk_number(name);
  if(n >= 0)
    consider(s, fd, path, 0, n);
}

static void job_entry(struct scan *s, int fd, const char *name, const char *path)
{
  int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
  if(!d) {
    if(dup_fd >= 0)
      close(dup_fd);
    return;
  }
  each_dir(s, d, path, checkpoint_entry);
  closedir(d);
}

int flink_resume_find(const char *savepoint_dir, const char *checkpoint_dir, struct flink_resume_pick *out,
                      char *why, size_t cap)
{
  struct scan s = { out, 0, why, cap };
  char base[FLINK_PATH_MAX];
  DIR *d;

  if(why && cap)
    why[0] = '\0';
  memset(out, 0, sizeof(*out));
  if(savepoint_dir && *savepoint_dir && (d = open_top(&s, savepoint_dir, base, sizeof(base)))) {
    each_dir(&s, d, base, savepoint_entry);
    closedir(d);
  }
  if(checkpoint_dir && *checkpoint_dir && (d = open_top(&s, checkpoint_dir, base, sizeof(base)))) {
    each_dir(&s, d, base, job_entry);
    closedir(d);
  }
  if(!s.have)
    note(&s, "nothing to resume from", "no complete savepoint or checkpoint");
  return s.have;
}
