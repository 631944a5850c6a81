/* notify.h - readiness from the child: an s6-style notification fd (notify.fd: any line
 * written to it means ready) or a systemd-style NOTIFY_SOCKET (notify.socket: datagrams of
 * newline-separated VAR=value, READY=1 and STATUS=text understood, the rest ignored).
 *
 * Who may send (docs/security.md): the socket has a name the kernel picks (abstract
 * autobind: "@" and five hex digits, unique in the network namespace, given to the child
 * as NOTIFY_SOCKET), and SO_PASSCRED: a datagram counts only if its sender is the child or
 * one of its descendants (systemd's NotifyAccess=all), i.e. visible in pinit's PID namespace with the
 * child on its chain of parents (/proc/PID/stat), at most NOTIFY_TREE_DEPTH levels up.
 * Anything else is dropped and counted (logged at debug).  STATUS= is kept as
 * terminal-safe text (escape_text) of at most STATUS_MESSAGE_MAX - 1 bytes. */
#ifndef PINIT_NOTIFY_H
#define PINIT_NOTIFY_H

#include <ev.h>
#include <stddef.h>
#include <sys/types.h>

#include "pinit/status.h"

#define NOTIFY_DATAGRAM_MAX 4096 /* bytes read of one datagram; the rest is cut */
#define NOTIFY_TREE_DEPTH 64     /* parents walked from a sender to the child */

struct notify_msg {
  int ready;                      /* READY=1 seen */
  int has_status;                 /* STATUS= seen: status holds the last one */
  char status[STATUS_MESSAGE_MAX];
};

/* Pure: parse one datagram of `len` bytes (any bytes).  Lines end with '\n'; a NUL ends
 * the message.  Never fails: what is not understood is ignored. */
void notify_parse(const char *buf, size_t len, struct notify_msg *out);

typedef void notify_ready_fn(void *arg);

struct notify {
  struct ev_loop *loop;
  int rd, wr;                     /* the pipe of notify.fd (wr goes to the child), or -1 */
  int sock;                       /* the NOTIFY_SOCKET, or -1 */
  ev_io w;
  pid_t child;                    /* the current child, 0 if none */
  char name[32];                  /* NOTIFY_SOCKET's value */
  char message[STATUS_MESSAGE_MAX]; /* the last STATUS=, sanitized */
  notify_ready_fn *ready;
  void *arg;
  unsigned long dropped;          /* datagrams from outside the child's tree */
};

/* Set up what the config asks for: a pipe when fd_num > 0, else the socket when `socket`
 * (then n->sock >= 0 and the caller puts NOTIFY_SOCKET=n->name in the child's environment;
 * the process environment is not touched), else nothing.  `ready` is called on the loop for
 * each readiness message.  Returns 0, or -1 (logged; readiness from the child is then off).
 * Never blocks. */
int notify_start(struct notify *n, struct ev_loop *loop, int fd_num, int socket, notify_ready_fn *ready, void *arg);

/* The child pinit just spawned (0: none): its tree may send from now on. */
void notify_set_child(struct notify *n, pid_t pid);

#endif
