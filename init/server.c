/* server.c - the accept core of the control socket and the HTTP endpoint.  See
 * include/pinit/server.h. */
#include "pinit/server.h"
#include "pinit/clock.h"
#include "pinit/log.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int privileged(uid_t uid, uid_t own)
{
  return uid != SERVER_UID_NONE && (uid == 0 || uid == own);
}

static int older(const struct server_slot *slots, int i, int best)
{
  return best < 0 || slots[i].opened < slots[best].opened;
}

/* Seconds on CLOCK_MONOTONIC, for the slots' ages (ev_now() is the wall clock). */
static double mono_s(void)
{
  return (double)clock_mono_now().ms / 1000.0;
}

int server_pick(const struct server_slot *slots, const struct server_limits *lim, uid_t uid, uid_t own, double now,
                const char **why)
{
  int priv = privileged(uid, own);
  int nfree = 0, first_free = -1, mine = 0;
  int mine_silent = -1, unpriv_silent = -1, aged_any = -1, aged_unpriv = -1;

  for(int i = 0; i < lim->slots; i++) {
    const struct server_slot *t = &slots[i];
    int aged;
    if(t->fd < 0) {
      if(first_free < 0)
        first_free = i;
      nfree++;
      continue;
    }
    if(uid != SERVER_UID_NONE && t->uid == uid) {
      mine++;
      if(t->silent && older(slots, i, mine_silent))
        mine_silent = i;
    }
    if(!t->silent)
      continue;
    aged = now - t->opened >= lim->evict_age;
    if(aged && older(slots, i, aged_any))
      aged_any = i;
    if(privileged(t->uid, own))
      continue;
    if(older(slots, i, unpriv_silent))
      unpriv_silent = i;
    if(aged && older(slots, i, aged_unpriv))
      aged_unpriv = i;
  }
  if(!priv && lim->per_uid > 0 && mine >= lim->per_uid) {
    if(mine_silent >= 0)
      return mine_silent;
    *why = "too many connections from this uid";
    return -1;
  }
  if(nfree > (priv ? 0 : lim->reserved))
    return first_free;
  if(priv && unpriv_silent >= 0)
    return unpriv_silent;
  if(priv && aged_any >= 0)
    return aged_any;
  if(!priv && aged_unpriv >= 0)
    return aged_unpriv;
  *why = "too many clients";
  return -1;
}

static void pause_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
  struct server *s = w->data;
  if(s->fd >= 0)
    ev_io_start(loop, &s->accept_w);
}

/* accept(2) ran out of something: the pending connection stays queued and the listener
 * stays readable, so stop watching it for a while instead of spinning. */
static void accept_pause(struct server *s, int err)
{
  s->pauses++;
  /* once per episode, not four lines a second */
  plog(s->paused_logged ? LOG_DEBUG : LOG_WARN, s->what, "accept: %s: pausing for %.2fs", strerror(err),
       SERVER_EMFILE_PAUSE);
  s->paused_logged = 1;
  ev_io_stop(s->loop, &s->accept_w);
  ev_timer_set(&s->pause, SERVER_EMFILE_PAUSE, 0);
  ev_timer_start(s->loop, &s->pause);
}

static void refuse(struct server *s, int fd, int code, const char *why)
{
  s->refused++;
  log_debug(s->what, "connection refused: %s", why);
  s->refuse(s->arg, fd, code, why);
  close(fd);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
  struct server *s = w->data;
  for(int k = 0; k < SERVER_ACCEPT_BATCH && s->fd >= 0; k++) {
    uid_t uid = SERVER_UID_NONE;
    pid_t pid = 0;
    const char *why = NULL;
    int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), i;

    if(fd < 0) {
      if(errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
        accept_pause(s, errno);
      return;
    }
    s->paused_logged = 0;
    if(s->lim.unix_peers) {
      struct ucred cred;
      socklen_t clen = sizeof(cred);
      if(getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
        refuse(s, fd, 77, "cannot identify the caller");
        continue;
      }
      if(cred.pid <= 0) {
        refuse(s, fd, 77, "refused: the caller is outside pinit's PID namespace");
        continue;
      }
      uid = cred.uid;
      pid = cred.pid;
    }
    i = server_pick(s->slots, &s->lim, uid, getuid(), mono_s(), &why);
    if(i >= 0 && s->slots[i].fd >= 0) {
      s->dropped++;
      s->drop(s->arg, i);
      if(s->slots[i].fd >= 0) { /* it had a request after all and is being answered */
        i = -1;
        why = "too many clients";
      }
    }
    if(i < 0) {
      refuse(s, fd, 1, why);
      continue;
    }
    s->accepted++;
    s->slots[i] = (struct server_slot){ .fd = fd, .silent = 1, .uid = uid, .pid = pid, .opened = mono_s() };
    s->open(s->arg, i);
  }
}

void server_start(struct server *s, struct ev_loop *loop, int fd, const char *what, const struct server_limits *lim,
                  struct server_slot *slots, server_open_fn *open, server_drop_fn *drop, server_refuse_fn *refuse_fn,
                  void *arg)
{
  s->loop = loop;
  s->fd = fd;
  s->what = what;
  s->lim = *lim;
  s->slots = slots;
  s->open = open;
  s->drop = drop;
  s->refuse = refuse_fn;
  s->arg = arg;
  s->paused_logged = 0;
  s->accepted = s->refused = s->dropped = s->pauses = 0;
  for(int i = 0; i < lim->slots; i++)
    slots[i].fd = -1;
  ev_init(&s->pause, pause_cb);
  s->pause.data = s;
  ev_io_init(&s->accept_w, accept_cb, fd, EV_READ);
  s->accept_w.data = s;
  ev_io_start(loop, &s->accept_w);
}

void server_stop(struct server *s)
{
  if(s->fd < 0)
    return;
  ev_io_stop(s->loop, &s->accept_w);
  ev_timer_stop(s->loop, &s->pause);
  s->fd = -1;
}

void server_free(struct server *s, int i)
{
  s->slots[i].fd = -1;
  s->slots[i].silent = 0;
}

void server_busy(struct server *s, int i)
{
  s->slots[i].silent = 0;
}
