/* flink_rest.h - the JobManager's REST API as pinit reads it: the requests pinit makes
 * (their paths and bodies) and a pure reader of their JSON replies.
 *
 * Requests (all on http://127.0.0.1:REST_PORT, sent through probes/ on the libev loop):
 *   GET  /overview                         taskmanagers registered, jobs running
 *   GET  /jobs                             every job's id and status
 *   POST /jobs/:id/stop                    {"drain":false,"targetDirectory":DIR}
 *   GET  /jobs/:id/savepoints/:triggerid   the trigger's state and the savepoint path
 *   GET  /taskmanagers                     every TaskManager's RPC path (…@HOST:PORT/…)
 *
 * The readers below take a reply body of `len` bytes (not NUL-terminated, any bytes) and
 * fill plain structs.  They are pure but for one static work area (the walker's string
 * buffer, kept off the stack): no allocation, no I/O, bounded in time and stack (nesting
 * deeper than FLINK_REST_DEPTH_MAX is refused), and NOT thread-safe or reentrant: call them
 * from one thread (the loop's).  Each returns 0, or -1
 * when the body is not the JSON they expect (invalid JSON, a missing or mistyped member);
 * errno is not set.  Strings longer than their buffers are refused, never cut.
 */
#ifndef PINIT_FLINK_REST_H
#define PINIT_FLINK_REST_H

#include <stddef.h>

#define FLINK_REST_DEPTH_MAX 32
#define FLINK_JOB_ID_MAX     64     /* a job id is 32 hex digits */
#define FLINK_JOBS_MAX       16     /* jobs read from /jobs; more are counted, not kept */
#define FLINK_PATH_MAX       1024   /* a savepoint location */

struct flink_overview {
  int taskmanagers;             /* "taskmanagers" */
  int jobs_running;             /* "jobs-running" */
};

struct flink_job {
  char id[FLINK_JOB_ID_MAX];
  char status[24];              /* "RUNNING", "FINISHED", ... */
};

struct flink_jobs {
  size_t n;                     /* jobs kept in job[] (at most FLINK_JOBS_MAX) */
  size_t total;                 /* jobs in the reply */
  size_t running;               /* of which status RUNNING */
  struct flink_job job[FLINK_JOBS_MAX];
};

enum flink_op_state { FLINK_OP_IN_PROGRESS = 0, FLINK_OP_COMPLETED, FLINK_OP_FAILED };

struct flink_op {
  enum flink_op_state state;
  char location[FLINK_PATH_MAX];   /* COMPLETED: the savepoint, e.g. "file:/x/savepoint-a-b" */
  char failure[160];               /* FAILED: the failure cause's class or first line */
};

/* GET /overview. */
int flink_rest_overview(const char *body, size_t len, struct flink_overview *out);

/* GET /jobs: {"jobs":[{"id":"..","status":".."},...]}. */
int flink_rest_jobs(const char *body, size_t len, struct flink_jobs *out);

/* POST /jobs/:id/stop: {"request-id":".."} into id (cap bytes). */
int flink_rest_trigger(const char *body, size_t len, char *id, size_t cap);

/* GET /jobs/:id/savepoints/:triggerid: {"status":{"id":"IN_PROGRESS|COMPLETED"},
 * "operation":{"location":".."} or {"failure-cause":{"class":..}}}.  A COMPLETED reply
 * with a failure cause, or without a location, is FLINK_OP_FAILED. */
int flink_rest_savepoint(const char *body, size_t len, struct flink_op *out);

/* GET /taskmanagers: 1 if a TaskManager's "path" names HOST:PORT ("…@HOST:PORT/…") for one
 * of the `naddrs` addresses (numeric IPv4/IPv6 text or names), 0 if none does, -1 if the
 * body is not a TaskManager list. */
int flink_rest_taskmanager_listed(const char *body, size_t len, const char *const *addrs, size_t naddrs,
                                  unsigned port);

/* The body of POST /jobs/:id/stop for target directory dir into buf:
 * {"drain":false,"targetDirectory":"DIR"}.  Returns the length, or -1 if it does not fit or
 * dir holds a byte that JSON would need escaped (a quote, a backslash, a control byte). */
int flink_rest_stop_body(const char *dir, char *buf, size_t cap);

#endif
