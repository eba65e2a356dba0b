"""make watch: rebuild on every save, live preview on this computer (127.0.0.1 only).

No sleep stands in for an event: each test waits on a build the watcher announces (the
Builds condition, or the preview's event stream), every wait bounded by a deadline, and
stops what it started."""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

from conftest import MINIMAL_FRONT_MATTER, ROOT, new_project
from handouts.run import watch

DEADLINE = 60  # seconds any one wait may take before the test fails


def _until(builds, done, after=0):
    """Wait for builds until done() holds; the number of the build it held after."""
    deadline = time.monotonic() + DEADLINE
    number = after
    while not done():
        left = deadline - time.monotonic()
        assert left > 0, f"no build as expected within {DEADLINE} s (builds: {builds.number})"
        number, _ = builds.wait_after(number, timeout=left)
    return number


class _Watching:
    """rebuild_on_save in a thread, with a recording build_one; stopped on exit."""

    def __init__(self, project, ready=lambda: None, during_build=lambda n: None):
        self.project, self.builds, self.stop = project, watch.Builds(), threading.Event()
        self.seen = []  # (path, the source's text when it was built)
        self.ready, self.during_build = ready, during_build
        self.announced = threading.Event()

    def _build(self, path):
        self.seen.append((path, path.read_text(encoding="utf-8")))
        self.during_build(len(self.seen))
        return False, [f"built {path.name}"], []

    def _ready(self):
        self.ready()
        self.announced.set()

    def __enter__(self):
        self.thread = threading.Thread(target=watch.rebuild_on_save, daemon=True, args=(
            self.project, self._build, self.builds, self._ready, lambda line: None, self.stop))
        self.thread.start()
        assert self.announced.wait(DEADLINE)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(DEADLINE)
        assert not self.thread.is_alive()


def test_a_save_made_as_watch_says_it_watches_is_built(tmp_path):
    """The watcher is registered before "watching" is said: a save made at that very
    moment (here, inside the announcement) is built. Said first, it went unseen."""
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER + "\nFirst.\n"})
    source = project.source_dir / "a.md"

    def save():
        source.write_text(MINIMAL_FRONT_MATTER + "\nSaved at once.\n", encoding="utf-8")
    with _Watching(project, ready=save) as watching:
        _until(watching.builds, lambda: any("Saved at once." in text
                                            for _, text in watching.seen))
    assert {path for path, _ in watching.seen} == {source}


def test_a_save_made_while_a_build_runs_is_built_next(tmp_path):
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER + "\nFirst.\n"})
    source = project.source_dir / "a.md"

    def save_again(count):
        if count == 1:
            source.write_text(MINIMAL_FRONT_MATTER + "\nSaved while building.\n",
                              encoding="utf-8")
    with _Watching(project, during_build=save_again) as watching:
        source.write_text(MINIMAL_FRONT_MATTER + "\nSaved.\n", encoding="utf-8")
        _until(watching.builds, lambda: watching.seen and
               "Saved while building." in watching.seen[-1][1])
    assert len(watching.seen) >= 2


def _get(url):
    with urllib.request.urlopen(url, timeout=DEADLINE) as response:
        return response.read().decode()


def test_a_page_opened_after_a_failed_build_shows_the_errors_over_the_last_good_version(
        tmp_path):
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER + "\nText.\n",
                                     "source/b.md": MINIMAL_FRONT_MATTER + "\nText.\n"})
    a, b = project.source_dir / "a.md", project.source_dir / "b.md"
    project.output_dir.mkdir()
    (project.output_dir / "a.html").write_text(
        "<html><body class='handout'><p>Last good text.</p></body></html>", encoding="utf-8")
    builds = watch.Builds()
    server, address = watch.serve(project, builds, 0)
    try:
        assert address.startswith("http://127.0.0.1:")
        page = _get(address + "a.html")
        assert "build-errors" not in page and "after=0" in page
        error = "error: source/a.md:9: unknown citation key '<nobody>'"
        builds.finished({a: [error]}, [a, b])
        page = _get(address + "a.html")  # opened after the failure
        assert "Last good text." in page
        assert "unknown citation key '&lt;nobody&gt;'" in page and "<nobody>" not in page
        assert page.index('id="build-errors"') < page.index("Last good text.")
        assert "after=1" in page  # reloads after the next build, not this one
        assert json.loads(_get(address + "__state")) == {"build": 1, "errors": [error]}
        builds.finished({b: []}, [a, b])  # another handout built: a's error stands
        assert "unknown citation key" in _get(address + "a.html")
        builds.finished({a: []}, [a, b])  # a builds again: its error goes
        assert "build-errors" not in _get(address + "a.html")
        builds.finished({b: ["error: source/b.md:1: broken"]}, [a, b])
        builds.finished({}, [a])  # b.md deleted: its error goes with it
        assert json.loads(_get(address + "__state")) == {"build": 5, "errors": []}
    finally:
        server.shutdown()
        server.server_close()


def _next_build(stream, after):
    """The first message of the preview's event stream about a build after `after`."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        line = stream.readline()  # each read bounded by the stream's timeout
        assert line, "the event stream ended"
        if line.startswith(b"data:"):
            message = json.loads(line[5:])
            if message["build"] > after:
                return message
    raise AssertionError(f"no build after {after} within {DEADLINE} s")


def test_watch_rebuilds_on_save_and_the_preview_reloads_or_shows_the_error(tmp_path):
    """make watch, end to end: a save made as soon as it says it watches rebuilds the
    handout; the preview page (served with a live-reload script the file itself never
    holds) hears of each build; a page opened after a failed build shows the error over
    the last good outputs, which stay."""
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER + "\nFirst text.\n"})
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    watcher = subprocess.Popen([sys.executable, "build.py", "--root", str(project.root),
                                "--watch", "--port", "0"], cwd=ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env={**os.environ, "TMPDIR": str(temporary)})
    try:
        ready = watcher.stdout.readline()
        assert "watching" in ready, ready
        address = ready.split("preview at ")[1].split()[0]
        assert address.startswith("http://127.0.0.1:")
        source, page = project.source_dir / "a.md", project.outputs("a")["html"]
        source.write_text(MINIMAL_FRONT_MATTER + "\nSecond text, saved.\n", encoding="utf-8")
        with urllib.request.urlopen(address + "__events?after=0", timeout=DEADLINE) as stream:
            # Builds of the save until one reads it (a save may reach the watcher in parts).
            number = 0
            while True:
                built = _next_build(stream, number)
                number = built["build"]
                if page.is_file() and "Second text, saved." in page.read_text("utf-8"):
                    break
            assert built["errors"] == []
            assert project.outputs("a")["pdf"].is_file()
            assert project.outputs("a")["docx"].is_file()
            served = _get(address + "a.html")
            assert "EventSource" in served and "EventSource" not in page.read_text("utf-8")
            source.write_text(MINIMAL_FRONT_MATTER + "\nBroken [@nobody @twice].\n", encoding="utf-8")
            while not (built := _next_build(stream, number))["errors"]:
                number = built["build"]
        assert len(built["errors"]) == 1
        assert "has two keys in one part" in built["errors"][0]
        assert "Second text, saved." in page.read_text(encoding="utf-8")  # the last good one
        opened = _get(address + "a.html")  # a page opened after the failed build
        assert "build-errors" in opened and "has two keys in one part" in opened
        assert "Second text, saved." in opened
    finally:
        watcher.terminate()
        watcher.wait(timeout=DEADLINE)
    assert watcher.returncode == 0  # SIGTERM ends it as Ctrl+C does, tidying up:
    assert list(temporary.iterdir()) == []  # no folder of registered fonts left
