"""The child's environment is built explicitly (env_block.h): pinit's own environment plus
NAME_FILE secrets and NOTIFY_SOCKET.  pinit never setenv()s its own; exec probes get the
child's environment, as Docker gives a HEALTHCHECK the container's."""
import os

from conftest import run_pid1, describe

DUMP = """#!/bin/sh
env > "$1.tmp" && mv "$1.tmp" "$1"
"""


def env_of(path):
    with open(path) as f:
        return dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)


def test_child_and_exec_probes_see_secrets_and_notify_socket(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("s3cr3t\n")
    dump = tmp_path / "dump.sh"
    dump.write_text(DUMP)
    dump.chmod(0o755)
    live, ready, child = tmp_path / "live.env", tmp_path / "ready.env", tmp_path / "child.env"
    # the child waits until both probes have run once, then dumps its own environment
    script = f'while [ ! -s {live} ] || [ ! -s {ready} ]; do sleep 0.05; done; {dump} {child}'
    r = run_pid1(["--", "sh", "-c", script],
                 env={"DB_PASSWORD_FILE": str(secret), "PINIT_NOTIFY_SOCKET": "1",
                      "PINIT_LIVENESS_EXEC": f"{dump} {live}", "PINIT_LIVENESS_INTERVAL": "200ms",
                      "PINIT_READINESS_EXEC": f"{dump} {ready}", "PINIT_READINESS_INTERVAL": "200ms",
                      "PINIT_CONTROL_SOCKET": f"@pinit-test-child-env-{os.getpid()}"},
                 timeout=20)
    assert r.returncode == 0, describe(r)
    envs = {name: env_of(p) for name, p in (("child", child), ("liveness", live), ("readiness", ready))}
    for name, env in envs.items():
        assert env.get("DB_PASSWORD") == "s3cr3t", (name, sorted(env))
        assert env.get("NOTIFY_SOCKET", "").startswith("@"), (name, sorted(env))
        assert env.get("DB_PASSWORD_FILE") == str(secret), name
    # one socket, the same name everywhere
    assert len({env["NOTIFY_SOCKET"] for env in envs.values()}) == 1
    assert "s3cr3t" not in r.stdout + r.stderr


def test_no_secret_no_notify_means_the_environment_passes_unchanged(tmp_path):
    r = run_pid1(["--", "env"], env={"PINIT_TEST_MARK": "a=b=c", "SSL_CERT_FILE": "/nonexistent"},
                 timeout=10)
    assert r.returncode == 0, describe(r)
    lines = r.stdout.splitlines()
    assert "PINIT_TEST_MARK=a=b=c" in lines
    assert "SSL_CERT_FILE=/nonexistent" in lines and not any(l.startswith("SSL_CERT=") for l in lines)
    assert not any(l.startswith("NOTIFY_SOCKET=") for l in lines)
