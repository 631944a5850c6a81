/* Table tests for metrics.c: the Prometheus text format from hand-built supervisor states,
 * label escaping, the whole-line truncation, the worst-case size bound, and the /proc reader. */
#include "pinit/metrics.h"
#include "pinit/supervise.h"
#include "unit.h"

#include <float.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static char out[METRICS_MAX + 1];

/* A supervisor of `name` in `state`, nothing else set. */
static void supervise_make(struct supervise *sv, const char *name, enum supervise_state state)
{
  memset(sv, 0, sizeof(*sv));
  sv->name = name;
  sv->state = state;
  sv->want = SV_WANT_UP;
  sv->live_threshold = 3;
}

static size_t format(const struct supervise *sv, const struct waiter *w, const struct metrics_process *p, int64_t now,
                     int64_t wall_minus)
{
  struct status_view st = { sv, { now }, "none", 0, "", 0, NULL, NULL, NULL };
  struct metrics_view v = { &st, w, 7, wall_minus, p, NULL };
  return metrics_format(&v, out, sizeof(out));
}

/* 1 if the exact line `l` (without newline) is in out. */
static int has_line(const char *l)
{
  size_t n = strlen(l);
  for(const char *p = out; (p = strstr(p, l)); p++)
    if((p == out || p[-1] == '\n') && p[n] == '\n')
      return 1;
  return 0;
}

/* The text format's structure: every line ends in \n; no empty lines; each sample's family
 * had HELP and TYPE lines just before its first sample, and its samples are together;
 * counters end in _total; label values use only the allowed escapes; no family twice. */
static int well_formed(const char *text)
{
  char fams[64][64], cur[64] = "", help[64] = "";
  int nf = 0;
  const char *p = text;

  while(*p) {
    const char *nl = strchr(p, '\n');
    size_t n;
    if(!nl || nl == p)
      return 0;
    n = (size_t)(nl - p);
    if(!strncmp(p, "# HELP ", 7)) {
      sscanf(p + 7, "%63s", help);
    }
    else if(!strncmp(p, "# TYPE ", 7)) {
      char name[64], type[16];
      if(sscanf(p + 7, "%63s %15s", name, type) != 2 || strcmp(name, help))
        return 0;
      if(strcmp(type, "gauge") && strcmp(type, "counter"))
        return 0;
      if(!strcmp(type, "counter") != (strlen(name) > 6 && !strcmp(name + strlen(name) - 6, "_total")))
        return 0;
      for(int i = 0; i < nf; i++)
        if(!strcmp(fams[i], name))
          return 0;
      snprintf(fams[nf++], sizeof(fams[0]), "%s", name);
      snprintf(cur, sizeof(cur), "%s", name);
    }
    else if(p[0] == '#')
      return 0;
    else {
      size_t k = strcspn(p, "{ ");
      if(k != strlen(cur) || strncmp(p, cur, k))
        return 0;
      if(p[k] == '{') {
        /* labels: name="value"(,name="value")*} */
        const char *q = p + k + 1;
        for(;;) {
          while((*q >= 'a' && *q <= 'z') || *q == '_')
            q++;
          if(*q++ != '=' || *q++ != '"')
            return 0;
          for(; *q != '"'; q++) {
            if(*q == '\n' || !*q)
              return 0;
            if(*q == '\\' && (q[1] == '\\' || q[1] == '"' || q[1] == 'n'))
              q++;
            else if(*q == '\\')
              return 0;
          }
          q++;
          if(*q == '}')
            break;
          if(*q++ != ',')
            return 0;
        }
        k = (size_t)(q + 1 - p);
      }
      if(p[k] != ' ' || k + 1 >= n)
        return 0;
      {
        char *end;
        strtod(p + k + 1, &end);
        if(end != nl)
          return 0;
      }
    }
    p = nl + 1;
  }
  return 1;
}

static void test_idle_and_families(void)
{
  struct supervise sv;
  size_t n;
  supervise_make(&sv, "jobmanager", SV_IDLE);
  n = format(&sv, NULL, NULL, 1000, 0);
  CHECK(n < sizeof(out) && n == strlen(out));
  CHECK(well_formed(out));
  CHECK(has_line("pinit_build_info{version=\"" PINIT_VERSION "\"} 1"));
  CHECK(has_line("pinit_service_up 0"));
  CHECK(has_line("pinit_service_healthy 0"));
  CHECK(has_line("pinit_service_ready 0"));
  CHECK(has_line("pinit_service_state{state=\"idle\"} 1"));
  CHECK(has_line("pinit_service_state{state=\"up\"} 0"));
  CHECK(has_line("pinit_service_restarts_total{reason=\"exit\"} 0"));
  CHECK(has_line("pinit_service_restarts_total{reason=\"manual\"} 0"));
  CHECK(has_line("pinit_service_backoff_seconds 0.000"));
  CHECK(has_line("pinit_health_checks_total{result=\"success\"} 0"));
  CHECK(has_line("pinit_health_checks_total{result=\"failure\"} 0"));
  CHECK(has_line("pinit_zombies_reaped_total 7"));
  /* families without a value yet keep their HELP and TYPE, and have no sample */
  CHECK(has_line("# TYPE pinit_service_last_exit_code gauge"));
  CHECK(!strstr(out, "\npinit_service_last_exit_code "));
  CHECK(has_line("# TYPE pinit_service_start_time_seconds gauge"));
  CHECK(!strstr(out, "\npinit_service_start_time_seconds "));
  CHECK(has_line("# TYPE pinit_dependency_up gauge"));
  CHECK(!strstr(out, "\npinit_dependency_up"));
  CHECK(!strstr(out, "process_"));
  /* every family has HELP and TYPE */
  static const char *const fams[] = {
    "pinit_build_info", "pinit_service_up", "pinit_service_healthy", "pinit_service_ready", "pinit_service_state",
    "pinit_service_restarts_total", "pinit_service_last_exit_code", "pinit_service_start_time_seconds",
    "pinit_service_backoff_seconds", "pinit_health_checks_total", "pinit_dependency_up", "pinit_zombies_reaped_total",
  };
  for(size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
    char l[128];
    snprintf(l, sizeof(l), "# HELP %s ", fams[i]);
    CHECK(strstr(out, l) != NULL);
    snprintf(l, sizeof(l), "# TYPE %s ", fams[i]);
    CHECK(strstr(out, l) != NULL);
  }
}

static void test_states_one_hot(void)
{
  static const char *const names[] = { "idle", "waiting", "starting", "up", "stopping", "backoff", "done", "failed" };
  for(int s = SV_IDLE; s <= SV_FAILED; s++) {
    struct supervise sv;
    int ones = 0;
    supervise_make(&sv, "x", (enum supervise_state)s);
    if(s == SV_STARTING || s == SV_UP || s == SV_STOPPING)
      sv.pid = 42;
    format(&sv, NULL, NULL, 1000, 0);
    CHECK(well_formed(out));
    for(int t = 0; t < 8; t++) {
      char l[80];
      snprintf(l, sizeof(l), "pinit_service_state{state=\"%s\"} 1", names[t]);
      if(has_line(l)) {
        ones++;
        CHECK_INT(t, s);
      }
    }
    CHECK_INT(ones, 1);
    CHECK(has_line(s == SV_STARTING || s == SV_UP || s == SV_STOPPING ? "pinit_service_up 1" : "pinit_service_up 0"));
  }
}

static void test_running_child(void)
{
  struct supervise sv;
  supervise_make(&sv, "taskmanager", SV_UP);
  sv.pid = 42;
  sv.has_liveness = 1;
  sv.healthy = sv.ready = 1;
  sv.spawned_at.ms = 5000;
  sv.restarts = 6;
  sv.restarts_by[SV_R_EXIT] = 1;
  sv.restarts_by[SV_R_SIGNAL] = 2;
  sv.restarts_by[SV_R_HEALTH] = 3;
  sv.restarts_by[SV_R_MANUAL] = 0;
  sv.have_exit = 1;
  sv.last_status = SIGKILL; /* killed by signal 9 */
  sv.live_ok_total = 1234;
  sv.live_fail_total = 5;
  sv.last_backoff_ms = 4000; /* from the last back-off: not pending now */
  format(&sv, NULL, NULL, 65000, INT64_C(1700000000000));
  CHECK(well_formed(out));
  CHECK(has_line("pinit_service_up 1"));
  CHECK(has_line("pinit_service_healthy 1"));
  CHECK(has_line("pinit_service_ready 1"));
  CHECK(has_line("pinit_service_restarts_total{reason=\"exit\"} 1"));
  CHECK(has_line("pinit_service_restarts_total{reason=\"signal\"} 2"));
  CHECK(has_line("pinit_service_restarts_total{reason=\"health\"} 3"));
  CHECK(has_line("pinit_service_restarts_total{reason=\"manual\"} 0"));
  CHECK(has_line("pinit_service_last_exit_code 137"));
  CHECK(has_line("pinit_service_start_time_seconds 1700000005.000"));
  CHECK(has_line("pinit_service_backoff_seconds 0.000"));
  CHECK(has_line("pinit_health_checks_total{result=\"success\"} 1234"));
  CHECK(has_line("pinit_health_checks_total{result=\"failure\"} 5"));

  /* failing liveness: running, not healthy, not ready */
  sv.live_fail = 3;
  format(&sv, NULL, NULL, 65000, 0);
  CHECK(has_line("pinit_service_up 1"));
  CHECK(has_line("pinit_service_healthy 0"));
  CHECK(has_line("pinit_service_ready 0"));

  /* starting, readiness not yet passed */
  sv.live_fail = 0;
  sv.state = SV_STARTING;
  sv.ready = 0;
  format(&sv, NULL, NULL, 65000, 0);
  CHECK(has_line("pinit_service_healthy 1"));
  CHECK(has_line("pinit_service_ready 0"));

  /* back-off after exit 3: the pending delay, and the last incarnation's start time */
  sv.state = SV_BACKOFF;
  sv.pid = 0;
  sv.last_status = 3 << 8;
  sv.last_backoff_ms = 8000;
  sv.timer_at.ms = 70000;
  format(&sv, NULL, NULL, 65000, 1000);
  CHECK(well_formed(out));
  CHECK(has_line("pinit_service_up 0"));
  CHECK(has_line("pinit_service_backoff_seconds 8.000"));
  CHECK(has_line("pinit_service_last_exit_code 3"));
  CHECK(has_line("pinit_service_start_time_seconds 6.000"));
}

static void test_escape(void)
{
  static const struct { const char *in, *want; } cases[] = {
    { "jobmanager:6123", "jobmanager:6123" },
    { "", "" },
    { "a\"b", "a\\\"b" },
    { "a\\b", "a\\\\b" },
    { "a\nb", "a\\nb" },
    { "tab\tok", "tab\tok" },
    { "caf\xC3\xA9", "caf\xC3\xA9" },                      /* valid UTF-8 kept */
    { "\xE4\xB8\xAD\xE6\x96\x87", "\xE4\xB8\xAD\xE6\x96\x87" },
    { "\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80" },
    { "x\xFFy", "x\xEF\xBF\xBDy" },                        /* invalid byte -> U+FFFD */
    { "\xC3", "\xEF\xBF\xBD" },                            /* cut sequence */
    { "\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD" },            /* overlong */
    { "\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" }, /* surrogate */
    { "\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" }, /* > U+10FFFF */
  };
  char buf[64];
  for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    size_t n = metrics_escape_label(cases[i].in, strlen(cases[i].in), buf, sizeof(buf));
    CHECK_STR(buf, cases[i].want);
    CHECK_INT(n, strlen(cases[i].want));
  }
  /* a cap cuts between pieces, never inside one */
  CHECK_INT(metrics_escape_label("ab\"c", 4, buf, 4), 2);
  CHECK_STR(buf, "ab");
  CHECK_INT(metrics_escape_label("\xFF\xFF", 2, buf, 6), 3);
  CHECK_STR(buf, "\xEF\xBF\xBD");
  CHECK_INT(metrics_escape_label("abc", 3, buf, 1), 0);
  CHECK_STR(buf, "");
}

static struct wait_item items[WAIT_MAX_TARGETS];

static void test_dependencies(void)
{
  struct waiter w;
  struct supervise sv;
  memset(&w, 0, sizeof(w));
  memset(items, 0, sizeof(items));
  w.items = items;
  w.n = 5;
  snprintf(items[0].probe.target.name, PROBE_NAME_MAX, "jobmanager:6123");
  items[0].up = 1;
  snprintf(items[1].probe.target.name, PROBE_NAME_MAX, "http://jm:8081/overview?a=\"1\"");
  snprintf(items[2].probe.target.name, PROBE_NAME_MAX, "exec:check \\x");
  items[2].up = 1;
  snprintf(items[3].probe.target.name, PROBE_NAME_MAX, "jobmanager:6123"); /* repeated, not up */
  snprintf(items[4].probe.target.name, PROBE_NAME_MAX, "[::1]:6123");
  items[4].up = 1;
  supervise_make(&sv, "x", SV_WAITING);
  format(&sv, &w, NULL, 1000, 0);
  CHECK(well_formed(out));
  CHECK(has_line("pinit_dependency_up{target=\"jobmanager:6123\"} 0"));
  CHECK(!has_line("pinit_dependency_up{target=\"jobmanager:6123\"} 1"));
  CHECK(has_line("pinit_dependency_up{target=\"http://jm:8081/overview?a=\\\"1\\\"\"} 0"));
  CHECK(has_line("pinit_dependency_up{target=\"exec:check \\\\x\"} 1"));
  CHECK(has_line("pinit_dependency_up{target=\"[::1]:6123\"} 1"));
  {
    int count = 0;
    for(const char *p = out; (p = strstr(p, "\npinit_dependency_up{")); p++)
      count++;
    CHECK_INT(count, 4);
  }
  /* a waiter without items (no targets) */
  w.items = NULL;
  w.n = 0;
  format(&sv, &w, NULL, 1000, 0);
  CHECK(well_formed(out));
  CHECK(!strstr(out, "\npinit_dependency_up{"));
}

static void test_process(void)
{
  struct metrics_process p;
  struct supervise sv;
  time_t now = time(NULL);

  CHECK_INT(metrics_process_read(&p), 0);
  CHECK(p.have_stat && p.have_fds && p.have_limit);
  CHECK(p.resident_bytes > 0 && p.virtual_bytes >= p.resident_bytes);
  CHECK(p.open_fds >= 3 && p.open_fds < 10000);
  CHECK(p.max_fds >= p.open_fds);
  CHECK(p.cpu_seconds >= 0 && p.cpu_seconds < 600);
  CHECK(p.start_time_seconds > (double)now - 600 && p.start_time_seconds <= (double)now + 1);
  {
    double first = p.start_time_seconds;
    metrics_process_read(&p);
    CHECK(p.start_time_seconds == first); /* stable across scrapes */
  }
  supervise_make(&sv, "x", SV_IDLE);
  format(&sv, NULL, &p, 1000, 0);
  CHECK(well_formed(out));
  static const char *const fams[] = {
    "process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
    "process_open_fds", "process_max_fds", "process_start_time_seconds",
  };
  for(size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
    char l[128];
    snprintf(l, sizeof(l), "\n%s ", fams[i]);
    CHECK(strstr(out, l) != NULL);
    snprintf(l, sizeof(l), "# HELP %s ", fams[i]);
    CHECK(strstr(out, l) != NULL);
  }
  /* a figure that could not be read is left out */
  p.have_fds = 0;
  format(&sv, NULL, &p, 1000, 0);
  CHECK(well_formed(out));
  CHECK(!strstr(out, "process_open_fds"));
  CHECK(strstr(out, "\nprocess_max_fds ") != NULL);
}

static void test_truncation(void)
{
  struct supervise sv;
  char small[700];
  size_t full, n;
  supervise_make(&sv, "x", SV_UP);
  full = format(&sv, NULL, NULL, 1000, 0);
  {
    struct status_view st = { &sv, { 1000 }, "none", 0, "", 0, NULL, NULL, NULL };
    struct metrics_view v = { &st, NULL, 7, 0, NULL, NULL };
    n = metrics_format(&v, small, sizeof(small));
    CHECK_INT(n, full);
    CHECK(strlen(small) < sizeof(small));
    CHECK(strlen(small) > 0 && small[strlen(small) - 1] == '\n'); /* whole lines only */
    CHECK(!strncmp(small, out, strlen(small)));
    CHECK_INT(metrics_format(&v, small, 1), full);
    CHECK_STR(small, "");
    CHECK_INT(metrics_format(&v, NULL, 0), full);
  }
}

/* The bound of metrics.h, with every figure at its widest. */
static void test_worst_case_size(void)
{
  struct waiter w;
  struct supervise sv;
  struct metrics_process p = { 1, 1, 1, DBL_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, -DBL_MAX };
  size_t fixed, n;

  supervise_make(&sv, "x", SV_BACKOFF);
  for(int i = 0; i <= SV_R_MANUAL; i++)
    sv.restarts_by[i] = UINT32_MAX;
  sv.live_ok_total = sv.live_fail_total = UINT64_MAX;
  sv.have_exit = 1;
  sv.last_status = 255 << 8;
  sv.spawned_at.ms = INT64_MIN + 1;
  sv.last_backoff_ms = INT64_MAX;
  {
    struct status_view st = { &sv, { 0 }, "none", UINT64_MAX, "", 0, NULL, NULL, NULL };
    struct metrics_view v = { &st, NULL, UINT64_MAX, INT64_MIN + 1, &p, NULL };
    fixed = metrics_format(&v, out, sizeof(out));
    CHECK(fixed < METRICS_FIXED_MAX);
    CHECK(well_formed(out));
  }
  memset(&w, 0, sizeof(w));
  memset(items, 0, sizeof(items));
  w.items = items;
  w.n = WAIT_MAX_TARGETS;
  for(int i = 0; i < WAIT_MAX_TARGETS; i++) {
    char *name = items[i].probe.target.name;
    memset(name, 0xFF, PROBE_NAME_MAX - 1); /* every byte invalid: 3 bytes out each */
    name[0] = (char)(0x80 + i % 64);          /* distinct, still invalid */
    name[1] = (char)(0x80 + i / 64);
    name[PROBE_NAME_MAX - 1] = '\0';
  }
  {
    struct status_view st = { &sv, { 0 }, "none", UINT64_MAX, "", 0, NULL, NULL, NULL };
    struct metrics_view v = { &st, &w, UINT64_MAX, INT64_MIN + 1, &p, NULL };
    n = metrics_format(&v, out, sizeof(out));
    CHECK(n < METRICS_MAX);
    CHECK(n - fixed <= (size_t)WAIT_MAX_TARGETS * METRICS_DEP_LINE_MAX);
    CHECK(well_formed(out));
    printf("worst case: %zu bytes (fixed part %zu), bound %d\n", n, fixed, METRICS_MAX);
  }
  /* names without a terminating NUL inside PROBE_NAME_MAX are read up to the bound */
  memset(items[0].probe.target.name, 'a', PROBE_NAME_MAX);
  {
    struct status_view st = { &sv, { 0 }, "none", 0, "", 0, NULL, NULL, NULL };
    struct metrics_view v = { &st, &w, 0, 0, NULL, NULL };
    n = metrics_format(&v, out, sizeof(out));
    CHECK(n < METRICS_MAX);
  }
}

int main(void)
{
  test_idle_and_families();
  test_states_one_hot();
  test_running_child();
  test_escape();
  test_dependencies();
  test_process();
  test_truncation();
  test_worst_case_size();
  return unit_done("test_metrics");
}
