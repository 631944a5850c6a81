/* render_file.c - the Flink config renderer's file layer: which file, atomic write, the
 * read-only conf dir fallback.  See include/pinit/render.h. */
#include "pinit/render.h"
#include "pinit/env.h"
#include "pinit/log.h"
#include "pinit/trusted_path.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_BASE (16u << 20)   /* a base file larger than this is refused */
#define COPY_DIR "pinit-flink-conf"

static int path_join(char *out, size_t cap, const char *dir, const char *name)
{
  int n = snprintf(out, cap, "%s/%s", dir, name);
  if(n < 0 || (size_t)n >= cap) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
  while(n) {
    ssize_t w = write(fd, p, n);
    if(w < 0 && errno == EINTR)
      continue;
    if(w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Read a whole file (at most `max` bytes) into a malloc'd, NUL-terminated buffer.
 * Returns 0; -1 with errno (EFBIG when larger than max). */
static int read_file(int fd, size_t max, char **out, size_t *len)
{
  size_t cap = 4096, n = 0;
  char *p = malloc(cap + 1);
  if(!p)
    return -1;
  for(;;) {
    if(n == cap) {
      char *q;
      if(cap >= max) {
        free(p);
        errno = EFBIG;
        return -1;
      }
      cap = cap * 2 > max ? max : cap * 2;
      if(!(q = realloc(p, cap + 1))) {
        free(p);
        return -1;
      }
      p = q;
    }
    ssize_t r = read(fd, p + n, cap - n);
    if(r < 0 && errno == EINTR)
      continue;
    if(r < 0) {
      free(p);
      return -1;
    }
    if(r == 0)
      break;
    n += (size_t)r;
  }
  p[n] = 0;
  *out = p;
  *len = n;
  return 0;
}

/* flink-dist-1.20.1.jar, flink-dist_2.12-1.14.6.jar -> 1, 20 */
static int parse_dist(const char *name, int *major, int *minor)
{
  const char *p = name + 10;
  char *end;
  size_t n = strlen(name);
  if(strncmp(name, "flink-dist", 10) || n < 14 || strcmp(name + n - 4, ".jar"))
    return -1;
  if(*p == '_')
    p = strchr(p, '-');
  if(!p || *p != '-' || p[1] < '0' || p[1] > '9')
    return -1;
  long a = strtol(p + 1, &end, 10);
  if(*end != '.' || end[1] < '0' || end[1] > '9' || a > 1000)
    return -1;
  long b = strtol(end + 1, &end, 10);
  if(b > 1000)
    return -1;
  *major = (int)a;
  *minor = (int)b;
  return 0;
}

int render_flink_version(const char *flink_home, int *major, int *minor)
{
  char lib[PATH_MAX], best[256] = "";
  struct dirent *d;
  DIR *dir;
  int a, b;
  if(path_join(lib, sizeof(lib), flink_home, "lib") || !(dir = opendir(lib)))
    return -1;
  while((d = readdir(dir)))
    if(!parse_dist(d->d_name, &a, &b) && strlen(d->d_name) < sizeof(best) &&
       (!best[0] || strcmp(d->d_name, best) < 0))
      strcpy(best, d->d_name);
  closedir(dir);
  if(!best[0]) {
    errno = ENOENT;
    return -1;
  }
  return parse_dist(best, major, minor);
}

enum render_format render_pick_format(const char *flink_home, const char *conf_dir,
                                      enum render_format want)
{
  char path[PATH_MAX];
  struct stat st;
  int major, minor;
  if(want != RENDER_AUTO)
    return want;
  if(!render_flink_version(flink_home, &major, &minor)) {
    if(major >= 2)
      return RENDER_YAML;
    if(major < 1 || (major == 1 && minor < 19))
      return RENDER_LEGACY;
  }
  if(!path_join(path, sizeof(path), conf_dir, "flink-conf.yaml") && !lstat(path, &st))
    return RENDER_LEGACY;
  return RENDER_YAML;
}

/* A temp name in dfd for name, created O_EXCL (links are never followed by O_EXCL). */
static int open_temp(int dfd, const char *name, char *tmp, size_t cap)
{
  static unsigned counter;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  for(int tries = 0; tries < 100; tries++) {
    unsigned r = (unsigned)getpid() * 2654435761u ^ (unsigned)ts.tv_nsec ^ (++counter * 40503u);
    int fd;
    if(snprintf(tmp, cap, ".%s.pinit-%08x", name, r) >= (int)cap) {
      errno = ENAMETOOLONG;
      return -1;
    }
    fd = openat(dfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if(fd >= 0 || errno != EEXIST)
      return fd;
  }
  errno = EEXIST;
  return -1;
}

/* render_write_atomic() relative to the directory descriptor dfd (opened O_RDONLY). */
static int write_atomic_at(int dfd, const char *name, const char *buf, size_t len,
                           enum render_format format)
{
  char tmp[NAME_MAX + 1], *back = NULL;
  struct render_error err;
  struct stat st;
  size_t blen;
  mode_t mode = 0644;
  int fd, ofd, saved, old = 0;

  /* the old file's mode and owner: through root's own links only (a ConfigMap's), a
   * link planted by someone else just gets replaced */
  if((ofd = trusted_path_open(dfd, name, O_PATH, NULL)) >= 0) {
    old = !fstat(ofd, &st) && S_ISREG(st.st_mode);
    close(ofd);
  }
  if(old)
    mode = st.st_mode & 07777;
  if((fd = open_temp(dfd, name, tmp, sizeof(tmp))) < 0)
    return -1;
  if(fchmod(fd, mode) < 0)
    goto fail;
  if(old && geteuid() == 0 && (st.st_uid != 0 || st.st_gid != 0) && fchown(fd, st.st_uid, st.st_gid) < 0) {
    /* best effort: the owner may be unmapped in a user namespace */
  }
  if(write_all(fd, buf, len) < 0 || fsync(fd) < 0 || lseek(fd, 0, SEEK_SET) < 0)
    goto fail;
  if(read_file(fd, len + 1, &back, &blen) < 0) {
    if(errno == EFBIG)
      errno = EBADMSG;
    goto fail;
  }
  if(blen != len || memcmp(back, buf, len) || render_check(back, blen, format, &err)) {
    errno = EBADMSG;
    goto fail;
  }
  free(back);
  back = NULL;
  if(close(fd) < 0) {
    fd = -1;
    goto fail;
  }
  fd = -1;
  if(renameat(dfd, tmp, dfd, name) < 0)
    goto fail;
  fsync(dfd);                   /* the rename is done; a failure here cannot be undone */
  return 0;

fail:
  saved = errno;
  free(back);
  if(fd >= 0)
    close(fd);
  unlinkat(dfd, tmp, 0);
  errno = saved;
  return -1;
}

/* Open a directory to work in: trusted_path_open() (links checked), O_RDONLY. */
static int open_dir(const char *dir, struct trusted_path_refusal *why)
{
  return trusted_path_open(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY, why);
}

int render_write_atomic(const char *dir, const char *name, const char *buf, size_t len,
                        enum render_format format)
{
  int dfd, rc, saved;
  if(strchr(name, '/') || !*name) {
    errno = EINVAL;
    return -1;
  }
  if((dfd = open_dir(dir, NULL)) < 0)
    return -1;
  rc = write_atomic_at(dfd, name, buf, len, format);
  saved = errno;
  close(dfd);
  errno = saved;
  return rc;
}

static int copy_file(int sfd, const struct stat *st, int ddfd, const char *name)
{
  char chunk[65536];
  int dfd, saved;
  if(unlinkat(ddfd, name, 0) < 0 && errno != ENOENT)
    return -1;
  if((dfd = openat(ddfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
    return -1;
  for(;;) {
    ssize_t r = read(sfd, chunk, sizeof(chunk));
    if(r < 0 && errno == EINTR)
      continue;
    if(r < 0 || (r > 0 && write_all(dfd, chunk, (size_t)r) < 0))
      goto fail;
    if(r == 0)
      break;
  }
  if(fchmod(dfd, st->st_mode & 0777) < 0)
    goto fail;
  if(close(dfd) < 0) {
    dfd = -1;
    goto fail;
  }
  return 0;
fail:
  saved = errno;
  if(dfd >= 0)
    close(dfd);
  unlinkat(ddfd, name, 0);
  errno = saved;
  return -1;
}

/* The copy's directory: <parent>/<base> created 0755, or an existing real directory (not
 * a link) owned by the caller's euid.  Returns an O_RDONLY descriptor or -1 with errno. */
static int open_copy_dir(const char *dst, struct trusted_path_refusal *why)
{
  char parent[PATH_MAX];
  const char *base = strrchr(dst, '/');
  struct stat st;
  int pfd, dfd, saved;
  if(!base) {
    snprintf(parent, sizeof(parent), ".");
    base = dst;
  }
  else {
    if((size_t)(base - dst) >= sizeof(parent)) {
      errno = ENAMETOOLONG;
      return -1;
    }
    snprintf(parent, sizeof(parent), "%.*s", base == dst ? 1 : (int)(base - dst), dst);
    base++;
  }
  if(!*base) {
    errno = EINVAL;
    return -1;
  }
  if((pfd = open_dir(parent, why)) < 0)
    return -1;
  if(mkdirat(pfd, base, 0755) < 0 && errno != EEXIST) {
    saved = errno;
    close(pfd);
    errno = saved;
    return -1;
  }
  dfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  saved = errno;
  close(pfd);
  if(dfd < 0) {
    errno = saved == ELOOP || saved == ENOTDIR ? EEXIST : saved;
    return -1;
  }
  if(fstat(dfd, &st) < 0 || st.st_uid != geteuid()) {
    close(dfd);
    errno = EEXIST;
    return -1;
  }
  return dfd;
}

/* Copy the regular files of sfd into ddfd (see render_copy_conf_dir). */
static int copy_conf_dir_at(int sfd, int ddfd, struct trusted_path_refusal *why)
{
  struct stat st;
  struct dirent *d;
  DIR *dir;
  int rc = 0, fd = fcntl(sfd, F_DUPFD_CLOEXEC, 0);

  if(fd < 0 || !(dir = fdopendir(fd))) {
    if(fd >= 0)
      close(fd);
    return -1;
  }
  while(!rc && (errno = 0, d = readdir(dir))) {
    int f;
    if(d->d_name[0] == '.')
      continue;
    /* links checked (a ConfigMap's root-owned ones are followed), a FIFO must not block */
    if((f = trusted_path_open(sfd, d->d_name, O_RDONLY | O_NONBLOCK | O_NOCTTY, why)) < 0) {
      rc = -1;
      if(why && !why->why)      /* name the file in the caller's message */
        snprintf(why->name, sizeof(why->name), "%s", d->d_name);
      break;
    }
    if(fstat(f, &st) < 0)
      rc = -1;
    else if(S_ISREG(st.st_mode))
      rc = copy_file(f, &st, ddfd, d->d_name);
    close(f);
  }
  if(!rc && errno)              /* readdir failed */
    rc = -1;
  int saved = errno;
  closedir(dir);
  errno = saved;
  return rc;
}

int render_copy_conf_dir(const char *src, const char *dst)
{
  int sfd, ddfd, rc, saved;
  if((sfd = open_dir(src, NULL)) < 0)
    return -1;
  if((ddfd = open_copy_dir(dst, NULL)) < 0) {
    saved = errno;
    close(sfd);
    errno = saved;
    return -1;
  }
  rc = copy_conf_dir_at(sfd, ddfd, NULL);
  saved = errno;
  close(sfd);
  close(ddfd);
  errno = saved;
  return rc;
}

int render_default_address(char *buf, size_t cap)
{
  char host[256];
  struct addrinfo hints, *ai = NULL;
  const char *name = host;
  if(gethostname(host, sizeof(host) - 1) < 0)
    return -1;
  host[sizeof(host) - 1] = 0;
  memset(&hints, 0, sizeof(hints));
  hints.ai_flags = AI_CANONNAME;
  if(!getaddrinfo(host, NULL, &hints, &ai) && ai && ai->ai_canonname && *ai->ai_canonname)
    name = ai->ai_canonname;
  if(strlen(name) >= cap) {
    if(ai)
      freeaddrinfo(ai);
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(buf, name);
  if(ai)
    freeaddrinfo(ai);
  return 0;
}

/* A format forced by the user (PINIT_FLINK_FORMAT, [flink] format, --format) that this Flink
 * would not read: refused.  A forced legacy format without a flink-conf.yaml starts from
 * config.yaml (*base_format = RENDER_YAML), so the image's memory settings are kept.  cfd is
 * the conf dir (existence checks only). */
static int render_check_forced(const char *home, int cfd, const char *conf, enum render_format want,
                               enum render_format *base_format)
{
  int major = 0, minor = 0, known = render_flink_version(home, &major, &minor) == 0;
  const char *legacy = render_file_name(RENDER_LEGACY), *yaml = render_file_name(RENDER_YAML);
  struct stat st;
  if(want == RENDER_YAML) {
    if((known && major >= 2) || fstatat(cfd, legacy, &st, 0) < 0)
      return 0;
    log_error("render", "format yaml: %s/%s exists, and Flink 1.x reads it instead of %s: remove it, "
              "or use format legacy or auto", conf, legacy, yaml);
    return -1;
  }
  if(known && major >= 2) {
    log_error("render", "format legacy: Flink %d.%d reads only %s, never %s/%s", major, minor, yaml, conf, legacy);
    return -1;
  }
  if(fstatat(cfd, legacy, &st, 0) < 0 && errno == ENOENT && fstatat(cfd, yaml, &st, 0) == 0)
    *base_format = RENDER_YAML;
  return 0;
}

/* errno's text, or why a link or file was refused (pinit/trusted_path.h). */
static const char *why_text(int err, const struct trusted_path_refusal *why, char *buf, size_t cap)
{
  if(!why->why)
    return strerror(err);
  snprintf(buf, cap, "%.200s (owner uid %u): refused: %s", why->name, (unsigned)why->uid, why->why);
  return buf;
}

static void log_warnings(const struct render_result *res)
{
  for(int i = 0; i < res->nwarn; i++) {
    const struct render_warning *w = &res->warn[i];
    if(w->line)
      log_warn("render", "%s:%d: %s", w->where, w->line, w->msg);
    else
      log_warn("render", "%s: %s", w->where, w->msg);
  }
  if(res->nwarn_lost)
    log_warn("render", "%d more warnings not shown", res->nwarn_lost);
}

static int set_out(char *out, size_t cap, const char *dir)
{
  if(!out)
    return 0;
  if(strlen(dir) >= cap) {
    log_error("render", "%s: name too long for the caller's buffer", dir);
    return -1;
  }
  strcpy(out, dir);
  return 0;
}

/* The base file bname of the conf dir cfd (bpath for messages) into a malloc'd *base
 * (NULL, 0 when there is none).  Returns 0, or -1 logged. */
static int read_base(int cfd, const char *bname, const char *bpath, char **base, size_t *base_len)
{
  struct trusted_path_refusal why = {.why = NULL};
  char reason[400];
  int fd;

  if((fd = trusted_path_open(cfd, bname, O_RDONLY | O_NONBLOCK | O_NOCTTY, &why)) >= 0) {
    struct stat st;
    int r = fstat(fd, &st) < 0 ? -1 : !S_ISREG(st.st_mode) ? (errno = EINVAL, -1) :
            read_file(fd, MAX_BASE, base, base_len);
    int saved = errno;
    close(fd);
    if(r < 0) {
      log_error("render", "%s: cannot read: %s", bpath, saved == EFBIG ? "larger than 16 MiB" :
                saved == EINVAL ? "not a regular file" : strerror(saved));
      return -1;
    }
  }
  else if(errno != ENOENT) {
    log_error("render", "%s: cannot open: %s", bpath, why_text(errno, &why, reason, sizeof(reason)));
    return -1;
  }
  return 0;
}

/* A read-only conf dir (a ConfigMap, a :ro mount; EBUSY: the file itself is a mount, a
 * Kubernetes subPath; errno says which): render into a writable copy of it under the
 * runtime dir.  Returns 0 with the copy's path in out_conf_dir, or -1 logged. */
static int render_into_copy(int cfd, const char *conf, const char *name, const struct render_input *in,
                            const struct render_result *res, const struct render_opts *o, char **envp,
                            char *out_conf_dir, size_t cap)
{
  struct trusted_path_refusal why = {.why = NULL};
  char copy[PATH_MAX], reason[400];
  const char *rt;
  int ddfd = -1, rc = -1;

  rt = o->runtime_dir ? o->runtime_dir : env_value(envp, "PINIT_RUNTIME_DIR") ? env_value(envp, "PINIT_RUNTIME_DIR") : "/tmp";
  if(path_join(copy, sizeof(copy), rt, COPY_DIR)) {
    log_error("render", "%s/%s: name too long", rt, COPY_DIR);
    return -1;
  }
  log_warn("render", "%s is not writable (%s): rendering into a copy, %s (FLINK_CONF_DIR for the child)",
           conf, strerror(errno), copy);
  why.name[0] = 0;
  if(mkdir(rt, 0755) < 0 && errno != EEXIST) {
    log_error("render", "%s: cannot create the runtime dir: %s", rt, strerror(errno));
    return -1;
  }
  if((ddfd = open_copy_dir(copy, &why)) < 0 || copy_conf_dir_at(cfd, ddfd, &why) < 0) {
    int saved = errno;
    if(why.name[0] && ddfd >= 0 && !why.why)
      log_error("render", "%s: cannot copy the conf dir %s there: %s: %s", copy, conf, why.name, strerror(saved));
    else
      log_error("render", "%s: cannot copy the conf dir %s there: %s", copy, conf,
                why_text(saved, &why, reason, sizeof(reason)));
  }
  else if(write_atomic_at(ddfd, name, res->doc, res->len, in->format) < 0)
    log_error("render", "%s/%s: cannot write: %s", copy, name, strerror(errno));
  else {
    log_info("render", "%s/%s: written (%zu keys)", copy, name, res->nkeys);
    rc = set_out(out_conf_dir, cap, copy);
  }
  if(ddfd >= 0)
    close(ddfd);
  return rc;
}

int render_flink_config(char **envp, const struct render_opts *opts, char *out_conf_dir, size_t cap)
{
  static const struct render_opts defaults;
  const struct render_opts *o = opts ? opts : &defaults;
  char conf_buf[PATH_MAX], path[PATH_MAX], bpath[PATH_MAX], addr[256];
  const char *home, *conf, *name, *bname;
  struct render_input in;
  struct render_result res;
  struct render_error err;
  struct trusted_path_refusal why = {.why = NULL};
  char *base = NULL, reason[400];
  size_t base_len = 0;
  int cfd, rc = -1;

  home = o->flink_home ? o->flink_home : env_value(envp, "FLINK_HOME") ? env_value(envp, "FLINK_HOME") : "/opt/flink";
  conf = o->conf_dir ? o->conf_dir : env_value(envp, "FLINK_CONF_DIR");
  if(!conf) {
    if(path_join(conf_buf, sizeof(conf_buf), home, "conf")) {
      log_error("render", "%s/conf: name too long", home);
      return -1;
    }
    conf = conf_buf;
  }
  memset(&in, 0, sizeof(in));
  in.format = render_pick_format(home, conf, o->format);
  name = render_file_name(in.format);
  if(path_join(path, sizeof(path), conf, name)) {
    log_error("render", "%s/%s: name too long", conf, name);
    return -1;
  }
  /* The conf dir is opened once, links checked (pinit/trusted_path.h), and everything
   * below works relative to it. */
  if((cfd = open_dir(conf, &why)) < 0) {
    log_error("render", "%s: cannot open the conf dir: %s", conf, why_text(errno, &why, reason, sizeof(reason)));
    return -1;
  }
  if(o->format != RENDER_AUTO && render_check_forced(home, cfd, conf, o->format, &in.base_format) < 0) {
    close(cfd);
    return -1;
  }
  bname = in.base_format == RENDER_YAML ? render_file_name(RENDER_YAML) : name;
  if(path_join(bpath, sizeof(bpath), conf, bname)) {
    close(cfd);
    return -1;
  }
  if(read_base(cfd, bname, bpath, &base, &base_len) < 0) {
    close(cfd);
    return -1;
  }

  in.envp = envp;
  in.base = base;
  in.base_len = base_len;
  in.base_name = bname;
  in.pins = o->pins;
  in.rpc_address = o->rpc_address;
  if(!in.rpc_address && !env_value(envp, "JOB_MANAGER_RPC_ADDRESS")) {
    if(render_default_address(addr, sizeof(addr)) == 0)
      in.rpc_address = addr;
    else
      log_warn("render", "hostname: %s: jobmanager.rpc.address left as it is", strerror(errno));
  }
  if(render_document(&in, &res, &err) < 0) {
    const char *file = strcmp(err.file, bname) ? err.file : bpath;   /* base file or self-check */
    log_warnings(&res);
    if(err.line)
      log_error("render", "%s:%d: %s", file, err.line, err.msg);
    else
      log_error("render", "%s: %s", file, err.msg);
    free(base);
    close(cfd);
    return -1;
  }
  log_warnings(&res);
  if(in.base_format == RENDER_YAML)
    log_warn("render", "format legacy: %s starts from %s/config.yaml (Flink 1.x reads flink-conf.yaml "
             "when it exists)", path, conf);

  if(o->dry_run) {
    rc = write_all(STDOUT_FILENO, res.doc, res.len);
    if(rc < 0)
      log_error("render", "stdout: %s", strerror(errno));
    else
      rc = set_out(out_conf_dir, cap, conf);
    goto done;
  }
  if(base && base_len == res.len && !memcmp(base, res.doc, res.len)) {
    log_info("render", "%s: unchanged (%zu keys)", path, res.nkeys);
    rc = set_out(out_conf_dir, cap, conf);
    goto done;
  }
  if(!write_atomic_at(cfd, name, res.doc, res.len, in.format)) {
    log_info("render", "%s: written (%zu keys)", path, res.nkeys);
    rc = set_out(out_conf_dir, cap, conf);
    goto done;
  }
  if(errno != EROFS && errno != EACCES && errno != EPERM && errno != EBUSY) {
    log_error("render", "%s: cannot write: %s", path, errno == EBADMSG ?
              "the written file did not read back as rendered" : strerror(errno));
    goto done;
  }

  rc = render_into_copy(cfd, conf, name, &in, &res, o, envp, out_conf_dir, cap);

done:
  if(rc == 0 && o->result)
    *o->result = res;           /* the caller frees it */
  else
    render_result_free(&res);
  free(base);
  close(cfd);
  return rc;
}
