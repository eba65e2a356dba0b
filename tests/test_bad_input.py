"""Bad input gets one clear line (file, line, what is wrong, what to do), exit status 1,
no traceback, and the outputs of the last good build stay as they were."""

import hashlib
import io
import json

import pytest
from PIL import Image

import docx
import pypdf
from docx.oxml.ns import qn

from conftest import MINIMAL_FRONT_MATTER, new_project, run_build, run_build_process

GOOD_BODY = "## Section\n\nText with a citation.[@sigtermans2009]\n"
WITH_PICTURE = "\n## One\n\n![A diagram](x.png)\n"


def picture(fmt, size=(40, 30), mode="RGB"):
    out = io.BytesIO()
    Image.new(mode, size).save(out, fmt)
    return out.getvalue()


def front(**changes):
    """The minimal front matter with fields replaced (value None removes the field)."""
    lines = []
    for line in MINIMAL_FRONT_MATTER.splitlines():
        key = line.split(":")[0]
        if key in changes:
            if changes[key] is not None:
                lines.append(f"{key}: {changes.pop(key)}")
            else:
                changes.pop(key)
        else:
            lines.append(line)
    extra = [f"{k}: {v}" for k, v in changes.items()]
    return "\n".join(lines[:-1] + extra + lines[-1:]) + "\n"


# What an author can fix later (no front matter, a missing or unreadable field, an unknown
# field, a '#' section, a skipped heading level, a picture missing or without alt text) is
# no longer here: it builds as a draft with a warning, refused by a release
# (tests/test_drafts.py).
CASES = {
    "footnote defined twice": (
        {"source/a.md": front() + "\n## One\n\nText.[^1]\n\n[^1]: First.\n\n[^1]: Second.\n"},
        "source/a.md:16: footnote [^1] is defined twice (first at line 14)"),
    "footnote defined inside another": (
        {"source/a.md": front() + "\n## One\n\nText.[^a]\n\n[^a]: One.\n\n    [^c]: Two.\n"
                        "\n[^e]: Three.\n"},
        "source/a.md:16: a footnote is defined inside another footnote"),
    "quotes nested too deeply": (
        {"source/a.md": front() + "\n## One\n\nText.\n\n" + "> " * 80 + "Deep.\n"},
        "source/a.md:14: lists or quotes are nested too deeply to lay out"),
    "an escaped lone surrogate in the title": (
        {"source/a.md": front(title='"Pain \\ud800 care"') + GOOD_BODY},
        "source/a.md:2: 'title' contains a control character"),
    "front matter not YAML": (
        {"source/a.md": front(title="A: b: c") + GOOD_BODY},
        "source/a.md:2: front matter is not valid YAML"),
    "front matter not a mapping": (
        {"source/a.md": "---\n- just\n- a list\n---\n" + GOOD_BODY},
        "source/a.md:2: front matter is not a list of fields"),
    "front-matter field written twice": (
        {"source/a.md": MINIMAL_FRONT_MATTER.replace("lang: en-US", "lang: en-US\ntitle: Again")
         + GOOD_BODY},
        "source/a.md:4: front matter is not valid YAML ('title' is written twice)"),
    "unknown paper size": (
        {"source/a.md": front(paper="tabloid") + GOOD_BODY},
        "source/a.md:8: unknown paper size 'tabloid'"),
    "unknown CSL style": (
        {"source/a.md": front(csl="no-such-style") + GOOD_BODY},
        "source/a.md:8: unknown citation style 'no-such-style'"),
    "missing bibliography file": (
        {"source/a.md": front(bibliography="gone.bib") + GOOD_BODY},
        "source/a.md:7: bibliography 'gone.bib' not found"),
    "duplicated bibliography key": (
        {"source/a.md": front(bibliography="dup.bib") + "\n## One\n\nCited.[@x]\n",
         "source/dup.bib": "@article{x, title={A}, year={2001}}\n\n"
                           "@article{x, title={B}, year={2002}}\n"},
        "source/dup.bib:3: key 'x' is defined twice (first on line 1)"),
    "bibliography entry never closed": (
        {"source/a.md": front(bibliography="open.bib") + "\n## One\n\nCited.[@b]\n",
         "source/open.bib": "@article{sigtermans2009, title={A}, year={2001}}\n\n"
                            "@article{b,\n  title = {Unclosed,\n  year = {2002}\n}\n"},
        "source/open.bib:3: the entry 'b' is not valid BibTeX"),
    "bibliography field without a value": (
        {"source/a.md": front(bibliography="field.bib") + GOOD_BODY,
         "source/field.bib": "@article{sigtermans2009, title={A},\n  year = {2001}, author\n}\n"},
        "source/field.bib:1: the entry 'sigtermans2009' is not valid BibTeX"),
    "bibliography key defined twice in other capitals": (
        {"source/a.md": front(bibliography="dup.bib") + "\n## One\n\nCited.[@smith2001]\n",
         "source/dup.bib": "@article{Smith2001, title={A}, year={2001}}\n"
                           "@article{smith2001, title={B}, year={2002}}\n"},
        "source/dup.bib:2: key 'smith2001' is defined twice (first on line 1)"),
    "malformed CSL-JSON": (
        {"source/a.md": front(bibliography="refs.json") + GOOD_BODY,
         "source/refs.json": '[{"id": "a",\n "title": }]'},
        "source/refs.json:2: is not valid JSON"),
    "source not UTF-8": (
        {"source/a.md": (front() + "\n## Caf\xe9\n").encode("latin-1")},
        "source/a.md:10: is not UTF-8 text"),
    "empty document": (
        {"source/a.md": front()}, "source/a.md:9: the document has no text"),
    "image file damaged": (
        {"source/a.md": front() + WITH_PICTURE, "source/x.png": b"not a picture"},
        "source/a.md:12: image 'x.png' cannot be read as a picture"),
    "image cut off": (
        {"source/a.md": front() + WITH_PICTURE, "source/x.png": picture("PNG")[:60]},
        "source/a.md:12: image 'x.png' cannot be read as a picture"),
    "image in a format Word cannot hold": (
        {"source/a.md": front() + WITH_PICTURE, "source/x.png": picture("WEBP")},
        "source/a.md:12: image 'x.png' is a WEBP file, not PNG, JPEG or GIF"),
    "image too large to lay out": (
        {"source/a.md": front() + WITH_PICTURE, "source/x.png": picture("PNG", (7000, 7000), "1")},
        "source/a.md:12: image 'x.png' is too large to print (7000 x 7000 pixels)"),
    "lists nested past any handout": (
        {"source/a.md": front() + "\n## One\n\n"
         + "\n".join("    " * n + f"- level {n}" for n in range(100)) + "\n"},
        "source/a.md:111: lists or quotes are nested too deeply to lay out"),
    "quotes nested past any handout": (
        {"source/a.md": front() + "\n## One\n\n" + ">" * 500 + " deep\n"},
        "source/a.md:12: lists or quotes are nested too deeply to lay out"),
    "a word too long to print": (
        {"source/a.md": front() + "\n## One\n\n" + "a" * 5000 + "\n"},
        "source/a.md:12: a word of 5000 characters cannot be printed"),
    "control character in the bibliography": (
        {"source/a.md": front(bibliography="ctl.bib") + GOOD_BODY,
         "source/ctl.bib": "@article{sigtermans2009,\n  title = {A\x01},\n  year = {2001}\n}\n"},
        "source/ctl.bib:2: contains the control character U+0001"),
    "heading inside a list": (
        {"source/a.md": front() + "\n## One\n\n- item\n\n    ## Inside\n"},
        "source/a.md:14: heading 'Inside' is inside a list or a table"),
    "unknown audience": (
        {"source/a.md": front(audience="aliens") + GOOD_BODY},
        "source/a.md:8: unknown audience 'aliens'"),
    "CSL-JSON entry without a type": (
        {"source/a.md": front(bibliography="refs.json") + GOOD_BODY,
         "source/refs.json": '[\n{"id": "sigtermans2009", "title": "T"}\n]'},
        "source/refs.json:2: entry 'sigtermans2009' cannot be read"),
    "CSL-JSON entry with a control character": (
        {"source/a.md": front(bibliography="refs.json") + GOOD_BODY,
         "source/refs.json": '[{"id": "sigtermans2009", "type": "article", "title": "T\\u0001"}]'},
        "source/refs.json:1: entry 'sigtermans2009' contains a control character"),
    "CSL style that is not complete": (
        {"source/a.md": front(csl="mine.csl") + GOOD_BODY,
         "styles/mine.csl": '<style xmlns="http://purl.org/net/xbiblio/csl"/>'},
        "source/a.md:7: the citations cannot be formatted from 'references.bib' in the style "
        "'mine.csl'"),
    "output is a file, not a folder": (
        {"source/a.md": front() + GOOD_BODY, "output": "a stray file"},
        "output: cannot be written (File exists)"),
    "stylesheet that hides the text": (
        {"source/a.md": front() + GOOD_BODY, "styles/handout.css": "#section { display: none }\n"},
        "source/a.md:9: an output lost content: pdf: heading 'Section' is missing"),
    "citation inside link text, after the key's first use": (
        {"source/a.md": front() + "\n## One\n\nFirst.[@sigtermans2009]\n\n"
                                  "[see this [@sigtermans2009]](https://example.org)\n"},
        "source/a.md:14: a citation inside the text of a link"),
    "image that is a folder": (
        {"source/a.md": front() + "\n## One\n\nA sentence. Another.\n\n![A folder](.)\n"},
        "source/a.md:14: image '.' is a folder, not a picture"),
    "image without a file name": (
        {"source/a.md": front() + "\n## One\n\n![A picture]()\n"},
        "source/a.md:12: an image has no file name"),
    "character the typeface lacks, in the title": (
        {"source/a.md": front(title="Ketamine \U00010000") + GOOD_BODY},
        "source/a.md:2: the character '\U00010000' (U+10000) cannot be printed"),
    "character the typeface lacks, in the bibliography": (
        {"source/a.md": front(bibliography="emoji.bib") + GOOD_BODY,
         "source/emoji.bib": "@article{sigtermans2009,\n  title = {Ketamine \U00010000},\n"
                             "  year = {2009}\n}\n"},
        # The entry's line, as the bibliography read it: the build searches no file.
        "source/emoji.bib:1: the character '\U00010000' (U+10000) cannot be printed"),
    "character the typeface lacks, at the block that shows it": (
        # Not at the first line that holds it (a comment nobody sees): lines come from the
        # reading, not from a search of the text.
        {"source/a.md": front() + "\n<!-- \u0378 -->\n\n## One \u0378\n\nText.\n"},
        "source/a.md:12: the character '\u0378' (U+0378) cannot be printed"),
    "theme colour invalid": (
        {"source/a.md": front() + GOOD_BODY, "styles/theme.yaml": "primary_color: blue\n"},
        "styles/theme.yaml:1: 'primary_color: blue' is not a colour"),
    "theme colour unreadable": (
        {"source/a.md": front() + GOOD_BODY, "styles/theme.yaml": 'text_color: "#CCCCCC"\n'},
        "styles/theme.yaml:1: text in #CCCCCC on #FFFFFF has contrast 1.61:1"),
    "theme logo damaged": (
        {"source/a.md": front() + GOOD_BODY, "styles/logo.png": b"GIF89a, but no picture",
         "styles/theme.yaml": "organisation: {name: Clinic, logo: logo.png}\n"},
        "styles/theme.yaml:1: logo 'logo.png' cannot be read as a picture"),
    "theme logo damaged, named on its own line": (
        {"source/a.md": front() + GOOD_BODY, "styles/logo.png": b"no picture",
         "styles/theme.yaml": "organisation:\n  name: Clinic\n  logo: logo.png\n"},
        "styles/theme.yaml:3: logo 'logo.png' cannot be read as a picture"),
    "theme value that YAML cannot make": (
        {"source/a.md": front() + GOOD_BODY,
         "styles/theme.yaml": "paper: a4\nfont_size_pt: !!int x\n"},
        "styles/theme.yaml:2: has a value that cannot be read"),
    "theme stylesheet nested past reason": (
        {"source/a.md": front() + GOOD_BODY,
         "styles/handout.css": "p { color: red }\n" + "a{" * 50},
        "styles/handout.css:2: has brackets nested too deeply"),
    "theme organisation with a control character": (
        {"source/a.md": front() + GOOD_BODY,
         "styles/theme.yaml": 'organisation: {name: "A\\u0001B"}\n'},
        "styles/theme.yaml:1: 'organisation' contains a control character"),
    "theme setting written twice": (
        {"source/a.md": front() + GOOD_BODY, "styles/theme.yaml": "paper: a4\npaper: letter\n"},
        "styles/theme.yaml:2: is not valid YAML ('paper' is written twice)"),
    "theme font too small": (
        {"source/a.md": front() + GOOD_BODY, "styles/theme.yaml": "font_size_pt: 8\n"},
        "styles/theme.yaml:1: 'font_size_pt: 8' is out of range"),
    **{f"the character reference {ref}": (  # not an internal error from python-docx
        {"source/a.md": front() + f"\n## One\n\nFine.\n\nBad {ref} here.\n"},
        f"source/a.md:14: '{ref}' is not a character a document can hold")
       for ref in ("&#xFFFE;", "&#xFFFF;", "&#xD800;", "&#1;", "&#x7f;", "&#0;", "&#x110000;",
                   "&#xFDD0;", "&#x1FFFF;", "&#x81;")},
    "a character reference in an abbreviation's expansion": (
        {"source/a.md": front() + '\n## One\n\nSee <abbr title="a&#xFFFE;b">AB</abbr>.\n'},
        "source/a.md:12: '&#xFFFE;' is not a character a document can hold"),
}


# What an author can fix later: the draft builds, the warning names file and line, and a
# release build (--strict) refuses it.
WARNED = {
    "citations without a bibliography (a book's chapter names it elsewhere)": (
        {"source/a.md": front(bibliography=None) + GOOD_BODY},
        "source/a.md:10: the document cites works but names no bibliography",
        "[?sigtermans2009]"),
    "heading without text": (
        {"source/a.md": front() + "\n## One\n\nText.\n\n##\n\nMore text.\n"},
        "source/a.md:14: a heading has no text", "More text."),
    "unknown citation key": (
        {"source/a.md": front() + "\n## One\n\nFine.\n\nSee this.[@nobody2020]\n"},
        "source/a.md:14: unknown citation key 'nobody2020'", "[?nobody2020]"),
    "unknown key inside a multi-key citation": (
        {"source/a.md": front() + "\n## One\n\nBoth.[@sigtermans2009;\n  @missing]\n"},
        "source/a.md:13: unknown citation key 'missing'", "[?missing]"),
    "misspelt bibliography entry type (pandoc prints it as @misc)": (
        {"source/a.md": front(bibliography="bad.bib") + GOOD_BODY,
         "source/bad.bib": "@artcle{sigtermans2009, title={Ketamine relief}, year={2001}}\n"},
        "source/bad.bib:1: unknown entry type '@artcle'", "Ketamine relief"),
}


@pytest.mark.parametrize("files, message, shown", WARNED.values(), ids=WARNED.keys())
def test_what_an_author_can_fix_later_is_a_warning_at_its_line(tmp_path, files, message, shown):
    project = new_project(tmp_path, files)
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    warned = [line.replace(str(project.root) + "/", "") for line in result.stderr.splitlines()
              if line.startswith("warning:")]
    assert any(message in line and "; " in line for line in warned), result.stderr
    assert shown in project.outputs("a")["html"].read_text(encoding="utf-8")
    strict = run_build(project.root, "--strict")
    assert strict.returncode == 1 and message in strict.stderr.replace(str(project.root) + "/", "")


@pytest.mark.parametrize("files, message", CASES.values(), ids=CASES.keys())
def test_bad_input_gets_one_clear_line(tmp_path, files, message):
    project = new_project(tmp_path, files)
    result = run_build(project.root)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    # Paths are shown relative to where the command runs; compare from 'source/' or 'styles/'.
    assert message in errors[0].replace(str(project.root) + "/", ""), result.stderr
    assert "; " in errors[0], "the message should say what to do"
    assert "Traceback" not in result.stderr
    assert not list(project.output_dir.glob("a.*")) if project.output_dir.exists() else True


def test_build_py_on_the_command_line_exits_1_with_one_line_or_0(tmp_path):
    """The process itself, as `make` and a terminal see it (the other tests here run
    build.main in the test's own process): a bad handout gives exit status 1 and one
    'error: FILE:LINE: ...' line, no traceback; a good one exit status 0."""
    project = new_project(tmp_path, {"source/a.md": front(csl="vancover") + GOOD_BODY})
    result = run_build_process(project.root, cwd=project.root)
    assert result.returncode == 1, result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
        "error: source/a.md:8: unknown citation style 'vancover'; did you mean vancouver?"
        ], result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == "1 of 1 handout(s) failed"
    assert not list(project.output_dir.glob("a.*"))
    # The catalogue describes what is in output/: nothing.
    assert json.loads((project.output_dir / "report.json").read_text())["handouts"] == []

    (project.source_dir / "a.md").write_text(front() + GOOD_BODY, encoding="utf-8")
    result = run_build_process(project.root, cwd=project.root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("built output/a.html, output/a.pdf, output/a.docx in ")
    # Nothing else on stderr: no Python warnings or log lines, only the build's own warnings.
    assert all(line.startswith("warning: ") for line in result.stderr.splitlines()), \
        result.stderr
    assert all(p.stat().st_size > 0 for p in project.outputs("a").values())


def test_debug_flag_shows_the_traceback(tmp_path):
    # A new process: in-process, main() re-raising could not show what the terminal shows.
    project = new_project(tmp_path, {"source/a.md": front() + "[@nobody @twice]\n"})
    result = run_build_process(project.root, "--debug")
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "Diagnostic" in result.stderr


def test_pictures_word_cannot_read_as_they_are_still_reach_every_format(tmp_path):
    # A CMYK JPEG, as print shops send them: browsers and WeasyPrint show it, python-docx
    # cannot parse it, so the build hands every format the picture re-encoded as PNG.
    project = new_project(tmp_path, {"source/a.md": front() + WITH_PICTURE,
                                     "source/x.png": picture("JPEG", mode="CMYK")})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    outputs = project.outputs("a")
    assert 'src="data:image/png;base64,' in outputs["html"].read_text(encoding="utf-8")
    word = docx.Document(str(outputs["docx"]))
    assert [d.get("descr") for d in word.element.body.iter(qn("wp:docPr"))] == ["A diagram"]
    assert any(p["/Subtype"] == "/Image" for p in
               pypdf.PdfReader(str(outputs["pdf"])).pages[0]["/Resources"]["/XObject"].values())


def test_a_title_longer_than_word_properties_hold_still_builds(tmp_path):
    title = "A very long title " * 15  # past Word's 255, within the 300 a title may have
    project = new_project(tmp_path, {"source/a.md": front(title=title) + GOOD_BODY})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    properties = docx.Document(str(project.outputs("a")["docx"])).core_properties
    assert len(properties.title) == 255 and properties.title.endswith("…")
    assert title.strip() in project.outputs("a")["html"].read_text(encoding="utf-8")


def test_a_zotero_export_builds_without_python_warnings(tmp_path):
    # Zotero writes fields citeproc does not use; they must not spill warnings on the terminal.
    entry = ('[{"id": "sigtermans2009", "type": "article-journal", "title": "Ketamine",'
             ' "container-title": "Pain", "journalAbbreviation": "Pain", "language": "en",'
             ' "author": [{"family": "Sigtermans", "given": "M. J."}],'
             ' "issued": {"date-parts": [[2009]]}}]')
    project = new_project(tmp_path, {"source/a.md": front(bibliography="refs.json") + GOOD_BODY,
                                     "source/refs.json": entry})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr and "site-packages" not in result.stderr


def test_a_list_start_that_is_not_a_number_is_dropped(tmp_path):
    project = new_project(tmp_path, {"source/a.md": front() + "\n## One\n\n"
                                     '<ol start="abc"><li>first</li></ol>\n'})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    assert "<ol>" in project.outputs("a")["html"].read_text(encoding="utf-8")


def test_citation_keys_ignore_case_as_in_bibtex(tmp_path):
    # Reference managers export keys such as 'Sigtermans2009'; BibTeX matches them in any case.
    project = new_project(tmp_path, {"source/a.md": front() + "\n## One\n\nCited.[@Sigtermans2009]"
                                     "\n\nAgain.[@SIGTERMANS2009; @sigtermans2009]\n"})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    html = project.outputs("a")["html"].read_text(encoding="utf-8")
    # one work twice in one citation is printed twice, as Pandoc's citeproc prints it
    assert html.count('href="#ref-sigtermans2009"') == 3 and "Sigtermans MJ" in html
    assert html.count('id="ref-sigtermans2009"') == 1


def test_a_document_without_citations_builds(tmp_path):
    project = new_project(tmp_path, {"source/plain.md": front(bibliography=None)
                                     + "\n## Only text\n\nNo studies cited here.\n"})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    html = project.outputs("plain")["html"].read_text(encoding="utf-8")
    assert "Only text" in html and "References" not in html
    assert all(p.stat().st_size > 0 for p in project.outputs("plain").values())


def test_failed_rebuild_keeps_last_good_outputs_byte_for_byte(tmp_path):
    project = new_project(tmp_path, {"source/a.md": front() + GOOD_BODY})
    assert run_build(project.root).returncode == 0
    before = {fmt: hashlib.sha256(p.read_bytes()).hexdigest()
              for fmt, p in project.outputs("a").items()}
    (project.source_dir / "a.md").write_text(front() + GOOD_BODY + "[@nobody @twice]\n")
    assert run_build(project.root).returncode == 1
    after = {fmt: hashlib.sha256(p.read_bytes()).hexdigest()
             for fmt, p in project.outputs("a").items()}
    assert after == before
    assert sorted(p.name for p in project.output_dir.iterdir()) == [
        "a.docx", "a.html", "a.pdf", "index.html", "report.json", "reports"]


def test_one_failing_document_does_not_stop_the_others(tmp_path):
    project = new_project(tmp_path, {"source/bad.md": front() + "[@nobody @twice]\n",
                                     "source/good.md": front() + GOOD_BODY,
                                     "source/worse.md": front(paper="tabloid") + GOOD_BODY})
    result = run_build(project.root)
    assert result.returncode == 1
    assert all(p.is_file() for p in project.outputs("good").values())
    assert "source/bad.md" in result.stderr and "source/worse.md" in result.stderr
    assert "2 of 3 handout(s) failed" in result.stderr


def test_an_overdue_review_is_warned_about_but_still_builds(tmp_path):
    project = new_project(tmp_path, {"source/old.md": front(date="2020-01-01", review_due="2021-01-01")
                                     + GOOD_BODY,
                                     "source/current.md": front(review_due="2107-01-01") + GOOD_BODY})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    overdue = [line for line in result.stderr.splitlines() if "review was due" in line]
    assert len(overdue) == 1 and "old.md:6: review was due on January 1, 2021" in overdue[0]


def test_character_references_that_are_harmless_build(tmp_path):
    # Windows-1252's numbers, as HTML reads them, and a reference shown as code.
    project = new_project(tmp_path, {"source/a.md": front() + "\n## One\n\n"
                                     "Wait&#x85; then &#128; and `&#xFFFE;` in code.\n"})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    word = [p.text for p in docx.Document(str(project.outputs("a")["docx"])).paragraphs]
    assert "Wait… then € and &#xFFFE; in code." in word


def test_a_footnote_nothing_refers_to_is_a_warning_and_left_out(tmp_path):
    # It was in the web page and the PDF but not in Word, whose notes hang on their marks:
    # "an output lost content ... report this as a bug", with no line.
    project = new_project(tmp_path, {"source/a.md": front() + "\n## One\n\nText.[^used]\n\n"
                                     "[^used]: A note that is used.\n\n"
                                     "[^spare]: A note nobody cites.\n"})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    stderr = result.stderr.replace(str(project.root) + "/", "")
    assert "warning: source/a.md:16: footnote [^spare] is not referred to anywhere, so it is " \
        "left out; refer to it with [^spare] in the text, or delete it" in stderr.splitlines()
    outputs = project.outputs("a")
    html = outputs["html"].read_text(encoding="utf-8")
    assert "A note that is used." in html and "nobody cites" not in html
    word = "\n".join(p.text for p in docx.Document(str(outputs["docx"])).paragraphs)
    assert "nobody cites" not in word
    assert "nobody cites" not in "".join(p.extract_text() for p in
                                         pypdf.PdfReader(str(outputs["pdf"])).pages)
    strict = run_build(project.root, "--strict")
    assert strict.returncode == 1
    assert "source/a.md:16: footnote [^spare] is not referred to" in strict.stderr.replace(
        str(project.root) + "/", "")


def test_an_arabic_handout_with_a_citation_builds_and_verifies(tmp_path):
    project = new_project(tmp_path, {"source/a.md": front(lang="ar") + "\n## مقدمة\n\n"
                                     "الكيتامين دواء يستخدم لعلاج الألم.[@sigtermans2009]\n\n"
                                     "## متى تتصل بنا\n\nاتصل بنا إذا شعرت بألم شديد.\n"})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    outputs = project.outputs("a")
    assert "Sigtermans MJ" in outputs["html"].read_text(encoding="utf-8")
    word = "\n".join(p.text for p in docx.Document(str(outputs["docx"])).paragraphs)
    assert "Sigtermans MJ" in word and "long-term pain relief" in word


@pytest.mark.parametrize("control", ["\u202a", "\u202b", "\u202d", "\u202e", "\u2066",
                                     "\u2067", "\u2068", "\u200e", "\u200f"])
def test_directional_controls_in_english_text_build_and_verify(tmp_path, control):
    # U+202E made 'evil' print as 'live': the PDF showed what the verifier could not find.
    closing = {"\u2066": "\u2069", "\u2067": "\u2069", "\u2068": "\u2069", "\u200e": "",
               "\u200f": ""}.get(control, "\u202c")
    project = new_project(tmp_path, {"source/a.md": front() + "\n## One\n\n"
                                     f"Keep {control}evil words{closing} as typed.\n"})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    outputs = project.outputs("a")
    pdf = " ".join(p.extract_text() for p in pypdf.PdfReader(str(outputs["pdf"])).pages)
    word = " ".join(p.text for p in docx.Document(str(outputs["docx"])).paragraphs)
    html = outputs["html"].read_text(encoding="utf-8")
    for text in (pdf, word, html):
        assert "evil words" in text, text
