"""Issue 9 item 1: every deadline and interval runs on CLOCK_MONOTONIC.  libev's ev_now() is
the wall clock, so no C file of pinit may read it (ev_now_update() and relative ev_timer
intervals are fine); the wall clock is read only through clock_wall_now() (clock.h)."""
import re

from conftest import SOURCE_DIR

CALL = re.compile(r"\bev_now\s*\(")
WALL = re.compile(r"\bCLOCK_REALTIME\b|\bgettimeofday\s*\(|\btime\s*\(\s*(NULL|0)?\s*\)")
# where the wall clock may be read, each for what a person reads (or a file's mtime)
WALL_OK = {
    "init/clock.c": "clock_wall_now()",
    "init/log.c": "JSON log timestamps",
    "init/httpd.c": "the HTTP Date header",
    "init/metrics.c": "*_start_time_seconds",
    "init/flink_job.c": "a savepoint's age, against its files' mtimes",
}


def sources():
    for d in ("init", "probes"):
        for p in sorted((SOURCE_DIR / d).glob("*.c")):
            yield str(p.relative_to(SOURCE_DIR)), p.read_text()


def code_lines(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    for n, line in enumerate(text.split("\n"), 1):
        yield n, re.sub(r'"(\\.|[^"\\])*"', '""', line.split("//")[0])


def test_no_c_file_reads_libevs_wall_clock():
    bad = [f"{name}:{n}: {line.strip()}" for name, text in sources()
           for n, line in code_lines(text) if CALL.search(line)]
    assert not bad, "ev_now() is CLOCK_REALTIME; use clock_mono_now():\n" + "\n".join(bad)


def test_wall_clock_read_only_for_display():
    bad = [f"{name}:{n}: {line.strip()}" for name, text in sources() if name not in WALL_OK
           for n, line in code_lines(text) if WALL.search(line)]
    assert not bad, "the wall clock outside the display code (WALL_OK):\n" + "\n".join(bad)


def test_the_check_would_catch_a_wall_clock_deadline():
    line = "  s->deadline_ms = (int64_t)(ev_now(s->loop) * 1000.0) + budget_ms;"
    assert any(CALL.search(l) for _, l in code_lines(line))
    assert not any(CALL.search(l) for _, l in code_lines("  ev_now_update(loop); /* ev_now() */"))
