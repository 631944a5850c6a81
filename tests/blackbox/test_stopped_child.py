"""A main child stopped by SIGSTOP is continued after the stop signal, so a clean stop stays
clean without -g; while it is stopped, status and check say so (issue 9, item 11)."""
import json
import os
import signal
import subprocess
import time
import uuid

from conftest import PINIT, SLOW, in_ns, pinit_env, proc_stat, start_pid1, wait_for


def client(r, sock, *args):
    """`pinit ARGS` from inside r's PID namespace, as `docker exec` runs it."""
    e = pinit_env(socket=False)
    e["PINIT_CONTROL_SOCKET"] = sock
    return subprocess.run(in_ns(r) + [PINIT, *args], env=e, capture_output=True, text=True, timeout=10 * SLOW)


def test_sigstopped_child_is_continued_on_stop_and_exits_cleanly(tmp_path):
    sock = "@pinit-test-" + uuid.uuid4().hex
    # a child that exits 0 on SIGTERM: the stop is clean only if it gets to run its handler
    script = "trap 'exit 0' TERM; while :; do sleep 0.1; done"
    r = start_pid1(["--", "sh", "-c", script], env={"PINIT_CONTROL_SOCKET": sock, "PINIT_STOP_TIMEOUT": "8s"})
    child = r.child()
    wait_for(lambda: client(r, sock, "status").returncode == 0, 10, what="the supervisor")
    os.kill(child, signal.SIGSTOP)
    wait_for(lambda: (proc_stat(child) or ("", ""))[1] == "T", 5, what="the child to stop")

    out = client(r, sock, "status")
    assert "stopped by a signal" in out.stdout and "healthy" not in out.stdout, out.stdout
    st = json.loads(client(r, sock, "status", "--json").stdout)
    assert st["stopped"] is True and st["healthy"] is False, st
    chk = client(r, sock, "check")
    assert chk.returncode == 1 and "stopped" in chk.stdout + chk.stderr, chk

    t0 = time.monotonic()
    r.signal(signal.SIGTERM)
    rc = r.wait(20)
    assert rc == 0, (rc, r.stderr)  # not 137 after the whole stop timeout
    assert time.monotonic() - t0 < 4 * SLOW, r.stderr
    assert "SIGKILL" not in r.stderr, r.stderr
