/* check.h - the verdicts of `pinit check` (liveness, also GET /health/live) and
 * `pinit check --ready` (readiness, also GET /health/ready), from one status view.  Pure:
 * no clock, no I/O; the caller passes the view (status.h) with `now`.
 *
 * What an orchestrator (Docker/Swarm healthcheck, kubelet, autoheal) should act on:
 * `check` fails only when pinit itself cannot bring the service back, so an orchestrator
 * never kills a container whose child pinit is already restarting inside its 2-minute
 * budget (CONFIG_RESTART_BUDGET_MS):
 *
 *   state                        check (live)                    check --ready
 *   IDLE, WAITING (deps)         healthy (starting / waiting)    not ready
 *   STARTING, UP, probes ok      healthy                         ready only if UP and ready
 *   STARTING, UP, liveness fails unhealthy at the threshold      not ready
 *   child stopped (SIGSTOP, T)   healthy if a liveness probe     not ready
 *                                will restart it, else unhealthy
 *   STOPPING, want up (restart)  healthy (restarting) while the  not ready
 *   BACKOFF                      restart is within the budget,
 *                                else unhealthy (restart overdue)
 *   STOPPING, want down          unhealthy (stopping)            not ready
 *   FAILED (gave up), DONE       unhealthy                       not ready
 *
 * A wait that exceeds wait.timeout ends pinit (exit 69), so the container itself ends.
 * A role's word on liveness (v->live_note, e.g. an HA JobManager's "no leader for 75s
 * (budget 1m)") ends the line of a running child: "healthy: ..., NOTE" or
 * "unhealthy: ... liveness failed 3 times: NOTE".
 * Every reason starts with its verdict word ("healthy", "healthy (restarting)",
 * "unhealthy", "ready", "not ready") so Docker's health log tells a person the truth
 * even while the status says healthy. */
#ifndef PINIT_CHECK_H
#define PINIT_CHECK_H

#include <stddef.h>

#include "pinit/status.h"

/* Liveness verdict.  Writes one line (truncated to cap-1) to why.  Returns 0 healthy, 1 not. */
int check_live(const struct status_view *v, char *why, size_t cap);

/* Readiness verdict: the service is really ready (UP, live, readiness ok).  Writes one
 * line to why.  Returns 0 ready, 1 not. */
int check_ready(const struct status_view *v, char *why, size_t cap);

#endif
