/* flink_ready.c - readiness verdicts from the JobManager's replies.  See
 * include/pinit/flink_ready.h. */
#include "pinit/flink_ready.h"
#include "pinit/duration.h"

#include <stdio.h>
#include <string.h>

int flink_ready_jobmanager(const char *body, size_t len, int min_tms, int application, struct flink_overview *ov,
                           char *why, size_t cap)
{
  ov->taskmanagers = ov->jobs_running = -1;
  if(flink_rest_overview(body, len, ov) < 0) {
    ov->taskmanagers = ov->jobs_running = -1;
    snprintf(why, cap, min_tms > 0 ? "unreadable /overview reply" : "REST answers");
    return min_tms <= 0;
  }
  if(min_tms <= 0) {
    snprintf(why, cap, "REST answers");
    return 1;
  }
  if(ov->taskmanagers < min_tms) {
    snprintf(why, cap, "%d of %d TaskManager%s registered", ov->taskmanagers, min_tms, min_tms == 1 ? "" : "s");
    return 0;
  }
  if(application && ov->jobs_running < 1) {
    snprintf(why, cap, "no job running (%d TaskManager%s)", ov->taskmanagers, ov->taskmanagers == 1 ? "" : "s");
    return 0;
  }
  snprintf(why, cap, "%d TaskManager%s, %d job%s running", ov->taskmanagers, ov->taskmanagers == 1 ? "" : "s",
           ov->jobs_running, ov->jobs_running == 1 ? "" : "s");
  return 1;
}

int flink_ready_taskmanager(const char *body, size_t len, const char *const *addrs, size_t naddrs, unsigned port,
                            char *why, size_t cap)
{
  int listed = flink_rest_taskmanager_listed(body, len, addrs, naddrs, port);
  snprintf(why, cap, listed > 0 ? "registered with the JobManager" : listed == 0 ? "not registered with the JobManager"
                                                                                 : "unreadable /taskmanagers reply");
  return listed > 0;
}

int flink_ready_leader_note(struct clock_mono since, struct clock_mono now, int64_t budget_ms, char *why, size_t cap)
{
  int64_t gone = clock_mono_diff(now, since);
  char b[32];
  if(!clock_mono_is_set(since)) {
    if(cap)
      why[0] = '\0';
    return 0;
  }
  if(gone < 0)
    gone = 0;
  snprintf(why, cap, "no leader for %llds (budget %s)", (long long)(gone / 1000), duration_format(budget_ms, b, sizeof(b)));
  return gone > budget_ms;
}

int flink_ready_leader(struct clock_mono *since, int ok, long status, const char *body, size_t len,
                       struct clock_mono now, int64_t budget_ms, char *why, size_t cap)
{
  if(status >= 200 && status < 300) {
    *since = CLOCK_MONO_UNSET;
    return ok;
  }
  /* the space matters: "leader election" is Flink's phrase in every version */
  if(status != 503 || !body || !memmem(body, len, "leader election", 15))
    return ok;
  if(!clock_mono_is_set(*since))
    *since = now;
  return !flink_ready_leader_note(*since, now, budget_ms, why, cap);
}
