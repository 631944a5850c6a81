/* flink_ready.c - readiness verdicts from the JobManager's replies.  See
 * include/pinit/flink_ready.h. */
#include "pinit/flink_ready.h"

#include <stdio.h>

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
