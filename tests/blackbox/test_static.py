"""The product binary: fully static, small, and working in an empty root (only the binary
and /etc/hosts), name resolution included."""
import os
import shutil
import socket
import subprocess
import threading

import pytest

from conftest import PINIT, SANITIZE, pinit_env

TINI_STATIC_SIZE = 708080

pytestmark = pytest.mark.skipif(SANITIZE or not PINIT or "statically linked" not in
                                subprocess.run(["file", "-L", PINIT or "/"], capture_output=True,
                                               text=True).stdout,
                                reason="needs the static product build")


def test_static_and_no_larger_than_tini_static():
    size = os.stat(PINIT).st_size
    print(f"pinit {size} bytes, tini-static {TINI_STATIC_SIZE} bytes ({size / TINI_STATIC_SIZE:.2f}x)")
    assert size <= TINI_STATIC_SIZE


@pytest.fixture
def empty_root(tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    shutil.copy(PINIT, root / "pinit")
    (root / "etc" / "hosts").write_text("127.0.0.1 localhost\n127.0.0.2 myservice\n")
    return root


def listener(addr):
    s = socket.socket()
    s.bind((addr, 0))
    s.listen(8)

    def accept():
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            c.close()
    threading.Thread(target=accept, daemon=True).start()
    return s


@pytest.mark.skipif(os.geteuid() != 0, reason="chroot needs root")
def test_runs_in_an_empty_root_and_resolves_from_etc_hosts(empty_root):
    srv = listener("127.0.0.2")
    port = srv.getsockname()[1]
    try:
        env = pinit_env()
        v = subprocess.run(["chroot", str(empty_root), "/pinit", "--version"], env=env, capture_output=True,
                           text=True, timeout=10)
        assert v.returncode == 0 and v.stdout.startswith("pinit ")
        ok = subprocess.run(["chroot", str(empty_root), "/pinit", "wait", "--timeout", "5s",
                             f"tcp://myservice:{port}", "tcp://localhost:1"],
                            env=env, capture_output=True, text=True, timeout=30)
        # localhost:1 is closed: the wait must time out, naming only that target
        assert ok.returncode == 69, ok
        assert "localhost:1" in ok.stderr and "myservice" not in ok.stderr.split("missing")[-1]
        good = subprocess.run(["chroot", str(empty_root), "/pinit", "wait", "--timeout", "5s",
                               f"tcp://myservice:{port}"], env=env, capture_output=True, text=True, timeout=30)
        assert good.returncode == 0, good
        run = subprocess.run(["chroot", str(empty_root), "/pinit", "--", "/pinit", "--version"], env=env,
                             capture_output=True, text=True, timeout=10)
        assert run.returncode == 0 and run.stdout.startswith("pinit ")
    finally:
        srv.close()
