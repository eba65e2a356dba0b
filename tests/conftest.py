"""Shared fixtures: build handouts in throwaway project folders, never in the real output/."""

import contextlib
import io
import logging
import os
import re
import shutil
import subprocess
import sys
import textwrap
import traceback
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handouts.read import editions  # noqa: E402
from handouts.read.front_matter import load  # noqa: E402
from handouts.run.project import Project  # noqa: E402


def _real_editions():
    """(source file, edition) for every edition of every real handout in source/ (edition
    None for a handout without editions): each is a document with outputs of its own."""
    found = []
    for path in sorted((ROOT / "source").glob("*.md")):
        found += [(path, e) for e in load(path).meta.editions or [None]]
    return found


EDITIONS = _real_editions()


def load_edition(source_dir, item):
    """The loaded document of one of EDITIONS, from the copy in source_dir; its .name is
    its outputs' name."""
    path, edition = item
    return editions.select(load(Path(source_dir) / path.name), edition)


def edition_id(item):
    path, edition = item
    return f"{path.stem}-{edition}" if edition else path.stem


OUTPUT_NAMES = [edition_id(item) for item in EDITIONS]

MINIMAL_FRONT_MATTER = """\
---
title: A Test Handout
lang: en-US
version: "1.0"
date: 2026-01-15
review_due: 2027-01-15
bibliography: references.bib
---
"""

# The warning filters of a Python started without -W (`python -c "import warnings;
# print(warnings.filters)"`), in order: what a person running build.py would be shown.
NEW_PROCESS_WARNING_FILTERS = [("default", DeprecationWarning, "__main__"),
                               ("ignore", DeprecationWarning, ""),
                               ("ignore", PendingDeprecationWarning, ""),
                               ("ignore", ImportWarning, ""),
                               ("ignore", ResourceWarning, "")]


def run_build(root, *args):
    """Run build.py's main() in this process on the project at root, as the clinic staff run
    `python build.py ARGS`, and return what that process would: its exit status and what it
    printed. Saves starting Python and importing WeasyPrint (about a second) per build.

    What a fresh process would show, this shows too: Python warnings under the interpreter's
    default filters and log records of WARNING and above (Python's last-resort handler) go
    to the captured stderr, and an exception that escapes main() becomes a traceback there
    and exit status 1. Tests about the process itself use run_build_process."""
    import build  # build.py at ROOT, first on sys.path
    assert Path(build.__file__).resolve() == ROOT / "build.py", build.__file__
    argv = [*map(str, args), "--root", str(root)]
    stdout, stderr = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(stderr)
    handler.setLevel(logging.WARNING)
    logging.getLogger().addHandler(handler)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr), \
                warnings.catch_warnings():
            warnings.resetwarnings()
            for action, category, module in NEW_PROCESS_WARNING_FILTERS:
                warnings.filterwarnings(action, category=category, module=module, append=True)
            warnings.showwarning = _warning_to(stderr)
            try:
                returncode = build.main(argv)
            except SystemExit as exc:  # argparse, on arguments it cannot read
                returncode = _exit_status(exc, stderr)
            except Exception:  # noqa: BLE001 - what the interpreter would print
                traceback.print_exc(file=stderr)
                returncode = 1
    finally:
        logging.getLogger().removeHandler(handler)
    return subprocess.CompletedProcess(["build.py", *argv], returncode, stdout.getvalue(),
                                       stderr.getvalue())


def _warning_to(stream):
    def show(message, category, filename, lineno, file=None, line=None):
        stream.write(warnings.formatwarning(message, category, filename, lineno, line))
    return show


def _exit_status(exc, stderr):
    if exc.code is None or isinstance(exc.code, int):
        return exc.code or 0
    print(exc.code, file=stderr)
    return 1


def run_build_process(root, *args, **options):
    """Run build.py in a new Python process, for tests of the process itself: its exit
    status and output as the command line sees them, tracebacks, builds running at once."""
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *map(str, args),
                           "--root", str(root)],
                          capture_output=True, text=True, timeout=300, **options)


def new_project(tmp_path, files=None, with_real_sources=False):
    """A project folder with the real styles/ and, optionally, the real source/ handouts;
    files maps paths like 'source/x.md' to their text (dedented) or bytes."""
    root = Path(tmp_path)
    shutil.copytree(ROOT / "styles", root / "styles")
    if with_real_sources:
        shutil.copytree(ROOT / "source", root / "source")
    else:
        (root / "source").mkdir()
        shutil.copy(ROOT / "source" / "references.bib", root / "source" / "references.bib")
    for name, content in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return Project(root)


def replace_organisation(project, organisation):
    """The project's theme with its 'organisation:' block (the last one) replaced by the
    given YAML text, e.g. a clinic's real details, so that a release has no contact warning."""
    theme = project.styles_dir / "theme.yaml"
    lines = theme.read_text().split("\n")
    keep = lines[:next(n for n, line in enumerate(lines) if line.startswith("organisation:"))]
    theme.write_text("\n".join(keep) + "\n" + organisation)


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Every real handout of source/, built once for the whole session."""
    project = new_project(tmp_path_factory.mktemp("built"), with_real_sources=True)
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    return project


# -- Chromium, for what a page looks like at a phone's width ----------------------------------

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))


def chromium_problem():
    """Why Chromium cannot measure a page here, or None. An installed Chromium may still not
    start (a library missing); CI, which requires the browser checks, fails instead."""
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is absent (apt-get install chromium)"
    started = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True,
                             timeout=60)
    if started.returncode != 0 and not os.environ.get("HANDOUTS_REQUIRE_AXE"):
        return f"{CHROMIUM} does not start: {started.stderr.strip()[-200:]}"
    return None


def posted_in_frame(html_file, width, script):
    """What a script added to a copy of the page posts to its parent, the page shown in an
    iframe `width` px wide (headless Chromium's window is at least 500 px); the frame puts
    it in its title for --dump-dom."""
    probe = html_file.with_name(f"probe-{width}.html")
    probe.write_text(html_file.read_text(encoding="utf-8").replace("</body>", script),
                     encoding="utf-8")
    frame = html_file.with_name(f"frame-{width}.html")
    frame.write_text(
        "<!DOCTYPE html><html><head><title>waiting</title></head><body style='margin:0'>"
        "<script>addEventListener('message', e => { document.title = 'M' + e.data; });"
        f"</script><iframe src='{probe.name}' style='width:{width}px;height:900px;border:0'>"
        "</iframe></body></html>", encoding="utf-8")
    result = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
         "--virtual-time-budget=5000", frame.as_uri()],
        capture_output=True, text=True, timeout=120)
    found = re.search(r"<title>M(.*?)</title>", result.stdout, re.S)
    assert found, result.stdout[-500:] + result.stderr[-500:]
    probe.unlink()
    frame.unlink()
    return found.group(1)


# -- LibreOffice, to print the Word files for the page checker ---------------------------------

def print_word_files(files, out, profile):
    """{stem: the PDF LibreOffice prints of each Word file}, all in one soffice call; skips
    where LibreOffice is absent, unless CI requires it (HANDOUTS_REQUIRE_LIBREOFFICE=1)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("HANDOUTS_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("LibreOffice is required (HANDOUTS_REQUIRE_LIBREOFFICE=1) but "
                        "soffice is not installed: apt-get install libreoffice-writer")
        pytest.skip("LibreOffice (soffice) is not installed, so the Word files' pages cannot "
                    "be printed to be checked: apt-get install libreoffice-writer")
    subprocess.run([soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(out), *map(str, files)],
                   check=True, capture_output=True, timeout=600)
    made = {Path(f).stem: Path(out) / f"{Path(f).stem}.pdf" for f in files}
    assert all(path.exists() for path in made.values()), sorted(os.listdir(out))
    return made


# -- every PDF a test builds, through the page checker -----------------------------------------

@pytest.fixture(autouse=True)
def _pages_checked(request):
    """After each test, every PDF the build wrote into the test's own folder
    (output/*.pdf under tmp_path) passes the page checker (handouts/check/pages.py): no
    stranded heading, no hole, nothing off the page, the footer on one line. A test whose
    PDFs break a rule on purpose says so: @pytest.mark.page_defects("why"). Booklets are
    checked by test_booklet, page by page before they are imposed."""
    if "tmp_path" not in request.fixturenames or \
            request.node.get_closest_marker("page_defects") is not None:
        yield
        return
    folder = request.getfixturevalue("tmp_path")  # now, so that it is kept until after
    yield
    from handouts.check import pages
    from handouts.style.theme import load_theme
    found = []
    for pdf in sorted(folder.rglob("output/*.pdf")):
        if pdf.stem.endswith("-booklet"):
            continue
        try:
            margins = pages.margins_of(load_theme(pdf.parent.parent / "styles" / "theme.yaml"))
        except Exception:  # a theme a test broke on purpose: its outputs are the last good
            continue
        found += [f"{pdf.name}: {finding}" for finding in pages.check(pdf, margins)]
    assert not found, "the page checker:\n" + "\n".join(found)
