"""Files root reads and writes (issue 9, items 2 and 3; docs/security.md "Files root reads
and writes"): pinit as PID 1, running as root, never reads or writes through a link that
another user planted, never hangs on a FIFO, and never drops a *_FILE secret.

Every test builds its own tree under /tmp: a root-only file holding ROOT_ONLY (what an
attacker wants), directories owned by uid 9999 (the `flink` user of the images) with the
links that user could plant, and Kubernetes-style root-owned `..data` links that must keep
working.  Needs root (chown); CI runs as root."""
import os
import shutil
import tempfile

import pytest

from conftest import run_pid1, describe

ROOT_ONLY = "root-only-3f9c1b"
USER = 9999

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (chown)")


@pytest.fixture
def tree():
    d = tempfile.mkdtemp(prefix="pinit-trust-", dir="/tmp")
    os.chmod(d, 0o755)
    os.mkdir(os.path.join(d, "root"), 0o700)
    with open(os.path.join(d, "root", "shadow"), "w") as f:
        f.write(ROOT_ONLY + "\n")
    os.chmod(os.path.join(d, "root", "shadow"), 0o600)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def user_dir(base, name):
    """A directory owned by uid 9999, as /opt/flink/conf is in the images."""
    p = os.path.join(base, name)
    os.mkdir(p, 0o755)
    os.chown(p, USER, USER)
    return p


def user_link(target, path, uid=USER):
    os.symlink(target, path)
    os.lchown(path, uid, uid)
    return path


def k8s_volume(base, name, files):
    """A Kubernetes-style volume: root-owned dir, ..2024_x/ with the files, ..data ->
    ..2024_x and NAME -> ..data/NAME links, all owned by root."""
    v = os.path.join(base, name)
    os.mkdir(v, 0o755)
    ts = os.path.join(v, "..2024_01_01_00_00_00.1")
    os.mkdir(ts, 0o755)
    for fname, text in files.items():
        with open(os.path.join(ts, fname), "w") as f:
            f.write(text)
        os.symlink("..data/" + fname, os.path.join(v, fname))
    os.symlink(os.path.basename(ts), os.path.join(v, "..data"))
    return v


PRINT_SECRET = ["--", "sh", "-c", 'printf "[%s]" "$DB_PASSWORD"']


# ---------------------------------------------------------------- *_FILE secrets (item 3)

def test_secret_file_link_planted_by_a_user_is_refused(tree):
    link = user_link(os.path.join(tree, "root", "shadow"), os.path.join(user_dir(tree, "u"), "pw"))
    r = run_pid1(PRINT_SECRET, env={"DB_PASSWORD_FILE": link}, timeout=20)
    assert ROOT_ONLY not in r.stdout + r.stderr, describe(r)
    assert r.returncode == 78, describe(r)
    assert "DB_PASSWORD_FILE" in r.stderr and "symbolic link" in r.stderr, describe(r)


def test_secret_file_root_link_in_a_user_writable_dir_is_refused(tree):
    # root's own link, but uid 9999 could have swapped it: not followed either
    link = os.path.join(user_dir(tree, "u"), "pw")
    os.symlink(os.path.join(tree, "root", "shadow"), link)
    r = run_pid1(PRINT_SECRET, env={"DB_PASSWORD_FILE": link}, timeout=20)
    assert ROOT_ONLY not in r.stdout + r.stderr, describe(r)
    assert r.returncode == 78, describe(r)


def test_secret_file_fifo_fails_fast_instead_of_hanging(tree):
    fifo = os.path.join(user_dir(tree, "u"), "pw")
    os.mkfifo(fifo, 0o666)
    os.chown(fifo, USER, USER)
    r = run_pid1(PRINT_SECRET, env={"DB_PASSWORD_FILE": fifo}, timeout=10)
    assert r.returncode == 78, describe(r)
    assert "DB_PASSWORD_FILE" in r.stderr and "not a regular file" in r.stderr, describe(r)


def test_secret_file_directory_and_oversize_are_refused(tree):
    big = os.path.join(tree, "big")
    with open(big, "w") as f:
        f.write("x" * (64 * 1024 + 1))
    for path, why in ((tree, "not a regular file"), (big, "larger than 64 KiB")):
        r = run_pid1(PRINT_SECRET, env={"DB_PASSWORD_FILE": path}, timeout=10)
        assert r.returncode == 78 and why in r.stderr, describe(r)


def test_secret_files_beyond_64_all_loaded(tree):
    n = 100
    env = {}
    for i in range(n):
        p = os.path.join(tree, f"s{i}")
        with open(p, "w") as f:
            f.write(f"v{i}\n")
        env[f"S{i}_PASSWORD_FILE"] = p
    # a long name too (the old code skipped names of 128 bytes and more)
    long_name = "L" * 150 + "_PASSWORD"
    with open(os.path.join(tree, "long"), "w") as f:
        f.write("long-ok")
    env[long_name + "_FILE"] = os.path.join(tree, "long")
    script = 'env | grep -c "^S[0-9]*_PASSWORD=v[0-9]*$"; printf "%s\\n" "$' + long_name + '"'
    r = run_pid1(["--", "sh", "-c", script], env=env, timeout=20)
    assert r.returncode == 0, describe(r)
    assert r.stdout.split() == [str(n), "long-ok"], describe(r)


def test_secret_file_kubernetes_and_docker_layouts_work(tree):
    vol = k8s_volume(tree, "secret-vol", {"password": "k8s-pw\n"})
    r = run_pid1(PRINT_SECRET, env={"DB_PASSWORD_FILE": os.path.join(vol, "password")}, timeout=20)
    assert (r.returncode, r.stdout) == (0, "[k8s-pw]"), describe(r)
    os.mkdir(os.path.join(tree, "secrets"), 0o755)
    with open(os.path.join(tree, "secrets", "db"), "w") as f:
        f.write("docker-pw")
    r = run_pid1(PRINT_SECRET, env={"DB_PASSWORD_FILE": os.path.join(tree, "secrets", "db")}, timeout=20)
    assert (r.returncode, r.stdout) == (0, "[docker-pw]"), describe(r)
