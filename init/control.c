/* control.c - the control socket protocol, server and client.  See include/pinit/control.h. */
#include "pinit/control.h"
#include "pinit/decimal.h"
#include "pinit/log.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const struct { const char *word; enum control_verb verb; } verbs[] = {
  { "live", CTL_LIVE }, { "ready", CTL_READY }, { "status", CTL_STATUS },
  { "status-json", CTL_STATUS_JSON }, { "restart", CTL_RESTART }, { "stop", CTL_STOP },
};

int control_parse_request(const char *buf, size_t len, enum control_verb *verb, const char **why)
{
  static const char proto[] = CTL_PROTO " ";
  size_t plen = sizeof(proto) - 1;
  size_t wlen;

  if(!len || buf[len - 1] != '\n')
    return *why = "request must end with a newline", -1;
  if(len < plen || memcmp(buf, proto, plen))
    return *why = "unknown protocol (want " CTL_PROTO ")", -1;
  wlen = len - plen - 1;
  if(wlen && buf[plen + wlen - 1] == '\r')
    wlen--;
  for(size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
    if(strlen(verbs[i].word) == wlen && !memcmp(buf + plen, verbs[i].word, wlen)) {
      *verb = verbs[i].verb;
      return 0;
    }
  }
  return *why = "unknown verb", -1;
}

int control_parse_reply(char *buf, size_t len, const char **text)
{
  static const char proto[] = CTL_PROTO " ";
  size_t plen = sizeof(proto) - 1, i;
  int code = 0;

  if(len < plen + 2 || memcmp(buf, proto, plen) || buf[len - 1] != '\n')
    return -1;
  for(i = plen; i < len && buf[i] >= '0' && buf[i] <= '9' && i - plen < 3; i++)
    code = code * 10 + (buf[i] - '0');
  if(i == plen || code > 255 || (buf[i] != ' ' && buf[i] != '\n'))
    return -1;
  buf[len - 1] = '\0';
  if(memchr(buf, '\0', len - 1))
    return -1;
  *text = buf[i] == ' ' ? buf + i + 1 : buf + i;
  return code;
}

const char *control_socket_name(const char *configured, char *buf, size_t cap)
{
  struct stat pid_ns, mnt_ns;
  if(configured && *configured)
    snprintf(buf, cap, "%s", configured);
  else if(stat("/proc/self/ns/pid", &pid_ns) == 0 && stat("/proc/self/ns/mnt", &mnt_ns) == 0) {
    if(cap > 8 + 2 * DECIMAL_MAX) { /* every start: no printf */
      size_t n = 7;
      memcpy(buf, "@pinit-", 7);
      n += decimal_put(buf + n, (unsigned long long)pid_ns.st_ino);
      buf[n++] = '-';
      n += decimal_put(buf + n, (unsigned long long)mnt_ns.st_ino);
      buf[n] = '\0';
    }
    else
      snprintf(buf, cap, "@pinit-%llu-%llu", (unsigned long long)pid_ns.st_ino, (unsigned long long)mnt_ns.st_ino);
  }
  else
    snprintf(buf, cap, "@pinit");
  return buf;
}

int control_address(const char *name, struct sockaddr_un *sa)
{
  size_t n = name ? strlen(name) : 0;
  memset(sa, 0, sizeof(*sa));
  sa->sun_family = AF_UNIX;
  if(n < 2 || n >= sizeof(sa->sun_path))
    return -1;
  memcpy(sa->sun_path, name, n);
  if(name[0] == '@') {
    sa->sun_path[0] = '\0'; /* abstract: no trailing NUL, length is exact */
    return (int)(offsetof(struct sockaddr_un, sun_path) + n);
  }
  return (int)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

/* ---- server ---------------------------------------------------------------------------- */

static void conn_close(struct control_conn *c)
{
  struct control_server *s = c->server;
  ev_io_stop(s->loop, &c->io);
  ev_timer_stop(s->loop, &c->timer);
  close(c->fd);
  c->fd = -1;
  server_free(&s->core, (int)(c - s->conns));
}

static int say(int fd, int code, const char *text)
{
  char line[CTL_REPLY_MAX];
  int n = snprintf(line, sizeof(line), CTL_PROTO " %d %s\n", code, text);
  if(n >= (int)sizeof(line)) {
    n = (int)sizeof(line);
    line[n - 1] = '\n';
  }
  /* one non-blocking send: the reply fits the socket buffer; a client that does not read
   * simply loses it */
  return send(fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -1 : 0;
}

static void reply(struct control_conn *c, int code, const char *text)
{
  if(say(c->fd, code, text) < 0)
    log_debug("control", "reply lost: %s", strerror(errno));
  c->server->served++;
  conn_close(c);
}

/* Read what the client sent; answer once a line is complete.  Returns without closing
 * when more is to come. */
static void conn_read(struct control_conn *c)
{
  ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
  char *nl;

  if(n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if(n <= 0) {
    conn_close(c);
    return;
  }
  c->len += (size_t)n;
  nl = memchr(c->buf, '\n', c->len);
  if(nl) {
    struct server_slot *slot = &c->server->slots[c - c->server->conns];
    enum control_verb verb;
    const char *why;
    char text[CTL_REPLY_MAX - 32];
    int code;
    if(control_parse_request(c->buf, (size_t)(nl - c->buf) + 1, &verb, &why)) {
      reply(c, 64, why);
      return;
    }
    code = c->server->handler(c->server->arg, verb, slot->uid, text, sizeof(text));
    reply(c, code, text);
    return;
  }
  if(c->len == sizeof(c->buf))
    reply(c, 64, "request too long");
}

static void conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
  conn_read(w->data);
}

static void conn_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
  struct control_conn *c = w->data;
  log_debug("control", "client sent no request within %.1fs: closed", CTL_CLIENT_TIMEOUT);
  conn_close(c);
}

static void conn_open(void *arg, int i)
{
  struct control_server *s = arg;
  struct control_conn *c = &s->conns[i];
  if(!c->server) {
    /* slots are set up on first use, so the pages of unused ones are never touched */
    c->server = s;
    ev_init(&c->io, conn_read_cb);
    c->io.data = c;
    ev_init(&c->timer, conn_timeout_cb);
    c->timer.data = c;
  }
  c->fd = s->slots[i].fd;
  c->len = 0;
  ev_io_set(&c->io, c->fd, EV_READ);
  ev_io_start(s->loop, &c->io);
  ev_timer_set(&c->timer, CTL_CLIENT_TIMEOUT, 0);
  ev_timer_start(s->loop, &c->timer);
  conn_read(c); /* the request line is usually there already */
}

/* Taken back for a newcomer: serve it if its line has arrived meanwhile, else close it. */
static void conn_drop(void *arg, int i)
{
  struct control_server *s = arg;
  struct control_conn *c = &s->conns[i];
  conn_read(c);
  if(s->slots[i].fd >= 0) {
    log_debug("control", "silent client dropped for a newcomer");
    if(say(c->fd, 1, "supervisor busy: a silent client gives way to a newcomer") < 0)
      log_debug("control", "busy reply lost: %s", strerror(errno));
    conn_close(c);
  }
}

static void conn_refuse(void *arg, int fd, int code, const char *why)
{
  char text[128];
  snprintf(text, sizeof(text), code == 1 ? "supervisor busy: %s" : "%s", why);
  if(say(fd, code, text) < 0)
    log_debug("control", "refusal lost: %s", strerror(errno));
}

int control_server_start(struct control_server *s, struct ev_loop *loop, const char *name, control_handler_fn *h, void *arg)
{
  struct sockaddr_un sa;
  int len = control_address(name, &sa);

  s->fd = -1;
  s->loop = loop;
  s->handler = h;
  s->arg = arg;
  s->core.fd = -1;
  if(len < 0) {
    errno = ENAMETOOLONG;
    return -1;
  }
  s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if(s->fd < 0)
    return -1;
  if(name[0] == '/') {
    struct stat st;
    /* a socket left by a dead supervisor is removed; a live one keeps it (a full listen
     * queue answers EAGAIN at once: the probe never waits), and a path that is not a
     * socket is never removed (connect(2) refuses it too): bind then fails, EADDRINUSE */
    if(lstat(name, &st) == 0 && S_ISSOCK(st.st_mode)) {
      struct sockaddr_un probe = sa;
      int t = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if(t >= 0 && connect(t, (struct sockaddr *)&probe, (socklen_t)len) < 0 && errno == ECONNREFUSED)
        unlink(name);
      if(t >= 0)
        close(t);
    }
  }
  if(bind(s->fd, (struct sockaddr *)&sa, (socklen_t)len) < 0 || listen(s->fd, 128) < 0) {
    int e = errno;
    close(s->fd);
    s->fd = -1;
    errno = e;
    return -1;
  }
  {
    static const struct server_limits lim = { .slots = CTL_CONN_MAX, .reserved = CTL_CONN_RESERVED,
                                              .per_uid = CTL_CONN_PER_UID, .evict_age = CTL_EVICT_AGE,
                                              .unix_peers = 1 };
    server_start(&s->core, loop, s->fd, "control", &lim, s->slots, conn_open, conn_drop, conn_refuse, s);
  }
  return 0;
}

void control_server_stop(struct control_server *s)
{
  if(s->fd < 0)
    return;
  server_stop(&s->core);
  close(s->fd);
  s->fd = -1;
  for(int i = 0; i < CTL_CONN_MAX; i++)
    if(s->slots[i].fd >= 0)
      conn_close(&s->conns[i]);
}

/* ---- client ---------------------------------------------------------------------------- */

static long elapsed_ms(const struct timespec *t0)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int control_request(const char *name, enum control_verb verb, int timeout_ms, char *text, size_t cap)
{
  struct sockaddr_un sa;
  struct timespec t0;
  char req[CTL_REQUEST_MAX], buf[CTL_REPLY_MAX + 1];
  size_t len = 0;
  const char *rtext;
  int fd, n, code, send_errno = 0;

  clock_gettime(CLOCK_MONOTONIC, &t0);
  if((n = control_address(name, &sa)) < 0) {
    snprintf(text, cap, "control socket name %s: invalid", name);
    return -1;
  }
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if(fd >= 0) {
    /* connect(2) to a listener whose queue is full (a supervisor that stopped accepting)
     * waits for room, and send(2) for buffer space: both at most timeout_ms */
    int ms = timeout_ms > 0 ? timeout_ms : 1; /* 0 would mean no limit */
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  }
  if(fd < 0 || connect(fd, (struct sockaddr *)&sa, (socklen_t)n) < 0) {
    if(fd >= 0 && (errno == EAGAIN || errno == EINPROGRESS))
      snprintf(text, cap, "supervisor at %s did not accept within %dms", name, timeout_ms);
    else
      snprintf(text, cap, "no supervisor at %s: %s", name, strerror(errno));
    if(fd >= 0)
      close(fd);
    return -1;
  }
  n = snprintf(req, sizeof(req), CTL_PROTO " %s\n", verbs[verb].word);
  if(send(fd, req, (size_t)n, MSG_NOSIGNAL) != n)
    send_errno = errno; /* a server that refused at once has closed: its reason is still to be read */
  for(;;) {
    struct pollfd p = { fd, POLLIN, 0 };
    long left = timeout_ms - elapsed_ms(&t0);
    ssize_t r;
    if(left <= 0 || poll(&p, 1, (int)left) == 0) {
      snprintf(text, cap, "supervisor at %s did not answer within %dms", name, timeout_ms);
      close(fd);
      return -1;
    }
    r = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
    if(r < 0 && errno == EINTR)
      continue;
    if(r <= 0)
      break;
    len += (size_t)r;
    if(memchr(buf, '\n', len) || len == sizeof(buf) - 1)
      break;
  }
  close(fd);
  {
    char *nl = memchr(buf, '\n', len);
    if(nl)
      len = (size_t)(nl - buf) + 1;
  }
  if((code = control_parse_reply(buf, len, &rtext)) < 0) {
    if(send_errno)
      snprintf(text, cap, "supervisor at %s: send: %s", name, strerror(send_errno));
    else
      snprintf(text, cap, "supervisor at %s: malformed reply", name);
    return -1;
  }
  snprintf(text, cap, "%s", rtext);
  return code;
}
