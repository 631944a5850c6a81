"""The process pinit makes: cwd, process group, fds; pinit's own fds and cwd; the drain of
every other process before exit; zero idle wake-ups; quiet when not PID 1."""
import os
import signal
import time

import pytest

from conftest import (PINIT, PYTHON, SLOW, describe, run_pid1, run_sub, start_argv,
                      start_ns, start_pid1, start_sub, wait_file, wait_for, ctxt_switches,
                      idle_sleep)

pytestmark = pytest.mark.usefixtures("pinit_bin")

SHOW_IDS = "import os; print(os.getcwd(), os.getpid(), os.getpgrp(), os.getsid(0))"


@pytest.mark.parametrize("run", [run_pid1, run_sub], ids=["pid1", "not-pid1"])
def test_child_cwd_pgrp(run, tmp_path):
    r = run(["--", PYTHON, "-c", SHOW_IDS], cwd=tmp_path)
    assert r.returncode == 0, describe(r)
    cwd, pid, pgrp, sid = r.stdout.split()
    assert cwd == str(tmp_path), f"child's cwd is not the caller's: {describe(r)}"
    assert pgrp == pid, f"child is not leader of its own process group: {describe(r)}"


@pytest.mark.parametrize("run", [run_pid1, run_sub], ids=["pid1", "not-pid1"])
def test_relative_command_and_args_resolve_in_callers_cwd(run, tmp_path):
    """pinit moves to / itself, but COMMAND and its arguments are the caller's: a relative
    program path and relative file arguments resolve in the caller's cwd."""
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\ncat ./data.txt\nexit 6\n")
    script.chmod(0o755)
    (tmp_path / "data.txt").write_text("relative ok\n")
    r = run(["./run.sh"], cwd=tmp_path)
    assert (r.returncode, r.stdout) == (6, "relative ok\n"), describe(r)
    r = run(["--", "cat", "data.txt"], cwd=tmp_path)
    assert (r.returncode, r.stdout) == (0, "relative ok\n"), describe(r)


def test_child_gets_env():
    r = run_pid1(["--", "sh", "-c", 'echo "$PINIT_TEST_VALUE"'],
                 env={"PINIT_TEST_VALUE": "a b  c"})
    assert r.stdout == "a b  c\n", describe(r)


def test_stdout_stderr_are_the_childs():
    r = run_pid1(["--", "sh", "-c", "echo out; echo err >&2; exit 0"])
    assert (r.returncode, r.stdout, r.stderr) == (0, "out\n", "err\n"), describe(r)


def _with_fds(tmp_path):
    """preexec_fn giving the started process exactly fds 0-2, 5 (a file) and 7 (a pipe's
    write end): every other fd >= 3 is marked close-on-exec."""
    import fcntl
    data = tmp_path / "fd5.txt"
    data.write_text("hello from fd 5\n")
    rfd, wfd = os.pipe()

    def pre():
        f = os.open(data, os.O_RDONLY)
        os.dup2(f, 5)
        os.dup2(wfd, 7)
        for fd in os.listdir("/proc/self/fd"):
            fd = int(fd)
            if fd >= 3 and fd not in (5, 7):
                try:
                    fcntl.fcntl(fd, fcntl.F_SETFD, fcntl.FD_CLOEXEC)
                except OSError:
                    pass
    return pre, data, rfd, wfd


def _fd_targets(pid):
    out = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            out[int(fd)] = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            pass
    return out


@pytest.mark.parametrize("start", [start_pid1, start_sub], ids=["pid1", "not-pid1"])
def test_inherited_fds_reach_child_and_pinit_closes_its_own(start, tmp_path):
    """fds 5 and 7 given to pinit reach the child; pinit itself closes them after start (it
    may keep fds it opened itself: epoll, signalfd, its socket)."""
    pre, data, rfd, wfd = _with_fds(tmp_path)
    r = start(["--", "sh", "-c", "cat <&5; echo ready; exec sleep 60"],
              cwd=tmp_path, preexec_fn=pre, close_fds=False)
    os.close(wfd)
    try:
        assert r.readline() == "hello from fd 5\n", "fd 5 did not reach the child"
        assert r.readline() == "ready\n"
        inherited = {str(data), f"pipe:[{os.fstat(rfd).st_ino}]"}
        child = r.child(exe="sleep")
        assert inherited <= set(_fd_targets(child).values()), \
            f"the child lacks fd 5 or 7: {_fd_targets(child)}"
        pinit = r.pinit

        def kept():
            return {fd: t for fd, t in _fd_targets(pinit).items() if fd >= 3 and t in inherited}
        deadline = time.monotonic() + 2 * SLOW
        while kept() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not kept(), f"pinit kept inherited fds: {kept()} (all: {_fd_targets(pinit)})"
    finally:
        os.close(rfd)


def test_many_inherited_fds_all_closed(tmp_path):
    """All inherited fds >= 3 are closed by pinit, however many: here 300 (fds 400-699)
    and one at 1500, all reaching the child."""
    import resource
    data = tmp_path / "many.txt"
    data.write_text("x")

    def pre():
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 2048:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(2048, hard), hard))
        f = os.open(data, os.O_RDONLY)
        for fd in list(range(400, 700)) + [1500]:
            os.dup2(f, fd)
    r = start_pid1(["--", "sleep", "60"], preexec_fn=pre, close_fds=False)
    child = r.child(exe="sleep")
    time.sleep(0.2 * SLOW)
    in_child = [fd for fd, t in _fd_targets(child).items() if t == str(data)]
    assert len(in_child) >= 301, f"the child got only {len(in_child)} of the 301 fds"
    kept = sorted(fd for fd, t in _fd_targets(r.pinit).items() if t == str(data))
    assert not kept, f"pinit kept {len(kept)} inherited fds: {kept[:5]}...{kept[-3:]}"


@pytest.mark.parametrize("start", [start_pid1, start_sub], ids=["pid1", "not-pid1"])
def test_pinit_cwd_is_root(start, tmp_path):
    r = start(["--", "sleep", "60"], cwd=tmp_path)
    r.child(exe="sleep")
    wait_for(lambda: os.readlink(f"/proc/{r.pinit}/cwd") == "/", 2,
             what=f"pinit's cwd to be / (is {os.readlink(f'/proc/{r.pinit}/cwd')})")
    assert os.readlink(f"/proc/{r.child(exe='sleep')}/cwd") == str(tmp_path)


def test_not_pid1_is_quiet():
    r = run_sub(["true"])
    assert (r.returncode, r.stderr) == (0, ""), describe(r)
    r = run_sub(["--", "sh", "-c", "exit 3"])
    assert (r.returncode, r.stderr) == (3, ""), describe(r)


def test_pid1_is_quiet():
    r = run_pid1(["true"])
    assert (r.returncode, r.stderr) == (0, ""), describe(r)


# ------------------------------------------------------------------------ drain

CLEANUP_PY = r'''
import os, signal, sys, time
marker, ready = sys.argv[1], sys.argv[2]
mode = sys.argv[3] if len(sys.argv) > 3 else "trap"
def on_term(sig, frame):
    time.sleep(0.5)
    open(marker, "w").write("cleaned up\n")
    os._exit(0)
if mode == "trap":
    signal.signal(signal.SIGTERM, on_term)
else:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
open(ready, "w").close()
while True:
    time.sleep(1)
'''


@pytest.fixture
def cleanup_helper(tmp_path):
    p = tmp_path / "cleanup.py"
    p.write_text(CLEANUP_PY)
    return p, tmp_path / "marker", tmp_path / "helper.ready"


@pytest.mark.parametrize("run", [run_pid1, run_sub], ids=["pid1", "not-pid1"])
def test_drain_waits_for_helper_cleanup_after_main_exits(cleanup_helper, run):
    """The main child exits 3 while a helper (an orphan by then) runs: the helper gets
    SIGTERM, needs 500 ms to clean up, and pinit exits 3 only after it finished."""
    helper, marker, ready = cleanup_helper
    script = (f'{PYTHON} {helper} {marker} {ready} & '
              f'while [ ! -e {ready} ]; do sleep 0.02; done; exit 3')
    r = run(["--", "sh", "-c", script], env={"PINIT_STOP_TIMEOUT": "5s"}, timeout=30)
    assert r.returncode == 3, describe(r)
    assert marker.exists(), f"the helper's cleanup was cut short: {describe(r)}"
    assert r.elapsed < 4.5 * SLOW + 1, f"took {r.elapsed:.1f}s: waited for the stop timeout?"


def test_drain_on_sigterm_waits_for_helper(cleanup_helper, tmp_path):
    """SIGTERM to pinit: the main child (exits on TERM) and its helper child (500 ms cleanup)
    are both gone, the helper finished, before pinit exits with the main child's status."""
    helper, marker, ready = cleanup_helper
    script = (f'{PYTHON} {helper} {marker} {ready} & '
              f'trap "exit 0" TERM; while :; do sleep 0.05; done')
    r = start_pid1(["--", "sh", "-c", script], env={"PINIT_STOP_TIMEOUT": "5s"})
    wait_file(ready)
    t0 = time.monotonic()
    r.signal(signal.SIGTERM)
    rc = r.wait(30)
    took = time.monotonic() - t0
    assert rc == 0, describe(r)
    assert marker.exists(), f"the helper's cleanup was cut short: {describe(r)}"
    assert 0.45 <= took < 4.5 * SLOW, f"stop took {took:.2f}s"


@pytest.mark.parametrize("run", [run_pid1, run_sub], ids=["pid1", "not-pid1"])
def test_drain_kills_helper_ignoring_term(cleanup_helper, run):
    """A helper ignoring SIGTERM is SIGKILLed after PINIT_STOP_TIMEOUT=1s; pinit's exit is
    bounded and carries the main child's code."""
    helper, marker, ready = cleanup_helper
    script = (f'{PYTHON} {helper} {marker} {ready} ignore & '
              f'while [ ! -e {ready} ]; do sleep 0.02; done; exit 5')
    r = run(["--", "sh", "-c", script], env={"PINIT_STOP_TIMEOUT": "1s"}, timeout=30)
    assert r.returncode == 5, describe(r)
    assert 1.0 <= r.elapsed <= 4 * SLOW, f"pinit exited after {r.elapsed:.2f}s"


def test_drain_stop_with_stubborn_child_and_helper(cleanup_helper):
    """SIGTERM: main child and helper both ignore TERM: both SIGKILLed, exit 137, bounded by
    about two stop timeouts."""
    helper, marker, ready = cleanup_helper
    script = (f'{PYTHON} {helper} {marker} {ready} ignore & '
              f'trap "" TERM; while :; do sleep 0.05; done')
    r = start_pid1(["--", "sh", "-c", script], env={"PINIT_STOP_TIMEOUT": "1s"})
    wait_file(ready)
    t0 = time.monotonic()
    r.signal(signal.SIGTERM)
    rc = r.wait(30)
    took = time.monotonic() - t0
    assert rc == 137, describe(r)
    assert 0.9 <= took <= 3.5 * SLOW, f"stop took {took:.2f}s with PINIT_STOP_TIMEOUT=1s"


SPAWNER_PY = r'''
import os, signal, subprocess, sys, time
ready = sys.argv[1]
def on_term(sig, frame):
    # answer SIGTERM by starting a new process that ignores it, then leave
    subprocess.Popen(["sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"])
    os._exit(0)
signal.signal(signal.SIGTERM, on_term)
open(ready, "w").close()
while True:
    time.sleep(1)
'''


@pytest.mark.parametrize("run", [run_pid1, run_sub], ids=["pid1", "not-pid1"])
def test_drain_bounded_when_processes_appear_during_it(tmp_path, run):
    """A helper answers the drain's SIGTERM by starting a TERM-ignoring process: the drain
    still ends (SIGKILL after the timeout) and pinit exits with the main child's code."""
    spawner, ready = tmp_path / "spawner.py", tmp_path / "spawner.ready"
    spawner.write_text(SPAWNER_PY)
    script = (f'{PYTHON} {spawner} {ready} & '
              f'while [ ! -e {ready} ]; do sleep 0.02; done; exit 9')
    r = run(["--", "sh", "-c", script], env={"PINIT_STOP_TIMEOUT": "1s"}, timeout=30)
    assert r.returncode == 9, describe(r)
    assert r.elapsed <= 5 * SLOW, f"drain took {r.elapsed:.1f}s with PINIT_STOP_TIMEOUT=1s"


def test_drain_not_pid1_spares_processes_outside_subtree(tmp_path):
    """Not PID 1, the drain touches pinit's own subtree only: a sibling of pinit lives on,
    pinit's orphan is gone when pinit exits."""
    script = ('sleep 60 & sib=$!; '
              '"$PINIT" -- sh -c "sleep 60 & echo \\$! > orphan.pid; exit 4"; rc=$?; '
              'if kill -0 $sib 2>/dev/null; then echo sibling-alive; else echo sibling-dead; fi; '
              'if kill -0 $(cat orphan.pid) 2>/dev/null; then echo orphan-alive; '
              'else echo orphan-gone; fi; echo rc=$rc')
    r = start_ns(script, cwd=tmp_path, env={"PINIT_STOP_TIMEOUT": "2s"})
    rc = r.wait(30)
    assert r.stdout.split() == ["sibling-alive", "orphan-gone", "rc=4"], describe(r)


@pytest.mark.parametrize("script,code", [("exit 0", 0), ("sleep 30 & exit 3", 3)],
                         ids=["alone", "orphan"])
def test_drain_with_parent_namespace_proc(script, code):
    """PID 1 of a new PID namespace whose /proc is still the parent namespace's (`unshare
    --pid --fork` without --mount-proc): the processes listed there are not pinit's to
    drain.  pinit must exit as soon as its own are gone, quietly, not wait out the stop
    timeout for them (nor signal their pid numbers inside its namespace)."""
    argv = ["unshare", "--pid", "--fork", "--kill-child", PINIT, "--", "sh", "-c", script]
    r = start_argv(argv, env={"PINIT_STOP_TIMEOUT": "5s"})
    rc = r.wait(30)
    assert rc == code, describe(r)
    assert r.elapsed < 3 * SLOW, f"took {r.elapsed:.1f}s: {describe(r)}"
    assert r.stderr == "", describe(r)


# ------------------------------------------------------------------------ idle

@pytest.mark.parametrize("start", [start_pid1, start_sub], ids=["pid1", "not-pid1"])
def test_zero_idle_wakeups(start):
    r = start(["--", "sleep", "60"])
    r.child(exe="sleep")
    time.sleep(0.3)
    before = ctxt_switches(r.pinit)
    time.sleep(5)
    after = ctxt_switches(r.pinit)
    assert after == before, f"pinit woke up {after - before} times in 5 s while idle"


@pytest.mark.parametrize("start", [start_pid1, start_sub], ids=["pid1", "not-pid1"])
def test_idle_sleep_has_no_timeout(start):
    """Zero wake-ups while idle, beyond any test window: the call idle pinit sleeps in has
    no timeout (or one of an hour and more).  libev's default, for instance, wakes every
    59.743 s to look for clock jumps, unless built without periodics or using a timerfd."""
    r = start(["--", "sleep", "60"])
    r.child(exe="sleep")
    time.sleep(0.3)
    got = idle_sleep(r.pinit)
    if got is None:
        pytest.skip("cannot read the blocking call on this architecture")
    name, timeout = got
    assert timeout is None or (isinstance(timeout, float) and timeout >= 3600), \
        f"idle pinit sleeps in {name} with a timeout of {timeout} s: it wakes up periodically"
