/* Table tests for status.c: the human line, and the JSON object, from
 * hand-built supervisor states.  The JSON is checked by a small strict validator below. */
#include "pinit/config.h"
#include "pinit/control.h"
#include "pinit/status.h"
#include "pinit/supervise.h"
#include "unit.h"

#include <signal.h>
#include <stdlib.h>

/* ---- a strict JSON validator (RFC 8259 grammar, ASCII/UTF-8 bytes passed through) ---- */

static const char *js_value(const char *p, int depth);

static const char *js_ws(const char *p)
{
  while(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
    p++;
  return p;
}

static const char *js_string(const char *p)
{
  if(*p++ != '"')
    return NULL;
  for(;;) {
    unsigned char c = (unsigned char)*p++;
    if(c == '"')
      return p;
    if(c < 0x20)
      return NULL; /* includes the terminating NUL */
    if(c == '\\') {
      c = (unsigned char)*p++;
      if(c == 'u') {
        for(int i = 0; i < 4; i++, p++)
          if(!strchr("0123456789abcdefABCDEF", *p) || !*p)
            return NULL;
      }
      else if(!c || !strchr("\"\\/bfnrt", c))
        return NULL;
    }
  }
}

static const char *js_number(const char *p)
{
  if(*p == '-')
    p++;
  if(*p == '0')
    p++;
  else if(*p >= '1' && *p <= '9')
    while(*p >= '0' && *p <= '9')
      p++;
  else
    return NULL;
  if(*p == '.') {
    p++;
    if(*p < '0' || *p > '9')
      return NULL;
    while(*p >= '0' && *p <= '9')
      p++;
  }
  if(*p == 'e' || *p == 'E') {
    p++;
    if(*p == '+' || *p == '-')
      p++;
    if(*p < '0' || *p > '9')
      return NULL;
    while(*p >= '0' && *p <= '9')
      p++;
  }
  return p;
}

static const char *js_value(const char *p, int depth)
{
  if(depth > 32)
    return NULL;
  p = js_ws(p);
  if(*p == '{' || *p == '[') {
    char close = *p == '{' ? '}' : ']';
    int obj = *p == '{';
    p = js_ws(p + 1);
    if(*p == close)
      return p + 1;
    for(;;) {
      if(obj) {
        if(!(p = js_string(js_ws(p))))
          return NULL;
        p = js_ws(p);
        if(*p++ != ':')
          return NULL;
      }
      if(!(p = js_value(p, depth + 1)))
        return NULL;
      p = js_ws(p);
      if(*p == close)
        return p + 1;
      if(*p++ != ',')
        return NULL;
    }
  }
  if(*p == '"')
    return js_string(p);
  if(!strncmp(p, "true", 4))
    return p + 4;
  if(!strncmp(p, "false", 5))
    return p + 5;
  if(!strncmp(p, "null", 4))
    return p + 4;
  return js_number(p);
}

static int json_valid(const char *s)
{
  const char *end = js_value(s, 0);
  return end && *js_ws(end) == '\0' && *js_ws(s) == '{';
}

/* ---- fixtures ------------------------------------------------------------------------- */

static struct config cfg;

static void make_sv(struct supervise *sv, const char *name)
{
  char *envp[] = { "PINIT_CONFIG=/dev/null", NULL };
  struct config_error err;
  if(config_load(&cfg, NULL, envp, &err)) {
    fprintf(stderr, "config_load: %s\n", err.msg);
    exit(2);
  }
  supervise_init(sv, name, &cfg, NULL);
}

#define NOW 10000000LL /* ms: ~2.8h of monotonic clock */

static void check_json(const struct status_view *v, const char *const *want)
{
  char buf[CTL_REPLY_MAX];
  size_t n = status_json(v, buf, sizeof(buf));
  CHECK_INT(n, strlen(buf));
  if(!json_valid(buf))
    fprintf(stderr, "invalid JSON: %s\n", buf);
  CHECK(json_valid(buf));
  /* the keys the issue names, always present */
  static const char *const keys[] = { "\"name\":", "\"state\":", "\"want\":", "\"pid\":", "\"uptime_seconds\":",
                                      "\"healthy\":", "\"ready\":", "\"healthy_seconds\":", "\"restarts\":",
                                      "\"restarts_by_reason\":{\"exit\":", "\"last_exit\":", "\"backoff_seconds\":",
                                      "\"deps\":", "\"reaped\":", "\"message\":" };
  for(unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
    if(!strstr(buf, keys[i]))
      fprintf(stderr, "missing %s in %s\n", keys[i], buf);
    CHECK(strstr(buf, keys[i]) != NULL);
  }
  for(; *want; want++) {
    if(!strstr(buf, *want))
      fprintf(stderr, "missing %s in %s\n", *want, buf);
    CHECK(strstr(buf, *want) != NULL);
  }
}

static void check_line(const struct status_view *v, const char *want)
{
  char buf[512];
  size_t n = status_line(v, buf, sizeof(buf));
  CHECK_STR(buf, want);
  CHECK_INT(n, strlen(buf));
}

int main(void)
{
  struct supervise sv;
  struct status_view v = { &sv, { NOW }, NULL, 0, "", 0, NULL, NULL, NULL };
  char buf[64];

  /* ---- status_age boundaries ---- */
  static const struct { long long ms; const char *want; } ages[] = {
    { 0, "0s" }, { 999, "0s" }, { 1000, "1s" }, { 42000, "42s" }, { 119999, "119s" }, { 120000, "2m" },
    { 300000, "5m" }, { 7199999, "119m" }, { 7200000, "2h" }, { 10800000, "3h" }, { 172799999, "47h" },
    { 172800000, "2d" }, { 864000000LL, "10d" },
  };
  for(unsigned i = 0; i < sizeof(ages) / sizeof(ages[0]); i++)
    CHECK_STR(status_age(ages[i].ms, buf, sizeof(buf)), ages[i].want);
  CHECK(status_age(5, buf, sizeof(buf)) == buf);

  /* ---- IDLE: nothing happened yet ---- */
  make_sv(&sv, "jm");
  check_line(&v, "jm: idle, restarts 0, deps none");
  check_json(&v, (const char *const[]){ "\"name\":\"jm\"", "\"state\":\"idle\"", "\"want\":\"up\"", "\"pid\":0",
                                        "\"healthy\":false", "\"ready\":false", "\"last_exit\":null",
                                        "\"deps\":\"none\"", "\"message\":\"\"", NULL });

  /* ---- WAITING for dependencies ---- */
  sv.state = SV_WAITING;
  v.deps = "waiting: db:5432";
  check_line(&v, "jm: waiting, restarts 0, deps waiting: db:5432");
  check_json(&v, (const char *const[]){ "\"state\":\"waiting\"", "\"deps\":\"waiting: db:5432\"", NULL });

  /* ---- STARTING: readiness gating ---- */
  make_sv(&sv, "jm");
  v.deps = "ok";
  sv.has_readiness = sv.has_liveness = 1;
  sv.live_threshold = 3;
  sv.state = SV_STARTING;
  sv.pid = 7;
  sv.spawned_at.ms = NOW - 3000;
  sv.healthy = 1;
  sv.healthy_since.ms = NOW - 3000;
  check_line(&v, "jm: starting (pid 7) 3s, healthy 3s, not ready, restarts 0, deps ok");
  check_json(&v, (const char *const[]){ "\"state\":\"starting\"", "\"pid\":7", "\"uptime_seconds\":3",
                                        "\"healthy\":true", "\"ready\":false", "\"healthy_seconds\":3", NULL });

  /* ---- UP, the design's example ---- */
  make_sv(&sv, "jobmanager");
  sv.has_liveness = 1;
  sv.live_threshold = 3;
  sv.state = SV_UP;
  sv.pid = 42;
  sv.spawned_at.ms = NOW - 3605000;
  sv.up_at.ms = NOW - 3605000;
  sv.healthy = sv.ready = 1;
  sv.healthy_since.ms = NOW - 3590000;
  sv.restarts = 2;
  sv.restarts_by[SV_R_SIGNAL] = 2;
  sv.have_exit = 1;
  sv.last_status = SIGKILL;
  sv.last_reason = SV_R_SIGNAL;
  sv.exited_at.ms = NOW - 3 * 3600 * 1000;
  v.deps = "ok";
  check_line(&v, "jobmanager: up (pid 42) 60m, healthy 59m, restarts 2 (last: signal 9 (KILL), 3h ago), deps ok");
  check_json(&v, (const char *const[]){ "\"name\":\"jobmanager\"", "\"state\":\"up\"", "\"pid\":42",
                                        "\"uptime_seconds\":3605", "\"healthy\":true", "\"ready\":true",
                                        "\"healthy_seconds\":3590", "\"restarts\":2",
                                        "\"restarts_by_reason\":{\"exit\":0,\"signal\":2,\"health\":0,\"manual\":0}",
                                        "\"last_exit\":{\"code\":137,\"signal\":9,\"reason\":\"signal\"",
                                        "\"description\":\"signal 9 (KILL)\"", "\"seconds_ago\":10800",
                                        "\"backoff_seconds\":0", NULL });

  /* UP but failing readiness */
  sv.ready = 0;
  check_json(&v, (const char *const[]){ "\"healthy\":true", "\"ready\":false", NULL });
  sv.ready = 1;

  /* UP with liveness failures: below the threshold still live, at it not */
  sv.live_fail = 2;
  sv.live_fail = 3;
  sv.healthy = 0;
  check_line(&v, "jobmanager: up (pid 42) 60m, unhealthy (3 failed probes), restarts 2 (last: signal 9 (KILL), 3h ago), deps ok");
  check_json(&v, (const char *const[]){ "\"healthy\":false", "\"ready\":false", "\"healthy_seconds\":0", NULL });

  /* ---- STOPPING (a liveness restart) ---- */
  sv.state = SV_STOPPING;
  check_json(&v, (const char *const[]){ "\"state\":\"stopping\"", "\"pid\":42", NULL });

  /* ---- BACKOFF ---- */
  make_sv(&sv, "tm");
  sv.state = SV_BACKOFF;
  sv.timer_at.ms = NOW + 4000;
  sv.restarts = 3;
  sv.restarts_by[SV_R_EXIT] = 3;
  sv.have_exit = 1;
  sv.last_status = 1 << 8;
  sv.last_reason = SV_R_EXIT;
  sv.exited_at.ms = NOW - 2000;
  v.deps = NULL;
  check_line(&v, "tm: backoff, restart in 4s, restarts 3 (last: exit 1, 2s ago), deps none");
  check_json(&v, (const char *const[]){ "\"state\":\"backoff\"", "\"pid\":0", "\"uptime_seconds\":0",
                                        "\"healthy\":false", "\"ready\":false", "\"restarts\":3",
                                        "\"last_exit\":{\"code\":1,\"signal\":0,\"reason\":\"exit\"",
                                        "\"description\":\"exit 1\"", "\"seconds_ago\":2",
                                        "\"backoff_seconds\":4.000", "\"deps\":\"none\"", NULL });
  sv.timer_at.ms = NOW + 1; /* "restart in" rounds up */
  check_line(&v, "tm: backoff, restart in 1s, restarts 3 (last: exit 1, 2s ago), deps none");

  /* ---- DONE and FAILED ---- */
  sv.state = SV_DONE;
  sv.timer_at.ms = 0;
  sv.want = SV_WANT_DOWN;
  check_line(&v, "tm: done, restarts 3 (last: exit 1, 2s ago), deps none");
  check_json(&v, (const char *const[]){ "\"state\":\"done\"", "\"want\":\"down\"", "\"backoff_seconds\":0", NULL });
  sv.state = SV_FAILED;
  check_line(&v, "tm: failed, restarts 3 (last: exit 1, 2s ago), deps none");

  /* ---- a child stopped by a signal (/proc state T): the line and JSON say so (test_check.c: the verdicts) ---- */
  make_sv(&sv, "jm");
  sv.state = SV_UP;
  sv.pid = 42;
  sv.spawned_at.ms = sv.healthy_since.ms = NOW - 5000;
  sv.healthy = sv.ready = 1;
  v.child_state = 'S';
  check_line(&v, "jm: up (pid 42) 5s, healthy 5s, restarts 0, deps none");
  check_json(&v, (const char *const[]){ "\"stopped\":false", "\"healthy\":true", "\"ready\":true", NULL });
  v.child_state = 'T';
  check_line(&v, "jm: up (pid 42) 5s, stopped by a signal, restarts 0, deps none");
  check_json(&v, (const char *const[]){ "\"stopped\":true", "\"healthy\":false", "\"ready\":false",
                                        "\"healthy_seconds\":0", NULL });
  sv.state = SV_BACKOFF; /* no child: a stale letter means nothing */
  sv.pid = 0;
  check_json(&v, (const char *const[]){ "\"stopped\":false", NULL });
  v.child_state = 0;

  /* ---- escaping: names, deps and the child's STATUS= message ---- */
  make_sv(&sv, "we\"ird\\name");
  sv.state = SV_UP;
  sv.pid = 5;
  sv.spawned_at.ms = sv.healthy_since.ms = NOW;
  sv.healthy = sv.ready = 1;
  v.deps = "a\"b";
  v.message = "say \"hi\"\t\x01 \\ done";
  v.reaped = 12345678901ULL;
  check_json(&v, (const char *const[]){ "\"name\":\"we\\\"ird\\\\name\"", "\"deps\":\"a\\\"b\"",
                                        "\"message\":\"say \\\"hi\\\"\\u0009\\u0001 \\\\ done\"",
                                        "\"reaped\":12345678901", NULL });
  /* the human line is terminal-safe: controls become '?' */
  check_line(&v, "we\"ird\\name: up (pid 5) 0s, healthy 0s, restarts 0, deps a\"b, status \"say \"hi\"?? \\ done\"");
  /* a child's STATUS= with terminal escapes and bytes that are not UTF-8 (issue 9 item 5):
   * valid JSON, and no escape sequence reaches a terminal through either rendering */
  v.message = "\x1b]0;owned\x07\x1b[2J\xff\xc2\x9b" "31m caf\xc3\xa9";
  check_json(&v, (const char *const[]){ "\"message\":\"\\u001b]0;owned\\u0007\\u001b[2J\\ufffd\\u009b31m caf\xc3\xa9\"",
                                        NULL });
  check_line(&v, "we\"ird\\name: up (pid 5) 0s, healthy 0s, restarts 0, deps a\"b, status \"?]0;owned??[2J??31m caf\xc3\xa9\"");

  /* ---- the largest inputs supervisor.c passes (deps[512], message[128], cap CTL_REPLY_MAX-32) give
   * complete JSON (status.h: cap >= 2016 holds the whole object); a smaller cap truncates
   * without overrunning ---- */
  {
    static char deps[512], msg[128], out[CTL_REPLY_MAX - 32], small[1024];
    size_t n;
    memcpy(deps, "waiting: ", 9);
    memset(deps + 9, 'h', sizeof(deps) - 10);
    memset(msg, '\t', sizeof(msg) - 1);   /* escapes to \u0009: six bytes each */
    make_sv(&sv, "jobmanager");
    sv.have_exit = 1;
    sv.last_status = SIGSEGV | 0x80;
    sv.exited_at.ms = NOW;
    v.deps = deps;
    v.message = msg;
    n = status_json(&v, out, sizeof(out));
    CHECK(n < sizeof(out) - 1);
    CHECK(json_valid(out));
    n = status_json(&v, small, sizeof(small));
    /* filled up to the cap, less at most one escape (\u0009: six bytes) that would not fit */
    CHECK(n <= sizeof(small) - 1 && n >= sizeof(small) - 6 && strlen(small) == n);
    /* truncation never overruns and always terminates */
    for(size_t cap = 1; cap < 64; cap++) {
      char t[80];
      memset(t, 'Z', sizeof(t));
      n = status_json(&v, t, cap);
      CHECK(n <= cap - 1 && t[n] == '\0' && t[cap] == 'Z');
      memset(t, 'Z', sizeof(t));
      n = status_line(&v, t, cap);
      CHECK(n <= cap - 1 && t[n] == '\0' && t[cap] == 'Z');
    }
  }

  /* ---- the worst case: every text field at its largest and all of it escapes (quotes,
   * control characters), a full job object, the largest numbers: still whole, valid JSON
   * within STATUS_JSON_MAX (status.h) ---- */
  {
    static char deps[512], msg[STATUS_MESSAGE_MAX], name[300], job[STATUS_JSON_JOB + 1], out[STATUS_JSON_MAX];
    size_t n, j;
    memset(deps, '"', sizeof(deps) - 1);
    memset(msg, '\x01', sizeof(msg) - 1);
    memset(name, '\\', sizeof(name) - 1);
    j = (size_t)snprintf(job, sizeof(job), "{\"k\":\"");
    memset(job + j, 'x', sizeof(job) - 1 - j - 2);
    memcpy(job + sizeof(job) - 3, "\"}", 3);
    CHECK_INT(strlen(job), STATUS_JSON_JOB);
    CHECK(json_valid(job));
    make_sv(&sv, name);
    sv.state = SV_BACKOFF;
    sv.pid = 4194304;
    sv.spawned_at.ms = -4000000000000000000LL;
    sv.restarts = 4294967295u;
    for(int r = 0; r < 4; r++)
      sv.restarts_by[r] = 4294967295u;
    sv.have_exit = 1;
    sv.last_status = SIGSEGV | 0x80;
    sv.exited_at.ms = -4000000000000000000LL;
    sv.timer_at.ms = 4000000000000000000LL;
    v.deps = deps;
    v.message = msg;
    v.reaped = UINT64_MAX;
    v.job_json = job;
    n = status_json(&v, out, sizeof(out));
    if(!json_valid(out))
      fprintf(stderr, "worst case, %zu bytes: %s\n", n, out);
    CHECK(n < sizeof(out) - 1);
    CHECK(json_valid(out));
    CHECK(strstr(out, "\"flink\":{\"k\":\"xxx") != NULL);
    v.job_json = NULL;
    v.reaped = 0;
  }

  /* the validator itself rejects what it must */
  CHECK(!json_valid("{\"a\":1"));
  CHECK(!json_valid("{\"a\":01}"));
  CHECK(!json_valid("{\"a\":\"\x01\"}"));
  CHECK(!json_valid("{\"a\":tru}"));
  CHECK(json_valid("{\"a\":[1,2.5,-3e2,\"x\\u00e9\",{},null,true,false]}"));
  return unit_done("status");
}
