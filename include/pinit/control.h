/* control.h - the control socket: protocol, server on the libev loop.
 *
 * Protocol PINIT/1 (docs/internals/control.md): a unix stream socket, abstract "@name" by
 * default (reachable from `docker exec` even on a read-only root filesystem, unique to the
 * container: control_socket_name) or a path.
 * The client sends ONE request line, at most CTL_REQUEST_MAX bytes including '\n':
 *     PINIT/1 <verb>\n        verb: live | ready | status | status-json | restart | stop
 * and the server answers ONE line, at most CTL_REPLY_MAX bytes, then closes:
 *     PINIT/1 <code> <text>\n
 * where <code> is the exit code the client should exit with (check: 0/1; status: 0/3;
 * restart/stop: 0, or 77 refused) and <text> is what it prints.  Anything else gets
 * "PINIT/1 64 <reason>".  Mutating verbs (restart, stop) are accepted only from uid 0 or
 * pinit's own uid, checked with SO_PEERCRED.
 *
 * Only peers inside pinit's own PID namespace are served (SO_PEERCRED gives pid 0 for the
 * others: another container of a shared network namespace, or the host); they get
 * "PINIT/1 77 refused: ..." before they take a slot.
 *
 * The server never blocks and never grows (the accept core is server.h): at most
 * CTL_CONN_MAX connections at once, CTL_CONN_RESERVED of them kept for root and pinit's own
 * uid, at most CTL_CONN_PER_UID for any other uid; a request is one short line, so a client
 * silent for CTL_EVICT_AGE may be dropped for a newcomer, and every client has
 * CTL_CLIENT_TIMEOUT in all.  A refused client gets "PINIT/1 1 supervisor busy: ...".
 * Replies are written with MSG_DONTWAIT (a client that does not read loses its reply).  No
 * allocation after control_server_start(). */
#ifndef PINIT_CONTROL_H
#define PINIT_CONTROL_H

#include <ev.h>
#include <stddef.h>
#include <sys/types.h>

#include "pinit/server.h"

#define CTL_PROTO "PINIT/1"
#define CTL_REQUEST_MAX 64
#define CTL_REPLY_MAX 2048
#define CTL_CONN_MAX 64
#define CTL_CONN_RESERVED 8     /* of CTL_CONN_MAX, for root and pinit's own uid */
#define CTL_CONN_PER_UID 16     /* for any other uid */
#define CTL_EVICT_AGE 0.25      /* seconds without a request: may be dropped for a newcomer */
#define CTL_CLIENT_TIMEOUT 1.0  /* seconds from accept to the request line */

enum control_verb { CTL_LIVE, CTL_READY, CTL_STATUS, CTL_STATUS_JSON, CTL_RESTART, CTL_STOP };

/* Pure: parse one request.  `buf` holds `len` bytes (not NUL-terminated), which must end
 * with '\n'.  Returns 0 and sets *verb, or -1 with `why` (a static string). */
int control_parse_request(const char *buf, size_t len, enum control_verb *verb, const char **why);

/* Pure: parse a reply line "PINIT/1 <code> <text>\n".  Returns the code (0..255) and points
 * *text at the text (NUL-terminated in place, newline removed), or -1 if malformed. */
int control_parse_reply(char *buf, size_t len, const char **text);

/* The control socket's name: `configured` when not empty, else the default, unique to the
 * container and found without configuration by any client in pinit's PID and mount
 * namespaces (`docker exec`, a Kubernetes exec probe):
 *     @pinit-<PID namespace inode>-<mount namespace inode>
 * read from /proc/self/ns (abstract names belong to the network namespace, which the
 * containers of a Kubernetes pod share; with shareProcessNamespace they share the PID
 * namespace too, never the mount namespace); "@pinit" without /proc.  Writes to buf
 * (CTL_NAME_MAX bytes suffice) and returns buf.  Never blocks. */
#define CTL_NAME_MAX 108
const char *control_socket_name(const char *configured, char *buf, size_t cap);

/* Fill a sockaddr_un for `name` ("@abstract" or "/path").  Returns the address length to
 * pass to bind/connect, or -1 (name NULL, shorter than 2 bytes - "", "@", "/" - or too long). */
struct sockaddr_un;
int control_address(const char *name, struct sockaddr_un *sa);

/* Answer one request: the server calls this with the peer's uid; it writes the reply line
 * (without the "PINIT/1 <code> " prefix) to text and returns the code. */
typedef int control_handler_fn(void *arg, enum control_verb verb, uid_t peer_uid, char *text, size_t cap);

struct control_conn {
  int fd;
  size_t len;
  char buf[CTL_REQUEST_MAX];
  ev_io io;
  ev_timer timer;
  struct control_server *server;    /* NULL until the slot is first used */
};

struct control_server {
  struct ev_loop *loop;
  int fd;
  struct server core;
  struct server_slot slots[CTL_CONN_MAX];
  control_handler_fn *handler;
  void *arg;
  struct control_conn conns[CTL_CONN_MAX];
  unsigned long served;
};

/* Bind and listen on `name`.  A path that is a socket nobody listens on (a dead supervisor's)
 * is unlinked first; one with a listener (even one whose queue is full) is kept, and a path
 * that is not a socket is never removed: bind fails then.  `s` must start zeroed
 * (static storage, or memset): connection slots are set up on first use, so the memory of
 * slots never used is never touched.  Returns 0, or -1 with errno (EADDRINUSE: another
 * supervisor, or a file that is not a socket, has that name).  Never blocks. */
int control_server_start(struct control_server *s, struct ev_loop *loop, const char *name, control_handler_fn *h, void *arg);

/* Close the listener and every connection.  Never blocks. */
void control_server_stop(struct control_server *s);

/* Client side: send `verb` to the supervisor at `name` and wait for the reply, at most
 * timeout_ms in all.  Returns the reply's code and copies its text to `text`; or -1 with
 * `text` saying why no supervisor answered ("no supervisor at @pinit-4026532201-4026532199:
 * connection refused").  Blocks up to timeout_ms, the connect included (a supervisor that
 * stopped accepting, its listen queue full); clients only, never the supervisor. */
int control_request(const char *name, enum control_verb verb, int timeout_ms, char *text, size_t cap);

#endif
