"""Docs cannot rot: every command shown in README.md and docs/**/*.md is run against the binary.

Fenced code blocks are found in README.md and docs/**/*.md and handled by their info string
(the words after the opening fence):

  ```sh                 run with bash against $PINIT_BIN (`pinit` on PATH is the binary), in a
                        fresh PID + mount + network namespace (loopback only, a tmpfs on /run,
                        a unique PINIT_CONTROL_SOCKET, a scratch working directory), at most
                        60 s; it must exit 0 (or N with `exit=N`).
  ```sh pid1            one `pinit ...` command line, run *as PID 1* of that namespace (no
                        shell in between); leading NAME=value words become its environment.
  ```sh docker          not run: needs Docker, a compose stack or the images.
  ```sh no-test         not run: Kubernetes, minutes of work, or a command a reader adapts.
  ```text output        the expected output of the sh block before it (stdout and stderr
                        together): every line must match a line of the output, `...`
                        matching anything.
  ```ini                written to a file and loaded with `PINIT_CONFIG=FILE pinit config`:
                        exit 0 (or `exit=N`).
  ```yaml / ```json     must parse (PyYAML / json).

Every ```sh block must be run or marked, and the shell-ish languages bash/shell/console are
refused, so nobody adds an unchecked command.  A generated file may mark blocks it cannot
carry a marker in with a comment line `<!-- doc-test no-test: PREFIX -->`: its sh blocks
starting with PREFIX count as no-test (docs/benchmarks.md, rewritten by tests/bench).

Also here: the English and Chinese guides have the same sections and byte-identical code
blocks; relative links resolve; the man page renders without warnings and names every
subcommand, configuration variable and the binary's version; the benchmark figures quoted in
the guide are those of docs/benchmarks.md.

`python3 tests/blackbox/test_docs.py` prints the inventory (how many blocks of each kind)
without running anything.
"""
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import PINIT, SLOW, SOURCE_DIR  # noqa: E402

GUIDE_EN = SOURCE_DIR / "docs" / "guide.md"
GUIDE_ZH = SOURCE_DIR / "docs" / "zh-CN" / "guide.md"
MAN_PAGE = SOURCE_DIR / "docs" / "pinit.1"
BLOCK_TIMEOUT = 60

LANG_ATTRS = {  # language -> the words allowed after it
    "sh": {"docker", "no-test", "pid1", "exit="},
    "text": {"output"},
    "ini": {"no-test", "exit="},
    "yaml": {"no-test"},
    "json": {"no-test"},
}
REFUSED_LANGS = {"bash", "shell", "console", "zsh", "shell-session"}
FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})\s*([^`]*?)\s*$")
MARK = re.compile(r"<!--\s*doc-test no-test:\s*(.+?)\s*-->")


@dataclass
class Block:
    path: Path
    line: int
    lang: str
    attrs: list
    text: str
    output: "Block" = None
    marked_by_file: bool = False

    @property
    def where(self):
        return f"{self.path.relative_to(SOURCE_DIR)}:{self.line}"

    def has(self, word):
        return word in self.attrs

    def exit_code(self):
        for a in self.attrs:
            if a.startswith("exit="):
                return int(a[5:])
        return 0

    @property
    def kind(self):
        if self.lang != "sh":
            return self.lang
        if self.has("docker"):
            return "docker"
        if self.has("no-test") or self.marked_by_file:
            return "no-test"
        return "pid1" if self.has("pid1") else "run"

    def key(self):
        return (self.lang, tuple(self.attrs), self.text, self.output.text if self.output else None)


def doc_files():
    return [SOURCE_DIR / "README.md"] + sorted((SOURCE_DIR / "docs").rglob("*.md"))


def parse(path):
    """Every fenced block of a markdown file, in order; ```text output blocks are attached
    to the sh block before them."""
    lines = path.read_text(encoding="utf-8").split("\n")
    prefixes = [m.group(1) for m in MARK.finditer("\n".join(lines))]
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = len(m.group(1)), m.group(2), m.group(3)
        start, body, i = i + 1, [], i + 1
        while i < len(lines):
            c = FENCE.match(lines[i])
            if c and c.group(2)[0] == fence[0] and len(c.group(2)) >= len(fence) and not c.group(3):
                break
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        i += 1
        words = info.split()
        b = Block(path, start, words[0] if words else "", words[1:], "\n".join(body) + "\n")
        b.marked_by_file = b.lang == "sh" and any(b.text.startswith(p) for p in prefixes)
        blocks.append(b)
    out = []
    for b in blocks:
        if b.lang == "text" and b.has("output"):
            prev = out[-1] if out else None
            assert prev is not None and prev.kind in ("run", "pid1") and prev.output is None, \
                f"{b.where}: a ```text output block must follow a ```sh block that is run"
            prev.output = b
            continue
        out.append(b)
    return out


def all_blocks():
    return [b for p in doc_files() for b in parse(p)]


def unique(blocks, kinds):
    seen, out = set(), []
    for b in blocks:
        if b.kind in kinds and b.key() not in seen:
            seen.add(b.key())
            out.append(b)
    return out


def inventory(blocks):
    count = {}
    for b in blocks:
        count[b.kind] = count.get(b.kind, 0) + 1
    uniq = {k: len(unique(blocks, {k})) for k in count}
    return count, uniq


def summary_line(blocks):
    count, uniq = inventory(blocks)
    return (f"doc-tests: {uniq.get('run', 0) + uniq.get('pid1', 0)} sh blocks run "
            f"({uniq.get('pid1', 0)} of them as PID 1), {uniq.get('docker', 0)} marked docker, "
            f"{uniq.get('no-test', 0)} marked no-test; {uniq.get('ini', 0)} ini loaded, "
            f"{uniq.get('yaml', 0)} yaml and {uniq.get('json', 0)} json parsed "
            f"(unique blocks; {sum(count.values())} blocks in {len(doc_files())} files, "
            f"the Chinese guide repeating the English one's)")


BLOCKS = all_blocks()


# ---------------------------------------------------------------- every block is accounted for

def test_every_block_is_known_run_or_marked():
    bad = []
    for b in BLOCKS:
        if b.lang in REFUSED_LANGS:
            bad.append(f"{b.where}: ```{b.lang}: write ```sh (run, or marked docker / no-test)")
        elif b.lang in LANG_ATTRS:
            allowed = LANG_ATTRS[b.lang]
            for a in b.attrs:
                if a not in allowed and not ("exit=" in allowed and re.fullmatch(r"exit=\d+", a)):
                    bad.append(f"{b.where}: ```{b.lang} {a}: unknown marker (allowed: {sorted(allowed)})")
        elif b.attrs:
            bad.append(f"{b.where}: ```{b.lang} {' '.join(b.attrs)}: markers only exist for {sorted(LANG_ATTRS)}")
        if b.lang == "sh" and b.has("docker") and b.has("no-test"):
            bad.append(f"{b.where}: docker or no-test, not both")
        if b.lang == "text" and b.has("output"):
            bad.append(f"{b.where}: stray ```text output block")
    assert not bad, "\n".join(bad)


def test_inventory(capsys):
    line = summary_line(BLOCKS)
    with capsys.disabled():
        print("\n" + line)
    _, uniq = inventory(BLOCKS)
    assert uniq.get("run", 0) + uniq.get("pid1", 0) >= 10, line


# ---------------------------------------------------------------- running sh blocks

def block_env(work):
    shim = work / ".bin"
    shim.mkdir()
    (shim / "pinit").symlink_to(PINIT)
    env = {"PATH": f"{shim}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "HOME": str(work), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TERM": "dumb",
           "PINIT_CONTROL_SOCKET": "@pinit-doc-" + uuid.uuid4().hex}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    return env


# PID 1 of the namespace brings up loopback (the only network there is) and puts a tmpfs on
# /run (examples may write /run/secrets), then execs what follows.
PRELUDE = 'ip link set lo up && mount -t tmpfs -o mode=0755 tmpfs /run && exec "$@"'
NAMESPACE = ["unshare", "--pid", "--fork", "--mount-proc", "--net", "--kill-child",
             "/bin/sh", "-c", PRELUDE, "sh"]


def pid1_argv(block, env):
    """The command line of a pid1 block as argv, its NAME=value prefix moved into env."""
    text = re.sub(r"\\\n", " ", block.text)
    words = shlex.split(text, comments=True)
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        k, _, v = words.pop(0).partition("=")
        env[k] = v
    assert words and words[0] == "pinit", f"{block.where}: a pid1 block is one `pinit ...` command"
    return [PINIT] + words[1:]


def run_block(block):
    work = Path(tempfile.mkdtemp(prefix="pinit-doc-"))
    try:
        env = block_env(work)
        if block.kind == "pid1":
            argv = NAMESPACE + pid1_argv(block, env)
        else:
            (work / ".block.sh").write_text(block.text)
            argv = NAMESPACE + ["bash", str(work / ".block.sh")]
        p = subprocess.Popen(argv, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, start_new_session=True)
        try:
            out, _ = p.communicate(timeout=BLOCK_TIMEOUT * SLOW)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, _ = p.communicate()
            pytest.fail(f"{block.where}: still running after {BLOCK_TIMEOUT * SLOW:.0f}s; output:\n"
                        f"{out.decode(errors='replace')}")
        return p.returncode, out.decode(errors="replace")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def line_pattern(expected):
    return re.compile("^" + ".*".join(re.escape(part) for part in expected.split("...")) + "$")


@pytest.fixture(scope="module")
def namespaces_work():
    if not PINIT or not os.access(PINIT, os.X_OK):
        pytest.skip("no pinit binary (set PINIT_BIN)")
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        pytest.skip("needs root, unshare and ip (iproute2)")


@pytest.mark.parametrize("block", unique(BLOCKS, {"run", "pid1"}), ids=lambda b: b.where)
def test_sh_block(block, namespaces_work):
    rc, out = run_block(block)
    shown = f"{block.where} (```sh {' '.join(block.attrs)}):\n{block.text}--- output (exit {rc}):\n{out}"
    assert rc == block.exit_code(), f"exit {rc}, expected {block.exit_code()}: {shown}"
    for bad in (": command not found", ": syntax error"):
        assert bad not in out, shown
    if block.output:
        lines = out.splitlines()
        for want in block.output.text.rstrip("\n").split("\n"):
            rx = line_pattern(want)
            assert any(rx.match(line) for line in lines), \
                f"no output line matches {want!r} ({block.output.where}): {shown}"


# ---------------------------------------------------------------- ini, yaml, json

@pytest.mark.parametrize("block", [b for b in unique(BLOCKS, {"ini"}) if not b.has("no-test")],
                         ids=lambda b: b.where)
def test_ini_block_loads(block, tmp_path):
    if not PINIT:
        pytest.skip("no pinit binary")
    f = tmp_path / "pinit.ini"
    f.write_text(block.text)
    env = {"PATH": "/usr/bin:/bin", "PINIT_CONFIG": str(f)}
    p = subprocess.run([PINIT, "config"], env=env, capture_output=True, text=True, timeout=10 * SLOW)
    assert p.returncode == block.exit_code(), f"{block.where}:\n{block.text}\n{p.stdout}{p.stderr}"


@pytest.mark.parametrize("block", [b for b in unique(BLOCKS, {"yaml", "json"}) if not b.has("no-test")],
                         ids=lambda b: b.where)
def test_yaml_and_json_blocks_parse(block):
    if block.lang == "json":
        json.loads(block.text)
        return
    yaml = pytest.importorskip("yaml")
    docs = list(yaml.safe_load_all(block.text))
    assert docs and all(d is not None for d in docs), f"{block.where}: empty YAML"


# ---------------------------------------------------------------- the two guides

def headings(path):
    out, fence = [], None
    for line in path.read_text(encoding="utf-8").split("\n"):
        m = FENCE.match(line)
        if m and (fence is None or (m.group(2)[0] == fence[0] and not m.group(3))):
            fence = m.group(2) if fence is None else None
            continue
        if fence is None:
            h = re.match(r"^(#{1,6}) ", line)
            if h:
                out.append(len(h.group(1)))
    return out


def test_guides_exist_and_link_each_other():
    assert GUIDE_EN.exists() and GUIDE_ZH.exists()
    assert "zh-CN/guide.md" in GUIDE_EN.read_text()
    assert "../guide.md" in GUIDE_ZH.read_text()
    assert "guide.md" in (SOURCE_DIR / "docs" / "zh-CN" / "README.md").read_text()


def test_chinese_guide_has_the_same_sections():
    en, zh = headings(GUIDE_EN), headings(GUIDE_ZH)
    assert len(en) == len(zh), f"{len(en)} headings in the English guide, {len(zh)} in the Chinese one"
    assert en == zh, "the heading levels differ: the sections are not in the same order"


def test_chinese_guide_has_the_same_code_blocks():
    def blocks(path):
        return [(b.lang, b.attrs, b.text, b.output.text if b.output else None) for b in parse(path)]
    en, zh = blocks(GUIDE_EN), blocks(GUIDE_ZH)
    assert len(en) == len(zh), f"{len(en)} code blocks in English, {len(zh)} in Chinese"
    for i, (a, b) in enumerate(zip(en, zh)):
        assert a == b, f"code block {i + 1} differs:\nEnglish: {a}\nChinese: {b}"


# ---------------------------------------------------------------- links, man page, figures

LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_relative_links_resolve():
    bad = []
    for path in doc_files():
        text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
        for target in LINK.findall(text):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            file = target.split("#")[0]
            if file and not (path.parent / file).exists():
                bad.append(f"{path.relative_to(SOURCE_DIR)}: {target}")
    assert not bad, "broken links:\n" + "\n".join(bad)


def test_man_page_renders_without_warnings():
    if not shutil.which("man"):
        pytest.skip("man-db not installed")
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MANROFFSEQ="")
    p = subprocess.run(["man", "--warnings", "-l", str(MAN_PAGE)], env=env, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0 and not p.stderr.strip(), p.stderr
    assert "EXIT STATUS" in p.stdout and "SIGNALS" in p.stdout


def test_man_page_covers_the_binary():
    if not PINIT:
        pytest.skip("no pinit binary")
    man = MAN_PAGE.read_text()
    plain = man.replace("\\-", "-").replace("\\fB", "").replace("\\fR", "").replace("\\fI", "")
    version = subprocess.run([PINIT, "--version"], capture_output=True, text=True).stdout.split()[-1]
    assert f'"pinit {version}"' in man, f"docs/pinit.1: .TH should name pinit {version}"
    usage = subprocess.run([PINIT, "--help"], capture_output=True, text=True).stdout
    synopsis = "\n".join(re.split(r"\s{3,}", line.strip())[0] for line in usage.split("\n\n")[0].splitlines())
    for cmd in sorted(set(re.findall(r"pinit (\w+)", synopsis))):
        assert re.search(rf"pinit {cmd}\b", plain), f"docs/pinit.1 does not describe `pinit {cmd}`"
    for opt in re.findall(r"(-[a-z]) ", usage.split("options:")[1]):
        assert re.search(r"^\.BI? \\" + opt + r"\b", man, re.M), f"docs/pinit.1 lacks option {opt}"
    config = subprocess.run([PINIT, "config"], env={"PATH": "/usr/bin:/bin"}, capture_output=True,
                            text=True).stdout
    conf_md = (SOURCE_DIR / "docs" / "configuration.md").read_text()
    for key in re.findall(r"^(\w+)\.(\w+) = ", config, re.M):
        var = f"PINIT_{key[0]}_{key[1]}".upper()
        assert var in plain, f"docs/pinit.1 does not list {var}"
        assert f"`{key[0]}.{key[1]}`" in conf_md or f"`{key[0]}.*`" in conf_md or \
            f".{key[1]}`" in conf_md, f"docs/configuration.md does not document {key[0]}.{key[1]}"
    for var in ("PINIT_CONFIG", "PINIT_WAIT", "SERVICE_PRECONDITION", "PINIT_RUNTIME_DIR",
                "TINI_SUBREAPER", "TINI_KILL_PROCESS_GROUP", "TINI_VERBOSITY", "FLINK_PROPERTIES",
                "_FILE", "NOTIFY_SOCKET"):
        assert var in plain, f"docs/pinit.1 does not mention {var}"
    for code in (" 64", " 69", " 77", " 78", "126", "127", "128+"):
        assert code in plain, f"docs/pinit.1 lacks exit code {code.strip()}"


def test_benchmark_figures_quoted_in_the_guides_are_measured_ones():
    bench = (SOURCE_DIR / "docs" / "benchmarks.md").read_text()
    for guide in (GUIDE_EN, GUIDE_ZH):
        text = guide.read_text(encoding="utf-8")
        m = re.search(r"<!-- benchmarks -->(.*?)<!-- /benchmarks -->", text, re.S)
        assert m, f"{guide}: the benchmark figures go between <!-- benchmarks --> markers"
        figures = re.findall(r"\d[\d,.]*(?: ?(?:ms|KB|B|×|x))", m.group(1))
        assert figures, f"{guide}: no figures quoted"
        missing = [f for f in figures if f not in bench]
        assert not missing, f"{guide}: {missing} are not in docs/benchmarks.md (re-quote after a new run)"


if __name__ == "__main__":
    count, uniq = inventory(BLOCKS)
    for b in BLOCKS:
        print(f"{b.kind:8} {b.where}")
    print(summary_line(BLOCKS))
