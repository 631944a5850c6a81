/* flink_ready.h - readiness that knows Flink: the verdict on a readiness probe's reply.
 *
 *   JobManager   GET /overview: ready when at least min_tms TaskManagers are registered
 *                and, in application mode, at least one job is RUNNING.  min_tms 0 turns
 *                the Flink check off: any 2xx reply means ready, as before.
 *   TaskManager  GET http://JOBMANAGER:REST/taskmanagers: ready when the JobManager lists
 *                a TaskManager at one of this container's addresses on its RPC port.
 *
 * Pure: no I/O, no allocation; the reason (one short phrase for logs and `pinit check`)
 * is written to why (cap bytes, NUL-terminated).  Return 1 ready, 0 not ready.
 */
#ifndef PINIT_FLINK_READY_H
#define PINIT_FLINK_READY_H

#include <stddef.h>

#include "pinit/flink_rest.h"

/* *ov receives what the reply said (both -1 if it could not be read). */
int flink_ready_jobmanager(const char *body, size_t len, int min_tms, int application, struct flink_overview *ov,
                           char *why, size_t cap);

int flink_ready_taskmanager(const char *body, size_t len, const char *const *addrs, size_t naddrs, unsigned port,
                            char *why, size_t cap);

#endif
