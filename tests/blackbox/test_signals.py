"""Signals: forwarding of every catchable signal and the real-time range, group mode,
stop (SIGTERM/SIGINT + timeout + SIGKILL), mask/ignored-set transparency, -p."""
import os
import signal
import subprocess
import time

import pytest

from conftest import (PYTHON, SLOW, UNSHARE, describe, pinit_env, read_signals, sigset,
                      start_ns, start_pid1, start_sub, status_fields, wait_file,
                      wait_for, descendants, proc_stat)

pytestmark = pytest.mark.usefixtures("pinit_bin")

UNCATCHABLE = {signal.SIGKILL, signal.SIGSTOP}
STOP = {signal.SIGTERM, signal.SIGINT}
GLIBC_RESERVED = {32, 33}


def handled(pid):
    """Signals pinit has a handler for or keeps blocked (signalfd): SigCgt | SigBlk.  (An
    init sleeping in sigtimedwait, like tini, shows its waited set unblocked.)"""
    cgt, blk = status_fields(pid, "SigCgt", "SigBlk")
    return sigset(cgt) | sigset(blk)


def wait_signal(path, sig, timeout=3):
    return wait_for(lambda: sig in read_signals(path), timeout,
                    what=f"signal {sig} ({signal.Signals(sig).name if sig < 32 else 'RT'}) "
                         f"in {os.path.basename(path)}: got {read_signals(path)}")


def start_recorder(helpers, opts=(), grandchild=False, exit_on_term=True, sub=False, env=None):
    out, ready = helpers.dir / "child.sig", helpers.dir / "child.ready"
    args = [PYTHON, str(helpers.rec), str(out), str(ready)]
    if grandchild:
        args += ["--grandchild", str(helpers.dir / "grand.sig"), str(helpers.dir / "grand.ready")]
    if exit_on_term:
        args.append("--exit-on-term")
    start = start_sub if sub else start_pid1
    r = start(list(opts) + ["--"] + args, env=env)
    wait_file(ready)
    if grandchild:
        wait_file(helpers.dir / "grand.ready")
    return r, out


def test_forward_every_signal(helpers):
    """Each catchable signal 1-31 (not CHLD) and every real-time signal sent to pinit (PID 1)
    reaches the child; then SIGTERM (forwarded, the child exits 0) ends pinit with 0."""
    r, out = start_recorder(helpers)
    have = handled(r.pinit)
    std = [s for s in range(1, 32) if s not in UNCATCHABLE | STOP | {signal.SIGCHLD}]
    # SIGRTMIN is 34 for glibc, 35 for musl (which reserves 32-34): 35..64 are required
    # of every build; 34 whenever pinit takes it (then it must forward it too)
    rt = [s for s in range(34, signal.SIGRTMAX + 1) if s >= 35 or s in have]
    lost = []
    for s in std + rt:
        r.signal(s)
        deadline = time.monotonic() + 3 * SLOW
        while s not in read_signals(out) and time.monotonic() < deadline:
            time.sleep(0.005)
        if s not in read_signals(out):
            lost.append(s)
    assert not lost, f"signals not forwarded to the child: {lost} (got {read_signals(out)})"
    r.signal(signal.SIGTERM)
    assert r.wait(10) == 0, describe(r)
    assert signal.SIGTERM in read_signals(out)


def test_forward_burst(helpers):
    """Distinct signals sent back to back, without waiting, all arrive.  (SIGCONT and the
    stop signals TSTP/TTIN/TTOU are left out: the kernel discards a pending SIGCONT when a
    stop signal is generated and vice versa, whatever the handlers.)"""
    r, out = start_recorder(helpers)
    have = handled(r.pinit)
    job = {signal.SIGCONT, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU}
    sigs = [s for s in range(1, 32) if s not in UNCATCHABLE | STOP | job | {signal.SIGCHLD}]
    sigs += [s for s in range(34, signal.SIGRTMAX + 1) if s >= 35 or s in have]
    for s in sigs:
        r.signal(s)
    deadline = time.monotonic() + 5 * SLOW
    while set(sigs) - set(read_signals(out)) and time.monotonic() < deadline:
        time.sleep(0.02)
    lost = sorted(set(sigs) - set(read_signals(out)))
    assert not lost, f"signals lost in a burst: {lost}"
    r.signal(signal.SIGTERM)
    assert r.wait(10) == 0, describe(r)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_forwarded(helpers, sig):
    r, out = start_recorder(helpers, env={"PINIT_STOP_TIMEOUT": "5s"})
    r.signal(sig)
    assert r.wait(10) == 0, describe(r)
    assert read_signals(out) == [sig]
    assert r.elapsed < 4 * SLOW, "pinit waited for the stop timeout although the child exited"


def test_forward_not_pid1(helpers):
    r, out = start_recorder(helpers, sub=True)
    for s in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGHUP, signal.SIGWINCH, 40):
        r.signal(s)
        wait_signal(out, s)
    r.signal(signal.SIGTERM)
    assert r.wait(10) == 0, describe(r)


def test_stop_timeout_then_sigkill(helpers):
    """SIGTERM: forwarded; the child ignores it; SIGKILL after PINIT_STOP_TIMEOUT=1s -> 137."""
    r = start_pid1(["--", "sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"],
                   env={"PINIT_STOP_TIMEOUT": "1s"})
    r.child()
    assert r.readline() == "ready\n"
    t0 = time.monotonic()
    r.signal(signal.SIGTERM)
    rc = r.wait(20)
    took = time.monotonic() - t0
    assert rc == 137, describe(r)
    assert 0.9 <= took <= 3 * SLOW, f"stop took {took:.2f}s with PINIT_STOP_TIMEOUT=1s"


def test_stop_timeout_ms_format(helpers):
    r = start_pid1(["--", "sh", "-c", "trap '' INT TERM; echo ready; while :; do sleep 0.05; done"],
                   env={"PINIT_STOP_TIMEOUT": "500ms"})
    assert r.readline() == "ready\n"
    t0 = time.monotonic()
    r.signal(signal.SIGINT)
    rc = r.wait(20)
    took = time.monotonic() - t0
    assert rc == 137, describe(r)
    assert 0.4 <= took <= 2.5 * SLOW, f"stop took {took:.2f}s with PINIT_STOP_TIMEOUT=500ms"


def test_stop_timeout_default_8s(helpers):
    r = start_pid1(["--", "sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"])
    assert r.readline() == "ready\n"
    t0 = time.monotonic()
    r.signal(signal.SIGTERM)
    rc = r.wait(30)
    took = time.monotonic() - t0
    assert rc == 137, describe(r)
    assert 7.8 <= took <= 9.8 * SLOW, f"default stop took {took:.2f}s, want 8 s (< Docker's 10)"


@pytest.mark.parametrize("mode", ["plain", "-g", "TINI_KILL_PROCESS_GROUP"])
def test_group_mode_reaches_grandchild(helpers, mode):
    opts = ["-g"] if mode == "-g" else []
    env = {"TINI_KILL_PROCESS_GROUP": "1"} if mode == "TINI_KILL_PROCESS_GROUP" else {}
    r, out = start_recorder(helpers, opts=opts, grandchild=True, env=env)
    grand = helpers.dir / "grand.sig"
    r.signal(signal.SIGUSR1)
    wait_signal(out, signal.SIGUSR1)
    if mode == "plain":
        time.sleep(0.5 * SLOW)
        assert signal.SIGUSR1 not in read_signals(grand), "plain mode signalled the group"
    else:
        wait_signal(grand, signal.SIGUSR1)
    r.signal(signal.SIGTERM)
    assert r.wait(15) == 0, describe(r)


def test_group_mode_kills_pipeline():
    """`yes | tail` in the child shell: SIGTERM to pinit -g kills sh, yes and tail at once."""
    r = start_pid1(["-g", "--", "sh", "-c", "yes | tail -n 1"],
                   env={"PINIT_STOP_TIMEOUT": "10s"})
    pinit = r.pinit
    wait_for(lambda: {"yes", "tail"} <= {(proc_stat(p) or ("",))[0] for p in descendants(pinit)},
             5, what="yes and tail to run")
    t0 = time.monotonic()
    r.signal(signal.SIGTERM)
    rc = r.wait(20)
    took = time.monotonic() - t0
    assert rc == 143, describe(r)
    assert took < 3 * SLOW, f"pipeline took {took:.2f}s to die: not killed by the group signal"


# ------------------------------------------------------------- mask and ignored set

SIGLINES = ["grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"]


def _with_mask(block, ignore):
    def pre():
        if block:
            signal.pthread_sigmask(signal.SIG_BLOCK, block)
        for s in ignore:
            signal.signal(s, signal.SIG_IGN)
    return pre


def _siglines(argv, block, ignore):
    p = subprocess.run(argv, env=pinit_env(), capture_output=True, text=True, timeout=30 * SLOW,
                       stdin=subprocess.DEVNULL, preexec_fn=_with_mask(block, ignore))
    assert p.returncode == 0, f"{argv}: {p.returncode} {p.stdout!r} {p.stderr!r}"
    return p.stdout


@pytest.mark.parametrize("block,ignore", [
    ((), ()),
    ((signal.SIGUSR1, signal.SIGHUP, 40), (signal.SIGUSR2, signal.SIGPIPE, 45)),
    ((signal.SIGTERM, signal.SIGINT, signal.SIGTTOU), (signal.SIGTTIN, signal.SIGQUIT)),
    ((signal.SIGCHLD,), (signal.SIGTSTP,)),
], ids=["empty", "usr-rt", "term-blocked", "chld-blocked"])
@pytest.mark.parametrize("where", ["pid1", "not-pid1"])
def test_mask_and_ignored_set_transparent(block, ignore, where, pinit_bin):
    """The child of pinit sees exactly the SigBlk/SigIgn it would see without pinit."""
    if where == "pid1":
        base = UNSHARE + SIGLINES
        under = UNSHARE + [pinit_bin, "--"] + SIGLINES
    else:  # sh is PID 1 in between: the baseline is what sh hands on, with no pinit
        sh = UNSHARE + ["/bin/sh", "-c", '"$@"; exit $?', "sh"]
        base = sh + SIGLINES
        under = sh + [pinit_bin, "--"] + SIGLINES
    want = _siglines(base, block, ignore)
    got = _siglines(under, block, ignore)
    assert got == want, f"child's mask/ignored set changed by pinit:\nwithout: {want}\nunder:   {got}"


# ------------------------------------------------------------- parent-death signal

@pytest.mark.parametrize("spelling", ["SIGUSR1", "USR1", "10"])
def test_parent_death_signal(helpers, spelling):
    """pinit -p SIGUSR1: when pinit's parent dies, pinit gets SIGUSR1 and forwards it."""
    out, ready = helpers.dir / "child.sig", helpers.dir / "child.ready"
    script = ('( "$PINIT" -p "$1" -- "$2" "$3" "$4" "$5" & '
              'while [ ! -e "$5" ]; do sleep 0.02; done; sleep 0.2 ); '
              'echo parent-gone; sleep 60')
    r = start_ns(script, spelling, PYTHON, helpers.rec, out, ready)
    wait_file(ready)
    assert r.readline() == "parent-gone\n"
    wait_signal(out, signal.SIGUSR1, timeout=5)
    assert read_signals(out) == [signal.SIGUSR1]


def test_parent_death_signal_pid1(helpers):
    """The container case: pinit is PID 1 and its parent (here unshare) dies."""
    r, out = start_recorder(helpers, opts=["-p", "SIGUSR1"])
    pinit = r.pinit
    os.kill(r.pid, signal.SIGKILL)  # unshare
    try:
        wait_signal(out, signal.SIGUSR1, timeout=5)
        assert read_signals(out) == [signal.SIGUSR1]
    finally:
        os.kill(pinit, signal.SIGKILL)  # PID 1: takes its namespace along


def test_no_parent_death_signal_without_p(helpers):
    out, ready = helpers.dir / "child.sig", helpers.dir / "child.ready"
    script = ('( "$PINIT" -- "$1" "$2" "$3" "$4" & '
              'while [ ! -e "$4" ]; do sleep 0.02; done; sleep 0.2 ); '
              'echo parent-gone; sleep 60')
    r = start_ns(script, PYTHON, helpers.rec, out, ready)
    wait_file(ready)
    assert r.readline() == "parent-gone\n"
    time.sleep(0.5 * SLOW)
    assert read_signals(out) == []
