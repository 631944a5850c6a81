"""The job survives, not just the process (issue 12): a stateful job of our own on real Flink
1.20.1, in application mode, in the compose stack.

tests/e2e/jobs/Counter.java: a checkpointed counter source (20 values/s) and a sink that
appends each value to /opt/flink/data/counter.txt on the shared data volume; checkpoints
every 2 s, retained.  One stack (jobmanager + one TaskManager) for every check, in file order:

  1. readiness: the JobManager is not ready with 0 TaskManagers, ready once one registered
     and the job runs; the TaskManager is ready once the JobManager lists it
  2. SIGKILL of the JobManager JVM: pinit restarts it in place and the job goes on from the
     last checkpoint (first value of the new run close to the last before the kill, not 0)
  3. `compose stop jobmanager`: a savepoint within the grace period; `start` resumes from it
  4. `up -d --force-recreate jobmanager` (volumes kept): the same
  5. across all of that: no value missing (at-least-once: duplicates allowed)
  6. session mode: `compose stop jobmanager` leaves a savepoint of the submitted job
"""
import json
import os
import re
import time

import pytest

from pathlib import Path

from conftest import docker, http, http_json, inspect, make_stack, report, sh, wait_for

JOBS = Path(__file__).resolve().parent / "jobs"
OUT = "/opt/flink/data/counter.txt"
SESSION_OUT = "/opt/flink/data/counter-session.txt"
JAR = "/opt/flink/data/counter.jar"
GRACE = 45  # compose stop_grace_period of the jobmanager (docker-compose.yml default)

APPLICATION = """
services:
  jobmanager:
    command: ["standalone-job", "--job-classname", "Counter", "%s", "20"]
    volumes: ["flink-data:/opt/flink/usrlib"]
    environment:
      # the shared CI machine can take over a minute to start a JVM: keep liveness from
      # restarting a slow start (this test is about the job, not the hang detection)
      PINIT_LIVENESS_START_PERIOD: 150s
  taskmanager:
    volumes: ["flink-data:/opt/flink/usrlib"]
""" % OUT

SESSION = """
services:
  jobmanager:
    command: ["jobmanager"]
"""

state = {}


def compile_counter(stack):
    """counter.jar on the data volume, compiled in a one-off JobManager container with the
    runtime's own compiler module (the image has a JRE, no javac)."""
    build = ('set -e; d=$(mktemp -d); cd $d; cp=$(ls /opt/flink/lib/*.jar | tr "\\n" :); '
             'cat > Counter.java; mkdir classes; '
             'java -m jdk.compiler/com.sun.tools.javac.Main -nowarn -cp "$cp" -d classes Counter.java; '
             f'java -m jdk.jartool/sun.tools.jar.Main cf {JAR} -C classes .')
    src = (JOBS / "Counter.java").read_text()
    return sh(*stack.cmd, "run", "--rm", "--no-deps", "-T", "-u", "flink", "--entrypoint", "bash", "jobmanager",
              "-c", build, input=src, env=stack.env, timeout=300)


@pytest.fixture(scope="module")
def job(request, tmp_path_factory):
    s = make_stack(request, tmp_path_factory, "job", [], {
        "PINIT_IMAGE_TAG": os.environ.get("PINIT_IMAGE_TAG", "latest"),
        "CHECKPOINT_INTERVAL": "2s",
        "FLINK_EXTRA_PROPERTY_1": "execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION",
        "FLINK_EXTRA_PROPERTY_2": "restart-strategy.type: fixed-delay",
        "FLINK_EXTRA_PROPERTY_3": "restart-strategy.fixed-delay.delay: 2s",
    })
    over = s.env_file.parent / "application.yml"
    over.write_text(APPLICATION)
    s.app_cmd = s.cmd + ["-f", str(over)]
    sess = s.env_file.parent / "session.yml"
    sess.write_text(SESSION)
    s.session_cmd = s.cmd + ["-f", str(sess)]
    s.cmd = s.app_cmd
    t0 = time.monotonic()
    s.compose("up", "init-volumes", timeout=300)
    compile_counter(s)
    report("job: Counter.java compiled (one-off container)", time.monotonic() - t0)
    return s


def jm(stack):
    return stack.container("jobmanager")


def tm(stack):
    return stack.container("taskmanager")


def ready(cid):
    return docker("exec", cid, "pinit", "check", "--ready", check=False)


def values(stack, path=OUT):
    r = docker("exec", tm(stack), "sh", "-c", f"cat {path} 2>/dev/null || true")
    return [int(x) for x in r.stdout.split("\n") if x.strip().isdigit()]


def running_jobs(stack):
    body = http_json(stack.url("jobmanager", 8081, "/jobs/overview"), timeout=2)
    return [j for j in body["jobs"] if j["state"] == "RUNNING"]


def pinit_log(cid):
    r = docker("logs", cid, check=False)
    return r.stdout + r.stderr


def savepoints(stack):
    r = docker("exec", tm(stack), "sh", "-c", "ls -d /opt/flink/savepoints/savepoint-* 2>/dev/null || true")
    return set(r.stdout.split())


def new_run_start(vals, before, running_at):
    """Index of the first value of the new run: the first drop after position `before` (a
    restore goes back to the checkpointed value, while the old task may have written on for
    a while after the kill), else the first value written once the new run was RUNNING."""
    for i in range(max(before, 1), len(vals)):
        if vals[i] <= vals[i - 1]:
            return i
    return running_at


# --- 1. readiness knows Flink ---------------------------------------------------------------

def test_jobmanager_not_ready_without_taskmanager_ready_with_one(job):
    job.compose("up", "-d", "--no-deps", "jobmanager")
    c = jm(job)
    wait_for("JobManager REST answering", lambda: http(job.url(c, 8081, "/overview"))[0] == 200, 180, 1)
    # REST answers; pinit's readiness has seen it (0 TaskManagers) at least once
    wait_for("pinit saw /overview", lambda: "taskmanagers 0" in docker("exec", c, "pinit", "status").stdout, 60, 1)
    for _ in range(3):
        r = ready(c)
        assert r.returncode == 1, r.stdout
        time.sleep(1)
    st = docker("exec", c, "pinit", "status").stdout
    assert "readiness: 0 of 1 TaskManager registered" in st, st
    t0 = time.monotonic()
    job.compose("up", "-d", "--no-deps", "taskmanager")
    _, t_ready = wait_for("JobManager ready (TaskManager registered, job RUNNING)",
                          lambda: ready(c).returncode == 0, 240, 1)
    wait_for("TaskManager ready (listed by the JobManager)", lambda: ready(tm(job)).returncode == 0, 120, 1)
    st = docker("exec", c, "pinit", "status").stdout
    assert "jobs running 1, taskmanagers 1" in st, st
    _, body = http(job.url(c, 9400, "/health/ready"))
    report("job: TaskManager started -> JobManager ready (registered + job RUNNING)", t_ready)
    _, metrics = http(job.url(c, 9400, "/metrics"))
    assert re.search(r"^pinit_flink_jobs_running 1$", metrics, re.M), metrics[-1500:]
    assert re.search(r'^pinit_flink_resume\{from="none"\} 1$', metrics, re.M), metrics[-1500:]


# --- 2. SIGKILL of the JobManager JVM: resume from the last checkpoint -------------------------

def java_pid(cid):
    r = docker("exec", cid, "sh", "-c",
               'for d in /proc/[0-9]*; do [ "$(cat $d/comm 2>/dev/null)" = java ] && echo ${d#/proc/}; done; true')
    pids = r.stdout.split()
    return int(pids[0]) if len(pids) == 1 else None


def taskmanager_back(job, c, what):
    """The TaskManager that outlived the JobManager finds the new one by itself (Flink's
    retry loop); on a loaded machine that loop was seen stuck for minutes ("Could not
    resolve ResourceManager address"): then a fresh TaskManager, said in the report."""
    def registered():
        st = json.loads(docker("exec", c, "pinit", "status", "--json").stdout)
        return st.get("flink", {}).get("taskmanagers", 0) >= 1
    try:
        wait_for("the TaskManager registered with the new JobManager", registered, 120, 2)
    except AssertionError:
        report(f"job: {what}: the old TaskManager did not register within 120 s", text="recreated it")
        job.compose("up", "-d", "--no-deps", "--force-recreate", "taskmanager", timeout=120)


def completed_checkpoint(stack):
    r = docker("exec", tm(stack), "sh", "-c", "ls /opt/flink/checkpoints/*/chk-*/_metadata 2>/dev/null || true")
    return r.stdout.split()


def test_sigkill_jobmanager_resumes_from_checkpoint(job):
    c = jm(job)
    wait_for("100 values written", lambda: len(values(job)) >= 100, 120, 1)
    wait_for("a completed checkpoint", lambda: completed_checkpoint(job), 60, 1)
    old = java_pid(c)
    assert old
    before = values(job)
    t0 = time.monotonic()
    docker("exec", c, "kill", "-KILL", str(old))
    last = before[-1]

    seen = {}

    def new_job_running():
        st = json.loads(docker("exec", c, "pinit", "status", "--json", check=False).stdout or "{}")
        seen["status"] = st
        if st.get("pid") in (None, 0, old) or st.get("restarts_by_reason", {}).get("signal", 0) < 1:
            return None
        return st.get("flink", {}).get("jobs_running", 0) >= 1
    try:
        _, t_running = wait_for("the job RUNNING again in a new JVM", new_job_running, 300, 0.5)
    except AssertionError:
        print("last seen:", seen)
        raise
    taskmanager_back(job, c, "SIGKILL")
    running_at = len(values(job))
    vals, _ = wait_for("the new run writing", lambda: (lambda v: v if len(v) > running_at + 40 else None)(values(job)),
                       300, 2)
    first = vals[new_run_start(vals, len(before), running_at)]
    log = pinit_log(c)
    assert re.search(r"resume: resuming from checkpoint /opt/flink/checkpoints/\S+/chk-\d+", log), log[-3000:]
    print(f"SIGKILL: last value before {last}, first value of the new run {first}")
    assert first > 0, "the job started from scratch"
    assert abs(last - first) <= 400, (last, first)
    report("job: JobManager JVM SIGKILLed -> job RUNNING again (new JVM, from checkpoint)", t_running)
    report("job: SIGKILL: last value before / first value after", text=f"{last} / {first}")
    state["sigkill"] = (last, first)


# --- 3. compose stop / start: savepoint, resume from it --------------------------------------

def stop_and_check_savepoint(job, what):
    c = jm(job)
    wait_for("job RUNNING", lambda: running_jobs(job), 120, 1)
    wait_for("values flowing", lambda: len(values(job)) >= 20, 60, 1)
    had = savepoints(job)
    t0 = time.monotonic()
    job.compose("stop", "jobmanager", timeout=GRACE + 30)
    t_stop = time.monotonic() - t0
    log = pinit_log(c)
    assert re.search(r"savepoint: job \w+ stopped with savepoint file:/opt/flink/savepoints/savepoint-", log) \
        or re.search(r"savepoint: jobs stopped with a savepoint", log), log[-3000:]
    assert "plain stop" not in log and "without one" not in log, log[-3000:]
    assert inspect(c, "{{.State.ExitCode}}") in ("0", "143"), inspect(c, "{{.State.ExitCode}}")
    new = savepoints(job) - had
    assert len(new) == 1, (had, new)
    assert t_stop < GRACE, t_stop
    last = values(job)[-1]
    report(f"job: {what}: stop with savepoint (compose stop, grace {GRACE}s)", t_stop)
    return new.pop(), last


def resumed_from_savepoint(job, sp, last, what):
    c = jm(job)
    t0 = time.monotonic()
    n = len(values(job))
    _, t_running = wait_for("the job RUNNING again", lambda: running_jobs(job), 300, 1)
    taskmanager_back(job, c, what)
    vals, _ = wait_for("the resumed run writing", lambda: (lambda v: v if len(v) > n + 10 else None)(values(job)), 300, 1)
    first = vals[n]
    log = pinit_log(c)
    assert f"resume: resuming from savepoint {sp}" in log, log[-3000:]
    print(f"{what}: last value before {last}, first after {first}")
    assert last - 5 <= first <= last + 1, (last, first)
    st = docker("exec", c, "pinit", "status").stdout
    assert "resume: savepoint" in st and "last savepoint" in st, st
    report(f"job: {what}: start -> job RUNNING from the savepoint", time.monotonic() - t0)
    report(f"job: {what}: last value before / first value after", text=f"{last} / {first}")


def test_compose_stop_writes_savepoint_start_resumes(job):
    sp, last = stop_and_check_savepoint(job, "stop/start")
    job.compose("start", "jobmanager")
    resumed_from_savepoint(job, sp, last, "stop/start")


def test_force_recreate_resumes_from_savepoint(job):
    old = jm(job)
    wait_for("job RUNNING", lambda: running_jobs(job), 120, 1)
    had = savepoints(job)
    t0 = time.monotonic()
    job.compose("up", "-d", "--no-deps", "--force-recreate", "jobmanager", timeout=GRACE + 120)
    t_recreate = time.monotonic() - t0
    log = pinit_log(old) if docker("inspect", old, check=False).returncode == 0 else ""
    new = savepoints(job) - had
    assert len(new) == 1, (had, new, log[-2000:])
    sp = new.pop()
    assert jm(job) != old
    vals_now = values(job)
    # the old run's last value: the one before the resumed run starts
    resumed_from_savepoint(job, sp, vals_now[-1] if vals_now else 0, "up --force-recreate")
    report("job: up -d --force-recreate jobmanager (stop with savepoint + new container)", t_recreate)


# --- 5. no gaps ------------------------------------------------------------------------------

def test_no_value_missing(job):
    vals = values(job)
    assert vals and vals[0] == 0
    seen = set(vals)
    missing = [v for v in range(0, max(seen) + 1) if v not in seen]
    assert not missing, f"{len(missing)} values missing, e.g. {missing[:10]}"
    report("job: values written / distinct / duplicates", text=f"{len(vals)} / {len(seen)} / {len(vals) - len(seen)}")


# --- 6. session mode -------------------------------------------------------------------------

def test_session_mode_stop_leaves_savepoint(job):
    job.cmd = job.session_cmd
    job.compose("up", "-d", "--no-deps", "--force-recreate", "jobmanager", timeout=GRACE + 120)
    c = jm(job)
    # a fresh TaskManager: one that outlived its JobManager may take minutes on a loaded
    # machine to find the new ResourceManager (Flink's retry loop, not what is tested here)
    job.compose("up", "-d", "--no-deps", "--force-recreate", "taskmanager", timeout=120)
    wait_for("session JobManager ready (TaskManager registered)", lambda: ready(c).returncode == 0, 300, 1)
    r = docker("exec", "-u", "flink", c, "bash", "/opt/flink/bin/flink", "run", "-d", "-c", "Counter", JAR,
               SESSION_OUT, "20", timeout=180)
    m = re.search(r"JobID ([0-9a-f]{32})", r.stdout + r.stderr)
    assert m, r.stdout + r.stderr
    jid = m.group(1)
    wait_for("submitted job RUNNING", lambda: any(j["jid"] == jid for j in running_jobs(job)), 120, 1)
    wait_for("session job writing", lambda: len(values(job, SESSION_OUT)) >= 10, 60, 1)
    had = savepoints(job)
    t0 = time.monotonic()
    job.compose("stop", "jobmanager", timeout=GRACE + 30)
    t_stop = time.monotonic() - t0
    new = [p for p in savepoints(job) - had if p.split("/")[-1].startswith(f"savepoint-{jid[:6]}-")]
    assert len(new) == 1, (had, savepoints(job), pinit_log(c)[-3000:])
    assert t_stop < GRACE
    report("job: session mode: compose stop -> savepoint of the submitted job", t_stop)
