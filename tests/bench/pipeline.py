#!/usr/bin/python3
"""pipeline.py - the Flink pipeline with pinit against the same stack without it, one
stack after the other on this machine, the same images.

  baseline  the stack as the official Flink image runs it: the JVM is PID 1 through Flink's
            own start scripts (tests/bench/flink-entrypoint.sh, the official
            docker-entrypoint.sh's steps), compose `restart: unless-stopped`, a `curl -f`
            healthcheck on /overview (bash /dev/tcp where an image has no curl), the
            collector behind a shell wait loop.  A compose override written by this script
            over compose/docker-compose.yml: only the entrypoints, healthchecks and
            FLINK_PROPERTIES change (Flink's own defaults, no pinit role defaults).
  pinit     the project's stack, compose/docker-compose.yml as it is.

Each stack: cold `up` to every container healthy and every TaskManager registered; a
TaskManager JVM SIGKILLed -> that TaskManager registered again; the JobManager JVM
SIGKILLed -> /overview answers (a new JVM) -> every TaskManager registered again; the
JobManager JVM SIGSTOPped (hung) -> /overview answers from a new JVM (the baseline has
nothing that restarts it: "not recovered within --hang-timeout"); `compose stop` of the
whole stack; what pinit costs per container (its RSS and anonymous memory as PID 1; the
healthcheck's CPU per run and per hour at the compose interval).  Signals are sent from
the host to the JVM's host PID (the baseline's JVM is PID 1: in its namespace it cannot
be SIGKILLed), like the kernel's OOM killer would.

  tests/bench/pipeline.py [--tag TAG] [--taskmanagers N] [--hang-timeout S] [--only NAME]
                          [--write docs/benchmarks.md]

--tag: the pinit images' tag (PINIT_IMAGE_TAG; default latest), including
pinit/cdc-collector-fixture:TAG.  Needs Docker, docker compose (or docker-compose v1), the
images (docker/build-images.sh, and the fixture as tests/e2e/run.sh builds it), root.
Takes ~15 minutes; a benchmark, not a test (nothing here asserts a target).
"""
import argparse
import json
import os
import re
import signal
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))
from conftest import Stack, docker, http_json, inspect  # noqa: E402  (the e2e harness, one copy)

HEALTH_INTERVAL_S = 5  # compose's HEALTHCHECK_INTERVAL default
COLLECTOR_CMD = ["java", "-XX:+UseSerialGC", "-Xmx96m", "-XX:TieredStopAtLevel=1",
                 "-cp", "/usr/share/java/mariadb-java-client.jar", "/opt/cdc-collector/Collector.java"]
# Flink's settings the project's compose passes through pinit's variables, as an official
# image takes them: FLINK_PROPERTIES lines (the official script strips every blank in them)
BASELINE_PROPERTIES = """\
jobmanager.memory.process.size: 768m
taskmanager.memory.process.size: 1024m
taskmanager.memory.managed.fraction: 0.1
taskmanager.rpc.port: 6122
parallelism.default: 1
state.backend.type: hashmap
restart-strategy.type: exponential-delay
web.upload.dir: /opt/flink/data/upload
"""


def log(msg):
    print(f"pipeline: {msg}", file=sys.stderr, flush=True)


def baseline_override(path):
    """The compose override that turns the project's stack into the baseline."""
    entry = str(HERE / "flink-entrypoint.sh")
    curl = ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8081/overview"]
    wait_loop = ('until (exec 3<>"/dev/tcp/$DATABASE_HOST/$DATABASE_PORT") 2>/dev/null'
                 ' && (exec 3<>/dev/tcp/jobmanager/8081 && printf "GET /overview HTTP/1.0\\r\\n\\r\\n" >&3'
                 ' && head -n1 <&3 | grep -q " 200 "); do sleep 2; done; exec "$@"')
    http_ok = ('exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /health/ready HTTP/1.0\\r\\n\\r\\n" >&3'
               ' && head -n1 <&3 | grep -q " 200 "')
    flink = {
        "user": "9999:9999",
        "volumes": [f"{entry}:/bench/flink-entrypoint.sh:ro"],
        "environment": {"FLINK_PROPERTIES": BASELINE_PROPERTIES},
        "entrypoint": ["/bench/flink-entrypoint.sh"],
    }
    wait_loop = wait_loop.replace("$", "$$")  # compose interpolates $NAME: the shell's, not compose's
    doc = {"services": {
        "jobmanager": dict(flink, command=["jobmanager"],
                           healthcheck={"test": curl, "interval": f"{HEALTH_INTERVAL_S}s", "timeout": "3s",
                                        "start_period": "300s", "retries": 3}),
        "taskmanager": dict(flink, command=["taskmanager"],
                            healthcheck={"test": ["CMD", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/6122"],
                                         "interval": f"{HEALTH_INTERVAL_S}s", "timeout": "3s",
                                         "start_period": "300s", "retries": 3}),
        "cdc-collector": {
            "entrypoint": ["bash", "-c", wait_loop, "wait-loop"],
            "command": COLLECTOR_CMD,
            "healthcheck": {"test": ["CMD", "bash", "-c", http_ok], "interval": f"{HEALTH_INTERVAL_S}s",
                            "timeout": "3s", "start_period": "300s", "retries": 3},
        },
    }}
    path.write_text(json.dumps(doc, indent=2))  # JSON is YAML
    return path


# ---------------------------------------------------------------- processes, from the host

def host_pid(cid):
    return int(inspect(cid, "{{.State.Pid}}") or 0)


def java_host_pid(cid):
    """The host PID of the container's one JVM (the baseline's PID 1, pinit's child)."""
    root = host_pid(cid)
    if not root:
        return None
    ns = os.readlink(f"/proc/{root}/ns/pid")
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if (Path(f"/proc/{d}/comm").read_text().strip() == "java"
                    and os.readlink(f"/proc/{d}/ns/pid") == ns):
                found.append(int(d))
        except OSError:
            continue
    return found[0] if len(found) == 1 else None


def proc_age(pid):
    """Seconds since process pid started."""
    start = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    return float(Path("/proc/uptime").read_text().split()[0]) - start / os.sysconf("SC_CLK_TCK")


def wait_for(cond, timeout, interval=0.5):
    """Seconds until cond() is truthy, or None after timeout."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            if cond():
                return time.monotonic() - t0
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(interval)
    return None


# ---------------------------------------------------------------- one stack

class Disturbed(Exception):
    """A container of the stack lost its network while a figure was being measured."""


class Run:
    def __init__(self, name, stack, tms):
        self.name, self.s, self.tms, self.r = name, stack, tms, {}
        self.net = f"{stack.project}_flink-network"
        self.expected = None  # True once the stack is started: watch for a lost network

    def lost(self):
        """Running containers of the stack without an address on its network (a container
        Docker is restarting is not running: the baseline's crash recovery is not a loss)."""
        ids = self.s.all_containers()
        out = docker("inspect", "-f", "{{.State.Status}} {{.HostConfig.NetworkMode}} "
                     "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", *ids).stdout
        return [i for i, line in zip(ids, out.splitlines())
                if line.split()[:2] == ["running", self.net] and len(line.split()) < 3]

    def wait(self, cond, timeout, interval=0.5):
        """wait_for(), but a container dropping off the network ends the measurement."""
        def check():
            if self.expected and self.lost():
                raise Disturbed()
            return cond()
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            try:
                if check():
                    return time.monotonic() - t0
            except Disturbed:
                raise
            except Exception:  # noqa: BLE001 - not up yet
                pass
            time.sleep(interval)
        return None

    def attempt(self, what, fn, tries=3):
        """fn(), measured again on fresh containers when the network was lost meanwhile
        (their JVMs would keep advertising their old addresses)."""
        for _ in range(tries):
            try:
                fn()
                if not self.lost():
                    return
            except Disturbed:
                pass
            log(f"{self.name}: {what}: a container lost its network meanwhile: measuring again")
            self.r.setdefault("disturbed", []).append(what)
            self.reattach()
            self.s.compose("restart", "-t", "20", timeout=600)
            wait_for(lambda: self.reattach() or self.s.all_healthy(), 600, 1)
            wait_for(self.registered, 300)
        raise RuntimeError(f"{self.name}: {what}: disturbed {tries} times")

    def overview(self):
        return http_json(self.s.url("jobmanager", 8081, "/overview"), timeout=2)

    def registered(self):
        return self.overview()["taskmanagers"] == self.tms

    def tm_ids(self, ip):
        tms = http_json(self.s.url("jobmanager", 8081, "/taskmanagers"), timeout=2)["taskmanagers"]
        return {t["id"] for t in tms if f"@{ip}:" in t.get("path", "")}

    def cold_up(self):
        t0 = time.monotonic()
        self.s.compose("up", "-d", "--scale", f"taskmanager={self.tms}")
        self.expected = True
        ok = self.wait(self.s.all_healthy, 600, 1)
        t_h = time.monotonic() - t0 if ok is not None else None
        ok = self.wait(self.registered, 300, 0.5)
        t_r = time.monotonic() - t0 if ok is not None else None
        self.r["cold"] = max(t_h or 0, t_r or 0) if t_h and t_r else None
        self.r["cold_healthy"], self.r["cold_registered"] = t_h, t_r
        log(f"{self.name}: cold up: healthy {t_h}, registered {t_r} "
            f"(not yet: {getattr(self.s, 'waiting', '')})")

    def reattach(self):
        """Put back on the project's network a container something else disconnected from
        it (seen on this shared engine: another session's tests disconnecting containers
        from every *flink-network); it would answer its own healthcheck and nobody else."""
        net = f"{self.s.project}_flink-network"
        for c in self.s.all_containers():
            if inspect(c, "{{.State.Status}}") != "running" or Stack.ip(c):
                continue
            if inspect(c, "{{.HostConfig.NetworkMode}}") != net:
                continue
            svc = inspect(c, '{{index .Config.Labels "com.docker.compose.service"}}')
            log(f"{self.name}: {inspect(c, '{{.Name}}')} lost its network: reconnected")
            self.r["reattached"] = self.r.get("reattached", 0) + 1
            docker("network", "connect", "--alias", svc, net, c, check=False)

    def tm_crash(self):
        c = self.s.containers("taskmanager")[0]
        ip = Stack.ip(c)
        old, pid = self.tm_ids(ip), java_host_pid(c)
        t0 = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        ok = self.wait(lambda: self.tm_ids(Stack.ip(c)) - old, 300)
        self.r["tm_crash"] = None if ok is None else time.monotonic() - t0
        log(f"{self.name}: TaskManager SIGKILL -> registered again {self.r['tm_crash']}")
        wait_for(self.registered, 300)

    def jm_crash(self):
        c = self.s.container("jobmanager")
        pid = java_host_pid(c)
        t0 = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        ok = self.wait(lambda: java_host_pid(c) not in (None, pid) and self.overview(), 300)
        self.r["jm_rest"] = None if ok is None else time.monotonic() - t0
        ok = self.wait(lambda: java_host_pid(c) not in (None, pid) and self.registered(), 300)
        self.r["jm_registered"] = None if ok is None else time.monotonic() - t0
        log(f"{self.name}: JobManager SIGKILL -> REST {self.r['jm_rest']}, registered {self.r['jm_registered']}")

    def jm_hang(self, timeout):
        c = self.s.container("jobmanager")
        # past pinit's liveness start period for the JobManager (120 s) in both stacks, as
        # tests/e2e does
        wait_for(lambda: self.registered() and proc_age(java_host_pid(c)) >= 121, 240, 1)
        pid = java_host_pid(c)
        t0 = time.monotonic()
        os.kill(pid, signal.SIGSTOP)
        try:
            ok = self.wait(lambda: java_host_pid(c) not in (None, pid) and self.overview(), timeout)
        finally:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self.r["jm_hang"] = None if ok is None else time.monotonic() - t0
        self.r["hang_timeout"] = timeout
        log(f"{self.name}: JobManager SIGSTOP -> serving again {self.r['jm_hang']}")
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
        wait_for(lambda: self.registered(), 300)

    def costs(self):
        """pinit's memory as PID 1 of each container; the healthcheck's CPU per run."""
        mem = []
        for c in self.s.all_containers():
            if inspect(c, "{{.State.Status}}") != "running" or not Stack.has_pinit(c):
                continue
            roll = Path(f"/proc/{host_pid(c)}/smaps_rollup").read_text()
            kb = {k: int(v) for k, v in re.findall(r"^(Rss|Anonymous):\s+(\d+) kB", roll, re.M)}
            mem.append((inspect(c, "{{.Name}}").lstrip("/"), kb["Rss"], kb["Anonymous"]))
        self.r["mem"] = mem
        c = self.s.container("jobmanager")
        check = ("pinit check" if Stack.has_pinit(c)
                 else "curl -fsS -o /dev/null http://127.0.0.1:8081/overview")
        n = 50
        out = docker("exec", c, "bash", "-c", f"for i in $(seq {n}); do {check} >/dev/null || exit 1; done; times").stdout
        # `times`: the shell's user/sys, then its children's: "0m0.123s 0m0.456s"
        kids = re.findall(r"(\d+)m([\d.]+)s", out.strip().splitlines()[-1])
        cpu = sum(int(m) * 60 + float(s) for m, s in kids)
        self.r["check_cpu_ms"] = cpu / n * 1e3
        self.r["check_cmd"] = check

    def stop(self):
        t0 = time.monotonic()
        self.s.compose("stop", timeout=300)
        self.r["stop"] = time.monotonic() - t0
        log(f"{self.name}: compose stop {self.r['stop']:.1f} s")


def run_stack(name, tmp, args):
    extra = {"PINIT_IMAGE_TAG": args.tag,
             "CDC_COLLECTOR_IMAGE": f"pinit/cdc-collector-fixture:{args.tag}"}
    s = Stack(tmp, f"bench-{name}", ["test"], extra)
    s.project = s.project.replace("pinit-e2e-", "pinit-bench-")
    i = s.cmd.index("-p")
    s.cmd[i + 1] = s.project
    if name == "baseline":
        s.cmd += ["-f", str(baseline_override(tmp / "baseline.override.json"))]
    run = Run(name, s, args.taskmanagers)
    try:
        for _ in range(3):
            try:
                run.cold_up()
                break
            except Disturbed:
                log(f"{name}: cold up: a container lost its network meanwhile: from scratch again")
                run.r.setdefault("disturbed", []).append("cold up")
                run.expected = None
                s.down()
        if run.r.get("cold") is None:
            s.dump()
            raise RuntimeError(f"{name}: the stack did not come up")
        run.costs()
        run.attempt("TaskManager crash", run.tm_crash)
        run.attempt("JobManager crash", run.jm_crash)
        run.attempt("JobManager hang", lambda: run.jm_hang(args.hang_timeout))
        run.stop()
    finally:
        s.down()
    return run.r


# ---------------------------------------------------------------- report

def fmt(v):
    return "—" if v is None else f"{v:.1f} s"


def ratio(p, b):
    return "—" if p is None or b is None else f"{p / b:.2f}×"


def render(res, meta, command):
    b, p = res["baseline"], res["pinit"]
    rows = [
        ("cold `up` → every container healthy and every TaskManager registered", "cold"),
        ("TaskManager JVM SIGKILL → that TaskManager registered again", "tm_crash"),
        ("JobManager JVM SIGKILL → `/overview` answers (a new JVM)", "jm_rest"),
        ("JobManager JVM SIGKILL → every TaskManager registered again", "jm_registered"),
        ("JobManager JVM SIGSTOP (hang) → `/overview` answers (a new JVM)", "jm_hang"),
        ("`compose stop` of the whole stack", "stop"),
    ]
    out = [f"Measured {meta['date']} on {meta['machine']}; load average {meta['load']} at the start, "
           f"{meta['load_end']} at the end (the machine is shared); {meta['tms']} TaskManagers, "
           f"profile `test` (MariaDB for the collector), one stack after the other.", "",
           "| | baseline (JVM as PID 1) | pinit | pinit / baseline |", "|---|---:|---:|---:|"]
    for label, key in rows:
        bv = b.get(key)
        btxt = fmt(bv) if bv is not None or key != "jm_hang" else f"not recovered within {b['hang_timeout']} s"
        out.append(f"| {label} | {btxt} | {fmt(p.get(key))} | {ratio(p.get(key), bv)} |")
    rss = [m[1] for m in p.get("mem", [])]
    anon = [m[2] for m in p.get("mem", [])]
    per_h = 3600 / HEALTH_INTERVAL_S
    out += [
        f"| pinit's memory as PID 1, per container | — | RSS {min(rss)}–{max(rss)} KB, anonymous "
        f"{min(anon)}–{max(anon)} KB | |" if rss else "| pinit's memory | — | not measured | |",
        f"| healthcheck CPU per run (`{b['check_cmd']}` / `{p['check_cmd']}`) | {b['check_cpu_ms']:.1f} ms "
        f"| {p['check_cpu_ms']:.1f} ms | {p['check_cpu_ms'] / b['check_cpu_ms']:.2f}× |",
        f"| healthcheck CPU per hour at the {HEALTH_INTERVAL_S} s interval ({per_h:.0f} runs) | "
        f"{b['check_cpu_ms'] * per_h / 1e3:.1f} s | {p['check_cpu_ms'] * per_h / 1e3:.1f} s | |",
        "",
        *([f"Measured again on fresh containers after a container lost its network (another "
           "session on the shared Docker engine): " +
           "; ".join(f"{n}: {', '.join(r['disturbed'])}" for n, r in res.items() if r.get("disturbed")) +
           ".", ""] if any(r.get("disturbed") for r in res.values()) else []),
        "pinit's memory, container by container (KB): " +
        ", ".join(f"{n.split('_', 1)[-1]} RSS {r} / anon {a}" for n, r, a in p.get("mem", [])) + ".",
        "",
        "Reproduce (root, Docker, the images of `docker/build-images.sh` and the collector fixture "
        "`tests/e2e/run.sh` builds; ~15 minutes):",
        "",
        "```sh no-test",
        command,
        "```",
    ]
    return "\n".join(out) + "\n"


def write_section(doc, body):
    text = doc.read_text()
    start = "<!-- pipeline.py: begin -->"
    end = "<!-- pipeline.py: end -->"
    block = f"{start}\n{body}{end}"
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n## The pipeline, with and without pinit\n\n" + block + "\n"
    doc.write_text(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tag", default=os.environ.get("PINIT_IMAGE_TAG", "latest"))
    ap.add_argument("--taskmanagers", type=int, default=2)
    ap.add_argument("--hang-timeout", type=int, default=300)
    ap.add_argument("--only", choices=["baseline", "pinit"])
    ap.add_argument("--write", metavar="DOC")
    ap.add_argument("--json", metavar="FILE", help="also save the raw figures (and the run's facts)")
    ap.add_argument("--from-json", metavar="FILE", help="no run: the table from a saved --json")
    a = ap.parse_args()
    if a.from_json:
        saved = json.loads(Path(a.from_json).read_text())
        res, meta = saved["results"], saved["meta"]
    else:
        meta = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
                "machine": f"{os.cpu_count()} cores, Linux {os.uname().release}",
                "load": Path("/proc/loadavg").read_text().split()[0], "tms": a.taskmanagers}
        res = {}
        with tempfile.TemporaryDirectory() as td:
            for name in ("baseline", "pinit"):
                if a.only and a.only != name:
                    continue
                d = Path(td) / name
                d.mkdir()
                res[name] = run_stack(name, d, a)
                meta["load_end"] = Path("/proc/loadavg").read_text().split()[0]
                if a.json:
                    Path(a.json).write_text(json.dumps({"results": res, "meta": meta}, indent=1))
        print(json.dumps(res, indent=1))
    if a.only:
        return 0
    cmd = "tests/bench/pipeline.py" + ("" if a.tag == "latest" else f" --tag {a.tag}") + \
        ("" if a.taskmanagers == 2 else f" --taskmanagers {a.taskmanagers}") + " --write docs/benchmarks.md"
    section = render(res, meta, cmd)
    print(section)
    if a.write:
        write_section(Path(a.write), section)
        log(f"wrote {a.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
