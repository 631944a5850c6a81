"""End-to-end harness: the compose stack of compose/ on the local Docker engine.

tests/e2e/run.sh builds the images and runs these tests with /usr/bin/python3 -m pytest.
Each stack is its own compose project (unique name per run: PINIT_E2E_RUN_ID), created
from compose/.env.example plus overrides, and is removed with its containers, networks and
volumes when its tests end, failed or not (run.sh's trap removes whatever is left).

Network access: only the project's containers (by their IP on the project's bridge network)
and loopback; no host port is published (every port variable is empty: Docker picks one).
"""
import json
import os
import re
import shlex
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COMPOSE_DIR = REPO / "compose"
RUN_ID = os.environ.get("PINIT_E2E_RUN_ID") or f"{os.getpid()}-{int(time.time())}"
REPORT = os.environ.get("PINIT_E2E_REPORT")


def compose_command():
    cmd = os.environ.get("PINIT_E2E_COMPOSE")
    if cmd:
        return shlex.split(cmd)
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"]


def report(what, seconds=None, text=None):
    """Print a measured figure and add it to run.sh's summary."""
    line = f"{what}: {seconds:.1f} s" if seconds is not None else f"{what}: {text}"
    print(f"\nE2E-MEASURED {line}", flush=True)
    if REPORT:
        with open(REPORT, "a") as f:
            f.write(line + "\n")


def sh(*args, check=True, timeout=300, **kw):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))}: exit {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def docker(*args, **kw):
    return sh("docker", *args, **kw)


def inspect(cid, fmt):
    return docker("inspect", "-f", fmt, cid).stdout.strip()


def wait_for(what, cond, timeout, interval=1.0):
    """Poll cond() until it returns something truthy; return (value, seconds waited)."""
    t0 = time.monotonic()
    last_exc = None
    while True:
        try:
            v = cond()
            if v:
                return v, time.monotonic() - t0
        except Exception as e:  # noqa: BLE001 - keep polling, report the last error
            last_exc = e
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                                 + (f" (last error: {last_exc})" if last_exc else ""))
        time.sleep(interval)


def http(url, timeout=3.0):
    """GET url -> (status, body text); connection errors raise."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def http_json(url, timeout=3.0):
    status, body = http(url, timeout)
    assert status == 200, f"GET {url}: HTTP {status}: {body[:300]}"
    return json.loads(body)


def pid1_argv(cid):
    raw = docker("exec", cid, "cat", "/proc/1/cmdline").stdout
    return [a for a in raw.split("\0") if a]


class Stack:
    """One compose project from compose/docker-compose.yml."""

    def __init__(self, tmp_path, name, profiles, extra_env=None):
        self.project = f"pinit-e2e-{RUN_ID}-{name}"
        self.env_file = tmp_path / f"{name}.env"
        env = (COMPOSE_DIR / ".env.example").read_text()
        overrides = {
            "COMPOSE_PROJECT_NAME": self.project,
            "COMPOSE_PROFILES": ",".join(profiles),
            "CDC_ENV_FILE": str(self.env_file),
            # no fixed host ports: several stacks (and the user's own) can run side by side
            "JOBMANAGER_UI_PORT": "", "JOBMANAGER_RPC_PORT": "", "JOBMANAGER_BLOB_PORT": "",
            "JOBMANAGER_METRICS_PORT": "", "JOBMANAGER_STANDBY_UI_PORT": "",
            "CDC_COLLECTOR_PORT": "", "PROMETHEUS_PORT": "",
            # a JVM option list with inner spaces: must reach the JVM as three options
            "JOB_MANAGER_JAVA_OPTS": "-XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -Dpinit.e2e=yes",
            "DATABASE_PASSWORD": f"e2e-{RUN_ID}",
        }
        tag = os.environ.get("PINIT_IMAGE_TAG")
        if tag:  # a branch's own images (docker/build-images.sh with PINIT_IMAGE_TAG), not `latest`
            overrides.update({"PINIT_IMAGE_TAG": tag, "CDC_COLLECTOR_IMAGE": f"pinit/cdc-collector-fixture:{tag}"})
        overrides.update(extra_env or {})
        lines = [f"{k}={v}" for k, v in overrides.items()]
        self.env_file.write_text(env + "\n# --- tests/e2e overrides\n" + "\n".join(lines) + "\n")
        self.cmd = compose_command() + ["-p", self.project, "--env-file", str(self.env_file),
                                        "-f", str(COMPOSE_DIR / "docker-compose.yml")]
        # the shell environment wins over the env file in compose's interpolation: keep
        # the caller's variables out of it
        self.env = {k: v for k, v in os.environ.items()
                    if k in ("PATH", "HOME", "DOCKER_HOST", "DOCKER_CONFIG", "LANG", "LC_ALL")}

    def compose(self, *args, check=True, timeout=600, env=None):
        e = dict(self.env)
        e.update(env or {})
        return sh(*self.cmd, *args, check=check, timeout=timeout, env=e)

    def containers(self, service):
        out = docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={self.project}",
                     "--filter", f"label=com.docker.compose.service={service}",
                     "--filter", "label=com.docker.compose.oneoff=False").stdout.split()
        return sorted(out, key=lambda c: inspect(c, "{{.Name}}"))

    def container(self, service):
        cs = self.containers(service)
        assert len(cs) == 1, f"{service}: {len(cs)} containers"
        return cs[0]

    def all_containers(self):
        return docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={self.project}").stdout.split()

    @staticmethod
    def ip(cid):
        """The address on the first of its networks (by name: the project's flink-network
        before frontend in the hardened variant); the host reaches it, internal or not."""
        return inspect(cid, "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}").split()[0]

    def url(self, service_or_cid, port, path):
        cid = service_or_cid if re.fullmatch(r"[0-9a-f]{12,64}", service_or_cid) else self.container(service_or_cid)
        return f"http://{self.ip(cid)}:{port}{path}"

    def all_healthy(self):
        """True when every container is running healthy (pinit ones also ready) or is a
        finished one-shot; else False, with self.waiting saying who is not."""
        waiting = []
        for c in self.all_containers():
            name, state, health, code = inspect(
                c, "{{.Name}}|{{.State.Status}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}|{{.State.ExitCode}}"
            ).split("|")
            if state == "exited" and not health and code == "0":
                continue
            if state != "running" or health not in ("healthy", ""):
                waiting.append(f"{name} {health or state}")
                continue
            if self.has_pinit(c) and docker("exec", c, "pinit", "check", "--ready", check=False).returncode != 0:
                waiting.append(f"{name} not ready")
        self.waiting = waiting
        return not waiting

    @staticmethod
    def has_pinit(cid):
        return inspect(cid, "{{json .Config.Entrypoint}}").startswith('["pinit"')

    def dump(self):
        """ps and the tail of every container's log, for a failed test."""
        print(self.compose("ps", check=False).stdout)
        for c in self.all_containers():
            name = inspect(c, "{{.Name}}")
            print(f"--- {name}: {inspect(c, '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}')}")
            print(docker("logs", "--tail", "40", c, check=False).stdout[-6000:])
            print(docker("logs", "--tail", "40", c, check=False).stderr[-6000:])

    def down(self):
        self.compose("down", "-v", "--remove-orphans", "-t", "5", check=False, timeout=300)
        # one-off containers from `compose run`, should any be left
        for c in docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={self.project}").stdout.split():
            docker("rm", "-f", "-v", c, check=False)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed:
        item.session.e2e_failed = True


def make_stack(request, tmp_path_factory, name, profiles, extra_env=None):
    s = Stack(tmp_path_factory.mktemp(name), name, profiles, extra_env)

    def finish():
        if getattr(request.session, "e2e_failed", False):
            print(f"\n==== {s.project}: state at teardown (a test failed)")
            s.dump()
        s.down()
    request.addfinalizer(finish)
    return s
