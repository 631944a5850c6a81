/* notify.c - readiness from the child: notification pipe and NOTIFY_SOCKET.  See
 * include/pinit/notify.h. */
#include "pinit/notify.h"
#include "pinit/drain.h"
#include "pinit/escape.h"
#include "pinit/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

void notify_parse(const char *buf, size_t len, struct notify_msg *out)
{
  const char *end;
  memset(out, 0, sizeof(*out));
  end = memchr(buf, '\0', len);
  if(end)
    len = (size_t)(end - buf);
  end = buf + len;
  for(const char *line = buf; line < end;) {
    const char *nl = memchr(line, '\n', (size_t)(end - line));
    size_t n = (size_t)((nl ? nl : end) - line);
    if(n == 7 && !memcmp(line, "READY=1", 7))
      out->ready = 1;
    else if(n >= 7 && !memcmp(line, "STATUS=", 7)) {
      char raw[STATUS_MESSAGE_MAX];
      size_t k = n - 7 < sizeof(raw) - 1 ? n - 7 : sizeof(raw) - 1;
      memcpy(raw, line + 7, k);
      raw[escape_utf8_trim(raw, k)] = '\0';
      escape_text(out->status, sizeof(out->status), raw);
      out->has_status = 1;
    }
    line += n + 1;
  }
}

/* The parent of pid, from /proc/PID/stat; -1 if it cannot be read. */
static pid_t parent_of(pid_t pid)
{
  struct proc_entry e;
  return drain_proc_entry(pid, &e) == 0 ? e.ppid : -1;
}

static int in_child_tree(const struct notify *n, pid_t pid)
{
  if(n->child <= 0 || pid <= 0)
    return 0;
  for(int depth = 0; depth < NOTIFY_TREE_DEPTH && pid > 1; depth++) {
    if(pid == n->child)
      return 1;
    pid = parent_of(pid);
  }
  return 0;
}

static void pipe_cb(struct ev_loop *loop, ev_io *w, int revents)
{
  struct notify *n = w->data;
  char buf[512];
  ssize_t len = read(n->rd, buf, sizeof(buf));
  if(len > 0 && memchr(buf, '\n', (size_t)len)) /* s6 style: any line means ready */
    n->ready(n->arg);
}

static void socket_cb(struct ev_loop *loop, ev_io *w, int revents)
{
  struct notify *n = w->data;
  for(int k = 0; k < 64; k++) { /* a bounded batch per wake-up */
    char buf[NOTIFY_DATAGRAM_MAX];
    union { struct cmsghdr h; char space[CMSG_SPACE(sizeof(struct ucred))]; } ctl;
    struct iovec iov = { buf, sizeof(buf) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl, .msg_controllen = sizeof(ctl) };
    struct ucred cred = { 0, 0, 0 };
    struct notify_msg msg;
    ssize_t len = recvmsg(n->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if(len < 0)
      return;
    for(struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
      if(c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(cred)))
        memcpy(&cred, CMSG_DATA(c), sizeof(cred));
      else if(c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        int *fds = (int *)CMSG_DATA(c); /* never kept: a sender cannot make pinit hold its fds */
        for(size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++)
          close(fds[i]);
      }
    }
    if(!in_child_tree(n, cred.pid)) {
      n->dropped++;
      log_debug("notify", "datagram from pid %d uid %d dropped: not the child or its descendant", (int)cred.pid,
                (int)cred.uid);
      continue;
    }
    notify_parse(buf, (size_t)len, &msg);
    if(msg.has_status)
      memcpy(n->message, msg.status, sizeof(n->message));
    if(msg.ready)
      n->ready(n->arg);
  }
}

static int open_socket(struct notify *n)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  socklen_t len = sizeof(sa);
  int one = 1;

  n->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if(n->sock < 0)
    return -1;
  /* autobind: the kernel picks an abstract name unique in the network namespace */
  if(setsockopt(n->sock, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
     bind(n->sock, (struct sockaddr *)&sa, sizeof(sa_family_t)) < 0 ||
     getsockname(n->sock, (struct sockaddr *)&sa, &len) < 0)
    return -1;
  len -= (socklen_t)offsetof(struct sockaddr_un, sun_path);
  if(len < 2 || sa.sun_path[0] != '\0' || len >= sizeof(n->name)) {
    errno = EADDRNOTAVAIL;
    return -1;
  }
  n->name[0] = '@';
  memcpy(n->name + 1, sa.sun_path + 1, len - 1);
  n->name[len] = '\0';
  return 0;
}

int notify_start(struct notify *n, struct ev_loop *loop, int fd_num, int socket_on, notify_ready_fn *ready, void *arg)
{
  n->loop = loop;
  n->rd = n->wr = n->sock = -1;
  n->child = 0;
  n->ready = ready;
  n->arg = arg;
  n->message[0] = '\0';
  n->dropped = 0;
  if(fd_num > 0) {
    int p[2];
    if(pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
      log_error("notify", "pipe: %s", strerror(errno));
      return -1;
    }
    n->rd = p[0];
    n->wr = p[1];
    ev_io_init(&n->w, pipe_cb, n->rd, EV_READ);
  }
  else if(socket_on) {
    if(open_socket(n) < 0) {
      log_error("notify", "NOTIFY_SOCKET: %s", strerror(errno));
      if(n->sock >= 0)
        close(n->sock);
      n->sock = -1;
      return -1;
    }
    ev_io_init(&n->w, socket_cb, n->sock, EV_READ);
  }
  else
    return 0;
  n->w.data = n;
  ev_io_start(loop, &n->w);
  return 0;
}

void notify_set_child(struct notify *n, pid_t pid)
{
  n->child = pid;
}
