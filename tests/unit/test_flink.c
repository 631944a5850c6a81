/* Table tests for flink.c's pure parts: the role defaults derived from the rendered
 * configuration (render_document on a base file, variables and FLINK_PROPERTIES, exactly what
 * Flink will read), HA detection, and the pinned keys. */
#include "pinit/flink.h"
#include "pinit/render.h"
#include "unit.h"

static int has(const char **list, const char *want)
{
  for(; *list; list++)
    if(!strcmp(*list, want))
      return 1;
  return 0;
}

struct fcase {
  const char *name, *role;
  enum render_format fmt;     /* RENDER_AUTO here means YAML */
  const char *base;           /* base file */
  const char *env[6];         /* "NAME=value", FLINK_PROPERTIES included */
  int count;                  /* flink_role_defaults()'s result, 0: do not check */
  const char *want[6], *not[4];
};

static const struct fcase cases[] = {
  { "jobmanager: defaults", "jobmanager", 0, NULL, { "JOB_MANAGER_RPC_ADDRESS=jm" }, 4,
    { "restart.policy=always", "liveness.url=http://127.0.0.1:8081/config", "readiness.url=http://127.0.0.1:8081/overview" },
    { NULL } },
  { "jobmanager: rest.port from FLINK_PROPERTIES", "standalone-job", 0, NULL, { "FLINK_PROPERTIES=rest.port: 9999" }, 0,
    { "liveness.url=http://127.0.0.1:9999/config" }, { NULL } },
  { "jobmanager: rest.port through ${VAR}", "jobmanager", 0, NULL,
    { "REST_PORT=8083\n", "FLINK_PROPERTIES=rest.port: ${REST_PORT}" }, 0, { "liveness.url=http://127.0.0.1:8083/config" },
    { NULL } },
  { "jobmanager: rest.port from the base file", "jobmanager", 0, "rest:\n  port: 8082\n", { NULL }, 0,
    { "liveness.url=http://127.0.0.1:8082/config", "readiness.url=http://127.0.0.1:8082/overview" }, { NULL } },
  { "jobmanager: rest.bind-port is where it listens", "jobmanager", 0, "rest.port: 8082\nrest.bind-port: 8090\n", { NULL }, 0,
    { "liveness.url=http://127.0.0.1:8090/config" }, { NULL } },
  { "jobmanager: a bind-port range falls back to rest.port", "jobmanager", 0, "rest.port: 8082\n",
    { "FLINK_PROPERTIES=rest.bind-port: 8090-8099" }, 0, { "liveness.url=http://127.0.0.1:8082/config" }, { NULL } },
  { "jobmanager: legacy base file", "jobmanager", RENDER_LEGACY, "rest.port: 8085\n", { NULL }, 0,
    { "liveness.url=http://127.0.0.1:8085/config" }, { NULL } },
  { "taskmanager: defaults", "taskmanager", 0, NULL, { "JOB_MANAGER_RPC_ADDRESS=jobmanager" }, 0,
    { "liveness.tcp=127.0.0.1:6122", "wait.targets=tcp://jobmanager:6123" }, { NULL } },
  { "taskmanager: address with a trailing newline", "taskmanager", 0, NULL, { "JOB_MANAGER_RPC_ADDRESS=jm\n" }, 0,
    { "wait.targets=tcp://jm:6123" }, { NULL } },
  { "taskmanager: ports from FLINK_PROPERTIES", "taskmanager", 0, NULL,
    { "JOB_MANAGER_RPC_ADDRESS=jm", "FLINK_PROPERTIES=taskmanager.rpc.port: 7000\njobmanager.rpc.port: 7001" }, 0,
    { "liveness.tcp=127.0.0.1:7000", "wait.targets=tcp://jm:7001" }, { NULL } },
  { "taskmanager: jobmanager.rpc.port from the base file", "taskmanager", 0,
    "jobmanager:\n  rpc:\n    address: base-jm\n    port: 6130\n", { NULL }, 0,
    { "wait.targets=tcp://base-jm:6130", "liveness.tcp=127.0.0.1:6122" }, { NULL } },
  { "taskmanager: a port range is not probed", "taskmanager", 0, NULL,
    { "JOB_MANAGER_RPC_ADDRESS=jm", "FLINK_PROPERTIES=taskmanager.rpc.port: 50100-50200" }, 0,
    { "wait.targets=tcp://jm:6123" }, { "liveness.tcp=127.0.0.1:6122", "liveness.tcp=127.0.0.1:50100-50200" } },
  { "taskmanager: HA from the variables", "taskmanager", 0, NULL,
    { "JOB_MANAGER_RPC_ADDRESS=jm", "HA_MODE=zookeeper", "HA_ZOOKEEPER_QUORUM=zk1:2181, zk2:2181" }, 0,
    { "wait.targets=tcp://zk1:2181 tcp://zk2:2181" }, { "wait.targets=tcp://jm:6123" } },
  { "taskmanager: HA from the base file", "taskmanager", 0,
    "high-availability:\n  type: zookeeper\n  zookeeper:\n    quorum: zk:2181\n", { "JOB_MANAGER_RPC_ADDRESS=jm" }, 0,
    { "wait.targets=tcp://zk:2181" }, { "wait.targets=tcp://jm:6123" } },
  { "taskmanager: HA_MODE=None is not HA", "taskmanager", 0, NULL,
    { "JOB_MANAGER_RPC_ADDRESS=jm", "HA_MODE=None", "HA_ZOOKEEPER_QUORUM=zk:2181" }, 0,
    { "wait.targets=tcp://jm:6123" }, { "wait.targets=tcp://zk:2181" } },
  { "taskmanager: FLINK_PROPERTIES turns HA off under the deprecated name", "taskmanager", RENDER_LEGACY, NULL,
    { "JOB_MANAGER_RPC_ADDRESS=jm", "HA_MODE=zookeeper", "HA_ZOOKEEPER_QUORUM=zk:2181",
      "FLINK_PROPERTIES=high-availability: NONE" }, 0, { "wait.targets=tcp://jm:6123" }, { "wait.targets=tcp://zk:2181" } },
  { "taskmanager: ZooKeeper type in any case, deprecated quorum key", "taskmanager", 0, NULL,
    { "JOB_MANAGER_RPC_ADDRESS=jm", "FLINK_PROPERTIES=high-availability.type: ZooKeeper\nrecovery.zookeeper.quorum: q:2181" },
    0, { "wait.targets=tcp://q:2181" }, { "wait.targets=tcp://jm:6123" } },
  { "taskmanager: kubernetes HA waits for nothing", "taskmanager", 0, NULL,
    { "JOB_MANAGER_RPC_ADDRESS=jm", "HA_MODE=kubernetes" }, 0, { "liveness.tcp=127.0.0.1:6122" },
    { "wait.targets=tcp://jm:6123" } },
  { "jobmanager: HA waits for ZooKeeper too", "jobmanager", 0, NULL,
    { "HA_MODE=zookeeper", "HA_ZOOKEEPER_QUORUM=zk:2181" }, 5, { "wait.targets=tcp://zk:2181" }, { NULL } },
  { "history-server: default port", "history-server", 0, NULL, { NULL }, 0,
    { "liveness.url=http://127.0.0.1:8082/config" }, { NULL } },
  { "history-server: historyserver.web.port", "history-server", 0, "historyserver.web.port: 9092\n", { NULL }, 0,
    { "liveness.url=http://127.0.0.1:9092/config" }, { NULL } },
  { "not a role", "bash", 0, NULL, { NULL }, -1, { NULL }, { NULL } },
};

static void run_case(const struct fcase *c)
{
  const char *out[16] = { NULL };
  char store[2048], *envp[8];
  struct render_input in = { 0 };
  struct render_result res;
  struct render_error err;
  int n = 0, rc, bad = unit_failed;
  for(; n < 6 && c->env[n]; n++)
    envp[n] = (char *)c->env[n];
  envp[n] = NULL;
  in.envp = envp;
  in.base = c->base;
  in.base_len = c->base ? strlen(c->base) : 0;
  in.format = c->fmt ? c->fmt : RENDER_YAML;
  in.pins = flink_role_pins(c->role);
  CHECK_INT(render_document(&in, &res, &err), 0);
  rc = flink_role_defaults(c->role, &res, out, 16, store, sizeof(store));
  if(c->count)
    CHECK_INT(rc, c->count);
  else
    CHECK(rc > 0);
  for(int i = 0; i < 6 && c->want[i]; i++)
    CHECK(rc > 0 && has(out, c->want[i]));
  for(int i = 0; i < 4 && c->not[i]; i++)
    CHECK(rc <= 0 || !has(out, c->not[i]));
  if(unit_failed != bad) {
    fprintf(stderr, "  in case \"%s\":\n", c->name);
    for(int i = 0; rc > 0 && out[i]; i++)
      fprintf(stderr, "    %s\n", out[i]);
  }
  render_result_free(&res);
}

int main(void)
{
  const char *out[16];
  char store[2048];
  for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    run_case(&cases[i]);
  CHECK(flink_role_pins("taskmanager") && !strcmp(flink_role_pins("taskmanager")[0], "taskmanager.rpc.port: 6122"));
  CHECK(flink_role_pins("jobmanager") == NULL);
  CHECK_INT(flink_role_defaults("jobmanager", NULL, out, 2, store, sizeof(store)), -1); /* no room */
  CHECK_INT(flink_role_defaults("jobmanager", NULL, out, 16, store, 20), -1);
  CHECK_INT(flink_role_defaults("jobmanager", NULL, out, 16, store, sizeof(store)), 4);  /* nothing rendered */
  return unit_done("flink");
}
