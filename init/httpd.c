/* httpd.c - the health and metrics endpoint: parser, routes, server.  See include/pinit/httpd.h. */
#include "pinit/httpd.h"
#include "pinit/addr.h"
#include "pinit/check.h"
#include "pinit/escape.h"
#include "pinit/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- the request parser -------------------------------------------------------------- */

static int is_tchar(unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_digit(unsigned char c)
{
  return c >= '0' && c <= '9';
}

/* At b[i]: 1 and *next past the line end (CRLF or LF), 0 if no line end, HTTPD_MORE if a CR
 * is the last byte so far, 400 for a CR not followed by LF. */
static int eol(const unsigned char *b, size_t len, size_t i, size_t *next)
{
  if(b[i] == '\n') {
    *next = i + 1;
    return 1;
  }
  if(b[i] != '\r')
    return 0;
  if(i + 1 >= len)
    return HTTPD_MORE;
  if(b[i + 1] != '\n')
    return 400;
  *next = i + 2;
  return 1;
}

/* Incomplete: read more, unless the buffer is full (431 once the request line is complete). */
#define MORE(line_done) return len >= HTTPD_REQUEST_MAX ? ((line_done) ? 431 : 400) : HTTPD_MORE

static int has_prefix_ci(const unsigned char *b, size_t n, const char *p)
{
  size_t k = strlen(p);
  if(n < k)
    return 0;
  for(size_t i = 0; i < k; i++) {
    unsigned char c = b[i];
    if(c >= 'A' && c <= 'Z')
      c = (unsigned char)(c - 'A' + 'a');
    if(c != (unsigned char)p[i])
      return 0;
  }
  return 1;
}

/* The path of a request target t[0..tlen): origin-form "/path?query", or absolute-form
 * "http://authority/path?query" (no path: "/"); query and fragment cut.  Returns 0 with
 * out->path, out->path_len set, or -1 (not a form a GET can have). */
static int target_path(const char *t, size_t tlen, struct httpd_request *out)
{
  const unsigned char *b = (const unsigned char *)t;
  out->path = t;
  out->path_len = tlen;
  if(b[0] != '/') {
    size_t s = has_prefix_ci(b, tlen, "http://") ? 7 : has_prefix_ci(b, tlen, "https://") ? 8 : 0;
    size_t a;
    if(!s)
      return -1;
    for(a = s; a < tlen && b[a] != '/' && b[a] != '?' && b[a] != '#'; a++)
      ;
    if(a == s)
      return -1;
    if(a == tlen || b[a] != '/') {
      out->path = "/";
      out->path_len = 1;
    }
    else {
      out->path = t + a;
      out->path_len = tlen - a;
    }
  }
  for(size_t k = 0; k < out->path_len; k++)
    if(out->path[k] == '?' || out->path[k] == '#')
      out->path_len = k;
  return 0;
}

/* Header fields from b[i]: name ":" value, up to the empty line (syntax only).  Returns as
 * httpd_parse_request does, setting out->consumed on 0. */
static int parse_headers(const unsigned char *b, size_t len, size_t i, struct httpd_request *out)
{
  size_t next;
  int r;

  for(;;) {
    size_t h0;
    if(i >= len)
      MORE(1);
    r = eol(b, len, i, &next);
    if(r == HTTPD_MORE)
      MORE(1);
    if(r == 400)
      return 400;
    if(r == 1) {
      out->consumed = next;
      return 0;
    }
    if(b[i] == ' ' || b[i] == '\t')
      return 400; /* obsolete line folding */
    for(h0 = i; i < len && is_tchar(b[i]); i++)
      ;
    if(i >= len)
      MORE(1);
    if(i == h0 || b[i] != ':')
      return 400;
    for(i++;; i++) {
      if(i >= len)
        MORE(1);
      if(b[i] == '\r' || b[i] == '\n') {
        r = eol(b, len, i, &next);
        if(r == HTTPD_MORE)
          MORE(1);
        if(r != 1)
          return 400;
        i = next;
        break;
      }
      if((b[i] < 0x20 && b[i] != '\t') || b[i] == 0x7f)
        return 400;
    }
  }
}

int httpd_parse_request(const char *buf, size_t len, struct httpd_request *out)
{
  static const char version[] = "HTTP/";
  const unsigned char *b = (const unsigned char *)buf;
  size_t i = 0, m0, t0, tlen, next, k;
  int r, major;


  memset(out, 0, sizeof(*out));
  /* empty lines before the request line are ignored (RFC 9112 2.2) */
  for(;;) {
    if(i >= len)
      MORE(0);
    if((r = eol(b, len, i, &next)) == 0)
      break;
    if(r != 1) {
      if(r == HTTPD_MORE)
        MORE(0);
      return r;
    }
    i = next;
  }

  /* method SP */
  for(m0 = i; i < len && is_tchar(b[i]); i++)
    if(i - m0 >= HTTPD_METHOD_MAX)
      return 400;
  if(i >= len)
    MORE(0);
  if(i == m0 || b[i] != ' ')
    return 400;
  if(i - m0 == 3 && !memcmp(b + m0, "GET", 3))
    out->method = HTTPD_GET;
  else if(i - m0 == 4 && !memcmp(b + m0, "HEAD", 4))
    out->method = HTTPD_HEAD;
  i++;

  /* request-target SP: visible ASCII only */
  for(t0 = i; i < len && b[i] > 0x20 && b[i] < 0x7f; i++)
    if(i - t0 >= HTTPD_URI_MAX)
      return 414;
  if(i >= len)
    MORE(0);
  if(i == t0 || b[i] != ' ')
    return 400; /* a control byte, or CR/LF at once: HTTP/0.9 */
  tlen = i - t0;
  i++;

  /* HTTP-version CRLF */
  for(k = 0; k < sizeof(version) - 1; k++, i++) {
    if(i >= len)
      MORE(0);
    if(b[i] != (unsigned char)version[k])
      return 400;
  }
  if(i >= len)
    MORE(0);
  if(!is_digit(b[i]))
    return 400;
  major = b[i++] - '0';
  if(i >= len)
    MORE(0);
  if(b[i++] != '.')
    return 400;
  if(i >= len)
    MORE(0);
  if(!is_digit(b[i]))
    return 400;
  out->minor = b[i++] - '0';
  if(i >= len)
    MORE(0);
  r = eol(b, len, i, &next);
  if(r == HTTPD_MORE)
    MORE(0);
  if(r != 1)
    return 400;
  i = next;
  if(major != 1)
    return 505;
  if(out->method == HTTPD_OTHER)
    return 405;

  if(target_path(buf + t0, tlen, out) < 0)
    return 400;
  return parse_headers(b, len, i, out);
}

/* ---- the server ------------------------------------------------------------------------ */

enum { HC_FREE, HC_READ, HC_WRITE, HC_LINGER };

static const char busy_reply[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                 "Content-Type: text/plain; charset=utf-8\r\n"
                                 "Content-Length: 32\r\n"
                                 "Retry-After: 1\r\n"
                                 "Connection: close\r\n"
                                 "\r\n"
                                 "503 busy: too many connections\r\n";

static const char *phrase(int status)
{
  switch(status) {
  case 200: return "OK";
  case 400: return "Bad Request";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 408: return "Request Timeout";
  case 414: return "URI Too Long";
  case 431: return "Request Header Fields Too Large";
  case 503: return "Service Unavailable";
  case 505: return "HTTP Version Not Supported";
  }
  return "Error";
}

static void watch(struct httpd_conn *c, int events)
{
  ev_io_stop(c->server->loop, &c->io);
  ev_io_set(&c->io, c->fd, events);
  ev_io_start(c->server->loop, &c->io);
}

static void release_big(struct httpd_conn *c)
{
  if(c->big >= 0) {
    c->server->big_busy[c->big] = 0;
    c->big = -1;
  }
}

static void conn_close(struct httpd_conn *c)
{
  struct httpd_server *s = c->server;
  ev_io_stop(s->loop, &c->io);
  ev_timer_stop(s->loop, &c->timer);
  release_big(c);
  close(c->fd);
  c->fd = -1;
  c->state = HC_FREE;
  server_free(&s->core, (int)(c - s->conns));
}

/* Read and drop what a client sent that will not be looked at, so that close(2) sends FIN
 * rather than RST (which could destroy the reply in flight).  Bounded, never blocks. */
static void discard_input(int fd)
{
  static char sink[4096];
  for(int i = 0; i < 4; i++)
    if(recv(fd, sink, sizeof(sink), MSG_DONTWAIT) <= 0)
      return;
}

/* A last word before closing (503 busy, 408): one send that may be lost. */
static void say_and_close(struct httpd_conn *c, const char *text, size_t n)
{
  discard_input(c->fd);
  if(send(c->fd, text, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
    log_debug("http", "reply lost: %s", strerror(errno));
  shutdown(c->fd, SHUT_WR);
  conn_close(c);
}

static size_t head(char *buf, size_t cap, int status, const char *ctype, size_t blen, const char *extra)
{
  char date[64];
  struct tm tm;
  time_t t = time(NULL);
  int n;
  if(!gmtime_r(&t, &tm) || !strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm))
    date[0] = '\0';
  n = snprintf(buf, cap,
               "HTTP/1.1 %d %s\r\n%s%s%sContent-Type: %s\r\nContent-Length: %zu\r\n"
               "Cache-Control: no-store\r\nConnection: close\r\n%s\r\n",
               status, phrase(status), date[0] ? "Date: " : "", date, date[0] ? "\r\n" : "", ctype, blen,
               extra ? extra : "");
  return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

static void conn_write(struct httpd_conn *c)
{
  while(c->out_off < c->out_len) {
    ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_DONTWAIT | MSG_NOSIGNAL);
    if(n < 0 && errno == EINTR)
      continue;
    if(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if(c->state != HC_WRITE) {
        c->state = HC_WRITE;
        watch(c, EV_WRITE);
      }
      return;
    }
    if(n <= 0) {
      conn_close(c);
      return;
    }
    c->out_off += (size_t)n;
  }
  /* all sent: half-close, then wait (within the deadline) for the client to close */
  release_big(c);
  c->server->served++;
  shutdown(c->fd, SHUT_WR);
  c->state = HC_LINGER;
  c->server->slots[c - c->server->conns].silent = 1; /* only waiting for the close: may give way */
  watch(c, EV_READ);
}

/* A reply built in the connection's small buffer: headers, then the body unless HEAD. */
static void reply_small(struct httpd_conn *c, int head_only, int status, const char *ctype, const char *body,
                        const char *extra)
{
  char *buf = c->server->small[c - c->server->conns];
  size_t blen = strlen(body);
  size_t hlen = head(buf, HTTPD_SMALL_OUT, status, ctype, blen, extra);
  if(head_only || hlen + blen >= HTTPD_SMALL_OUT)
    blen = 0; /* cannot happen for a GET: bodies here are far below the buffer */
  memcpy(buf + hlen, body, blen);
  c->out = buf;
  c->out_len = hlen + blen;
  c->out_off = 0;
  conn_write(c);
}

static void reply_error(struct httpd_conn *c, int head_only, int status)
{
  char body[64];
  snprintf(body, sizeof(body), "%d %s\n", status, phrase(status));
  reply_small(c, head_only, status, "text/plain; charset=utf-8", body, status == 405 ? "Allow: GET, HEAD\r\n" : NULL);
}

/* {"status":"UP"} or {"status":"DOWN","reason":"..."}, escaped by escape.h. */
static void health_body(char *out, size_t cap, int ok, const char *why)
{
  size_t len;
  if(ok) {
    snprintf(out, cap, "{\"status\":\"UP\"}\n");
    return;
  }
  len = (size_t)snprintf(out, cap, "{\"status\":\"DOWN\",\"reason\":\"");
  len += escape_json(out + len, cap - len - 4, why);
  snprintf(out + len, cap - len, "\"}\n");
}

enum route { R_NONE, R_HEALTH, R_LIVE, R_READY, R_METRICS };

static enum route route_of(const struct httpd_request *q)
{
  static const struct { const char *path; enum route r; } routes[] = {
    { "/health", R_HEALTH }, { "/health/live", R_LIVE }, { "/health/ready", R_READY }, { "/metrics", R_METRICS },
  };
  for(size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
    if(strlen(routes[i].path) == q->path_len && !memcmp(routes[i].path, q->path, q->path_len))
      return routes[i].r;
  return R_NONE;
}

static void serve_metrics(struct httpd_conn *c, struct httpd_view *v, int head_only)
{
  struct httpd_server *s = c->server;
  struct metrics_process proc;
  char hdr[HTTPD_HEAD_MAX], *body;
  size_t blen, hlen;
  int big = -1;

  for(int i = 0; i < HTTPD_BIG_MAX && big < 0; i++)
    if(!s->big_busy[i])
      big = i;
  if(big < 0) {
    s->rejected++;
    reply_small(c, head_only, 503, "text/plain; charset=utf-8", "503 busy: too many metrics replies in flight\n",
                "Retry-After: 1\r\n");
    return;
  }
  s->big_busy[big] = 1;
  c->big = big;
  metrics_process_read(&proc);
  v->metrics.process = &proc;
  body = s->big[big] + HTTPD_HEAD_MAX;
  blen = metrics_format(&v->metrics, body, METRICS_MAX);
  if(blen >= METRICS_MAX) { /* impossible by construction (metrics.h); stay valid anyway */
    log_error("http", "metrics output cut at %zu of %zu bytes", strlen(body), blen);
    blen = strlen(body);
  }
  hlen = head(hdr, sizeof(hdr), 200, METRICS_CONTENT_TYPE, blen, NULL);
  c->out = body - hlen;
  memcpy(c->out, hdr, hlen);
  c->out_len = hlen + (head_only ? 0 : blen);
  c->out_off = 0;
  conn_write(c);
}

static void serve(struct httpd_conn *c, const struct httpd_request *q)
{
  struct httpd_server *s = c->server;
  struct httpd_view v;
  enum route r = route_of(q);
  int head_only = q->method == HTTPD_HEAD, bad;
  char why[200], body[HTTPD_SMALL_OUT - 512];

  log_debug("http", "%s %.*s", head_only ? "HEAD" : "GET", (int)q->path_len, q->path);
  if(r == R_NONE) {
    reply_error(c, head_only, 404);
    return;
  }
  memset(&v, 0, sizeof(v));
  s->fill(s->arg, &v);
  v.metrics.status = &v.status;
  if(r == R_METRICS) {
    serve_metrics(c, &v, head_only);
    return;
  }
  why[0] = '\0';
  bad = r == R_LIVE ? check_live(&v.status, why, sizeof(why)) : check_ready(&v.status, why, sizeof(why));
  health_body(body, sizeof(body), !bad, why);
  reply_small(c, head_only, bad ? 503 : 200, "application/json", body, NULL);
}

static void conn_read(struct httpd_conn *c)
{
  struct httpd_request q;
  ssize_t n = recv(c->fd, c->in + c->in_len, HTTPD_REQUEST_MAX - c->in_len, MSG_DONTWAIT);
  int r;

  if(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;
  if(n <= 0) {
    conn_close(c); /* gone before a whole request */
    return;
  }
  c->in_len += (size_t)n;
  r = httpd_parse_request(c->in, c->in_len, &q);
  if(r == HTTPD_MORE && c->in_len >= HTTPD_REQUEST_MAX)
    r = 431; /* the parser never asks for more of a full buffer; be sure */
  if(r == HTTPD_MORE)
    return;
  server_busy(&c->server->core, (int)(c - c->server->conns));
  if(r) {
    log_debug("http", "bad request: %d %s", r, phrase(r));
    reply_error(c, q.method == HTTPD_HEAD, r);
    return;
  }
  serve(c, &q);
}

static void conn_linger(struct httpd_conn *c)
{
  static char sink[4096];
  for(int i = 0; i < 4; i++) {
    ssize_t n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);
    if(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      return;
    if(n <= 0) {
      conn_close(c);
      return;
    }
  }
}

static void conn_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
  struct httpd_conn *c = w->data;
  switch(c->state) {
  case HC_READ: conn_read(c); break;
  case HC_WRITE: conn_write(c); break;
  case HC_LINGER: conn_linger(c); break;
  }
}

static void send_408(struct httpd_conn *c)
{
  char buf[256];
  size_t n = head(buf, sizeof(buf), 408, "text/plain; charset=utf-8", 0, NULL);
  say_and_close(c, buf, n);
}

static void conn_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
  struct httpd_conn *c = w->data;
  c->server->timeouts++;
  if(c->state == HC_READ) {
    log_debug("http", "client sent no complete request within %.0fs: closed", HTTPD_CLIENT_TIMEOUT);
    send_408(c);
  }
  else {
    if(c->state == HC_WRITE)
      log_debug("http", "client did not read its reply within %.0fs: closed", HTTPD_CLIENT_TIMEOUT);
    conn_close(c);
  }
}

static void conn_open(void *arg, int i)
{
  struct httpd_server *s = arg;
  struct httpd_conn *c = &s->conns[i];
  c->fd = s->slots[i].fd;
  c->state = HC_READ;
  c->big = -1;
  c->in_len = c->out_len = c->out_off = 0;
  c->out = NULL;
  ev_io_set(&c->io, c->fd, EV_READ);
  ev_io_start(s->loop, &c->io);
  ev_timer_set(&c->timer, HTTPD_CLIENT_TIMEOUT, 0);
  ev_timer_start(s->loop, &c->timer);
  conn_read(c); /* a probe's request is usually there already */
}

/* Taken back for a newcomer: a lingering one is closed, a silent one answered if its
 * request came meanwhile, else told 503 busy (Retry-After: 1), as a refused one is. */
static void conn_drop(void *arg, int i)
{
  struct httpd_server *s = arg;
  struct httpd_conn *c = &s->conns[i];
  if(c->state == HC_READ)
    conn_read(c);
  if(c->state == HC_READ)
    say_and_close(c, busy_reply, sizeof(busy_reply) - 1);
  else if(c->state == HC_LINGER)
    conn_close(c);
}

static void conn_refuse(void *arg, int fd, int code, const char *why)
{
  struct httpd_server *s = arg;
  s->rejected++;
  discard_input(fd);
  if(send(fd, busy_reply, sizeof(busy_reply) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
    log_debug("http", "busy reply lost: %s", strerror(errno));
  shutdown(fd, SHUT_WR);
}

int httpd_start(struct httpd_server *s, struct ev_loop *loop, const char *addr, httpd_fill *fill, void *arg,
                char *why, size_t cap)
{
  struct sockaddr_storage sa;
  socklen_t len;
  char reason[160];
  int one = 1, e;

  s->loop = loop;
  s->fd = -1;
  s->fill = fill;
  s->arg = arg;
  s->served = s->rejected = s->timeouts = 0;
  s->core.fd = -1;
  snprintf(s->addr, sizeof(s->addr), "%s", addr);
  for(int i = 0; i < HTTPD_BIG_MAX; i++)
    s->big_busy[i] = 0;
  for(int i = 0; i < HTTPD_CONN_MAX; i++) {
    struct httpd_conn *c = &s->conns[i];
    c->fd = -1;
    c->state = HC_FREE;
    c->big = -1;
    c->in = s->in[i];
    c->out = NULL;
    c->server = s;
    ev_init(&c->io, conn_io_cb);
    c->io.data = c;
    ev_init(&c->timer, conn_timeout_cb);
    c->timer.data = c;
  }
  if(addr_parse_listen(addr, HTTPD_DEFAULT_PORT, &sa, &len, reason, sizeof(reason)) < 0) {
    if(cap)
      snprintf(why, cap, "http.listen: %s: %s", addr ? addr : "", reason);
    errno = EINVAL;
    return -1;
  }
  s->fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if(s->fd < 0)
    goto fail;
  if(setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
    goto fail;
  if(sa.ss_family == AF_INET6 &&
     IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&sa)->sin6_addr)) {
    int zero = 0; /* [::] serves IPv4 too, whatever net.ipv6.bindv6only says */
    if(setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0)
      goto fail;
  }
  if(bind(s->fd, (struct sockaddr *)&sa, len) < 0 || listen(s->fd, 128) < 0)
    goto fail;
  {
    static const struct server_limits lim = { .slots = HTTPD_CONN_MAX, .evict_age = HTTPD_EVICT_AGE };
    server_start(&s->core, loop, s->fd, "http", &lim, s->slots, conn_open, conn_drop, conn_refuse, s);
  }
  return 0;

fail:
  e = errno;
  snprintf(why, cap, "http.listen: %s: cannot listen: %s", addr, strerror(e));
  if(s->fd >= 0)
    close(s->fd);
  s->fd = -1;
  errno = e;
  return -1;
}

void httpd_stop(struct httpd_server *s)
{
  if(s->fd < 0)
    return;
  server_stop(&s->core);
  close(s->fd);
  s->fd = -1;
  for(int i = 0; i < HTTPD_CONN_MAX; i++)
    if(s->conns[i].state != HC_FREE)
      conn_close(&s->conns[i]);
}
