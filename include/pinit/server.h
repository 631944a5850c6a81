/* server.h - the accept core shared by the control socket (control.c) and the HTTP
 * endpoint (httpd.c): one accept loop, fixed slots, named limits.
 *
 * The owner (control.c, httpd.c) binds and listens, keeps one connection struct per slot
 * and the slot array itself (static storage: nothing is allocated here, ever).  The core
 * accepts, identifies the peer, decides which slot a new connection gets (a free one, or
 * one taken back from a silent client) or refuses it, and pauses instead of spinning when
 * accept(2) runs out of descriptors.  The owner reads requests, answers, and frees slots.
 *
 * Policy, decided by server_pick() (pure, tested by table in tests/unit/test_server.c):
 *  - a "privileged" peer is uid 0 or pinit's own uid; TCP peers (SERVER_UID_NONE) never are;
 *  - the last `reserved` free slots are kept for privileged peers;
 *  - an unprivileged uid holds at most `per_uid` slots (0: no cap); at its cap, its own
 *    oldest silent connection is dropped for the new one;
 *  - when no slot may be taken, the oldest *silent* connection (no complete request yet) is
 *    dropped: any unprivileged one for a privileged peer, else one older than `evict_age`;
 *  - otherwise the new connection is refused with a one-line reason.
 * Unix peers (`unix_peers`) are identified with SO_PEERCRED; a peer whose pid is 0 as seen
 * from pinit lives outside pinit's PID namespace (another container of a shared network
 * namespace, or the host) and is refused before it takes a slot. */
#ifndef PINIT_SERVER_H
#define PINIT_SERVER_H

#include <ev.h>
#include <sys/types.h>

#define SERVER_ACCEPT_BATCH 16    /* connections accepted per wake-up */
#define SERVER_EMFILE_PAUSE 0.25  /* seconds without accept(2) after EMFILE/ENFILE/ENOMEM */
#define SERVER_UID_NONE ((uid_t)-1)

struct server_limits {
  int slots;         /* size of the owner's slot array */
  int reserved;      /* free slots only a privileged peer may take */
  int per_uid;       /* slots one unprivileged uid may hold; 0: no cap */
  double evict_age;  /* seconds: a silent connection this old may be dropped for anyone */
  int unix_peers;    /* 1: AF_UNIX, identify peers (SO_PEERCRED), refuse other PID namespaces */
};

struct server_slot {
  int fd;            /* -1: free */
  int silent;        /* 1: no complete request yet (or only waiting for the close): may be dropped */
  uid_t uid;         /* SERVER_UID_NONE when unknown (TCP) */
  pid_t pid;         /* as seen from pinit's PID namespace; 0 when unknown */
  double opened;     /* CLOCK_MONOTONIC seconds at accept */
};

/* Pure: the slot a new connection from `uid` gets at time `now`, given pinit's uid `own`.
 * Returns an index: a free slot (slots[i].fd < 0), or a taken one the owner must drop
 * first; or -1: refuse (*why: a static reason). */
int server_pick(const struct server_slot *slots, const struct server_limits *lim, uid_t uid, uid_t own, double now,
                const char **why);

/* A new connection sits in slot `i` (already recorded there): serve it.  May free the slot
 * at once (a request that had already arrived). */
typedef void server_open_fn(void *arg, int i);
/* Slot `i` is taken back for a newcomer: answer it if its request is complete, else close
 * it (server_free()).  If it is still being answered afterwards, the newcomer is refused. */
typedef void server_drop_fn(void *arg, int i);
/* A connection that gets no slot: write one last line to fd (non-blocking; the core closes
 * it).  `code` 1: busy, 77: refused (outside pinit's PID namespace). */
typedef void server_refuse_fn(void *arg, int fd, int code, const char *why);

struct server {
  struct ev_loop *loop;
  int fd;                        /* the listener, owned by the owner; -1 when stopped */
  ev_io accept_w;
  ev_timer pause;                /* accept ran out of descriptors */
  int paused_logged;
  const char *what;              /* "control", "http": for logs */
  struct server_limits lim;
  struct server_slot *slots;     /* lim.slots of them, owned by the owner */
  server_open_fn *open;
  server_drop_fn *drop;
  server_refuse_fn *refuse;
  void *arg;
  unsigned long accepted, refused, dropped, pauses;
};

/* Start accepting on the listening, non-blocking socket `fd`.  Marks every slot free.
 * Never blocks, allocates nothing, cannot fail. */
void server_start(struct server *s, struct ev_loop *loop, int fd, const char *what, const struct server_limits *lim,
                  struct server_slot *slots, server_open_fn *open, server_drop_fn *drop, server_refuse_fn *refuse,
                  void *arg);

/* Stop accepting (the owner closes the listener and its connections).  Never blocks. */
void server_stop(struct server *s);

/* The owner closed slot i's descriptor: the slot is free again. */
void server_free(struct server *s, int i);

/* Slot i has received a complete request: it is no longer silent. */
void server_busy(struct server *s, int i);

#endif
