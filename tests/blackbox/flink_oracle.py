"""Flink 1.20.1's own config loader as a test oracle (tests/oracle/FlinkConfOracle.java).

read_conf(conf_dir) loads a conf dir with GlobalConfiguration.loadConfiguration, exactly as
Flink does at start (flink-conf.yaml if it exists, else config.yaml), and returns
  {"keys": {key: (java_type, string_value)}, "options": {key: value | None | Error("...")}}
or raises FlinkLoadError when Flink refuses the file.

The jars come from PyPI's apache-flink-libraries 1.20.1 sdist, the one docker/build-images.sh
downloads into $PINIT_IMAGE_CACHE/wheels (default /var/cache/pinit-images/wheels;
scripts/test.sh fetches it when missing); PINIT_FLINK_LIB may instead name a directory
holding flink-dist-1.20.1.jar.  The program is compiled once per source version with the
JDK's javac into /tmp/pinit-flink-oracle-<hash>.  Without javac or the jars, oracle() skips
the test and says why.
"""
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

from conftest import SOURCE_DIR

FLINK_VERSION = "1.20.1"
SOURCE = SOURCE_DIR / "tests" / "oracle" / "FlinkConfOracle.java"
DIST = f"flink-dist-{FLINK_VERSION}.jar"


class FlinkLoadError(Exception):
    """Flink itself could not load the conf dir."""


class OptionError(str):
    """Flink could not read the option's typed value (the message)."""


def _sdist():
    cache = Path(os.environ.get("PINIT_IMAGE_CACHE") or "/var/cache/pinit-images")
    return cache / "wheels" / f"apache-flink-libraries-{FLINK_VERSION}.tar.gz"


def _build():
    """The oracle's directory (classes + flink-dist jar), building it if needed; or a reason."""
    if not shutil.which("javac") or not shutil.which("java"):
        return None, "no javac/java (Debian: openjdk-17-jdk-headless; scripts/test.sh installs it)"
    lib = os.environ.get("PINIT_FLINK_LIB")
    sdist = _sdist()
    if lib:
        jar = Path(lib) / DIST
        if not jar.exists():
            return None, f"PINIT_FLINK_LIB={lib} has no {DIST}"
        origin = str(jar)
    elif sdist.exists():
        origin = str(sdist)
    else:
        return None, f"no {sdist} (docker/build-images.sh or scripts/test.sh downloads it)"
    tag = hashlib.sha256(SOURCE.read_bytes() + origin.encode()).hexdigest()[:16]
    out = Path(tempfile.gettempdir()) / f"pinit-flink-oracle-{tag}"
    if (out / "FlinkConfOracle.class").exists():
        return out, None
    work = Path(tempfile.mkdtemp(prefix="pinit-flink-oracle-build-"))
    try:
        if lib:
            shutil.copy(origin, work / DIST)
        else:
            with tarfile.open(origin) as t:
                member = next(m for m in t.getmembers() if m.name.endswith("/deps/lib/" + DIST))
                with t.extractfile(member) as src, open(work / DIST, "wb") as dst:
                    shutil.copyfileobj(src, dst)
        r = subprocess.run(["javac", "-nowarn", "-d", str(work), "-cp", str(work / DIST), str(SOURCE)],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError(f"javac failed:\n{r.stderr}")
        try:
            os.rename(work, out)
        except OSError:  # another test process built it first
            pass
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out, None


_cached = None


def oracle():
    """The oracle's directory; skips the calling test (with the reason) when unavailable."""
    global _cached
    if _cached is None:
        _cached = _build()
    if _cached[0] is None:
        pytest.skip(f"Flink {FLINK_VERSION} oracle unavailable: {_cached[1]}")
    return _cached[0]


def available():
    """Whether the oracle can run here (without skipping the caller)."""
    global _cached
    if _cached is None:
        _cached = _build()
    return _cached[0] is not None


def read_conf(conf_dir):
    d = oracle()
    r = subprocess.run(["java", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", f"{d}:{d / DIST}",
                        "FlinkConfOracle", str(conf_dir)], capture_output=True, text=True, timeout=120)
    try:
        data = json.loads(r.stdout)
    except ValueError:
        raise AssertionError(f"oracle failed (exit {r.returncode}):\n{r.stdout}\n{r.stderr}")
    if "error" in data:
        raise FlinkLoadError(data["error"])
    opts = {}
    for k, v in data["options"].items():
        opts[k] = OptionError(v["error"]) if "error" in v else v.get("value")
    return {"keys": {k: tuple(v) for k, v in data["keys"].items()}, "options": opts}


def values(conf_dir):
    """{key: string value} as Flink reads the conf dir."""
    return {k: v[1] for k, v in read_conf(conf_dir)["keys"].items()}
