"""deploy/kubernetes/: the manifests validate against the Kubernetes JSON schemas offline
(kubernetes-validate from PyPI, which bundles them; scripts/deps.sh installs it), and what
they say about pinit matches the binary: the probes' port is pinit's http.listen, their
paths answer, the grace period is above the stop budget, the read-only ConfigMap conf dir
is rendered into a copy, secrets come from files, and the native-mode pod template keeps
pinit from restarting a TaskManager in place."""
import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from conftest import HERE, SOURCE_DIR, find_pinit, run

K8S_DIR = SOURCE_DIR / "deploy" / "kubernetes"
MANIFESTS = sorted(p for p in K8S_DIR.rglob("*.yaml") if p.name != "kustomization.yaml")
VALIDATOR = os.environ.get("PINIT_KUBERNETES_VALIDATE", "/opt/pinit-deps/venv-k8s/bin/kubernetes-validate")
# the oldest Kubernetes still maintained when this was written, and the newest bundled
K8S_VERSIONS = ["1.31.0", "1.37.0"]
FLINK_UID = 9999  # flink.user = flink, uid 9999 in the images

_bb = importlib.util.spec_from_file_location("blackbox_conftest", HERE.parent / "blackbox" / "conftest.py")
blackbox = importlib.util.module_from_spec(_bb)
_bb.loader.exec_module(blackbox)


def docs():
    for p in MANIFESTS:
        for d in yaml.safe_load_all(p.read_text()):
            if d:
                yield p, d


def pod_specs():
    """(file, name, pod spec) of every Deployment and Pod."""
    for p, d in docs():
        if d["kind"] == "Deployment":
            yield p, d["metadata"]["name"], d["spec"]["template"]["spec"]
        elif d["kind"] == "Pod":
            yield p, d["metadata"]["name"], d["spec"]


def containers():
    for p, name, spec in pod_specs():
        for c in spec["containers"]:
            yield f"{p.relative_to(K8S_DIR)}:{name}/{c['name']}", spec, c


def plain_env(c):
    return {e["name"]: e["value"] for e in c.get("env", []) if "value" in e}


def pinit_config(env):
    """pinit's effective configuration for a container's environment: {key: value}."""
    e = {"PATH": os.environ["PATH"]}
    e.update(env)
    out = run(find_pinit(), "config", env=e).stdout
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"^(\S+) = (.*?)\s+#", out, re.M)}


def seconds(d):
    n, unit = re.fullmatch(r"(\d+)(ms|s|m)", d).groups()
    return int(n) * {"ms": 0.001, "s": 1, "m": 60}[unit]


def validator():
    assert os.access(VALIDATOR, os.X_OK), f"{VALIDATOR} missing: run scripts/deps.sh (it installs kubernetes-validate)"
    return VALIDATOR


# --- the schemas -------------------------------------------------------------------------------

@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_manifests_validate_against_the_kubernetes_schemas(version):
    r = run(validator(), "--strict", "--no-warn", "-k", version, *MANIFESTS, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    passed = re.findall(r"passed for resource", r.stdout + r.stderr)
    assert len(passed) == sum(1 for _ in docs()), r.stdout + r.stderr


@pytest.mark.parametrize("edit", [
    ("terminationGracePeriodSeconds: 45", "terminationGracePeriod: 45"),
    ("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: yes-please"),
    ("{name: pinit, containerPort: 9400}", "{name: pinit, containerPort: '9400'}"),
], ids=["misspelt key", "string for a bool", "string for a port"])
def test_the_validator_catches_mistakes(tmp_path, edit):
    text = (K8S_DIR / "jobmanager.yaml").read_text()
    assert edit[0] in text
    bad = tmp_path / "jobmanager.yaml"
    bad.write_text(text.replace(edit[0], edit[1], 1))
    r = run(validator(), "--strict", "--no-warn", "-k", K8S_VERSIONS[-1], bad, check=False)
    assert r.returncode != 0, r.stdout + r.stderr


def test_kustomization_names_every_manifest():
    k = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())
    top = sorted(p.name for p in K8S_DIR.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(k["resources"]) == top


# --- what the manifests say about pinit --------------------------------------------------------

def test_probes_and_ports_match_pinit_defaults():
    n = 0
    for where, spec, c in containers():
        cfg = pinit_config(plain_env(c))
        listen = cfg["http.listen"]
        assert listen, f"{where}: pinit's HTTP endpoint is off (PINIT_HTTP_LISTEN)"
        port = int(listen.rsplit(":", 1)[1])
        ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
        assert ports.get("pinit") == port, f"{where}: containerPort 'pinit' {ports.get('pinit')} != {listen}"
        want = {"startupProbe": "/health/live", "livenessProbe": "/health/live", "readinessProbe": "/health/ready"}
        assert "livenessProbe" in c, where
        for probe, path in want.items():
            if probe not in c:
                continue
            g = c[probe]["httpGet"]
            assert g["path"] == path, f"{where}: {probe} path {g['path']}"
            p = ports[g["port"]] if isinstance(g["port"], str) else g["port"]
            assert p == port, f"{where}: {probe} port {g['port']} is not pinit's {port}"
            # the kubelet's timeout (default 1 s) is above what pinit takes to answer
            assert c[probe].get("timeoutSeconds", 1) >= 1
        # the grace period is above pinit's stop budget: stop.timeout for the service, then
        # the drain of the rest (at most 3 s more)
        budget = seconds(cfg["stop.timeout"]) + 3
        assert spec["terminationGracePeriodSeconds"] > budget, \
            f"{where}: terminationGracePeriodSeconds {spec['terminationGracePeriodSeconds']} <= {budget}"
        n += 1
    assert n >= 3


def test_probe_paths_answer_on_pinit(tmp_path):
    """The paths the manifests probe are pinit's: 200 and {"status":"UP"} from the binary."""
    paths = sorted({c[p]["httpGet"]["path"] for _, _, c in containers()
                    for p in ("startupProbe", "livenessProbe", "readinessProbe") if p in c})
    assert paths == ["/health/live", "/health/ready"]
    port = blackbox.free_port()
    env = {"PATH": os.environ["PATH"], "PINIT_HTTP_LISTEN": f"127.0.0.1:{port}",
           "PINIT_CONTROL_SOCKET": f"@pinit-repo-k8s-{uuid.uuid4().hex[:12]}"}
    p = subprocess.Popen([find_pinit(), "--", "sleep", "60"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for path in paths:
            deadline = time.monotonic() + 10
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
                        assert (r.status, r.read().strip()) == (200, b'{"status":"UP"}')
                    break
                except OSError:
                    assert time.monotonic() < deadline, f"{path} did not answer"
                    time.sleep(0.1)
    finally:
        p.terminate()
        p.wait(timeout=20)


def test_security_context_non_root_read_only_no_capabilities():
    for where, spec, c in containers():
        psc, csc = spec.get("securityContext", {}), c.get("securityContext", {})
        assert psc.get("runAsNonRoot") is True and psc.get("runAsUser") == FLINK_UID, where
        assert csc.get("readOnlyRootFilesystem") is True, where
        assert csc.get("allowPrivilegeEscalation") is False, where
        assert csc.get("capabilities", {}).get("drop") == ["ALL"] and "add" not in csc["capabilities"], where
        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
        vols = {v["name"]: v for v in spec.get("volumes", [])}
        # writable: pinit's runtime dir (PINIT_RUNTIME_DIR, default /tmp) and Flink's log dir
        for path in ("/tmp", "/opt/flink/log"):
            assert "emptyDir" in vols[mounts[path]], f"{where}: {path} is not a writable volume"
        # secrets only as files, from a Secret volume
        env = plain_env(c)
        for name, value in env.items():
            assert not re.search(r"PASSWORD|SECRET|KEY|TOKEN", name) or name.endswith("_FILE"), \
                f"{where}: {name} holds a secret value"
            if name.endswith("_FILE"):
                mount = next(m for m in mounts if value.startswith(m + "/"))
                assert "secret" in vols[mounts[mount]], f"{where}: {name} is not on a Secret volume"


def test_flink_conf_comes_from_the_configmap():
    cms = {d["metadata"]["name"]: d for _, d in docs() if d["kind"] == "ConfigMap"}
    for where, spec, c in containers():
        if "flink-main-container" in where:
            continue  # native mode: Flink mounts its own ConfigMap
        cfg = pinit_config(plain_env(c))
        conf_dir = cfg["flink.conf_dir"] or cfg["flink.home"] + "/conf"
        m = next(m for m in c["volumeMounts"] if m["mountPath"] == conf_dir)
        vol = next(v for v in spec["volumes"] if v["name"] == m["name"])
        cm = cms[vol["configMap"]["name"]]
        assert {"config.yaml", "log4j-console.properties"} <= set(cm["data"]), where
        base = yaml.safe_load(cm["data"]["config.yaml"])
        assert base["jobmanager"]["rpc"]["address"] == plain_env(c)["JOB_MANAGER_RPC_ADDRESS"]


def configmap_volume(root, data):
    """A directory laid out as the kubelet lays out a ConfigMap volume, root-owned: the files
    in a timestamped directory, `..data` a link to it, each key a link through `..data`."""
    root.mkdir()
    ts = root / "..2026_11_29_05_00_00.123456789"
    ts.mkdir()
    for k, v in data.items():
        (ts / k).write_text(v)
        (ts / k).chmod(0o644)
        os.symlink(f"..data/{k}", root / k)
    os.symlink(ts.name, root / "..data")
    for p in (root, ts):
        os.chown(p, 0, 0)
        p.chmod(0o755)


@pytest.fixture
def world_tmp():
    """A directory under /tmp that uid 9999 can reach (pytest's tmp_path is 0700)."""
    d = Path(tempfile.mkdtemp(prefix="pinit-repo-k8s-", dir="/tmp"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="runs pinit as uid 9999 (setpriv): needs root")
def test_configmap_conf_dir_rendered_into_a_copy_as_non_root(world_tmp):
    tmp_path = world_tmp
    cm = yaml.safe_load((K8S_DIR / "flink-config.yaml").read_text())
    home = tmp_path / "flink"
    (home / "lib").mkdir(parents=True)
    (home / "lib" / "flink-dist-1.20.1.jar").touch()
    configmap_volume(home / "conf", cm["data"])
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    os.chown(runtime, FLINK_UID, FLINK_UID)
    secret = tmp_path / "s3_secret_key"
    secret.write_text("e2e-not-a-real-key\n")
    secret.chmod(0o644)
    _, _, c = next(x for x in containers() if x[2]["name"] == "jobmanager")
    env = plain_env(c)
    env.update(PATH=os.environ["PATH"], FLINK_HOME=str(home), PINIT_RUNTIME_DIR=str(runtime),
               S3_SECRET_KEY_FILE=str(secret), PINIT_HTTP_LISTEN="",
               PINIT_CONTROL_SOCKET=f"@pinit-repo-cm-{uuid.uuid4().hex[:12]}")
    def snapshot():
        return {str(p.relative_to(home)): p.read_text() for p in (home / "conf").rglob("*") if p.is_file()}
    before = snapshot()
    show = 'echo "conf=$FLINK_CONF_DIR"; cat "$FLINK_CONF_DIR/config.yaml"; ls -A "$FLINK_CONF_DIR"'
    r = run("setpriv", f"--reuid={FLINK_UID}", f"--regid={FLINK_UID}", "--clear-groups",
            find_pinit(), "flink", "sh", "-c", show, env=env)
    copy = runtime / "pinit-flink-conf"
    assert f"conf={copy}\n" in r.stdout, r.stdout + r.stderr
    rendered = yaml.safe_load((copy / "config.yaml").read_text())
    assert rendered["jobmanager.rpc.address"] == "flink-jobmanager"
    assert rendered["s3.secret-key"] == "e2e-not-a-real-key"
    assert rendered["web.upload.dir"] == "/tmp/flink-web-upload"
    assert "env.java.opts.all" in rendered
    # the copy has the files, not the kubelet's ..data machinery
    assert not [n for n in os.listdir(copy) if n.startswith("..")], os.listdir(copy)
    assert (copy / "log4j-console.properties").read_text() == cm["data"]["log4j-console.properties"]
    # the ConfigMap is untouched, and the secret never printed
    assert snapshot() == before
    assert "e2e-not-a-real-key" not in r.stderr
    assert "rendering into a copy" in r.stderr


def test_native_mode_taskmanager_is_not_restarted_in_place(tmp_path):
    """Flink's ResourceManager replaces an ended TaskManager pod (restartPolicy: Never);
    pinit in it runs the TaskManager once and ends with its code."""
    tpl = yaml.safe_load((K8S_DIR / "native" / "taskmanager-pod-template.yaml").read_text())
    assert tpl["spec"]["restartPolicy"] == "Never"
    c = tpl["spec"]["containers"][0]
    env = plain_env(c)
    assert pinit_config(env)["restart.policy"] == "never"
    # the command Flink sends, run unchanged by `pinit flink`: ends after one run, with its code
    count = tmp_path / "runs"
    home = tmp_path / "flink"
    (home / "lib").mkdir(parents=True)
    (home / "conf").mkdir()
    (home / "lib" / "flink-dist-1.20.1.jar").touch()
    env.update(PATH=os.environ["PATH"], FLINK_HOME=str(home), PINIT_HTTP_LISTEN="",
               PINIT_CONTROL_SOCKET=f"@pinit-repo-native-{uuid.uuid4().hex[:12]}")
    t0 = time.monotonic()
    r = subprocess.run([find_pinit(), "flink", "bash", "-c", f"echo run >> {count}; exit 3"],
                       env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 3, r.stderr
    assert count.read_text() == "run\n"
    assert time.monotonic() - t0 < 10
