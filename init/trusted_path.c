/* trusted_path.c - resolve a path one component at a time, following only links that
 * root owns in directories no other user can change.  See include/pinit/trusted_path.h. */
#include "pinit/trusted_path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

const char *trusted_path_describe(int err, const struct trusted_path_refusal *why, char *buf, size_t cap)
{
  if(!cap)
    return buf;
  if(why && why->why)
    snprintf(buf, cap, "%.200s (owner uid %u): refused: %s", why->name, (unsigned)why->uid, why->why);
  else
    snprintf(buf, cap, "%s", strerror(err));
  return buf;
}

static int dir_readonly_mount(int dfd)
{
  struct statvfs vfs;
  return !fstatvfs(dfd, &vfs) && (vfs.f_flag & ST_RDONLY);
}

int trusted_path_dir_is_root_only(int dfd)
{
  struct stat st;
  if(fstat(dfd, &st) < 0)
    return 0;
  if(st.st_uid == 0 && (!(st.st_mode & 022) || (st.st_mode & S_ISVTX)))
    return 1;
  return dir_readonly_mount(dfd);
}

/* Another user can create entries in dfd (a hard link, say): 1, else 0. */
static int dir_others_can_add(int dfd, const struct stat *dst)
{
  if(dst->st_uid == 0 && !(dst->st_mode & 022))
    return 0;
  return !dir_readonly_mount(dfd);
}

static int refuse(struct trusted_path_refusal *why, const char *name, size_t len, uid_t uid,
                  const char *text, int err)
{
  if(why) {
    if(len >= sizeof(why->name))
      len = sizeof(why->name) - 1;
    memcpy(why->name, name, len);
    why->name[len] = 0;
    why->uid = uid;
    why->why = text;
  }
  errno = err;
  return -1;
}

static int open_start(int dirfd, const char *path)
{
  if(path[0] == '/')
    return open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if(dirfd == AT_FDCWD)
    return open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  return fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
}

/* The final object fd, opened in directory cur: refuse a hard link planted in a
 * directory others can write.  Returns fd, or -1 (fd closed). */
static int check_final(int cur, int fd, const char *name, size_t len,
                       struct trusted_path_refusal *why)
{
  struct stat st, dst;
  if(fstat(fd, &st) < 0 || fstat(cur, &dst) < 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  if(S_ISREG(st.st_mode) && st.st_nlink > 1 && st.st_uid != dst.st_uid &&
     dir_others_can_add(cur, &dst)) {
    close(fd);
    return refuse(why, name, len, st.st_uid,
                  "a file with several hard links in a directory other users can write", EPERM);
  }
  return fd;
}

/* Follow the link lfd (closed here): rest becomes its target "/" next (next points into
 * rest; a trailing slash of the original is kept by next), *absolute says whether the
 * target starts at "/".  Returns 0, or -1 with errno (ELOOP past TRUSTED_PATH_MAX_LINKS).
 * Its own frame (noinline): the link's buffer is on the stack only while a link is
 * followed, so opening a plain path touches a page of stack less. */
__attribute__((noinline)) static int follow_link(int lfd, char *rest, const char *next, int *links, int *absolute)
{
  char target[PATH_MAX];
  ssize_t t = readlinkat(lfd, "", target, sizeof(target));
  int saved = errno;
  size_t nl;

  close(lfd);
  if(t < 0 || ++*links > TRUSTED_PATH_MAX_LINKS) {
    errno = t < 0 ? saved : ELOOP;
    return -1;
  }
  if(t == 0 || (size_t)t >= sizeof(target)) {
    errno = t == 0 ? ENOENT : ENAMETOOLONG;
    return -1;
  }
  nl = strlen(next);
  if((size_t)t + 1 + nl >= PATH_MAX) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memmove(rest + t + (nl ? 1 : 0), next, nl + 1);
  memcpy(rest, target, (size_t)t);
  if(nl)
    rest[t] = '/';
  *absolute = target[0] == '/';
  return 0;
}

int trusted_path_open(int dirfd, const char *path, int flags, struct trusted_path_refusal *why)
{
  char rest[PATH_MAX];
  int cur, fd, links = 0, absolute;
  size_t n = strlen(path);

  if(!n) {
    errno = ENOENT;
    return -1;
  }
  if(n >= sizeof(rest)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  if(flags & O_CREAT) {
    errno = EINVAL;
    return -1;
  }
  memcpy(rest, path, n + 1);
  if((cur = open_start(dirfd, rest)) < 0)
    return -1;

  for(;;) {
    char *p = rest, *next;
    size_t len;
    int last, lfd;
    struct stat st;

    while(*p == '/')
      p++;
    if(!*p) {                         /* "/" or a trailing slash: the directory itself */
      fd = openat(cur, ".", flags | O_CLOEXEC);
      if(fd >= 0)
        fd = check_final(cur, fd, ".", 1, why);
      break;
    }
    len = strcspn(p, "/");
    next = p + len;
    while(*next == '/')
      next++;
    last = !*next && !p[len];         /* no trailing slash after the last name */
    if(!*next && p[len]) {            /* "dir/": open it as a directory, itself */
      p[len] = 0;
      last = 1;
      flags |= O_DIRECTORY;
    }
    p[len] = 0;
    if(last)
      fd = openat(cur, p, flags | O_NOFOLLOW | O_CLOEXEC);
    else
      fd = openat(cur, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if(fd >= 0 && last && (flags & O_PATH) && !fstat(fd, &st) && S_ISLNK(st.st_mode)) {
      close(fd);                /* O_PATH|O_NOFOLLOW opened the link itself: follow it below */
      fd = -1;
      errno = ELOOP;
    }
    if(fd >= 0) {
      if(last) {
        fd = check_final(cur, fd, p, len, why);
        break;
      }
      close(cur);
      cur = fd;
      memmove(rest, next, strlen(next) + 1);
      continue;
    }
    /* Failed: is it a symbolic link?  Look at the link itself through an O_PATH fd. */
    int saved = errno;
    lfd = openat(cur, p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if(lfd < 0 || fstat(lfd, &st) < 0 || !S_ISLNK(st.st_mode)) {
      if(lfd >= 0)
        close(lfd);
      errno = saved;
      fd = -1;
      break;
    }
    if(st.st_uid != 0 || !trusted_path_dir_is_root_only(cur)) {
      close(lfd);
      fd = refuse(why, p, len, st.st_uid, st.st_uid != 0 ? "a symbolic link not owned by root" :
                  "a symbolic link in a directory other users can write", ELOOP);
      break;
    }
    if(follow_link(lfd, rest, next, &links, &absolute) < 0) {
      fd = -1;
      break;
    }
    if(absolute) {
      close(cur);
      if((cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        return -1;
    }
  }
  int saved = errno;
  close(cur);
  errno = saved;
  return fd;
}
