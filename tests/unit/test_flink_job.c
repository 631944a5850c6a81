/* Table tests for flink_job.c: settings from the environment, the TaskManager's readiness
 * default, display paths, and the hooks on a temporary state directory (resume argv,
 * readiness verdicts, status and metrics text). */
#include "pinit/flink_job.h"
#include "pinit/render.h"
#include "unit.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static struct render_result conf_of(struct render_kv *kv, size_t n)
{
  struct render_result r;
  memset(&r, 0, sizeof(r));
  r.kv = kv;
  r.nkv = n;
  return r;
}

static void settings(void)
{
  static struct flink_job_settings s;
  struct render_kv kv1[] = { { "execution.checkpointing.savepoint-dir", "file:///sp" },
                             { "execution.checkpointing.dir", "file:///ck" },
                             { "jobmanager.rpc.address", "jm" } };
  struct render_kv kv2[] = { { "rest.port", "9081" }, { "state.savepoints.dir", "file:///p-sp" },
                             { "state.checkpoints.dir", "file:///p-ck" }, { "execution.savepoint.path", "/x" },
                             { "taskmanager.rpc.port", "7000" }, { "high-availability.type", "zookeeper" },
                             { "jobmanager.rpc.address", "jobmanager" } };
  struct render_kv kv3[] = { { "rest.port", "junk" } }, kv4[] = { { "rest.port", "9081" }, { "rest.bind-port", "9085" } },
                   kv5[] = { { "rest.port", "9081" }, { "rest.bind-port", "9085-9090" } };
  struct render_result c1 = conf_of(kv1, 3), c2 = conf_of(kv2, 7), c3 = conf_of(kv3, 1), c4 = conf_of(kv4, 2),
                       c5 = conf_of(kv5, 2);
  const char *out[4];
  char buf[256];

  flink_job_settings_read(&c1, "standalone-job", &s);
  CHECK_INT(s.role, FLINK_JOB_APPLICATION);
  CHECK_INT(s.rest_port, 8081);
  CHECK_STR(s.savepoint_dir, "file:///sp");
  CHECK_STR(s.checkpoint_dir, "file:///ck");
  CHECK_INT(s.explicit_savepoint, 0);
  CHECK_INT(s.ha, 0);
  flink_job_settings_read(&c2, "jobmanager", &s);
  CHECK_INT(s.role, FLINK_JOB_SESSION);
  CHECK_INT(s.ha, 1);
  CHECK_INT(s.rest_port, 9081);
  CHECK_INT(s.rpc_port, 7000);
  CHECK_STR(s.savepoint_dir, "file:///p-sp");
  CHECK_STR(s.checkpoint_dir, "file:///p-ck");
  CHECK_INT(s.explicit_savepoint, 1);
  flink_job_settings_read(&c3, "history-server", &s);
  CHECK_INT(s.role, FLINK_JOB_NONE);
  CHECK_INT(s.rest_port, 8081);
  CHECK_STR(s.savepoint_dir, "");
  flink_job_settings_read(&c4, "jobmanager", &s); /* where the server binds, as the probes */
  CHECK_INT(s.rest_port, 9085);
  flink_job_settings_read(&c5, "jobmanager", &s); /* a range: the advertised port */
  CHECK_INT(s.rest_port, 9081);

  flink_job_settings_read(&c1, "taskmanager", &s);
  CHECK_INT(flink_job_role_defaults(&s, out, 4, buf, sizeof(buf)), 1);
  CHECK_STR(out[0], "readiness.url=http://jm:8081/taskmanagers");
  CHECK(out[1] == NULL);
  flink_job_settings_read(&c2, "taskmanager", &s); /* HA: no fixed JobManager */
  CHECK_INT(flink_job_role_defaults(&s, out, 4, buf, sizeof(buf)), 0);
  flink_job_settings_read(&c1, "jobmanager", &s);
  CHECK_INT(flink_job_role_defaults(&s, out, 4, buf, sizeof(buf)), 0);
}

static void display(void)
{
  static const struct { const char *in; size_t cap; const char *out; } cases[] = {
    { "file:/x/savepoint-a-b", 64, "file:/x/savepoint-a-b" },
    { "a\"b\\c\nd\xc3\xa9", 64, "a?b?c?d??" },
  };
  char out[64];
  for(size_t i = 0; i < 2; i++) {
    flink_job_display_path(cases[i].in, out, cases[i].cap);
    CHECK_STR(out, cases[i].out);
  }
  flink_job_display_path("/very/long/path/savepoint-123456", out, 16);
  CHECK_STR(out, "...point-123456"); /* "..." and the last 12 bytes */
  CHECK_INT(strlen(out), 15);
}

#define J0 "{\"taskmanagers\":1,\"jobs-running\":0}"
#define J1 "{\"taskmanagers\":1,\"jobs-running\":1}"

static void hooks(void)
{
  static struct flink_job_settings s;
  static struct config cfg;
  static char *argv[16] = { "bash", "/opt/flink/bin/standalone-job.sh", "start-foreground", "--job-classname", "C",
                            "out.txt", NULL };
  char root[] = "/tmp/pinit-job-XXXXXX", sp[128], ck[128], cmd[512], text[512], json[640], met[2048], why[96];
  struct render_kv kv[2];
  struct render_result conf;
  const struct supervisor_hooks *h;

  CHECK(mkdtemp(root) != NULL);
  snprintf(sp, sizeof(sp), "file://%s/sp", root);
  snprintf(ck, sizeof(ck), "%s/ck", root);
  kv[0] = (struct render_kv){ "execution.checkpointing.savepoint-dir", sp };
  kv[1] = (struct render_kv){ "execution.checkpointing.dir", ck };
  conf = conf_of(kv, 2);
  snprintf(cmd, sizeof(cmd), "mkdir -p %s/sp %s/ck/j1/chk-7 && echo x > %s/ck/j1/chk-7/_metadata", root, root, root);
  CHECK_INT(system(cmd), 0);

  cfg.flink_savepoint_on_stop = 1;
  cfg.flink_savepoint_timeout_ms = 30000;
  cfg.flink_resume = 1;
  cfg.flink_ready_taskmanagers = 1;
  flink_job_settings_read(&conf, "standalone-job", &s);
  h = flink_job_setup(&s, &cfg, argv, 6, 16);
  CHECK(h != NULL && h->before_spawn && h->hold_stop && h->judge_ready && h->describe && h->metrics);

  /* before a spawn: --fromSavepoint CHECKPOINT after start-foreground, the job's args after */
  h->before_spawn(h->arg);
  snprintf(cmd, sizeof(cmd), "%s/ck/j1/chk-7", root);
  CHECK_STR(argv[3], "--fromSavepoint");
  CHECK_STR(argv[4], cmd);
  CHECK_STR(argv[5], "--job-classname");
  CHECK_STR(argv[7], "out.txt");
  CHECK(argv[8] == NULL);
  /* a second spawn starts from the role's argv again */
  h->before_spawn(h->arg);
  CHECK_STR(argv[3], "--fromSavepoint");
  CHECK_STR(argv[5], "--job-classname");
  CHECK(argv[8] == NULL);

  /* readiness: TaskManagers and a RUNNING job (application mode) */
  CHECK_INT(h->judge_ready(h->arg, J0, strlen(J0), why, sizeof(why)), 0);
  CHECK_STR(why, "no job running (1 TaskManager)");
  CHECK_INT(h->judge_ready(h->arg, J1, strlen(J1), why, sizeof(why)), 1);

  h->describe(h->arg, 0, text, sizeof(text), json, sizeof(json));
  CHECK(strstr(text, "jobs running 1, taskmanagers 1") != NULL);
  CHECK(strstr(text, "resume: checkpoint ") != NULL);
  CHECK(strstr(json, "\"jobs_running\":1,\"taskmanagers\":1,\"last_savepoint\":null") != NULL);
  CHECK(strstr(json, "\"resume\":\"checkpoint\"") != NULL);
  CHECK(strlen(json) < 400);
  h->metrics(h->arg, met, sizeof(met));
  CHECK(strstr(met, "\npinit_flink_jobs_running 1\n") != NULL);
  /* the next attempt fails: the figures are unknown again, the reason is the probe's */
  snprintf(why, sizeof(why), "connection refused");
  CHECK_INT(h->judge_ready(h->arg, NULL, 0, why, sizeof(why)), 0);
  h->describe(h->arg, 0, text, sizeof(text), json, sizeof(json));
  CHECK(strstr(text, "jobs unknown") != NULL && strstr(text, "readiness: connection refused") != NULL);
  CHECK_INT(h->judge_ready(h->arg, J1, strlen(J1), why, sizeof(why)), 1);
  CHECK(strstr(met, "pinit_flink_resume{from=\"checkpoint\"} 1\n") != NULL);
  CHECK(strstr(met, "pinit_flink_resume{from=\"savepoint\"} 0\n") != NULL);

  /* no state at all: started without, argv unchanged */
  snprintf(cmd, sizeof(cmd), "rm -rf %s/ck/j1", root);
  CHECK_INT(system(cmd), 0);
  h->before_spawn(h->arg);
  CHECK_STR(argv[3], "--job-classname");
  CHECK(argv[6] == NULL);

  /* switched off: no hook */
  cfg.flink_resume = 0;
  cfg.flink_savepoint_on_stop = 0;
  h = flink_job_setup(&s, &cfg, argv, 6, 16);
  CHECK(h != NULL && !h->hold_stop);
  h->before_spawn(h->arg); /* no resume: the role's argv as it is */
  CHECK_STR(argv[3], "--job-classname");
  /* HA on: no resume */
  cfg.flink_resume = 1;
  s.ha = 1;
  h = flink_job_setup(&s, &cfg, argv, 6, 16);
  h->before_spawn(h->arg);
  CHECK_STR(argv[3], "--job-classname");
  h->describe(h->arg, 0, text, sizeof(text), json, sizeof(json));
  CHECK(strstr(text, "jobs unknown") != NULL); /* a new JVM: the last one's figures are gone */
  snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
  CHECK_INT(system(cmd), 0);
}

int main(void)
{
  settings();
  display();
  hooks();
  return unit_done("flink_job");
}
