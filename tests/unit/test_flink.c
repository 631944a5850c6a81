/* Table tests for flink.c's pure parts: FLINK_PROPERTIES lookups and the role defaults. */
#include "pinit/flink.h"
#include "unit.h"

static int has(const char **list, const char *want)
{
  for(; *list; list++)
    if(!strcmp(*list, want))
      return 1;
  return 0;
}

int main(void)
{
  char buf[256];
  static const struct { const char *props, *key; int found; const char *value; } props[] = {
    { "rest.port: 9000", "rest.port", 1, "9000" },
    { "  rest.port :  9000  \r\n", "rest.port", 1, "9000" },
    { "rest.port: 1\nrest.port: 2", "rest.port", 1, "2" },           /* last wins */
    { "# rest.port: 1\nx: y", "rest.port", 0, "" },                  /* comments are not keys */
    { "rest.portx: 1", "rest.port", 0, "" },
    { "env.java.opts: -Xss2m -XX:+UseG1GC", "env.java.opts", 1, "-Xss2m -XX:+UseG1GC" },
    { "k: a: b", "k", 1, "a: b" },                                     /* first colon splits */
    { NULL, "k", 0, "" },
    { "", "k", 0, "" },
  };
  for(unsigned i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
    buf[0] = '\0';
    CHECK_INT(flink_property(props[i].props, props[i].key, buf, sizeof(buf)), props[i].found);
    if(props[i].found)
      CHECK_STR(buf, props[i].value);
  }

  const char *out[16];
  char store[2048];
  CHECK_INT(flink_role_defaults("jobmanager", NULL, "jm", NULL, out, 16, store, sizeof(store)), 6);
  CHECK(has(out, "restart.policy=always"));
  CHECK(has(out, "liveness.url=http://127.0.0.1:8081/config"));
  CHECK(has(out, "liveness.interval=5s"));
  CHECK(has(out, "liveness.timeout=3s"));
  CHECK(has(out, "liveness.start_period=120s"));
  CHECK(has(out, "readiness.url=http://127.0.0.1:8081/overview"));
  CHECK(flink_role_defaults("standalone-job", "rest.port: 9999", "jm", NULL, out, 16, store, sizeof(store)) > 0);
  CHECK(has(out, "liveness.url=http://127.0.0.1:9999/config"));
  CHECK(flink_role_defaults("taskmanager", NULL, "jobmanager", NULL, out, 16, store, sizeof(store)) > 0);
  CHECK(has(out, "liveness.tcp=127.0.0.1:6122"));
  CHECK(has(out, "wait.targets=tcp://jobmanager:6123"));
  CHECK(flink_role_defaults("taskmanager", "taskmanager.rpc.port: 7000\njobmanager.rpc.port: 7001", "jm", NULL, out, 16,
                            store, sizeof(store)) > 0);
  CHECK(has(out, "liveness.tcp=127.0.0.1:7000"));
  CHECK(has(out, "wait.targets=tcp://jm:7001"));
  CHECK(flink_role_defaults("taskmanager", NULL, "jm", "zk1:2181, zk2:2181", out, 16, store, sizeof(store)) > 0);
  CHECK(has(out, "wait.targets=tcp://zk1:2181 tcp://zk2:2181"));   /* HA: ZooKeeper is the dependency */
  CHECK(!has(out, "wait.targets=tcp://jm:6123"));
  CHECK(flink_role_defaults("jobmanager", NULL, "jm", "zk:2181", out, 16, store, sizeof(store)) == 7);
  CHECK(has(out, "wait.targets=tcp://zk:2181"));                    /* the JobManager too */
  CHECK(flink_role_defaults("history-server", NULL, NULL, NULL, out, 16, store, sizeof(store)) > 0);
  CHECK(has(out, "liveness.url=http://127.0.0.1:8082/config"));
  CHECK_INT(flink_role_defaults("bash", NULL, NULL, NULL, out, 16, store, sizeof(store)), -1);
  CHECK_INT(flink_role_defaults("jobmanager", NULL, NULL, NULL, out, 2, store, sizeof(store)), -1); /* no room */
  CHECK_INT(flink_role_defaults("jobmanager", NULL, NULL, NULL, out, 16, store, 20), -1);
  return unit_done("flink");
}
