"""compose/docker-stack.yml on a one-node Docker Swarm made (and left) by this module: the
stack converges healthy, the TaskManagers register, a SIGKILLed and a hung JobManager JVM are
restarted by pinit in place (same container, same task), `docker service scale` adds a
TaskManager that registers, and Swarm never kills a task as unhealthy -- not while a
TaskManager or the collector waits, not while pinit restarts the JobManager (issue 13).

The Flink UI is reached on its host-mode published port (a free port, not 8081), the rest
through `docker exec`; never through the routing mesh, which does not answer here.  The
module is skipped when this engine is already part of a swarm that someone else made.
Images: PINIT_IMAGE_TAG (default latest), as docker/build-images.sh tags them.
"""
import os
import secrets
import socket
import subprocess
import threading
import time

import pytest

from conftest import REPO, RUN_ID, docker, http_json, inspect, report, sh, wait_for
from test_stack import java_pid, pinit_status

TAG = os.environ.get("PINIT_IMAGE_TAG", "latest")
STACK = f"pinit-e2e-{RUN_ID}".replace(".", "-")
TASKMANAGERS = 2
START_PERIOD = 60  # seconds: the stack's LIVENESS_START_PERIOD for this test
state = {}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Swarm:
    def __init__(self, tmp):
        self.tmp = tmp
        self.port = free_port()
        self.prefix = STACK
        self.env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "DOCKER_HOST", "DOCKER_CONFIG")}
        self.env.update({
            "PINIT_IMAGE_TAG": TAG, "JOBMANAGER_UI_PORT": str(self.port), "SECRET_PREFIX": self.prefix,
            "TASKMANAGER_REPLICAS": str(TASKMANAGERS), "CDC_COLLECTOR_IMAGE": f"pinit/cdc-collector:{TAG}",
            # no database in this test: the collector waits for it, and must stay healthy doing so
            "DATABASE_HOST": "no-database", "LIVENESS_START_PERIOD": f"{START_PERIOD}s",
        })
        self.samples = []      # (service, container, health) seen by the sampler
        self.stop = threading.Event()

    def services(self):
        return [f"{STACK}_{s}" for s in ("jobmanager", "taskmanager", "cdc-collector")]

    def containers(self, service=None):
        f = f"label=com.docker.swarm.service.name={STACK}_{service}" if service else \
            f"label=com.docker.stack.namespace={STACK}"
        return docker("ps", "-q", "--filter", f).stdout.split()

    def container(self, service):
        cs = self.containers(service)
        assert len(cs) == 1, f"{service}: {len(cs)} containers"
        return cs[0]

    def tasks(self, service):
        """Every task Swarm made for the service, with its state and error."""
        out = docker("service", "ps", "--no-trunc", "--format", "{{.ID}}|{{.DesiredState}}|{{.CurrentState}}|{{.Error}}",
                     f"{STACK}_{service}").stdout
        return [line.split("|") for line in out.splitlines() if line]

    def overview(self):
        return http_json(f"http://127.0.0.1:{self.port}/overview", timeout=2)

    def replicas_running(self):
        out = docker("service", "ls", "--filter", f"label=com.docker.stack.namespace={STACK}",
                     "--format", "{{.Name}} {{.Replicas}}").stdout.split("\n")
        reps = dict(line.split(" ", 1) for line in out if line)
        return len(reps) == 3 and all(r.split(" ")[0].split("/")[0] == r.split(" ")[0].split("/")[1] for r in reps.values())

    def all_healthy(self):
        cs = self.containers()
        return len(cs) == TASKMANAGERS + 2 and all(inspect(c, "{{.State.Health.Status}}") == "healthy" for c in cs)

    def sample(self):
        """Every 2 s: the health of every container of the stack (Swarm kills on 'unhealthy')."""
        while not self.stop.wait(2):
            cs = self.containers()
            if not cs:
                continue
            r = docker("inspect", "-f", '{{index .Config.Labels "com.docker.swarm.service.name"}} {{.ID}} '
                       '{{.State.Health.Status}}', *cs, check=False)
            for line in r.stdout.splitlines():
                self.samples.append(tuple(line.split(" ")))

    def dump(self):
        for s in self.services():
            print(docker("service", "ps", "--no-trunc", s, check=False).stdout)
        for c in self.containers():
            print(f"--- {inspect(c, '{{.Name}}')}: {inspect(c, '{{json .State.Health}}')[-1500:]}")
            r = docker("logs", "--tail", "30", c, check=False)
            print((r.stdout + r.stderr)[-4000:])


@pytest.fixture(scope="module")
def swarm(request, tmp_path_factory):
    node = docker("info", "--format", "{{.Swarm.LocalNodeState}}").stdout.strip()
    if node != "inactive":
        pytest.skip(f"this Docker engine is already part of a swarm (state {node}) that this test did not "
                    "make: not touching it (docker swarm leave --force, if it is yours)")
    had_gwbridge = docker("network", "inspect", "docker_gwbridge", check=False).returncode == 0
    s = Swarm(tmp_path_factory.mktemp("swarm"))
    docker("swarm", "init", "--advertise-addr", "127.0.0.1")

    def leave():
        s.stop.set()
        if getattr(request.session, "e2e_failed", False):
            print(f"\n==== swarm stack {STACK} at teardown (a test failed)")
            s.dump()
        docker("stack", "rm", STACK, check=False)
        # leaving removes the services, secrets and overlay networks of this one-node swarm
        docker("swarm", "leave", "--force", check=False)
        try:
            wait_for("the stack's containers gone", lambda: not s.containers(), 60, 1)
        except AssertionError as e:
            print(f"swarm teardown: {e}; removing them")
            for c in s.containers():
                docker("rm", "-f", "-v", c, check=False)
        if not had_gwbridge:  # made by `swarm init`, left behind by `swarm leave`
            docker("network", "rm", "docker_gwbridge", check=False)
        for v in docker("volume", "ls", "-q", "--filter", f"label=com.docker.stack.namespace={STACK}").stdout.split():
            docker("volume", "rm", "-f", v, check=False)
    request.addfinalizer(leave)

    env_file = s.tmp / "swarm.env"
    env_file.write_text(f"DATABASE_PASSWORD='{secrets.token_hex(8)} x'\nDATAHUB_ACCESS_KEY={secrets.token_hex(8)}\n")
    out = sh("bash", REPO / "compose" / "swarm-secrets.sh", env_file, env=s.env)
    assert f"{STACK}_database_password created from DATABASE_PASSWORD" in out.stdout, out.stdout
    t0 = time.monotonic()
    sh("docker", "stack", "deploy", "--resolve-image", "never", "-c", REPO / "compose" / "docker-stack.yml", STACK,
       env=s.env)
    threading.Thread(target=s.sample, daemon=True).start()
    try:
        _, t_run = wait_for("every replica running", s.replicas_running, 180, 1)
        _, t_healthy = wait_for("every task healthy", s.all_healthy, 240, 1)
        _, t_tms = wait_for(f"{TASKMANAGERS} TaskManagers registered",
                            lambda: s.overview()["taskmanagers"] == TASKMANAGERS, 240, 1)
    except AssertionError:
        print(f"\n==== swarm stack {STACK}: setup failed")
        s.dump()
        raise
    report("swarm: stack deploy -> every replica running", t_run)
    report("swarm: stack deploy -> every task healthy", t_run + t_healthy)
    report(f"swarm: stack deploy -> {TASKMANAGERS} TaskManagers registered", time.monotonic() - t0)
    state["jm"] = s.container("jobmanager")
    return s


def never_unhealthy(s):
    bad = [x for x in s.samples if len(x) == 3 and x[2] == "unhealthy"]
    assert not bad, f"a task was unhealthy (Swarm kills it): {bad[:5]}"


def test_stack_converges_healthy_and_taskmanagers_register(swarm):
    ov = swarm.overview()
    assert ov["taskmanagers"] == TASKMANAGERS and ov["slots-total"] == 2 * TASKMANAGERS, ov
    for c in swarm.containers():
        argv = docker("exec", c, "cat", "/proc/1/cmdline").stdout.split("\0")
        assert argv[0] == "pinit", argv
    # the TaskManagers registered with their own overlay addresses (dnsrr, no virtual IP)
    tms = http_json(f"http://127.0.0.1:{swarm.port}/taskmanagers")["taskmanagers"]
    addrs = sorted(t["path"].split("@")[1].split(":")[0] for t in tms)
    mine = sorted(inspect(c, "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}")
                  for c in swarm.containers("taskmanager"))
    assert addrs == mine, (addrs, mine)
    # pinit's readiness probe (every 5 s) sees the registrations at its next run
    wait_for("JobManager ready in pinit",
             lambda: docker("exec", state["jm"], "pinit", "check", "--ready", check=False).returncode == 0, 30, 1)


def test_collector_waits_for_its_database_healthy_with_its_secrets(swarm):
    c = swarm.container("cdc-collector")
    out = docker("exec", c, "pinit", "check", check=False)
    assert out.returncode == 0 and out.stdout.startswith("healthy (waiting): "), out.stdout
    assert "no-database:3306" in out.stdout
    assert docker("exec", c, "pinit", "check", "--ready", check=False).returncode == 1
    modes = docker("exec", c, "stat", "-c", "%n %u %a", "/run/secrets/database_password",
                   "/run/secrets/datahub_access_key").stdout.split("\n")
    assert modes[:2] == ["/run/secrets/database_password 10001 400", "/run/secrets/datahub_access_key 10001 400"]
    assert swarm.tasks("cdc-collector")[0][2].startswith("Running"), swarm.tasks("cdc-collector")


def restarted_in_place(swarm, sig, budget):
    c = state["jm"]
    old = java_pid(c)
    assert old, "no single java process in the JobManager container"
    tasks = swarm.tasks("jobmanager")
    assert len(tasks) == 1, tasks
    t0 = time.monotonic()
    docker("exec", c, "sh", "-c", f"kill -{sig} {old}")
    said = set()

    def new_jvm():
        said.add(docker("exec", c, "pinit", "check", check=False).stdout.split(":")[0])
        p = java_pid(c)
        return p and p != old
    # pinit's promise: a new JVM within 2 minutes; how long Flink then takes to answer
    # depends on the machine's load, so that bound is generous
    _, t_new = wait_for("a new JobManager JVM", new_jvm, budget, 1)
    assert t_new < budget
    _, t_rest = wait_for("JobManager answering again", swarm.overview, 300, 1)
    t_rest += t_new
    _, t_tms = wait_for(f"{TASKMANAGERS} TaskManagers registered again",
                        lambda: swarm.overview()["taskmanagers"] == TASKMANAGERS, 180, 1)
    assert swarm.container("jobmanager") == c, "the JobManager container was replaced"
    assert [t[0] for t in swarm.tasks("jobmanager")] == [tasks[0][0]], swarm.tasks("jobmanager")
    assert inspect(c, "{{.RestartCount}}") == "0"
    print(f"pinit check said: {sorted(said)}; {docker('exec', c, 'pinit', 'status').stdout.strip()}")
    return t_new, t_rest, t_rest + t_tms, said


def test_jobmanager_sigkill_is_restarted_in_place(swarm):
    t_new, t_rest, t_tms, said = restarted_in_place(swarm, "KILL", 120)
    report("swarm: JobManager JVM SIGKILLed -> new JVM (same task)", t_new)
    assert pinit_status(state["jm"])["restarts_by_reason"]["signal"] >= 1
    report("swarm: JobManager JVM SIGKILLed -> /overview answers again (same task)", t_rest)
    report("swarm: JobManager JVM SIGKILLed -> TaskManagers registered again", t_tms)
    never_unhealthy(swarm)


def test_jobmanager_hang_is_restarted_in_place_within_2_minutes(swarm):
    c = state["jm"]
    # past the liveness start period, so that the probe counts from the first failure
    grace = START_PERIOD + 1
    wait_for(f"JobManager up {grace} s", lambda: pinit_status(c)["uptime_seconds"] >= grace, grace + 60, 1)
    t_new, t_rest, t_tms, said = restarted_in_place(swarm, "STOP", 120)
    report("swarm: JobManager JVM SIGSTOPped (hang) -> new JVM (same task)", t_new)
    assert pinit_status(c)["restarts_by_reason"]["health"] >= 1
    assert "healthy (restarting)" in said, said
    report("swarm: JobManager JVM SIGSTOPped (hang) -> liveness restart -> /overview answers (same task)", t_rest)
    report("swarm: JobManager JVM SIGSTOPped -> TaskManagers registered again", t_tms)
    never_unhealthy(swarm)


def test_service_scale_adds_a_taskmanager_that_registers(swarm):
    t0 = time.monotonic()
    docker("service", "scale", "--detach", f"{STACK}_taskmanager={TASKMANAGERS + 1}")
    _, t = wait_for(f"{TASKMANAGERS + 1} TaskManagers registered",
                    lambda: swarm.overview()["taskmanagers"] == TASKMANAGERS + 1, 180, 1)
    wait_for("the new TaskManager healthy", lambda: len(swarm.containers("taskmanager")) == TASKMANAGERS + 1 and
             all(inspect(c, "{{.State.Health.Status}}") == "healthy" for c in swarm.containers("taskmanager")), 120, 1)
    report("swarm: docker service scale taskmanager +1 -> registered", time.monotonic() - t0)


def test_no_task_was_killed_as_unhealthy(swarm):
    never_unhealthy(swarm)
    assert len(swarm.samples) > 50, "the health sampler did not run"
    want = {"jobmanager": 1, "taskmanager": TASKMANAGERS + 1, "cdc-collector": 1}
    for service, n in want.items():
        tasks = swarm.tasks(service)
        assert len(tasks) == n, f"{service}: Swarm made {len(tasks)} tasks, want {n}: {tasks}"
        assert all(t[1] == "Running" and t[2].startswith("Running") and not t[3] for t in tasks), tasks
    subprocess.run(["docker", "service", "ls"], check=False)
