"""Every compose file of compose/ against the Compose Specification's JSON schema (the copy
docker-compose 1.29's Python package ships), as written and as `docker-compose config`
merges and interpolates it: `docker-compose config` alone accepts what `docker compose`
(v2) refuses.  And the hardened override keeps what compose/README.md promises."""
import importlib.util
import json
import os
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import SOURCE_DIR, run

COMPOSE_DIR = SOURCE_DIR / "compose"
FILES = sorted(p.name for p in COMPOSE_DIR.glob("*.yml"))
PROD = "docker-compose.prod.yml"


def spec_schema():
    spec = importlib.util.find_spec("compose")
    assert spec and spec.origin, "docker-compose's Python package (Debian: docker-compose) is not installed"
    path = Path(spec.origin).parent / "config" / "compose_spec.json"
    return json.loads(path.read_text())


def validator():
    schema = spec_schema()
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft201909Validator)
    cls.check_schema(schema)
    return cls(schema)


def errors(doc):
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
            for e in validator().iter_errors(doc)]


VAR = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}")


def with_defaults(node):
    """The parsed file as compose sees it with no variable set: in every string,
    `${NAME:-default}` and `${NAME-default}` become their default and `${NAME}` empty (`$$`
    stays), and a string that was only variables and became a whole number is that number, as
    both v1 and v2 cast it for the schema (`replicas: ${N:-1}`)."""
    if isinstance(node, dict):
        return {k: with_defaults(v) for k, v in node.items()}
    if isinstance(node, list):
        return [with_defaults(v) for v in node]
    if isinstance(node, str) and VAR.search(node):
        out = VAR.sub(lambda m: m.group(1) or "", node)
        return int(out) if re.fullmatch(r"\d+", out) and not VAR.sub("", node).strip() else out
    return node


@pytest.mark.parametrize("name", FILES)
def test_file_as_written_matches_the_spec(name):
    doc = with_defaults(yaml.safe_load((COMPOSE_DIR / name).read_text()))
    assert not errors(doc), f"{name}:\n" + "\n".join(errors(doc))


def test_defaults_are_interpolated_before_validation():
    assert with_defaults({"a": "${X:-8081}", "b": ["${Y-1}x"], "c": "${Z}", "d": "$$HOME"}) == \
        {"a": 8081, "b": ["1x"], "c": "", "d": "$$HOME"}
    doc = with_defaults({"services": {"a": {"image": "x", "deploy": {"replicas": "${N:-two}"}}}})
    assert errors(doc), "a default that is no integer must still be caught"


def compose_env(tmp_path):
    """An env file from .env.example the way the README's production part says: secrets as
    files, not in the env file."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    for s in ("database_password", "datahub_access_key"):
        (secrets / s).write_text("x\n")
    env = tmp_path / "env"
    lines = [l for l in (COMPOSE_DIR / ".env.example").read_text().splitlines()
             if not l.startswith(("DATABASE_PASSWORD=", "DATAHUB_ACCESS_KEY="))]
    lines += ["COMPOSE_PROFILES=test,ha,monitoring", f"SECRETS_DIR={secrets}", f"CDC_ENV_FILE={env}"]
    env.write_text("\n".join(lines) + "\n")
    return env


def merged(tmp_path, *files):
    if not shutil.which("docker-compose"):
        pytest.skip("docker-compose (v1) not installed")
    args = ["docker-compose", "--env-file", compose_env(tmp_path), "--project-directory", COMPOSE_DIR]
    for f in files:
        args += ["-f", COMPOSE_DIR / f]
    e = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL")}
    return yaml.safe_load(run(*args, "config", env=e).stdout)


@pytest.mark.parametrize("files", [("docker-compose.yml",), ("docker-compose.yml", PROD)],
                         ids=["main", "main+prod"])
def test_merged_and_interpolated_matches_the_spec(tmp_path, files):
    doc = merged(tmp_path, *files)
    assert not errors(doc), "\n".join(errors(doc))


@pytest.mark.parametrize("mutate,where", [
    (lambda d: d["services"]["jobmanager"].update(read_only="yes-please"), "services/jobmanager/read_only"),
    (lambda d: d["services"]["taskmanager"].update(cap_drops=["ALL"]), "services/taskmanager"),
    (lambda d: d["networks"]["frontend"].update(internal="true"), "networks/frontend/internal"),
    (lambda d: d["services"]["jobmanager"]["deploy"]["resources"]["limits"].update(memmory="1g"),
     "services/jobmanager/deploy/resources/limits"),
], ids=["bool as string", "misspelt key", "internal as string", "misspelt limit"])
def test_the_schema_catches_mistakes(mutate, where):
    doc = yaml.safe_load((COMPOSE_DIR / PROD).read_text())
    assert not errors(doc)
    mutate(doc)
    assert [e for e in errors(doc) if e.startswith(where + ":")], errors(doc)


def test_prod_override_hardens_every_pinit_service(tmp_path):
    doc = merged(tmp_path, "docker-compose.yml", PROD)
    svc = doc["services"]
    for name in ("jobmanager", "jobmanager-standby", "taskmanager", "cdc-collector", "prometheus", "init-volumes"):
        s = svc[name]
        assert s.get("read_only") is True, name
        assert s.get("cap_drop") == ["ALL"], name
        assert "no-new-privileges:true" in s.get("security_opt", []), name
        if name != "init-volumes":
            assert any(t.startswith("/tmp:") for t in s.get("tmpfs", [])), name
            limits, reserv = s["deploy"]["resources"]["limits"], s["deploy"]["resources"].get("reservations")
            assert limits.get("memory") and reserv.get("memory"), name
            assert s["logging"]["options"]["labels"] == "pinit.stack,pinit.service", name
            assert s["labels"]["pinit.service"] == name, name
    # only what pinit needs to drop to flink and signal it; none where it starts as flink
    assert sorted(svc["jobmanager"]["cap_add"]) == ["KILL", "SETGID", "SETUID"]
    assert "cap_add" not in svc["taskmanager"] and svc["taskmanager"]["user"] == "9999:9999"
    # secrets as files, never as values in the environment
    col = svc["cdc-collector"]
    assert col["environment"]["DATABASE_PASSWORD_FILE"] == "/run/secrets/database_password"
    assert col["environment"]["DATAHUB_ACCESS_KEY_FILE"] == "/run/secrets/datahub_access_key"
    assert "DATABASE_PASSWORD" not in col["environment"] and "DATAHUB_ACCESS_KEY" not in col["environment"]
    # the backend has no route out; only frontend services publish ports
    assert doc["networks"]["flink-network"].get("internal") is True
    assert not doc["networks"]["frontend"].get("internal")
    for name, s in svc.items():
        if s.get("ports"):
            assert "frontend" in s.get("networks", {}), f"{name} publishes ports on the internal network only"
    # a 3-node ensemble
    ids = sorted(int(svc[z]["environment"]["ZOO_MY_ID"]) for z in ("zookeeper", "zookeeper-2", "zookeeper-3"))
    assert ids == [1, 2, 3]
    for z in ("zookeeper", "zookeeper-2", "zookeeper-3"):
        assert svc[z]["environment"]["ZOO_SERVERS"].count("server.") == 3, z


def test_env_example_names_every_variable_of_the_compose_file():
    """compose/.env.example says it lists every variable of docker-compose.yml: keep it so."""
    example = (COMPOSE_DIR / ".env.example").read_text()
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (COMPOSE_DIR / "docker-compose.yml").read_text()))
    missing = sorted(v for v in used if not re.search(rf"(?:^#? ?|\s){v}=", example, re.M))
    assert not missing, f"compose/.env.example lacks {missing}"
