"""scripts/apt-mirror.sh: the Debian mirror comes from the machine's apt sources (one-line
and deb822), a variable overrides it, third-party repositories are never picked, and no
registry or mirror host name is written in the repository."""
import os
import subprocess

import pytest

from conftest import SOURCE_DIR, run

HELPER = SOURCE_DIR / "scripts" / "apt-mirror.sh"

ONE_LINE = """\
# a comment: deb http://commented.example/debian bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] http://mirror.one.example/debian/ bookworm main
deb-src http://src.one.example/debian bookworm main
deb http://sec.one.example/debian-security bookworm-security main
"""
THIRD_PARTY_LIST = "deb https://vendor.example/apt cloud-sdk-bookworm main\n"
DEB822 = """\
Types: deb
# a comment inside the stanza
URIs: http://mirror.822.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://sec.822.example/debian-security
Suites: bookworm-security
Components: main
"""
DISABLED_822 = """\
Types: deb
URIs: http://disabled.example/debian
Suites: bookworm
Enabled: no
"""
THIRD_PARTY_822 = """\
Types: deb
URIs: https://vendor.example/node_20.x
Suites: nodistro
Components: main
"""
SRC_ONLY_822 = """\
Types: deb-src
URIs: http://src.822.example/debian
Suites: bookworm bookworm-updates
"""

# (name, {relative file: text}, env, kind, expected URI or None for "not found")
CASES = [
    ("one-line", {"sources.list": ONE_LINE}, {}, "debian", "http://mirror.one.example/debian"),
    ("one-line security", {"sources.list": ONE_LINE}, {}, "debian-security",
     "http://sec.one.example/debian-security"),
    ("deb822", {"sources.list.d/debian.sources": DEB822}, {}, "debian", "http://mirror.822.example/debian"),
    ("deb822 security", {"sources.list.d/debian.sources": DEB822}, {}, "debian-security",
     "http://sec.822.example/debian-security"),
    ("sources.list before .sources", {"sources.list": ONE_LINE, "sources.list.d/debian.sources": DEB822},
     {}, "debian", "http://mirror.one.example/debian"),
    ("third party skipped (.list first)",
     {"sources.list.d/a-vendor.list": THIRD_PARTY_LIST, "sources.list.d/debian.sources": DEB822},
     {}, "debian", "http://mirror.822.example/debian"),
    ("third party and disabled stanza skipped",
     {"sources.list.d/a.sources": THIRD_PARTY_822 + "\n" + DISABLED_822,
      "sources.list.d/debian.sources": DEB822}, {}, "debian", "http://mirror.822.example/debian"),
    ("deb-src only", {"sources.list.d/src.sources": SRC_ONLY_822}, {}, "debian", "http://src.822.example/debian"),
    ("deb preferred over an earlier deb-src",
     {"sources.list.d/a.sources": SRC_ONLY_822, "sources.list.d/debian.sources": DEB822},
     {}, "debian", "http://mirror.822.example/debian"),
    ("security derived from the debian mirror", {"sources.list.d/src.sources": SRC_ONLY_822}, {},
     "debian-security", "http://src.822.example/debian-security"),
    ("disabled files ignored", {"sources.list.d/debian.sources.disabled": DEB822,
                                "sources.list.d/x.list.off": ONE_LINE}, {}, "debian", None),
    ("only third party", {"sources.list.d/v.list": THIRD_PARTY_LIST}, {}, "debian", None),
    ("nothing", {}, {}, "debian", None),
    ("DEBIAN_MIRROR wins", {"sources.list": ONE_LINE}, {"DEBIAN_MIRROR": "http://override.example/d/"},
     "debian", "http://override.example/d"),
    ("DEBIAN_SECURITY_MIRROR wins", {"sources.list": ONE_LINE},
     {"DEBIAN_SECURITY_MIRROR": "http://override.example/s"}, "debian-security", "http://override.example/s"),
    ("empty variable = unset", {"sources.list": ONE_LINE}, {"DEBIAN_MIRROR": ""}, "debian",
     "http://mirror.one.example/debian"),
]


@pytest.mark.parametrize("name,files,env,kind,want", CASES, ids=[c[0] for c in CASES])
def test_mirror_from_apt_sources(tmp_path, name, files, env, kind, want):
    (tmp_path / "sources.list.d").mkdir()
    for rel, text in files.items():
        (tmp_path / rel).write_text(text)
    e = {k: v for k, v in os.environ.items() if k not in ("DEBIAN_MIRROR", "DEBIAN_SECURITY_MIRROR")}
    e.update(env, APT_MIRROR_ETC=str(tmp_path))
    r = subprocess.run(["bash", str(HELPER), kind], capture_output=True, text=True, env=e, timeout=30)
    if want is None:
        assert r.returncode == 1 and r.stdout == "", (r.returncode, r.stdout)
        var = "DEBIAN_MIRROR" if kind == "debian" else "DEBIAN_SECURITY_MIRROR"
        assert len(r.stderr.splitlines()) == 1 and str(tmp_path) in r.stderr and var in r.stderr, r.stderr
    else:
        assert (r.returncode, r.stdout, r.stderr) == (0, want + "\n", ""), (r.returncode, r.stdout, r.stderr)


def test_sourced_function_and_bad_kind(tmp_path):
    (tmp_path / "sources.list").write_text(ONE_LINE)
    r = run("bash", "-c", f'. "{HELPER}"; apt_mirror debian; apt_mirror nonsense; echo "rc=$?"',
            env={"PATH": os.environ["PATH"], "APT_MIRROR_ETC": str(tmp_path)})
    assert r.stdout == "http://mirror.one.example/debian\nrc=64\n", r.stdout
    assert "unknown kind nonsense" in r.stderr


# Host names of package registries and mirrors, assembled so this file does not hold them.
REGISTRY_HOSTS = [".".join(parts) for parts in (
    ("deb", "debian", "org"), ("security", "debian", "org"), ("snapshot", "debian", "org"),
    ("pypi", "org"), ("files", "python" + "hosted", "org"), ("python" + "hosted", "org"),
    ("archive", "ubuntu", "com"), ("registry", "npmjs", "org"), ("crates", "io"),
    ("proxy", "golang", "org"), ("repo1", "maven", "org"))]


def test_no_registry_host_in_the_repository():
    if not (SOURCE_DIR / ".git").exists():
        pytest.skip("not a git checkout")
    files = run("git", "-C", SOURCE_DIR, "ls-files", "-z").stdout.split("\0")
    hits = []
    for f in filter(None, files):
        p = SOURCE_DIR / f
        if not p.is_file():
            continue
        try:
            text = p.read_text(errors="replace")
        except OSError:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            hits += [f"{f}:{n}: {h}" for h in REGISTRY_HOSTS if h in line]
    assert not hits, "registry host names written into the repository:\n" + "\n".join(hits)
