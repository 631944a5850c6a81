#!/usr/bin/env python3
"""`pinit check` against `curl -fsS` on a local HTTP endpoint, side by side in one run:
wall time (hyperfine), CPU time and peak RSS per run (wait4 rusage).

The supervisor under test is pinit (in this PID namespace, since it serves only clients of
its own) supervising a local HTTP server with a liveness probe on it; curl asks that server directly, pinit check asks
the supervisor for its cached verdict.  Usage:

    check_vs_curl.py PINIT --runrss RUNRSS [--runs N] [--write docs/benchmarks.md] [--check]
"""
import argparse
import json
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

SECTION = "## pinit check vs curl"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def rusage_runs(runrss, argv, env, runs):
    """Median CPU ms and median peak RSS KB of `argv` over `runs` runs, measured by the small
    C runner (a forked Python would count its own ~15 MB as the child's peak RSS)."""
    out = subprocess.run([runrss, str(runs), *argv], env=env, capture_output=True, text=True, check=True).stdout
    fields = dict(kv.split("=") for kv in out.split())
    return float(fields["cpu_ms"]), int(fields["rss_kb"])


def hyperfine(cmds, env, runs):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        subprocess.run(["hyperfine", "-N", "--warmup", "20", "--runs", str(runs), "--export-json", f.name,
                        "--style", "none", *cmds], env=env, check=True, stdout=subprocess.DEVNULL)
        data = json.load(open(f.name))
    return [(r["mean"] * 1000, r["median"] * 1000) for r in data["results"]]


def render(rows, command):
    pinit, curl = rows
    lines = [SECTION, "",
             "Measured side by side in one run by `" + command + "`: pinit as PID 1 supervising a",
             "local HTTP server (liveness probe on it); `curl -fsS` asks the server, `pinit check` asks",
             "the supervisor for its cached verdict over the control socket.", "",
             "| | wall mean | wall median | CPU per run | peak RSS |",
             "|---|---|---|---|---|"]
    for name, r in (("pinit check", pinit), ("curl -fsS", curl)):
        lines.append(f"| {name} | {r['mean']:.2f} ms | {r['median']:.2f} ms | {r['cpu']:.2f} ms | {r['rss']:,} KB |")
    lines.append(f"| **ratio curl / pinit** | {curl['mean'] / pinit['mean']:.1f}x | "
                 f"{curl['median'] / pinit['median']:.1f}x | "
                 f"{curl['cpu'] / max(pinit['cpu'], 0.001):.1f}x | {curl['rss'] / pinit['rss']:.1f}x |")
    lines.append("")
    return "\n".join(lines) + "\n"


def write_section(doc, section):
    text = doc.read_text() if doc.exists() else "# Benchmarks\n\n"
    pat = re.compile(r"^" + re.escape(SECTION) + r"\n.*?(?=^## |\Z)", re.S | re.M)
    if pat.search(text):
        text = pat.sub(lambda m: section.rstrip("\n") + "\n\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    doc.write_text(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pinit")
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--runrss", required=True, help="the compiled tests/bench/runrss.c")
    ap.add_argument("--write", metavar="DOC")
    ap.add_argument("--check", action="store_true", help="exit 1 unless curl/pinit median >= 3")
    ap.add_argument("--command", default="tests/bench/bench.sh --write")
    a = ap.parse_args()
    a.pinit = os.path.abspath(a.pinit)

    port = free_port()
    sock = "@pinit-bench-" + uuid.uuid4().hex
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PINIT_", "TINI_"))}
    env["PINIT_CONTROL_SOCKET"] = sock
    sup_env = dict(env, PINIT_RESTART_POLICY="always", PINIT_LIVENESS_URL=f"http://127.0.0.1:{port}/",
                   PINIT_LIVENESS_INTERVAL="1s")
    with tempfile.TemporaryDirectory() as www:
        Path(www, "index.html").write_text("ok\n")
        # the supervisor runs in this PID namespace (not as PID 1 of a new one): pinit serves
        # only clients of its own PID namespace, and the client is what is measured here
        sup = subprocess.Popen([a.pinit, "--", sys.executable, "-m", "http.server", "-b", "127.0.0.1", str(port)],
                               env=sup_env, cwd=www, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
        try:
            deadline = time.monotonic() + 15
            while subprocess.run([a.pinit, "check"], env=env, capture_output=True).returncode != 0:
                if time.monotonic() > deadline:
                    raise SystemExit("the supervisor did not turn healthy")
                time.sleep(0.2)
            while subprocess.run(["curl", "-fsS", "-o", "/dev/null", f"http://127.0.0.1:{port}/"],
                                 capture_output=True).returncode != 0:
                if time.monotonic() > deadline:
                    raise SystemExit("the HTTP server did not answer")
                time.sleep(0.2)
            check = [a.pinit, "check"]
            curl = ["curl", "-fsS", "-o", "/dev/null", f"http://127.0.0.1:{port}/"]
            (pm, pmed), (cm, cmed) = hyperfine([" ".join(check), " ".join(curl)], env, a.runs)
            pcpu, prss = rusage_runs(a.runrss, check, env, min(a.runs, 100))
            ccpu, crss = rusage_runs(a.runrss, curl, env, min(a.runs, 100))
        finally:
            os.killpg(sup.pid, 9)
            sup.wait()
    rows = [dict(mean=pm, median=pmed, cpu=pcpu, rss=prss), dict(mean=cm, median=cmed, cpu=ccpu, rss=crss)]
    section = render(rows, a.command)
    print(section)
    if a.write:
        write_section(Path(a.write), section)
    if a.check and cmed / pmed < 3:
        print(f"goal missed: curl/pinit median wall ratio {cmed / pmed:.1f} < 3", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
