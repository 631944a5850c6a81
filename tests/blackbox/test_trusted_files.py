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


# ---------------------------------------------------------------- PINIT_CONFIG (issue 11)

SECRET_INI = f"[stop]\ntimeout = {ROOT_ONLY}\n"


def root_only_ini(tree):
    """A root-only INI file whose contents an error message would echo."""
    p = os.path.join(tree, "root", "pinit.ini")
    with open(p, "w") as f:
        f.write(SECRET_INI)
    os.chmod(p, 0o600)
    return p


def test_config_file_link_planted_by_a_user_is_refused(tree):
    link = user_link(root_only_ini(tree), os.path.join(user_dir(tree, "u"), "pinit.ini"))
    r = run_pid1(["--", "sh", "-c", "echo started"], env={"PINIT_CONFIG": link}, timeout=20)
    assert r.returncode == 78, describe(r)
    assert "started" not in r.stdout, describe(r)
    assert ROOT_ONLY not in r.stdout + r.stderr, describe(r)
    assert link in r.stderr and "symbolic link" in r.stderr and "9999" in r.stderr, describe(r)


def test_config_file_root_link_in_a_root_dir_works(tree):
    good = os.path.join(tree, "good.ini")
    with open(good, "w") as f:
        f.write("[stop]\ntimeout = 3s\n")
    link = os.path.join(tree, "pinit.ini")   # root's link, in root's 0755 directory
    os.symlink(good, link)
    r = run_pid1(["config"], env={"PINIT_CONFIG": link}, timeout=20)
    assert r.returncode == 0, describe(r)
    assert "timeout = 3s" in r.stdout, describe(r)


# ---------------------------------------------------------------- rendering (item 2)

SECRET_YAML = f"stolen.password: {ROOT_ONLY}\n"


def flink_home_tree(tree):
    """FLINK_HOME as in the images: /opt/flink and conf/ owned by uid 9999, and a root-only
    directory holding a root-only config.yaml (what a planted link points at)."""
    home = user_dir(tree, "flink")
    for sub in ("lib", "opt", "plugins"):
        user_dir(home, sub)
    open(os.path.join(home, "opt", "flink-s3-fs-hadoop-1.20.1.jar"), "w").close()
    rootconf = os.path.join(tree, "root", "conf")
    os.mkdir(rootconf, 0o700)
    with open(os.path.join(rootconf, "config.yaml"), "w") as f:
        f.write(SECRET_YAML)
    os.chmod(os.path.join(rootconf, "config.yaml"), 0o600)
    return home, rootconf


def render(home, tree, *args, **extra):
    env = {"FLINK_HOME": home, "JOB_MANAGER_RPC_ADDRESS": "jm", "PINIT_RUNTIME_DIR": os.path.join(tree, "rt"),
           "FLINK_PROPERTIES": "parallelism.default: 2"}
    env.update(extra)
    os.makedirs(os.path.join(tree, "rt"), exist_ok=True)
    return run_pid1(["render"] + list(args), env=env, timeout=20)


def test_render_base_file_link_planted_by_a_user_is_refused(tree):
    home, rootconf = flink_home_tree(tree)
    conf = user_dir(home, "conf")
    user_link(os.path.join(rootconf, "config.yaml"), os.path.join(conf, "config.yaml"))
    r = render(home, tree)
    assert r.returncode == 78, describe(r)
    assert "config.yaml" in r.stderr and "symbolic link" in r.stderr, describe(r)
    assert os.path.islink(os.path.join(conf, "config.yaml")), "the link was replaced"
    assert sorted(os.listdir(conf)) == ["config.yaml"], "a temp file was left behind"
    assert open(os.path.join(rootconf, "config.yaml")).read() == SECRET_YAML
    assert not os.path.exists(os.path.join(tree, "rt", "pinit-flink-conf"))


def test_render_conf_dir_link_planted_by_a_user_is_refused(tree):
    home, rootconf = flink_home_tree(tree)
    user_link(rootconf, os.path.join(home, "conf"))
    r = render(home, tree)
    assert r.returncode == 78, describe(r)
    assert "conf" in r.stderr and "symbolic link" in r.stderr, describe(r)
    assert sorted(os.listdir(rootconf)) == ["config.yaml"]
    assert open(os.path.join(rootconf, "config.yaml")).read() == SECRET_YAML
    assert not os.path.exists(os.path.join(tree, "rt", "pinit-flink-conf"))


def test_render_kubernetes_configmap_links_work(tree):
    home, _ = flink_home_tree(tree)
    conf = k8s_volume(home, "conf", {"config.yaml": "rest.port: 8081\n", "log4j.properties": "x=1\n"})
    r = render(home, tree)
    assert r.returncode == 0, describe(r)
    text = open(os.path.join(conf, "config.yaml")).read()
    assert "rest.port: 8081" in text and "parallelism.default: '2'" in text, text


def can_mount():
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    import subprocess
    return subprocess.run(["unshare", "--mount", "true"], capture_output=True).returncode == 0


def render_ro(home, tree, ro):
    """pinit render as PID 1 in a mount namespace where `ro` is bind-mounted read-only."""
    import subprocess
    from conftest import PINIT, pinit_env
    os.makedirs(os.path.join(tree, "rt"), exist_ok=True)
    env = pinit_env({"FLINK_HOME": home, "JOB_MANAGER_RPC_ADDRESS": "jm",
                     "PINIT_RUNTIME_DIR": os.path.join(tree, "rt"),
                     "FLINK_PROPERTIES": "parallelism.default: 2"}, socket=False)
    script = f'mount --bind -o ro "{ro}" "{ro}" || exit 99\nexec "$0" render'
    return subprocess.run(["unshare", "--mount", "--pid", "--fork", "sh", "-c", script, PINIT],
                          capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.skipif(not can_mount(), reason="needs root and unshare --mount")
def test_render_read_only_configmap_is_copied_through_its_root_links(tree):
    home, _ = flink_home_tree(tree)
    conf = k8s_volume(home, "conf", {"config.yaml": "rest.port: 8081\n", "log4j.properties": "x=1\n"})
    r = render_ro(home, tree, conf)
    assert r.returncode == 0, r.stderr
    copy = os.path.join(tree, "rt", "pinit-flink-conf")
    assert open(os.path.join(copy, "log4j.properties")).read() == "x=1\n"
    text = open(os.path.join(copy, "config.yaml")).read()
    assert "rest.port: 8081" in text and "parallelism.default: '2'" in text, text


@pytest.mark.skipif(not can_mount(), reason="needs root and unshare --mount")
def test_render_read_only_conf_copy_refuses_a_planted_link(tree):
    home, rootconf = flink_home_tree(tree)
    conf = user_dir(home, "conf")
    with open(os.path.join(conf, "config.yaml"), "w") as f:
        f.write("rest.port: 8081\n")
    user_link(os.path.join(rootconf, "config.yaml"), os.path.join(conf, "log4j.properties"))
    r = render_ro(home, tree, conf)
    assert r.returncode == 78, r.stderr
    assert "log4j.properties" in r.stderr and "symbolic link" in r.stderr, r.stderr
    copy = os.path.join(tree, "rt", "pinit-flink-conf")
    for dirpath, _, files in os.walk(copy):
        for name in files:
            assert ROOT_ONLY not in open(os.path.join(dirpath, name)).read(), name


def flink_true(home, plugins):
    """`pinit flink true` as PID 1 (pass-through: plugins linked, config rendered, `true` run)."""
    env = {"FLINK_HOME": home, "JOB_MANAGER_RPC_ADDRESS": "jm", "DISABLE_JEMALLOC": "true",
           "PINIT_FLINK_USER": "nobody-such-user", "ENABLE_BUILT_IN_PLUGINS": plugins}
    return run_pid1(["flink", "true"], env=env, timeout=20)


def test_plugin_dir_link_planted_by_a_user_is_refused(tree):
    home, rootconf = flink_home_tree(tree)
    conf = user_dir(home, "conf")
    with open(os.path.join(conf, "config.yaml"), "w") as f:
        f.write("rest.port: 8081\n")
    user_link(rootconf, os.path.join(home, "plugins", "flink-s3-fs-hadoop-1.20.1"))
    r = flink_true(home, "flink-s3-fs-hadoop-1.20.1.jar")
    assert r.returncode != 0, describe(r)
    assert "ENABLE_BUILT_IN_PLUGINS" in r.stderr and "symbolic link" in r.stderr, describe(r)
    assert sorted(os.listdir(rootconf)) == ["config.yaml"], "a link was created in root's dir"


def test_plugin_name_cannot_leave_the_plugins_dir(tree):
    home, _ = flink_home_tree(tree)
    conf = user_dir(home, "conf")
    open(os.path.join(conf, "config.yaml"), "w").close()
    r = flink_true(home, "../opt/flink-s3-fs-hadoop-1.20.1.jar")
    assert r.returncode != 0, describe(r)
    assert "ENABLE_BUILT_IN_PLUGINS" in r.stderr, describe(r)
    assert not os.path.exists(os.path.join(home, "opt", "flink-s3-fs-hadoop-1.20.1")), \
        "a dir was made outside plugins/"


def test_plugins_still_linked_in_a_user_owned_home(tree):
    home, _ = flink_home_tree(tree)
    conf = user_dir(home, "conf")
    open(os.path.join(conf, "config.yaml"), "w").close()
    r = flink_true(home, "flink-s3-fs-hadoop-1.20.1.jar")
    assert r.returncode == 0, describe(r)
    link = os.path.join(home, "plugins", "flink-s3-fs-hadoop-1.20.1", "flink-s3-fs-hadoop-1.20.1.jar")
    assert os.readlink(link) == os.path.join(home, "opt", "flink-s3-fs-hadoop-1.20.1.jar")
