/* local.c - unix-socket and file probes.  See include/pinit/probe.h.
 *
 * Both are decided by one system call that does not wait: connect(2) on a non-blocking
 * AF_UNIX socket returns at once (success, refused, missing, or EAGAIN when the listen
 * backlog is full), and stat(2) on a local path.  (A path on a hung network filesystem
 * could still stall stat(2); pinit's targets are local files.) */
#include "internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int unix_connect(const char *path, int type)
{
  struct sockaddr_un sa;
  size_t len = strlen(path);
  socklen_t salen;
  int fd, rc, e;

  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  if(len > sizeof(sa.sun_path) - 1) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(sa.sun_path, path, len);
  salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
  if(path[0] == '@') {   /* abstract: leading NUL, no trailing NUL */
    sa.sun_path[0] = 0;
    salen--;
  }
  fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if(fd < 0)
    return -1;
  rc = connect(fd, (struct sockaddr *)&sa, salen);
  e = errno;
  close(fd);
  errno = e;
  return rc;
}

void local_check(struct probe *p)
{
  char buf[96];
  const char *path = p->target.spec;

  if(p->target.kind == PROBE_FILE) {
    struct stat st;
    if(stat(path, &st) == 0) {
      p->ok = 1;
      probe_reason(p, "exists");
    }
    else
      probe_reason(p, "%s", errno == ENOENT ? "no such file" : probe_strerror(errno, buf, sizeof(buf)));
    return;
  }
  int rc = unix_connect(path, SOCK_STREAM);
  if(rc < 0 && errno == EPROTOTYPE)
    rc = unix_connect(path, SOCK_DGRAM);
  if(rc == 0) {
    p->ok = 1;
    probe_reason(p, "connected");
  }
  else if(errno == ENOENT)
    probe_reason(p, "no such socket");
  else if(errno == EAGAIN)
    probe_reason(p, "listen backlog full");
  else
    probe_reason(p, "%s", probe_strerror(errno, buf, sizeof(buf)));
}
