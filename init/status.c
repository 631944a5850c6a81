/* status.c - one view of the supervisor, three renderings.  See include/pinit/status.h. */
#include "pinit/status.h"
#include "pinit/escape.h"
#include "pinit/exitcode.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

const char *status_age(int64_t ms, char *buf, size_t cap)
{
  int64_t s = ms / 1000;
  if(s < 120)
    snprintf(buf, cap, "%llds", (long long)s);
  else if(s < 2 * 3600)
    snprintf(buf, cap, "%lldm", (long long)(s / 60));
  else if(s < 2 * 86400)
    snprintf(buf, cap, "%lldh", (long long)(s / 3600));
  else
    snprintf(buf, cap, "%lldd", (long long)(s / 86400));
  return buf;
}

static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
  va_list ap;
  int n;
  if(*len + 1 >= cap)
    return;
  va_start(ap, fmt);
  n = vsnprintf(buf + *len, cap - *len, fmt, ap);
  va_end(ap);
  if(n > 0)
    *len = *len + (size_t)n >= cap ? cap - 1 : *len + (size_t)n;
}

int status_child_stopped(const struct status_view *v)
{
  return supervise_running(v->sv) && v->child_state == 'T';
}

/* The liveness of the view: the machine's, and not stopped. */
static int view_live(const struct status_view *v)
{
  return supervise_live(v->sv) && !status_child_stopped(v);
}

size_t status_line(const struct status_view *v, char *buf, size_t cap)
{
  const struct supervise *sv = v->sv;
  char a[32], b[32], what[64];
  size_t len = 0;

  buf[0] = '\0';
  append(buf, cap, &len, "%s: %s", sv->name, supervise_state_label(sv->state));
  if(sv->pid > 0)
    append(buf, cap, &len, " (pid %d) %s", (int)sv->pid, status_age(clock_mono_diff(v->now, sv->spawned_at), a, sizeof(a)));
  if(supervise_running(sv)) {
    if(status_child_stopped(v))
      append(buf, cap, &len, ", stopped by a signal");
    else if(sv->healthy && view_live(v))
      append(buf, cap, &len, ", healthy %s", status_age(clock_mono_diff(v->now, sv->healthy_since), a, sizeof(a)));
    else
      append(buf, cap, &len, ", unhealthy (%d failed probes)", sv->live_fail);
    if(sv->has_readiness)
      append(buf, cap, &len, ", %s", sv->ready ? "ready" : "not ready");
  }
  if(sv->state == SV_BACKOFF && clock_mono_is_set(sv->timer_at)) {
    int64_t left = clock_mono_diff(sv->timer_at, v->now);
    append(buf, cap, &len, ", restart in %s", status_age(left > 0 ? left + 999 : 0, a, sizeof(a)));
  }
  append(buf, cap, &len, ", restarts %u", sv->restarts);
  if(sv->have_exit)
    append(buf, cap, &len, " (last: %s, %s ago)", exitcode_describe(sv->last_status, what, sizeof(what)),
           status_age(clock_mono_diff(v->now, sv->exited_at), b, sizeof(b)));
  append(buf, cap, &len, ", deps %s", v->deps && *v->deps ? v->deps : "none");
  if(v->message && *v->message) {
    char safe[STATUS_MESSAGE_MAX];
    escape_text(safe, sizeof(safe), v->message);
    append(buf, cap, &len, ", status \"%s\"", safe);
  }
  if(v->job && *v->job)
    append(buf, cap, &len, ", %s", v->job);
  return len;
}

/* A JSON string, escaped by escape.h: always valid JSON, whatever the bytes. */
/* "s" as a JSON string of at most `budget` bytes between the quotes (status.h) */
static void append_json_str(char *buf, size_t cap, size_t *len, const char *s, size_t budget)
{
  append(buf, cap, len, "\"");
  if(*len + 1 < cap) {
    size_t room = cap - *len - 1;
    *len += escape_json(buf + *len, room < budget + 1 ? room : budget + 1, s);
  }
  append(buf, cap, len, "\"");
}

size_t status_json(const struct status_view *v, char *buf, size_t cap)
{
  const struct supervise *sv = v->sv;
  char what[64];
  size_t len = 0;

  buf[0] = '\0';
  append(buf, cap, &len, "{\"name\":");
  append_json_str(buf, cap, &len, sv->name, STATUS_JSON_NAME);
  append(buf, cap, &len, ",\"state\":\"%s\",\"want\":\"%s\",\"pid\":%d", supervise_state_label(sv->state),
         sv->want == SV_WANT_UP ? "up" : "down", (int)(sv->pid > 0 ? sv->pid : 0));
  append(buf, cap, &len, ",\"uptime_seconds\":%lld",
         (long long)(sv->pid > 0 ? clock_mono_diff(v->now, sv->spawned_at) / 1000 : 0));
  append(buf, cap, &len, ",\"stopped\":%s", status_child_stopped(v) ? "true" : "false");
  append(buf, cap, &len, ",\"healthy\":%s,\"ready\":%s,\"healthy_seconds\":%lld", view_live(v) ? "true" : "false",
         view_live(v) && supervise_is_ready(sv) ? "true" : "false",
         (long long)(view_live(v) && sv->healthy ? clock_mono_diff(v->now, sv->healthy_since) / 1000 : 0));
  append(buf, cap, &len, ",\"restarts\":%u,\"restarts_by_reason\":{\"exit\":%u,\"signal\":%u,\"health\":%u,\"manual\":%u}",
         sv->restarts, sv->restarts_by[SV_R_EXIT], sv->restarts_by[SV_R_SIGNAL], sv->restarts_by[SV_R_HEALTH],
         sv->restarts_by[SV_R_MANUAL]);
  if(sv->have_exit) {
    int st = sv->last_status;
    append(buf, cap, &len, ",\"last_exit\":{\"code\":%d,\"signal\":%d,\"reason\":\"%s\",\"description\":",
           exitcode_from_status(st, NULL), WIFSIGNALED(st) ? WTERMSIG(st) : 0, supervise_reason_name(sv->last_reason));
    append_json_str(buf, cap, &len, exitcode_describe(st, what, sizeof(what)), sizeof(what));
    append(buf, cap, &len, ",\"seconds_ago\":%lld}", (long long)(clock_mono_diff(v->now, sv->exited_at) / 1000));
  }
  else
    append(buf, cap, &len, ",\"last_exit\":null");
  append(buf, cap, &len, ",\"backoff_seconds\":%.3f",
         sv->state == SV_BACKOFF && clock_mono_diff(sv->timer_at, v->now) > 0
           ? (double)clock_mono_diff(sv->timer_at, v->now) / 1000.0 : 0.0);
  append(buf, cap, &len, ",\"deps\":");
  append_json_str(buf, cap, &len, v->deps && *v->deps ? v->deps : "none", STATUS_JSON_DEPS);
  append(buf, cap, &len, ",\"reaped\":%llu,\"message\":", (unsigned long long)v->reaped);
  append_json_str(buf, cap, &len, v->message ? v->message : "", STATUS_JSON_MESSAGE);
  if(v->job_json && *v->job_json) /* inserted whole or not at all: a cut object is not JSON */
    append(buf, cap, &len, ",\"flink\":%s", len + strlen(v->job_json) + 11 < cap ? v->job_json : "null");
  append(buf, cap, &len, "}");
  return len;
}
