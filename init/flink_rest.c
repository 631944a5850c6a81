/* flink_rest.c - read the JobManager's REST replies.  See include/pinit/flink_rest.h.
 *
 * One small validating JSON walker (RFC 8259 grammar, depth-bounded) calls visit() for
 * every value with its path: members are joined with '.', array elements add "[]"
 * ("jobs[].id"), and `idx` is the element's index in its innermost array.  Strings are
 * unescaped (\uXXXX outside ASCII becomes '?': pinit only compares ASCII words and paths).
 * The readers keep what they need from the visits. */
#include "pinit/flink_rest.h"

#include <stdio.h>
#include <string.h>

#define PATH_CAP 128

enum vtype { V_STRING, V_LONGSTRING, V_NUMBER, V_BOOL, V_NULL, V_OBJECT, V_ARRAY };

typedef void visit_fn(void *arg, const char *path, enum vtype t, const char *s, size_t n, long idx);

struct walk {
  const char *p, *end;
  int depth;
  visit_fn *visit;
  void *arg;
  char path[PATH_CAP];
  size_t plen;
  long idx;
  char str[FLINK_PATH_MAX];
};

static void ws(struct walk *w)
{
  while(w->p < w->end && (*w->p == ' ' || *w->p == '\t' || *w->p == '\n' || *w->p == '\r'))
    w->p++;
}

static int hexval(char c)
{
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A string at w->p (the opening quote) into w->str; *n its length, *longer if cut. */
static int string(struct walk *w, size_t *n, int *longer)
{
  size_t len = 0;
  *longer = 0;
  w->p++;
  for(;;) {
    char c;
    if(w->p >= w->end)
      return -1;
    c = *w->p++;
    if(c == '"')
      break;
    if((unsigned char)c < 0x20)
      return -1;
    if(c == '\\') {
      if(w->p >= w->end)
        return -1;
      c = *w->p++;
      switch(c) {
      case '"': case '\\': case '/': break;
      case 'b': c = '\b'; break;
      case 'f': c = '\f'; break;
      case 'n': c = '\n'; break;
      case 'r': c = '\r'; break;
      case 't': c = '\t'; break;
      case 'u': {
        int v = 0;
        if(w->end - w->p < 4)
          return -1;
        for(int i = 0; i < 4; i++) {
          int h = hexval(w->p[i]);
          if(h < 0)
            return -1;
          v = v * 16 + h;
        }
        w->p += 4;
        c = v > 0 && v < 0x80 ? (char)v : '?';
        break;
      }
      default:
        return -1;
      }
    }
    if(len + 1 < sizeof(w->str))
      w->str[len++] = c;
    else
      *longer = 1;
  }
  w->str[len] = '\0';
  *n = len;
  return 0;
}

static int number(struct walk *w)
{
  const char *s = w->p;
  if(w->p < w->end && *w->p == '-')
    w->p++;
  if(w->p >= w->end || *w->p < '0' || *w->p > '9')
    return -1;
  if(*w->p == '0')
    w->p++;
  else
    while(w->p < w->end && *w->p >= '0' && *w->p <= '9')
      w->p++;
  if(w->p < w->end && *w->p == '.') {
    w->p++;
    if(w->p >= w->end || *w->p < '0' || *w->p > '9')
      return -1;
    while(w->p < w->end && *w->p >= '0' && *w->p <= '9')
      w->p++;
  }
  if(w->p < w->end && (*w->p == 'e' || *w->p == 'E')) {
    w->p++;
    if(w->p < w->end && (*w->p == '+' || *w->p == '-'))
      w->p++;
    if(w->p >= w->end || *w->p < '0' || *w->p > '9')
      return -1;
    while(w->p < w->end && *w->p >= '0' && *w->p <= '9')
      w->p++;
  }
  w->visit(w->arg, w->path, V_NUMBER, s, (size_t)(w->p - s), w->idx);
  return 0;
}

static int word(struct walk *w, const char *lit, enum vtype t)
{
  size_t n = strlen(lit);
  if((size_t)(w->end - w->p) < n || memcmp(w->p, lit, n))
    return -1;
  w->visit(w->arg, w->path, t, w->p, n, w->idx);
  w->p += n;
  return 0;
}

/* Append ".key" (or "[]") to the path; a path too long is kept cut (it matches nothing). */
static size_t push(struct walk *w, const char *key, size_t n)
{
  size_t old = w->plen;
  int k = snprintf(w->path + w->plen, sizeof(w->path) - w->plen, "%s%.*s", w->plen && *key != '[' ? "." : "",
                   (int)n, key);
  if(k > 0)
    w->plen = w->plen + (size_t)k < sizeof(w->path) ? w->plen + (size_t)k : sizeof(w->path) - 1;
  return old;
}

static void pop(struct walk *w, size_t old)
{
  w->plen = old;
  w->path[old] = '\0';
}

static int value(struct walk *w);

/* After a member or an element: 1 on ',' (another follows), 0 on `close`, -1 otherwise. */
static int separator(struct walk *w, char close)
{
  ws(w);
  if(w->p >= w->end)
    return -1;
  if(*w->p == ',') {
    w->p++;
    return 1;
  }
  return *w->p++ == close ? 0 : -1;
}

static int object(struct walk *w)
{
  w->visit(w->arg, w->path, V_OBJECT, "", 0, w->idx);
  w->p++;
  ws(w);
  if(w->p < w->end && *w->p == '}') {
    w->p++;
    return 0;
  }
  for(;;) {
    char key[64];
    size_t n, old;
    int longer, more;
    ws(w);
    if(w->p >= w->end || *w->p != '"' || string(w, &n, &longer) < 0)
      return -1;
    if(longer || n >= sizeof(key))
      n = 0;
    memcpy(key, w->str, n);
    key[n] = '\0';
    ws(w);
    if(w->p >= w->end || *w->p++ != ':')
      return -1;
    old = push(w, n ? key : "?", n ? n : 1);
    if(value(w) < 0)
      return -1;
    pop(w, old);
    if((more = separator(w, '}')) <= 0)
      return more;
  }
}

static int array(struct walk *w)
{
  long saved = w->idx;
  size_t old;
  w->visit(w->arg, w->path, V_ARRAY, "", 0, w->idx);
  w->p++;
  ws(w);
  if(w->p < w->end && *w->p == ']') {
    w->p++;
    return 0;
  }
  old = push(w, "[]", 2);
  for(w->idx = 0;; w->idx++) {
    int more;
    if(value(w) < 0)
      return -1;
    if((more = separator(w, ']')) < 0)
      return -1;
    if(!more)
      break;
  }
  pop(w, old);
  w->idx = saved;
  return 0;
}

static int value(struct walk *w)
{
  int rc;
  ws(w);
  if(w->p >= w->end)
    return -1;
  switch(*w->p) {
  case '{':
  case '[':
    if(++w->depth > FLINK_REST_DEPTH_MAX)
      return -1;
    rc = *w->p == '{' ? object(w) : array(w);
    w->depth--;
    return rc;
  case '"': {
    size_t n;
    int longer;
    if(string(w, &n, &longer) < 0)
      return -1;
    w->visit(w->arg, w->path, longer ? V_LONGSTRING : V_STRING, w->str, n, w->idx);
    return 0;
  }
  case 't':
    return word(w, "true", V_BOOL);
  case 'f':
    return word(w, "false", V_BOOL);
  case 'n':
    return word(w, "null", V_NULL);
  default:
    return number(w);
  }
}

/* Walk the whole body: one JSON value and nothing but blanks after it. */
static int walk(const char *body, size_t len, visit_fn *visit, void *arg)
{
  static struct walk w; /* big (the string buffer); the readers run on the loop thread */
  struct walk *x = &w;
  x->p = body;
  x->end = body + len;
  x->depth = 0;
  x->visit = visit;
  x->arg = arg;
  x->plen = 0;
  x->path[0] = '\0';
  x->idx = -1;
  if(!body || value(x) < 0)
    return -1;
  ws(x);
  return x->p == x->end ? 0 : -1;
}

/* A non-negative integer that fits an int; -1 otherwise. */
static int small_int(enum vtype t, const char *s, size_t n)
{
  long v = 0;
  if(t != V_NUMBER || !n || n > 9)
    return -1;
  for(size_t i = 0; i < n; i++) {
    if(s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  return (int)v;
}

static int copy(char *dst, size_t cap, enum vtype t, const char *s, size_t n)
{
  if(t != V_STRING || n >= cap)
    return -1;
  memcpy(dst, s, n);
  dst[n] = '\0';
  return 0;
}

/* ---- /overview ---------------------------------------------------------------------- */

struct overview_acc {
  struct flink_overview *out;
  int bad;
};

static void overview_visit(void *arg, const char *path, enum vtype t, const char *s, size_t n, long idx)
{
  struct overview_acc *a = arg;
  if(!strcmp(path, "taskmanagers") && (a->out->taskmanagers = small_int(t, s, n)) < 0)
    a->bad = 1;
  else if(!strcmp(path, "jobs-running") && (a->out->jobs_running = small_int(t, s, n)) < 0)
    a->bad = 1;
  else if(!*path && t != V_OBJECT)
    a->bad = 1;
}

int flink_rest_overview(const char *body, size_t len, struct flink_overview *out)
{
  struct flink_overview o = { -1, -1 };
  struct overview_acc a = { &o, 0 };
  if(walk(body, len, overview_visit, &a) < 0 || a.bad || o.taskmanagers < 0 || o.jobs_running < 0)
    return -1;
  *out = o;
  return 0;
}

/* ---- /jobs -------------------------------------------------------------------------- */

struct jobs_acc {
  struct flink_jobs *out;
  long cur;        /* the element whose members are being read */
  int have_id, have_status, bad, list;
  struct flink_job job;
};

static void jobs_flush(struct jobs_acc *a)
{
  if(a->cur < 0)
    return;
  if(!a->have_id || !a->have_status)
    a->bad = 1;
  else {
    a->out->total++;
    if(!strcmp(a->job.status, "RUNNING"))
      a->out->running++;
    if(a->out->n < FLINK_JOBS_MAX)
      a->out->job[a->out->n++] = a->job;
  }
  a->cur = -1;
  a->have_id = a->have_status = 0;
}

static void jobs_visit(void *arg, const char *path, enum vtype t, const char *s, size_t n, long idx)
{
  struct jobs_acc *a = arg;
  if(!strcmp(path, "jobs")) {
    if(t != V_ARRAY)
      a->bad = 1;
    a->list = 1;
  }
  else if(!strcmp(path, "jobs[]")) {
    jobs_flush(a);
    if(t != V_OBJECT)
      a->bad = 1;
    a->cur = idx;
  }
  else if(!strcmp(path, "jobs[].id")) {
    if(copy(a->job.id, sizeof(a->job.id), t, s, n) < 0 || a->have_id)
      a->bad = 1;
    a->have_id = 1;
  }
  else if(!strcmp(path, "jobs[].status")) {
    if(copy(a->job.status, sizeof(a->job.status), t, s, n) < 0 || a->have_status)
      a->bad = 1;
    a->have_status = 1;
  }
  else if(!*path && t != V_OBJECT)
    a->bad = 1;
}

int flink_rest_jobs(const char *body, size_t len, struct flink_jobs *out)
{
  static struct jobs_acc a;
  memset(&a, 0, sizeof(a));
  a.out = out;
  a.cur = -1;
  memset(out, 0, sizeof(*out));
  if(walk(body, len, jobs_visit, &a) < 0)
    return -1;
  jobs_flush(&a);
  if(a.bad || !a.list) {
    memset(out, 0, sizeof(*out));
    return -1;
  }
  return 0;
}

/* ---- stop with a savepoint: trigger and status --------------------------------------- */

struct trigger_acc {
  char *id;
  size_t cap;
  int found, bad;
};

static void trigger_visit(void *arg, const char *path, enum vtype t, const char *s, size_t n, long idx)
{
  struct trigger_acc *a = arg;
  if(!strcmp(path, "request-id")) {
    if(copy(a->id, a->cap, t, s, n) < 0 || !n)
      a->bad = 1;
    a->found = 1;
  }
  else if(!*path && t != V_OBJECT)
    a->bad = 1;
}

int flink_rest_trigger(const char *body, size_t len, char *id, size_t cap)
{
  char tmp[FLINK_JOB_ID_MAX];
  struct trigger_acc a = { tmp, sizeof(tmp) < cap ? sizeof(tmp) : cap, 0, 0 };
  if(!cap || walk(body, len, trigger_visit, &a) < 0 || a.bad || !a.found)
    return -1;
  memcpy(id, tmp, strlen(tmp) + 1);
  return 0;
}

struct op_acc {
  struct flink_op *out;
  int have_status, have_location, have_failure, bad;
};

static void op_visit(void *arg, const char *path, enum vtype t, const char *s, size_t n, long idx)
{
  struct op_acc *a = arg;
  if(!strcmp(path, "status.id")) {
    if(t == V_STRING && !strcmp(s, "IN_PROGRESS"))
      a->out->state = FLINK_OP_IN_PROGRESS;
    else if(t == V_STRING && !strcmp(s, "COMPLETED"))
      a->out->state = FLINK_OP_COMPLETED;
    else
      a->bad = 1;
    a->have_status = 1;
  }
  else if(!strcmp(path, "operation.location")) {
    if(t != V_NULL) {
      if(copy(a->out->location, sizeof(a->out->location), t, s, n) < 0 || !n)
        a->bad = 1;
      a->have_location = 1;
    }
  }
  else if(!strcmp(path, "operation.failure-cause")) {
    if(t != V_NULL) {
      a->have_failure = 1;
      snprintf(a->out->failure, sizeof(a->out->failure), "failed");
    }
  }
  else if(!strcmp(path, "operation.failure-cause.class") && t == V_STRING) {
    size_t k = n < sizeof(a->out->failure) ? n : sizeof(a->out->failure) - 1;
    memcpy(a->out->failure, s, k);
    a->out->failure[k] = '\0';
  }
  else if(!*path && t != V_OBJECT)
    a->bad = 1;
}

int flink_rest_savepoint(const char *body, size_t len, struct flink_op *out)
{
  static struct flink_op o;
  struct op_acc a = { &o, 0, 0, 0, 0 };
  memset(&o, 0, sizeof(o));
  if(walk(body, len, op_visit, &a) < 0 || a.bad || !a.have_status)
    return -1;
  if(o.state == FLINK_OP_COMPLETED && (a.have_failure || !a.have_location)) {
    o.state = FLINK_OP_FAILED;
    if(!o.failure[0])
      snprintf(o.failure, sizeof(o.failure), "no savepoint location in the reply");
    o.location[0] = '\0';
  }
  *out = o;
  return 0;
}

/* ---- /taskmanagers ------------------------------------------------------------------ */

struct tm_acc {
  const char *const *addrs;
  size_t naddrs;
  unsigned port;
  int list, listed, bad;
};

/* "pekko.tcp://flink@172.18.0.4:6122/user/rpc/taskmanager_0": does @HOST:PORT/ match? */
static int path_names(const char *path, const char *host, unsigned port)
{
  char want[300];
  int k = snprintf(want, sizeof(want), "@%s:%u/", host, port);
  if(k < 0 || (size_t)k >= sizeof(want))
    return 0;
  return strstr(path, want) != NULL;
}

static void tm_visit(void *arg, const char *path, enum vtype t, const char *s, size_t n, long idx)
{
  struct tm_acc *a = arg;
  if(!strcmp(path, "taskmanagers")) {
    if(t != V_ARRAY)
      a->bad = 1;
    a->list = 1;
  }
  else if(!strcmp(path, "taskmanagers[].path") && t == V_STRING) {
    for(size_t i = 0; i < a->naddrs; i++)
      if(a->addrs[i] && *a->addrs[i] && path_names(s, a->addrs[i], a->port))
        a->listed = 1;
  }
  else if(!*path && t != V_OBJECT)
    a->bad = 1;
}

int flink_rest_taskmanager_listed(const char *body, size_t len, const char *const *addrs, size_t naddrs,
                                  unsigned port)
{
  struct tm_acc a = { addrs, naddrs, port, 0, 0, 0 };
  if(walk(body, len, tm_visit, &a) < 0 || a.bad || !a.list)
    return -1;
  return a.listed;
}

int flink_rest_stop_body(const char *dir, char *buf, size_t cap)
{
  int k;
  for(const char *c = dir; *c; c++)
    if(*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
      return -1;
  k = snprintf(buf, cap, "{\"drain\":false,\"targetDirectory\":\"%s\"}", dir);
  return k < 0 || (size_t)k >= cap ? -1 : k;
}
