"""pinit flink ROLE against a fake FLINK_HOME: the entrypoint steps in order, per-role defaults,
privilege drop, pass-through, and what happens on errors (nothing started, old file kept)."""
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import uuid

import pytest

from conftest import PINIT, SLOW, in_ns, make_flink_home, pinit_env, start_pid1, wait_for

BASE = "jobmanager.rpc.address: localhost\njobmanager.rpc.port: 6123\nrest:\n  port: 8081\n"

# A stand-in for bin/<role>.sh: reports what it was given, then runs until stopped.
SCRIPT = r'''#!/bin/bash
{
  echo "args=$*"
  echo "uid=$(id -u)"
  echo "gid=$(id -g)"
  echo "conf=${FLINK_CONF_DIR:-unset}"
  echo "preload=${LD_PRELOAD:-}"
  echo "home=$HOME"
} > "$REPORT"
exec sleep 600
'''


@pytest.fixture
def flink_home():
    """A world-readable fake FLINK_HOME (the child may run as another user)."""
    d = make_flink_home(BASE, SCRIPT, "pinit-flink-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def flink_env(home, report, **extra):
    env = {"FLINK_HOME": home, "REPORT": report, "JOB_MANAGER_RPC_ADDRESS": "127.0.0.1",
           "PINIT_CONTROL_SOCKET": "@pinit-test-" + uuid.uuid4().hex, "DISABLE_JEMALLOC": "true",
           "PINIT_FLINK_USER": "nobody-such-user"}
    env.update(extra)
    return env


def read_report(path):
    wait_for(lambda: os.path.exists(path) and os.path.getsize(path) > 0 and
             open(path).read().count("\n") >= 6, 10 * SLOW, what="the role script's report")
    return dict(line.split("=", 1) for line in open(path).read().splitlines())


def status(r, env, *args):
    """`pinit status ARGS` inside r's PID namespace (as `docker exec` does)."""
    return subprocess.run(in_ns(r) + [PINIT, "status", *args], env=pinit_env(env, socket=False), capture_output=True,
                          text=True, timeout=10)


def test_jobmanager_renders_then_runs_the_script_with_probes(flink_home):
    report = os.path.join(flink_home, "log", "report")
    env = flink_env(flink_home, report, FLINK_PROPERTIES="env.java.opts.jobmanager: -Xss2m -XX:+UseG1GC")
    r = start_pid1(["flink", "jobmanager", "--host", "x"], env=env)
    rep = read_report(report)
    assert rep["args"] == f"start-foreground --host x"
    conf = open(os.path.join(flink_home, "conf", "config.yaml")).read()
    assert "env.java.opts.jobmanager: -Xss2m -XX:+UseG1GC" in conf
    assert "jobmanager.rpc.address: '127.0.0.1'" in conf or "jobmanager.rpc.address: 127.0.0.1" in conf
    cfg = status(r, env)
    assert cfg.returncode == 0 and cfg.stdout.startswith("jobmanager: "), cfg
    # the role's probes are in force: nothing serves :8081 here, so readiness stays false
    assert subprocess.run(in_ns(r) + [PINIT, "check", "--ready"], env=pinit_env(env, socket=False),
                          capture_output=True, text=True).returncode == 1
    r.signal(15)
    assert r.wait(20) in (0, 143)


def test_taskmanager_waits_for_the_jobmanager_and_pins_its_rpc_port(flink_home):
    report = os.path.join(flink_home, "log", "report")
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    port = srv.getsockname()[1]
    env = flink_env(flink_home, report, FLINK_PROPERTIES=f"jobmanager.rpc.port: {port}",
                    PINIT_WAIT_INTERVAL="200ms")
    r = start_pid1(["flink", "taskmanager"], env=env)
    wait_for(lambda: '"state":"waiting"' in status(r, env, "--json").stdout, 10 * SLOW, interval=0.1, what="waiting")
    assert not os.path.exists(report)
    srv.listen(4)
    rep = read_report(report)
    assert rep["args"] == "start-foreground"
    conf = open(os.path.join(flink_home, "conf", "config.yaml")).read()
    assert "taskmanager.rpc.port: '6122'" in conf
    srv.close()
    r.signal(15)
    r.wait(20)


def test_taskmanager_wait_timeout_exits_69_before_anything_starts(flink_home):
    report = os.path.join(flink_home, "log", "report")
    env = flink_env(flink_home, report, FLINK_PROPERTIES="jobmanager.rpc.port: 1", PINIT_WAIT_TIMEOUT="1s")
    r = start_pid1(["flink", "taskmanager"], env=env)
    assert r.wait(20) == 69
    assert "missing 127.0.0.1:1" in r.stderr
    assert not os.path.exists(report)


def test_child_runs_as_the_flink_user_with_its_groups(flink_home):
    report = os.path.join(flink_home, "log", "report")
    nobody = pwd.getpwnam("nobody")
    env = flink_env(flink_home, report, PINIT_FLINK_USER="nobody")
    r = start_pid1(["flink", "history-server"], env=env)
    rep = read_report(report)
    assert rep["uid"] == str(nobody.pw_uid) and rep["gid"] == str(nobody.pw_gid)
    assert rep["home"] == nobody.pw_dir
    child = r.child()
    st = {k: v for k, v in (line.split(":", 1) for line in open(f"/proc/{child}/status"))}
    assert st["Uid"].split() == [str(nobody.pw_uid)] * 4
    assert st["Gid"].split() == [str(nobody.pw_gid)] * 4
    assert st["Groups"].split() == [str(g) for g in os.getgrouplist("nobody", nobody.pw_gid)]
    # the supervisor itself stays root (it must signal, reap and respawn the child)
    assert open(f"/proc/{r.pinit}/status").read().count("Uid:\t0\t0\t0\t0") == 1
    r.signal(15)
    r.wait(20)


def test_missing_plugin_jar_exits_1_before_rendering(flink_home):
    report = os.path.join(flink_home, "log", "report")
    before = open(os.path.join(flink_home, "conf", "config.yaml")).read()
    env = flink_env(flink_home, report, ENABLE_BUILT_IN_PLUGINS="flink-s3-fs-hadoop-1.20.1.jar;nope.jar",
                    FLINK_PROPERTIES="parallelism.default: 4")
    r = start_pid1(["flink", "jobmanager"], env=env)
    assert r.wait(20) == 1
    assert "nope.jar" in r.stderr
    assert open(os.path.join(flink_home, "conf", "config.yaml")).read() == before
    assert not os.path.exists(report)


def test_plugins_are_linked(flink_home):
    report = os.path.join(flink_home, "log", "report")
    env = flink_env(flink_home, report, ENABLE_BUILT_IN_PLUGINS="flink-s3-fs-hadoop-1.20.1.jar")
    r = start_pid1(["flink", "jobmanager"], env=env)
    read_report(report)
    link = os.path.join(flink_home, "plugins", "flink-s3-fs-hadoop-1.20.1", "flink-s3-fs-hadoop-1.20.1.jar")
    assert os.readlink(link) == os.path.join(flink_home, "opt", "flink-s3-fs-hadoop-1.20.1.jar")
    r.signal(15)
    r.wait(20)


def test_corrupt_base_file_exits_78_and_keeps_it(flink_home):
    report = os.path.join(flink_home, "log", "report")
    path = os.path.join(flink_home, "conf", "config.yaml")
    bad = "a: 1\na: 2\n"
    with open(path, "w") as f:
        f.write(bad)
    r = start_pid1(["flink", "jobmanager"], env=flink_env(flink_home, report, FLINK_PROPERTIES="b: 3"))
    assert r.wait(20) == 78
    assert "config.yaml" in r.stderr and "line" in r.stderr
    assert open(path).read() == bad
    assert not os.path.exists(report)


def test_flink_conf_dir_is_honoured(flink_home):
    report = os.path.join(flink_home, "log", "report")
    other = tempfile.mkdtemp(prefix="pinit-conf-", dir="/tmp")
    os.chmod(other, 0o755)
    shutil.copy(os.path.join(flink_home, "conf", "config.yaml"), other)
    env = flink_env(flink_home, report, FLINK_CONF_DIR=other, FLINK_PROPERTIES="parallelism.default: 3")
    r = start_pid1(["flink", "jobmanager"], env=env)
    rep = read_report(report)
    assert rep["conf"] == other
    assert "parallelism.default: '3'" in open(os.path.join(other, "config.yaml")).read()
    assert "parallelism.default" not in open(os.path.join(flink_home, "conf", "config.yaml")).read()
    r.signal(15)
    r.wait(20)
    shutil.rmtree(other, ignore_errors=True)


def test_jemalloc_rule(flink_home):
    """Unless DISABLE_JEMALLOC is set to something other than "false", jemalloc is appended to
    LD_PRELOAD, or a warning says it is missing."""
    report = os.path.join(flink_home, "log", "report")
    have = any(os.path.exists(f"/usr/lib/x86_64-linux-gnu/{n}") for n in ("libjemalloc.so", "libjemalloc.so.2"))
    env = flink_env(flink_home, report, LD_PRELOAD="", DISABLE_JEMALLOC="false")
    r = start_pid1(["flink", "jobmanager"], env=env)
    rep = read_report(report)
    assert ("libjemalloc.so" in rep["preload"]) == have
    r.signal(15)
    r.wait(20)
    assert have or "jemalloc not found" in r.stderr


def test_help_and_pass_through(flink_home):
    h = subprocess.run([PINIT, "flink", "help"], env=pinit_env(), capture_output=True, text=True, timeout=10)
    assert h.returncode == 0 and "jobmanager" in h.stdout and "DISABLE_JEMALLOC" in h.stdout
    report = os.path.join(flink_home, "log", "report")
    r = start_pid1(["flink", "sh", "-c", "exit 4"], env=flink_env(flink_home, report))
    assert r.wait(20) == 4  # anything else runs unchanged, not restarted (policy never)
    assert "parallelism" not in r.stderr
