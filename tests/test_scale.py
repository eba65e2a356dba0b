"""Speed and scale, proved by structure, not by timing (the machines are shared and noisy;
bench/benchmark.py measures time against Pandoc): what each kind of run loads, how many
processes a full build starts, what a rebuild reuses."""

import json
import subprocess
import sys

import pytest

from conftest import MINIMAL_FRONT_MATTER, ROOT, new_project

HEAVY = ("weasyprint", "docx", "markdown", "citeproc", "textstat", "pypdfium2", "fontTools")


def _modules_after(project, *args):
    """The modules a build.py run loaded, and its exit status and error output."""
    probe = ("import json, sys, build\n"
             "try:\n    status = build.main(sys.argv[1:])\n"
             "except SystemExit as exc:\n    status = exc.code\n"
             "print(json.dumps([status, sorted(sys.modules)]))")
    result = subprocess.run([sys.executable, "-c", probe, "--root", str(project.root), *args],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    status, modules = json.loads(result.stdout.strip().splitlines()[-1])
    return status, {name.split(".")[0] for name in modules}, result.stderr


def test_bad_front_matter_is_reported_before_any_heavy_library_loads(tmp_path):
    project = new_project(tmp_path, {"source/bad.md": "---\nlang: en\npaper: tabloid\n---\n"
                                                      "\nText.\n"})
    status, modules, stderr = _modules_after(project, "source/bad.md")
    assert status == 1
    assert "unknown paper size 'tabloid'" in stderr
    assert not modules & set(HEAVY), modules & set(HEAVY)


def test_a_web_page_only_build_never_loads_the_pdf_or_word_writers(tmp_path):
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER + "\nSome text.\n"})
    status, modules, stderr = _modules_after(project, "--html", "source/a.md")
    assert status == 0, stderr
    assert "weasyprint" not in modules and "docx" not in modules
    assert project.outputs("a")["html"].is_file()
    assert not project.outputs("a")["pdf"].exists() and not project.outputs("a")["docx"].exists()
    assert "Some text." in project.outputs("a")["html"].read_text(encoding="utf-8")


def test_many_handouts_load_the_libraries_once_then_build_on_every_core(tmp_path):
    """One run for many handouts: WeasyPrint and the rest load in the first process, then
    forked workers (one per core, at least two here) build the handouts side by side."""
    project = new_project(tmp_path, {f"source/h{n}.md": MINIMAL_FRONT_MATTER + f"\nText {n}.\n"
                                     for n in range(4)})
    log = tmp_path / "pids"
    probe = ("import os, sys, build\n"
             "from handouts.run import batch, pipeline\n"
             "build_edition = pipeline.build_edition\n"
             "def logged(*args, **kwargs):\n"
             f"    with open({str(log)!r}, 'a') as out: out.write(f'{{os.getpid()}}\\n')\n"
             "    return build_edition(*args, **kwargs)\n"
             "pipeline.build_edition = logged\n"
             "os.sched_getaffinity = lambda pid: {0, 1}  # two cores, whatever this machine has\n"
             "status = build.main(sys.argv[1:])\n"
             "print(os.getpid(), status, 'weasyprint' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe, "--root", str(project.root)],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    parent, status, loaded = result.stdout.split()[-3:]
    assert status == "0", result.stderr
    assert loaded == "True", "the libraries load before the workers are forked"
    builders = log.read_text().split()
    assert len(builders) == 4 and parent not in builders and len(set(builders)) == 2
    assert all(project.outputs(f"h{n}")[fmt].is_file() for n in range(4)
               for fmt in ("html", "pdf", "docx"))


def test_a_phone_photo_is_scaled_once_to_what_each_page_needs(tmp_path):
    """A 4032 x 3024 photo, taken turned (EXIF orientation 6): the web page gets a screen's
    size, the PDF and Word file about 300 dpi across the column, both upright; the copies
    are kept by content hash and reused by the next build."""
    import base64
    import io
    import lxml.html
    import pypdf
    from PIL import Image
    from conftest import run_build
    photo = Image.linear_gradient("L").resize((4032, 3024)).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: show it rotated 90 degrees clockwise
    data = io.BytesIO()
    photo.save(data, "JPEG", quality=90, exif=exif)
    project = new_project(tmp_path, {"source/p.jpg": data.getvalue(), "source/a.md":
                                     MINIMAL_FRONT_MATTER + "\n![Our waiting room](p.jpg)\n"})
    assert run_build(project.root, "source/a.md").returncode == 0
    page = lxml.html.parse(str(project.outputs("a")["html"])).getroot()
    shown = Image.open(io.BytesIO(base64.b64decode(
        next(page.iter("img")).get("src").split(",", 1)[1])))
    assert shown.size == (1200, 1600)  # upright, twice a 36em column on screen
    printed = [image.image for p in pypdf.PdfReader(str(project.outputs("a")["pdf"])).pages
               for image in p.images]
    assert {im.size for im in printed} == {(1512, 2016)}  # about 300 dpi across 6.3 in
    word = [n for n in __import__("zipfile").ZipFile(project.outputs("a")["docx"]).namelist()
            if n.startswith("word/media/")]
    assert len(word) == 1
    cached = sorted((project.root / ".cache" / "pictures").iterdir())
    assert [p.name.rsplit("-", 1)[1] for p in cached] == ["print.url", "screen.url"]
    stamps = [p.stat().st_mtime_ns for p in cached]
    assert run_build(project.root, "source/a.md").returncode == 0
    assert [p.stat().st_mtime_ns for p in cached] == stamps  # reused, not made again
    # WeasyPrint gets the print copy by address, not inside a page it must parse.
    from handouts.run.pipeline import render_document
    page = render_document(project.source_dir / "a.md", project).page
    assert 'src="picture:0"' in page.print_html and "image/jpeg" not in page.print_html
    assert page.pictures["picture:0"].startswith("data:image/jpeg;base64,")


def test_the_typeface_cut_to_a_pages_characters_is_kept_and_reused_by_the_next_process(
        tmp_path):
    """Cutting the typeface down to the page's characters took a fifth of a second a build;
    the cut is kept in .cache/fonts/ by the font's and the characters' hash, so the next
    build (in a new process) reads it, and a new character makes a new cut."""
    import base64
    import re
    from conftest import run_build_process
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER + "\nSome text.\n"})
    assert run_build_process(project.root, "source/a.md").returncode == 0
    cuts = project.root / ".cache" / "fonts"
    kept = {p: p.stat().st_mtime_ns for p in cuts.iterdir()}
    first = {fmt: p.read_bytes() for fmt, p in project.outputs("a").items()}
    faces = re.findall(r"data:font/woff;base64,([A-Za-z0-9+/=]+)", first["html"].decode())
    assert {base64.b64decode(f) for f in faces} == {p.read_bytes() for p in kept}
    assert run_build_process(project.root, "source/a.md").returncode == 0
    assert {p: p.stat().st_mtime_ns for p in cuts.iterdir()} == kept  # read, not cut again
    assert {fmt: p.read_bytes() for fmt, p in project.outputs("a").items()} == first
    for path in kept:  # without the cache: cut again, the same bytes
        path.unlink()
    assert run_build_process(project.root, "source/a.md").returncode == 0
    assert {fmt: p.read_bytes() for fmt, p in project.outputs("a").items()} == first
    (project.source_dir / "a.md").write_text(MINIMAL_FRONT_MATTER + "\nSome text, ½.\n")
    assert run_build_process(project.root, "source/a.md").returncode == 0
    assert len(list(cuts.iterdir())) == 2 * len(kept)  # the same faces, one more character


def test_a_damaged_cut_in_the_cache_is_cut_again(tmp_path):
    from conftest import run_build_process
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER + "\nSome text.\n"})
    assert run_build_process(project.root, "source/a.md").returncode == 0
    first = project.outputs("a")["html"].read_bytes()
    cuts = list((project.root / ".cache" / "fonts").iterdir())
    for path in cuts:
        path.write_bytes(b"")  # a disk that filled, a copy cut short
    assert run_build_process(project.root, "source/a.md").returncode == 0
    assert project.outputs("a")["html"].read_bytes() == first
    assert all(path.read_bytes().startswith(b"wOFF") for path in cuts)


# --- cost that grows with the input, not faster (bench/scaling.py measures the time) -----

def _counting(monkeypatch, owner, name):
    """Count the uses of owner.name (a property or a function) while the test runs."""
    calls = []
    original = owner.__dict__[name]
    if isinstance(original, property):
        def counted(self):
            calls.append(1)
            return original.fget(self)
        monkeypatch.setattr(owner, name, property(counted))
    else:
        def counted(*args, **kwargs):
            calls.append(1)
            return original(*args, **kwargs)
        monkeypatch.setattr(owner, name, counted)
    return calls


def test_a_long_table_is_written_and_verified_without_walking_it_once_per_cell(
        tmp_path, monkeypatch):
    """python-docx's table.cell(r, c) lays out the whole table on each call (Table._cells):
    a 1,000-row table took 190 s, in the Word writer and again in the verifier. Both read
    the grid once; every cell still lands in its row and column, spans merged."""
    import docx
    from docx.oxml.ns import qn
    from conftest import run_build
    from handouts.check import docx as word_reader
    rows = 120
    body = "".join(f"<tr><td>Day {n}</td><td>{n} mg</td><td>Note {n}</td></tr>\n"
                   for n in range(rows))
    table = ("<table>\n<tr><th>Day</th><th colspan=\"2\">Dose and note</th></tr>\n"
             "<tr><td rowspan=\"2\">Week one</td><td>Start</td><td>Low</td></tr>\n"
             "<tr><td>Then</td><td>Higher</td></tr>\n" + body + "</table>\n")
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER + "\n" + table})
    layouts = _counting(monkeypatch, docx.table.Table, "_cells")
    read_back = []
    reader = word_reader.read
    monkeypatch.setattr(word_reader, "read",
                        lambda *a, **k: read_back.append(reader(*a, **k)) or read_back[-1])
    result = run_build(project.root, "source/a.md")
    assert result.returncode == 0, result.stderr
    assert layouts == []
    grid = read_back[0].tables[0]  # what the verifier compared with the page
    assert len(grid) == (rows + 3) * 3
    assert [grid[0, c] for c in range(3)] == ["Day", "Dose and note", "Dose and note"]
    assert [grid[r, 0] for r in (1, 2)] == ["Week one", "Week one"]
    assert [grid[rows + 2, c] for c in range(3)] == [f"Day {rows - 1}", f"{rows - 1} mg",
                                                      f"Note {rows - 1}"]
    word = docx.Document(str(project.outputs("a")["docx"]))
    trs = word.tables[0]._tbl.tr_lst
    assert len(trs) == rows + 3
    assert ["".join(t.text for t in tc.iter(qn("w:t"))) for tc in trs[-1].tc_lst] == [
        f"Day {rows - 1}", f"{rows - 1} mg", f"Note {rows - 1}"]


def _lines_run(function, *args, watched=None):
    """How many lines of the watched files (by default Python-Markdown's inline patterns and
    our replacement for its bracket search) run for function(*args): a count of steps that
    does not depend on the machine's speed."""
    import markdown.inlinepatterns
    watched = watched or {markdown.inlinepatterns.__file__,
                          str(ROOT / "handouts" / "read" / "markdown_links.py")}
    count = [0]

    def trace(frame, event, arg):
        if frame.f_code.co_filename not in watched:
            return None
        count[0] += 1
        return trace
    sys.settrace(trace)
    try:
        function(*args)
    finally:
        sys.settrace(None)
    return count[0]


@pytest.mark.parametrize("run", ["[", "![", "[ ", "[a](", "[a](b "])
def test_a_run_of_unclosed_brackets_costs_steps_in_proportion_to_its_length(run):
    """Python-Markdown looked for each '[''s closing ']' by walking the rest of the
    paragraph: 50,000 '[' took 259 s, 20,000 '![' 83 s; and for each '[a](' the ')' of its
    address, 20,000 in 190 s. Four times the brackets must cost
    about four times the steps, not sixteen."""
    import markdown
    import handouts.read.markdown  # noqa: F401 - the Markdown reading set up as a build has it

    def convert(n):
        markdown.markdown("Text " + run * n + " end.", extensions=["footnotes", "smarty"])
    assert _lines_run(convert, 1600) < 5 * _lines_run(convert, 400)


def test_the_bracket_search_answers_as_python_markdowns_own():
    """Same text, same index after the ']' and the same verdict, for every '[' of random
    bracket soup, asked in any order (the text is not wanted when no ']' closes it); the
    same address, title, index and verdict for every '(' (quotes, <...> and escapes too)."""
    import random
    import markdown
    from markdown.inlinepatterns import LinkInlineProcessor
    from handouts.read import markdown_links
    md = markdown.Markdown()
    md.treeprocessors["inline"].stashed_nodes = {}  # as during a conversion
    pattern, rng = LinkInlineProcessor(r"\[", md), random.Random(25)
    for _ in range(3000):
        data = "".join(rng.choice("[]a(") for _ in range(rng.randint(0, 24)))
        starts = [i + 1 for i, c in enumerate(data) if c == "["]
        rng.shuffle(starts)
        for index in starts:
            text, end, closed = markdown_links._library_get_text(pattern, data, index)
            expected = (text if closed else "", end, closed)
            assert markdown_links.get_text(pattern, data, index) == expected, (data, index)
    for _ in range(6000):
        data = "".join(rng.choice("()a '\"<>\\") for _ in range(rng.randint(0, 24)))
        starts = [i for i, c in enumerate(data) if c == "("] + [rng.randint(0, len(data))]
        rng.shuffle(starts)
        for index in starts:
            expected = markdown_links._library_get_link(pattern, data, index)
            assert markdown_links.get_link(pattern, data, index) == expected, (data, index)


def test_the_word_writer_costs_steps_in_proportion_to_the_number_of_lists(tmp_path):
    """Each list's numbering looked through every list before it for a free number: a
    1 MB handout has a thousand lists. Four times the lists, about four times the steps."""
    from handouts.run.pipeline import render_document
    from handouts.write.docx import write_docx
    watched = {str(path) for path in (ROOT / "handouts" / "write" / "docx").glob("*.py")}

    def steps(lists):
        body = "".join(f"\nStep {n}:\n\n1. Take it.\n2. Rest.\n\n- Note {n}.\n"
                       for n in range(lists))
        project = new_project(tmp_path / str(lists),
                              {"source/a.md": MINIMAL_FRONT_MATTER + body})
        rendered = render_document(project.source_dir / "a.md", project)
        return _lines_run(write_docx, rendered.document, rendered.theme, watched=watched)
    assert steps(400) < 5 * steps(100)


def test_a_span_past_the_last_row_costs_nothing_past_it():
    """rowspan and colspan may be up to 9,999: the grid noted every place a cell covers,
    rows past the table's end too, 10**8 of them for one cell in a two-row table. Four
    times the span, about four times the steps (the columns), not sixteen."""
    from handouts import model as m

    def grid(span):
        cell = m.Cell([m.Paragraph([m.Text("x")])], colspan=span, rowspan=span)
        table = m.Table([m.Row([cell, m.Cell([])]), m.Row([m.Cell([])])])
        return list(table.grid())
    watched = {str(ROOT / "handouts" / "model.py")}
    assert _lines_run(grid, 400, watched=watched) < 5 * _lines_run(grid, 100, watched=watched)
    assert [(r, c) for r, c, _ in grid(9999)] == [(0, 0), (0, 9999), (1, 9999)]


def test_a_footnote_marker_is_looked_for_only_before_the_last_closing_bracket():
    """Python-Markdown's footnote pattern, '[^' up to the next ']', read from each '[^' to
    the end of a text with no ']' after it: 20,000 '[^' took 3 s, 50,000 twenty (in the
    regular expression engine, so counted here by where it is told to stop)."""
    import markdown
    from markdown.extensions.footnotes import FootnoteInlineProcessor
    import handouts.read.markdown  # noqa: F401 - the Markdown reading set up as a build has it
    stops = []

    class Recording:
        def finditer(self, data, pos=0, endpos=None):
            stops.append(endpos)
            return iter(())
    marker = FootnoteInlineProcessor(r"\[\^([^\]]*)\]", None)
    marker.compiled_re = Recording()
    list(marker.getCompiledRegExp().finditer("[^" * 100 + " and [^1] then " + "[^" * 100))
    assert stops == [len("[^" * 100 + " and [^1]")]
    html = markdown.markdown("A[^1] and again[^1]. [^2\n\n[^1]: Note.", extensions=["footnotes"])
    assert html.count('class="footnote-ref"') == 2
