"""Watch mode (make watch): one warm process rebuilds a handout as soon as its source, a
bibliography, a picture or the styles change, and serves output/ on this computer as a
live preview. After each build the open page reloads itself; while a handout's last build
failed, every page is served with its errors over the last good version, which stays (a
page opened after the failure shows them too)."""

from __future__ import annotations

import functools
import html
import http.server
import json
import re
import signal
import threading
import urllib.parse
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import watchfiles
from watchfiles import main as watchfiles_main
from watchfiles._rust_notify import RustNotify

from handouts.run import pipeline
from handouts.run.project import Project

EVENTS = "/__events"  # ?after=N: one message per build after build N, the first at once
STATE = "/__state"  # the latest build's number and the errors standing, as JSON
# Added to the page as served, never to the file: from the build the page was served at,
# waits for the next one, then reloads (the page served then carries any errors).
LIVE_SCRIPT = """<script>
new EventSource("%s?after=%%d").onmessage = () => location.reload();
</script>""" % EVENTS
ERRORS_BOX = (
    '<div id="build-errors" role="alert" style="position:fixed;top:0;left:0;right:0;'
    'z-index:9;padding:1em;background:#fff;color:#8B0000;border-bottom:4px solid #8B0000;'
    'white-space:pre-wrap;font:14px/1.4 monospace;max-height:50vh;overflow:auto">'
    "A build failed; below is the last good version. Fix the source and save it again.\n\n"
    "%s</div>")
BODY = re.compile(rb"<body[^>]*>")


class Builds:
    """The number of the latest build and the errors standing: a handout's errors stay
    until it builds again without them (or its source is gone)."""

    def __init__(self) -> None:
        self.number = 0
        self._failing: dict[Path, list[str]] = {}
        self.changed = threading.Condition()

    @property
    def errors(self) -> list[str]:
        with self.changed:
            return [line for lines in self._failing.values() for line in lines]

    def finished(self, built: Mapping[Path, list[str]], current: Collection[Path]) -> None:
        """One round of builds done: each handout built, with its errors (none if it
        built), and the handouts there are now."""
        with self.changed:
            self._failing.update(built)
            self._failing = {path: errors for path, errors in self._failing.items()
                             if errors and path in current}
            self.number += 1
            self.changed.notify_all()

    def wait_after(self, number: int, timeout: float) -> tuple[int, list[str]]:
        """The latest build's number and errors, once it is not `number` (or after
        `timeout` seconds, whichever is first)."""
        with self.changed:
            self.changed.wait_for(lambda: self.number != number, timeout)
            return self.number, self.errors


class _Preview(http.server.SimpleHTTPRequestHandler):
    builds: Builds | None = None  # set per server

    def do_GET(self) -> None:
        builds = self.builds
        assert builds is not None  # set by serve()
        url = urllib.parse.urlsplit(self.path)
        if url.path == EVENTS:
            after = urllib.parse.parse_qs(url.query).get("after", ["0"])[0]
            return self._events(builds, int(after) if after.isdecimal() else 0)
        if url.path == STATE:
            return self._send(json.dumps({"build": builds.number, "errors": builds.errors})
                              .encode(), "application/json")
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix != ".html" or not path.is_file():
            return super().do_GET()
        self._send(_live(path.read_bytes(), builds), "text/html; charset=utf-8")

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _events(self, builds: Builds, number: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            while True:
                latest, errors = builds.wait_after(number, timeout=15)
                if latest == number:
                    self.wfile.write(b": still here\n\n")  # keeps the connection open
                else:
                    number = latest
                    message = json.dumps({"build": latest, "errors": errors})
                    self.wfile.write(f"data: {message}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page was closed or reloaded

    def log_message(self, *args: object) -> None:
        pass  # the terminal is for builds


def _live(page: bytes, builds: Builds) -> bytes:
    """A page as served: with the script that reloads it after the next build and, while a
    build has failed, the errors over it. Read together, so the page and the build it
    waits after agree."""
    with builds.changed:
        number, errors = builds.number, builds.errors
    script = (LIVE_SCRIPT % number).encode()
    page = page.replace(b"</body>", script + b"</body>", 1)
    if errors:
        box = (ERRORS_BOX % html.escape("\n".join(errors), quote=False)).encode()
        opening = BODY.search(page)
        at = opening.end() if opening else 0
        page = page[:at] + box + page[at:]
    return page


def serve(project: Project, builds: Builds,
          port: int) -> tuple[http.server.ThreadingHTTPServer, str]:
    """The preview server, on this computer only, in a background thread; returns it (to
    shut down) and its address."""
    handler = functools.partial(type("Preview", (_Preview,), {"builds": builds}),
                                directory=str(project.output_dir))
    project.output_dir.mkdir(exist_ok=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def affected(changes: Iterable[tuple[object, str]], project: Project,
             documents: list[Path]) -> list[Path]:
    """The handouts (of documents, the project's now) a set of file changes calls for: a
    handout's own source, or every handout when something they share changed (a
    bibliography, a picture, the styles)."""
    changed = {Path(path) for _, path in changes}
    if any(path.suffix != ".md" or path.parent != project.source_dir for path in changed):
        return documents
    return [path for path in documents if path in changed]


def watch(project: Project,
          build_one: Callable[[Path], tuple[bool, list[str], list[str]]],
          port: int = 8000,
          report: Callable[[str], object] = functools.partial(print, flush=True)) -> None:
    """Serve the preview and rebuild on every change until interrupted. build_one(path)
    builds a handout and returns (failed, stdout lines, stderr lines). Stopped by SIGTERM
    (a service manager, a closing terminal) it ends as after Ctrl+C, tidying up."""
    signal.signal(signal.SIGTERM, _interrupt)
    pipeline.preload()
    _warm_up(project)
    builds = Builds()
    server, address = serve(project, builds, port)
    try:
        rebuild_on_save(project, build_one, builds, lambda: report(
            f"watching {project.source_dir} and {project.styles_dir}; preview at {address} "
            "(Ctrl+C to stop)"), report)
    finally:
        server.shutdown()
        server.server_close()


def rebuild_on_save(project: Project,
                    build_one: Callable[[Path], tuple[bool, list[str], list[str]]],
                    builds: Builds, ready: Callable[[], object],
                    report: Callable[[str], object],
                    stop: threading.Event | None = None) -> None:
    """Rebuild what each change calls for, until interrupted (or `stop` is set). `ready`
    is called once the file watcher is registered, never before: a save made from then on
    is seen, also one made while a build runs (it is built next)."""
    with _changes(project.source_dir, project.styles_dir, stop=stop) as changes:
        ready()
        for batch in changes:
            current = project.documents()
            built: dict[Path, list[str]] = {}
            for path in affected(batch, project, current):
                failed, out, err = build_one(path)
                for line in out + err:
                    report(line)
                built[path] = err if failed else []
            builds.finished(built, current)


@contextmanager
def _changes(*folders: Path, stop: threading.Event | None = None
             ) -> Iterator[Iterator[set[tuple[watchfiles.Change, str]]]]:
    """The file watcher, registered on entry (watchfiles.watch registers it only when first
    iterated, after any message saying it watches), then its batches of changes. It waits
    with no timeout: on a timeout watchfiles empties its list of changes, and a change
    arriving in that instant would be lost."""
    with RustNotify([str(folder) for folder in folders], watchfiles_main._default_debug(None),
                    watchfiles_main._default_force_polling(None),
                    watchfiles_main._default_poll_delay_ms(300), True,
                    watchfiles_main._default_ignore_permission_denied(None)) as notifier:
        yield _batches(notifier, stop)


def _batches(notifier: RustNotify, stop: threading.Event | None
             ) -> Iterator[set[tuple[watchfiles.Change, str]]]:
    keep = watchfiles.DefaultFilter()
    while True:
        raw = notifier.watch(400, 20, 0, stop)  # group a save's changes over 400 ms at most
        if raw == "signal":
            raise KeyboardInterrupt
        if raw == "stop":
            return
        if isinstance(raw, str):  # "timeout": not asked for
            continue
        batch = {(change, path) for change, path in
                 ((watchfiles.Change(number), path) for number, path in raw)
                 if keep(change, path)}
        if batch:
            yield batch


def _interrupt(*_: object) -> NoReturn:
    raise KeyboardInterrupt


def _warm_up(project: Project) -> None:
    """Lay out one handout in memory, so the first save after starting is as quick as the
    rest (WeasyPrint's first page loads fonts and fills caches)."""
    from handouts.write.pdf.writer import write_pdf
    for path in project.documents()[:1]:
        try:
            write_pdf(pipeline.render_document(path, project).page, [])
        except Exception:  # noqa: BLE001 - a broken handout is reported when it is built
            pass
