"""Reaping: as PID 1 every zombie of the namespace, and when not PID 1 (child subreaper)
every orphan of its subtree."""
import re
import time

import pytest

from conftest import (PYTHON, SLOW, SOURCE_DIR, describe, run_pid1, run_sub,
                      start_pid1, wait_for, descendants, proc_stat)

pytestmark = pytest.mark.usefixtures("pinit_bin")


def census(text):
    """zcheck.py output -> list of (pid, ppid, state, comm)."""
    out = []
    for line in text.splitlines():
        f = line.split(None, 3)
        if len(f) == 4 and f[0].isdigit():
            out.append((int(f[0]), int(f[1]), f[2], f[3]))
    return out


def test_100_staggered_orphans_all_reaped(helpers):
    # a subshell starts 100 sleeps of 10 ms .. 1 s and exits: they become orphans of PID 1
    sleeps = " ".join(f"sleep {i / 100:.2f} &" for i in range(1, 101))
    script = (f"( {sleeps} ); sleep {0.3 * SLOW}; {PYTHON} {helpers.zcheck} > mid.txt; "
              f"sleep {1.2 * SLOW}; exec {PYTHON} {helpers.zcheck}")
    r = run_pid1(["--", "sh", "-c", script], cwd=helpers.dir, timeout=60)
    mid = census((helpers.dir / "mid.txt").read_text())
    orphans = [p for p in mid if p[3] == "sleep" and p[1] == 1]
    assert orphans, f"test broken: no sleep was an orphan of PID 1 at 0.3 s: {mid}"
    after = census(r.stdout)
    assert r.returncode == 0, f"zombies left: {[p for p in after if p[2] == 'Z']} {describe(r)}"
    assert not [p for p in after if p[3] == "sleep"], f"sleeps left: {after}"


def test_2000_orphans_exiting_at_once(helpers):
    orphans = SOURCE_DIR / "tests" / "bench" / "orphans.py"
    r = run_pid1(["--", PYTHON, str(orphans), "2000"], timeout=120,
                 env={"ORPHANS_TIMEOUT": str(30 * SLOW)})
    assert r.returncode == 0, describe(r)
    assert re.match(r"reaped 2000 orphans in [\d.]+ ms", r.stdout), describe(r)


def test_2000_orphans_not_pid1(helpers):
    orphans = SOURCE_DIR / "tests" / "bench" / "orphans.py"
    r = run_sub(["--", PYTHON, str(orphans), "2000"], timeout=120,
                env={"ORPHANS_TIMEOUT": str(30 * SLOW)})
    assert r.returncode == 0, describe(r)


SUBREAPER_CHILD = r'''
import os, sys, time
pinit = os.getppid()
r, w = os.pipe()
mid = os.fork()
if mid == 0:
    g = os.fork()
    if g == 0:
        os.close(r)
        os.write(w, b"%d\n" % os.getpid())
        time.sleep(0.6)
        os._exit(0)
    os._exit(0)
os.close(w)
os.waitpid(mid, 0)
grand = int(os.read(r, 64))
time.sleep(0.2)
def stat(pid):
    try:
        data = open(f"/proc/{pid}/stat").read()
    except OSError:
        return None
    f = data[data.rindex(")") + 2:].split()
    return f[0], int(f[1])
st = stat(grand)
print("orphan", grand, "state", st and st[0], "ppid", st and st[1], "pinit", pinit)
time.sleep(0.6 + 1.0)
zombies = []
for d in os.listdir("/proc"):
    if d.isdigit():
        s = stat(d)
        if s and s[0] == "Z":
            zombies.append((d, s))
print("after", "orphan", stat(grand), "zombies", zombies)
sys.exit(0 if (st and st[1] == pinit and stat(grand) is None and not zombies) else 1)
'''


@pytest.mark.parametrize("how", ["auto", "-s", "TINI_SUBREAPER"])
def test_subreaper_when_not_pid1(how, tmp_path):
    """pinit as pid 2 (not PID 1): a grandchild orphaned by its parent is reparented to
    pinit (PPid = pinit) and reaped by it (no Z under pinit)."""
    script = tmp_path / "sub.py"
    script.write_text(SUBREAPER_CHILD)
    opts = ["-s"] if how == "-s" else []
    env = {"TINI_SUBREAPER": "1"} if how == "TINI_SUBREAPER" else {}
    r = run_sub(opts + ["--", PYTHON, str(script)], env=env, timeout=30)
    assert r.returncode == 0, describe(r)
    if how == "auto":
        assert r.stderr == "", f"not PID 1 must be quiet: {describe(r)}"


def test_no_zombie_after_backgrounded_grandchild_exits(helpers):
    # sh -c 'sleep 0.2 &' exits at once; its sleep, an orphan of PID 1, exits 0.2 s later
    script = (f"sh -c 'sleep 0.2 &'; sleep {1.2 * SLOW}; exec {PYTHON} {helpers.zcheck}")
    r = run_pid1(["--", "sh", "-c", script], cwd=helpers.dir)
    assert r.returncode == 0, f"zombies: {describe(r)}"


def _under(pinit, comm=None, state=None):
    out = []
    for p in descendants(pinit):
        st = proc_stat(p)
        if st and (comm is None or st[0] == comm) and (state is None or st[1] == state):
            out.append((p, st))
    return out


def test_no_zombie_seen_from_outside(helpers):
    """The same, checked from the host: no Z below pinit 1 s after the grandchild exits."""
    r = start_pid1(["--", "sh", "-c", "sh -c 'sleep 0.3 &'; sleep 30"])
    pinit = r.pinit
    wait_for(lambda: [x for x in _under(pinit, "sleep") if x[1][2] == pinit], 5,
             what="the orphaned sleep under pinit")
    wait_for(lambda: not [x for x in _under(pinit, "sleep") if x[1][2] == pinit], 5,
             what="the orphaned sleep to exit")
    time.sleep(1.0)
    zs = _under(pinit, state="Z")
    assert not zs, f"zombies under pinit 1 s after the orphan exited: {zs}"


def test_w_logs_each_reaped_orphan(helpers):
    script = "sh -c 'sleep 0.1 & echo $!'; sleep 0.6"
    r = run_pid1(["-w", "--", "sh", "-c", script], cwd=helpers.dir)
    assert r.returncode == 0, describe(r)
    orphan = r.stdout.strip()
    assert orphan.isdigit(), describe(r)
    lines = [l for l in r.stderr.splitlines() if re.search(rf"\b{orphan}\b", l)]
    assert lines, f"-w: no line about reaped orphan {orphan}: {describe(r)}"
    assert all(l.startswith("pinit: ") for l in lines), describe(r)
    # and without -w, nothing
    r = run_pid1(["--", "sh", "-c", script], cwd=helpers.dir)
    assert r.returncode == 0 and r.stderr == "", describe(r)
