"""One handout on two cores (handouts/run/batch.py's Beside): the PDF is printed in a process
forked when the build starts, which loads WeasyPrint while this one renders the page. What
is proved here is behaviour, not speed (bench/benchmark.py measures that): answers and
failures come back as if the work ran here, nothing is left running or half-written, and
the outputs are the bytes a one-process build writes."""

import os
import time
from pathlib import Path

import pytest

from conftest import MINIMAL_FRONT_MATTER, new_project, run_build
from handouts.run import batch
from handouts.run import pipeline
from handouts.diagnostics import Diagnostic


def _children():
    """The processes this one has started that are still there (zombies included)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            found.append(int(stat.parent.name))
    return found


def _pid(*_):
    return os.getpid()


def _nothing():
    pass


def test_tasks_run_in_one_forked_process_and_answer_in_order():
    before = _children()
    with batch.Beside(lambda n: (n * 2, os.getpid()), _nothing) as beside:
        answers = []
        for n in (1, 2, 3):  # one handout's editions, one after another
            beside.send(n)
            answers.append(beside.result())
    assert [a for a, _ in answers] == [2, 4, 6]
    assert len({pid for _, pid in answers}) == 1 and answers[0][1] != os.getpid()
    assert _children() == before


def test_without_fork_the_task_runs_here_when_its_result_is_asked_for():
    ran = []
    with batch.Beside(lambda n: ran.append(n) or os.getpid(), _nothing, fork=False) as beside:
        beside.send(5)
        assert ran == []  # a release build writes nothing before its checks
        assert beside.result() == os.getpid() and ran == [5]


def _refuse(path):
    raise Diagnostic(path, "cannot be printed", "try again")


def test_a_failure_over_there_is_raised_here_as_it_was_raised():
    with batch.Beside(_refuse, _nothing) as beside:
        beside.send(Path("source/a.md"))
        with pytest.raises(Diagnostic) as raised:
            beside.result()
    assert "source/a.md" in str(raised.value) and "cannot be printed" in str(raised.value)


def _no_library():
    raise ImportError("no module named 'weasyprint'")


def test_a_failure_while_preparing_is_raised_for_the_task_sent():
    with batch.Beside(_pid, _no_library) as beside:
        beside.send()
        with pytest.raises(ImportError, match="weasyprint"):
            beside.result()


def _sleep():
    time.sleep(60)


def test_leaving_before_anything_was_sent_stops_the_process_at_once():
    """A handout with bad front matter: the process loading WeasyPrint beside it is
    stopped, not waited for."""
    before, began = _children(), time.monotonic()
    with pytest.raises(Diagnostic):
        with batch.Beside(_pid, _sleep) as beside:
            started = beside.child
            raise Diagnostic("source/a.md", "front matter lacks 'title'", "add one")
    assert time.monotonic() - began < 30, "waited for the minute-long preparation"
    assert started not in _children() and _children() == before


def test_a_page_larger_than_a_pipe_is_sent_while_the_other_process_still_prepares(tmp_path):
    """send() returns at once: the page goes over in a thread, so this process writes the
    Word file while WeasyPrint is still loading over there."""
    flag = tmp_path / "sent"

    def prepare():  # waits until this process has gone on past send()
        for _ in range(600):
            if flag.exists():
                return
            time.sleep(0.05)
        raise TimeoutError("send() did not return while the other process prepared")

    page = "x" * 5_000_000
    with batch.Beside(len, prepare) as beside:
        beside.send(page)
        flag.touch()
        assert beside.result() == len(page)


def test_one_handout_built_alone_matches_a_build_in_one_process(tmp_path):
    """build.py with one handout prints its PDF beside; the three files are the same bytes
    as those of a build without the forked process (the workers of a many-handout run)."""
    text = MINIMAL_FRONT_MATTER + "\n## Intro\n\nSome text [@schwartzman2009].\n"
    forked = new_project(tmp_path / "forked", {"source/a.md": text})
    here = new_project(tmp_path / "here", {"source/a.md": text})
    assert run_build(forked.root, "source/a.md").returncode == 0
    pipeline.build_handout(here.source_dir / "a.md", here, side_by_side=False)
    for fmt, path in forked.outputs("a").items():
        assert path.read_bytes() == here.outputs("a")[fmt].read_bytes(), fmt


def test_a_pdf_that_fails_beside_leaves_the_last_good_outputs_and_nothing_else(
        tmp_path, monkeypatch):
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER + "\nFirst.\n"})
    pipeline.build_handout(project.source_dir / "a.md", project, side_by_side=True)
    good = {fmt: path.read_bytes() for fmt, path in project.outputs("a").items()}
    (project.source_dir / "a.md").write_text(MINIMAL_FRONT_MATTER + "\nSecond.\n")
    from handouts.write.pdf import writer as pdf_writer
    monkeypatch.setattr(pdf_writer, "write_pdf", lambda page, refused: _refuse("a.md"))
    before = _children()
    with pytest.raises(Diagnostic, match="cannot be printed"):
        pipeline.build_handout(project.source_dir / "a.md", project, side_by_side=True)
    assert {fmt: path.read_bytes() for fmt, path in project.outputs("a").items()} == good
    assert sorted(p.name for p in project.output_dir.iterdir()) == [
        "a.docx", "a.html", "a.pdf", "reports"]
    assert _children() == before


def test_a_word_file_that_fails_here_waits_for_the_pdf_and_leaves_nothing(
        tmp_path, monkeypatch):
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER + "\nText.\n"})
    monkeypatch.setattr(pipeline, "_word_file", lambda rendered: _refuse("a.md"))
    before = _children()
    with pytest.raises(Diagnostic, match="cannot be printed"):
        pipeline.build_handout(project.source_dir / "a.md", project, side_by_side=True)
    assert not project.output_dir.exists() or not any(project.output_dir.iterdir())
    assert _children() == before


def test_an_interrupted_process_beside_ends_there_and_never_runs_this_ones_code(tmp_path):
    """Ctrl-C reaches both processes; the forked one must stop, not unwind into the code
    that made it (which would go on building, or print the error twice)."""
    import signal
    marker = tmp_path / "after"
    try:
        with batch.Beside(_pid, _nothing) as beside:
            time.sleep(0.5)
            os.kill(beside.child, signal.SIGINT)  # while it waits for a task
            time.sleep(0.5)
            beside.send()
            with pytest.raises(RuntimeError, match="stopped without a result"):
                beside.result()
    finally:
        if os.getpid() != _PARENT:  # only the forked process could get here
            marker.write_text("ran")
            os._exit(0)
    assert not marker.exists()


_PARENT = os.getpid()


@pytest.mark.parametrize("handouts", [1, 3])
def test_a_build_leaves_no_folder_of_fonts_behind(tmp_path, handouts):
    """Each process that prints registers the fonts once, in a folder of its own; the
    folder goes when the process ends: the one printing beside a single build, and each
    worker of a many-handout build (two here, whatever this machine has)."""
    import subprocess
    import sys
    from conftest import ROOT
    project = new_project(tmp_path / "project", {
        f"source/h{n}.md": MINIMAL_FRONT_MATTER + f"\nText {n}.\n" for n in range(handouts)})
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    probe = ("import os, sys, build\n"
             "os.sched_getaffinity = lambda pid: {0, 1}\n"
             "sys.exit(build.main(sys.argv[1:]))")
    result = subprocess.run([sys.executable, "-c", probe, "--root", str(project.root)],
                            capture_output=True, text=True, cwd=ROOT, timeout=300,
                            env={**os.environ, "TMPDIR": str(temporary)})
    assert result.returncode == 0, result.stderr
    assert all(project.outputs(f"h{n}")["pdf"].is_file() for n in range(handouts))
    assert list(temporary.iterdir()) == []


def _unloadable(a, b):  # an exception whose pickle cannot be loaded again
    class Unloadable(Exception):
        def __init__(self, first, second):
            super().__init__(f"{first} and {second}")
    raise Unloadable(a, b)


def test_what_cannot_travel_between_the_processes_fails_with_its_reason():
    with batch.Beside(_pid, _nothing) as beside:
        with pytest.raises(Exception, match="pickle"):
            beside.send(lambda: None)  # fails here, at once, rather than hanging
    with batch.Beside(_unloadable, _nothing) as beside:
        beside.send(1, 2)
        with pytest.raises(RuntimeError, match="Unloadable"):
            beside.result()


def test_a_process_forked_after_printing_registers_new_fonts_for_itself(tmp_path):
    """make watch: the warm process has printed, and each save prints in a process forked
    from it. Fonts a forked process adds go to a folder of its own: in the parent's, the
    next forked process found the file written, skipped registering it, and printed the
    Greek letters in another font."""
    import pypdf
    from handouts.write.pdf import writer as pdf_writer
    greek = "---\ntitle: TNF-α and β blockers\nlang: en-US\nversion: \"1\"\n" \
            "date: 2026-01-15\nreview_due: 2027-01-15\n---\n\n## Signals\n\nTNF-α and β.\n"
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER + "\nPlain.\n",
                                     "source/b.md": greek})
    pdf_writer.write_pdf(pipeline.render_document(project.source_dir / "a.md", project).page,
                         [])  # this process has printed, as watch's warm-up does
    parents = pdf_writer._fonts()._folder
    registered = sorted(os.listdir(parents)) if parents else []
    for _ in range(2):
        pipeline.build_handout(project.source_dir / "b.md", project, side_by_side=True)
        reader = pypdf.PdfReader(str(project.outputs("b")["pdf"]))
        fonts = {str(f.get_object()["/BaseFont"]).split("+")[-1] for page in reader.pages
                 for f in (page["/Resources"].get("/Font") or {}).values()}
        assert any(name.startswith("Noto-Sans") for name in fonts), fonts
    assert pdf_writer._fonts()._folder == parents  # this process's own, untouched
    assert (sorted(os.listdir(parents)) if parents else []) == registered


def test_ctrl_c_says_what_happened_in_one_line(tmp_path):
    import signal
    import subprocess
    import sys
    from conftest import ROOT
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER + "\nText.\n"})
    probe = ("import os, runpy, signal, sys\n"
             "from handouts.run import pipeline\n"
             "def interrupted(*args):\n"
             "    os.kill(os.getpid(), signal.SIGINT)\n"
             "pipeline.render_edition = interrupted\n"
             "sys.argv = ['build.py', '--root', sys.argv[1]]\n"
             "runpy.run_path('build.py', run_name='__main__')\n")
    result = subprocess.run([sys.executable, "-c", probe, str(project.root)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 130 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("interrupted;")


def test_a_staged_file_is_removed_when_the_next_cannot_be_written(tmp_path, monkeypatch):
    """The disk fills while the Word file is staged: the web page staged before it goes
    too, and the error names output/."""
    import errno
    import tempfile
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER + "\nText.\n"})
    real = tempfile.mkstemp

    def filling(*args, **kwargs):
        if kwargs.get("prefix", "").startswith(".a.docx."):  # after the web page's
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)
    monkeypatch.setattr(pipeline.tempfile, "mkstemp", filling)
    with pytest.raises(Diagnostic, match="cannot be written"):
        pipeline.build_handout(project.source_dir / "a.md", project)
    assert [p.name for p in project.output_dir.iterdir()] == []


def test_a_line_break_in_the_running_title_stays_words_in_the_header(tmp_path):
    """short_title goes into the page's own CSS as a string; a line break would end the
    string and let the rest be read as style rules."""
    import pypdf
    text = MINIMAL_FRONT_MATTER.replace(
        "title: A Test Handout\n",
        'title: A Test Handout\nshort_title: "Pain care\\n} @page { size: 50mm 50mm } x {"\n')
    body = "\n## One\n\n" + "A sentence of text for a second page. " * 300 + "\n"
    project = new_project(tmp_path, {"source/a.md": text + body})
    pipeline.build_handout(project.source_dir / "a.md", project)
    reader = pypdf.PdfReader(str(project.outputs("a")["pdf"]))
    assert round(float(reader.pages[0].mediabox.width)) > 500  # Letter, not 50 mm
    assert "Pain care } @page { size: 50mm 50mm } x {" in reader.pages[1].extract_text()


# A build that stops where a kill finds it: pipeline.STOP_IN ('_printed': the PDF printed
# beside a single build, after printing; 'render_edition': each worker of a many-handout
# build) writes its process id into the folder MARKERS and sleeps.
_STOPPING_BUILD = """\
import os, sys, time
from pathlib import Path
from handouts.run import pipeline
stop_in, markers = sys.argv[1], Path(sys.argv[2])
real = getattr(pipeline, stop_in)
def stopped(*args):
    if stop_in == "_printed":
        real(*args)  # printed: its fonts are registered in a folder of its own
    (markers / str(os.getpid())).touch()
    time.sleep(120)
setattr(pipeline, stop_in, stopped)
os.sched_getaffinity = lambda pid: {0, 1}
import build
sys.exit(build.main(sys.argv[3:]))
"""


def _alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start_stopping_build(tmp_path, project, stop_in, expected, env=None):
    """The build started, and the process ids of the processes it forked once all
    `expected` of them are stopped where asked."""
    import subprocess
    import sys
    from conftest import ROOT
    markers = tmp_path / "markers"
    markers.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-c", _STOPPING_BUILD, stop_in, str(markers), "--root",
         str(project.root)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True, env=env)
    deadline = time.monotonic() + 120
    while len(list(markers.iterdir())) < expected and process.poll() is None:
        assert time.monotonic() < deadline, "the build never got where it was to stop"
        time.sleep(0.05)
    assert process.poll() is None, process.stderr.read().decode()
    return process, [int(p.name) for p in markers.iterdir()]


def _kill_all(process, pids):
    import signal
    for pid in [process.pid, *pids]:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=30)
    process.stderr.close()


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
@pytest.mark.parametrize("handouts, stop_in", [(1, "_printed"), (2, "render_edition")])
def test_the_processes_a_build_forked_end_when_it_is_killed(tmp_path, sig, handouts, stop_in):
    """Killing build.py used to leave the process printing beside it (or its workers)
    running: one ran twelve minutes at full speed. They end with it."""
    import signal
    project = new_project(tmp_path / "project", {
        f"source/h{n}.md": MINIMAL_FRONT_MATTER + f"\nText {n}.\n" for n in range(handouts)})
    process, forked = _start_stopping_build(tmp_path, project, stop_in, handouts)
    try:
        assert process.pid not in forked
        os.kill(process.pid, getattr(signal, sig))
        process.wait(timeout=30)
        deadline = time.monotonic() + 15
        while any(map(_alive, forked)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(map(_alive, forked)), f"still running after {sig} to the build"
    finally:
        _kill_all(process, forked)


def test_a_killed_build_leaves_nothing_the_next_build_does_not_clean(tmp_path):
    """kill -9 to a build and the process printing beside it: the staged outputs and the
    folder of fonts stay behind; the next build removes them, and leaves alone what a
    build still running has staged."""
    import signal
    import subprocess
    import sys
    from conftest import run_build_process
    project = new_project(tmp_path / "project", {"source/a.md": MINIMAL_FRONT_MATTER + "\nA.\n"})
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary)}
    process, forked = _start_stopping_build(tmp_path, project, "_printed", 1, env)
    try:  # the web page and the Word file are staged, waiting for the PDF
        deadline = time.monotonic() + 60
        while len(list(project.output_dir.glob(".a.*"))) < 2:
            assert time.monotonic() < deadline, "the build never staged its outputs"
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        _kill_all(process, forked)
    assert list(temporary.iterdir()), "the killed process had registered its fonts"
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:  # what a build running at the same time has staged stays
        theirs = project.output_dir / f".a.pdf.{running.pid}.abcd1234"
        theirs.write_bytes(b"being written")
        result = run_build_process(project.root, env=env)
        assert result.returncode == 0, result.stderr
        assert theirs.exists()
    finally:
        running.kill()
        running.wait()
    theirs.unlink()
    assert sorted(p.name for p in project.output_dir.iterdir()) == [
        "a.docx", "a.html", "a.pdf", "index.html", "report.json", "reports"]
    assert [p.name for p in project.reports_dir.iterdir() if p.name.startswith(".")
            and p.name != ".built"] == []
    assert list(temporary.iterdir()) == []
