"""Deadlines run on CLOCK_MONOTONIC; the wall clock is for display only (issue 9, item 1).

The wall clock of a running pinit is stepped by tests/shim/clockstep.c, an LD_PRELOAD shim
built by CMake for dynamic builds (PINIT_CLOCKSTEP_SHIM, set by ctest): it adds the seconds
written in CLOCKSTEP_FILE to clock_gettime(CLOCK_REALTIME), gettimeofday(), time() and timespec_get(), as an
NTP step, `date -s` or a VM resume would.  A static binary ignores LD_PRELOAD, so this test
runs in the dynamic (ASan) suite and is skipped against the static build."""
import os
import re
import subprocess
import time
import uuid

import pytest

from conftest import PINIT, SANITIZE, SLOW, in_ns, pinit_env, start_pid1, wait_for

SHIM = os.environ.get("PINIT_CLOCKSTEP_SHIM")


def _static(path):
    out = subprocess.run(["file", "-L", path], capture_output=True, text=True).stdout
    return "statically linked" in out or "static-pie" in out


needs_shim = pytest.mark.skipif(
    not SHIM or not os.path.exists(SHIM) or not PINIT or _static(PINIT),
    reason="needs a dynamic pinit and the clockstep shim (PINIT_CLOCKSTEP_SHIM)")


def status(r, sock):
    """`pinit status` from inside r's PID namespace (pinit serves only its own namespace)."""
    e = pinit_env(socket=False)
    e["PINIT_CONTROL_SOCKET"] = sock
    return subprocess.run(in_ns(r) + [PINIT, "status"], env=e, capture_output=True, text=True, timeout=10 * SLOW)


def count(path):
    try:
        return len(path.read_text().split())
    except FileNotFoundError:
        return 0


@needs_shim
def test_wall_clock_steps_do_not_delay_or_stop_restarts(tmp_path):
    offset = tmp_path / "offset"
    offset.write_text("0")
    spawns = tmp_path / "spawns"
    sock = "@pinit-test-" + uuid.uuid4().hex
    env = {"LD_PRELOAD": SHIM, "CLOCKSTEP_FILE": str(offset), "PINIT_CONTROL_SOCKET": sock,
           "PINIT_RESTART_POLICY": "always", "PINIT_RESTART_DELAY_MIN": "1s",
           "PINIT_RESTART_DELAY_MAX": "1s"}
    if SANITIZE:  # the shim is preloaded ahead of the sanitizer runtime
        env["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
    r = start_pid1(["--", "sh", "-c", f"echo x >> {spawns}; exit 1"], env=env)
    wait_for(lambda: count(spawns) >= 2, 15, interval=0.05, what="the crash loop to start")

    # back by seconds (an NTP step), forward by an hour, back by that hour (a VM resume
    # followed by a correction): one restart a second must go on through each of them
    for step in ("-2", "-5", "3600", "0"):
        offset.write_text(step)
        n, t0 = count(spawns), time.monotonic()
        seen = []
        while count(spawns) < n + 3:
            out = status(r, sock)
            assert out.returncode in (0, 3), out  # the supervisor answers, whatever the clock
            m = re.search(r"restart in (-?\d+)([smhd])", out.stdout)
            if m:
                seen.append(m.group(0))
                assert m.group(2) == "s" and 0 <= int(m.group(1)) <= 2, \
                    f"after a wall-clock step to {step}s: {out.stdout!r}"
            if time.monotonic() - t0 > 12 * SLOW:
                pytest.fail(f"after a wall-clock step to {step}s: {count(spawns) - n} restarts in "
                            f"{12 * SLOW:.0f}s (want 3, one a second); status said {seen[-3:]}; "
                            f"stderr so far unavailable while running")
            time.sleep(0.1)
    r.signal(15)
    assert r.wait(15) == 1
    assert "restart in -" not in r.stderr


@needs_shim
def test_shim_steps_the_wall_clock_of_a_child(tmp_path):
    """The shim itself works (else the test above proves nothing): `date +%s` moves by the
    offset, and a monotonic timer does not."""
    offset = tmp_path / "offset"
    offset.write_text("3600")
    env = dict(os.environ, LD_PRELOAD=SHIM, CLOCKSTEP_FILE=str(offset))
    shifted = int(subprocess.run(["date", "+%s"], env=env, capture_output=True, text=True).stdout)
    assert abs(shifted - (time.time() + 3600)) < 5
    offset.write_text("-2")
    out = subprocess.run(["python3", "-c", "import time; print(time.time())"], env=env,
                         capture_output=True, text=True).stdout
    assert abs(float(out) - (time.time() - 2)) < 1
