/* metrics.c - Prometheus text format of the supervisor's state.  See include/pinit/metrics.h. */
#include "pinit/metrics.h"
#include "pinit/escape.h"
#include "pinit/exitcode.h"
#include "pinit/supervise.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef PINIT_VERSION
#define PINIT_VERSION "unknown"
#endif

/* The longest line: a dependency sample; HELP lines are far shorter. */
#define LINE_MAX_ (METRICS_DEP_LINE_MAX + 64)

/* Output that keeps whole lines only: once a line does not fit, nothing more is written,
 * but the length keeps counting (the snprintf convention). */
struct out {
  char *buf;
  size_t cap, len, kept;
  int cut;
};

static void put(struct out *o, const char *line, size_t n)
{
  if(!o->cut && o->len + n < o->cap) {
    memcpy(o->buf + o->len, line, n);
    o->kept = o->len + n;
  }
  else
    o->cut = 1;
  o->len += n;
}

static void line(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(struct out *o, const char *fmt, ...)
{
  char b[LINE_MAX_];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(b, sizeof(b), fmt, ap);
  va_end(ap);
  if(n < 0)
    return;
  if((size_t)n >= sizeof(b)) { /* cannot happen with the callers below; keep the format valid */
    n = (int)sizeof(b) - 1;
    b[n - 1] = '\n';
  }
  put(o, b, (size_t)n);
}

static void family(struct out *o, const char *name, const char *type, const char *help)
{
  line(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

size_t metrics_escape_label(const char *s, size_t n, char *out, size_t cap)
{
  const unsigned char *u = (const unsigned char *)s;
  size_t len = 0, i = 0;

  if(!cap)
    return 0;
  while(i < n && u[i]) {
    char esc[4];
    const char *piece = esc;
    size_t k = escape_utf8_len(s + i, n - i), plen;
    if(k == 0) {
      piece = "\xEF\xBF\xBD";
      plen = 3;
      k = 1;
    }
    else if(u[i] == '\\' || u[i] == '"' || u[i] == '\n') {
      esc[0] = '\\';
      esc[1] = u[i] == '\n' ? 'n' : (char)u[i];
      plen = 2;
    }
    else {
      piece = s + i;
      plen = k;
    }
    if(len + plen >= cap)
      break;
    memcpy(out + len, piece, plen);
    len += plen;
    i += k;
  }
  out[len] = '\0';
  return len;
}

/* the reasons a restart is counted under (SV_R_NONE is none) */
static const enum supervise_reason reason_index[] = { SV_R_EXIT, SV_R_SIGNAL, SV_R_HEALTH, SV_R_MANUAL };

static void dependencies(struct out *o, const struct waiter *w)
{
  char esc[METRICS_DEP_LINE_MAX];

  family(o, "pinit_dependency_up", "gauge",
         "1 once the dependency wait saw the target up, 0 while it is missing (the wait runs before the first start only).");
  if(!w || !w->items)
    return;
  for(size_t i = 0; i < w->n; i++) {
    const char *name = w->items[i].probe.target.name;
    size_t nlen = strnlen(name, PROBE_NAME_MAX - 1);
    int up = w->items[i].up, dup = 0;
    /* one series per distinct name: a repeated target is up only if every copy is */
    for(size_t j = 0; j < w->n && !dup; j++) {
      const char *other = w->items[j].probe.target.name;
      if(j == i || strnlen(other, PROBE_NAME_MAX - 1) != nlen || memcmp(other, name, nlen))
        continue;
      if(j < i)
        dup = 1;
      else if(!w->items[j].up)
        up = 0;
    }
    if(dup)
      continue;
    metrics_escape_label(name, nlen, esc, sizeof(esc));
    line(o, "pinit_dependency_up{target=\"%s\"} %d\n", esc, up ? 1 : 0);
  }
}

static void process(struct out *o, const struct metrics_process *p)
{
  if(!p)
    return;
  if(p->have_stat) {
    family(o, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
    line(o, "process_cpu_seconds_total %.2f\n", p->cpu_seconds);
  }
  if(p->have_fds) {
    family(o, "process_open_fds", "gauge", "Number of open file descriptors.");
    line(o, "process_open_fds %llu\n", (unsigned long long)p->open_fds);
  }
  if(p->have_limit) {
    family(o, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
    line(o, "process_max_fds %llu\n", (unsigned long long)p->max_fds);
  }
  if(p->have_stat) {
    family(o, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
    line(o, "process_virtual_memory_bytes %llu\n", (unsigned long long)p->virtual_bytes);
    family(o, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    line(o, "process_resident_memory_bytes %llu\n", (unsigned long long)p->resident_bytes);
    family(o, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
    line(o, "process_start_time_seconds %.2f\n", p->start_time_seconds);
  }
}

size_t metrics_format(const struct metrics_view *v, char *buf, size_t cap)
{
  const struct status_view *st = v->status;
  const struct supervise *sv = st->sv;
  struct out o = { buf, cap, 0, 0, 0 };

  family(&o, "pinit_build_info", "gauge", "pinit's version, as a label; the value is always 1.");
  line(&o, "pinit_build_info{version=\"%s\"} 1\n", PINIT_VERSION);

  family(&o, "pinit_service_up", "gauge", "1 while the supervised child process exists (starting, up or stopping).");
  line(&o, "pinit_service_up %d\n", supervise_running(sv) ? 1 : 0);
  family(&o, "pinit_service_healthy", "gauge",
         "1 while the child runs and does not fail its liveness probe (what `pinit check` answers).");
  line(&o, "pinit_service_healthy %d\n", supervise_live(sv) ? 1 : 0);
  family(&o, "pinit_service_ready", "gauge", "1 while the child is healthy and ready (`pinit check --ready`).");
  line(&o, "pinit_service_ready %d\n", supervise_is_ready(sv) ? 1 : 0);

  family(&o, "pinit_service_state", "gauge", "The supervisor's state of the child: 1 for the current state, 0 for the others.");
  for(int i = 0; i < SV_STATE_COUNT; i++)
    line(&o, "pinit_service_state{state=\"%s\"} %d\n", supervise_state_label((enum supervise_state)i), (int)sv->state == i ? 1 : 0);

  family(&o, "pinit_service_restarts_total", "counter", "Restarts of the child, by why the previous incarnation ended.");
  for(size_t i = 0; i < sizeof(reason_index) / sizeof(reason_index[0]); i++)
    line(&o, "pinit_service_restarts_total{reason=\"%s\"} %u\n", supervise_reason_name(reason_index[i]),
         sv->restarts_by[reason_index[i]]);

  family(&o, "pinit_service_last_exit_code", "gauge",
         "Exit code of the last incarnation, 128+N if killed by signal N; absent until the child first ended.");
  if(sv->have_exit)
    line(&o, "pinit_service_last_exit_code %d\n", exitcode_from_status(sv->last_status, NULL));

  family(&o, "pinit_service_start_time_seconds", "gauge",
         "Unix time the current incarnation (or, while none runs, the last one) was started; absent before the first start.");
  if(clock_mono_is_set(sv->spawned_at))
    line(&o, "pinit_service_start_time_seconds %.3f\n", ((double)sv->spawned_at.ms + (double)v->wall_minus_mono_ms) / 1000.0);

  family(&o, "pinit_service_backoff_seconds", "gauge",
         "Back-off delay chosen for the pending restart while the child is in back-off, 0 otherwise.");
  line(&o, "pinit_service_backoff_seconds %.3f\n",
       sv->state == SV_BACKOFF && sv->last_backoff_ms > 0 ? (double)sv->last_backoff_ms / 1000.0 : 0.0);

  family(&o, "pinit_health_checks_total", "counter", "Liveness probe attempts of the child, by result.");
  line(&o, "pinit_health_checks_total{result=\"success\"} %llu\n", (unsigned long long)sv->live_ok_total);
  line(&o, "pinit_health_checks_total{result=\"failure\"} %llu\n", (unsigned long long)sv->live_fail_total);

  dependencies(&o, v->waiter);

  family(&o, "pinit_zombies_reaped_total", "counter", "Orphaned processes pinit reaped (the main child not counted).");
  line(&o, "pinit_zombies_reaped_total %llu\n", (unsigned long long)v->zombies_reaped);

  process(&o, v->process);

  /* the role's families, line by line (a cut keeps whole lines) */
  for(const char *l = v->extra, *end = l ? l + strnlen(l, METRICS_EXTRA_MAX - 1) : NULL; l && l < end;) {
    const char *nl = memchr(l, '\n', (size_t)(end - l));
    size_t n = nl ? (size_t)(nl - l) + 1 : (size_t)(end - l);
    if(nl)
      put(&o, l, n);
    l += n;
  }

  if(cap)
    buf[o.kept] = '\0';
  return o.len;
}

/* ---- pinit's own process: /proc/self ----------------------------------------------------- */

struct dirent64_ {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

/* Open descriptors, the one used to count them excluded; -1 on error.  getdents64 into a
 * stack buffer: opendir() would allocate. */
static long count_fds(void)
{
  char b[4096];
  long n = 0;
  int fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if(fd < 0)
    return -1;
  for(;;) {
    long got = syscall(SYS_getdents64, fd, b, sizeof(b));
    if(got <= 0) {
      close(fd);
      return got < 0 ? -1 : n - 1;
    }
    for(long off = 0; off < got;) {
      struct dirent64_ *d = (struct dirent64_ *)(b + off);
      if(d->d_name[0] != '.')
        n++;
      off += d->d_reclen;
    }
  }
}

static int read_small(const char *path, char *buf, size_t cap)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n;
  if(fd < 0)
    return -1;
  n = read(fd, buf, cap - 1);
  close(fd);
  if(n <= 0)
    return -1;
  buf[n] = '\0';
  return 0;
}

static double ts_seconds(clockid_t id)
{
  struct timespec t;
  if(clock_gettime(id, &t) < 0)
    return 0;
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int metrics_process_read(struct metrics_process *p)
{
  static double start_time; /* computed once: it cannot change */
  char b[1024];
  struct rlimit rl;
  long fds;

  memset(p, 0, sizeof(*p));
  if(read_small("/proc/self/stat", b, sizeof(b)) == 0) {
    /* fields after "pid (comm) ": state is field 3; utime 14, stime 15, starttime 22,
     * vsize 23, rss 24 (pages) */
    char *s = strrchr(b, ')');
    unsigned long long f[25] = { 0 };
    int i = 3;
    long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    if(s && tck > 0 && page > 0) {
      s += 2;
      while(*s && i <= 24) {
        char *end;
        if(i > 3)
          f[i] = strtoull(s, &end, 10);
        else
          end = s + 1;
        if(end == s)
          break;
        s = end;
        while(*s == ' ')
          s++;
        i++;
      }
    }
    if(i > 24) {
      p->have_stat = 1;
      p->cpu_seconds = (double)(f[14] + f[15]) / (double)tck;
      p->virtual_bytes = f[23];
      p->resident_bytes = f[24] * (unsigned long long)page;
      if(!start_time)
        start_time = ts_seconds(CLOCK_REALTIME) - ts_seconds(CLOCK_BOOTTIME) + (double)f[22] / (double)tck;
      p->start_time_seconds = start_time;
    }
  }
  if((fds = count_fds()) >= 0) {
    p->have_fds = 1;
    p->open_fds = (uint64_t)fds;
  }
  if(getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    p->have_limit = 1;
    p->max_fds = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
  }
  return p->have_stat && p->have_fds && p->have_limit ? 0 : -1;
}
