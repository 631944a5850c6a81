"""pinit's own log lines (issue 6, Logs): the shape of every line in text and JSON mode, and
no secret in any output of `pinit flink`, `pinit render`, `pinit config` (and run mode).

Text:  pinit: <level>: <what>: <detail>
JSON:  {"time":"2026-11-22T03:42:01.215Z","level":"info","component":"<what>","message":"<detail>"}

Tests marked xfail(strict=True) document defects found in the binary (see their reason);
they start failing (XPASS) once the defect is fixed: then remove the marker.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading

import pytest

from conftest import LOG_LINE, PINIT, SLOW, make_flink_home, pinit_env, run_pid1

SECRET = "hunter2-secret"
LEVELS = {"error", "warn", "info", "debug"}
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def check_json_lines(raw):
    """Every line of raw (bytes) is one JSON object with time, level, component, message.
    Returns the parsed objects."""
    assert raw.endswith(b"\n"), f"output does not end with a newline: {raw[-200:]!r}"
    out = []
    for line in raw.split(b"\n")[:-1]:
        try:
            text = line.decode("utf-8")  # JSON text is UTF-8 (RFC 8259)
            obj = json.loads(text)
        except ValueError as e:
            pytest.fail(f"not a JSON line ({e}): {line!r}")
        assert isinstance(obj, dict), line
        assert set(obj) >= {"time", "level", "component", "message"}, f"missing fields: {line!r}"
        assert TIME.match(obj["time"]), f"time: {obj['time']!r}"
        assert obj["level"] in LEVELS, f"level: {obj['level']!r}"
        assert isinstance(obj["component"], str) and obj["component"].strip(), f"component: {line!r}"
        assert isinstance(obj["message"], str) and obj["message"], f"message: {line!r}"
        out.append(obj)
    return out


def check_text_lines(raw):
    lines = raw.decode("utf-8", errors="replace").splitlines()
    for line in lines:
        assert LOG_LINE.match(line), f"not 'pinit: <level>: <what>: <detail>': {line!r}"
    return lines


# ---------------------------------------------------------------- a busy supervisor

@pytest.fixture
def busy(tmp_path):
    """Arguments and environment for a run that logs most kinds of lines: a dependency wait
    that fails then succeeds, the HTTP endpoint, two liveness restarts, giving up, orphans
    (-w), a drain with leftover processes, at debug level."""
    ready = tmp_path / "ready"
    port = closed_port()
    env = {"PINIT_RESTART_POLICY": "always", "PINIT_RESTART_MAX_RESTARTS": "1",
           "PINIT_WAIT": f"file://{ready}", "PINIT_WAIT_INTERVAL": "200ms",
           "PINIT_LIVENESS_TCP": f"127.0.0.1:{port}", "PINIT_LIVENESS_INTERVAL": "200ms",
           "PINIT_LIVENESS_FAILURE_THRESHOLD": "2", "PINIT_STOP_TIMEOUT": "2s",
           "PINIT_HTTP_LISTEN": f"127.0.0.1:{closed_port()}", "PINIT_LOG_LEVEL": "debug"}
    # the service leaves an orphan behind each time (for -w and the drain)
    return ["-w", "--", "sh", "-c", "setsid sleep 30 & exec sleep 30"], env, ready


def run_busy(busy, fmt):
    args, env, ready = busy
    env = dict(env, PINIT_LOG_FORMAT=fmt)
    t = threading.Timer(1.0 * SLOW, ready.touch)  # the dependency appears while pinit waits
    t.start()
    try:
        r = run_pid1(args, env=env, timeout=40, text=False)
    finally:
        t.cancel()
    assert r.returncode == 143, (r.returncode, r.stderr)
    return r


def test_json_every_line_of_a_busy_run(busy):
    r = run_busy(busy, "json")
    objs = check_json_lines(r.stderr)
    comps = {o["component"].split(":")[0] for o in objs}  # "wait: file:///..." names the target
    msgs = "\n".join(o["message"] for o in objs)
    # the run did log what it was meant to: waits, probes, transitions, give-up, reaping, drain
    assert {"wait", "liveness", "sh", "reap", "drain", "http"} <= comps, comps
    assert "IDLE -> WAITING" in msgs and "giving up after 1 restarts" in msgs, msgs
    assert {o["level"] for o in objs} >= {"info", "warn", "error", "debug"}
    # structured fields: transitions carry the state and the pid, endings the exit code,
    # wait lines the target
    moves = [o for o in objs if " -> " in o["message"]]
    assert moves and all(o["state"] == o["message"].split(" -> ")[1].split(" ")[0] for o in moves), moves
    up = [o for o in moves if o["state"] == "UP"]
    assert up and all(isinstance(o["pid"], int) and o["pid"] > 0 for o in up), up
    ended = [o for o in moves if o["state"] in ("BACKOFF", "DONE", "FAILED")]
    assert ended and all(isinstance(o["exit_code"], int) for o in ended), ended
    waits = [o for o in objs if o["component"].startswith("wait: ")]
    assert waits and all(o["target"] == o["component"][len("wait: "):] for o in waits), waits


def test_text_every_line_of_a_busy_run(busy):
    r = run_busy(busy, "text")
    lines = check_text_lines(r.stderr)
    assert any(": warn: liveness: " in line for line in lines), lines
    assert any(": info: sh: UP -> STOPPING (liveness)" in line for line in lines), lines


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_exec_failure_line_from_the_forked_child(fmt):
    r = run_pid1(["--", "/nonexistent/command"], env={"PINIT_LOG_FORMAT": fmt}, timeout=20, text=False)
    assert r.returncode == 127
    if fmt == "json":
        objs = check_json_lines(r.stderr)
        assert objs[0]["component"] == "exec" and "/nonexistent/command" in objs[0]["message"]
    else:
        assert check_text_lines(r.stderr) == ["pinit: error: exec: /nonexistent/command: No such file or directory"]


def test_json_escapes_quotes_backslashes_and_control_characters():
    name = 'a"b\\c\td\x01e'
    r = run_pid1(["--", "/nonexistent/" + name], env={"PINIT_LOG_FORMAT": "json"}, timeout=20, text=False)
    objs = check_json_lines(r.stderr)
    assert name in objs[0]["message"]


# ---------------------------------------------------------------- Flink mode

BASE = "jobmanager.rpc.address: localhost\njobmanager.rpc.port: 6123\n"
ROLE = r'''#!/bin/sh
# a stand-in for bin/<role>.sh: records what it got (never on stdout/stderr), then exits
printf '%s\n' "password=${DATABASE_PASSWORD:-}" "conf=${FLINK_CONF_DIR:-}" > "$REPORT"
exit 0
'''


@pytest.fixture
def flink_home():
    d = make_flink_home(BASE, ROLE, "pinit-logs-flink-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


PROPERTIES = "\n".join([
    f"s3.secret-key: {SECRET}",
    f"s3.access-key {SECRET}",                 # no colon: a warning about line 2
    f"fs.s3a..secret: {SECRET}",               # a bad key: a warning naming the key
    "password.x: ${DATABASE_PASSWORD}",
    f"x.y: {SECRET}\udcff",                    # not UTF-8: a warning naming the key
    f"  # commented.secret: {SECRET}",
])


def flink_env(home, tmp_path, how, fmt):
    env = {"FLINK_HOME": home, "JOB_MANAGER_RPC_ADDRESS": "127.0.0.1", "DISABLE_JEMALLOC": "true",
           "PINIT_FLINK_USER": "nobody-such-user", "PINIT_RESTART_POLICY": "never",
           "PINIT_LOG_LEVEL": "debug", "PINIT_LOG_FORMAT": fmt, "REPORT": str(tmp_path / "report"),
           "FLINK_PROPERTIES": PROPERTIES, "ENABLE_BUILT_IN_PLUGINS": "flink-s3-fs-hadoop-1.20.1.jar",
           "AWS_SECRET_ACCESS_KEY": SECRET, "API_TOKEN": SECRET}
    if how == "env":
        env["DATABASE_PASSWORD"] = SECRET
    else:
        f = tmp_path / "database_password"
        f.write_text(SECRET + "\n")
        env["DATABASE_PASSWORD_FILE"] = str(f)
    return env


def client(args, env, timeout=20):
    e = pinit_env(env)
    return subprocess.run([PINIT] + args, env=e, capture_output=True, timeout=timeout * SLOW)


def no_secret(what, *outputs):
    for out in outputs:
        text = out.decode("utf-8", errors="replace") if isinstance(out, bytes) else out
        assert SECRET not in text, f"{what}: the secret is in the output:\n{text}"


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("how", ["env", "file"])
def test_pinit_flink_role_never_prints_secrets(flink_home, tmp_path, how, fmt):
    env = flink_env(flink_home, tmp_path, how, fmt)
    r = run_pid1(["flink", "jobmanager"], env=env, timeout=30, text=False)
    assert r.returncode == 0, r.stderr
    no_secret("pinit flink jobmanager", r.stdout, r.stderr)
    if fmt == "json":
        check_json_lines(r.stderr)
    else:
        check_text_lines(r.stderr)
    # the secrets did reach where they belong: the child's environment and Flink's config
    assert f"password={SECRET}" in (tmp_path / "report").read_text()
    conf = open(os.path.join(flink_home, "conf", "config.yaml")).read()
    assert f"s3.secret-key: {SECRET}" in conf and f"password.x: {SECRET}" in conf
    # ... and the warnings about the bad lines were logged, without their values
    err = r.stderr.decode(errors="replace")
    assert "FLINK_PROPERTIES:2" in err and "fs.s3a..secret" in err


@pytest.mark.parametrize("how", ["env", "file"])
def test_pinit_flink_passthrough_and_help_never_print_secrets(flink_home, tmp_path, how):
    env = flink_env(flink_home, tmp_path, how, "text")
    r = run_pid1(["flink", "sh", "-c", "exit 0"], env=env, timeout=30, text=False)
    assert r.returncode == 0, r.stderr
    no_secret("pinit flink sh -c", r.stdout, r.stderr)
    h = client(["flink", "help"], env)
    assert h.returncode == 0
    no_secret("pinit flink help", h.stdout, h.stderr)


@pytest.mark.parametrize("how", ["env", "file"])
def test_pinit_render_never_prints_secrets(flink_home, tmp_path, how):
    env = flink_env(flink_home, tmp_path, how, "text")
    r = client(["render"], env)
    assert r.returncode == 0, r.stderr
    no_secret("pinit render", r.stdout, r.stderr)
    d = client(["render", "--dry-run"], env)
    assert d.returncode == 0, d.stderr
    no_secret("pinit render --dry-run (stderr)", d.stderr)
    # stdout is the rendered file: the secret may only be there as the value of its key
    for line in d.stdout.decode(errors="replace").splitlines():
        if SECRET in line:
            assert line.startswith(("s3.secret-key: ", "password.x: ")), line


@pytest.mark.parametrize("how", ["env", "file"])
def test_pinit_config_never_prints_secrets(flink_home, tmp_path, how):
    env = flink_env(flink_home, tmp_path, how, "text")
    env["PINIT_LIVENESS_URL"] = f"http://app:{SECRET}@127.0.0.1:{closed_port()}/health"
    ini = tmp_path / "pinit.ini"
    ini.write_text("[readiness]\nurl = http://app:${DATABASE_PASSWORD}@127.0.0.1:9/ready\n")
    env["PINIT_CONFIG"] = str(ini)
    r = client(["config"], env)
    assert r.returncode == 0, r.stderr
    no_secret("pinit config", r.stdout, r.stderr)
    assert "liveness.url = http://***@127.0.0.1:" in r.stdout.decode()


BAD_VALUES = [
    ("PINIT_RESTART_POLICY", "sometimes"),
    ("PINIT_STOP_TIMEOUT", "soon"),
    ("PINIT_LIVENESS_URL", "ftp://example/health"),
    ("PINIT_HTTP_LISTEN", "localhost:9400"),
    ("PINIT_LOG_LEVEL", "loud"),
    ("PINIT_RESTART_ALLOW_SLOW", "maybe"),
    ("PINIT_FLINK_FORMAT", "toml"),
    ("PINIT_WAIT", "ftp://example/"),
]


@pytest.mark.parametrize("var,value", BAD_VALUES, ids=[v[0] for v in BAD_VALUES])
def test_bad_pinit_values_are_refused_without_printing_secrets(flink_home, tmp_path, var, value):
    env = flink_env(flink_home, tmp_path, "env", "text")
    env[var] = value
    for args in (["flink", "jobmanager"], ["--", "true"]):
        r = run_pid1(args, env=env, timeout=20, text=False)
        assert r.returncode == 78, (args, r.stderr)
        no_secret(f"pinit {' '.join(args)} with {var}={value}", r.stdout, r.stderr)
        assert var.encode() in r.stderr or b"http.listen" in r.stderr, r.stderr
    c = client(["config"], env)
    assert c.returncode == 78
    no_secret(f"pinit config with {var}={value}", c.stdout, c.stderr)


def test_probe_and_wait_logs_hide_url_credentials():
    port = closed_port()
    url = f"http://app:{SECRET}@127.0.0.1:{port}/health"
    r = run_pid1(["--", "sleep", "1.5"], env={"PINIT_RESTART_POLICY": "on-failure", "PINIT_LIVENESS_URL": url,
                                                "PINIT_LIVENESS_INTERVAL": "200ms", "PINIT_LOG_LEVEL": "debug",
                                                "PINIT_LIVENESS_FAILURE_THRESHOLD": "100"},
                 timeout=20, text=False)
    assert r.returncode == 0, r.stderr
    assert b"http://***@127.0.0.1" in r.stderr
    no_secret("liveness probe logs", r.stdout, r.stderr)
    w = client(["wait", "--timeout", "1s", url], {})
    assert w.returncode == 69
    no_secret("pinit wait", w.stdout, w.stderr)


# ---------------------------------------------------------------- defects found and fixed (issue 6)

@pytest.mark.parametrize("source", ["PINIT_WAIT", "ini"])
def test_pinit_config_hides_credentials_in_wait_targets(tmp_path, source):
    env = {"DATABASE_PASSWORD": SECRET}
    if source == "ini":
        ini = tmp_path / "pinit.ini"
        ini.write_text("[wait]\ntargets = http://app:${DATABASE_PASSWORD}@127.0.0.1:1/\n")
        env["PINIT_CONFIG"] = str(ini)
    else:
        env["PINIT_WAIT"] = f"http://app:{SECRET}@127.0.0.1:1/"
    r = client(["config"], env)
    assert r.returncode == 0
    no_secret("pinit config", r.stdout, r.stderr)


BAD_URLS = [
    ("PINIT_WAIT", f"http://app:{SECRET}@127.0.0.1:99999/"),
    ("PINIT_WAIT", f"ftp://app:{SECRET}@db/"),
    ("PINIT_LIVENESS_URL", f"ftp://app:{SECRET}@db/"),
    ("PINIT_READINESS_URL", f"ftp://app:{SECRET}@db/"),
]


@pytest.mark.parametrize("var,value", BAD_URLS, ids=[f"{v}-{u.split(':')[0]}" for v, u in BAD_URLS])
def test_config_errors_hide_credentials_of_bad_urls(var, value):
    r = client(["config"], {var: value})
    assert r.returncode == 78
    no_secret(f"{var}={value}", r.stdout, r.stderr)


def test_pinit_wait_usage_error_hides_credentials():
    r = client(["wait", f"http://app:{SECRET}@127.0.0.1:99999/"], {})
    assert r.returncode == 64
    no_secret("pinit wait", r.stdout, r.stderr)


@pytest.mark.parametrize("args", [["--", "true"], ["flink", "jobmanager"]], ids=["run", "flink"])
def test_json_config_error_is_json(args, flink_home, tmp_path):
    env = flink_env(flink_home, tmp_path, "env", "json")
    env["PINIT_RESTART_POLICY"] = "sometimes"
    r = run_pid1(args, env=env, timeout=20, text=False)
    assert r.returncode == 78
    check_json_lines(r.stderr)


def test_json_render_warnings_are_json(flink_home, tmp_path):
    env = flink_env(flink_home, tmp_path, "env", "json")
    r = client(["render", "--dry-run"], env)
    assert r.returncode == 0 and r.stderr
    check_json_lines(r.stderr)


def test_json_wait_lines_are_json():
    r = client(["wait", "--timeout", "1s", f"tcp://127.0.0.1:{closed_port()}"], {"PINIT_LOG_FORMAT": "json"})
    assert r.returncode == 69
    check_json_lines(r.stderr)


def test_json_line_is_utf8_for_a_non_utf8_command():
    r = run_pid1(["--", b"/nonexistent/\xff\xfe".decode("utf-8", "surrogateescape")],
                 env={"PINIT_LOG_FORMAT": "json"}, timeout=20, text=False)
    assert r.returncode == 127
    check_json_lines(r.stderr)


def test_json_long_message_is_cut_on_a_character_boundary():
    bad = []
    for pad in range(4):
        name = "/" + "x" * pad + "é" * 700  # 2 bytes each: one of the pads cuts inside one
        r = run_pid1(["--", name], env={"PINIT_LOG_FORMAT": "json"}, timeout=20, text=False)
        try:
            check_json_lines(r.stderr)
        except pytest.fail.Exception as e:
            bad.append(str(e)[:200])
    assert not bad, bad
