"""Exit codes and option parsing of `pinit [OPTIONS] [--] COMMAND [ARG...]`."""
import os
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import describe, run_pid1, run_sub, LOG_LINE

pytestmark = pytest.mark.usefixtures("pinit_bin")


def _code_run(code):
    r = run_pid1(["--", "sh", "-c", f"exit {code}"], timeout=60)
    return code, r


@pytest.mark.parametrize("chunk", range(4))
def test_every_exit_code_passes_through(chunk):
    """Codes 0-255: each gets its own pinit run (64 per test, 4 at a time)."""
    codes = range(chunk * 64, chunk * 64 + 64)
    with ThreadPoolExecutor(4) as ex:
        results = list(ex.map(_code_run, codes))
    bad = [(c, describe(r)) for c, r in results if r.returncode != c]
    assert not bad, f"{len(bad)} codes changed, e.g. {bad[:3]}"
    noisy = [(c, r.stderr) for c, r in results if r.stderr]
    assert not noisy, f"pinit wrote to stderr in plain run mode: {noisy[:3]}"


@pytest.mark.parametrize("sig,code", [("TERM", 143), ("KILL", 137), ("SEGV", 139),
                                      ("HUP", 129), ("QUIT", 131), ("INT", 130),
                                      ("USR1", 138), ("ABRT", 134)])
def test_death_by_signal_is_128_plus_signal(sig, code, tmp_path):
    # ulimit -c 0: core_pattern may write core files into the cwd
    r = run_pid1(["--", "sh", "-c", f"ulimit -c 0; kill -{sig} $$; sleep 5"], cwd=tmp_path)
    assert r.returncode == code, describe(r)


def test_exit_code_not_pid1():
    r = run_sub(["--", "sh", "-c", "exit 42"])
    assert r.returncode == 42, describe(r)
    r = run_sub(["--", "sh", "-c", "kill -TERM $$; sleep 5"])
    assert r.returncode == 143, describe(r)


def _one_error_line(r, name):
    lines = r.stderr.splitlines()
    assert len(lines) == 1, f"want exactly one stderr line: {describe(r)}"
    line = lines[0]
    assert line.startswith("pinit: error: "), describe(r)
    assert f"{name}: " in line or line.endswith(name), \
        f"message does not name {name!r}: {line!r}"
    assert LOG_LINE.match(line), f"not 'pinit: <level>: <what>: <detail>': {line!r}"


def test_missing_program_127():
    r = run_pid1(["--", "/nonexistent/prog"])
    assert r.returncode == 127, describe(r)
    _one_error_line(r, "/nonexistent/prog")


def test_missing_program_on_path_127():
    r = run_pid1(["no-such-command-pinit-test", "arg"])
    assert r.returncode == 127, describe(r)
    _one_error_line(r, "no-such-command-pinit-test")


def test_missing_program_not_pid1_127():
    r = run_sub(["--", "/nonexistent/prog"])
    assert r.returncode == 127, describe(r)
    _one_error_line(r, "/nonexistent/prog")


def test_directory_126(tmp_path):
    d = tmp_path / "adir"
    d.mkdir()
    r = run_pid1(["--", str(d)])
    assert r.returncode == 126, describe(r)
    _one_error_line(r, str(d))


def test_not_executable_126(tmp_path):
    f = tmp_path / "notexec.sh"
    f.write_text("#!/bin/sh\nexit 0\n")
    os.chmod(f, 0o644)
    r = run_pid1(["--", str(f)])
    assert r.returncode == 126, describe(r)
    _one_error_line(r, str(f))


@pytest.mark.parametrize("code,want", [(3, 0), (4, 0), (5, 5), (0, 0), (143, 143)])
def test_remap_two_codes(code, want):
    r = run_pid1(["-e", "3", "-e", "4", "--", "sh", "-c", f"exit {code}"])
    assert r.returncode == want, describe(r)


def test_remap_signal_death():
    """tini remaps after 128+signal: -e 143 turns a SIGTERM death into 0 (the JVM case)."""
    r = run_pid1(["-e", "143", "--", "sh", "-c", "kill -TERM $$; sleep 5"])
    assert r.returncode == 0, describe(r)
    r = run_pid1(["-e", "143", "--", "sh", "-c", "exit 143"])
    assert r.returncode == 0, describe(r)
    r = run_pid1(["-e", "143", "--", "sh", "-c", "kill -KILL $$; sleep 5"])
    assert r.returncode == 137, describe(r)


def test_parsing_stops_at_first_non_option(tmp_path):
    (tmp_path / "somefile").write_text("x")
    r = run_pid1(["ls", "-l"], cwd=tmp_path)
    assert r.returncode == 0, describe(r)
    assert re.search(r"^-rw\S* .* somefile$", r.stdout, re.M), describe(r)


def test_options_after_command_belong_to_it():
    r = run_pid1(["sh", "-c", 'echo "[$0] [$1]"; exit 3', "-e", "4"])
    assert r.returncode == 3, describe(r)
    assert r.stdout == "[-e] [4]\n", describe(r)


def test_double_dash_then_dash_command():
    r = run_pid1(["-e", "3", "--", "sh", "-c", "exit 3", "--", "-v"])
    assert r.returncode == 0, describe(r)


@pytest.mark.parametrize("args", [
    ["-Z", "--", "true"],            # unknown option
    [],                              # no command
    ["--"],                          # no command after --
    ["-e"],                          # missing argument
    ["-e", "abc", "--", "true"],     # not a number
    ["-e", "256", "--", "true"],     # out of range
    ["-e", "-1", "--", "true"],
    ["-p", "NOSUCHSIG", "--", "true"],
    ["--no-such-long-option", "--", "true"],
])
def test_usage_error_64(args):
    r = run_pid1(args)
    assert r.returncode == 64, describe(r)
    lines = r.stderr.splitlines()
    assert lines, f"usage error without a message: {describe(r)}"
    assert LOG_LINE.match(lines[0]) and lines[0].startswith("pinit: error: "), describe(r)


@pytest.mark.parametrize("opts", [["-s"], ["-g"], ["-w"], ["-v"], ["-vv"], ["-v", "-v"],
                                  ["-p", "SIGUSR1"], ["-p", "USR1"], ["-p", "10"],
                                  ["-s", "-g", "-w", "-e", "1"]])
def test_accepted_options(opts):
    r = run_pid1(opts + ["--", "sh", "-c", "echo ran; exit 7"])
    assert r.returncode == 7, describe(r)
    assert r.stdout == "ran\n", describe(r)


def test_verbose_lines_follow_the_format():
    r = run_pid1(["-vvv", "--", "sh", "-c", "exit 0"])
    assert r.returncode == 0, describe(r)
    assert r.stderr.splitlines(), f"-vvv logged nothing: {describe(r)}"
    for line in r.stderr.splitlines():
        assert LOG_LINE.match(line), f"stderr line not in pinit's format: {line!r}"
    r2 = run_pid1(["--", "sh", "-c", "exit 0"], env={"TINI_VERBOSITY": "3"})
    assert r2.returncode == 0, describe(r2)
    assert r2.stderr.splitlines(), f"TINI_VERBOSITY=3 logged nothing: {describe(r2)}"
    for line in r2.stderr.splitlines():
        assert LOG_LINE.match(line), f"stderr line not in pinit's format: {line!r}"


def test_version():
    r = run_pid1(["--version"])
    assert r.returncode == 0, describe(r)
    assert re.match(r"^pinit\b.*\d+\.\d+", r.stdout), describe(r)


def test_help():
    r = run_pid1(["--help"])
    assert r.returncode == 0, describe(r)
    assert "pinit" in r.stdout and "-e" in r.stdout and "-g" in r.stdout, describe(r)
