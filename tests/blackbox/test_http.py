"""The health and metrics endpoint (PINIT_HTTP_LISTEN) of pinit as PID 1: routes and status
codes following the child, the Prometheus text (checked by promtool when installed), the
request limits, and clients that try to hold PID 1 up (issue 6)."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid

import pytest

from conftest import PINIT, SLOW, free_port, in_ns, pinit_env, start_pid1, wait_for


def start(args, env=None, port=None, **kw):
    """pinit ARGS as PID 1 with its own control socket (r.socket) and HTTP port (r.port)."""
    sock = "@pinit-test-" + uuid.uuid4().hex
    port = port or free_port()
    e = {"PINIT_CONTROL_SOCKET": sock, "PINIT_HTTP_LISTEN": f"127.0.0.1:{port}"}
    e.update(env or {})
    r = start_pid1(args, env=e, **kw)
    r.socket, r.port = sock, port
    wait_for(lambda: answers(port), 10, interval=0.02, what=f"pinit to answer on {port}")
    return r


def answers(port, host="127.0.0.1"):
    """True once the loop serves requests (a connect alone only shows the socket listens)."""
    try:
        return raw_request(port, b"GET /health/live HTTP/1.0\r\n\r\n", 1, host).startswith(b"HTTP/1.1 ")
    except OSError:
        return False


def client(r, *args, timeout=10):
    """`pinit ARGS` inside r's PID namespace (as `docker exec` does)."""
    e = pinit_env(socket=False)
    e["PINIT_CONTROL_SOCKET"] = r.socket
    return subprocess.run(in_ns(r) + [PINIT, *args], env=e, capture_output=True, text=True, timeout=timeout * SLOW)


class Reply:
    def __init__(self, raw):
        self.raw = raw
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        m = re.match(r"HTTP/1\.1 (\d{3}) .+$", lines[0])
        assert m, raw
        self.status = int(m.group(1))
        self.headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()

    def json(self):
        return json.loads(self.body)


def raw_request(port, data, timeout=5, host="127.0.0.1"):
    """Send bytes, read until the server closes; return the raw reply."""
    with socket.create_connection((host, port), timeout=timeout * SLOW) as s:
        if data:
            s.sendall(data)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    return b"".join(chunks)


def get(port, path, method="GET", timeout=5, host="127.0.0.1"):
    req = f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: test\r\n\r\n".encode()
    return Reply(raw_request(port, req, timeout, host))


def status_of(port, path):
    return get(port, path).status


def test_health_routes_follow_the_child_and_its_liveness(tmp_path):
    alive = tmp_path / "alive"
    alive.touch()
    r = start(["--", "sleep", "600"],
              env={"PINIT_RESTART_POLICY": "always", "PINIT_LIVENESS_EXEC": f"test -e {alive}",
                   "PINIT_LIVENESS_INTERVAL": "300ms", "PINIT_LIVENESS_TIMEOUT": "1s",
                   "PINIT_LIVENESS_FAILURE_THRESHOLD": "2", "PINIT_STOP_TIMEOUT": "1s",
                   "PINIT_RESTART_DELAY_MIN": "2s", "PINIT_RESTART_DELAY_MAX": "2s"})
    wait_for(lambda: status_of(r.port, "/health") == 200, 5, interval=0.05, what="/health 200")
    for path in ("/health", "/health/live", "/health/ready"):
        rep = get(r.port, path)
        assert rep.status == 200, rep.raw
        assert rep.json() == {"status": "UP"}
        assert rep.headers["content-type"] == "application/json"
        assert rep.headers["connection"] == "close"
        assert int(rep.headers["content-length"]) == len(rep.body)
    assert client(r, "check").returncode == 0

    # liveness fails twice: 503 with the reason, then a restart, then healthy again
    first = r.child(exe="sleep")
    alive.unlink()
    wait_for(lambda: status_of(r.port, "/health/live") == 503, 5, interval=0.05, what="/health/live 503")
    rep = get(r.port, "/health/live")
    body = rep.json()
    assert body["status"] == "DOWN" and "sleep" in body["reason"], body
    assert status_of(r.port, "/health") == 503 and status_of(r.port, "/health/ready") == 503
    alive.touch()
    wait_for(lambda: status_of(r.port, "/health/live") == 200, 10, interval=0.1, what="recovery")
    assert r.child(exe="sleep") != first
    metrics = get(r.port, "/metrics").body.decode()
    assert 'pinit_service_restarts_total{reason="health"} 1' in metrics, metrics
    fails = int(re.search(r'pinit_health_checks_total\{result="failure"\} (\d+)', metrics).group(1))
    assert fails >= 2

    # the child killed: down during the back-off, up again after it
    os.kill(r.child(exe="sleep"), signal.SIGKILL)
    wait_for(lambda: status_of(r.port, "/health/live") == 503, 3, interval=0.05, what="503 in back-off")
    rep = get(r.port, "/health/live")
    assert "backoff" in rep.json()["reason"], rep.body
    m = get(r.port, "/metrics").body.decode()
    assert 'pinit_service_state{state="backoff"} 1' in m and "pinit_service_up 0" in m
    assert "pinit_service_backoff_seconds 2.000" in m or "pinit_service_backoff_seconds 1." in m, m
    assert "pinit_service_last_exit_code 137" in m
    assert client(r, "check").returncode == 1  # the socket and the endpoint agree
    wait_for(lambda: status_of(r.port, "/health/live") == 200, 10, interval=0.1, what="up after back-off")
    assert 'pinit_service_restarts_total{reason="signal"} 1' in get(r.port, "/metrics").body.decode()


def test_readiness_is_apart_from_liveness(tmp_path):
    ready = tmp_path / "ready"
    r = start(["--", "sleep", "600"],
              env={"PINIT_RESTART_POLICY": "always", "PINIT_READINESS_EXEC": f"test -e {ready}",
                   "PINIT_READINESS_INTERVAL": "200ms"})
    wait_for(lambda: status_of(r.port, "/health/live") == 200, 5, interval=0.05, what="live")
    rep = get(r.port, "/health/ready")
    assert rep.status == 503 and rep.json()["status"] == "DOWN" and "not ready" in rep.json()["reason"]
    assert status_of(r.port, "/health") == 503
    assert "pinit_service_ready 0" in get(r.port, "/metrics").body.decode()
    ready.touch()
    wait_for(lambda: status_of(r.port, "/health/ready") == 200, 5, interval=0.05, what="ready")
    assert status_of(r.port, "/health") == 200
    m = get(r.port, "/metrics").body.decode()
    assert "pinit_service_ready 1" in m and 'pinit_service_state{state="up"} 1' in m


def test_metrics_content_and_promtool(tmp_path):
    dep = socket.socket()
    dep.bind(("127.0.0.1", 0))
    dep.listen(8)
    dport = dep.getsockname()[1]
    try:
        t0 = time.time()
        # the subshell's sleep is orphaned at once and reaped by pinit when it ends
        r = start(["--", "sh", "-c", "(sleep 0.2 &); exec sleep 600"],
                  env={"PINIT_RESTART_POLICY": "always", "PINIT_WAIT": f"tcp://127.0.0.1:{dport}"})
        wait_for(lambda: status_of(r.port, "/health/live") == 200, 5, interval=0.05, what="live")
        wait_for(lambda: b"\npinit_zombies_reaped_total 1\n" in get(r.port, "/metrics").body, 5, interval=0.05,
                 what="the orphan to be reaped and counted")
        rep = get(r.port, "/metrics")
    finally:
        dep.close()
    assert rep.status == 200
    assert rep.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert int(rep.headers["content-length"]) == len(rep.body)
    text = rep.body.decode()
    for line in ('pinit_build_info{version="', "pinit_service_up 1", "pinit_service_healthy 1",
                 "pinit_service_ready 1", 'pinit_service_state{state="up"} 1',
                 'pinit_service_state{state="backoff"} 0', 'pinit_service_restarts_total{reason="exit"} 0',
                 'pinit_service_restarts_total{reason="manual"} 0', "pinit_service_backoff_seconds 0.000",
                 'pinit_health_checks_total{result="success"} 0', f'pinit_dependency_up{{target="127.0.0.1:{dport}"}} 1',
                 "pinit_zombies_reaped_total 1", "process_cpu_seconds_total ", "process_resident_memory_bytes ",
                 "process_virtual_memory_bytes ", "process_open_fds ", "process_max_fds ",
                 "process_start_time_seconds "):
        assert "\n" + line in "\n" + text, (line, text)
    families = re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M)
    helps = re.findall(r"^# HELP (\S+) ", text, re.M)
    assert [f for f, _ in families] == helps and len(families) >= 18
    start_time = float(re.search(r"^pinit_service_start_time_seconds (\S+)$", text, re.M).group(1))
    assert t0 - 1 <= start_time <= time.time() + 1
    pstart = float(re.search(r"^process_start_time_seconds (\S+)$", text, re.M).group(1))
    assert t0 - 2 <= pstart <= start_time + 1
    rss = int(re.search(r"^process_resident_memory_bytes (\d+)$", text, re.M).group(1))
    assert 0 < rss < 64 << 20
    assert not re.search(r"^pinit_service_last_exit_code ", text, re.M)  # nothing has exited yet

    # HEAD: the same headers, no body
    head = Reply(raw_request(r.port, b"HEAD /metrics HTTP/1.0\r\n\r\n"))
    assert head.status == 200 and head.body == b""
    assert abs(int(head.headers["content-length"]) - len(rep.body)) < 64  # figures move a little

    promtool = shutil.which("promtool")
    if not promtool:
        pytest.skip("promtool not installed (Debian package prometheus, see scripts/deps.sh)")
    out = subprocess.run([promtool, "check", "metrics"], input=rep.body, capture_output=True, timeout=30)
    assert out.returncode == 0, (out.stdout, out.stderr)
    assert out.stdout.strip() == b"" and out.stderr.strip() == b"", out  # no lint warnings either


def test_errors_and_limits():
    r = start(["--", "sleep", "600"])
    p = r.port
    rep = Reply(raw_request(p, b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"))
    assert rep.status == 405 and rep.headers["allow"] == "GET, HEAD", rep.raw
    assert Reply(raw_request(p, b"DELETE /health HTTP/1.1\r\n\r\n")).status == 405
    assert get(p, "/nope").status == 404
    assert get(p, "/health/").status == 404
    assert get(p, "/metrics?x=1").status == 200
    assert get(p, "/" + "a" * 5000).status == 414
    rep = Reply(raw_request(p, b"GET / HTTP/1.1\r\nX-Big: " + b"x" * 8000 + b"\r\n\r\n"))
    assert rep.status == 431
    assert Reply(raw_request(p, b"GET / HTTP/2.0\r\n\r\n")).status == 505
    assert Reply(raw_request(p, b"GET /health\r\n")).status == 400          # HTTP/0.9
    assert Reply(raw_request(p, b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03")).status == 400  # TLS
    assert Reply(raw_request(p, b"GET /health HTTP/1.1\r\nHost x\r\n\r\n")).status == 400
    rep = Reply(raw_request(p, b"HEAD /nope HTTP/1.1\r\n\r\n"))
    assert rep.status == 404 and rep.body == b""
    # a client that closes at once, or sends half a request and closes, costs nothing
    for data in (b"", b"GET /hea"):
        s = socket.create_connection(("127.0.0.1", p))
        s.sendall(data)
        s.close()
    assert get(p, "/health/live").status == 200
    assert client(r, "check").returncode == 0


def test_silent_connections_do_not_block_a_real_client_or_pid1():
    r = start(["--", "sleep", "600"])
    silent = []
    try:
        for _ in range(64):
            s = socket.create_connection(("127.0.0.1", r.port), timeout=5)
            silent.append(s)
        # at once: served, or told to come back (503), never left hanging
        t0 = time.monotonic()
        try:
            rep = get(r.port, "/health/live", timeout=3)
            assert rep.status in (200, 503), rep.raw
        except ConnectionResetError:
            pytest.fail("reset instead of a reply")
        assert time.monotonic() - t0 < 1 * SLOW
        t0 = time.monotonic()
        assert client(r, "check").returncode == 0
        assert time.monotonic() - t0 < 1 * SLOW
        # later too, a real client takes a slot from a silent one (at once: server.c)
        time.sleep(1.2)
        t0 = time.monotonic()
        rep = get(r.port, "/metrics", timeout=3)
        assert rep.status == 200 and b"pinit_service_up 1" in rep.body
        assert time.monotonic() - t0 < 1 * SLOW
        # the silent connections are all closed by the server within the 5 s timeout
        deadline = time.monotonic() + 7 * SLOW
        for s in silent:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                while s.recv(4096):
                    pass
            except ConnectionResetError:
                pass
            except socket.timeout:
                pytest.fail("a silent connection was kept open beyond the timeout")
    finally:
        for s in silent:
            s.close()
    assert r.p.poll() is None
    assert get(r.port, "/health").status == 200


def test_a_slow_client_is_cut_at_the_timeout():
    r = start(["--", "sleep", "600"])
    s = socket.create_connection(("127.0.0.1", r.port), timeout=10)
    t0 = time.monotonic()
    cut = None
    served_meanwhile = []
    req = b"GET /health HTTP/1.1\r\nHost: slow\r\nX-Pad: " + b"x" * 100 + b"\r\n\r\n"
    try:
        for i, byte in enumerate(req):
            s.sendall(bytes([byte]))
            if i % 10 == 0:
                served_meanwhile.append(status_of(r.port, "/health/live"))
            time.sleep(0.1)
    except (BrokenPipeError, ConnectionResetError):
        cut = time.monotonic() - t0
    if cut is None:
        s.settimeout(5)
        data = b""
        try:
            while True:
                b = s.recv(4096)
                if not b:
                    break
                data += b
        except ConnectionResetError:
            pass
        cut = time.monotonic() - t0
        assert data == b"" or data.startswith(b"HTTP/1.1 408 "), data
    s.close()
    assert 4.5 <= cut <= 7 * SLOW, cut
    assert served_meanwhile and all(c == 200 for c in served_meanwhile), served_meanwhile


def test_concurrent_scrapes_while_crash_looping():
    r = start(["--", "sh", "-c", "sleep 0.05; exit 1"],
              env={"PINIT_RESTART_POLICY": "always", "PINIT_RESTART_DELAY_MIN": "1s",
                   "PINIT_RESTART_DELAY_MAX": "1s"})
    results = []
    lock = threading.Lock()

    def one(path):
        try:
            st = get(r.port, path, timeout=10).status
        except OSError as e:
            st = repr(e)
        with lock:
            results.append(st)
    threads = [threading.Thread(target=one, args=("/metrics" if i % 2 else "/health",)) for i in range(60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 60 and all(x in (200, 503) for x in results), results
    assert sum(x == 200 for x in results) >= 10, results
    assert r.p.poll() is None
    wait_for(lambda: 'reason="exit"} 0' not in get(r.port, "/metrics").body.decode(), 5, interval=0.1,
             what="the crash loop to go on")


def test_ipv6_listen_address():
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        t = socket.socket(socket.AF_INET6)
        t.bind(("::1", 0))
        port = t.getsockname()[1]
        t.close()
    except OSError:
        pytest.skip("no IPv6 loopback")
    sock = "@pinit-test-" + uuid.uuid4().hex
    r = start_pid1(["--", "sleep", "600"], env={"PINIT_CONTROL_SOCKET": sock, "PINIT_HTTP_LISTEN": f"[::1]:{port}"})
    wait_for(lambda: answers(port, "::1"), 10, interval=0.02, what="pinit to answer on [::1]")
    assert get(port, "/health/live", host="::1").status == 200
    assert r.p.poll() is None


@pytest.mark.parametrize("value,needle", [
    ("localhost:9400", "http.listen: localhost:9400: not a numeric IPv4 address"),
    ("0.0.0.0:70000", "http.listen: 0.0.0.0:70000: the port must be a number from 1 to 65535"),
    ("::1:9400", "http.listen: ::1:9400: an IPv6 address goes in brackets"),
])
def test_invalid_listen_address_is_a_config_error(tmp_path, value, needle):
    marker = tmp_path / "started"
    r = start_pid1(["--", "touch", str(marker)], env={"PINIT_HTTP_LISTEN": value})
    assert r.wait(10) == 78
    assert needle in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not marker.exists()


def test_port_in_use_is_a_clear_error_and_supervision_goes_on(tmp_path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        marker = tmp_path / "ran"
        r = start_pid1(["--", "touch", str(marker)], env={"PINIT_HTTP_LISTEN": f"127.0.0.1:{port}"})
        assert r.wait(10) == 0
    finally:
        taken.close()
    assert marker.exists()
    # strerror's words differ between C libraries: "Address already in use" / "Address in use"
    assert re.search(rf"^pinit: error: http: http\.listen: 127\.0\.0\.1:{port}: cannot listen: Address (already )?in use"
                     r" \(health and metrics endpoint off\)$", r.stderr, re.M), r.stderr


def _listening_inodes():
    inodes = set()
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(f) as fh:
                next(fh)
                for line in fh:
                    cols = line.split()
                    if cols[3] == "0A":
                        inodes.add(cols[9])
        except FileNotFoundError:
            pass
    return inodes


def test_off_by_default():
    sock = "@pinit-test-" + uuid.uuid4().hex
    r = start_pid1(["--", "sleep", "600"], env={"PINIT_CONTROL_SOCKET": sock, "PINIT_RESTART_POLICY": "always"})
    r.child(exe="sleep")
    listening = _listening_inodes()
    mine = set()
    for fd in os.listdir(f"/proc/{r.pinit}/fd"):
        try:
            link = os.readlink(f"/proc/{r.pinit}/fd/{fd}")
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]", link)
        if m:
            mine.add(m.group(1))
    assert mine, "no socket of pinit's found (the control socket at least)"
    assert not (mine & listening), "pinit listens on TCP without http.listen"


def test_docs_queries_and_scrape_config_are_valid(tmp_path):
    """Every ```promql block of docs/metrics.md parses (promtool check rules), and so does the
    scrape configuration shown there (promtool check config)."""
    promtool = shutil.which("promtool")
    if not promtool:
        pytest.skip("promtool not installed (Debian package prometheus, see scripts/deps.sh)")
    from conftest import SOURCE_DIR
    doc = (SOURCE_DIR / "docs" / "metrics.md").read_text()
    queries = re.findall(r"^```promql\n(.*?)\n```$", doc, re.M | re.S)
    assert len(queries) >= 5
    rules = tmp_path / "rules.yml"
    lines = ["groups:", "  - name: docs", "    rules:"]
    for i, q in enumerate(queries):
        lines += [f"      - record: docs:query{i}", f"        expr: {json.dumps(q.strip())}"]
    rules.write_text("\n".join(lines) + "\n")
    out = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, (out.stdout, out.stderr)
    scrape = re.search(r"^```yaml\n(scrape_configs:.*?)\n```$", doc, re.M | re.S).group(1)
    conf = tmp_path / "prometheus.yml"
    conf.write_text(scrape + "\n")
    out = subprocess.run([promtool, "check", "config", str(conf)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, (out.stdout, out.stderr)


def test_an_idle_endpoint_costs_no_wakeups():
    from conftest import ctxt_switches
    r = start(["--", "sleep", "600"])
    get(r.port, "/metrics")
    time.sleep(0.3)
    before = ctxt_switches(r.pinit)
    time.sleep(3)
    after = ctxt_switches(r.pinit)
    assert after == before, f"pinit woke up {after - before} times in 3 s with the endpoint idle"
