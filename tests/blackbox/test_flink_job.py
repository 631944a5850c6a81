"""The job side of the Flink roles (flink_job.h), black-box: pinit flink ROLE as PID 1, with a
fake FLINK_HOME whose role script is a small stand-in for the JobManager's REST API
(/overview, /jobs, POST /jobs/:id/stop, /jobs/:id/savepoints/:trigger) that records what it
was asked and when it got SIGTERM.  The real thing runs in tests/e2e/test_job.py."""
import json
import os
import shutil
import subprocess
import time
import urllib.request
import uuid

import pytest

from conftest import PINIT, SLOW, free_port, in_ns, make_flink_home, pinit_env, start_pid1, wait_for

BASE = "jobmanager.rpc.address: localhost\njobmanager.rpc.port: 6123\n"

SCRIPT = r'''#!/bin/bash
echo "args=$*" >> "$REPORT"
exec python3 "$STUB"
'''

# MODE: ok (IN_PROGRESS once, then COMPLETED), hang (IN_PROGRESS forever), fail (a failure cause)
STUB = r'''
import json, os, signal, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer

REPORT = os.environ["REPORT"]
MODE = os.environ.get("MODE", "ok")
TMS = int(os.environ.get("TMS", "1"))
JOB = "8e1f0b0a2a9c4f6d9b1e3c5d7f9a1b2c"
state = {"polls": 0, "stopped": False}

def note(line):
    with open(REPORT, "a") as f:
        f.write(f"{time.monotonic():.3f} {line}\n")

def term(sig, frame):
    note("SIGTERM")
    sys.exit(143)
signal.signal(signal.SIGTERM, term)

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
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
    stub = os.path.join(d, "bin", "stub.py")
    with open(stub, "w") as f:
        f.write(STUB)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def env_for(home, **extra):
    port = free_port()
    env = {"FLINK_HOME": home, "REPORT": os.path.join(home, "log", "report"), "STUB": os.path.join(home, "bin", "stub.py"),
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
