#!/usr/bin/env python3
"""orphans.py [N] - run as the child of an init that is PID 1 of a fresh PID namespace
(or its subreaper): make N orphans of that init that all exit at the same moment, and
measure how long the init takes to reap every one of them.

How: an intermediate process forks N workers that block reading a pipe, then exits, so
the workers are reparented to the init.  We hold the pipe's only write end; closing it
wakes every worker at once (EOF) and each exits.  A zombie stays listed in /proc until its
parent reaps it, so "all reaped" is the moment /proc (this namespace's) lists no more
processes than before we started.

Prints one line "reaped N orphans in X ms" and exits 0; exits 1 (with a census of what is
left) if they are not all gone within the timeout (default 60 s, env ORPHANS_TIMEOUT).
"""
import os
import sys
import time


def procs():
    return [d for d in os.listdir("/proc") if d.isdigit()]


def census():
    lines = []
    for d in procs():
        try:
            data = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        f = data[data.rindex(")") + 2:].split()
        lines.append(f"{d} ppid={f[1]} state={f[0]} {data[data.index('(') + 1:data.rindex(')')]}")
    return lines


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    timeout = float(os.environ.get("ORPHANS_TIMEOUT", "60"))
    baseline = len(procs())
    r, w = os.pipe()
    mid = os.fork()
    if mid == 0:
        os.close(w)
        # small exec'd workers (cat reads its stdin, the pipe, until EOF): a forked
        # Python would make the measure mostly the kernel tearing down 2000 interpreters
        for _ in range(n):
            os.posix_spawn("/bin/cat", ["cat"], {},
                           file_actions=[(os.POSIX_SPAWN_DUP2, r, 0)])
        os._exit(0)
    os.close(r)
    os.waitpid(mid, 0)
    # every worker now belongs to the init
    have = len(procs())
    if have < baseline + n:
        print(f"only {have - baseline} of {n} workers exist", file=sys.stderr)
    t0 = time.monotonic()
    os.close(w)
    deadline = t0 + timeout
    while len(procs()) > baseline:
        if time.monotonic() > deadline:
            left = [l for l in census()]
            print(f"not all reaped after {timeout}s: {len(procs()) - baseline} left",
                  file=sys.stderr)
            print("\n".join(left[:20]), file=sys.stderr)
            return 1
        time.sleep(0.0005)
    ms = (time.monotonic() - t0) * 1000
    print(f"reaped {n} orphans in {ms:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
