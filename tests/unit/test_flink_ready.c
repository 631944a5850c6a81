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

int main(void)
{
  jobmanager();
  taskmanager();
  return unit_done("flink_ready");
}
