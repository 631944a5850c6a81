"""`pinit wait [--timeout D] [--interval D] [--attempt-timeout D] TARGET...` against real
listeners on loopback: started late, never started, refusing, answering 503 then 200,
unix sockets and files that appear late, a name that resolves only after a while, a DNS
server that never answers (the loop must not block), signals during a wait, and several
targets in parallel.  Exit codes: 0 all up, 69 timed out, 64 usage, 128+N on signal N."""
import http.server
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import LOG_LINE, PINIT, SLOW, free_port, pinit_env, start_pid1

pytestmark = pytest.mark.usefixtures("pinit_bin")


# ---------------------------------------------------------------- helpers

class Wait:
    """A running `pinit wait ARGS` (not PID 1: how scripts and entrypoints use it)."""

    def __init__(self, args, env=None, argv_prefix=None):
        self.argv = (argv_prefix or []) + [PINIT, "wait"] + [str(a) for a in args]
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(self.argv, env=pinit_env(env, socket=False),
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, start_new_session=True)

    def finish(self, timeout=30):
        try:
            self.out, self.err = self.p.communicate(timeout=timeout * SLOW)
        except subprocess.TimeoutExpired:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.out, self.err = self.p.communicate()
            pytest.fail(f"{self.argv!r} still running after {timeout * SLOW:.0f}s: {self.err!r}")
        self.elapsed = time.monotonic() - self.t0
        self.rc = self.p.returncode
        return self

    def lines(self, level=None):
        ls = self.err.splitlines()
        return [l for l in ls if level is None or l.startswith(f"pinit: {level}: ")]

    def __repr__(self):
        return f"argv={self.argv[1:]!r} rc={self.p.returncode} stderr={getattr(self, 'err', '')!r}"


def run_wait(args, timeout=30, env=None, **kw):
    return Wait(args, env=env, **kw).finish(timeout)


@pytest.fixture
def cleanup():
    """Things to close/stop at the end of a test (sockets, servers, processes)."""
    items = []
    yield items
    for it in reversed(items):
        try:
            if isinstance(it, Wait):
                if it.p.poll() is None:
                    os.killpg(it.p.pid, signal.SIGKILL)
                    it.p.communicate()
            elif isinstance(it, subprocess.Popen):
                if it.poll() is None:
                    it.kill()
                    it.wait()
            elif isinstance(it, http.server.HTTPServer):
                it.shutdown()
                it.server_close()
            else:
                it.close()
        except OSError:
            pass


def listen_tcp(port=0, host="127.0.0.1", family=socket.AF_INET):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(64)
    return s


def later(delay, fn, *args):
    t = threading.Timer(delay, fn, args)
    t.daemon = True
    t.start()
    return t


class Handler(http.server.BaseHTTPRequestHandler):
    """GET: status from server.status(), after server.delay seconds."""
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.server.hits += 1
        if self.server.delay:
            time.sleep(self.server.delay)
        code = self.server.status()
        body = b"{}"
        self.send_response(code)
        if 300 <= code < 400:
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def http_server(cleanup, status=lambda: 200, delay=0.0):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.status, srv.delay, srv.hits = status, delay, 0
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    cleanup.append(srv)
    return srv, srv.server_address[1]


def assert_log_lines(w):
    bad = [l for l in w.lines() if not LOG_LINE.match(l)]
    assert not bad, f"not 'pinit: <level>: <what>: <detail>': {bad!r}"


def need_root():
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare(1) for a private mount namespace")


# ---------------------------------------------------------------- TCP

def test_listener_started_late(cleanup):
    port = free_port()
    w = Wait(["--timeout", "30s", f"tcp://127.0.0.1:{port}"])
    cleanup.append(w)
    later(2.0, lambda: cleanup.append(listen_tcp(port)))
    w.finish()
    assert w.rc == 0, w
    assert 1.9 <= w.elapsed < 2.0 + 4 * SLOW, w
    assert f"pinit: warn: wait: 127.0.0.1:{port}: connection refused (attempt 1, " in w.err, w
    up = [l for l in w.lines("info") if f"wait: 127.0.0.1:{port}: up after" in l]
    assert len(up) == 1, w
    assert_log_lines(w)


def test_never_started_times_out_69():
    port = free_port()
    w = run_wait(["-t", "2s", f"127.0.0.1:{port}"])
    assert w.rc == 69, w
    assert 1.9 <= w.elapsed < 2.0 + 3 * SLOW, w
    errors = w.lines("error")
    assert len(errors) == 1, w
    assert "timed out after 2s" in errors[0] and f"127.0.0.1:{port} (connection refused)" in errors[0], w
    assert_log_lines(w)


def test_progress_is_rate_limited():
    """About 55 failed attempts in 11 s: the first one is told, then one line every ~10 s."""
    port = free_port()
    w = run_wait(["-t", "11s", "-i", "200ms", f"127.0.0.1:{port}"], timeout=40)
    assert w.rc == 69, w
    warns = w.lines("warn")
    assert 2 <= len(warns) <= 3, w
    assert "(attempt 1, 11s left)" in warns[0], w
    attempt = int(warns[1].split("(attempt ")[1].split(",")[0])
    assert attempt >= 20, w


def test_ipv6_loopback(cleanup):
    try:
        s = listen_tcp(0, "::1", socket.AF_INET6)
    except OSError:
        pytest.skip("no IPv6 loopback")
    cleanup.append(s)
    port = s.getsockname()[1]
    w = run_wait(["-t", "10s", f"[::1]:{port}", f"tcp://[::1]:{port}"])
    assert w.rc == 0, w
    assert f"wait: [::1]:{port}: up after" in w.err, w


def test_several_targets_in_parallel(cleanup):
    """Three HTTP servers that each take 1.5 s to answer: the wait takes ~1.5 s, not 4.5."""
    urls = []
    for _ in range(3):
        srv, port = http_server(cleanup, delay=1.5)
        urls.append(f"http://127.0.0.1:{port}/overview")
    late = free_port()
    later(1.0, lambda: cleanup.append(listen_tcp(late)))
    w = run_wait(["-t", "20s"] + urls + [f"127.0.0.1:{late}"])
    assert w.rc == 0, w
    assert 1.4 <= w.elapsed < 3.0 * SLOW, w
    assert len([l for l in w.lines("info") if ": up after " in l]) == 4, w
    assert "all 4 targets up" in w.err, w


# ---------------------------------------------------------------- HTTP

def test_http_503_then_200(cleanup):
    t0 = time.monotonic()
    srv, port = http_server(cleanup, status=lambda: 503 if time.monotonic() - t0 < 2.0 else 200)
    w = run_wait(["-t", "20s", f"http://127.0.0.1:{port}/overview"])
    assert w.rc == 0, w
    assert 1.9 <= w.elapsed < 2.0 + 4 * SLOW, w
    assert f"wait: http://127.0.0.1:{port}/overview: HTTP 503 (attempt 1, " in w.err, w
    assert f"wait: http://127.0.0.1:{port}/overview: up after" in w.err, w
    assert srv.hits >= 2


def test_http_always_503_times_out(cleanup):
    srv, port = http_server(cleanup, status=lambda: 503)
    w = run_wait(["-t", "2s", f"http://127.0.0.1:{port}/"])
    assert w.rc == 69, w
    assert f"missing http://127.0.0.1:{port}/ (HTTP 503)" in w.err, w


def test_http_redirect_is_healthy_and_not_followed(cleanup):
    srv, port = http_server(cleanup, status=lambda: 302)
    w = run_wait(["-t", "10s", f"http://127.0.0.1:{port}/"])
    assert w.rc == 0, w
    assert srv.hits == 1


def test_http_silent_server_attempt_timeout(cleanup):
    """Accepts (the kernel does) but never answers: each attempt ends at its own timeout."""
    s = listen_tcp()
    cleanup.append(s)
    port = s.getsockname()[1]
    w = run_wait(["-t", "3s", "-a", "1s", f"http://127.0.0.1:{port}/x"])
    assert w.rc == 69, w
    assert "timeout after 1s (waiting for the response)" in w.err, w
    assert w.elapsed < 3.0 + 3 * SLOW, w


def test_http_credentials_not_logged():
    port = free_port()
    w = run_wait(["-t", "1s", f"http://admin:s3cret@127.0.0.1:{port}/"])
    assert w.rc == 69, w
    assert "s3cret" not in w.err and f"http://***@127.0.0.1:{port}/" in w.err, w


# ---------------------------------------------------------------- unix, file, exec

def test_unix_socket_appears_late(tmp_path, cleanup):
    path = tmp_path / "svc.sock"

    def up():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(str(path))
        s.listen(8)
        cleanup.append(s)
    later(2.0, up)
    w = run_wait(["-t", "20s", f"unix://{path}"])
    assert w.rc == 0, w
    assert 1.9 <= w.elapsed < 2.0 + 3 * SLOW, w
    assert f"wait: unix://{path}: no such socket (attempt 1, " in w.err, w


def test_file_appears_late(tmp_path):
    path = tmp_path / "ready"
    later(2.0, path.touch)
    w = run_wait(["-t", "20s", "-i", "250ms", f"file://{path}"])
    assert w.rc == 0, w
    assert 1.9 <= w.elapsed < 2.0 + 2 * SLOW, w
    assert f"wait: file://{path}: no such file (attempt 1, " in w.err, w


def test_exec_target(tmp_path):
    path = tmp_path / "ready"
    later(1.0, path.touch)
    w = run_wait(["-t", "20s", f"exec:test -e {path}"])
    assert w.rc == 0, w
    assert "exit 1 (attempt 1, " in w.err, w


# ---------------------------------------------------------------- names and DNS

def test_name_resolves_late(tmp_path, cleanup):
    """A compose-style name that appears in /etc/hosts after 2 s (a private mount
    namespace with a bind-mounted copy of /etc/hosts)."""
    need_root()
    s = listen_tcp()
    cleanup.append(s)
    port = s.getsockname()[1]
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n")
    script = 'mount --bind "$1" /etc/hosts && shift && exec "$@"'
    w = Wait(["-t", "30s", "-a", "1s", f"tcp://late-name.pinit-test:{port}"],
             argv_prefix=["unshare", "-m", "sh", "-c", script, "sh", str(hosts)])
    cleanup.append(w)

    def add():
        with open(hosts, "a") as f:   # same inode: the bind mount sees it
            f.write(f"127.0.0.1 late-name.pinit-test\n")
    later(2.0, add)
    w.finish()
    if "mount:" in w.err:
        pytest.skip(f"cannot bind-mount /etc/hosts here: {w.err!r}")
    assert w.rc == 0, w
    assert 1.9 <= w.elapsed < 2.0 + 4 * SLOW, w
    assert f"wait: late-name.pinit-test:{port}: " in w.err, w
    assert f"wait: late-name.pinit-test:{port}: up after" in w.err, w


@pytest.fixture
def dead_dns(tmp_path, cleanup):
    """A private resolv.conf naming a DNS server (127.0.0.2:53) that never answers:
    getaddrinfo() then blocks for many seconds.  Returns the argv prefix."""
    need_root()
    swallow = []
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.2", 53))
        except OSError as e:
            pytest.skip(f"cannot bind 127.0.0.2:53: {e}")
        if kind == socket.SOCK_STREAM:
            s.listen(16)
        cleanup.append(s)
        swallow.append(s)
    conf = tmp_path / "resolv.conf"
    conf.write_text("nameserver 127.0.0.2\noptions timeout:5 attempts:3\n")
    t0 = time.monotonic()
    r = subprocess.run(["unshare", "-m", "sh", "-c",
                        'mount --bind "$1" /etc/resolv.conf && timeout 2 getent hosts dead.pinit-test',
                        "sh", str(conf)], capture_output=True, text=True)
    if "mount:" in r.stderr:
        pytest.skip(f"cannot bind-mount /etc/resolv.conf here: {r.stderr!r}")
    if time.monotonic() - t0 < 1.5:
        pytest.skip("the resolver does not wait for 127.0.0.2 here")
    script = 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"'
    return ["unshare", "-m", "sh", "-c", script, "sh", str(conf)]


def test_dead_dns_does_not_block_the_loop(dead_dns, tmp_path):
    """While getaddrinfo hangs (in libcurl's resolver thread), a file target is still
    seen at once, attempts still time out on schedule and the overall timeout is kept."""
    path = tmp_path / "ready"
    later(1.0, path.touch)
    w = run_wait(["-t", "4s", "-a", "1s", "-i", "200ms", "tcp://dead.pinit-test:80",
                  f"file://{path}"], argv_prefix=dead_dns)
    assert w.rc == 69, w
    assert 3.9 <= w.elapsed < 4.0 + 2 * SLOW, w
    up = [l for l in w.lines("info") if f"file://{path}: up after" in l]
    assert up, w
    secs = float(up[0].split("up after ")[1].split("s")[0])
    assert secs < 1.0 + 0.6 * SLOW, w
    # the last attempt is cut to the time left, so under load it may end a little before 1 s
    assert re.search(r"dead\.pinit-test:80 \(timeout after (1s|\d{3}ms) \(resolving\)\)", w.err), w


def test_sigterm_during_dead_dns(dead_dns):
    w = Wait(["-t", "60s", "-a", "30s", "tcp://dead.pinit-test:80"], argv_prefix=dead_dns)
    time.sleep(2.0)
    t = time.monotonic()
    w.p.send_signal(signal.SIGTERM)   # unshare execs sh, sh execs pinit: same pid
    w.finish()
    assert w.rc == 143, w
    assert time.monotonic() - t < 1.0 * SLOW, w


# ---------------------------------------------------------------- signals

@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_exits_at_once(sig, code, cleanup):
    port = free_port()
    w = Wait(["-t", "60s", f"127.0.0.1:{port}"])
    cleanup.append(w)
    time.sleep(1.0)
    t = time.monotonic()
    w.p.send_signal(sig)
    w.finish()
    assert w.rc == code, w
    assert time.monotonic() - t < 1.0 * SLOW, w
    assert "wait: interrupted by SIG" in w.err, w


def test_sigterm_as_pid1():
    """As PID 1 (`docker run IMAGE pinit wait ...`) SIGTERM has no default action: the
    ev_signal watcher must still end the wait."""
    port = free_port()
    r = start_pid1(["wait", "-t", "60s", f"127.0.0.1:{port}"])
    pid = r.pinit
    time.sleep(1.0)
    t = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    assert r.wait(10) == 143, r.stderr
    assert time.monotonic() - t < 1.5 * SLOW


# ---------------------------------------------------------------- sources and usage

def test_env_lists(cleanup, tmp_path):
    s = listen_tcp()
    cleanup.append(s)
    port = s.getsockname()[1]
    ready = tmp_path / "ready"
    ready.touch()
    w = run_wait(["-t", "10s"], env={"PINIT_WAIT": f"tcp://127.0.0.1:{port}  file://{ready}",
                                     "SERVICE_PRECONDITION": f"localhost:{port}"})
    assert w.rc == 0, w
    assert "all 3 targets up" in w.err, w


def test_env_list_bad_item():
    w = run_wait([], env={"SERVICE_PRECONDITION": "namenode:50070 datanode"})
    assert w.rc == 64, w
    assert w.lines() == ["pinit: error: wait: SERVICE_PRECONDITION: 'datanode': missing :PORT"], w


@pytest.mark.parametrize("args,needle", [
    (["tcp://x:99999"], "'tcp://x:99999': port out of range"),
    (["ftp://x/y"], "'ftp://x/y': unsupported scheme 'ftp'"),
    (["--bogus", "x:1"], "unknown option '--bogus'"),
    (["-t", "5q", "x:1"], "bad duration '5q'"),
    (["x:1", "-t"], "-t needs a duration"),
    ([], "no targets"),
])
def test_usage_errors_64(args, needle):
    w = run_wait(args)
    assert w.rc == 64, w
    assert len(w.lines()) == 1 and w.lines()[0].startswith("pinit: error: wait: "), w
    assert needle in w.err, w


def test_quiet_and_options_after_targets(tmp_path):
    ready = tmp_path / "ready"
    ready.touch()
    w = run_wait([f"file://{ready}", "--timeout=5s", "-q"])
    assert w.rc == 0 and w.err == "", w


def test_help():
    w = run_wait(["--help"])
    assert w.rc == 0 and "usage: pinit wait" in w.out, w
