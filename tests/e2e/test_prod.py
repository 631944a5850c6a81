"""The hardened variant (compose/docker-compose.prod.yml over docker-compose.yml), profiles
test and ha: read-only roots, no capability beyond what pinit needs, secrets as files, an
internal backend network, a 3-node ZooKeeper ensemble and a standby JobManager.  One stack
for every check, in file order, the destructive ones last: the hardening is in effect,
the secrets reach the collector and nothing else, one ZooKeeper node killed leaves the
ensemble and the Flink leader standing, the JobManager JVM hung (SIGSTOP) and crashed
(SIGKILL) comes back inside its container, and the leader's container killed hands over
to the standby."""
import os
import re
import time

import pytest

from conftest import COMPOSE_DIR, docker, http_json, inspect, make_stack, report, wait_for
from test_stack import java_pid, pinit_status

TASKMANAGERS = 1
ZOOKEEPERS = ["zookeeper", "zookeeper-2", "zookeeper-3"]
JOBMANAGERS = ["jobmanager", "jobmanager-standby"]
SECRET_DB = "e2e-db-secret-7f3a"
SECRET_DATAHUB = "e2e-datahub-secret-91c2"
# capability bits (linux/capability.h): what a root-started JobManager keeps
CAP_KILL, CAP_SETGID, CAP_SETUID = 5, 6, 7
state = {}


@pytest.fixture(scope="module")
def prod(request, tmp_path_factory):
    secrets = tmp_path_factory.mktemp("prod-secrets")
    for name, value in (("database_password", SECRET_DB), ("datahub_access_key", SECRET_DATAHUB)):
        (secrets / name).write_text(value + "\n")
        (secrets / name).chmod(0o644)  # bind-mounted as it is: the collector's user reads it
    env = {
        "HA_MODE": "zookeeper",
        "HA_ZOOKEEPER_QUORUM": ",".join(f"{z}:2181" for z in ZOOKEEPERS),
        "HA_CLUSTER_ID": "/pinit-e2e-prod",
        "JOBMANAGER_PRECONDITION": "zookeeper:2181",
        "SECRETS_DIR": str(secrets),
        # README (production): keep the leadership while the ZooKeeper client reconnects
        "FLINK_EXTRA_PROPERTY_1": "high-availability.zookeeper.client.tolerate-suspended-connections: true",
    }
    if os.environ.get("PINIT_E2E_CDC_COLLECTOR_IMAGE"):
        env["CDC_COLLECTOR_IMAGE"] = os.environ["PINIT_E2E_CDC_COLLECTOR_IMAGE"]
    s = make_stack(request, tmp_path_factory, "prod", ["test", "ha"], env)
    # secrets as files only: the env file (also the collector's env_file) holds no value
    lines = s.env_file.read_text().splitlines()
    s.env_file.write_text("\n".join(l for l in lines
                                    if not l.startswith(("DATABASE_PASSWORD=", "DATAHUB_ACCESS_KEY="))) + "\n")
    s.cmd += ["-f", str(COMPOSE_DIR / "docker-compose.prod.yml")]
    t0 = time.monotonic()
    s.compose("up", "-d", "--scale", f"taskmanager={TASKMANAGERS}")
    wait_for(f"every container of {s.project} healthy and ready", s.all_healthy, 420, 2)
    wait_for("a Flink leader with the TaskManager registered", lambda: registered_leader(s), 180, 1)
    state["started_at"] = inspect(s.container("jobmanager"), "{{.State.StartedAt}}")
    report("hardened stack up (3 ZooKeepers, 2 JobManagers, TaskManager, database, collector) "
           "to all healthy, ready, TM registered", time.monotonic() - t0)
    return s


def status_field(cid, field, pid="1"):
    st = docker("exec", cid, "cat", f"/proc/{pid}/status").stdout
    return re.search(rf"^{field}:\s*(.*)$", st, re.M).group(1).strip()


def cap_eff(cid, pid="1"):
    return int(status_field(cid, "CapEff", pid), 16)


def uid(cid, pid="1"):
    return int(status_field(cid, "Uid", pid).split()[1])  # effective


def timeline(cid):
    """The container's log, stdout and stderr merged in time order."""
    r = docker("logs", "--timestamps", cid)
    return [l.split(" ", 1)[1] for l in sorted((r.stdout + r.stderr).splitlines()) if " " in l]


def is_leader(cid):
    """The JVM started last in this container was granted the leadership and kept it."""
    lines = timeline(cid)
    starts = [i for i, l in enumerate(lines) if re.search(r"pinit: info: jobmanager: \S+ -> STARTING", l)]
    if not starts:
        return False
    since = lines[starts[-1]:]
    grants = [i for i, l in enumerate(since) if "DefaultDispatcherRunner was granted leadership" in l]
    revokes = [i for i, l in enumerate(since) if re.search(r"DefaultDispatcherRunner.*revoked", l, re.I)]
    return bool(grants) and (not revokes or revokes[-1] < grants[-1])


def leaders(s):
    return [c for c in (s.container(j) for j in JOBMANAGERS)
            if inspect(c, "{{.State.Status}}") == "running" and is_leader(c)]


def registered_leader(s):
    ls = leaders(s)
    if len(ls) != 1:
        return None
    ov = http_json(s.url(ls[0], 8081, "/overview"), timeout=2)
    return ls[0] if ov["taskmanagers"] == TASKMANAGERS else None


def zk_mode(cid):
    out = docker("exec", cid, "bash", "-c",
                 "exec 3<>/dev/tcp/127.0.0.1/2181 && printf srvr >&3 && cat <&3", check=False).stdout
    m = re.search(r"^Mode: (\w+)", out, re.M)
    return m.group(1) if m else None


# --- 1. the hardening is in effect -------------------------------------------------------------

def test_prod_read_only_no_new_privileges_least_capabilities(prod):
    checked = []
    for service in JOBMANAGERS + ["taskmanager", "cdc-collector"]:
        for c in prod.containers(service):
            name = inspect(c, "{{.Name}}")
            assert inspect(c, "{{.HostConfig.ReadonlyRootfs}}") == "true", name
            assert "ALL" in inspect(c, "{{json .HostConfig.CapDrop}}"), name
            assert "no-new-privileges:true" in inspect(c, "{{json .HostConfig.SecurityOpt}}"), name
            assert docker("exec", c, "cat", "/proc/1/comm").stdout.strip() == "pinit", name
            assert status_field(c, "NoNewPrivs") == "1", name
            w = docker("exec", c, "sh", "-c", "touch /pinit-e2e-rofs", check=False)
            assert w.returncode != 0 and "Read-only" in w.stderr, (name, w.stderr)
            java = java_pid(c)
            assert java, f"{name}: no single java process"
            assert cap_eff(c, java) == 0, f"{name}: the service keeps capabilities"
            if service in JOBMANAGERS:
                # started as root: pinit keeps exactly what the drop to flink and the
                # signals to a flink-owned child need, and the JVM runs as flink
                assert uid(c) == 0, name
                assert cap_eff(c) == (1 << CAP_KILL) | (1 << CAP_SETGID) | (1 << CAP_SETUID), \
                    f"{name}: CapEff {cap_eff(c):#x}"
                assert uid(c, java) == 9999, name
                assert "rendering into a copy, /tmp/pinit-flink-conf" in docker("logs", c).stderr, name
            else:
                # started as the non-root user: nothing to drop, no capability at all
                assert uid(c) != 0 and cap_eff(c) == 0, f"{name}: uid {uid(c)} CapEff {cap_eff(c):#x}"
                assert service != "taskmanager" or uid(c) == 9999, name
            checked.append(name)
    print("hardened:", ", ".join(checked))
    assert len(checked) == 3 + TASKMANAGERS


def test_prod_secrets_are_files_and_never_printed(prod):
    assert "DATABASE_PASSWORD=" not in prod.env_file.read_text()
    col = prod.container("cdc-collector")
    # ready means the collector reached the database with the password of the secret file
    # (the database stand-in read it from the same secret)
    assert docker("exec", col, "pinit", "check", "--ready", check=False).returncode == 0
    exec_env = docker("exec", col, "env").stdout
    assert "DATABASE_PASSWORD_FILE=/run/secrets/database_password" in exec_env
    assert "DATABASE_PASSWORD=" not in exec_env and "DATAHUB_ACCESS_KEY=" not in exec_env
    java = java_pid(col)
    child_env = docker("exec", col, "cat", f"/proc/{java}/environ").stdout.split("\0")
    assert f"DATABASE_PASSWORD={SECRET_DB}" in child_env
    assert f"DATAHUB_ACCESS_KEY={SECRET_DATAHUB}" in child_env
    for c in prod.all_containers():
        r = docker("logs", c)
        assert SECRET_DB not in r.stdout + r.stderr and SECRET_DATAHUB not in r.stdout + r.stderr, \
            inspect(c, "{{.Name}}")


def test_prod_backend_is_internal(prod):
    nets = {n: docker("network", "inspect", "-f", "{{.Internal}}", f"{prod.project}_{n}").stdout.strip()
            for n in ("flink-network", "frontend")}
    assert nets == {"flink-network": "true", "frontend": "false"}, nets

    def networks(service):
        c = prod.containers(service)[0]
        return sorted(n.split("_", 1)[1] for n in
                      inspect(c, "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}").split())
    assert networks("taskmanager") == ["flink-network"]
    assert networks("zookeeper") == ["flink-network"]
    for service in JOBMANAGERS + ["cdc-collector"]:
        assert networks(service) == ["flink-network", "frontend"], service


# --- 2. one ZooKeeper node killed: the ensemble and the Flink leader survive -------------------

def test_prod_zookeeper_node_killed_ensemble_and_leader_survive(prod):
    zks = {z: prod.container(z) for z in ZOOKEEPERS}
    modes, _ = wait_for("a ZooKeeper quorum", lambda: (lambda m: m if sorted(m.values()) ==
                        ["follower", "follower", "leader"] else None)({z: zk_mode(c) for z, c in zks.items()}), 60)
    leader_jm = registered_leader(prod)
    assert leader_jm
    restarts = pinit_status(leader_jm)["restarts"]
    # the ZooKeeper leader: the hardest node to lose (the ensemble elects again)
    victim = [z for z, m in modes.items() if m == "leader"][0]
    print(f"ZooKeeper modes {modes}; killing {victim}; Flink leader {inspect(leader_jm, '{{.Name}}')}")
    t0 = time.monotonic()
    docker("kill", zks[victim])
    rest = {z: c for z, c in zks.items() if z != victim}
    _, t_q = wait_for("the two other nodes form a quorum",
                      lambda: sorted(zk_mode(c) or "" for c in rest.values()) == ["follower", "leader"], 120, 0.5)
    report(f"ZooKeeper leader ({victim}) killed -> the other two serve again", t_q)
    # for 20 s: the same JobManager leads, still ready, the TaskManager stays registered
    while time.monotonic() - t0 < t_q + 20:
        assert registered_leader(prod) == leader_jm, "the Flink leadership moved or was lost"
        assert docker("exec", leader_jm, "pinit", "check", "--ready", check=False).returncode == 0
        for z, c in rest.items():
            assert inspect(c, "{{.State.Health.Status}}") != "unhealthy", z
        time.sleep(2)
    st = pinit_status(leader_jm)
    assert st["restarts"] == restarts, f"the leading JobManager's JVM was restarted: {st}"
    docker("start", zks[victim])
    wait_for(f"{victim} back in the ensemble", lambda: zk_mode(zks[victim]) in ("follower", "leader"), 120)
    wait_for(f"{victim} healthy", lambda: inspect(zks[victim], "{{.State.Health.Status}}") == "healthy", 120)


# --- 3. the JobManager JVM hangs, then crashes: pinit brings it back in place -----------------
# (the hang first: the JVM that started with the stack is already past its start period)

def jm(prod):
    return prod.container("jobmanager")


def back(prod, c, old):
    p = java_pid(c)
    return p and p != old and docker("exec", c, "pinit", "check", "--ready", check=False).returncode == 0


def test_prod_jobmanager_hang_sigstop_recovers(prod):
    c = jm(prod)
    # past the liveness start period (the variant's FLINK_LIVENESS_START_PERIOD, as pinit
    # reports it), so that the probe counts from the first failure
    cfg = docker("exec", c, "pinit", "config").stdout
    start = re.search(r"^liveness\.start_period = (?:(\d+)m)?(?:(\d+)s)?  # PINIT_LIVENESS_START_PERIOD", cfg, re.M)
    assert start, cfg
    past = int(start.group(1) or 0) * 60 + int(start.group(2) or 0) + 1
    assert past > 30, cfg
    wait_for(f"JobManager up {past} s", lambda: pinit_status(c)["uptime_seconds"] >= past, past + 60)
    old = java_pid(c)
    t0 = time.monotonic()
    docker("exec", c, "sh", "-c", f"kill -STOP {old}")
    # the liveness restart needs pinit's CAP_KILL: SIGTERM, then SIGKILL to the stopped JVM
    _, t_back = wait_for("hung JobManager restarted by liveness and ready", lambda: back(prod, c, old), 120, 0.5)
    st = pinit_status(c)
    assert st["restarts_by_reason"]["health"] >= 1, st
    assert t_back < 120
    report("hardened: JobManager JVM SIGSTOPped -> liveness restart -> ready", t_back)
    wait_for("a Flink leader with the TaskManager registered", lambda: registered_leader(prod), 180, 1)


def test_prod_jobmanager_crash_sigkill_recovers(prod):
    c = jm(prod)
    old = java_pid(c)
    t0 = time.monotonic()
    # root in the container holds CAP_KILL like pinit: it can kill the flink-owned JVM
    docker("exec", c, "sh", "-c", f"kill -KILL {old}")
    _, t_back = wait_for("JobManager JVM restarted by pinit and ready", lambda: back(prod, c, old), 120, 0.5)
    _, t_reg = wait_for("a Flink leader with the TaskManager registered", lambda: registered_leader(prod), 180, 1)
    assert pinit_status(c)["restarts_by_reason"]["signal"] >= 1
    assert t_back < 120
    report("hardened: JobManager JVM SIGKILLed -> new JVM ready (same container)", t_back)
    report("hardened: JobManager JVM SIGKILLed -> a leader with the TaskManager registered", t_back + t_reg)
    assert inspect(c, "{{.State.StartedAt}}") == state["started_at"], "the container was restarted"
    for x in prod.all_containers():
        assert inspect(x, "{{.RestartCount}}") == "0", inspect(x, "{{.Name}}")


# --- 4. HA failover: the leader's container killed, the other JobManager takes over ------------

def test_prod_ha_failover(prod):
    leader = registered_leader(prod)
    assert leader
    other = [prod.container(j) for j in JOBMANAGERS if prod.container(j) != leader][0]
    t0 = time.monotonic()
    docker("kill", leader)
    _, t_lead = wait_for(f"{inspect(other, '{{.Name}}')} leads", lambda: is_leader(other), 180, 0.5)
    _, t_reg = wait_for("the TaskManager registered with the new leader",
                        lambda: registered_leader(prod) == other, 180, 0.5)
    report("hardened HA failover: leader container killed -> the other JobManager leads", t_lead)
    report("hardened HA failover: leader container killed -> TaskManager registered with it", t_lead + t_reg)
    assert inspect(other, "{{.RestartCount}}") == "0"
