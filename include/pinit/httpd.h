/* httpd.h - the health and metrics endpoint: a minimal HTTP/1.0-1.1 server on the libev loop.
 *
 * Off by default; `http.listen` / PINIT_HTTP_LISTEN=ADDR:PORT turns it on
 * (docs/internals/httpd.md, docs/metrics.md).  Routes, GET and HEAD only:
 *   /health          200 {"status":"UP"} if the child is live and ready, else 503
 *                    {"status":"DOWN","reason":"..."} (the words of `pinit check --ready`)
 *   /health/live     the same for liveness (`pinit check`)
 *   /health/ready    the same for readiness (`pinit check --ready`)
 *   /metrics         200, Prometheus text format 0.0.4 (metrics.h)
 *   anything else    404; another method 405 (Allow: GET, HEAD)
 * One request per connection, answered with `Connection: close`.
 *
 * Limits, so that no client can hurt PID 1, other clients or the supervision of the child:
 * at most HTTPD_CONN_MAX connections at once, preallocated with fixed buffers (no
 * allocation after httpd_start(), nothing ever grows); the accept core is server.h.  A
 * request that has already arrived is answered at accept.  When all slots are taken, the
 * oldest connection that has sent no complete request for HTTPD_EVICT_AGE seconds (or
 * that is only waiting for the client to close) is dropped (503 busy) for the new one, so a
 * flood of silent connections cannot crowd real probes out; only when every connection
 * has a request being answered does the new one get 503.  Each connection has HTTPD_CLIENT_TIMEOUT seconds in all,
 * from accept to the last byte of the reply (408 if the request was not complete by
 * then).  The request line and headers are capped at HTTPD_REQUEST_MAX bytes, the target at
 * HTTPD_URI_MAX (414).  Replies are written without blocking from a fixed buffer: a metrics
 * reply (at most METRICS_MAX bytes, by construction) uses one of HTTPD_BIG_MAX large
 * buffers, 503 when all are busy.
 */
#ifndef PINIT_HTTPD_H
#define PINIT_HTTPD_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "pinit/metrics.h"
#include "pinit/server.h"
#include "pinit/status.h"

#define HTTPD_DEFAULT_PORT   9400 /* when http.listen gives no port; clear of Flink's ports */
#define HTTPD_CONN_MAX       32
#define HTTPD_REQUEST_MAX    4096 /* request line + headers */
#define HTTPD_URI_MAX        1024 /* the request target */
#define HTTPD_METHOD_MAX     16
#define HTTPD_CLIENT_TIMEOUT 5.0  /* seconds, per connection, in all */
#define HTTPD_EVICT_AGE      0.0  /* seconds: any silent connection gives way to a new one */
#define HTTPD_SMALL_OUT      2048 /* health, errors: headers + a short body */
#define HTTPD_HEAD_MAX       512  /* the headers of a metrics reply */
#define HTTPD_BIG_MAX        4    /* metrics replies being written at once */
#define HTTPD_BIG_OUT        (HTTPD_HEAD_MAX + METRICS_MAX)

/* ---- the request parser (pure) ---------------------------------------------------------- */

enum httpd_method { HTTPD_OTHER = 0, HTTPD_GET, HTTPD_HEAD };

struct httpd_request {
  enum httpd_method method;     /* set as soon as the method is known */
  int minor;                    /* HTTP/1.<minor> */
  const char *path;             /* the path of the target, without the query: into buf
                                   (or the static "/" for "http://host") */
  size_t path_len;
  size_t consumed;              /* bytes of the request line and headers, blank line included */
};

#define HTTPD_MORE (-1)

/* Parse the `len` bytes received so far (not NUL-terminated).  Returns
 *   0           a complete GET or HEAD request: *out is filled (path points into buf);
 *   HTTPD_MORE  nothing wrong yet, but incomplete: read more;
 *   a status    to answer with and close: 400 malformed (HTTP/0.9 included), 405 a method
 *               other than GET and HEAD (known once the request line is complete), 414 a
 *               target longer than HTTPD_URI_MAX, 431 no blank line within
 *               HTTPD_REQUEST_MAX bytes, 505 a major version other than 1.
 * Lines may end with CRLF or LF; empty lines before the request line are skipped; an
 * absolute-form target (http://host/path) is reduced to its path.  Headers are checked
 * for syntax only.  Pure: no allocation, no I/O, thread-safe. */
int httpd_parse_request(const char *buf, size_t len, struct httpd_request *out);

/* ---- the server -------------------------------------------------------------------------- */

/* What the server asks its owner for, on every request. */
struct httpd_view {
  struct status_view status;    /* filled by the callback */
  struct metrics_view metrics;  /* waiter, zombies_reaped, wall_minus_mono_ms filled by the
                                   callback; status and process set by the server */
  char deps[512];               /* storage for status.deps */
};

/* Fill *v from the supervisor's state (v is zeroed before).  Called on the loop; must not
 * block.  The pointers it stores must stay valid until the next return to the loop. */
typedef void httpd_fill(void *arg, struct httpd_view *v);

struct httpd_conn {
  int fd;                       /* -1: free */
  int state;                    /* private to httpd.c */
  int big;                      /* index of the large buffer held, -1 if none */
  size_t in_len, out_len, out_off;
  char *in, *out;               /* in: HTTPD_REQUEST_MAX bytes of the server's */
  ev_io io;
  ev_timer timer;
  struct httpd_server *server;
};

/* Large: buffers sit in arrays of their own, apart from the connection structs, so that
 * their pages are touched only when a connection uses them.  Give it static storage and do
 * not memset it: httpd_start() initializes what it needs. */
struct httpd_server {
  struct ev_loop *loop;
  int fd;
  struct server core;           /* accept, slots, eviction, EMFILE pause */
  struct server_slot slots[HTTPD_CONN_MAX];
  httpd_fill *fill;
  void *arg;
  char addr[64];                /* as configured, for logs */
  unsigned long served, rejected, timeouts; /* evicted: core.dropped */
  int big_busy[HTTPD_BIG_MAX];
  struct httpd_conn conns[HTTPD_CONN_MAX];
  char in[HTTPD_CONN_MAX][HTTPD_REQUEST_MAX];
  char small[HTTPD_CONN_MAX][HTTPD_SMALL_OUT];
  char big[HTTPD_BIG_MAX][HTTPD_BIG_OUT];
};

/* Listen on `addr` (addr_parse_listen, pinit/addr.h; no port: HTTPD_DEFAULT_PORT) and serve on `loop`.  Returns 0, or -1 with
 * errno and a one-line `why` ("http.listen: 0.0.0.0:9400: Address already in use"):
 * EINVAL if the address is not valid (a config error), else the error of socket, bind or
 * listen.  Never blocks; allocates nothing. */
int httpd_start(struct httpd_server *s, struct ev_loop *loop, const char *addr, httpd_fill *fill, void *arg,
                char *why, size_t cap);

/* Close the listener and every connection.  Never blocks. */
void httpd_stop(struct httpd_server *s);

#endif
