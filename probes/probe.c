/* probe.c - target parsing (pure) and the attempt life cycle shared by every probe kind.
 * See include/pinit/probe.h. */
#include "pinit/probe.h"
#include "internal.h"

#include "pinit/addr.h"
#include "pinit/duration.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#define SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

static const char *const kind_names[] = { "?", "tcp", "http", "unix", "file", "exec" };

const char *probe_kind_name(enum probe_kind kind)
{
  return kind >= PROBE_TCP && kind <= PROBE_EXEC ? kind_names[kind] : "?";
}

static int fail(struct probe_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct probe_error *err, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
  va_end(ap);
  return -1;
}

/* Copy s into a name buffer, cutting long names with "...". */
static void set_name(struct probe_target *t, const char *prefix, const char *s, size_t len)
{
  size_t cap = sizeof(t->name);
  int n = snprintf(t->name, cap, "%s%.*s", prefix, (int)len, s);
  if(n >= 0 && (size_t)n >= cap)
    memcpy(t->name + cap - 4, "...", 4);
}

/* HOST:PORT or [V6]:PORT, the whole of s[0..len) (pinit/addr.h). */
static int parse_hostport(const char *s, size_t len, struct probe_target *t, struct probe_error *err)
{
  struct addr_hostport hp;
  char name[ADDR_HOST_MAX + 16];
  int clash;

  if(addr_parse_hostport(s, len, &hp, err->msg, sizeof(err->msg)) < 0)
    return -1;
  t->kind = PROBE_TCP;
  t->port = hp.port;
  t->numeric = hp.numeric;
  snprintf(name, sizeof(name), hp.v6 ? "[%s]:%u" : "%s:%u", hp.host, hp.port);
  snprintf(t->spec, sizeof(t->spec), "http://%s/", name);
  /* a host called exec, unix or file would read back as another kind: say tcp:// */
  clash = !strcasecmp(hp.host, "exec") || !strcasecmp(hp.host, "unix") || !strcasecmp(hp.host, "file");
  set_name(t, clash ? "tcp://" : "", name, strlen(name));
  return 0;
}

static int curl_has_https(void)
{
  const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
  if(!v || !v->protocols)
    return 0;
  for(const char *const *p = v->protocols; *p; p++)
    if(!strcasecmp(*p, "https"))
      return 1;
  return 0;
}

static int parse_http(const char *s, size_t slen, int https, struct probe_target *t, struct probe_error *err)
{
  CURLU *u;
  CURLUcode uc;
  char *host = NULL;
  char *port = NULL;
  size_t start = https ? 8 : 7;

  if(https && !curl_has_https())
    return fail(err, "https is not supported by this build (libcurl without TLS)");
  for(size_t i = 0; i < slen; i++)
    if(isspace((unsigned char)s[i]))
      return fail(err, "a URL cannot contain blanks (write %%20)");
  if(slen == start || s[start] == '/')
    return fail(err, "missing host in URL");
  u = curl_url();
  if(!u)
    return fail(err, "out of memory");
  uc = curl_url_set(u, CURLUPART_URL, s, 0);
  if(!uc)
    uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
  if(!uc)
    uc = curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
  curl_url_cleanup(u);
  if(uc || !host || !*host || !port) {
    curl_free(host);
    curl_free(port);
    return uc ? fail(err, "bad URL: %s", curl_url_strerror(uc)) : fail(err, "missing host in URL");
  }
  t->port = (unsigned)strtoul(port, NULL, 10);
  {
    char ip[64];
    size_t hl = strlen(host);
    struct in6_addr a;
    if(host[0] == '[' && hl >= 2 && hl - 2 < sizeof(ip)) {
      memcpy(ip, host + 1, hl - 2);
      ip[hl - 2] = 0;
      t->numeric = inet_pton(AF_INET6, ip, &a) == 1 || strchr(ip, '%') != NULL;
    }
    else
      t->numeric = inet_pton(AF_INET, host, &a) == 1;
  }
  curl_free(host);
  curl_free(port);
  t->kind = PROBE_HTTP;
  memcpy(t->spec, s, slen + 1);

  /* The display name hides user:password. */
  size_t auth_end = start;
  while(auth_end < slen && !strchr("/?#", s[auth_end]))
    auth_end++;
  const char *at = NULL;
  for(size_t i = start; i < auth_end; i++)
    if(s[i] == '@')
      at = s + i;
  if(at) {
    char buf[PROBE_SPEC_MAX + 8];
    snprintf(buf, sizeof(buf), "%.*s***%s", (int)start, s, at);
    set_name(t, "", buf, strlen(buf));
  }
  else
    set_name(t, "", s, slen);
  return 0;
}

static int parse_unix(const char *s, size_t slen, struct probe_target *t, struct probe_error *err)
{
  const char *path = s + 7;
  size_t plen = slen - 7;

  if(!plen || (path[0] != '/' && path[0] != '@'))
    return fail(err, "write unix:///PATH or unix://@ABSTRACT");
  if(path[0] == '@' && plen == 1)
    return fail(err, "empty abstract socket name");
  if(plen > SUN_PATH_MAX)
    return fail(err, "socket path too long (max %zu)", (size_t)SUN_PATH_MAX);
  t->kind = PROBE_UNIX;
  memcpy(t->spec, path, plen + 1);
  set_name(t, "", s, slen);
  return 0;
}

static int parse_file(const char *s, size_t slen, struct probe_target *t, struct probe_error *err)
{
  const char *path = s + 7;
  size_t plen = slen - 7;

  if(!plen || path[0] != '/')
    return fail(err, "write file:///ABSOLUTE/PATH");
  t->kind = PROBE_FILE;
  memcpy(t->spec, path, plen + 1);
  set_name(t, "", s, slen);
  return 0;
}

static int parse_exec(const char *s, size_t slen, struct probe_target *t, struct probe_error *err)
{
  static const char shell_chars[] = "'\"\\$`|&;<>()";
  const char *p = s + 5, *end = s + slen;
  size_t out = 0;
  int argc = 0;

  for(const char *q = p; q < end; q++)
    if(strchr(shell_chars, *q))
      return fail(err, "shell syntax '%c' is not interpreted (no shell): put the command in a script", *q);
  while(p < end) {
    while(p < end && (*p == ' ' || *p == '\t'))
      p++;
    if(p == end)
      break;
    const char *w = p;
    while(p < end && *p != ' ' && *p != '\t')
      p++;
    if(argc == PROBE_ARGS_MAX)
      return fail(err, "too many arguments (max %d)", PROBE_ARGS_MAX);
    memcpy(t->spec + out, w, (size_t)(p - w));
    out += (size_t)(p - w);
    t->spec[out++] = 0;
    argc++;
  }
  if(!argc)
    return fail(err, "missing command after 'exec:'");
  t->kind = PROBE_EXEC;
  t->argc = argc;
  /* name: "exec:" + the words joined by single blanks */
  char buf[PROBE_SPEC_MAX + 8];
  size_t bl = 0;
  const char *w = t->spec;
  for(int i = 0; i < argc; i++) {
    size_t wl = strlen(w);
    if(i)
      buf[bl++] = ' ';
    memcpy(buf + bl, w, wl);
    bl += wl;
    w += wl + 1;
  }
  buf[bl] = 0;
  set_name(t, "exec:", buf, bl);
  return 0;
}

int probe_parse(const char *text, struct probe_target *out, struct probe_error *err)
{
  struct probe_target t;
  size_t len;
  const char *sep;

  if(!text || !*text)
    return fail(err, "empty target");
  len = strlen(text);
  if(len >= PROBE_SPEC_MAX)
    return fail(err, "target too long (max %d characters)", PROBE_SPEC_MAX - 1);
  int is_exec = !strncasecmp(text, "exec:", 5);
  for(size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)text[i];
    if((c < 0x20 && !(is_exec && c == '\t')) || c == 0x7f)
      return fail(err, "control character in target");
  }
  memset(&t, 0, sizeof(t));

  int rc;
  if(is_exec)
    rc = parse_exec(text, len, &t, err);
  else if(!strncasecmp(text, "tcp://", 6))
    rc = parse_hostport(text + 6, len - 6, &t, err);
  else if(!strncasecmp(text, "http://", 7))
    rc = parse_http(text, len, 0, &t, err);
  else if(!strncasecmp(text, "https://", 8))
    rc = parse_http(text, len, 1, &t, err);
  else if(!strncasecmp(text, "unix://", 7))
    rc = parse_unix(text, len, &t, err);
  else if(!strncasecmp(text, "file://", 7))
    rc = parse_file(text, len, &t, err);
  else if((sep = strstr(text, "://")) != NULL)
    rc = fail(err, "unsupported scheme '%.*s' (use tcp, http, https, unix, file or exec)",
              sep - text > 20 ? 20 : (int)(sep - text), text);
  else if((!strncasecmp(text, "unix:", 5) || !strncasecmp(text, "file:", 5)) && text[5] == '/')
    rc = fail(err, "write %.4s:///ABSOLUTE/PATH", text);
  else
    rc = parse_hostport(text, len, &t, err);
  if(rc == 0)
    *out = t;
  return rc;
}

/* ---- the attempt life cycle -------------------------------------------------------- */

void probe_reason(struct probe *p, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
  va_end(ap);
}

const char *probe_strerror(int e, char *buf, size_t cap)
{
  snprintf(buf, cap, "%s", strerror(e));
  if(buf[0])
    buf[0] = (char)tolower((unsigned char)buf[0]);
  return buf;
}

void probe_done(struct probe *p, int ok)
{
  char reason[PROBE_REASON_MAX];
  probe_cb *cb = p->cb;
  void *arg = p->arg;

  ev_timer_stop(p->loop, &p->deadline);
  ev_timer_stop(p->loop, &p->kick);
  p->running = 0;
  memcpy(reason, p->reason, sizeof(reason));
  cb(p, ok, reason, arg);
}

static void stop_kind(struct probe *p)
{
  switch(p->target.kind) {
  case PROBE_TCP:
  case PROBE_HTTP:
    http_stop(p);
    break;
  case PROBE_EXEC:
    exec_stop(p);
    break;
  default:
    break;
  }
}

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
  struct probe *p = w->data;
  char d[32];

  if(p->target.kind == PROBE_TCP || p->target.kind == PROBE_HTTP)
    http_timeout_reason(p);
  else
    probe_reason(p, "timeout after %s", duration_format(p->timeout_ms, d, sizeof(d)));
  stop_kind(p);
  probe_done(p, 0);
}

/* Next-iteration work: the local checks, or a failure found while starting. */
static void kick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
  struct probe *p = w->data;

  if(p->target.kind == PROBE_UNIX || p->target.kind == PROBE_FILE)
    local_check(p);
  probe_done(p, p->ok);
}

int probe_global_init(void)
{
  return http_global_init();
}

void probe_global_cleanup(void)
{
  http_global_cleanup();
}

void probe_init(struct probe *p, const struct probe_target *t)
{
  memset(p, 0, sizeof(*p));
  p->target = *t;
  p->pid = -1;
  ev_timer_init(&p->deadline, deadline_cb, 0., 0.);
  p->deadline.data = p;
  ev_timer_init(&p->kick, kick_cb, 0., 0.);
  p->kick.data = p;
  ev_io_init(&p->out, NULL, -1, 0);
}

void probe_keep_body(struct probe *p, char *buf, size_t cap)
{
  p->keep = cap ? buf : NULL;
  p->keep_cap = cap;
  p->kept = 0;
  if(p->keep)
    p->keep[0] = '\0';
}

void probe_post_json(struct probe *p, const char *json)
{
  p->post = json;
}

void probe_env(struct probe *p, char *const *envp)
{
  p->envp = envp;
}

int probe_start(struct probe *p, struct ev_loop *loop, int64_t timeout_ms, probe_cb *cb, void *arg)
{
  int rc = 0;

  if(p->running) {
    errno = EBUSY;
    return -1;
  }
  if(!loop || !cb || timeout_ms <= 0 || (p->target.kind == PROBE_EXEC && !ev_is_default_loop(loop))) {
    errno = EINVAL;
    return -1;
  }
  p->loop = loop;
  p->cb = cb;
  p->arg = arg;
  p->timeout_ms = timeout_ms;
  p->running = 1;
  p->ok = 0;
  p->status = 0;
  p->reason[0] = 0;
  switch(p->target.kind) {
  case PROBE_TCP:
  case PROBE_HTTP:
    rc = http_global_init() < 0 ? (probe_reason(p, "libcurl initialisation failed"), -1) : http_start(p);
    break;
  case PROBE_EXEC:
    rc = exec_start(p);
    break;
  default:
    rc = -1;   /* unix, file: checked by kick_cb */
    break;
  }
  if(rc < 0)
    ev_timer_start(loop, &p->kick);
  else {
    ev_timer_set(&p->deadline, (double)timeout_ms / 1000.0, 0.);
    ev_timer_start(loop, &p->deadline);
  }
  return 0;
}

int probe_running(const struct probe *p)
{
  return p->running;
}

void probe_cancel(struct probe *p)
{
  if(!p->running)
    return;
  ev_timer_stop(p->loop, &p->deadline);
  ev_timer_stop(p->loop, &p->kick);
  stop_kind(p);
  p->running = 0;
}

void probe_free(struct probe *p)
{
  probe_cancel(p);
  if(p->target.kind == PROBE_TCP || p->target.kind == PROBE_HTTP)
    http_free(p);
}
