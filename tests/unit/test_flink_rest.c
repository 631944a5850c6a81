/* Table tests for flink_rest.c: the JobManager's REST replies as Flink 1.20 sends them,
 * and bodies that must be refused. */
#include "pinit/flink_rest.h"
#include "unit.h"

#define B(s) s, sizeof(s) - 1

static void overview(void)
{
  static const struct { const char *body; int rc, tms, running; } cases[] = {
    { "{\"taskmanagers\":1,\"slots-total\":2,\"slots-available\":1,\"jobs-running\":1,\"jobs-finished\":0,"
      "\"jobs-cancelled\":0,\"jobs-failed\":0,\"flink-version\":\"1.20.1\",\"flink-commit\":\"abc\"}", 0, 1, 1 },
    { " {\"taskmanagers\" : 0 , \"jobs-running\" : 0}\n", 0, 0, 0 },
    { "{\"taskmanagers\":3,\"jobs-running\":2,\"x\":{\"taskmanagers\":9}}", 0, 3, 2 },
    { "{\"taskmanagers\":1}", -1, 0, 0 },                      /* jobs-running missing */
    { "{\"taskmanagers\":\"1\",\"jobs-running\":0}", -1, 0, 0 }, /* a string */
    { "{\"taskmanagers\":-1,\"jobs-running\":0}", -1, 0, 0 },
    { "{\"taskmanagers\":1.5,\"jobs-running\":0}", -1, 0, 0 },
    { "{\"taskmanagers\":1,\"jobs-running\":0", -1, 0, 0 },     /* cut */
    { "{\"taskmanagers\":1,\"jobs-running\":0} x", -1, 0, 0 },  /* trailing garbage */
    { "[1,2]", -1, 0, 0 },
    { "", -1, 0, 0 },
    { "<html>404</html>", -1, 0, 0 },
  };
  for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct flink_overview o = { 7, 7 };
    int rc = flink_rest_overview(cases[i].body, strlen(cases[i].body), &o);
    CHECK_INT(rc, cases[i].rc);
    if(rc == 0) {
      CHECK_INT(o.taskmanagers, cases[i].tms);
      CHECK_INT(o.jobs_running, cases[i].running);
    }
    else
      CHECK_INT(o.taskmanagers, 7); /* untouched */
  }
}

static void jobs(void)
{
  static const struct { const char *body; int rc; size_t total, running; const char *first, *first_status; } cases[] = {
    { "{\"jobs\":[{\"id\":\"8e1f0b0a2a9c4f6d9b1e3c5d7f9a1b2c\",\"status\":\"RUNNING\"}]}", 0, 1, 1,
      "8e1f0b0a2a9c4f6d9b1e3c5d7f9a1b2c", "RUNNING" },
    { "{\"jobs\":[]}", 0, 0, 0, NULL, NULL },
    { "{\"jobs\":[{\"id\":\"a\",\"status\":\"FINISHED\"},{\"status\":\"RUNNING\",\"id\":\"b\"}]}", 0, 2, 1, "a",
      "FINISHED" },
    { "{\"jobs\":[{\"id\":\"a\"}]}", -1, 0, 0, NULL, NULL },                  /* no status */
    { "{\"jobs\":[{\"id\":1,\"status\":\"RUNNING\"}]}", -1, 0, 0, NULL, NULL }, /* id not a string */
    { "{\"jobs\":{}}", -1, 0, 0, NULL, NULL },
    { "{\"errors\":[\"Not found\"]}", -1, 0, 0, NULL, NULL },
    { "{\"jobs\":[{\"id\":\"a\",\"status\":\"RUNNING\"}", -1, 0, 0, NULL, NULL },
    { "{\"jobs\":[{\"id\":\"a\\u0041\\/\",\"status\":\"RUNNING\"}]}", 0, 1, 1, "aA/", "RUNNING" },
    { "{\"jobs\":[{\"id\":\"0123456789012345678901234567890123456789012345678901234567890123456789\","
      "\"status\":\"RUNNING\"}]}", -1, 0, 0, NULL, NULL },                     /* id too long: refused */
  };
  for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    static struct flink_jobs j;
    int rc = flink_rest_jobs(cases[i].body, strlen(cases[i].body), &j);
    CHECK_INT(rc, cases[i].rc);
    if(rc)
      continue;
    CHECK_INT(j.total, cases[i].total);
    CHECK_INT(j.running, cases[i].running);
    if(cases[i].first) {
      CHECK_STR(j.job[0].id, cases[i].first);
      CHECK_STR(j.job[0].status, cases[i].first_status);
    }
  }
  /* more jobs than kept: all counted */
  {
    static char body[4096];
    static struct flink_jobs j;
    size_t len = (size_t)snprintf(body, sizeof(body), "{\"jobs\":[");
    for(int i = 0; i < FLINK_JOBS_MAX + 3; i++)
      len += (size_t)snprintf(body + len, sizeof(body) - len, "%s{\"id\":\"j%d\",\"status\":\"RUNNING\"}", i ? "," : "", i);
    len += (size_t)snprintf(body + len, sizeof(body) - len, "]}");
    CHECK_INT(flink_rest_jobs(body, len, &j), 0);
    CHECK_INT(j.total, FLINK_JOBS_MAX + 3);
    CHECK_INT(j.running, FLINK_JOBS_MAX + 3);
    CHECK_INT(j.n, FLINK_JOBS_MAX);
  }
}

static void savepoints(void)
{
  static const struct { const char *body; int rc; enum flink_op_state state; const char *location, *failure; } cases[] = {
    { "{\"status\":{\"id\":\"IN_PROGRESS\"},\"operation\":null}", 0, FLINK_OP_IN_PROGRESS, "", "" },
    { "{\"status\":{\"id\":\"COMPLETED\"},\"operation\":{\"location\":\"file:/opt/flink/savepoints/savepoint-8e1f0b-"
      "3b5c2d1e\"}}", 0, FLINK_OP_COMPLETED, "file:/opt/flink/savepoints/savepoint-8e1f0b-3b5c2d1e", "" },
    { "{\"status\":{\"id\":\"COMPLETED\"},\"operation\":{\"failure-cause\":{\"class\":\"java.util.concurrent."
      "CompletionException\",\"stack-trace\":\"...\",\"serialized-throwable\":\"rO0=\"}}}", 0, FLINK_OP_FAILED, "",
      "java.util.concurrent.CompletionException" },
    { "{\"status\":{\"id\":\"COMPLETED\"},\"operation\":{}}", 0, FLINK_OP_FAILED, "", "no savepoint location in the reply" },
    { "{\"status\":{\"id\":\"WEIRD\"}}", -1, 0, "", "" },
    { "{\"operation\":{\"location\":\"x\"}}", -1, 0, "", "" },
    { "{\"status\":{\"id\":\"COMPLETED\"},\"operation\":{\"location\":\"\"}}", -1, 0, "", "" },
    { "{\"errors\":[\"Operation not found under key\"]}", -1, 0, "", "" },
  };
  for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    static struct flink_op op;
    int rc = flink_rest_savepoint(cases[i].body, strlen(cases[i].body), &op);
    CHECK_INT(rc, cases[i].rc);
    if(rc)
      continue;
    CHECK_INT(op.state, cases[i].state);
    CHECK_STR(op.location, cases[i].location);
    CHECK_STR(op.failure, cases[i].failure);
  }
}

static void trigger(void)
{
  char id[64];
  CHECK_INT(flink_rest_trigger(B("{\"request-id\":\"2bf7d9f2d4c0e3a1b5a6c7d8e9f0a1b2\"}"), id, sizeof(id)), 0);
  CHECK_STR(id, "2bf7d9f2d4c0e3a1b5a6c7d8e9f0a1b2");
  CHECK_INT(flink_rest_trigger(B("{\"request-id\":\"\"}"), id, sizeof(id)), -1);
  CHECK_INT(flink_rest_trigger(B("{\"errors\":[\"Job not found\"]}"), id, sizeof(id)), -1);
  CHECK_INT(flink_rest_trigger(B("{\"request-id\":\"abcdef\"}"), id, 4), -1); /* does not fit: refused */
  CHECK_INT(flink_rest_trigger(B("{\"request-id\":42}"), id, sizeof(id)), -1);
}

static void taskmanagers(void)
{
  static const char body[] =
    "{\"taskmanagers\":[{\"id\":\"172.18.0.4:6122-5c2a1e\",\"path\":\"pekko.tcp://flink@172.18.0.4:6122/user/rpc/"
    "taskmanager_0\",\"dataPort\":39011,\"slotsNumber\":2},{\"id\":\"tm2\",\"path\":\"pekko.tcp://flink@172.18.0.5:"
    "6122/user/rpc/taskmanager_0\"}]}";
  const char *mine[] = { "127.0.0.1", "172.18.0.5" }, *other[] = { "172.18.0.6", "172.18.0.40" },
             *prefix[] = { "172.18.0.", "" };
  CHECK_INT(flink_rest_taskmanager_listed(B(body), mine, 2, 6122), 1);
  CHECK_INT(flink_rest_taskmanager_listed(B(body), mine, 2, 6123), 0);
  CHECK_INT(flink_rest_taskmanager_listed(B(body), other, 2, 6122), 0);
  CHECK_INT(flink_rest_taskmanager_listed(B(body), prefix, 2, 6122), 0);
  CHECK_INT(flink_rest_taskmanager_listed(B("{\"taskmanagers\":[]}"), mine, 2, 6122), 0);
  CHECK_INT(flink_rest_taskmanager_listed(B("{\"errors\":[]}"), mine, 2, 6122), -1);
}

static void syntax(void)
{
  static const char *bad[] = {
    "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":\"\x01\"}",
    "{\"a\":01}", "{\"a\":1.}", "{\"a\":-}", "{\"a\":1e}", "{\"a\":\"\\u12\"}", "{'a':1}", "nul",
  };
  struct flink_overview o;
  char deep[2 * FLINK_REST_DEPTH_MAX + 8];
  size_t n = 0;
  for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    CHECK_INT(flink_rest_overview(bad[i], strlen(bad[i]), &o), -1);
  /* nesting: the limit is refused, not a stack overflow */
  for(int i = 0; i <= FLINK_REST_DEPTH_MAX; i++)
    deep[n++] = '[';
  for(int i = 0; i <= FLINK_REST_DEPTH_MAX; i++)
    deep[n++] = ']';
  CHECK_INT(flink_rest_overview(deep, n, &o), -1);
  CHECK_INT(flink_rest_overview(NULL, 0, &o), -1);
  /* a NUL inside the body is not the end of it */
  CHECK_INT(flink_rest_overview("{\"taskmanagers\":1,\"jobs-running\":0}\0junk", 41, &o), -1);
}

static void stop_body(void)
{
  char buf[128];
  CHECK_INT(flink_rest_stop_body("file:///opt/flink/savepoints", buf, sizeof(buf)), 64);
  CHECK_STR(buf, "{\"drain\":false,\"targetDirectory\":\"file:///opt/flink/savepoints\"}");
  CHECK_INT(flink_rest_stop_body("a\"b", buf, sizeof(buf)), -1);
  CHECK_INT(flink_rest_stop_body("a\\b", buf, sizeof(buf)), -1);
  CHECK_INT(flink_rest_stop_body("a\nb", buf, sizeof(buf)), -1);
  CHECK_INT(flink_rest_stop_body("file:///opt/flink/savepoints", buf, 20), -1);
}

int main(void)
{
  overview();
  jobs();
  savepoints();
  trigger();
  taskmanagers();
  syntax();
  stop_body();
  return unit_done("flink_rest");
}
