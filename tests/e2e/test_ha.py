"""Profile ha: ZooKeeper, two JobManagers, two TaskManagers.  Kill the leading JobManager
container; the standby takes over and the TaskManagers register with it."""
import time

import pytest

from conftest import docker, http_json, inspect, make_stack, report, wait_for

TASKMANAGERS = 2
LEADER_LINE = "DefaultDispatcherRunner was granted leadership"


@pytest.fixture(scope="module")
def ha(request, tmp_path_factory):
    s = make_stack(request, tmp_path_factory, "ha", ["ha"], {
        "HA_MODE": "zookeeper",
        "HA_ZOOKEEPER_QUORUM": "zookeeper:2181",
        "HA_CLUSTER_ID": "/pinit-e2e",
        "JOBMANAGER_PRECONDITION": "zookeeper:2181",
    })
    t0 = time.monotonic()
    s.compose("up", "-d", "--scale", f"taskmanager={TASKMANAGERS}",
              "zookeeper", "jobmanager", "jobmanager-standby", "taskmanager")
    wait_for(f"every container of {s.project} healthy and ready", s.all_healthy, 300)
    wait_for(f"{TASKMANAGERS} TaskManagers registered", lambda: registered(s, s.container("jobmanager")), 180)
    report("HA stack up (ZooKeeper, 2 JobManagers, 2 TaskManagers) to all healthy, TMs registered",
           time.monotonic() - t0)
    return s


def registered(s, cid):
    return http_json(s.url(cid, 8081, "/overview"), timeout=2)["taskmanagers"] == TASKMANAGERS


def is_leader(cid):
    return LEADER_LINE in docker("logs", cid).stdout


def test_ha_rendered(ha):
    c = ha.container("jobmanager")
    cfg = {e["key"]: e["value"] for e in http_json(ha.url(c, 8081, "/jobmanager/config"))}
    assert cfg.get("high-availability.type") == "zookeeper", cfg.get("high-availability.type")
    assert cfg.get("high-availability.zookeeper.quorum") == "zookeeper:2181"
    assert cfg.get("high-availability.cluster-id") == "/pinit-e2e"
    assert cfg.get("high-availability.storageDir") == "file:///opt/flink/savepoints/ha"


def test_ha_failover(ha):
    jms = [ha.container("jobmanager"), ha.container("jobmanager-standby")]
    leaders, _ = wait_for("a leading JobManager", lambda: [c for c in jms if is_leader(c)], 60)
    assert len(leaders) == 1, "both JobManagers claim leadership"
    leader = leaders[0]
    standby = [c for c in jms if c != leader][0]
    lname, sname = inspect(leader, "{{.Name}}"), inspect(standby, "{{.Name}}")
    print(f"leader {lname}, standby {sname}")
    t0 = time.monotonic()
    docker("kill", leader)
    _, t_lead = wait_for(f"{sname} granted leadership", lambda: is_leader(standby), 180, 0.5)
    _, t_tms = wait_for(f"{TASKMANAGERS} TaskManagers registered with {sname}",
                        lambda: registered(ha, standby), 180, 0.5)
    t_tms += t_lead
    # `docker kill` counts as a stop for restart: unless-stopped, so the old leader stays
    # down and the standby serves alone
    assert inspect(standby, "{{.RestartCount}}") == "0"
    report("HA failover: leader container killed -> standby granted leadership", t_lead)
    report("HA failover: leader container killed -> TaskManagers registered with the new leader", t_tms)
