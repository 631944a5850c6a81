"""Configuration that cannot work is refused before anything starts: exit 78, one line that
names the file (and line) or the variable, never a hang (issue 9, items 10 and 12)."""
import os
import resource

import pytest

from conftest import start_pid1


def refused(tmp_path, env, needle, **kw):
    marker = tmp_path / "started"
    r = start_pid1(["--", "touch", str(marker)], env=env, **kw)
    assert r.wait(10) == 78, r.stderr
    assert needle in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not marker.exists()
    return r


def test_config_path_that_is_a_directory_is_refused(tmp_path):
    d = tmp_path / "pinit.ini"  # what compose mounts when the host file is missing
    d.mkdir()
    refused(tmp_path, {"PINIT_CONFIG": str(d)}, f"{d}: a directory, not a regular file")


def test_config_path_that_is_a_fifo_is_refused_at_once(tmp_path):
    f = tmp_path / "pinit.ini"
    os.mkfifo(f)
    r = refused(tmp_path, {"PINIT_CONFIG": str(f)}, f"{f}: a FIFO, not a regular file")
    assert r.elapsed < 5


def test_config_path_dev_zero_is_refused(tmp_path):
    refused(tmp_path, {"PINIT_CONFIG": "/dev/zero"}, "/dev/zero: a character device, not a regular file")


@pytest.mark.parametrize("sig", ["STOP", "TSTP", "TTIN", "TTOU", "CONT"])
def test_stop_signal_that_only_pauses_or_continues_is_refused(tmp_path, sig):
    refused(tmp_path, {"PINIT_STOP_SIGNAL": sig},
            f"PINIT_STOP_SIGNAL: {sig}: pauses or continues a process, never stops it")


def test_empty_abstract_control_socket_name_is_refused(tmp_path):
    refused(tmp_path, {"PINIT_CONTROL_SOCKET": "@"}, "PINIT_CONTROL_SOCKET: @: the abstract name is empty")


def test_notify_fd_above_the_descriptor_limit_is_refused(tmp_path):
    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    refused(tmp_path, {"PINIT_NOTIFY_FD": "300"},
            "PINIT_NOTIFY_FD: 300: above the descriptor limit (RLIMIT_NOFILE 256)", preexec_fn=low_limit)


def test_empty_unknown_ini_section_is_refused(tmp_path):
    ini = tmp_path / "pinit.ini"
    ini.write_text("[restart]\npolicy = always\n\n[livenes]\n")
    refused(tmp_path, {"PINIT_CONFIG": str(ini)}, f"{ini}:4: [livenes]: unknown section")
