"""The compose stack with 3 TaskManagers, the test database and Prometheus: health, PID 1,
the rendered config, a Flink job, reaping, the collector's waits, recovery inside the
JobManager container without Docker, and the drain on `docker stop`.

The tests run in file order and share one stack (module fixture); the destructive ones
come last.
"""
import collections
import json
import re
import shutil
import time
import zipfile
from pathlib import Path

import pytest

from conftest import (docker, http, http_json, inspect, make_stack, pid1_argv, report, sh,
                      wait_for)

TASKMANAGERS = 3
PINIT_SERVICES = ["jobmanager", "taskmanager", "cdc-collector", "prometheus"]
JOBS_DIR = Path(__file__).resolve().parent / "jobs"
state = {}


@pytest.fixture(scope="module")
def stack(request, tmp_path_factory):
    s = make_stack(request, tmp_path_factory, "main", ["test", "monitoring"])
    t0 = time.monotonic()
    s.compose("up", "-d", "--scale", f"taskmanager={TASKMANAGERS}")
    t_cmd = time.monotonic() - t0
    wait_for(f"every container of {s.project} healthy and ready", s.all_healthy, 300, 1)
    t_healthy = time.monotonic() - t0
    wait_for(f"{TASKMANAGERS} TaskManagers registered",
             lambda: http_json(s.url("jobmanager", 8081, "/overview"))["taskmanagers"] == TASKMANAGERS, 180)
    t_tms = time.monotonic() - t0
    report("stack up: `compose up -d` returned", t_cmd)
    report(f"stack up: compose up to all {len(s.all_containers())} containers healthy and ready", t_healthy)
    report(f"stack up: compose up to {TASKMANAGERS} TaskManagers registered", t_tms)
    state["jm_started_at"] = inspect(s.container("jobmanager"), "{{.State.StartedAt}}")
    return s


def jm(stack):
    return stack.container("jobmanager")


def java_pid(cid):
    # /proc rather than pgrep: images need not have procps
    r = docker("exec", cid, "sh", "-c", PS_JAVA, check=False)
    pids = r.stdout.split()
    return int(pids[0]) if len(pids) == 1 else None


PS_JAVA = 'for d in /proc/[0-9]*; do [ "$(cat $d/comm 2>/dev/null)" = java ] && echo ${d#/proc/}; done; true'
PS = ('for d in /proc/[0-9]*; do s=$(cat $d/stat 2>/dev/null) || continue; '
      'echo "${d#/proc/} $(echo "${s##*) }" | cut -d" " -f1-2) $(cat $d/comm)"; done')


def ps(cid):
    """pid state ppid comm, one line per process (from /proc: no procps needed)."""
    return docker("exec", cid, "sh", "-c", PS).stdout


def overview(stack):
    return http_json(stack.url("jobmanager", 8081, "/overview"), timeout=2)


def pinit_status(cid):
    return json.loads(docker("exec", cid, "pinit", "status", "--json", check=False).stdout)


# --- 1. up with --scale taskmanager=3 --------------------------------------------------------

def test_all_healthy_pid1_is_pinit_healthcheck_is_pinit_check(stack):
    ov = overview(stack)
    assert ov["taskmanagers"] == TASKMANAGERS, ov
    assert ov["slots-total"] == TASKMANAGERS * 2, ov
    assert len(stack.containers("taskmanager")) == TASKMANAGERS
    checked = 0
    for service in PINIT_SERVICES:
        for c in stack.containers(service):
            name = inspect(c, "{{.Name}}")
            argv = pid1_argv(c)
            assert Path(argv[0]).name == "pinit", f"{name}: PID 1 is {argv}"
            hc = json.loads(inspect(c, "{{json .Config.Healthcheck.Test}}"))
            assert hc == ["CMD", "pinit", "check"], f"{name}: healthcheck {hc}"
            assert inspect(c, "{{.State.Health.Status}}") == "healthy", name
            log = json.loads(inspect(c, "{{json .State.Health.Log}}"))
            assert log and log[-1]["ExitCode"] == 0 and log[-1]["Output"].startswith("healthy:"), (name, log[-1:])
            # above pinit's 8 s stop timeout; the JobManager's also holds a savepoint (issue 12)
            grace = "45" if service == "jobmanager" else "15"
            assert inspect(c, "{{.Config.StopTimeout}}") == grace, f"{name}: stop_grace_period"
            print(f"{name}: PID 1 = {' '.join(argv)}; health: {log[-1]['Output'].strip()}")
            checked += 1
    assert checked == 3 + TASKMANAGERS
    # the `pinit check` the healthcheck runs: one exec, well under the 3 s timeout
    t0 = time.monotonic()
    docker("exec", jm(stack), "pinit", "check")
    report("one `docker exec jobmanager pinit check` (exec overhead included)", time.monotonic() - t0)


# --- 2. the rendered config is what Flink uses -----------------------------------------------

def test_rendered_config_reaches_flink(stack):
    cfg = {e["key"]: e["value"] for e in http_json(stack.url("jobmanager", 8081, "/jobmanager/config"))}
    want = {
        "env.java.opts.jobmanager": "-XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -Dpinit.e2e=yes",
        "env.java.opts.taskmanager": "-XX:+UseG1GC -XX:+ExitOnOutOfMemoryError",
        "metrics.reporter.prom.port": "9249",
        "jobmanager.memory.process.size": "768m",
        "taskmanager.numberOfTaskSlots": "2",
        "state.backend.type": "hashmap",
        "restart-strategy.type": "exponential-delay",
        "execution.checkpointing.dir": "file:///opt/flink/checkpoints",
        "jobmanager.rpc.address": "jobmanager",
    }
    for k, v in want.items():
        assert cfg.get(k) == v, f"{k}: {cfg.get(k)!r} != {v!r}"
    assert not [k for k in cfg if k.startswith("#")], "a FLINK_PROPERTIES comment became a key"
    # ... and reached the JVM as separate options (the official entrypoint would have made
    # one "-XX:+UseG1GC-XX:+ExitOnOutOfMemoryError-Dpinit.e2e=yes")
    opts = http_json(stack.url("jobmanager", 8081, "/jobmanager/environment"))["jvm"]["options"]
    for o in ("-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError", "-Dpinit.e2e=yes"):
        assert o in opts, f"{o} not among the JVM options {opts}"
    print("env.java.opts.jobmanager =", cfg["env.java.opts.jobmanager"])
    # a TaskManager got its pinned RPC port and its own options
    tm = stack.containers("taskmanager")[0]
    conf = docker("exec", tm, "cat", "/opt/flink/conf/config.yaml").stdout
    assert re.search(r"^taskmanager\.rpc\.port: '?6122'?$", conf, re.M), conf
    assert "env.java.opts.taskmanager: -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError\n" in conf


# --- 3. a Flink job runs to completion ---------------------------------------------------------

WC_TEXT = [
    "To be, or not to be, that is the question:",
    "Whether 'tis nobler in the mind to suffer",
    "The slings and arrows of outrageous fortune,",
    "Or to take arms against a sea of troubles",
]


def build_wordcount(c, tmp):
    """wordcount.jar in the JobManager container at /tmp/e2e-wc/.  Compiled against Flink's
    lib/ with the runtime's own compiler module (the image has a JRE, no javac); a runtime
    without jdk.compiler (a jlinked JRE): compiled on this machine with javac instead."""
    docker("exec", c, "mkdir", "-p", "/tmp/e2e-wc")
    docker("cp", JOBS_DIR / "WordCount.java", f"{c}:/tmp/e2e-wc/WordCount.java")
    docker("exec", c, "chown", "-R", "flink:flink", "/tmp/e2e-wc")
    has = docker("exec", c, "sh", "-c", "java --list-modules | grep -q '^jdk.compiler@'", check=False)
    if has.returncode == 0:
        build = ('set -e; cd /tmp/e2e-wc; mkdir -p classes; cp=$(ls /opt/flink/lib/*.jar | tr "\\n" :); '
                 'java -m jdk.compiler/com.sun.tools.javac.Main -nowarn -cp "$cp" -d classes WordCount.java; '
                 'java -m jdk.jartool/sun.tools.jar.Main cf wordcount.jar -C classes .')
        docker("exec", "-u", "flink", c, "bash", "-c", build, timeout=180)
        return "in the JobManager container (jdk.compiler module)"
    if not shutil.which("javac"):
        pytest.skip("neither the image's runtime nor this machine can compile Java")
    docker("cp", f"{c}:/opt/flink/lib", tmp / "lib")
    sh("javac", "-nowarn", "--release", "11", "-cp", ":".join(str(j) for j in (tmp / "lib").glob("*.jar")),
       "-d", tmp / "classes", JOBS_DIR / "WordCount.java", timeout=180)
    with zipfile.ZipFile(tmp / "wordcount.jar", "w") as z:
        for f in (tmp / "classes").glob("*.class"):
            z.write(f, f.name)
    docker("cp", tmp / "wordcount.jar", f"{c}:/tmp/e2e-wc/wordcount.jar")
    return "on this machine (javac)"


def test_wordcount_job_runs_to_completion(stack, tmp_path):
    c = jm(stack)
    t0 = time.monotonic()
    where = build_wordcount(c, tmp_path)
    t_built = time.monotonic() - t0
    r = docker("exec", "-u", "flink", c, "bash", "/opt/flink/bin/flink", "run", "-c", "WordCount",
               "/tmp/e2e-wc/wordcount.jar", timeout=300)
    t_run = time.monotonic() - t0 - t_built
    got = {}
    for line in r.stdout.splitlines():
        if line.startswith("WC\t"):
            _, w, n = line.split("\t")
            got[w] = int(n)
    want = collections.Counter(w for line in WC_TEXT for w in re.split(r"\W+", line.lower(), flags=re.A) if w)
    assert got == dict(want), f"counts differ:\n{r.stdout[-3000:]}"
    job_id = re.search(r"JobID ([0-9a-f]{32})", r.stdout).group(1)
    job = http_json(stack.url("jobmanager", 8081, f"/jobs/{job_id}"))
    assert job["state"] == "FINISHED", job["state"]
    print(f"WordCount: {len(got)} distinct words, {sum(got.values())} in all; job {job_id} "
          f"{job['state']} in {job['duration']} ms on the cluster")
    report(f"WordCount: compile {where}", t_built)
    report("WordCount: `flink run` to FINISHED (submit, run, collect)", t_run)


# --- 4. orphans are reaped --------------------------------------------------------------------

def reaped(stack, cid):
    _, body = http(stack.url(cid, 9400, "/metrics"))
    return int(re.search(r"^pinit_zombies_reaped_total (\d+)$", body, re.M).group(1))


def test_taskmanager_orphans_leave_no_zombies(stack):
    c = stack.containers("taskmanager")[0]
    before = reaped(stack, c)
    # five orphans (their parent exits at once) and one zombie-maker: `sleep 1` whose parent
    # execs `sleep 3` and never waits; all end up children of PID 1 (output to /dev/null, so
    # that `docker exec` returns at once)
    docker("exec", "-u", "flink", c, "sh", "-c",
           "exec >/dev/null 2>&1; for i in 1 2 3 4 5; do (sleep 1 &); done; sh -c 'sleep 1 & exec sleep 3' & exit 0")
    t_made = time.monotonic()
    during = ps(c)
    print(f"+{time.monotonic() - t_made:.1f}s:\n{during}")

    def clean():
        st = docker("exec", c, "sh", "-c", "grep -H '^State:' /proc/[0-9]*/status").stdout
        zombies = [l for l in st.splitlines() if "\tZ" in l or " Z (" in l]
        return not zombies and reaped(stack, c) >= before + 7
    wait_for("no zombie and 7 more reaped", clean, 20, 0.5)
    waited = time.monotonic() - t_made
    assert not [l for l in ps(c).splitlines() if l.split()[1] == "Z"], ps(c)
    print(f"reaped: {before} -> {reaped(stack, c)}; no zombie {waited:.1f}s after the orphans were made "
          "(the last one is only an orphan once its parent, sleep 3, has exited)")


# --- 5. Prometheus scrapes pinit in every container and Flink's reporter ----------------------

def test_prometheus_scrapes_pinit_and_flink(stack):
    url = stack.url("prometheus", 9090, "/api/v1/targets")

    def targets_up():
        t = http_json(url)["data"]["activeTargets"]
        up = collections.Counter(x["labels"]["job"] for x in t if x["health"] == "up")
        return up if up["pinit"] >= 2 + TASKMANAGERS and up["flink"] >= 1 + TASKMANAGERS and up["cdc-collector"] >= 1 else None
    up, waited = wait_for("Prometheus targets up", targets_up, 120, 2)
    print(f"Prometheus targets up by job: {dict(up)} (after {waited:.0f}s)")
    q = http_json(stack.url("prometheus", 9090, "/api/v1/query?query=pinit_service_up"))["data"]["result"]
    services = collections.Counter(r["metric"].get("service") for r in q if r["value"][1] == "1")
    assert services["taskmanager"] == TASKMANAGERS and services["jobmanager"] == 1, services
    # and the text it scrapes is what pinit serves in a TaskManager
    _, body = http(stack.url(stack.containers("taskmanager")[0], 9400, "/metrics"))
    for m in ("pinit_service_up 1", "pinit_service_healthy 1", 'pinit_dependency_up{target="jobmanager:6123"} 1'):
        assert m in body, m


# --- 6. the collector's /health on 8080 without the collector serving it ----------------------

def test_pinit_answers_collector_health_when_collector_serves_none(stack):
    name = f"{stack.project}-nohttp"
    env = {"CDC_PINIT_HTTP_LISTEN": "0.0.0.0:8080", "CDC_LIVENESS_URL": "", "CDC_READINESS_URL": ""}
    stack.compose("run", "-d", "--no-deps", "--name", name, "-e", "COLLECTOR_HTTP=off",
                  "cdc-collector", env=env)
    try:
        def ok():
            status, body = http(f"http://{stack.ip(name)}:8080/health")
            return status == 200 and json.loads(body)["status"] == "UP"
        _, waited = wait_for("pinit's /health on 8080", ok, 90)
        ip = stack.ip(name)
        status, body = http(f"http://{ip}:8080/metrics")
        assert status == 200 and "pinit_service_up 1" in body and "cdc_collector_" not in body
        assert http(f"http://{ip}:8080/health/ready")[0] == 200
        assert docker("exec", name, "pinit", "check").returncode == 0
        print(f"collector with COLLECTOR_HTTP=off: pinit serves :8080/health (UP after {waited:.1f}s)")
    finally:
        docker("rm", "-f", "-v", name, check=False)


# --- 7. the collector waits for the database (and the JobManager) -----------------------------

def test_collector_waits_for_database(stack):
    col, db = stack.container("cdc-collector"), stack.container("mariadb")
    docker("stop", col)
    docker("stop", db)
    docker("start", col)
    wait_for("collector waiting", lambda: pinit_status(col)["state"] == "waiting", 30, 0.2)
    # 15 s with the database down: pinit waits, the collector (java) is not started
    t0 = time.monotonic()
    while time.monotonic() - t0 < 15:
        st = pinit_status(col)
        assert st["state"] == "waiting", st
        assert java_pid(col) is None, "the collector started before its database"
        # healthy while pinit waits inside its budget (an orchestrator must not kill it: issue
        # 13, docs/configuration.md "Health verdicts"), not ready, and it says why
        chk = docker("exec", col, "pinit", "check", check=False)
        assert chk.returncode == 0 and "waiting" in chk.stdout, chk
        assert docker("exec", col, "pinit", "check", "--ready", check=False).returncode == 1
        assert inspect(col, "{{.State.Health.Status}}") != "unhealthy"
        time.sleep(1)
    assert "mariadb:3306" in st["deps"], st
    print("with the database down:", docker("exec", col, "pinit", "status", check=False).stdout.strip())
    t0 = time.monotonic()
    docker("start", db)
    _, t_db = wait_for("mariadb healthy", lambda: inspect(db, "{{.State.Health.Status}}") == "healthy", 120)
    _, t_col = wait_for("collector healthy",
                        lambda: inspect(col, "{{.State.Health.Status}}") == "healthy"
                        and docker("exec", col, "pinit", "check", "--ready", check=False).returncode == 0, 120)
    t_col += t_db
    logs = docker("logs", col).stderr + docker("logs", col).stdout
    assert re.search(r"wait: mariadb:3306: up after", logs), logs[-2000:]
    assert re.search(r"wait: http://jobmanager:9400/health/ready: up after", logs), logs[-2000:]
    st = pinit_status(col)
    assert st["restarts"] == 0 and st["state"] == "up", st
    assert "mariadb:3306" in docker("logs", col).stderr
    report("collector: database started -> database healthy", t_db)
    report("collector: database started -> collector healthy and ready", t_col)


# --- 8. recovery inside the JobManager container, without Docker --------------------------------

def test_jobmanager_crash_sigkill_recovers(stack):
    c = jm(stack)
    old = java_pid(c)
    assert old, "no single java process in the JobManager container"
    t0 = time.monotonic()
    docker("exec", c, "sh", "-c", f"kill -KILL {old}")

    def answers():
        p = java_pid(c)
        return p and p != old and overview(stack)
    _, t_rest = wait_for("JobManager answering /overview again", answers, 120, 0.5)
    _, t_tms = wait_for(f"{TASKMANAGERS} TaskManagers registered again",
                        lambda: overview(stack)["taskmanagers"] == TASKMANAGERS, 180, 1)
    t_tms += t_rest
    st = pinit_status(c)
    assert st["restarts_by_reason"]["signal"] >= 1, st
    print("after the crash:", docker("exec", c, "pinit", "status").stdout.strip())
    assert t_rest < 120
    report("JobManager JVM SIGKILLed -> /overview answers again (new JVM)", t_rest)
    report("JobManager JVM SIGKILLed -> TaskManagers registered again", t_tms)


def test_jobmanager_hang_sigstop_recovers(stack):
    c = jm(stack)
    wait_for("JobManager ready", lambda: docker("exec", c, "pinit", "check", "--ready", check=False).returncode == 0, 120)
    # past the liveness start period (120 s), so that the probe counts from the first failure
    wait_for("JobManager up 121 s", lambda: pinit_status(c)["uptime_seconds"] >= 121, 150)
    old = java_pid(c)
    t0 = time.monotonic()
    docker("exec", c, "sh", "-c", f"kill -STOP {old}")

    def answers():
        p = java_pid(c)
        return p and p != old and overview(stack)
    _, t_rest = wait_for("hung JobManager restarted by liveness and answering", answers, 120, 0.5)
    _, body = http(stack.url(c, 9400, "/metrics"))
    assert re.search(r'^pinit_service_restarts_total\{reason="health"\} [1-9]', body, re.M), body
    assert t_rest < 120
    report("JobManager JVM SIGSTOPped (hang) -> liveness restart -> /overview answers", t_rest)
    state["health_restarts_caused"] = {"jobmanager": 1}
    wait_for(f"{TASKMANAGERS} TaskManagers registered again",
             lambda: overview(stack)["taskmanagers"] == TASKMANAGERS, 180, 1)


def test_docker_never_restarted_a_container(stack):
    for c in stack.all_containers():
        name = inspect(c, "{{.Name}}")
        assert inspect(c, "{{.RestartCount}}") == "0", name
    assert inspect(jm(stack), "{{.State.StartedAt}}") == state["jm_started_at"], "the JobManager container was restarted"
    print(docker("exec", jm(stack), "pinit", "status").stdout.strip())


def test_no_liveness_restart_nobody_asked_for(stack):
    """Every liveness restart in the suite is one a test caused (the hang above): a
    restart nobody asked for is a false positive of a probe (a slow start, a GC pause, a
    loaded machine), and it would kill a JVM that was working."""
    caused = state.get("health_restarts_caused", {})
    seen = {}
    for c in stack.all_containers():
        if inspect(c, "{{.State.Status}}") != "running" or not stack.has_pinit(c):
            continue
        name = inspect(c, "{{.Name}}").lstrip("/")
        service = inspect(c, '{{index .Config.Labels "com.docker.compose.service"}}')
        seen[name] = (pinit_status(c)["restarts_by_reason"]["health"], caused.get(service, 0))
    print("liveness restarts (seen, caused by a test):", seen)
    assert seen, "no pinit container to ask"
    assert all(got == want for got, want in seen.values()), seen
    report("liveness restarts nobody asked for", text=str(sum(got - want for got, want in seen.values())))


# --- 9. docker stop of a TaskManager: stop, drain, exit within the grace period -----------------

def test_docker_stop_taskmanager_drains(stack):
    c = stack.containers("taskmanager")[-1]
    host = inspect(c, "{{.Config.Hostname}}")
    # two helpers orphaned to PID 1: one cleans up on SIGTERM (writes a marker to the
    # shared flink-data volume), one ignores SIGTERM and needs the SIGKILL
    docker("exec", "-u", "flink", c, "sh", "-c",
           '(trap "echo drained > /opt/flink/data/e2e-drain-$HOSTNAME; exit 0" TERM; '
           'while :; do sleep 0.2; done) >/dev/null 2>&1 & '
           '(trap "" TERM; exec sleep 300) >/dev/null 2>&1 & exit 0')
    time.sleep(0.5)
    t0 = time.monotonic()
    docker("stop", c, timeout=60)  # no -t: the container's StopTimeout (stop_grace_period 15s)
    took = time.monotonic() - t0
    code = int(inspect(c, "{{.State.ExitCode}}"))
    logs = docker("logs", "--tail", "20", c).stderr
    print(logs)
    assert code in (0, 143), code
    assert took < 15, took
    assert "drain: " in logs and "SIGTERM" in logs
    marker = docker("exec", jm(stack), "cat", f"/opt/flink/data/e2e-drain-{host}", check=False)
    assert marker.stdout.strip() == "drained", "the helper did not get SIGTERM from the drain"
    report(f"docker stop taskmanager (exit {code}, drained: TERM helper cleaned up, stubborn one SIGKILLed)", took)
