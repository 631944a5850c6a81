/* flink_ready.h - readiness that knows Flink: the verdict on a readiness probe's reply, and
 * the HA leader's part of a JobManager's liveness.
 *
 *   JobManager   GET /overview: ready when at least min_tms TaskManagers are registered
 *                and, in application mode, at least one job is RUNNING.  min_tms 0 turns
 *                the Flink check off: any 2xx reply means ready, as before.
 *   TaskManager  GET http://JOBMANAGER:REST/taskmanagers: ready when the JobManager lists
 *                a TaskManager at one of this container's addresses on its RPC port.
 *
 *   Leader       (HA JobManager roles) GET /config, the liveness probe: not live once the
 *                JobManager has had no leader for longer than a budget (flink_ready_leader).
 *
 * Pure: no I/O, no allocation, no clock (`now` is passed in); the reason (one short phrase for logs and `pinit check`)
 * is written to why (cap bytes, NUL-terminated).  Return 1 ready, 0 not ready.
 */
#ifndef PINIT_FLINK_READY_H
#define PINIT_FLINK_READY_H

#include <stddef.h>

#include "pinit/clock.h"
#include "pinit/flink_rest.h"

/* *ov receives what the reply said (both -1 if it could not be read). */
int flink_ready_jobmanager(const char *body, size_t len, int min_tms, int application, struct flink_overview *ov,
                           char *why, size_t cap);

int flink_ready_taskmanager(const char *body, size_t len, const char *const *addrs, size_t naddrs, unsigned port,
                            char *why, size_t cap);

/* The HA leader, from one liveness reply.  Flink's REST handlers (LeaderRetrievalHandler,
 * /config and /overview alike) answer through the leading Dispatcher's gateway; a standby
 * JobManager reaches the leader over RPC and answers as the leader would.  Only a JVM that
 * knows of no leader at all answers HTTP 503 with "Service temporarily unavailable due to an
 * ongoing leader election" (a JSON {"errors":[...]}, plain text before Flink 1.5).  So:
 *
 *   status 2xx                           a leader is known: *since is unset, returns ok
 *   503 whose body says "leader election" no leader: *since is set to now if unset; returns
 *                                        1 while now - *since <= budget_ms, else 0, and why
 *                                        becomes "no leader for 75s (budget 1m)"
 *   anything else (no reply: status 0,   nothing known of the leader: returns ok (the probe's
 *   other codes)                         own verdict), *since and why unchanged
 *
 * ok is the probe's verdict, body (len bytes, any bytes) the start of the reply.  *since is
 * the start of the no-leader stretch (CLOCK_MONO_UNSET: none); budget_ms > 0. */
int flink_ready_leader(struct clock_mono *since, int ok, long status, const char *body, size_t len,
                       struct clock_mono now, int64_t budget_ms, char *why, size_t cap);

/* The no-leader stretch for `pinit check` and status: "no leader for 75s (budget 1m)" into
 * why, or "" when since is unset.  Returns 1 if that stretch is over the budget. */
int flink_ready_leader_note(struct clock_mono since, struct clock_mono now, int64_t budget_ms, char *why, size_t cap);

#endif
