"""Black-box harness for pinit's PID-1 core.

The binary under test is PINIT_BIN (set by ctest), else build-dev/pinit, else build/pinit.
Tests run it the way it runs in a container: as PID 1 of a fresh PID namespace
(`unshare --pid --fork --mount-proc`), or, for the not-PID-1 cases, as pid 2 under a
plain `sh` that is PID 1 of the namespace.  Either way everything a test starts lives in
a namespace that dies with its PID 1, so a test cleans up by SIGKILLing that PID 1, even
when it fails, and a bug such as kill(-1, ...) can never reach the host.

Every pinit gets a unique PINIT_CONTROL_SOCKET so parallel runs never share a socket.
Timing bounds are scaled by SLOW (3x under ASan+UBSan: PINIT_SANITIZE=1).
"""
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SOURCE_DIR = Path(os.environ.get("PINIT_SOURCE_DIR") or HERE.parent.parent)
SANITIZE = os.environ.get("PINIT_SANITIZE", "0").lower() in ("1", "on", "true", "yes")
SLOW = 3.0 if SANITIZE else 1.0
PYTHON = sys.executable or "/usr/bin/python3"
UNSHARE = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]

# one line of pinit's own: "pinit: <level>: <what>: <detail>"
LOG_LINE = re.compile(r"^pinit: (error|warn|info|debug): \S.*: .+$")


def find_pinit():
    cand = os.environ.get("PINIT_BIN")
    if cand:
        return os.path.abspath(cand)
    for p in (SOURCE_DIR / "build-dev" / "pinit", SOURCE_DIR / "build" / "pinit"):
        if p.exists():
            return str(p)
    return None


PINIT = find_pinit()


@pytest.fixture(scope="session")
def pinit_bin():
    if not PINIT or not os.access(PINIT, os.X_OK):
        pytest.skip("no pinit binary (set PINIT_BIN or build build-dev/pinit)")
    return PINIT


def free_port():
    """A loopback TCP port that nothing listens on (right now)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_flink_home(base, script, prefix="pinit-flink-"):
    """A world-readable fake FLINK_HOME (the child may run as another user): conf/config.yaml
    holding `base`, lib/flink-dist-1.20.1.jar, one opt/ plugin jar, and `script` as every
    bin/<role>.sh.  The caller removes it (shutil.rmtree)."""
    d = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(d, 0o755)
    for sub in ("bin", "conf", "lib", "opt", "plugins", "log"):
        os.mkdir(os.path.join(d, sub))
        os.chmod(os.path.join(d, sub), 0o777)
    with open(os.path.join(d, "conf", "config.yaml"), "w") as f:
        f.write(base)
    open(os.path.join(d, "lib", "flink-dist-1.20.1.jar"), "w").close()
    open(os.path.join(d, "opt", "flink-s3-fs-hadoop-1.20.1.jar"), "w").close()
    for name in ("jobmanager.sh", "taskmanager.sh", "standalone-job.sh", "historyserver.sh"):
        p = os.path.join(d, "bin", name)
        with open(p, "w") as f:
            f.write(script)
        os.chmod(p, 0o755)
    return d


def pinit_env(extra=None, socket=True):
    """The environment for a pinit: the caller's minus any PINIT_*/TINI_* knobs that could
    change behaviour, plus a unique control socket and `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("PINIT_") or k.startswith("TINI_"))}
    env.setdefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    if socket:
        env["PINIT_CONTROL_SOCKET"] = "@pinit-test-" + uuid.uuid4().hex
    if extra:
        env.update({k: str(v) for k, v in extra.items()})
    return env


# ---------------------------------------------------------------- /proc helpers

def proc_stat(pid):
    """(comm, state, ppid, pgrp, session, tpgid) of pid, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    lp, rp = data.index("("), data.rindex(")")
    comm = data[lp + 1:rp]
    rest = data[rp + 2:].split()
    return comm, rest[0], int(rest[1]), int(rest[2]), int(rest[3]), int(rest[5])


def all_pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def children(pid):
    """Host pids whose parent is pid (this kernel has no /proc/PID/task/TID/children)."""
    out = []
    for p in all_pids():
        st = proc_stat(p)
        if st and st[2] == pid:
            out.append(p)
    return out


def descendants(pid):
    """All host pids below pid, breadth first, with one scan of /proc."""
    by_parent = {}
    for p in all_pids():
        st = proc_stat(p)
        if st:
            by_parent.setdefault(st[2], []).append(p)
    out, todo = [], [pid]
    while todo:
        q = todo.pop(0)
        for c in by_parent.get(q, []):
            out.append(c)
            todo.append(c)
    return out


def status_fields(pid, *names):
    """Values of /proc/PID/status lines, as strings, e.g. status_fields(p, 'SigBlk')."""
    vals = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            vals[k] = v.strip()
    return [vals.get(n) for n in names]


def ctxt_switches(pid):
    """voluntary + nonvoluntary context switches summed over all threads of pid."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            v, n = status_fields(f"{pid}/task/{tid}", "voluntary_ctxt_switches",
                                 "nonvoluntary_ctxt_switches")
        except FileNotFoundError:
            continue
        total += int(v) + int(n)
    return total


# x86_64 numbers of the calls an idle init may sleep in: name, and how its timeout is given
# ("ms": an int argument in ms, <0 = forever; "ts"/"tv": a timespec/timeval pointer,
# NULL = forever; None: no timeout at all; "sleep": the call is itself a timed sleep)
_SLEEPS = {0: ("read", None, 0), 7: ("poll", "ms", 2), 23: ("select", "tv", 4),
           34: ("pause", None, 0), 35: ("nanosleep", "sleep", 0), 61: ("wait4", None, 0),
           128: ("rt_sigtimedwait", "ts", 2), 130: ("rt_sigsuspend", None, 0),
           232: ("epoll_wait", "ms", 3), 247: ("waitid", None, 0), 270: ("pselect6", "ts", 4),
           271: ("ppoll", "ts", 2), 281: ("epoll_pwait", "ms", 3),
           230: ("clock_nanosleep", "sleep", 0), 441: ("epoll_pwait2", "ts", 3)}


def idle_sleep(pid):
    """(syscall name, timeout in seconds or None for 'forever') of the blocking call pid is
    sleeping in, from /proc/PID/syscall (x86_64); None if not determinable."""
    import platform
    import struct
    if platform.machine() != "x86_64":
        return None
    for _ in range(100):
        f = Path(f"/proc/{pid}/syscall").read_text().split()
        if f and f[0].lstrip("-").isdigit() and int(f[0]) >= 0:
            break
        time.sleep(0.01)  # "running": look again
    else:
        return None
    nr, args = int(f[0]), [int(x, 16) for x in f[1:7]]
    if nr not in _SLEEPS:
        return (f"syscall {nr}", "unknown")
    name, kind, i = _SLEEPS[nr]
    if kind is None:
        return name, None
    if kind == "sleep":
        return name, "sleep"
    v = args[i]
    if kind == "ms":
        v &= 0xffffffff
        v = v - (1 << 32) if v >= 1 << 31 else v
        return name, None if v < 0 else v / 1000
    if v == 0:
        return name, None
    with open(f"/proc/{pid}/mem", "rb") as m:
        m.seek(v)
        sec, frac = struct.unpack("qq", m.read(16))
    return name, sec + frac / (1e9 if kind == "ts" else 1e6)


def sigset(hexmask):
    m = int(hexmask, 16)
    return {i + 1 for i in range(64) if m >> i & 1}


def alive(pid):
    st = proc_stat(pid)
    return st is not None and st[1] != "Z"


def wait_for(cond, timeout, interval=0.01, what="condition"):
    """Poll cond() until it returns something truthy; return it, or fail after timeout."""
    deadline = time.monotonic() + timeout * SLOW
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout * SLOW:.1f}s waiting for {what}")
        time.sleep(interval)


def wait_file(path, timeout=10, what=None):
    path = Path(path)
    return wait_for(path.exists, timeout, what=what or f"{path.name} to appear")


def read_signals(path):
    """Signal numbers recorded by rec.py in path (one per line)."""
    try:
        return [int(x) for x in Path(path).read_text().split()]
    except FileNotFoundError:
        return []


# ---------------------------------------------------------------- running pinit

def _kill(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


class Running:
    """A started `unshare ... [sh] pinit ...`.  .pid is unshare's pid; .ns_init the host pid
    of the namespace's PID 1; .pinit the host pid of pinit once it has exec'd."""

    def __init__(self, argv, pinit_argv0, popen_kw):
        self.argv = argv
        self.pinit_path = os.path.realpath(pinit_argv0)
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(argv, **popen_kw)
        self.pid = self.p.pid
        self._pinit = None
        self.elapsed = None

    @property
    def returncode(self):
        return self.p.returncode

    def ns_init(self, timeout=10):
        return wait_for(lambda: (children(self.pid) or [None])[0], timeout,
                        what="unshare's child")

    def _find_pinit(self):
        for p in [self.pid] + descendants(self.pid):
            try:
                if os.readlink(f"/proc/{p}/exe") == self.pinit_path:
                    return p
            except OSError:
                continue
        return None

    @property
    def pinit(self):
        if self._pinit is None:
            self._pinit = wait_for(self._find_pinit, 10, what="pinit to start")
        return self._pinit

    def child(self, timeout=10, exe=None):
        """Host pid of pinit's (first) child, optionally once it runs `exe` (a basename)."""
        pp = self.pinit

        def find():
            for c in children(pp):
                if exe is None:
                    return c
                try:
                    if os.path.basename(os.readlink(f"/proc/{c}/exe")).startswith(exe):
                        return c
                except OSError:
                    pass
            return None
        return wait_for(find, timeout, what=f"pinit's child {exe or ''}")

    def signal(self, sig):
        _kill(self.pinit, sig)

    def readline(self, timeout=10):
        """One line of the run's stdout (a pipe), or fail after timeout."""
        fd = self.p.stdout.fileno()
        deadline = time.monotonic() + timeout * SLOW
        line = b""
        while not line.endswith(b"\n"):  # byte by byte: nothing read past the line
            left = deadline - time.monotonic()
            r, _, _ = select.select([fd], [], [], max(left, 0))
            if not r:
                pytest.fail(f"no output line from {self.argv!r} within {timeout * SLOW:.0f}s"
                            f" (got {line!r})")
            c = os.read(fd, 1)
            if not c:
                break
            line += c
        return line.decode(errors="replace")

    def wait(self, timeout=30):
        try:
            out, err = self.p.communicate(timeout=timeout * SLOW)
        except subprocess.TimeoutExpired:
            self.kill()
            out, err = self.p.communicate()
            pytest.fail(f"{self.argv!r} did not exit within {timeout * SLOW:.0f}s; "
                        f"stdout={out!r} stderr={err!r}")
        self.elapsed = time.monotonic() - self.t0
        self.stdout, self.stderr = out, err
        return self.p.returncode

    def kill(self):
        """Tear down the whole namespace: SIGKILL its PID 1, then unshare."""
        if self._pinit is not None and alive(self._pinit):
            _kill(self._pinit)  # PID 1 takes its namespace along; else one process less
        if self.p.poll() is not None:
            return
        for c in children(self.pid):
            _kill(c)
        _kill(self.pid)
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


_running = []


@pytest.fixture(autouse=True)
def _cleanup_processes():
    yield
    while _running:
        r = _running.pop()
        r.kill()


def _popen_kw(kw):
    env = pinit_env(kw.pop("env", None), socket=kw.pop("socket", True))
    popen = dict(env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE, start_new_session=True, text=True)
    popen.update(kw)
    if popen.get("stdin") is None:
        popen["stdin"] = subprocess.DEVNULL
    return popen


def in_ns(r, uid=None):
    """argv prefix that runs a command inside the PID and mount namespaces of Running r's
    pinit, as `docker exec` does (pinit serves only peers of its own PID namespace);
    as `uid` (and its gid, no groups) when given."""
    argv = ["nsenter", "-t", str(r.pinit), "-p", "-m", "--"]
    if uid is not None:
        argv += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]
    return argv


def start_pid1(args, pinit=None, **kw):
    """Start pinit ARGS as PID 1 of a new PID namespace; returns a Running (cleaned up by
    the autouse fixture).  kw: env (added to pinit's env), cwd, stdin/stdout/stderr,
    preexec_fn, text, pass_fds ... (subprocess.Popen)."""
    pinit = pinit or PINIT
    r = Running(UNSHARE + [pinit] + [str(a) for a in args], pinit, _popen_kw(kw))
    _running.append(r)
    return r


def start_sub(args, pinit=None, **kw):
    """Start pinit ARGS as pid 2 of a new PID namespace, under `sh` (PID 1) which exits
    with pinit's status: pinit is *not* PID 1 (its subreaper mode)."""
    pinit = pinit or PINIT
    argv = UNSHARE + ["/bin/sh", "-c", '"$@"; exit $?', "sh", pinit] + [str(a) for a in args]
    r = Running(argv, pinit, _popen_kw(kw))
    _running.append(r)
    return r


def start_ns(script, *args, **kw):
    """Start `sh -c SCRIPT sh ARGS` as PID 1 of a new PID namespace (PINIT in its env)."""
    kw.setdefault("env", {})
    kw["env"] = dict(kw["env"], PINIT=PINIT)
    argv = UNSHARE + ["/bin/sh", "-c", script, "sh"] + [str(a) for a in args]
    r = Running(argv, PINIT, _popen_kw(kw))
    _running.append(r)
    return r


def start_argv(argv, **kw):
    """Start an arbitrary argv (which must contain pinit somewhere) the same way."""
    r = Running([str(a) for a in argv], PINIT, _popen_kw(kw))
    _running.append(r)
    return r


def run_pid1(args, timeout=30, input=None, **kw):
    """Run pinit ARGS as PID 1 of a new PID namespace to completion.  Returns the Running
    with .returncode, .stdout, .stderr, .elapsed."""
    if input is not None:
        kw["stdin"] = subprocess.PIPE
    r = start_pid1(args, **kw)
    _communicate(r, input, timeout)
    return r


def run_sub(args, timeout=30, input=None, **kw):
    """Like run_pid1, but pinit is not PID 1 (see start_sub)."""
    if input is not None:
        kw["stdin"] = subprocess.PIPE
    r = start_sub(args, **kw)
    _communicate(r, input, timeout)
    return r


def _communicate(r, input, timeout):
    try:
        r.stdout, r.stderr = r.p.communicate(input=input, timeout=timeout * SLOW)
    except subprocess.TimeoutExpired:
        r.kill()
        out, err = r.p.communicate()
        pytest.fail(f"{r.argv!r} did not exit within {timeout * SLOW:.0f}s; "
                    f"stdout={out!r} stderr={err!r}")
    r.elapsed = time.monotonic() - r.t0
    _running.remove(r)


def describe(r):
    a, i = r.argv, 0
    if a and a[0] == "unshare":  # drop unshare and its options
        i = 1
        while i < len(a) and a[i].startswith("--") and a[i] != "--":
            i += 1
    return (f"argv={a[i:]!r} rc={r.returncode} "
            f"stdout={r.stdout!r} stderr={r.stderr!r}")


# ---------------------------------------------------------------- helper scripts

REC_PY = r'''
"""rec.py OUT READY [--grandchild OUT2 READY2] [--exit-on-term] [--ignore-term]
Records every signal it receives, one number per line, in OUT; touches READY once its
handlers are installed.  With --grandchild it first forks a copy (same process group)
recording into OUT2.  --exit-on-term: exit 0 after recording SIGTERM or SIGINT."""
import os, signal, sys, time
args = sys.argv[1:]
exit_on_term = "--exit-on-term" in args
args = [a for a in args if a != "--exit-on-term"]
out, ready = args[0], args[1]
if len(args) >= 5 and args[2] == "--grandchild":
    if os.fork() == 0:
        out, ready = args[3], args[4]
fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
def handler(sig, frame):
    os.write(fd, b"%d\n" % sig)
    if exit_on_term and sig in (signal.SIGTERM, signal.SIGINT):
        os._exit(0)
for s in range(1, signal.NSIG):
    if s in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD):
        continue
    try:
        signal.signal(s, handler)
    except (OSError, ValueError, RuntimeError):
        pass
open(ready, "w").close()
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    time.sleep(1)
'''

ZCHECK_PY = r'''
"""zcheck.py: print every process of this PID namespace as "pid ppid state comm" and
exit with the number of zombies (state Z)."""
import os
z = 0
me = os.getpid()
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        data = open(f"/proc/{d}/stat").read()
    except OSError:
        continue
    comm = data[data.index("(") + 1:data.rindex(")")]
    f = data[data.rindex(")") + 2:].split()
    print(d, f[1], f[0], comm)
    if f[0] == "Z":
        z += 1
raise SystemExit(z)
'''


@pytest.fixture
def helpers(tmp_path):
    """Helper scripts written into tmp_path: .rec (signal recorder), .zcheck (zombie
    census of the namespace); .dir is tmp_path."""
    class H:
        pass
    h = H()
    h.dir = tmp_path
    h.rec = tmp_path / "rec.py"
    h.rec.write_text(REC_PY)
    h.zcheck = tmp_path / "zcheck.py"
    h.zcheck.write_text(ZCHECK_PY)
    return h


# ---------------------------------------------------------------- pty

class Pty:
    """A process on a fresh pty which it has as controlling terminal."""

    def __init__(self, argv, env=None, cwd=None):
        import fcntl
        import termios
        self.master, slave = os.openpty()

        def setctty():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        self.p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                                  start_new_session=True, preexec_fn=setctty,
                                  env=env, cwd=cwd)
        os.close(slave)
        self.buf = b""

    def write(self, data):
        if isinstance(data, str):
            data = data.encode()
        os.write(self.master, data)

    def _read_some(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the slave side is closed
            return None
        if not data:
            return None
        self.buf += data
        return True

    def expect(self, pattern, timeout=10):
        """Read until the regex (bytes) matches the accumulated output; return the match."""
        if isinstance(pattern, str):
            pattern = pattern.encode()
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout * SLOW
        while True:
            m = rx.search(self.buf)
            if m:
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"pty: no {pattern!r} in output {self.buf!r}")
            if self._read_some(min(left, 0.2)) is None:  # EOF
                m = rx.search(self.buf)
                if m:
                    return m
                pytest.fail(f"pty: output ended without {pattern!r}: {self.buf!r}")

    def wait(self, timeout=20):
        deadline = time.monotonic() + timeout * SLOW
        while self.p.poll() is None and time.monotonic() < deadline:
            self._read_some(0.1)
        if self.p.poll() is None:
            self.kill()
            pytest.fail(f"pty process did not exit; output {self.buf!r}")
        while self._read_some(0.05):
            pass
        return self.p.returncode

    def kill(self):
        if self.p.poll() is None:
            for c in children(self.p.pid):
                _kill(c)
            _kill(self.p.pid)
            self.p.wait(timeout=10)

    def close(self):
        self.kill()
        try:
            os.close(self.master)
        except OSError:
            pass


@pytest.fixture
def pty_run():
    """pty_run(argv, env=...) -> Pty; killed and closed at teardown."""
    made = []

    def start(argv, env=None, cwd=None):
        t = Pty(argv, env=env, cwd=cwd)
        made.append(t)
        return t
    yield start
    for t in made:
        t.close()
