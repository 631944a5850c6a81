/* libFuzzer target: every flink_rest reader on arbitrary bytes (not NUL-terminated).
 * Invariants: no crash, no read past the body; what a reader fills is NUL-terminated and
 * consistent (counts, states). */
#include "pinit/flink_rest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static struct flink_jobs jobs;
  static struct flink_op op;
  struct flink_overview o;
  char id[FLINK_JOB_ID_MAX];
  const char *addrs[] = { "172.18.0.4", "::1" };
  char *body = malloc(size ? size : 1); /* exactly size bytes: ASan sees any over-read */

  if(!body)
    return 0;
  memcpy(body, data, size);
  if(flink_rest_overview(body, size, &o) == 0 && (o.taskmanagers < 0 || o.jobs_running < 0))
    abort();
  if(flink_rest_jobs(body, size, &jobs) == 0) {
    if(jobs.n > FLINK_JOBS_MAX || jobs.n > jobs.total || jobs.running > jobs.total)
      abort();
    for(size_t i = 0; i < jobs.n; i++)
      if(!memchr(jobs.job[i].id, 0, sizeof(jobs.job[i].id)) || !memchr(jobs.job[i].status, 0, sizeof(jobs.job[i].status)))
        abort();
  }
  if(flink_rest_trigger(body, size, id, sizeof(id)) == 0 && (!id[0] || !memchr(id, 0, sizeof(id))))
    abort();
  if(flink_rest_savepoint(body, size, &op) == 0) {
    if(op.state > FLINK_OP_FAILED || !memchr(op.location, 0, sizeof(op.location)))
      abort();
    if(op.state == FLINK_OP_COMPLETED && !op.location[0])
      abort();
  }
  int l = flink_rest_taskmanager_listed(body, size, addrs, 2, 6122);
  if(l < -1 || l > 1)
    abort();
  free(body);
  return 0;
}
