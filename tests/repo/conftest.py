"""Checks of the repository's own files other than the binary: the mirror helper, the
compose files against the Compose Specification, the Kubernetes manifests against the
Kubernetes schemas and pinit's defaults.  Run by ctest (repo/test_*) with Debian's python3."""
import os
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE_DIR = Path(os.environ.get("PINIT_SOURCE_DIR") or HERE.parent.parent)


def find_pinit():
    """The binary ctest names (PINIT_BIN), else build/pinit."""
    cand = os.environ.get("PINIT_BIN") or str(SOURCE_DIR / "build" / "pinit")
    assert os.access(cand, os.X_OK), f"no pinit binary at {cand}: build first or set PINIT_BIN"
    return cand


def run(*args, env=None, check=True, timeout=60):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))}: exit {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r
