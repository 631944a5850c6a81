"""`pinit flink ROLE ARGS` passes every argument to the role script, however many (issue 9,
item 9: argv was cut at 255 entries without a word)."""
import os
import shutil
import uuid

import pytest

from conftest import make_flink_home, start_pid1, wait_for

# A stand-in for bin/<role>.sh: writes its argument count and its arguments, one a line.
SCRIPT = r'''#!/bin/bash
printf '%s\n' "$#" "$@" > "$REPORT.tmp" && mv "$REPORT.tmp" "$REPORT"
exec sleep 600
'''


@pytest.fixture
def flink_home():
    d = make_flink_home("jobmanager.rpc.address: localhost\n", SCRIPT, "pinit-flink-args-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def env_for(home, report):
    return {"FLINK_HOME": home, "REPORT": report, "JOB_MANAGER_RPC_ADDRESS": "127.0.0.1",
            "PINIT_CONTROL_SOCKET": "@pinit-test-" + uuid.uuid4().hex, "DISABLE_JEMALLOC": "true",
            "PINIT_FLINK_USER": "nobody-such-user"}


def test_a_thousand_arguments_reach_the_role_script(flink_home):
    report = os.path.join(flink_home, "log", "report")
    args = [f"--arg{i}=v {i}" for i in range(1000)]
    r = start_pid1(["flink", "standalone-job", *args], env=env_for(flink_home, report))
    wait_for(lambda: os.path.exists(report), 20, what="the role script's report")
    lines = open(report).read().split("\n")[:-1]
    assert lines[0] == "1001", lines[:3]  # start-foreground + the 1000
    assert lines[1] == "start-foreground"
    assert lines[2:] == args
    r.signal(15)
    r.wait(20)


def test_a_thousand_arguments_pass_through_unchanged(flink_home):
    report = os.path.join(flink_home, "log", "report")
    args = [f"a{i}" for i in range(1000)]
    r = start_pid1(["flink", "sh", "-c", 'printf "%s\\n" "$#" "$@" > "$0"', report, *args],
                   env=env_for(flink_home, report))
    assert r.wait(20) == 0, r.stderr
    lines = open(report).read().split("\n")[:-1]
    assert lines[0] == "1000" and lines[1:] == args
