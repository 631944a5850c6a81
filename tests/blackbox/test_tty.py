"""pinit on a terminal: the child is the foreground process group, an interactive shell
keeps job control, Ctrl-C ends a looping shell with 130; stdin passes through."""
import pytest

from conftest import PINIT, UNSHARE, describe, pinit_env, run_pid1, run_sub

pytestmark = pytest.mark.usefixtures("pinit_bin")


def pid1(*args):
    return UNSHARE + [PINIT] + list(args)


def sub(*args):
    return UNSHARE + ["/bin/sh", "-c", '"$@"; exit $?', "sh", PINIT] + list(args)


@pytest.mark.parametrize("wrap", [pid1, sub], ids=["pid1", "not-pid1"])
def test_interactive_shell_keeps_job_control(pty_run, wrap):
    t = pty_run(wrap("--", "sh", "-i"), env=pinit_env({"PS1": "$ ", "ENV": ""}))
    t.expect(r"\$ ")
    t.write("sleep 30 &\n")
    t.write("jobs\n")
    t.expect(r"\[1\][ +-]*Running\s+sleep 30")
    t.write('echo "PG=$(ps -o pgid= -p $$) TP=$(ps -o tpgid= -p $$) M=$-"\n')
    m = t.expect(rb"PG=\s*(-?\d+) TP=\s*(-?\d+) M=(\w*)")
    pg, tp, flags = int(m.group(1)), int(m.group(2)), m.group(3).decode()
    assert pg == tp, f"the shell is not the terminal's foreground group: {t.buf!r}"
    assert "m" in flags, f"job control (monitor) is off: $- = {flags!r}"
    t.write("kill %1; exit 0\n")
    rc = t.wait(20)
    out = t.buf.decode(errors="replace")
    assert "job control" not in out, f"the shell lost job control: {out!r}"
    assert "pinit:" not in out, f"pinit complained: {out!r}"
    assert rc == 0, f"rc={rc} output={out!r}"


@pytest.mark.parametrize("wrap", [pid1, sub], ids=["pid1", "not-pid1"])
def test_child_is_foreground_process_group(pty_run, wrap):
    t = pty_run(wrap("--", "sh", "-c", 'echo "PG=$(ps -o pgid= -p $$) TP=$(ps -o tpgid= -p $$)"'),
                env=pinit_env())
    m = t.expect(rb"PG=\s*(-?\d+) TP=\s*(-?\d+)")
    assert m.group(1) == m.group(2), f"child not in the foreground: {t.buf!r}"
    assert t.wait() == 0, t.buf


@pytest.mark.parametrize("wrap", [pid1, sub], ids=["pid1", "not-pid1"])
def test_ctrl_c_ends_looping_shell_130(pty_run, wrap):
    t = pty_run(wrap("--", "sh", "-c", "echo looping; while :; do :; done"), env=pinit_env())
    t.expect("looping")
    t.write(b"\x03")
    rc = t.wait(10)
    assert rc == 130, f"rc={rc} output={t.buf!r}"


@pytest.mark.parametrize("wrap", [pid1, sub], ids=["pid1", "not-pid1"])
def test_mask_transparent_on_tty(pty_run, wrap):
    """Taking the terminal (tcsetpgrp) must not leave SIGTTOU & co blocked or ignored."""
    cmd = ["grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"]
    base = pty_run(UNSHARE + cmd if wrap is pid1 else
                   UNSHARE + ["/bin/sh", "-c", '"$@"; exit $?', "sh"] + cmd, env=pinit_env())
    assert base.wait() == 0
    t = pty_run(wrap("--", *cmd), env=pinit_env())
    assert t.wait() == 0, t.buf
    assert t.buf == base.buf, f"on a tty the child's signal state differs: {t.buf!r} vs {base.buf!r}"


@pytest.mark.parametrize("run", [run_pid1, run_sub], ids=["pid1", "not-pid1"])
def test_stdin_passes_through(run):
    r = run(["sh"], input="exit 7\n")
    assert r.returncode == 7, describe(r)
    r = run(["--", "cat"], input="line one\nline two\n")
    assert (r.returncode, r.stdout) == (0, "line one\nline two\n"), describe(r)
