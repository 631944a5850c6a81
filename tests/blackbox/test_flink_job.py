"""The job side of the Flink roles (flink_job.h), black-box: pinit flink ROLE as PID 1, with a
fake FLINK_HOME whose role script is a small stand-in for the JobManager's REST API
(/overview, /jobs, POST /jobs/:id/stop, /jobs/:id/savepoints/:trigger) that records what it
was asked and when it got SIGTERM.  The real thing runs in tests/e2e/test_job.py."""
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
import uuid

import pytest

from conftest import PINIT, SLOW, free_port, in_ns, make_flink_home, pinit_env, start_pid1, wait_for

BASE = "jobmanager.rpc.address: localhost\njobmanager.rpc.port: 6123\n"

SCRIPT = r'''#!/bin/bash
echo "args=$*" >> "$REPORT"
exec python3 "$STAND_IN"
'''

# What every REST stand-in shares: the report (monotonic time, event), SIGTERM noted, JSON replies.
STAND_IN_BASE = r'''
import json, os, signal, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer

REPORT = os.environ["REPORT"]

def note(line):
    with open(REPORT, "a") as f:
        f.write(f"{time.monotonic():.3f} {line}\n")

def term(sig, frame):
    note("SIGTERM")
    sys.exit(143)
signal.signal(signal.SIGTERM, term)

class Replier(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
'''

# MODE: ok (IN_PROGRESS once, then COMPLETED), hang (IN_PROGRESS forever), fail (a failure cause)
STAND_IN = STAND_IN_BASE + r'''
MODE = os.environ.get("MODE", "ok")
TMS = int(os.environ.get("TMS", "1"))
JOB = "8e1f0b0a2a9c4f6d9b1e3c5d7f9a1b2c"
state = {"polls": 0, "stopped": False}

class H(Replier):
    def do_GET(self):
        if self.path == "/overview":
            return self.reply(200, {"taskmanagers": TMS, "jobs-running": 0 if state["stopped"] else 1})
        if self.path == "/config":
            return self.reply(200, {})
        if self.path == "/jobs":
            return self.reply(200, {"jobs": [{"id": JOB, "status": "FINISHED" if state["stopped"] else "RUNNING"}]})
        if self.path == f"/jobs/{JOB}/savepoints/trig-1":
            state["polls"] += 1
            note(f"poll {state['polls']}")
            if MODE == "hang" or state["polls"] < 2:
                return self.reply(200, {"status": {"id": "IN_PROGRESS"}, "operation": None})
            if MODE == "fail":
                return self.reply(200, {"status": {"id": "COMPLETED"},
                                        "operation": {"failure-cause": {"class": "java.lang.IllegalStateException"}}})
            state["stopped"] = True
            return self.reply(200, {"status": {"id": "COMPLETED"},
                                    "operation": {"location": "file:/sp/savepoint-8e1f0b-0123456789ab"}})
        self.reply(404, {"errors": ["Not found: " + self.path]})
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode()
        note(f"POST {self.path} {self.headers.get('Content-Type')} {body}")
        if self.path == f"/jobs/{JOB}/stop":
            return self.reply(202, {"request-id": "trig-1"})
        self.reply(404, {"errors": ["Not found"]})

HTTPServer(("127.0.0.1", int(os.environ["REST_PORT"])), H).serve_forever()
'''


@pytest.fixture
def home(tmp_path):
    d = make_flink_home(BASE, SCRIPT, "pinit-flinkjob-")
    stand_in = os.path.join(d, "bin", "stand_in.py")
    with open(stand_in, "w") as f:
        f.write(STAND_IN)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def env_for(home, **extra):
    port = free_port()
    env = {"FLINK_HOME": home, "REPORT": os.path.join(home, "log", "report"), "STAND_IN": os.path.join(home, "bin", "stand_in.py"),
           "REST_PORT": str(port), "FLINK_PROPERTIES": f"rest.port: {port}\n", "JOB_MANAGER_RPC_ADDRESS": "127.0.0.1",
           "PINIT_CONTROL_SOCKET": "@pinit-test-" + uuid.uuid4().hex, "DISABLE_JEMALLOC": "true",
           "PINIT_FLINK_USER": "nobody-such-user", "PINIT_READINESS_INTERVAL": "200ms"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def report(env):
    try:
        return open(env["REPORT"]).read()
    except FileNotFoundError:
        return ""


def ctl(r, env, *args):
    """`pinit ARGS` inside r's PID namespace (as `docker exec` does)."""
    return subprocess.run(in_ns(r) + [PINIT, *args], env=pinit_env(env, socket=False), capture_output=True, text=True,
                          timeout=10)


def ready(r, env):
    return ctl(r, env, "check", "--ready").returncode == 0


def test_stop_waits_for_the_savepoint_then_stops_the_jvm(home):
    env = env_for(home, SAVEPOINT_DIR="file:///sp")
    r = start_pid1(["flink", "jobmanager"], env=env, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: ready(r, env), 20 * SLOW, what="ready (1 TaskManager)")
    st = json.loads(ctl(r, env, "status", "--json").stdout)
    assert st["flink"]["jobs_running"] == 1 and st["flink"]["taskmanagers"] == 1, st
    r.signal(15)
    code = r.wait(30 * SLOW)
    err = r.stderr
    rep = report(env)
    lines = rep.splitlines()
    post = [l for l in lines if " POST " in l]
    assert post and post[0].split(" ", 1)[1] == ('POST /jobs/8e1f0b0a2a9c4f6d9b1e3c5d7f9a1b2c/stop application/json '
                                                 '{"drain":false,"targetDirectory":"file:///sp"}'), rep
    # the JVM got SIGTERM only after the savepoint completed
    t_done = max(float(l.split()[0]) for l in lines if " poll " in l)
    t_term = [float(l.split()[0]) for l in lines if l.endswith("SIGTERM")]
    assert t_term and t_term[0] >= t_done, rep
    assert "stopped with savepoint file:/sp/savepoint-8e1f0b-0123456789ab" in err, err
    assert "without one" not in err, err
    assert code == 143, (code, err)


@pytest.mark.parametrize("mode,why", [("hang", "budget used up"), ("fail", "savepoint failed: java.lang.IllegalStateException")])
def test_savepoint_failure_or_timeout_falls_back_to_the_plain_stop(home, mode, why):
    env = env_for(home, SAVEPOINT_DIR="file:///sp", MODE=mode, PINIT_FLINK_SAVEPOINT_TIMEOUT="2s")
    r = start_pid1(["flink", "jobmanager"], env=env, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: ready(r, env), 20 * SLOW, what="ready")
    t0 = time.monotonic()
    r.signal(15)
    code = r.wait(30 * SLOW)
    took = time.monotonic() - t0
    err = r.stderr
    warn = [l for l in err.splitlines() if "stop with a savepoint failed" in l]
    assert len(warn) == 1 and why in warn[0] and "stopping the JobManager without one" in warn[0], err
    assert report(env).rstrip().endswith("SIGTERM"), report(env)
    assert code == 143
    assert took < 2 + 8 + 3 * SLOW, took  # the budget, then the normal stop


def test_no_savepoint_directory_plain_stop(home):
    env = env_for(home)
    r = start_pid1(["flink", "jobmanager"], env=env, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: ready(r, env), 20 * SLOW, what="ready")
    r.signal(15)
    assert r.wait(20 * SLOW) == 143
    err = r.stderr
    assert "no savepoint on stop (no savepoint directory configured)" in err, err
    assert " POST " not in report(env)


def test_jobmanager_not_ready_without_taskmanagers(home):
    env = env_for(home, TMS=0)
    r = start_pid1(["flink", "jobmanager"], env=env)
    wait_for(lambda: "taskmanagers 0" in ctl(r, env, "status").stdout, 20 * SLOW, what="/overview read")
    out = ctl(r, env, "status").stdout
    assert "readiness: 0 of 1 TaskManager registered" in out, out
    assert not ready(r, env)
    assert ctl(r, env, "check").returncode == 0  # live all the same
    r.signal(15)
    r.wait(20 * SLOW)
    # 0 keeps the old meaning: REST answers = ready
    env = env_for(home, TMS=0, PINIT_FLINK_READY_TASKMANAGERS=0)
    r = start_pid1(["flink", "jobmanager"], env=env)
    wait_for(lambda: ready(r, env), 20 * SLOW, what="ready with 0 TaskManagers")
    r.signal(15)
    r.wait(20 * SLOW)


def test_application_mode_resumes_from_the_newest_checkpoint(home, tmp_path):
    ck = tmp_path / "ck"
    (ck / "job-a" / "chk-3").mkdir(parents=True)
    (ck / "job-a" / "chk-3" / "_metadata").write_text("x")
    (ck / "job-b" / "chk-1").mkdir(parents=True)
    (ck / "job-b" / "chk-1" / "_metadata").write_text("x")
    (ck / "job-b" / "chk-2").mkdir()  # in progress: no _metadata
    os.utime(ck / "job-a" / "chk-3" / "_metadata", (1000, 1000))
    env = env_for(home, CHECKPOINT_DIR=f"file://{ck}", SAVEPOINT_DIR=f"file://{tmp_path}/none")
    r = start_pid1(["flink", "standalone-job", "--job-classname", "C", "out.txt"], env=env, stderr=subprocess.PIPE,
                   text=True)
    wait_for(lambda: "args=" in report(env), 10 * SLOW, what="the role started")
    args = [l for l in report(env).splitlines() if l.startswith("args=")][0]
    assert args == f"args=start-foreground --fromSavepoint {ck}/job-b/chk-1 --job-classname C out.txt", args
    st = ctl(r, env, "status").stdout
    assert f"resume: checkpoint {ck}/job-b/chk-1" in st, st
    r.signal(15)
    r.wait(20 * SLOW)
    err = r.stderr
    assert f"resume: resuming from checkpoint {ck}/job-b/chk-1" in err, err
    # an explicit savepoint wins: nothing added
    env = env_for(home, CHECKPOINT_DIR=f"file://{ck}")
    os.unlink(env["REPORT"]) if os.path.exists(env["REPORT"]) else None
    r = start_pid1(["flink", "standalone-job", "--fromSavepoint", "/mine"], env=env)
    wait_for(lambda: "args=" in report(env), 10 * SLOW, what="the role started")
    assert "args=start-foreground --fromSavepoint /mine\n" in report(env), report(env)
    r.signal(15)
    r.wait(20 * SLOW)


def test_metrics_show_the_job_side_and_pass_promtool(home, tmp_path):
    port = free_port()
    ck = tmp_path / "ck" / "job-a" / "chk-3"
    ck.mkdir(parents=True)
    (ck / "_metadata").write_text("x")
    env = env_for(home, CHECKPOINT_DIR=f"file://{tmp_path}/ck", SAVEPOINT_DIR=f"file://{tmp_path}/sp",
                  PINIT_HTTP_LISTEN=f"127.0.0.1:{port}")
    r = start_pid1(["flink", "standalone-job"], env=env)
    wait_for(lambda: ready(r, env), 20 * SLOW, what="ready")
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    assert "\npinit_flink_jobs_running 1\n" in body, body[-1500:]
    assert "\npinit_flink_taskmanagers 1\n" in body, body[-1500:]
    assert '\npinit_flink_resume{from="checkpoint"} 1\n' in body, body[-1500:]
    assert "pinit_flink_last_savepoint_timestamp_seconds " not in body.replace("# HELP pinit_flink_last", "").replace(
        "# TYPE pinit_flink_last", "")
    promtool = shutil.which("promtool")
    if promtool:
        out = subprocess.run([promtool, "check", "metrics"], input=body.encode(), capture_output=True, timeout=30)
        assert out.returncode == 0, out.stdout + out.stderr
    st = json.loads(ctl(r, env, "status", "--json").stdout)
    assert st["flink"]["resume"] == "checkpoint" and st["flink"]["resumed_from"].endswith("/job-a/chk-3"), st
    r.signal(15)
    r.wait(20 * SLOW)


# ---- the HA leader (issue 12): no leader for longer than flink.leader_budget is not live ----

# A JobManager's REST API as it answers in HA mode: with a leader, /config and /overview
# answer 200; without one, every handler answers 503 with Flink's own error body
# (LeaderRetrievalHandler).  The test switches between the two by writing LEADER_FILE.
HA_STAND_IN = STAND_IN_BASE + r'''
LEADER = os.environ["LEADER_FILE"]
note("start")

class H(Replier):
    def do_GET(self):
        if open(LEADER).read().strip() != "yes":
            return self.reply(503, {"errors": ["Service temporarily unavailable due to an ongoing leader election. "
                                               "Please refresh."]})
        if self.path == "/overview":
            return self.reply(200, {"taskmanagers": 1, "jobs-running": 0})
        self.reply(200, {"refresh-interval": 3000})

HTTPServer(("127.0.0.1", int(os.environ["REST_PORT"])), H).serve_forever()
'''


@pytest.fixture
def zookeeper():
    """A loopback port that accepts connections, standing in for ZooKeeper (the HA role
    waits for its quorum before it starts the JVM)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    yield s.getsockname()[1]
    s.close()


def ha_env(home, zk, budget, **extra):
    stand_in = os.path.join(home, "bin", "ha_stand_in.py")
    with open(stand_in, "w") as f:
        f.write(HA_STAND_IN)
    leader = os.path.join(home, "log", "leader")
    with open(leader, "w") as f:
        f.write("yes")
    env = env_for(home, STAND_IN=stand_in, LEADER_FILE=leader, PINIT_FLINK_LEADER_BUDGET=budget,
                  PINIT_LIVENESS_START_PERIOD="0s", PINIT_LIVENESS_INTERVAL="250ms", PINIT_LIVENESS_TIMEOUT="1s",
                  **extra)
    env["FLINK_PROPERTIES"] += (f"high-availability.type: zookeeper\nhigh-availability.zookeeper.quorum: 127.0.0.1:{zk}\n"
                                "high-availability.storageDir: file:///tmp/ha\n")
    return env


def set_leader(env, yes):
    with open(env["LEADER_FILE"], "w") as f:
        f.write("yes" if yes else "no")
    return time.monotonic()


def events(env, what):
    return [float(l.split()[0]) for l in report(env).splitlines() if l.split()[1:] == [what]]


def live_why(r, env):
    out = ctl(r, env, "check")
    return out.returncode, out.stdout + out.stderr


def test_ha_no_leader_beyond_the_budget_restarts_the_jobmanager(home, zookeeper):
    env = ha_env(home, zookeeper, "2s")
    r = start_pid1(["flink", "jobmanager"], env=env, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: ready(r, env), 20, what="ready (a leader)")
    t_lost = set_leader(env, False)
    # within the budget: live, and `pinit check` and `pinit status` say why it might not stay so
    why = wait_for(lambda: (lambda c: c[1] if "no leader for" in c[1] else None)(live_why(r, env)), 5,
                   what="pinit check naming the missing leader")
    assert why.startswith("healthy: jobmanager pid ") and "(budget 2s)" in why, why
    assert "no leader for" in ctl(r, env, "status").stdout
    wait_for(lambda: events(env, "SIGTERM"), 10, what="the liveness restart")
    t_term = events(env, "SIGTERM")[0]
    set_leader(env, True)
    wait_for(lambda: len(events(env, "start")) == 2, 10, what="the new JobManager")
    took = t_term - t_lost
    print(f"leader lost -> SIGTERM: {took:.2f}s (budget 2s, liveness every 250ms, threshold 3)")
    # not before the budget; then failure_threshold failed probes, 250 ms apart (+ slack)
    assert 2.0 <= took <= 2.0 + 3 * 0.25 + 1.5 * SLOW, took
    wait_for(lambda: ready(r, env), 20, what="ready again")
    st = json.loads(ctl(r, env, "status", "--json").stdout)
    assert st["flink"]["no_leader_seconds"] == 0 and st["restarts_by_reason"]["health"] == 1, st
    r.signal(15)
    r.wait(20 * SLOW)
    err = r.stderr
    assert "leader: the JobManager knows no leader (REST: leader election): not live after 2s without one" in err, err
    fails = [l for l in err.splitlines() if l.startswith("pinit: warn: liveness: ") and "no leader for" in l]
    assert fails and fails[-1].endswith("(budget 2s) (3 in a row)"), err
    assert "liveness failed 3 times in a row: restarting" in err, err


def test_ha_no_leader_within_the_budget_and_a_leader_keep_it_live(home, zookeeper):
    env = ha_env(home, zookeeper, "3s")
    r = start_pid1(["flink", "jobmanager"], env=env, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: ready(r, env), 20, what="ready (a leader)")
    time.sleep(3.5)  # a leader for longer than the budget: nothing happens
    set_leader(env, False)
    wait_for(lambda: "no leader for" in live_why(r, env)[1], 5, what="the missing leader noticed")
    time.sleep(1.5)  # shorter than the budget
    code, why = live_why(r, env)
    assert code == 0 and "no leader for 1s (budget 3s)" in why, why
    set_leader(env, True)
    wait_for(lambda: "no leader" not in live_why(r, env)[1], 5, what="the leader noticed")
    time.sleep(3.5)  # past the point where the first no-leader reply plus the budget would have been
    assert len(events(env, "start")) == 1 and not events(env, "SIGTERM"), report(env)
    assert live_why(r, env)[0] == 0
    assert json.loads(ctl(r, env, "status", "--json").stdout)["restarts"] == 0
    r.signal(15)
    r.wait(20 * SLOW)
    err = r.stderr
    assert "leader: a leader again after 1s without one" in err or "leader: a leader again after 2s without one" in err, err
    assert "liveness failed" not in err, err


def test_ha_leader_budget_0_leaves_the_plain_probe(home, zookeeper):
    """flink.leader_budget=0 turns the leader check off: a 503 is a failed probe like any other,
    restarted after failure_threshold of them (as before the check existed)."""
    env = ha_env(home, zookeeper, "0")
    r = start_pid1(["flink", "jobmanager"], env=env, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: ready(r, env), 20, what="ready (a leader)")
    t_lost = set_leader(env, False)
    wait_for(lambda: events(env, "SIGTERM"), 10, what="the liveness restart")
    assert events(env, "SIGTERM")[0] - t_lost < 2.0, report(env)
    r.signal(15)
    r.wait(20 * SLOW)
    assert "flink.leader_budget is 0" in r.stderr, r.stderr


def test_ha_leader_budget_refused_when_not_a_duration(home, zookeeper):
    env = ha_env(home, zookeeper, "soon")
    r = start_pid1(["flink", "jobmanager"], env=env, stderr=subprocess.PIPE, text=True)
    assert r.wait(20 * SLOW) == 78
    lines = [l for l in r.stderr.splitlines() if "LEADER_BUDGET" in l]
    assert lines == ["pinit: error: config: PINIT_FLINK_LEADER_BUDGET: soon: not a duration (like 500ms, 10s, 2m)"], \
        r.stderr
