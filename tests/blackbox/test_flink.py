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

import flink_oracle
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


# ---------------------------------------------------------------- roles read the rendered file
# Issue 10: `pinit flink ROLE` derives its waits, probes and pinned keys from the rendered
# configuration (base file + variables + FLINK_PROPERTIES with ${VAR}), the one Flink reads.
# Each case runs in a private network namespace (`unshare -n`, loopback up) so fixed ports
# are free and nothing reaches the host's network.

HTTP_SCRIPT = r'''#!/bin/bash
# a stand-in JobManager: answers GET /config and /overview on $SERVE_PORT
echo "args=$*" > "$REPORT"
mkdir -p "$REPORT.www" && echo '{}' > "$REPORT.www/config" && echo '{}' > "$REPORT.www/overview"
exec python3 -m http.server "$SERVE_PORT" --bind 127.0.0.1 --directory "$REPORT.www"
'''

LISTEN = ("import socket,sys,time\n"
          "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
          "s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(16); time.sleep(600)\n")


def can_netns():
    return os.geteuid() == 0 and shutil.which("ip") and shutil.which("nsenter") and \
        subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


needs_netns = pytest.mark.skipif(not can_netns(), reason="needs root, unshare -n, ip and nsenter")


def start_in_netns(role, env, listen=()):
    """pinit flink ROLE as PID 1 of new PID and network namespaces (loopback up), with TCP
    listeners on 127.0.0.1:PORT for `listen` started first (children of the namespace's
    PID 1, so they die with it)."""
    from conftest import start_argv
    script = "ip link set lo up || exit 99\n" + \
        "".join(f'python3 -c "$LISTEN" {p} &\n' for p in listen) + 'exec "$@"'
    argv = ["unshare", "-n", "--pid", "--fork", "--mount-proc", "--kill-child", "sh", "-c", script, "sh",
            PINIT, "flink", role]
    return start_argv(argv, env=dict(env, LISTEN=LISTEN))


def in_netns(r, *args):
    """Run pinit ARGS inside r's network namespace (its control socket is abstract) and its
    PID and mount namespaces (pinit serves only peers of its own PID namespace)."""
    return subprocess.run(["nsenter", "-t", str(r.pinit), "-n", "-p", "-m", "--", PINIT, *args],
                          env=pinit_env({"PINIT_CONTROL_SOCKET": r.env_socket}, socket=False),
                          capture_output=True, text=True, timeout=10)


def role_home(base, script=SCRIPT):
    d = make_flink_home(base, script, "pinit-flink-role-")
    return d, os.path.join(d, "log", "report")


@pytest.fixture
def homes():
    made = []
    yield lambda base, script=SCRIPT: made.append(role_home(base, script)) or made[-1]
    for d, _ in made:
        shutil.rmtree(d, ignore_errors=True)


def ready_within(r, seconds):
    try:
        wait_for(lambda: in_netns(r, "check", "--ready").returncode == 0, seconds, interval=0.3, what="ready")
        return True
    except Exception:
        return False


@needs_netns
@pytest.mark.parametrize("base,props,extra,port", [
    ("rest:\n  port: 8082\n", "", {}, 8082),                              # the base file's rest.port
    ("rest.port: 8081\n", "rest.port: ${REST_PORT}", {"REST_PORT": "8083"}, 8083),   # ${VAR}
    ("rest.port: 8082\nrest.bind-port: 8084\n", "", {}, 8084),           # where the server binds
], ids=["base-rest-port", "rest-port-from-var", "bind-port"])
def test_jobmanager_probes_the_rest_port_flink_reads(homes, base, props, extra, port):
    home, report = homes(base, HTTP_SCRIPT)
    # readiness = REST answers (the stand-in serves no Flink /overview: no TaskManager count)
    env = flink_env(home, report, SERVE_PORT=str(port), FLINK_PROPERTIES=props, PINIT_READINESS_INTERVAL="500ms",
                    PINIT_FLINK_READY_TASKMANAGERS="0", **extra)
    r = start_in_netns("jobmanager", env)
    r.env_socket = env["PINIT_CONTROL_SOCKET"]
    wait_for(lambda: os.path.exists(report), 10 * SLOW, what="the role script")
    assert ready_within(r, 20 * SLOW), f"never ready on :{port}\n{r.stderr if r.returncode is not None else ''}"
    r.signal(15)
    r.wait(20)


@needs_netns
@pytest.mark.parametrize("base,extra,listen,started,missing", [
    # jobmanager.rpc.port from the base file: wait for it, not 6123
    ("jobmanager.rpc.address: 127.0.0.1\njobmanager.rpc.port: 6130\n", {}, [6130], True, None),
    # HA in the base file: the TaskManager waits for ZooKeeper, not the JobManager
    ("high-availability:\n  type: zookeeper\n  zookeeper:\n    quorum: 127.0.0.1:2181\n", {}, [6123], False,
     "127.0.0.1:2181"),
    # HA_MODE=None is not HA (Flink reads it case-insensitively)
    ("", {"HA_MODE": "None", "HA_ZOOKEEPER_QUORUM": "127.0.0.1:2181"}, [6123], True, None),
    # FLINK_PROPERTIES turns HA off under the deprecated key (flink-conf.yaml): no ZooKeeper wait
    ("", {"_legacy": True, "HA_MODE": "zookeeper", "HA_ZOOKEEPER_QUORUM": "127.0.0.1:2181",
          "FLINK_PROPERTIES": "high-availability: NONE"}, [6123], True, None),
    # an address with a trailing newline (a Secret or ConfigMap file) is trimmed, not refused
    ("", {"JOB_MANAGER_RPC_ADDRESS": "127.0.0.1\n"}, [6123], True, None),
], ids=["base-rpc-port", "base-ha", "ha-mode-None", "props-ha-none", "address-newline"])
def test_taskmanager_waits_for_what_flink_reads(homes, base, extra, listen, started, missing):
    home, report = homes(base)
    extra = dict(extra)
    name = "flink-conf.yaml" if extra.pop("_legacy", False) else "config.yaml"
    if name == "flink-conf.yaml":
        with open(os.path.join(home, "conf", name), "w") as f:
            f.write("jobmanager.memory.process.size: 1600m\n")
    env = flink_env(home, report, PINIT_WAIT_TIMEOUT="4s", PINIT_WAIT_INTERVAL="200ms", **extra)
    r = start_in_netns("taskmanager", env, listen)
    if started:
        wait_for(lambda: os.path.exists(report) and os.path.getsize(report) > 0, 15 * SLOW,
                 what=f"the TaskManager to start ({r.stderr if r.returncode is not None else ''})")
        r.signal(15)
        r.wait(20)
    else:
        assert r.wait(30 * SLOW) == 69
        assert f"missing {missing}" in r.stderr
        assert not os.path.exists(report)
    # the pinned RPC port is in the file Flink reads
    conf = open(os.path.join(home, "conf", name)).read()
    assert ("taskmanager.rpc.port: '6122'" if name == "config.yaml" else "taskmanager.rpc.port: 6122") in conf
    if flink_oracle.available():
        # what Flink itself reads agrees with what pinit waited for
        opts = flink_oracle.read_conf(os.path.join(home, "conf"))["options"]
        ha = opts["high-availability.type"]
        assert (ha is not None and ha.lower() == "zookeeper") == (missing == "127.0.0.1:2181"), ha
        assert opts["taskmanager.rpc.port"] == "6122"
