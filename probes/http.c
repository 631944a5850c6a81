/* http.c - TCP and HTTP probes as libcurl transfers, driven by the multi-socket API on
 * libev.  See include/pinit/probe.h.
 *
 * A TCP probe is a CURLOPT_CONNECT_ONLY transfer to http://HOST:PORT/: libcurl resolves
 * the name (its threaded resolver: getaddrinfo never runs on the loop thread) and connects
 * without blocking, happy-eyeballs included.  That is why there is no tcp.c.
 *
 * One multi handle per loop (a small fixed table, since pinit has one loop).  libcurl tells
 * us which sockets to watch (CURLMOPT_SOCKETFUNCTION -> one ev_io per socket) and when to
 * call it back (CURLMOPT_TIMERFUNCTION -> one ev_timer per loop); finished transfers are
 * collected after every curl_multi_socket_action() call.  libcurl is never called from
 * inside its own callbacks except to read state.
 */
#include "internal.h"

#include "pinit/duration.h"
#include "pinit/log.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HTTP_LOOPS 4
#define HTTP_BODY_MAX (64 * 1024)

_Static_assert(CURL_ERROR_SIZE <= sizeof(((struct probe *)0)->errbuf), "errbuf too small");

struct http_loop {
  struct ev_loop *loop;
  CURLM *multi;
  ev_timer timer;
};

/* One ev_io per socket libcurl asks us to watch. */
struct http_sock {
  ev_io io;
  struct http_loop *hl;
  curl_socket_t fd;
};

static struct http_loop loops[HTTP_LOOPS];
static int global_state;   /* 0 not yet, 1 done, -1 failed */
static struct curl_slist *json_header; /* for POSTs (probe_post_json), made on first use */

int http_global_init(void)
{
  const curl_version_info_data *v;

  if(global_state)
    return global_state > 0 ? 0 : -1;
  if(curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    log_error("probe", "curl_global_init failed");
    global_state = -1;
    errno = EIO;
    return -1;
  }
  global_state = 1;
  v = curl_version_info(CURLVERSION_NOW);
  if(!v || !(v->features & CURL_VERSION_ASYNCHDNS))
    log_warn("probe", "libcurl %s resolves names synchronously: a slow DNS server can stall pinit",
             v ? v->version : "?");
#if LIBCURL_VERSION_NUM < 0x075700
  log_warn("probe", "libcurl older than 7.87 joins its resolver thread on timeout: a slow DNS server can stall pinit");
#endif
  return 0;
}

void http_global_cleanup(void)
{
  for(int i = 0; i < HTTP_LOOPS; i++) {
    struct http_loop *hl = &loops[i];
    if(!hl->loop)
      continue;
    ev_timer_stop(hl->loop, &hl->timer);
    curl_multi_cleanup(hl->multi);
    memset(hl, 0, sizeof(*hl));
  }
  curl_slist_free_all(json_header);
  json_header = NULL;
  if(global_state > 0)
    curl_global_cleanup();
  global_state = 0;
}

static void collect(struct http_loop *hl);

static void sock_event(struct ev_loop *loop, ev_io *w, int revents)
{
  struct http_sock *s = (struct http_sock *)w;
  struct http_loop *hl = s->hl;
  int action = (revents & EV_READ ? CURL_CSELECT_IN : 0) | (revents & EV_WRITE ? CURL_CSELECT_OUT : 0);
  int running;

  /* s may be freed inside this call (CURL_POLL_REMOVE) */
  curl_multi_socket_action(hl->multi, s->fd, action, &running);
  collect(hl);
}

static void timer_event(struct ev_loop *loop, ev_timer *w, int revents)
{
  struct http_loop *hl = w->data;
  int running;

  curl_multi_socket_action(hl->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  collect(hl);
}

static int sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
  struct http_loop *hl = userp;
  struct http_sock *s = socketp;

  if(what == CURL_POLL_REMOVE) {
    if(s) {
      ev_io_stop(hl->loop, &s->io);
      free(s);
    }
    return 0;
  }
  if(!s) {
    s = calloc(1, sizeof(*s));
    if(!s)
      return -1;
    s->hl = hl;
    s->fd = fd;
    curl_multi_assign(hl->multi, fd, s);
  }
  else
    ev_io_stop(hl->loop, &s->io);
  ev_io_init(&s->io, sock_event, fd, (what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0));
  ev_io_start(hl->loop, &s->io);
  return 0;
}

static int timer_cb(CURLM *multi, long ms, void *userp)
{
  struct http_loop *hl = userp;

  ev_timer_stop(hl->loop, &hl->timer);
  if(ms >= 0) {
    ev_timer_set(&hl->timer, (double)ms / 1000.0, 0.);
    ev_timer_start(hl->loop, &hl->timer);
  }
  return 0;
}

static struct http_loop *loop_get(struct ev_loop *loop)
{
  struct http_loop *free_slot = NULL;

  for(int i = 0; i < HTTP_LOOPS; i++) {
    if(loops[i].loop == loop)
      return &loops[i];
    if(!loops[i].loop && !free_slot)
      free_slot = &loops[i];
  }
  if(!free_slot)
    return NULL;
  free_slot->multi = curl_multi_init();
  if(!free_slot->multi)
    return NULL;
  free_slot->loop = loop;
  ev_timer_init(&free_slot->timer, timer_event, 0., 0.);
  free_slot->timer.data = free_slot;
  curl_multi_setopt(free_slot->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
  curl_multi_setopt(free_slot->multi, CURLMOPT_SOCKETDATA, free_slot);
  curl_multi_setopt(free_slot->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
  curl_multi_setopt(free_slot->multi, CURLMOPT_TIMERDATA, free_slot);
  return free_slot;
}

static size_t body_cb(char *data, size_t size, size_t n, void *arg)
{
  struct probe *p = arg;
  size_t len = size * n;

  p->body += len;
  if(p->keep && p->kept + 1 < p->keep_cap) {
    size_t k = p->keep_cap - 1 - p->kept < len ? p->keep_cap - 1 - p->kept : len;
    memcpy(p->keep + p->kept, data, k);
    p->kept += k;
    p->keep[p->kept] = '\0';
  }
  if(p->body > HTTP_BODY_MAX) {
    p->capped = 1;
    return 0;   /* stop reading: the status line decides */
  }
  return len;
}

/* Options set once per easy handle; libcurl keeps them across transfers. */
static CURL *easy_new(struct probe *p)
{
  CURL *e = curl_easy_init();
  int tcp = p->target.kind == PROBE_TCP;

  if(!e)
    return NULL;
  curl_easy_setopt(e, CURLOPT_URL, p->target.spec);
  curl_easy_setopt(e, CURLOPT_PRIVATE, p);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, p->errbuf);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROXY, "");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 0L);   /* resolve afresh every attempt */
  curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);        /* close the connection after it */
#if LIBCURL_VERSION_NUM >= 0x075700
  curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);          /* never join a resolver thread */
#endif
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "pinit/" PINIT_VERSION);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, body_cb);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, p);
  if(tcp)
    curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
  return e;
}

int http_start(struct probe *p)
{
  struct http_loop *hl = loop_get(p->loop);
  CURLMcode mc;

  if(!hl) {
    probe_reason(p, "cannot set up libcurl on this loop");
    return -1;
  }
  if(!p->easy && !(p->easy = easy_new(p))) {
    probe_reason(p, "cannot create a libcurl handle: out of memory");
    return -1;
  }
  p->body = 0;
  p->capped = 0;
  p->errbuf[0] = 0;
  p->kept = 0;
  if(p->keep)
    p->keep[0] = '\0';
  if(p->post) {
    if(!json_header)
      json_header = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(p->easy, CURLOPT_HTTPHEADER, json_header);
    curl_easy_setopt(p->easy, CURLOPT_POSTFIELDS, p->post);
  }
  else if(p->target.kind == PROBE_HTTP) {
    curl_easy_setopt(p->easy, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    curl_easy_setopt(p->easy, CURLOPT_HTTPGET, 1L);
  }
  curl_easy_setopt(p->easy, CURLOPT_TIMEOUT_MS, (long)p->timeout_ms);
  mc = curl_multi_add_handle(hl->multi, p->easy);
  if(mc != CURLM_OK) {
    probe_reason(p, "libcurl: %s", curl_multi_strerror(mc));
    return -1;
  }
  p->multi = hl;
  return 0;
}

void http_stop(struct probe *p)
{
  struct http_loop *hl = p->multi;

  if(hl && p->easy)
    curl_multi_remove_handle(hl->multi, p->easy);
  p->multi = NULL;
}

void http_free(struct probe *p)
{
  http_stop(p);
  if(p->easy)
    curl_easy_cleanup(p->easy);
  p->easy = NULL;
}

void http_timeout_reason(struct probe *p)
{
  curl_off_t lookup = 0, connect = 0;
  const char *phase = "waiting for the response";
  char d[32];

  if(p->easy) {
    curl_easy_getinfo(p->easy, CURLINFO_NAMELOOKUP_TIME_T, &lookup);
    curl_easy_getinfo(p->easy, CURLINFO_CONNECT_TIME_T, &connect);
  }
  if(!p->target.numeric && !lookup)
    phase = "resolving";
  else if(!connect)
    phase = "connecting";
  probe_reason(p, "timeout after %s (%s)", duration_format(p->timeout_ms, d, sizeof(d)), phase);
}

/* Judge a finished transfer; writes p->reason, returns ok. */
static int judge(struct probe *p, CURLcode rc, long code, long oserr)
{
  char buf[96];

  if(p->target.kind == PROBE_HTTP && code > 0 && (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && p->capped))) {
    p->status = code;
    probe_reason(p, "HTTP %ld", code);
    return code >= 200 && code < 400;
  }
  if(rc == CURLE_OK) {
    probe_reason(p, "connected");
    return p->target.kind == PROBE_TCP;
  }
  switch(rc) {
  case CURLE_COULDNT_RESOLVE_HOST:
    probe_reason(p, "cannot resolve host");
    break;
  case CURLE_COULDNT_CONNECT:
    probe_reason(p, "%s", oserr ? probe_strerror((int)oserr, buf, sizeof(buf)) : "cannot connect");
    break;
  case CURLE_OPERATION_TIMEDOUT:
    http_timeout_reason(p);
    break;
  case CURLE_GOT_NOTHING:
    probe_reason(p, "empty reply from server");
    break;
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
    if(oserr) {
      probe_reason(p, "%s", probe_strerror((int)oserr, buf, sizeof(buf)));
      break;
    }
    /* fall through */
  default:
    probe_reason(p, "%s", p->errbuf[0] ? p->errbuf : curl_easy_strerror(rc));
    break;
  }
  return 0;
}

static void collect(struct http_loop *hl)
{
  CURLMsg *m;
  int left;

  while((m = curl_multi_info_read(hl->multi, &left))) {
    CURL *e = m->easy_handle;
    CURLcode rc = m->data.result;
    struct probe *p = NULL;
    long code = 0, oserr = 0;

    if(m->msg != CURLMSG_DONE)
      continue;
    curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&p);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &oserr);
    curl_multi_remove_handle(hl->multi, e);   /* m is invalid from here on */
    p->multi = NULL;
    int ok = judge(p, rc, code, oserr);
    size_t n = strlen(p->reason);
    while(n && (p->reason[n - 1] == '\n' || p->reason[n - 1] == ' '))
      p->reason[--n] = 0;
    probe_done(p, ok);
  }
}
