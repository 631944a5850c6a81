"""The sockets of pinit as PID 1 against a hostile neighbour (issue 9 items 4-8): a control
socket unique to the container and served only inside its PID namespace, a notify socket
that only the child's tree may use, and no unprivileged client, silent-connection flood or
descriptor shortage that can keep root's healthcheck or a real HTTP probe from an answer.

Clients that must be "in the container" run through nsenter into pinit's PID and mount
namespaces (as `docker exec` does); the network namespace is the host's, shared by every
pinit of this file, as the containers of a Kubernetes pod share one."""
import json
import os
import resource
import select
import socket
import subprocess
import threading
import time
import uuid

from conftest import PINIT, SLOW, free_port, in_ns, pinit_env, start_pid1, wait_for

NOBODY = 65534


def start(args, env=None, sock=True, **kw):
    """pinit ARGS as PID 1; r.socket is its control socket name, or None for the default."""
    e = dict(env or {})
    r_sock = None
    if sock:
        r_sock = "@pinit-test-" + uuid.uuid4().hex
        e["PINIT_CONTROL_SOCKET"] = r_sock
    r = start_pid1(args, env=e, socket=False, **kw)
    r.socket = r_sock
    return r


def client(r, *args, uid=None, timeout=10):
    """`pinit ARGS` inside r's namespaces (as `docker exec`), as uid if given; no
    configuration beyond r's own socket name (none at all for the default)."""
    e = pinit_env(socket=False)
    if r.socket:
        e["PINIT_CONTROL_SOCKET"] = r.socket
    return subprocess.run(in_ns(r, uid) + [PINIT, *args], env=e, capture_output=True, text=True,
                          timeout=timeout * SLOW)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- item 4: one socket per container

def test_default_socket_is_per_container_in_a_shared_network_namespace():
    a = start(["--", "sleep", "600"], sock=False, env={"PINIT_RESTART_POLICY": "always"})
    wait_for(lambda: client(a, "status").stdout.startswith("sleep: up"), 10, interval=0.1, what="A up")
    b = start(["--", "tail", "-f", "/dev/null"], sock=False, env={"PINIT_RESTART_POLICY": "always"})
    wait_for(lambda: client(b, "status").returncode == 0, 10, interval=0.1, what="B up")
    # each container's own client, without configuration, reaches its own supervisor
    assert client(a, "status").stdout.startswith("sleep: up"), client(a, "status")
    assert client(b, "status").stdout.startswith("tail: up"), client(b, "status")
    assert client(b, "check").returncode == 0
    # `pinit stop` in B stops B, never A (the client may die with B's namespace: -9)
    assert client(b, "stop").returncode in (0, -9)
    assert b.wait(20) in (0, 143)
    assert a.p.poll() is None and client(a, "check").returncode == 0
    assert "cannot listen" not in b.stderr, b.stderr


def test_peers_outside_the_pid_namespace_are_refused():
    r = start(["--", "sleep", "600"], env={"PINIT_RESTART_POLICY": "always"})
    wait_for(lambda: client(r, "check").returncode == 0, 10, interval=0.1, what="healthy")
    # the same socket name from another PID namespace (here the host's): refused
    e = pinit_env(socket=False)
    e["PINIT_CONTROL_SOCKET"] = r.socket
    out = subprocess.run([PINIT, "check"], env=e, capture_output=True, text=True, timeout=10 * SLOW)
    assert out.returncode == 1 and "outside pinit's PID namespace" in out.stdout, out
    status = subprocess.run([PINIT, "status"], env=e, capture_output=True, text=True, timeout=10 * SLOW)
    assert status.returncode == 4 and "outside pinit's PID namespace" in status.stderr, status  # contract: 0/3/4
    stop = subprocess.run([PINIT, "stop"], env=e, capture_output=True, text=True, timeout=10 * SLOW)
    assert stop.returncode != 0 and "outside pinit's PID namespace" in stop.stderr, stop
    time.sleep(0.5)
    assert r.p.poll() is None and client(r, "check").returncode == 0


def test_a_taken_socket_name_fails_loudly_before_anything_starts(tmp_path):
    name = "@pinit-test-" + uuid.uuid4().hex
    holder = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    holder.bind("\0" + name[1:])
    holder.listen(1)
    try:
        marker = tmp_path / "started"
        r = start_pid1(["--", "touch", str(marker)], env={"PINIT_CONTROL_SOCKET": name})
        assert r.wait(20) == 78
        assert "control.socket: cannot listen on " + name in r.stderr, r.stderr
        assert not marker.exists()
    finally:
        holder.close()


# ---------------------------------------------------------------- item 5: the notify socket

NOTIFY_CHILD = r"""
import os, subprocess, sys, time
go = sys.argv[1]
while not os.path.exists(go):
    time.sleep(0.05)
subprocess.run([sys.executable, "-c", sys.argv[2]])  # a grandchild speaks for the child
time.sleep(600)
"""

# STATUS= with terminal escapes and a byte that is not UTF-8
GRANDCHILD = r"""
import os, socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"READY=1\nSTATUS=\x1b]0;owned\x07\x1b[2Jok \xff caf\xc3\xa9", "\0" + os.environ["NOTIFY_SOCKET"][1:])
time.sleep(3)  # a sender already gone when pinit reads is dropped (docs/security.md), as in systemd
"""

FOREIGN_SENDER = r"""
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"READY=1\nSTATUS=forged", "\0" + sys.argv[1][1:])
"""


def notify_socket_of(pid):
    env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
    return next(v.split(b"=", 1)[1].decode() for v in env if v.startswith(b"NOTIFY_SOCKET="))


def test_notify_socket_accepts_only_the_childs_tree_and_sanitizes_status(tmp_path):
    go = tmp_path / "go"
    r = start(["--", "/usr/bin/python3", "-c", NOTIFY_CHILD, str(go), GRANDCHILD],
              env={"PINIT_NOTIFY_SOCKET": "1", "PINIT_RESTART_POLICY": "always"})
    child = r.child(exe="python3")
    name = notify_socket_of(child)
    assert name.startswith("@") and name != "@pinit-notify-1-0", name
    wait_for(lambda: client(r, "status").returncode == 0, 10, interval=0.1, what="status")
    # another uid, and root outside the child's tree: both ignored
    for uid in (NOBODY, None):
        subprocess.run(in_ns(r, uid) + ["/usr/bin/python3", "-c", FOREIGN_SENDER, name], check=True, timeout=10 * SLOW)
    time.sleep(0.5)
    assert client(r, "check", "--ready").returncode == 1
    assert "forged" not in client(r, "status").stdout
    go.touch()
    wait_for(lambda: client(r, "check", "--ready").returncode == 0, 10, interval=0.1, what="READY=1")
    line = client(r, "status")
    assert "\x1b" not in line.stdout and "\x07" not in line.stdout, repr(line.stdout)
    assert 'status "?]0;owned??[2Jok ? caf\u00e9"' in line.stdout, repr(line.stdout)
    js = client(r, "status", "--json")
    msg = json.loads(js.stdout)["message"]  # valid JSON whatever the child sent
    assert msg == "?]0;owned??[2Jok ? caf\u00e9", repr(msg)  # the same text as the human line


FLOOD_CHILD = r"""
import os, socket, sys
addr = "\0" + os.environ["NOTIFY_SOCKET"][1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for i in range(int(sys.argv[1])):
    s.sendto(b"READY=1", addr)
open(sys.argv[2], "w").close()
os.execvp("sleep", ["sleep", "600"])
"""


def test_a_flood_of_ready_gives_one_log_line(tmp_path):
    done = tmp_path / "done"
    r = start(["--", "/usr/bin/python3", "-c", FLOOD_CHILD, "20000", str(done)],
              env={"PINIT_NOTIFY_SOCKET": "1", "PINIT_RESTART_POLICY": "always"})
    wait_for(done.exists, 60, interval=0.1, what="20000 datagrams sent")
    wait_for(lambda: client(r, "check", "--ready").returncode == 0, 10, interval=0.1, what="ready")
    time.sleep(0.5)
    r.signal(15)
    r.wait(20)
    lines = [ln for ln in r.stderr.splitlines() if "says it is ready" in ln]
    assert len(lines) == 1, f"{len(lines)} lines, e.g. {lines[:3]}"


# ---------------------------------------------------------------- item 6: control socket DoS

HOLDER = r"""
import os, socket, sys, time
addr = "\0" + os.environ["PINIT_CONTROL_SOCKET"][1:]
want, seconds, ready = int(sys.argv[1]), float(sys.argv[2]), True
socks, opened = [], 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    alive = []
    for s in socks:  # the server closed it (a busy reply, or EOF): open another
        try:
            if s.recv(100, socket.MSG_DONTWAIT) is not None:
                s.close()
                continue
        except BlockingIOError:
            alive.append(s)
        except OSError:
            s.close()
    socks = alive
    while len(socks) < want:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(addr)
        except OSError:
            s.close()
            break
        socks.append(s)
        opened += 1
    if ready and opened >= want:
        print("holding", flush=True)
        ready = False
    time.sleep(0.005)
print(opened)
"""


def hold(r, uid, want, seconds):
    """Start a client that keeps `want` silent connections open for `seconds` (reopening the
    ones the server closes); returns once it holds them all."""
    e = pinit_env(socket=False)
    e["PINIT_CONTROL_SOCKET"] = r.socket
    h = subprocess.Popen(in_ns(r, uid) + ["/usr/bin/python3", "-c", HOLDER, str(want), str(seconds)],
                         env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    r, _, _ = select.select([h.stdout], [], [], 10 * SLOW)
    assert r and h.stdout.readline() == "holding\n", f"the holder did not get {want} connections"
    return h


def test_root_check_succeeds_while_an_unprivileged_user_holds_connections(tmp_path):
    r = start(["--", "sleep", "600"], env={"PINIT_RESTART_POLICY": "always"})
    wait_for(lambda: client(r, "check").returncode == 0, 10, interval=0.1, what="healthy")
    h = hold(r, NOBODY, 100, 12 * SLOW)
    try:
        time.sleep(0.5)
        results = [client(r, "check") for _ in range(10)]
        bad = [x for x in results if x.returncode != 0]
        assert not bad, f"{len(bad)} of 10 root checks failed: {bad[0].stdout!r}"
        # nobody's own read-only requests still work too, within its share
        assert client(r, "status", uid=NOBODY).returncode in (0, 4)
    finally:
        h.kill()
        h.communicate()
    assert client(r, "check").returncode == 0


# ---------------------------------------------------------------- item 7: HTTP under churn

def test_http_probes_answered_under_silent_connection_churn():
    port = free_port()
    r = start(["--", "sleep", "600"], env={"PINIT_HTTP_LISTEN": f"127.0.0.1:{port}"})

    def get_live():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=3 * SLOW) as s:
                s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
                data = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            return data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.1 ") else "none"
        except OSError as e:
            return type(e).__name__

    wait_for(lambda: get_live() == "200", 10, interval=0.05, what="the endpoint")
    stop, opened = threading.Event(), [0]

    def churn():  # about 600 silent connections a second, each held for a second
        held = []
        while not stop.is_set():
            t0 = time.monotonic()
            for _ in range(30):
                try:
                    s = socket.socket()
                    s.setblocking(False)
                    s.connect_ex(("127.0.0.1", port))
                    held.append((t0, s))
                    opened[0] += 1
                except OSError:
                    pass
            while held and held[0][0] < t0 - 1:
                held.pop(0)[1].close()
            time.sleep(max(0.0, 0.05 - (time.monotonic() - t0)))
        for _, s in held:
            s.close()

    t = threading.Thread(target=churn)
    t.start()
    try:
        time.sleep(1)
        t0 = time.monotonic()
        codes = []
        for _ in range(30):
            codes.append(get_live())
            time.sleep(0.1)
        rate = opened[0] / (time.monotonic() - t0 + 1)
    finally:
        stop.set()
        t.join()
    print(f"\n{codes.count('200')} of 30 probes answered 200 with {rate:.0f} silent connections/s: {codes}")
    assert rate > 250, f"the churn reached only {rate:.0f} connections/s"
    assert codes.count("200") >= 29, codes
    assert r.p.poll() is None


# ---------------------------------------------------------------- item 8: EMFILE

def test_control_socket_does_not_spin_at_the_fd_limit(tmp_path):
    def low_nofile():
        resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))
    r = start(["--", "sleep", "600"], env={"PINIT_RESTART_POLICY": "always"}, preexec_fn=low_nofile)
    wait_for(lambda: client(r, "check").returncode == 0, 10, interval=0.1, what="healthy")
    h = hold(r, None, 60, 8 * SLOW)
    try:
        time.sleep(1)
        c0, t0 = cpu_seconds(r.pinit), time.monotonic()
        time.sleep(3)
        share = (cpu_seconds(r.pinit) - c0) / (time.monotonic() - t0)
    finally:
        h.kill()
        h.communicate()
    print(f"\npinit used {share:.0%} of a core at the fd limit")
    assert share < 0.10, f"{share:.0%} of a core"
    wait_for(lambda: client(r, "check").returncode == 0, 10, interval=0.2, what="check after the flood")
