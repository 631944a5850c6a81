"""What `pinit check` and `pinit check --ready` answer while pinit waits, backs off, restarts
or has given up (issue 13): an orchestrator's healthcheck must fail only when pinit itself
cannot bring the service back, and the reason line must still tell a person the truth."""
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request

from conftest import SLOW, free_port, wait_for
from test_supervise import HTTP_CHILD, client, start, state_of, status_json


def verdict(r, *args):
    out = client(r, "check", *args)
    return out.returncode, out.stdout.strip()


def http(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_waiting_for_a_dependency_is_healthy_but_not_ready():
    port, dead = free_port(), free_port()
    r = start(["--", "sleep", "600"],
              env={"PINIT_WAIT": f"tcp://127.0.0.1:{dead}", "PINIT_WAIT_TIMEOUT": "60s",
                   "PINIT_HTTP_LISTEN": f"127.0.0.1:{port}"})
    wait_for(lambda: state_of(r) == "waiting", 10 * SLOW, interval=0.1, what="waiting")
    code, why = verdict(r)
    assert code == 0 and why.startswith("healthy (waiting): sleep not started, deps waiting:"), why
    code, why = verdict(r, "--ready")
    assert code == 1 and why.startswith("not ready (waiting): sleep not started"), why
    assert http(port, "/health/live")[0] == 200
    status, body = http(port, "/health/ready")
    assert status == 503 and body["reason"].startswith("not ready (waiting)"), body
    r.signal(signal.SIGTERM)
    assert r.wait(10) == 143


def test_backoff_inside_the_budget_is_healthy_and_says_restarting():
    r = start(["--", "sh", "-c", "exit 3"],
              env={"PINIT_RESTART_POLICY": "always", "PINIT_RESTART_DELAY_MIN": "30s",
                   "PINIT_RESTART_DELAY_MAX": "30s"})
    wait_for(lambda: state_of(r) == "backoff", 10 * SLOW, interval=0.1, what="backoff")
    code, why = verdict(r)
    assert code == 0 and why.startswith("healthy (restarting): sh restart in ") and "after exit 3" in why, why
    assert "of 2m budget" in why, why
    code, why = verdict(r, "--ready")
    assert code == 1 and why.startswith("not ready (restarting): sh restart in "), why
    # the human line still says what happens
    assert "sh: backoff, restart in" in client(r, "status").stdout
    r.signal(signal.SIGTERM)
    assert r.wait(10) == 3


def test_restart_in_progress_is_healthy_then_the_new_child_is_ready(tmp_path):
    # the child ignores SIGTERM, so pinit's restart stays in STOPPING until stop.timeout
    r = start(["--", "sh", "-c", "trap '' TERM; sleep 600 & wait; wait"],
              env={"PINIT_RESTART_POLICY": "always", "PINIT_STOP_TIMEOUT": "6s"})
    wait_for(lambda: verdict(r, "--ready")[0] == 0, 10 * SLOW, interval=0.1, what="ready")
    first = status_json(r)["pid"]
    assert client(r, "restart").returncode == 0
    wait_for(lambda: state_of(r) == "stopping", 5 * SLOW, interval=0.05, what="stopping")
    seen = []
    t0 = time.monotonic()
    while time.monotonic() - t0 < 20 * SLOW:
        code, why = verdict(r)
        seen.append((code, why))
        assert code == 0, seen
        st = status_json(r)
        if st["state"] == "up" and st["pid"] != first:
            break
        time.sleep(0.2)
    assert any(w.startswith("healthy (restarting): sh pid ") and "stopping after restart request" in w
               for _, w in seen), seen
    code, why = verdict(r, "--ready")
    assert code == 0 and why.startswith("ready: sh pid "), why
    r.signal(signal.SIGKILL)


def test_given_up_is_unhealthy():
    r = start(["--", "sh", "-c", "exit 5"],
              env={"PINIT_RESTART_POLICY": "always", "PINIT_RESTART_MAX_RESTARTS": "1",
                   "PINIT_RESTART_ON_GIVE_UP": "stay"})
    wait_for(lambda: state_of(r) == "failed", 10 * SLOW, interval=0.1, what="failed")
    assert verdict(r) == (1, "unhealthy: sh gave up after 1 restarts")
    assert verdict(r, "--ready") == (1, "not ready: sh gave up after 1 restarts")
    r.signal(signal.SIGTERM)
    assert r.wait(10) == 5


def test_stopped_child_is_healthy_while_liveness_will_restart_it(tmp_path):
    # SIGSTOP (a hang): with a liveness probe pinit restarts the child itself, so the
    # orchestrator must not kill the container meanwhile; without one, see test_stopped_child
    port = free_port()
    r = start(["--", sys.executable, "-c", HTTP_CHILD, str(port)], cwd=tmp_path,
              env={"PINIT_RESTART_POLICY": "always", "PINIT_LIVENESS_URL": f"http://127.0.0.1:{port}/",
                   "PINIT_LIVENESS_INTERVAL": "1s", "PINIT_LIVENESS_TIMEOUT": "500ms",
                   "PINIT_LIVENESS_FAILURE_THRESHOLD": "4", "PINIT_STOP_TIMEOUT": "1s"})
    wait_for(lambda: verdict(r, "--ready")[0] == 0, 10 * SLOW, interval=0.1, what="ready")
    first = status_json(r)["pid"]
    os.kill(r.child(exe="python3"), signal.SIGSTOP)
    wait_for(lambda: verdict(r)[1].startswith("healthy (stopped): "), 5 * SLOW, interval=0.05, what="stopped")
    code, why = verdict(r)
    assert code == 0 and "is stopped by a signal, liveness restarts it" in why, why
    assert verdict(r, "--ready")[0] == 1
    wait_for(lambda: status_json(r)["pid"] not in (0, first) and verdict(r, "--ready")[0] == 0, 20 * SLOW,
             interval=0.1, what="a new child, ready")
    assert status_json(r)["restarts_by_reason"]["health"] == 1
    r.signal(signal.SIGKILL)
