/* Table tests for flink_ready.c: the readiness verdicts on the JobManager's replies. */
#include "pinit/flink_ready.h"
#include "unit.h"

static void jobmanager(void)
{
  static const struct { const char *body; int min, app, ready; const char *why; } cases[] = {
    { "{\"taskmanagers\":0,\"jobs-running\":0}", 1, 0, 0, "0 of 1 TaskManager registered" },
    { "{\"taskmanagers\":1,\"jobs-running\":0}", 1, 0, 1, "1 TaskManager, 0 jobs running" },
    { "{\"taskmanagers\":1,\"jobs-running\":0}", 2, 0, 0, "1 of 2 TaskManagers registered" },
    { "{\"taskmanagers\":0,\"jobs-running\":0}", 0, 0, 1, "REST answers" },
    { "{\"taskmanagers\":0,\"jobs-running\":0}", 0, 1, 1, "REST answers" },
    { "{\"taskmanagers\":2,\"jobs-running\":0}", 1, 1, 0, "no job running (2 TaskManagers)" },
    { "{\"taskmanagers\":2,\"jobs-running\":1}", 1, 1, 1, "2 TaskManagers, 1 job running" },
    { "{\"taskmanagers\":0,\"jobs-running\":1}", 1, 1, 0, "0 of 1 TaskManager registered" },
    { "<html>", 1, 0, 0, "unreadable /overview reply" },
    { "<html>", 0, 0, 1, "REST answers" },
  };
  for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct flink_overview ov;
    char why[96];
    CHECK_INT(flink_ready_jobmanager(cases[i].body, strlen(cases[i].body), cases[i].min, cases[i].app, &ov, why,
                                     sizeof(why)), cases[i].ready);
    CHECK_STR(why, cases[i].why);
  }
}

static void taskmanager(void)
{
  static const char listed[] = "{\"taskmanagers\":[{\"id\":\"x\",\"path\":\"pekko.tcp://flink@10.0.0.7:6122/user/rpc/t\"}]}";
  const char *addrs[] = { "127.0.0.1", "10.0.0.7" };
  char why[96];
  CHECK_INT(flink_ready_taskmanager(listed, sizeof(listed) - 1, addrs, 2, 6122, why, sizeof(why)), 1);
  CHECK_STR(why, "registered with the JobManager");
  CHECK_INT(flink_ready_taskmanager(listed, sizeof(listed) - 1, addrs, 1, 6122, why, sizeof(why)), 0);
  CHECK_STR(why, "not registered with the JobManager");
  CHECK_INT(flink_ready_taskmanager("{}", 2, addrs, 2, 6122, why, sizeof(why)), 0);
  CHECK_STR(why, "unreadable /taskmanagers reply");
}

/* The HA leader: a sequence of liveness replies, each at a time (ms), with a budget of 60 s.
 * The no-leader stretch starts at the first 503 "leader election" reply and ends at a 2xx;
 * anything else says nothing of the leader and leaves both the stretch and the verdict alone. */
static void leader(void)
{
  static const char election[] = "{\"errors\":[\"Service temporarily unavailable due to an ongoing leader "
                                 "election. Please refresh.\"]}";
  static const char legacy[] = "Service temporarily unavailable due to an ongoing leader election. Please refresh.";
  static const struct step { const char *what; int64_t at; int ok; long status; const char *body; int live;
                             int64_t since; const char *why; } steps[] = {
    { "a leader", 1000, 1, 200, "{}", 1, 0, "HTTP 200" },
    { "no leader: the stretch begins", 5000, 0, 503, election, 1, 5000, "no leader for 0s (budget 1m)" },
    { "still none, within the budget", 35000, 0, 503, election, 1, 5000, "no leader for 30s (budget 1m)" },
    { "at the budget exactly: still live", 65000, 0, 503, election, 1, 5000, "no leader for 60s (budget 1m)" },
    { "a timeout says nothing of the leader", 70000, 0, 0, NULL, 0, 5000, "timeout after 3s (connecting)" },
    { "over the budget: not live", 80000, 0, 503, election, 0, 5000, "no leader for 75s (budget 1m)" },
    { "a 503 without the phrase: the probe decides", 81000, 0, 503, "overloaded", 0, 5000, "HTTP 503" },
    { "a 500 naming the phrase is no 503", 82000, 0, 500, election, 0, 5000, "HTTP 500" },
    { "a leader again: the stretch ends", 85000, 1, 200, "{\"refresh-interval\":3000}", 1, 0, "HTTP 200" },
    { "a redirect: nothing known", 86000, 1, 307, "", 1, 0, "HTTP 307" },
    { "plain text (Flink before 1.5), upper case", 90000, 0, 503, legacy, 1, 90000, "no leader for 0s (budget 1m)" },
    { "over the budget again", 150001, 0, 503, legacy, 0, 90000, "no leader for 60s (budget 1m)" },
    { "connection refused: the stretch goes on", 151000, 0, 0, NULL, 0, 90000, "connection refused" },
    { "a 2xx the probe failed (cut reply) still names a leader", 152000, 0, 204, "", 0, 0, "HTTP 204" },
  };
  struct clock_mono since = CLOCK_MONO_UNSET;
  for(size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
    const struct step *s = &steps[i];
    char why[96];
    int live;
    /* the probe's own reason on entry, as supervisor.c passes it */
    snprintf(why, sizeof(why), "%s", s->status ? "" : s->why);
    if(s->status)
      snprintf(why, sizeof(why), "HTTP %ld", s->status);
    live = flink_ready_leader(&since, s->ok, s->status, s->body, s->body ? strlen(s->body) : 0,
                              (struct clock_mono){ s->at }, 60000, why, sizeof(why));
    if(live != s->live || since.ms != s->since || strcmp(why, s->why))
      fprintf(stderr, "step %zu: %s\n", i, s->what);
    CHECK_INT(live, s->live);
    CHECK_INT(since.ms, s->since);
    CHECK_STR(why, s->why);
  }
}

static void leader_note(void)
{
  char why[96];
  CHECK_INT(flink_ready_leader_note(CLOCK_MONO_UNSET, (struct clock_mono){ 9000 }, 60000, why, sizeof(why)), 0);
  CHECK_STR(why, "");
  CHECK_INT(flink_ready_leader_note((struct clock_mono){ 1000 }, (struct clock_mono){ 76999 }, 60000, why, sizeof(why)), 1);
  CHECK_STR(why, "no leader for 75s (budget 1m)");
  CHECK_INT(flink_ready_leader_note((struct clock_mono){ 1000 }, (struct clock_mono){ 2999 }, 2000, why, sizeof(why)), 0);
  CHECK_STR(why, "no leader for 1s (budget 2s)");
  /* cut, never overrun */
  flink_ready_leader_note((struct clock_mono){ 1000 }, (struct clock_mono){ 76999 }, 60000, why, 8);
  CHECK(strlen(why) == 7);
}

int main(void)
{
  jobmanager();
  taskmanager();
  leader();
  leader_note();
  return unit_done("flink_ready");
}
