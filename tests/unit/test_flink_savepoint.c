/* flink_savepoint.c's run against what cannot answer: the callback comes once, from the
 * loop, never from inside flink_savepoint_start, with the reason in s->why.  (The whole
 * stop-with-savepoint conversation is tested against a REST stand-in in
 * tests/blackbox/test_flink_job.py and against Flink in tests/e2e/test_job.py.) */
#include "pinit/flink_savepoint.h"
#include "unit.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int called;

static void cb(struct flink_savepoint *s, void *arg)
{
  (void)s;
  (void)arg;
  called++;
}

/* run the loop until the callback came or 5 s passed */
static void run_until_called(struct ev_loop *loop)
{
  for(int i = 0; i < 500 && !called; i++) {
    ev_run(loop, EVRUN_NOWAIT);
    usleep(10000);
  }
}

int main(void)
{
  static struct flink_savepoint s;
  struct ev_loop *loop = ev_default_loop(0);

  CHECK(loop != NULL);
  CHECK_INT(probe_global_init(), 0);

  /* what cannot answer: the callback comes once, from the loop, with the reason */
  static const struct { unsigned port; int64_t budget_ms; unsigned sleep_us; const char *why; } cases[] = {
    { 8081, 1, 5000, "budget" },         /* the budget is gone before the first request */
    { 70000, 5000, 0, "bad URL" },       /* the first request cannot be made at all */
    { 1, 5000, 0, "GET /jobs" },         /* nothing listens on the port */
  };
  for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    called = 0;
    CHECK_INT(flink_savepoint_start(&s, loop, cases[i].port, "file:///tmp/sp", cases[i].budget_ms, cb, NULL), 0);
    CHECK_INT(called, 0);      /* never from inside start */
    usleep(cases[i].sleep_us);
    run_until_called(loop);
    CHECK_INT(called, 1);
    CHECK_INT(s.ok, 0);
    if(!strstr(s.why, cases[i].why))
      fprintf(stderr, "case %zu: why: %s\n", i, s.why);
    CHECK(strstr(s.why, cases[i].why) != NULL);
  }

  /* refused at once: no callback at all */
  called = 0;
  errno = 0;
  CHECK_INT(flink_savepoint_start(&s, loop, 8081, "file:///tmp/sp", 0, cb, NULL), -1);
  CHECK_INT(errno, EINVAL);
  CHECK_INT(flink_savepoint_start(&s, loop, 8081, "file:///tmp/sp", 1000, NULL, NULL), -1);
  ev_run(loop, EVRUN_NOWAIT);
  CHECK_INT(called, 0);

  /* a running one refuses a second start (EBUSY) and a cancel means no callback */
  CHECK_INT(flink_savepoint_start(&s, loop, 1, "file:///tmp/sp", 5000, cb, NULL), 0);
  errno = 0;
  CHECK_INT(flink_savepoint_start(&s, loop, 1, "file:///tmp/sp", 5000, cb, NULL), -1);
  CHECK_INT(errno, EBUSY);
  flink_savepoint_cancel(&s, "cancelled");
  for(int i = 0; i < 20; i++) {
    ev_run(loop, EVRUN_NOWAIT);
    usleep(10000);
  }
  CHECK_INT(called, 0);
  CHECK_STR(s.why, "cancelled");

  probe_global_cleanup();
  return unit_done("test_flink_savepoint");
}
