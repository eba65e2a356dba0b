"""Watch mode (make watch): one warm process rebuilds a handout as soon as its source, a
bibliography, a picture or the styles change, and serves output/ on this computer as a
live preview. After each build the open page reloads itself; a build that fails shows its
errors on the page (and in the terminal) over the last good version, which stays."""

from __future__ import annotations

import functools
import http.server
import json
import signal
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NoReturn

import watchfiles

from handouts.run import pipeline

EVENTS = "/__events"
# Added to the page as served, never to the file: waits for the next build, then reloads,
# or shows what stopped it.
LIVE_SCRIPT = """<script>
new EventSource("%s").onmessage = (event) => {
  const build = JSON.parse(event.data);
  if (!build.errors.length) { location.reload(); return; }
  let box = document.getElementById("build-errors");
  if (!box) {
    box = document.createElement("div");
    box.id = "build-errors"; box.setAttribute("role", "alert");
    box.style.cssText = "position:fixed;top:0;left:0;right:0;z-index:9;padding:1em;" +
      "background:#fff;color:#8B0000;border-bottom:4px solid #8B0000;white-space:pre-wrap;" +
      "font:14px/1.4 monospace;max-height:50vh;overflow:auto";
    document.body.prepend(box);
  }
  box.textContent = "The last build failed; this is the last good version.\\n\\n" +
    build.errors.join("\\n");
};
</script>""" % EVENTS


class Builds:
    """The latest build's number and errors, for the preview pages waiting on it."""

    def __init__(self) -> None:
        self.number = 0
        self.errors: list[str] = []
        self.changed = threading.Condition()

    def finished(self, errors: list[str]) -> None:
        with self.changed:
            self.number, self.errors = self.number + 1, errors
            self.changed.notify_all()

    def wait_after(self, number: int, timeout: float) -> tuple[int, list[str]]:
        with self.changed:
            self.changed.wait_for(lambda: self.number != number, timeout)
            return self.number, self.errors


class _Preview(http.server.SimpleHTTPRequestHandler):
    builds: Builds | None = None  # set per server

    def do_GET(self) -> None:
        if self.path == EVENTS:
            return self._events()
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix != ".html" or not path.is_file():
            return super().do_GET()
        page = path.read_bytes().replace(b"</body>", LIVE_SCRIPT.encode() + b"</body>", 1)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(page)

    def _events(self) -> None:
        builds = self.builds
        assert builds is not None  # set by serve()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        number = builds.number
        try:
            while True:
                latest, errors = builds.wait_after(number, timeout=15)
                if latest == number:
                    self.wfile.write(b": still here\n\n")  # keeps the connection open
                else:
                    number = latest
                    self.wfile.write(f"data: {json.dumps({'errors': errors})}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page was closed or reloaded

    def log_message(self, *args: object) -> None:
        pass  # the terminal is for builds


def serve(project: pipeline.Project, builds: Builds, port: int) -> str:
    """The preview server, in a background thread; returns its address."""
    handler = functools.partial(type("Preview", (_Preview,), {"builds": builds}),
                                directory=str(project.output_dir))
    project.output_dir.mkdir(exist_ok=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/"


def affected(changes: Iterable[tuple[object, str]], project: pipeline.Project) -> list[Path]:
    """The handouts a set of file changes calls for: a handout's own source, or every
    handout when something they share changed (a bibliography, a picture, the styles)."""
    documents = project.documents()
    changed = {Path(path) for _, path in changes}
    if any(path.suffix != ".md" or path.parent != project.source_dir for path in changed):
        return documents
    return [path for path in documents if path in changed]


def watch(project: pipeline.Project,
          build_one: Callable[[Path], tuple[bool, list[str], list[str]]],
          port: int = 8000, report: Callable[[str], object] = print) -> None:
    """Serve the preview and rebuild on every change until interrupted. build_one(path)
    builds a handout and returns (failed, stdout lines, stderr lines). Stopped by SIGTERM
    (a service manager, a closing terminal) it ends as after Ctrl+C, tidying up."""
    signal.signal(signal.SIGTERM, _interrupt)
    pipeline.preload()
    _warm_up(project)
    builds = Builds()
    address = serve(project, builds, port)
    report(f"watching {project.source_dir} and {project.styles_dir}; preview at {address} "
           "(Ctrl+C to stop)")
    for changes in watchfiles.watch(project.source_dir, project.styles_dir, step=20,
                                    debounce=400):
        errors: list[str] = []
        for path in affected(changes, project):
            failed, out, err = build_one(path)
            for line in out + err:
                report(line)
            errors += err if failed else []
        builds.finished(errors)


def _interrupt(*_: object) -> NoReturn:
    raise KeyboardInterrupt


def _warm_up(project: pipeline.Project) -> None:
    """Lay out one handout in memory, so the first save after starting is as quick as the
    rest (WeasyPrint's first page loads fonts and fills caches)."""
    from handouts.write.pdf.writer import write_pdf
    for path in project.documents()[:1]:
        try:
            write_pdf(pipeline.render_document(path, project).page, [])
        except Exception:  # noqa: BLE001 - a broken handout is reported when it is built
            pass
