"""`pinit render` against the golden cases in tests/golden/<case>/, plus the read-only
conf dir fallback.

A case directory holds:
  env                  the environment: NAME=value per line, or NAME<<END ... END for a
                       value of several lines (FLINK_PROPERTIES); '#' lines are comments
  conf/                the conf dir as the image ships it (config.yaml, flink-conf.yaml, ...)
  version              optional: the Flink version of lib/flink-dist-<version>.jar (1.20.1)
  args                 optional: more arguments for `pinit render`
  expected.yaml        config.yaml expected: the flattened mapping, with types
  expected.flink-conf  or flink-conf.yaml expected, as Flink reads it
  warnings             optional: lines that must each appear in a warning
  error                or: the render must fail (exit 78) with this in the error line
  flink                optional: what Flink 1.20.1 itself reads from the rendered conf dir
                       (tests/oracle, GlobalConfiguration.loadConfiguration): per line
                       "key = value" (the typed value of an option pinit maps, else the
                       key's string), "key : JavaType" or "!key" (not set)

Oracles: ruamel.yaml (YAML 1.2, duplicate keys rejected) loads the output and must give
expected.yaml after flattening; PyYAML (YAML 1.1, like Flink's SnakeYAML) must see every
value ruamel sees as a string as the same string too; flink-conf.yaml is read with Flink's
own legacy algorithm.  Every case also checks: the dry run equals what a real render writes,
a second render gives the same bytes, no value of a secret-looking variable or key reaches
stderr, and stderr is nothing but pinit's one-line messages.
"""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml as pyyaml
from ruamel.yaml import YAML

import flink_oracle
from conftest import LOG_LINE, SOURCE_DIR, pinit_env

GOLDEN = SOURCE_DIR / "tests" / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "env").exists()) if GOLDEN.is_dir() else []
SECRET_NAME = re.compile(r"PASSWORD|SECRET|KEY|TOKEN|PASSWD|CREDENTIAL", re.I)


@pytest.fixture(scope="module")
def render_bin(pinit_bin):
    """pinit, once its main() dispatches `render` (until then: skip, saying so)."""
    r = subprocess.run([pinit_bin, "render", "--format", "bogus"], capture_output=True, text=True,
                       env=pinit_env(socket=False), timeout=30)
    if r.returncode != 64 or "--format" not in r.stderr:
        pytest.skip(f"{pinit_bin} does not dispatch 'render' yet (exit {r.returncode})")
    return pinit_bin


def read_env(path):
    env, lines = {}, path.read_text().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)<<(\w+)$", line)
        if m:
            body = []
            while lines[i] != m.group(2):
                body.append(lines[i])
                i += 1
            i += 1
            env[m.group(1)] = "\n".join(body)
        else:
            name, _, value = line.partition("=")
            env[name] = value
    return env


def flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def load_yaml12(text):
    y = YAML(typ="safe", pure=True)
    y.allow_duplicate_keys = False
    return y.load(text) or {}


def flink_legacy(text):
    """GlobalConfiguration.loadYAMLResource for flink-conf.yaml."""
    conf = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        kv = line.split(": ", 1)
        if len(kv) == 2 and kv[0].strip() and kv[1].strip():
            conf[kv[0].strip()] = kv[1].strip()
    return conf


def secret_values(env):
    """Values that must never be logged: secret-looking variables and FLINK_PROPERTIES keys."""
    vals = [v for k, v in env.items() if SECRET_NAME.search(k) and len(v) >= 4]
    for line in env.get("FLINK_PROPERTIES", "").splitlines():
        k, sep, v = line.partition(":")
        if sep and SECRET_NAME.search(k) and len(v.strip()) >= 4 and "$" not in v:
            vals.append(v.strip())
    return vals


def make_home(tmp_path, case_dir):
    home = tmp_path / "flink"
    (home / "lib").mkdir(parents=True)
    version = (case_dir / "version").read_text().strip() if (case_dir / "version").exists() else "1.20.1"
    (home / "lib" / f"flink-dist-{version}.jar").write_bytes(b"")
    shutil.copytree(case_dir / "conf", home / "conf")
    return home


def check_flink_reads(conf_dir, spec):
    """Assert what Flink's own loader reads from conf_dir (the case's `flink` file)."""
    got = flink_oracle.read_conf(conf_dir)
    for line in spec.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("!"):
            key = line[1:].strip()
            assert key not in got["keys"] and got["options"].get(key) is None, f"Flink reads {key}: {got['keys'].get(key)}"
            continue
        m = re.match(r"^(\S+) ([=:]) ?(.*)$", line)
        assert m, f"bad line in the case's flink file: {line!r}"
        key, op, want = m.groups()
        if op == ":":
            assert got["keys"].get(key, (None,))[0] == want, f"{key}: Flink's type {got['keys'].get(key)}, want {want}"
        elif key in got["options"]:
            assert got["options"][key] == want, f"Flink reads {key} = {got['options'][key]!r}, want {want!r}"
        else:
            assert got["keys"].get(key, (None, None))[1] == want, f"Flink reads {key} = {got['keys'].get(key)}"


def run_render(pinit, env, *args):
    return subprocess.run([pinit, "render", *args], capture_output=True, text=True, env=env, timeout=60)


def check_stderr(stderr, env):
    for line in stderr.splitlines():
        assert LOG_LINE.match(line), f"not a pinit log line: {line!r}"
    for secret in secret_values(env):
        assert secret not in stderr, "a secret value reached stderr"


@pytest.mark.parametrize("case", CASES)
def test_golden(render_bin, tmp_path, case):
    case_dir = GOLDEN / case
    home = make_home(tmp_path, case_dir)
    case_env = read_env(case_dir / "env")
    env = pinit_env({**case_env, "FLINK_HOME": str(home), "PINIT_RUNTIME_DIR": str(tmp_path / "rt")},
                    socket=False)
    for k in ("FLINK_CONF_DIR", "FLINK_PROPERTIES"):
        if k not in case_env:
            env.pop(k, None)
    args = (case_dir / "args").read_text().split() if (case_dir / "args").exists() else []
    before = {p.name: p.read_bytes() for p in (home / "conf").iterdir()}

    dry = run_render(render_bin, env, "--dry-run", *args)
    check_stderr(dry.stderr, case_env)
    assert {p.name: p.read_bytes() for p in (home / "conf").iterdir()} == before, "--dry-run wrote"

    if (case_dir / "error").exists():
        want = (case_dir / "error").read_text().strip()
        assert dry.returncode == 78, dry.stderr
        assert dry.stdout == ""
        errors = [l for l in dry.stderr.splitlines() if l.startswith("pinit: error: render: ")]
        assert len(errors) == 1 and want in errors[0], dry.stderr
        real = run_render(render_bin, env, *args)
        assert real.returncode == 78
        assert {p.name: p.read_bytes() for p in (home / "conf").iterdir()} == before
        return

    assert dry.returncode == 0, dry.stderr
    for want in ((case_dir / "warnings").read_text().splitlines() if (case_dir / "warnings").exists() else []):
        assert any(l.startswith("pinit: warn: render: ") and want in l for l in dry.stderr.splitlines()), \
            f"no warning {want!r} in:\n{dry.stderr}"

    legacy = (case_dir / "expected.flink-conf").exists()
    if legacy:
        got = flink_legacy(dry.stdout)
        want = flink_legacy((case_dir / "expected.flink-conf").read_text())
        assert got == want
    else:
        got = flatten(load_yaml12(dry.stdout))
        want = flatten(load_yaml12((case_dir / "expected.yaml").read_text()))
        assert got == want
        assert list(got) == list(want), "key order"
        as11 = flatten(pyyaml.safe_load(dry.stdout) or {})
        for k, v in got.items():
            if isinstance(v, str):
                assert as11[k] == v, f"{k}: YAML 1.1 reads {as11[k]!r}, YAML 1.2 {v!r}"

    # the real render writes exactly the dry run's bytes, a second one changes nothing
    name = "flink-conf.yaml" if legacy else "config.yaml"
    first = run_render(render_bin, env, *args)
    assert first.returncode == 0, first.stderr
    check_stderr(first.stderr, case_env)
    assert (home / "conf" / name).read_text() == dry.stdout
    second = run_render(render_bin, env, *args)
    assert second.returncode == 0, second.stderr
    assert (home / "conf" / name).read_text() == dry.stdout
    again = run_render(render_bin, env, "--dry-run", *args)
    assert again.stdout == dry.stdout
    if (case_dir / "flink").exists():
        check_flink_reads(home / "conf", (case_dir / "flink").read_text())


def test_flink_conf_dir(render_bin, tmp_path):
    home = make_home(tmp_path, GOLDEN / "worked-examples")
    other = tmp_path / "elsewhere"
    shutil.copytree(home / "conf", other)
    before = (home / "conf" / "config.yaml").read_bytes()
    env = pinit_env({"FLINK_HOME": str(home), "FLINK_CONF_DIR": str(other), "JOB_MANAGER_RPC_ADDRESS": "jm"},
                    socket=False)
    r = run_render(render_bin, env)
    assert r.returncode == 0, r.stderr
    assert (home / "conf" / "config.yaml").read_bytes() == before
    assert flatten(load_yaml12((other / "config.yaml").read_text()))["jobmanager.rpc.address"] == "jm"


def test_usage(render_bin):
    env = pinit_env(socket=False)
    for args in (["--bogus"], ["--format"], ["--format", "toml"]):
        r = run_render(render_bin, env, *args)
        assert r.returncode == 64, (args, r.stderr)
        assert r.stderr.startswith("pinit: error: render: ")
    r = run_render(render_bin, env, "--help")
    assert r.returncode == 0 and "--dry-run" in r.stdout


# ---------------------------------------------------------------- read-only conf dir

def can_mount():
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "--mount", "true"], capture_output=True).returncode == 0


def run_ro(pinit, env, *ro_dirs):
    """pinit render in a private mount namespace where ro_dirs are bind-mounted read-only."""
    script = "".join(f'mount --bind -o ro "{d}" "{d}" || exit 99\n' for d in ro_dirs)
    return subprocess.run(["unshare", "--mount", "sh", "-c", script + 'exec "$0" render', pinit],
                          capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.skipif(not can_mount(), reason="needs root and unshare --mount")
def test_read_only_conf_dir(render_bin, tmp_path):
    home = make_home(tmp_path, GOLDEN / "official-1.20")
    conf = home / "conf"
    before = {p.name: p.read_bytes() for p in conf.iterdir()}
    rt = tmp_path / "rt"
    rt.mkdir()
    case_env = read_env(GOLDEN / "official-1.20" / "env")
    env = pinit_env({**case_env, "FLINK_HOME": str(home), "PINIT_RUNTIME_DIR": str(rt)}, socket=False)
    r = run_ro(render_bin, env, conf)
    assert r.returncode == 0, r.stderr
    check_stderr(r.stderr, case_env)
    copy = rt / "pinit-flink-conf"
    assert f"{conf} is not writable" in r.stderr and str(copy) in r.stderr
    assert {p.name: p.read_bytes() for p in conf.iterdir()} == before, "the read-only dir changed"
    assert (copy / "log4j-console.properties").read_bytes() == before["log4j-console.properties"]
    got = flatten(load_yaml12((copy / "config.yaml").read_text()))
    assert got == flatten(load_yaml12((GOLDEN / "official-1.20" / "expected.yaml").read_text()))
    # again: the same bytes, rendered from the pristine read-only base
    first = (copy / "config.yaml").read_bytes()
    r = run_ro(render_bin, env, conf)
    assert r.returncode == 0 and (copy / "config.yaml").read_bytes() == first


@pytest.mark.skipif(not can_mount(), reason="needs root and unshare --mount")
def test_read_only_everywhere(render_bin, tmp_path):
    home = make_home(tmp_path, GOLDEN / "worked-examples")
    rt = tmp_path / "rt"
    rt.mkdir()
    env = pinit_env({"FLINK_HOME": str(home), "PINIT_RUNTIME_DIR": str(rt), "JOB_MANAGER_RPC_ADDRESS": "jm"},
                    socket=False)
    r = run_ro(render_bin, env, home / "conf", rt)
    assert r.returncode == 78, r.stderr
    errors = [l for l in r.stderr.splitlines() if l.startswith("pinit: error: render: ")]
    assert len(errors) == 1 and "pinit-flink-conf" in errors[0], r.stderr


@pytest.mark.skipif(not can_mount(), reason="needs root and unshare --mount")
def test_config_file_is_a_mount(render_bin, tmp_path):
    """A Kubernetes subPath mount: the dir is writable, the file is a mount point (EBUSY)."""
    home = make_home(tmp_path, GOLDEN / "worked-examples")
    conf = home / "conf"
    before = (conf / "config.yaml").read_bytes()
    rt = tmp_path / "rt"
    rt.mkdir()
    env = pinit_env({"FLINK_HOME": str(home), "PINIT_RUNTIME_DIR": str(rt), "JOB_MANAGER_RPC_ADDRESS": "jm"},
                    socket=False)
    r = run_ro(render_bin, env, conf / "config.yaml")
    assert r.returncode == 0, r.stderr
    assert (conf / "config.yaml").read_bytes() == before
    assert sorted(p.name for p in conf.iterdir()) == ["config.yaml"], "a temp file was left behind"
    got = flatten(load_yaml12((rt / "pinit-flink-conf" / "config.yaml").read_text()))
    assert got["jobmanager.rpc.address"] == "jm"


def test_random_values_are_strings_everywhere(render_bin, tmp_path):
    """800 random strings built from YAML's troublemakers, set through ${V}: YAML 1.2 and
    YAML 1.1 readers must both load each one back as exactly the same string."""
    import random
    rnd = random.Random(20240607)
    atoms = list("-?:,[]{}#&*!|>'\"%@`~=<. 0123456789eExXoObB_+tTzZ\t\\/$") + \
        ["\n", "\r", "\x01", "\x7f", "\u0085", "\u2028", "\ufeff", "é", "€", "𝄞", "yes", "null", "true",
         "on", ".inf", "---", "...", ": ", " #", "1e3", "0x", "2001-12-14", "12:30", "1600m", "50 s"]
    values = ["".join(rnd.choice(atoms) for _ in range(rnd.randint(0, 6))) for _ in range(800)]
    home = make_home(tmp_path, GOLDEN / "flink-2.0")
    extra = {f"V{i}": v for i, v in enumerate(values)}
    extra["FLINK_PROPERTIES"] = "\n".join(f"k.v{i}: ${{V{i}}}" for i in range(len(values)))
    extra.update({"FLINK_HOME": str(home), "JOB_MANAGER_RPC_ADDRESS": "jm"})
    r = run_render(render_bin, pinit_env(extra, socket=False), "--dry-run")
    assert r.returncode == 0, r.stderr
    as12 = flatten(load_yaml12(r.stdout))
    as11 = flatten(pyyaml.safe_load(r.stdout))
    blanks = "".join(map(chr, range(33)))   # values from the environment are trimmed (Flink's trim())
    for i, v in enumerate(values):
        v = v.strip(blanks)
        assert as12[f"k.v{i}"] == v, (v, as12[f"k.v{i}"])
        assert as11[f"k.v{i}"] == v, (v, as11[f"k.v{i}"])


# ---------------------------------------------------------------- issue 10: what Flink reads

def render_env(home, **extra):
    env = pinit_env({"FLINK_HOME": str(home), "JOB_MANAGER_RPC_ADDRESS": "jm", **extra}, socket=False)
    for k in ("FLINK_CONF_DIR", "FLINK_PROPERTIES"):
        if k not in extra:
            env.pop(k, None)
    return env


def test_over_flinks_yaml_size_limit_is_refused(render_bin, tmp_path):
    """snakeyaml-engine reads at most 3 Mi code points: Flink cannot load a larger config.yaml,
    so pinit refuses to write one (78, old file kept)."""
    home = make_home(tmp_path, GOLDEN / "worked-examples")
    path = home / "conf" / "config.yaml"
    path.write_text("".join(f"k{i}.x: {'v' * 100}\n" for i in range(31000)))   # ~3.3 MB
    with pytest.raises(flink_oracle.FlinkLoadError):
        flink_oracle.read_conf(home / "conf")          # Flink itself refuses it
    before = path.read_bytes()
    r = run_render(render_bin, render_env(home))
    assert r.returncode == 78, r.stderr
    errors = [l for l in r.stderr.splitlines() if l.startswith("pinit: error: render: ")]
    assert len(errors) == 1 and "more than Flink's YAML reader accepts" in errors[0], r.stderr
    assert path.read_bytes() == before


@pytest.mark.parametrize("fmt", ["yaml", "legacy"])
def test_lone_cr_and_invalid_utf8_as_flink_reads_them(render_bin, tmp_path, fmt):
    """A lone CR ends a FLINK_PROPERTIES line; a value that is not UTF-8 is dropped with a
    warning in both formats (they must agree)."""
    home = make_home(tmp_path, GOLDEN / "legacy-1.20" if fmt == "legacy" else GOLDEN / "worked-examples")
    env = {k.encode(): v.encode() for k, v in render_env(home).items()}
    env[b"BAD"] = b"x\xffy"
    env[b"FLINK_PROPERTIES"] = b"parallelism.default: 3\rrest.port: 8089\rbad.value: ${BAD}\r\nok: 1"
    r = subprocess.run([render_bin, "render"], capture_output=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert b"the value of 'bad.value' is not valid UTF-8" in r.stderr
    got = flink_oracle.read_conf(home / "conf")
    assert got["options"]["parallelism.default"] == "3" and got["options"]["rest.port"] == "8089"
    assert got["keys"]["ok"][1] == "1" and "bad.value" not in got["keys"]


def test_render_is_the_render_step_of_pinit_flink(render_bin, tmp_path):
    """`pinit render` reads what `pinit flink` reads: NAME_FILE secrets, PINIT_FLINK_HOME,
    PINIT_FLINK_CONF_DIR, the INI [flink] section (format), and --role adds the role's pins;
    its dry run is byte for byte the file `pinit flink ROLE` writes."""
    from conftest import run_pid1
    home = make_home(tmp_path, GOLDEN / "official-1.20")
    (home / "bin").mkdir()
    (home / "bin" / "taskmanager.sh").write_text('#!/bin/sh\ncp "$FLINK_CONF_DIR/flink-conf.yaml" "$OUT"\n')
    other = tmp_path / "other-conf"
    shutil.copytree(home / "conf", other)
    secret = tmp_path / "pw"
    secret.write_text("s3cr3t-from-file\n")
    ini = tmp_path / "pinit.ini"
    ini.write_text("[flink]\nformat = legacy\n")
    extra = {"PINIT_FLINK_HOME": str(home), "PINIT_FLINK_CONF_DIR": str(other), "PINIT_CONFIG": str(ini),
             "DB_PASSWORD_FILE": str(secret), "FLINK_PROPERTIES": "s3.secret-key: ${DB_PASSWORD}",
             "JOB_MANAGER_RPC_ADDRESS": "127.0.0.1", "PINIT_RESTART_POLICY": "never", "DISABLE_JEMALLOC": "true",
             "PINIT_WAIT_TIMEOUT": "0s"}
    env = pinit_env(extra, socket=False)
    env.pop("FLINK_HOME", None)
    env.pop("FLINK_CONF_DIR", None)
    dry = subprocess.run([render_bin, "render", "--dry-run", "--role", "taskmanager"], capture_output=True, text=True,
                         env=env, timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert "s3cr3t-from-file" not in dry.stderr
    assert not (other / "flink-conf.yaml").exists(), "--dry-run wrote"
    conf = flink_legacy(dry.stdout)
    assert conf["s3.secret-key"] == "s3cr3t-from-file"        # the NAME_FILE secret
    assert conf["taskmanager.rpc.port"] == "6122"              # the role's pin
    assert conf["jobmanager.memory.process.size"] == "1600m"   # legacy started from config.yaml
    # the real container start writes exactly that file
    out = tmp_path / "written"
    r = run_pid1(["flink", "taskmanager"], env=pinit_env(dict(extra, OUT=str(out), PINIT_WAIT_TARGETS="")))
    assert out.exists(), r.stderr
    assert out.read_text() == dry.stdout
    assert flink_oracle.read_conf(other)["options"]["taskmanager.rpc.port"] == "6122"


@pytest.mark.skipif(not can_mount(), reason="needs root and unshare --mount")
def test_runtime_dir_is_created(render_bin, tmp_path):
    home = make_home(tmp_path, GOLDEN / "worked-examples")
    rt = tmp_path / "not-yet"
    env = pinit_env({"FLINK_HOME": str(home), "PINIT_RUNTIME_DIR": str(rt), "JOB_MANAGER_RPC_ADDRESS": "jm"},
                    socket=False)
    r = run_ro(render_bin, env, home / "conf")
    assert r.returncode == 0, r.stderr
    assert flink_oracle.values(rt / "pinit-flink-conf")["jobmanager.rpc.address"] == "jm"
