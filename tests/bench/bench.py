#!/usr/bin/env python3
"""PID-1 core benchmark: pinit against tini, tini-static, dumb-init and catatonit, in one
run on one machine.  Use it through bench.sh (which builds the orphans helper); see there.

Per init:
  size        stat -c %s of the binary
  memory      the init as PID 1 of a fresh PID namespace (unshare --pid --fork
              --mount-proc) while its child sleeps: /proc/PID/smaps_rollup, private
              (Private_Clean + Private_Dirty), Anonymous and Rss
  idle        voluntary + nonvoluntary context switches of that same idle init (all its
              threads) over IDLE seconds
  start       hyperfine -N --warmup 20 'INIT -- /bin/true' (all inits and a bare
              /bin/true in one hyperfine run, --export-json)
  reap        the init as PID 1 runs `orphans 2000`: 2000 orphans exit at once; wall time
              until the last one is reaped (median of R runs)
  instructions  valgrind --tool=callgrind: instructions the init's own process executes
              as PID 1 of a fresh PID and network namespace for `INIT -- /bin/true`, in a
              container-like environment (PATH, HOSTNAME, HOME); does not depend on load
Ratios are relative to tini-static.
"""
import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

UNSHARE = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]
BASE = "tini-static"


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def inits(pinit):
    """(name, path) of every init to measure; missing ones get path None."""
    out = [("pinit", pinit)]
    for name in ("tini", "tini-static", "dumb-init", "catatonit"):
        out.append((name, shutil.which(name)))
    return out


def version(name, path):
    try:
        p = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
        v = (p.stdout + p.stderr).strip().splitlines()
        return v[0] if v else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def linkage(path):
    try:
        out = subprocess.run(["file", "-L", path], capture_output=True, text=True).stdout
    except OSError:
        return "?"
    if "statically linked" in out or "static-pie" in out:
        return "static"
    if "dynamically linked" in out:
        return "dynamic"
    return "?"


# ------------------------------------------------------------------ /proc helpers

def ppid_of(pid):
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(data[data.rindex(")") + 2:].split()[1])


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit() and ppid_of(d) == pid:
            out.append(int(d))
    return out


def exe(pid):
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None


def wait_until(fn, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.01)
    raise RuntimeError(f"timed out waiting for {what}")


def ctxt(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            for line in Path(f"/proc/{pid}/task/{tid}/status").read_text().splitlines():
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def smaps_rollup(pid):
    vals = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        m = re.match(r"^(\w+):\s+(\d+) kB", line)
        if m:
            vals[m.group(1)] = int(m.group(2))
    return vals


# x86_64: calls an idle init sleeps in -> (name, timeout kind, argument index)
SLEEPS = {0: ("read", None, 0), 7: ("poll", "ms", 2), 34: ("pause", None, 0),
          61: ("wait4", None, 0), 128: ("rt_sigtimedwait", "ts", 2),
          130: ("rt_sigsuspend", None, 0), 232: ("epoll_wait", "ms", 3),
          247: ("waitid", None, 0), 270: ("pselect6", "ts", 4), 271: ("ppoll", "ts", 2),
          281: ("epoll_pwait", "ms", 3), 441: ("epoll_pwait2", "ts", 3)}


def idle_sleep(pid):
    """How long the idle init's blocking call may sleep: 'forever', '59.7 s', ... or '?'."""
    if platform.machine() != "x86_64":
        return "?"
    f = Path(f"/proc/{pid}/syscall").read_text().split()
    if not f or not f[0].isdigit() or int(f[0]) not in SLEEPS:
        return "?"
    name, kind, i = SLEEPS[int(f[0])]
    v = int(f[1 + i], 16)
    if kind is None:
        return "forever"
    if kind == "ms":
        v &= 0xffffffff
        v = v - (1 << 32) if v >= 1 << 31 else v
        return "forever" if v < 0 else f"{v / 1000:g} s"
    if v == 0:
        return "forever"
    with open(f"/proc/{pid}/mem", "rb") as m:
        m.seek(v)
        sec, nsec = struct.unpack("qq", m.read(16))
    return f"{sec + nsec / 1e9:g} s"


# ------------------------------------------------------------------ measurements

def env_for_run():
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("PINIT_") or k.startswith("TINI_"))}
    env["PINIT_CONTROL_SOCKET"] = f"@pinit-bench-{os.getpid()}"
    return env


def idle_and_memory(path, idle_s):
    """Start PATH -- sleep as PID 1; return (smaps_rollup dict, wake-ups over idle_s)."""
    real = os.path.realpath(path)
    p = subprocess.Popen(UNSHARE + [path, "--", "sleep", "1000"], env=env_for_run(),
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        init = wait_until(lambda: next((c for c in children(p.pid) if exe(c) == real), None),
                          10, f"{path} to start")
        wait_until(lambda: any((exe(c) or "").endswith("/sleep") for c in children(init)),
                   10, f"{path}'s child")
        time.sleep(0.5)
        mem = smaps_rollup(init)
        before = ctxt(init)
        time.sleep(idle_s)
        wakeups = ctxt(init) - before
        return mem, wakeups, idle_sleep(init)
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        for c in children(p.pid):
            try:
                os.kill(c, signal.SIGKILL)
            except ProcessLookupError:
                pass
        p.wait()


# what `docker run` gives a process: the image's PATH, HOSTNAME, HOME
CONTAINER_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                 "HOSTNAME": "bench", "HOME": "/root"}


def instructions(path):
    """Instructions executed by the init's own process (callgrind does not follow the
    exec of its child) as PID 1 for `INIT -- /bin/true`; None without valgrind."""
    if not shutil.which("valgrind"):
        return None
    p = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "--net", "valgrind",
                        "--tool=callgrind", "--callgrind-out-file=/dev/null", path, "--", "/bin/true"],
                       env=CONTAINER_ENV, capture_output=True, text=True, timeout=120)
    m = re.search(r"Collected : (\d+)", p.stderr)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"{path}: callgrind run failed: rc={p.returncode} {p.stderr[-300:]!r}")
    return int(m.group(1))


def reap_time(path, orphans, runs):
    times = []
    for _ in range(runs):
        p = subprocess.run(UNSHARE + [path, "--", orphans, "2000"], env=env_for_run(),
                           capture_output=True, text=True, timeout=180)
        m = re.search(r"reaped 2000 orphans in ([\d.]+) ms", p.stdout)
        if p.returncode != 0 or not m:
            raise RuntimeError(f"{path}: orphans run failed: rc={p.returncode} "
                               f"out={p.stdout!r} err={p.stderr!r}")
        times.append(float(m.group(1)))
    return statistics.median(times), min(times), max(times)


def start_overhead(paths, quick, jsonfile):
    """hyperfine over every init plus a bare /bin/true; returns {name: (mean, stddev) ms}."""
    cmds, names = [], []
    for name, path in paths:
        cmds.append(f"{path} -- /bin/true")
        names.append(name)
    cmds.append("/bin/true")
    names.append("bare /bin/true")
    args = ["hyperfine", "-N", "--style", "basic", "--export-json", jsonfile]
    args += ["--warmup", "5", "--runs", "50"] if quick else ["--warmup", "20", "--min-runs", "300"]
    for name, cmd in zip(names, cmds):
        args += ["-n", name, cmd]
    subprocess.run(args, check=True, env=env_for_run(), stdout=sys.stderr)
    res = json.loads(Path(jsonfile).read_text())["results"]
    return {r["command"]: (r["mean"] * 1e3, r["stddev"] * 1e3, r["median"] * 1e3) for r in res}


# ------------------------------------------------------------------ report

def ratio(v, base):
    if v is None or base in (None, 0):
        return ""
    return f" ({v / base:.2f}×)"


def fmt_int(n):
    return f"{n:,}"


def render(results, meta, idle_s, quick, command):
    rows = []
    base = results.get(BASE, {})
    hdr = ("| init | binary | private memory as PID 1 | start `INIT -- /bin/true` "
           "| instructions as PID 1 | reap 2000 orphans | idle wake-ups | idle sleep |")
    sep = "|---|---:|---:|---:|---:|---:|---:|---:|"
    rows += [hdr, sep]
    for name, r in results.items():
        if name.startswith("_"):
            continue
        if r.get("missing"):
            rows.append(f"| {name} | not installed | | | | | | |")
            continue
        size = f"{fmt_int(r['size'])} B{ratio(r['size'], base.get('size'))}"
        mem = r.get("mem")
        if mem:
            priv = mem.get("Private_Clean", 0) + mem.get("Private_Dirty", 0)
            bpriv = None
            if base.get("mem"):
                bpriv = base["mem"].get("Private_Clean", 0) + base["mem"].get("Private_Dirty", 0)
            anon = mem.get("Anonymous", 0)
            banon = base["mem"].get("Anonymous") if base.get("mem") else None
            memtxt = (f"private {priv} KB{ratio(priv, bpriv)}; anon {anon} KB{ratio(anon, banon)}; "
                      f"RSS {fmt_int(mem.get('Rss', 0))} KB")
        else:
            memtxt = r.get("mem_error", "?")
        st = r.get("start")
        sttxt = (f"{st[0]:.2f} ± {st[1]:.2f} ms{ratio(st[0], (base.get('start') or [None])[0])}"
                 f"; median {st[2]:.2f}" if st else "?")
        rp = r.get("reap")
        rptxt = (f"{rp[0]:.0f} ms{ratio(rp[0], (base.get('reap') or [None])[0])}"
                 if rp else r.get("reap_error", "?"))
        ins = r.get("instr")
        instxt = (f"{fmt_int(ins)}{ratio(ins, base.get('instr'))}" if ins
                  else r.get("instr_error", "no valgrind"))
        idle = r.get("idle")
        rows.append(f"| {name} | {size} | {memtxt} | {sttxt} | {instxt} | {rptxt} | "
                    f"{idle if idle is not None else '?'} | {r.get('sleep', '?')} |")
    bare = results.get("_bare")
    lines = [
        "## PID 1 core",
        "",
        f"Measured {meta['date']} on {meta['machine']}, load average {meta['load']} at the start"
        + (" — **quick mode** (fewer runs, not for quoting)" if quick else "") + ".",
        "",
        *rows,
        "",
        f"Ratios are relative to tini-static. Bare `/bin/true`: "
        f"{bare[0]:.2f} ± {bare[1]:.2f} ms." if bare else "Ratios are relative to tini-static.",
        "",
        "- **binary**: `stat -c %s`.",
        "- **private memory**: the init as PID 1 of a fresh PID namespace "
        "(`unshare --pid --fork --mount-proc INIT -- sleep 1000`) while its child sleeps; "
        "`/proc/PID/smaps_rollup`: private = Private_Clean + Private_Dirty (for a static binary "
        "this includes its own text), anon = Anonymous (heap, stack, touched .bss: what each "
        "further container costs), and Rss.",
        f"- **start**: `hyperfine -N --warmup {5 if quick else 20} 'INIT -- /bin/true'` "
        "(mean ± σ, ratio of the means, and the median; the init is *not* PID 1 here, "
        "as the anchors' figures were taken).",
        "- **instructions**: `valgrind --tool=callgrind` counts what the init's own process "
        "executes as PID 1 (`unshare --pid --fork --mount-proc --net valgrind --tool=callgrind "
        "INIT -- /bin/true`; callgrind does not follow the child's exec) in a container-like "
        "environment (PATH, HOSTNAME, HOME only): deterministic, independent of the load.",
        f"- **reap**: the init as PID 1 runs `tests/bench/orphans.c`: 2000 orphans exit at "
        f"the same moment; time until /proc lists none of them (median of "
        f"{meta['reap_runs']} runs).",
        f"- **idle wake-ups**: voluntary + nonvoluntary context switches of the idle PID 1 "
        f"(all threads) over {idle_s:g} s; **idle sleep**: the timeout of the call the idle "
        "init blocks in (`/proc/PID/syscall`): how long it can stay asleep at most.",
        "",
        "Binaries: " + "; ".join(f"{n} `{p}` ({v}, {l})" for n, p, v, l in meta["bins"]) + ".",
        "",
        "Reproduce:",
        "",
        "```sh",
        command,
        "```",
        "",
    ]
    return "\n".join(lines)


def write_section(doc, section):
    """Replace the '## PID 1 core' section of doc (or add it)."""
    text = doc.read_text() if doc.exists() else "# Benchmarks\n\n"
    pat = re.compile(r"^## PID 1 core\n.*?(?=^## |\Z)", re.S | re.M)
    if pat.search(text):
        text = pat.sub(lambda m: section.rstrip("\n") + "\n\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text.rstrip("\n") + "\n")


def check_goals(results):
    """The issue's goals for pinit: start and private memory no worse than tini-static's,
    zero idle wake-ups.  Returns a list of (ok, text)."""
    p, b = results.get("pinit", {}), results.get(BASE, {})
    out = [(p.get("idle") == 0, f"idle wake-ups {p.get('idle')} == 0"),
           (p.get("sleep") == "forever", f"idle sleep {p.get('sleep')} is forever")]
    if p.get("start") and b.get("start"):
        out.append((p["start"][0] <= b["start"][0] * 1.05,
                    f"start {p['start'][0]:.2f} ms <= tini-static {b['start'][0]:.2f} ms (+5%)"))
    if p.get("mem") and b.get("mem"):
        pp = p["mem"].get("Private_Clean", 0) + p["mem"].get("Private_Dirty", 0)
        bp = b["mem"].get("Private_Clean", 0) + b["mem"].get("Private_Dirty", 0)
        out.append((pp <= bp, f"private memory {pp} KB <= tini-static {bp} KB"))
        pa, ba = p["mem"].get("Anonymous", 0), b["mem"].get("Anonymous", 0)
        out.append((pa <= ba, f"anonymous memory {pa} KB <= tini-static {ba} KB"))
    if p.get("instr") and b.get("instr"):
        out.append((p["instr"] <= b["instr"], f"instructions {p['instr']} <= tini-static {b['instr']}"))
    if p.get("size") and b.get("size"):
        out.append((p["size"] <= b["size"], f"size {p['size']} B <= tini-static {b['size']} B"))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pinit")
    ap.add_argument("--orphans", required=True, help="the compiled orphans helper")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--write", metavar="DOC", help="update the 'PID 1 core' section of DOC")
    ap.add_argument("--check", action="store_true", help="exit 1 unless pinit meets the goals")
    ap.add_argument("--command", default="tests/bench/bench.sh")
    a = ap.parse_args()

    load_before = Path("/proc/loadavg").read_text().split()[0]
    idle_s = 2.0 if a.quick else 5.0
    reap_runs = 3 if a.quick else 9
    paths = inits(os.path.abspath(a.pinit))
    present = [(n, p) for n, p in paths if p]
    results, failed = {}, False
    for name, path in paths:
        results[name] = {"missing": True} if not path else {"size": os.stat(path).st_size}

    for name, path in present:
        log(f"{name}: memory and idle wake-ups ({idle_s:g} s)")
        try:
            mem, idle, sleep = idle_and_memory(path, idle_s)
            results[name].update(mem=mem, idle=idle, sleep=sleep)
        except (RuntimeError, OSError) as e:
            results[name]["mem_error"] = str(e)
            failed = True
            log(f"{name}: {e}")
        log(f"{name}: instructions as PID 1 (callgrind)")
        try:
            results[name]["instr"] = instructions(path)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
            results[name]["instr_error"] = "failed"
            failed = True
            log(f"{name}: {e}")
        log(f"{name}: reaping 2000 orphans x{reap_runs}")
        try:
            results[name]["reap"] = reap_time(path, a.orphans, reap_runs)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
            results[name]["reap_error"] = "failed"
            failed = True
            log(f"{name}: {e}")

    log("start overhead (hyperfine)")
    with tempfile.TemporaryDirectory() as td:
        st = start_overhead(present, a.quick, os.path.join(td, "hyperfine.json"))
    for name, _ in present:
        results[name]["start"] = st.get(name)
    results["_bare"] = st.get("bare /bin/true")

    meta = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} cores ({cpu_model()}), Linux {platform.release()}",
        "bins": [(n, p, version(n, p), linkage(p)) for n, p in present],
        "reap_runs": reap_runs,
        "load": load_before,
    }
    section = render(results, meta, idle_s, a.quick, a.command)
    print(section)
    if a.write:
        write_section(Path(a.write), section)
        log(f"wrote {a.write}")
    if a.check:
        bad = False
        for ok, text in check_goals(results):
            print(f"{'PASS' if ok else 'FAIL'}: {text}")
            bad |= not ok
        if bad:
            return 1
    return 1 if failed else 0


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


if __name__ == "__main__":
    sys.exit(main())
