"""Citations as researchers write them: Pandoc's whole syntax in AMA and APA, and the
bibliographies reference managers export, read back out of the real outputs."""

import re
import zipfile
from pathlib import Path

import docx
import lxml.html
import pypdf
import pytest

from conftest import ROOT, new_project, run_build
from handouts import model as m
from handouts.cite import format as cite_format
from handouts.diagnostics import RELEASE_BLOCKING, Diagnostic, Diagnostics
from handouts.read.front_matter import load
from handouts.run.pipeline import build_document, render_document

BIBLIOGRAPHIES = ROOT / "tests" / "corpus" / "bibliographies"


def handout(body, bibliography="references.bib", csl="american-medical-association",
            extra=""):
    return (f'---\ntitle: Citations\nlang: en\nversion: "1"\ndate: 2026-01-01\n'
            f"review_due: 2027-01-01\nbibliography: {bibliography}\ncsl: {csl}\n{extra}---\n\n"
            f"## Section\n\n{body}\n")


def with_bibliography(tmp_path, bib, body, csl="american-medical-association"):
    """A project whose handout c.md cites from its own bibliography d.bib."""
    return new_project(tmp_path, {"source/d.bib": bib, "source/c.md": handout(
        body, bibliography="d.bib", csl=csl)})


def references_of(project):
    rendered = render_document(project.source_dir / "c.md", project)
    references = next(b for b in rendered.document.blocks if isinstance(b, m.References))
    return [m.inline_text(e.children) for e in references.entries]


def paragraphs(project, name="c"):
    rendered = render_document(project.source_dir / f"{name}.md", project)
    return [m.inline_text(b.children) for b in rendered.document.blocks
            if isinstance(b, m.Paragraph)]


def texts(project, name="c"):
    """The text of each format, read back out of the files the build wrote."""
    paths = project.outputs(name)
    html = lxml.html.parse(str(paths["html"])).getroot().find("body").text_content()
    pdf = "\n".join(p.extract_text() for p in pypdf.PdfReader(str(paths["pdf"])).pages)
    word = "\n".join(p.text for p in docx.Document(str(paths["docx"])).paragraphs)
    return {"html": html, "pdf": pdf, "docx": word}


def squash(text):
    return re.sub(r"\s+", "", text)


# Each form, and what the style prints after "Form n:" (AMA numbers works in order of
# citation and sets its superscript numbers close up to the text, as Pandoc does; a
# narrative citation names the authors before the number, which Pandoc leaves out).
FORMS = [
    ("[@sigtermans2009, p. 306]", "1(p306)", " (Sigtermans et al., 2009, p. 306)"),
    ("[see @kirkpatrick2020]", "see 2", " (see Kirkpatrick et al., 2020)"),
    ("@sigtermans2009 showed", " Sigtermans et al.1 showed", " Sigtermans et al. (2009) showed"),
    ("@sigtermans2009 [p. 4] showed", " Sigtermans et al.1(p4) showed",
     " Sigtermans et al. (2009, p. 4) showed"),
    ("Schwartzman [-@schwartzman2009]", " Schwartzman3", " Schwartzman (2009)"),
    ("[@schwartzman2009, pp. 107-109; @sigtermans2009, fig. 2]", "1(fig2),3(pp107-109)",
     " (Schwartzman et al., 2009, pp. 107–109; Sigtermans et al., 2009, Figure 2)"),
    ("[@kirkpatrick2020, sec. 2.1]", "2(sec2.1)", " (Kirkpatrick et al., 2020, Section 2.1)"),
    ("[@schwartzman2009; @sigtermans2009; @kirkpatrick2020]", "1–3",
     " (Kirkpatrick et al., 2020; Schwartzman et al., 2009; Sigtermans et al., 2009)"),
    ("[see @sigtermans2009, p. 33, and elsewhere]", "see 1(p33), and elsewhere",
     " (see Sigtermans et al., 2009, p. 33, and elsewhere)"),
]


@pytest.mark.parametrize("csl, column", [("american-medical-association", 1), ("apa", 2)],
                         ids=["AMA", "APA"])
def test_every_pandoc_citation_form_is_formatted_in_every_format(tmp_path, csl, column):
    body = "\n\n".join(f"Form {n}: {form[0]}." for n, form in enumerate(FORMS))
    project = new_project(tmp_path, {"source/c.md": handout(body, csl=csl)})
    build_document(project.source_dir / "c.md", project)
    found = paragraphs(project)
    assert found == [f"Form {n}:{form[column]}." for n, form in enumerate(FORMS)]
    for fmt, text in texts(project).items():
        assert "@" not in text, f"{fmt} prints a citation as typed"
        for form in FORMS:
            assert squash(form[column]) in squash(text), (fmt, form)


def test_author_date_citations_of_one_author_are_grouped(tmp_path):
    bib = ("@article{doe2005, author={Doe, Jane}, title={First}, journal={Pain}, year={2005}}\n"
           "@article{doe2006, author={Doe, Jane}, title={Second}, journal={Pain}, year={2006}}\n"
           "@article{roe2001, author={Roe, Ann}, title={Third}, journal={Pain}, year={2001}}\n")
    project = with_bibliography(tmp_path, bib, "Text [@doe2005; @doe2006; @roe2001].", csl="apa")
    assert paragraphs(project) == ["Text (Doe, 2005, 2006; Roe, 2001)."]


def test_nocite_lists_works_that_are_not_cited(tmp_path):
    project = new_project(tmp_path, {"source/c.md": handout(
        "Text [@sigtermans2009].", extra='nocite: "@kirkpatrick2020"\n')})
    build_document(project.source_dir / "c.md", project)
    rendered = render_document(project.source_dir / "c.md", project)
    references = next(b for b in rendered.document.blocks if isinstance(b, m.References))
    assert [e.key for e in references.entries] == ["sigtermans2009", "kirkpatrick2020"]
    everything = new_project(tmp_path / "all", {"source/c.md": handout(
        "Text.", extra='nocite: "@*"\n')})
    rendered = render_document(everything.source_dir / "c.md", everything)
    references = next(b for b in rendered.document.blocks if isinstance(b, m.References))
    assert len(references.entries) == 3


# -- what is not a citation, and what cannot be read as one ---------------------------------

def test_at_signs_that_are_not_citations_stay_text(tmp_path):
    body = ("Write to clinic@example.org, see https://example.org/@clinic, "
            "or [ask us](mailto:help@example.org). A price \\@ 5 dollars [as noted].")
    project = new_project(tmp_path, {"source/c.md": handout(body + " Cited [@sigtermans2009].")})
    build_document(project.source_dir / "c.md", project)
    assert paragraphs(project) == [
        "Write to clinic@example.org, see https://example.org/@clinic, or ask us. A price @ 5 "
        "dollars [as noted]. Cited1."]


def test_emphasis_in_a_citations_prefix_and_suffix_is_emphasis_not_asterisks(tmp_path):
    """Pandoc's own test document writes [*see* @item1 p. **32**]."""
    project = new_project(tmp_path, {"source/c.md": handout(
        "Shown [*see* @sigtermans2009, p. 32, _and_ **elsewhere**].")})
    build_document(project.source_dir / "c.md", project)
    rendered = render_document(project.source_dir / "c.md", project)
    citation = next(i for i in m.all_inlines(rendered.document.blocks)
                    if isinstance(i, m.Citation))
    styled = {(n.style, m.inline_text(n.children)) for n in m.walk_inlines(citation.rendered)
              if isinstance(n, m.Styled)}
    assert {("em", "see"), ("em", "and"), ("strong", "elsewhere")} <= styled
    for fmt, text in texts(project).items():
        assert "see" in text and "*" not in text and "_and_" not in text, fmt


@pytest.mark.parametrize("citation, problem", [
    ("[see @sigtermans2009 @kirkpatrick2020]", "has two keys in one part"),
    ("[@sigtermans2009; and more]", "cannot be read as a citation"),
])
def test_text_that_looks_like_a_citation_but_is_not_one_is_an_error_at_its_line(
        tmp_path, citation, problem):
    text = handout(f"First paragraph.\n\nThen {citation} here.")
    project = new_project(tmp_path, {"source/c.md": text})
    with pytest.raises(Diagnostic) as caught:
        build_document(project.source_dir / "c.md", project)
    line = next(n for n, t in enumerate(text.split("\n"), 1) if citation in t)
    assert problem in caught.value.message and caught.value.line == line
    assert "write \\@ for an at sign" in caught.value.hint


def test_keys_with_letters_of_any_alphabet(tmp_path):
    bib = ("@article{müller2020, author={Müller, Anna}, title={Eins}, journal={Pain}, "
           "year={2020}}\n@book{пункт3, author={Doe, John}, title={Why Water Is Wet}, "
           "publisher={Oxford University Press}, year={2007}}\n")
    project = with_bibliography(tmp_path, bib, "Eins [@müller2020]. Zwei @пункт3 wrote.")
    build_document(project.source_dir / "c.md", project)
    assert paragraphs(project) == ["Eins1. Zwei Doe2 wrote."]


# -- bibliographies as reference managers write them ---------------------------------------

def _with_bibliographies(tmp_path, names, body, csl="american-medical-association"):
    files = {f"source/{n}": (BIBLIOGRAPHIES / n).read_text(encoding="utf-8") for n in names}
    listed = names[0] if len(names) == 1 else "[" + ", ".join(names) + "]"
    files["source/c.md"] = handout(body, bibliography=listed, csl=csl)
    project = new_project(tmp_path, files)
    result = build_document(project.source_dir / "c.md", project)
    rendered = render_document(project.source_dir / "c.md", project)
    references = next(b for b in rendered.document.blocks if isinstance(b, m.References))
    return project, result, [m.inline_text(e.children) for e in references.entries]


def test_a_zotero_export_with_abstracts_and_web_pages(tmp_path):
    project, result, entries = _with_bibliographies(
        tmp_path, ["zotero.bib"], "Trial [@sigtermans_ketamine_2009]. Guide [@csaci_oit_2023].")
    assert entries == [
        "Sigtermans MJ, van Hilten JJ, Bauer MCR, et al. Ketamine produces effective and "
        "long-term pain relief in patients with Complex Regional Pain Syndrome Type 1. Pain. "
        "2009;145(3):304-311. doi:10.1016/j.pain.2009.06.023",
        "CSACI. OIT Guidelines. Canadian Society of Allergy and Clinical Immunology. Published "
        "online 2023. "
        "Accessed May 1, 2023. https://www.csaci.ca/oit-guidelines/"]
    assert result.warnings == [w for w in result.warnings if "bibliography" not in str(w)]
    assert "Accessed May 1, 2023" in texts(project)["docx"]


def test_a_mendeley_export(tmp_path):
    _, _, entries = _with_bibliographies(tmp_path, ["mendeley.bib"], "Study [@Schwartzman2009].")
    assert entries == [
        "Schwartzman RJ, Alexander GM, Grothusen JR, Paylor T, Reichenberger E, Perreault M. "
        "Outpatient intravenous ketamine for the treatment of complex regional pain syndrome: a "
        "double-blind placebo controlled study. Pain. 2009;147(1-3):107-115. "
        "doi:10.1016/j.pain.2009.07.022"]


@pytest.mark.parametrize("csl, expected", [
    ("american-medical-association", [
        "Averroes. Des Averroës Abhandlung: “Über die Möglichkeit der Conjunktion”. C.\u00a0A. "
        "Kaemmerer; 1892.",
        "Hjørt J, Müller AL, Álvarez J. Booster infusions in refractory CRPS. Scandinavian "
        "Journal of Pain. 2021;21(3):455-462. https://www.ncbi.nlm.nih.gov/pubmed/33930255",
        "International Association for the Study of Pain. Complex regional pain syndrome. 2022. "
        "Accessed February 1, 2024. https://www.iasp-pain.org/resources/topics/crps/"]),
    ("nlm-citation-sequence", None),
])
def test_a_biblatex_file_with_dates_places_and_escaped_accents(tmp_path, csl, expected):
    _, _, entries = _with_bibliographies(
        tmp_path, ["biblatex.bib"], "One [@averroes]. Two [@hjort2021]. Three [@iasp2022].",
        csl=csl)
    if expected:
        assert entries == expected
    else:  # a style that prints the place of publication prints the biblatex location
        averroes = next(e for e in entries if e.startswith("Averroes"))
        assert "1892" in averroes and "Halle an der Saale" in averroes


def test_csl_json_and_bibtex_together_and_csl_yaml(tmp_path):
    _, _, entries = _with_bibliographies(
        tmp_path, ["references.json", "zotero.bib"],
        "One [@kirkpatrick2020]. Two [@sigtermans_ketamine_2009].")
    assert entries[0].startswith("Kirkpatrick AF, Saghafi A, Yang K, Qiu P. Optimizing")
    assert entries[1].startswith("Sigtermans MJ")
    _, _, entries = _with_bibliographies(tmp_path / "yaml", ["references.yaml"],
                                         "One [@kirkpatrick2020].")
    assert entries == ["Kirkpatrick AF, Saghafi A. Optimizing the treatment of CRPS with "
                       "ketamine. Clin J Pain. 2020;36:516-523."]


BROKEN = ("@article{good2020, author={Good, Ann}, title={Fine}, journal={Pain}, year={2020}}\n"
          "\n@article{bad2021,\n  author = {Bad, Bob},\n  title = {Never closed,\n"
          "  year = {2021}\n}\n")


def test_an_entry_that_cannot_be_read_is_a_warning_when_not_cited(tmp_path):
    project = new_project(tmp_path, {"source/b.bib": BROKEN, "source/c.md": handout(
        "Cited [@good2020].", bibliography="b.bib")})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    assert "warning: source/b.bib:3: the entry 'bad2021' is not valid BibTeX" in \
        result.stderr.replace(str(project.root) + "/", "")
    assert "it is not cited, so the build goes on" in result.stderr


def test_an_entry_that_cannot_be_read_stops_the_build_when_cited(tmp_path):
    project = new_project(tmp_path, {"source/b.bib": BROKEN, "source/c.md": handout(
        "Cited [@good2020]. And [@bad2021].", bibliography="b.bib")})
    with pytest.raises(Diagnostics) as caught:
        build_document(project.source_dir / "c.md", project)
    assert [(Path(e.path).name, e.line) for e in caught.value.errors] == [("b.bib", 3)]
    assert "'bad2021' is not valid BibTeX" in caught.value.errors[0].message


def test_every_unknown_key_is_a_warning_at_its_line_and_prints_as_a_question(tmp_path):
    """A draft builds: each unknown key is a warning (refused by a release build) at the
    line that cites it, and every format shows [?key] where the citation stands."""
    text = handout("One [@nobody2020].\n\nTwo @nothere2021 wrote, and [@sigtermans2009; "
                   "@nobody2020].")
    project = new_project(tmp_path, {"source/c.md": text})
    result = build_document(project.source_dir / "c.md", project)
    lines = {n for n, t in enumerate(text.split("\n"), 1) if "@no" in t}
    unknown = [w for w in result.warnings if w.code == "unknown-citation-key"]
    assert {(w.message, w.line) for w in unknown} == {
        ("unknown citation key 'nobody2020'", min(lines)),
        ("unknown citation key 'nothere2021'", max(lines))}
    assert "unknown-citation-key" in RELEASE_BLOCKING
    for fmt, found in texts(project).items():
        assert "[?nobody2020]" in found and "[?nothere2021]" in found, fmt
    assert paragraphs(project) == ["One [?nobody2020].",
                                   "Two [?nothere2021] wrote, and1 [?nobody2020]."]


def test_web_pages_and_minimal_entries_print_once_with_their_address(tmp_path):
    bib = ("@misc{min2023, title={A minimal note}, year={2023}}\n"
           "@online{web, title={Pain facts}, author={{NHS}}, "
           "url={https://www.nhs.uk/pain}, year={2024}}\n")
    project = with_bibliography(tmp_path, bib, "A [@min2023]. B [@web].")
    assert references_of(project) == [
        "A minimal note. Published online 2023.", "NHS. Pain facts. 2024. https://www.nhs.uk/pain"]


def test_a_citation_inside_raw_html_is_an_error_not_raw_text(tmp_path):
    text = handout("<table><tr><td>Cited [@sigtermans2009].</td></tr></table>")
    project = new_project(tmp_path, {"source/c.md": text})
    with pytest.raises(Diagnostic) as caught:
        build_document(project.source_dir / "c.md", project)
    assert "'[@sigtermans2009]' is inside HTML" in caught.value.message
    assert caught.value.line == next(n for n, t in enumerate(text.split("\n"), 1) if "<table>" in t)


def test_citations_in_footnotes_and_table_cells_are_verified_in_word(tmp_path):
    body = ("A note.[^c]\n\n| Study | Finding |\n|---|---|\n| Trial | Relief [@schwartzman2009] |"
            "\n\n[^c]: As shown [@kirkpatrick2020].")
    project = new_project(tmp_path, {"source/c.md": handout(body)})
    build_document(project.source_dir / "c.md", project)  # the build's own check passes
    notes = zipfile.ZipFile(project.outputs("c")["docx"]).read("word/footnotes.xml").decode()
    assert 'w:anchor="ref_kirkpatrick2020"' in notes


# -- where a problem is, from the reading; and a bug of ours is not the author's -----------

# Each entry's line is that of its own id: 'smith2020' is also written in the first entry's
# note, and 'smith2020a' begins with it. The second entry has no type, so it cannot be read.
SHARED_IDS = {
    "refs.json": ('[\n {"id": "smith2020a", "type": "book", "title": "Pain",\n'
                  '  "note": "id: smith2020, the first edition"},\n'
                  ' {"id": "smith2020", "title": "Pain, second edition"}\n]\n', 4),
    "refs.yaml": ("- id: smith2020a\n  type: book\n  title: Pain\n"
                  '  note: "id: smith2020, the first edition"\n'
                  "- title: Pain, second edition\n  id: smith2020\n", 6),
}


@pytest.mark.parametrize("name", SHARED_IDS)
def test_an_entry_is_named_at_its_own_id_not_where_its_key_is_written(tmp_path, name):
    text, line = SHARED_IDS[name]
    project = new_project(tmp_path, {f"source/{name}": text, "source/c.md": handout(
        "Cited [@smith2020a] and [@smith2020].", bibliography=name)})
    with pytest.raises(Diagnostic) as caught:
        build_document(project.source_dir / "c.md", project)
    assert "entry 'smith2020' cannot be read" in caught.value.message
    assert (caught.value.path.name, caught.value.line) == (name, line)


def test_an_unknown_key_is_named_at_its_citation_not_where_the_key_is_written(tmp_path):
    text = handout("Keys are written as `[@nobody2020]`.\n\nLater [@nobody2020].")
    project = new_project(tmp_path, {"source/c.md": text})
    result = build_document(project.source_dir / "c.md", project)
    line = next(n for n, t in enumerate(text.split("\n"), 1) if t.startswith("Later"))
    assert [(w.message, w.line) for w in result.warnings if w.code == "unknown-citation-key"
            ] == [("unknown citation key 'nobody2020'", line)]


def test_a_bug_after_formatting_is_an_internal_error_not_the_entries_fault(
        tmp_path, monkeypatch):
    def broken(inlines):
        raise RuntimeError("a bug in the post-processing")
    monkeypatch.setattr(cite_format, "_unmargined", broken)
    project = new_project(tmp_path, {"source/c.md": handout("Cited [@sigtermans2009].")})
    result = run_build(project.root)
    assert result.returncode != 0
    assert "internal error (RuntimeError: a bug in the post-processing)" in result.stderr
    assert "check the cited entries" not in result.stderr


@pytest.mark.parametrize("style, problem", [
    ("<html><body>not a style</body></html>", "is not a CSL style"),
    ("<style xmlns='http://purl.org/net/xbiblio/csl'><citation>", "cannot be read"),
    ("<?xml version='1.0'?><style xmlns='http://purl.org/net/xbiblio/csl' version='1.0'>"
     "<info><title>x</title></info></style>", "the citations cannot be formatted"),
], ids=["not CSL", "not XML", "no citation layout"])
def test_a_style_pandoc_cannot_use_is_the_authors_to_fix(tmp_path, style, problem):
    project = new_project(tmp_path, {"styles/mine.csl": style,
                                     "source/c.md": handout("Cited [@sigtermans2009].",
                                                            csl="mine.csl")})
    with pytest.raises(Diagnostic) as caught:
        build_document(project.source_dir / "c.md", project)
    assert problem in caught.value.message and caught.value.line is not None


@pytest.mark.parametrize("value", ["2020-02-30", "!!bool x", "!!timestamp x", "!!set [1]"])
def test_a_yaml_value_pyyaml_cannot_build_is_the_authors_to_fix(tmp_path, value):
    project = new_project(tmp_path, {
        "source/refs.yaml": f"- id: a2020\n  type: book\n  issued: {value}\n",
        "source/c.md": handout("Cited [@a2020].", bibliography="refs.yaml")})
    with pytest.raises(Diagnostic) as caught:
        build_document(project.source_dir / "c.md", project)
    assert (caught.value.path.name, caught.value.message) == ("refs.yaml", "is not valid YAML")


# -- where the project keeps a rule Pandoc's citeproc does not -------------------------------

def test_escaped_brackets_inside_a_citation_are_text_not_a_crash(tmp_path):
    project = new_project(tmp_path, {"source/c.md": handout(
        "See [see \\[1\\] @sigtermans2009, p. 3]. And @kirkpatrick2020 [\\[a\\]] too.")})
    build_document(project.source_dir / "c.md", project)
    for fmt, text in texts(project).items():
        assert "see [1] 1(p3)" in text and "\x02" not in text, fmt


@pytest.mark.parametrize("csl", ["ama", "vancouver", "american-medical-association",
                                 "nlm-citation-sequence"])
def test_particles_stay_with_the_surname_in_ama_and_vancouver(tmp_path, csl):
    """AMA Manual of Style 11th ed. 3.15.2 and Citing Medicine (NLM) ch. 1: 'van Hilten JJ'.
    Pandoc's citeproc demotes a lowercase particle BibTeX reads ('Hilten JJ van')."""
    project = new_project(tmp_path, {"source/c.md": handout("Shown [@sigtermans2009].",
                                                            csl=csl)})
    build_document(project.source_dir / "c.md", project)
    for fmt, text in texts(project).items():
        assert "van Hilten JJ" in text and "Hilten JJ van" not in text, fmt


def test_apa_keeps_pandocs_reading_of_particles(tmp_path):
    project = new_project(tmp_path, {"source/c.md": handout("Shown [@sigtermans2009].",
                                                            csl="apa")})
    assert any("Hilten, J. J. van" in e for e in references_of(project))


@pytest.mark.parametrize("csl", ["ama", "vancouver", "ieee", "nature"])
def test_a_narrative_citation_in_a_numeric_style_names_the_authors(tmp_path, csl):
    """AMA 11th ed. 3.6.1 and Citing Medicine: an author named in the sentence is followed by
    the number ('Sigtermans et al.¹ showed'); Pandoc's citeproc prints the number alone."""
    project = new_project(tmp_path, {"source/c.md": handout(
        "@sigtermans2009 showed it, as @schwartzman2009 [p. 3] did.", csl=csl)})
    build_document(project.source_dir / "c.md", project)
    [paragraph] = paragraphs(project)
    assert paragraph.startswith("Sigtermans et al.") and "Schwartzman et al." in paragraph
    for fmt, text in texts(project).items():
        assert "Sigtermans et al." in text.split("References")[0], fmt


def test_every_style_name_people_use_is_a_bundled_csl_file():
    for name, style in cite_format.ALIASES.items():
        assert (cite_format.STYLES / f"{style}.csl").is_file(), name


MALFORMED = {
    "no comma after the key": ("@article{bad2021\n  author = {Bad, Bob},\n  title = {T},\n"
                               "  year = {2021}\n}\n", 1, "there is no comma after its key"),
    "a stray closing brace": ("@article{bad2021,\n  author = {Bad, Bob},\n  journal = {Pain}},"
                              "\n  year = {2021}\n}\n", 3,
                              "a '}' closes the entry 'bad2021' early, so its fields after it "
                              "(year) would be lost"),
    "an entry never closed": ("@article{bad2021,\n  author = {Bad, Bob},\n  title = {T},\n"
                              "  year = {2021}\n\n", 1, "it is never closed"),
}


@pytest.mark.parametrize("cited", [True, False], ids=["cited: error", "not cited: warning"])
@pytest.mark.parametrize("name", MALFORMED)
def test_a_malformed_bibtex_entry_is_named_at_its_line_with_the_reason(tmp_path, name, cited):
    """Never fields dropped without a word, nor 'unknown citation key' for a key that is
    written: the entry's own line and what is wrong with it."""
    bib, line, reason = MALFORMED[name]  # line: within the entry
    good = "@article{good2020, author={Good, Ann}, title={Fine}, journal={Pain}, year={2020}}\n\n"
    body = "Cited [@good2020]." + (" And [@bad2021]." if cited else "")
    project = new_project(tmp_path, {"source/b.bib": good + bib, "source/c.md": handout(
        body, bibliography="b.bib")})
    if cited:
        with pytest.raises(Diagnostics) as caught:
            build_document(project.source_dir / "c.md", project)
        [problem] = caught.value.errors
    else:
        result = build_document(project.source_dir / "c.md", project)
        [problem] = [w for w in result.warnings if w.code == "bibliography-entry-skipped"]
        assert "Good A. Fine. Pain." in texts(project)["html"]
    assert (Path(problem.path).name, problem.line) == ("b.bib", line + 2)
    assert reason in problem.message


@pytest.mark.parametrize("csl", ["ama", "apa"])
def test_field_and_type_names_in_capitals_are_read(tmp_path, csl):
    bib = ("@ARTICLE{Up2001,\n  Author = {Doe, Jane},\n  TITLE = {Upper case fields},\n"
           "  Journal = {Pain},\n  Year = {2001}\n}\n")
    project = with_bibliography(tmp_path, bib, "Cited [@up2001].", csl=csl)
    [entry] = references_of(project)
    assert "Doe" in entry and "Pain" in entry and "2001" in entry


def test_a_rebuild_with_unchanged_references_does_not_start_pandoc(tmp_path, monkeypatch):
    """Formatted citations are kept under .cache/citations by content: the warm rebuild
    gives the same page byte for byte without running pandoc, and a changed entry runs it
    again."""
    import subprocess
    import time
    project = new_project(tmp_path, {"source/c.md": handout(
        "Shown [@sigtermans2009; @kirkpatrick2020], as @schwartzman2009 found.")})
    cold = render_document(project.source_dir / "c.md", project).page.html
    started = []
    real_run = subprocess.run
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: started.append(a) or real_run(*a, **k))
    began = time.perf_counter()
    warm = render_document(project.source_dir / "c.md", project)
    assert warm.page.html == cold and started == []
    document = warm.document
    began = time.perf_counter()
    cite_format.prepare(document, project.source_dir)
    assert time.perf_counter() - began < 0.5  # about 15 ms; generous on a busy machine
    bib = project.source_dir / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8").replace("Optimizing", "Optimising"),
                   encoding="utf-8")
    changed = render_document(project.source_dir / "c.md", project).page.html
    assert len(started) == 1 and "Optimising" in changed


def test_a_formula_in_a_title_is_drawn_as_a_formula(tmp_path):
    """Pandoc reads '$_2$' in a BibTeX title as a formula; so does the reference list."""
    bib = ("@article{abu1986, author={Abu-Zeid, M. E.}, title={Thin films of Cu$_2$O}, "
           "journal={Phys Status Solidi}, year={1986}}\n")
    project = with_bibliography(tmp_path, bib, "Cited [@abu1986].")
    build_document(project.source_dir / "c.md", project)
    rendered = render_document(project.source_dir / "c.md", project)
    references = next(b for b in rendered.document.blocks if isinstance(b, m.References))
    formulas = [n for n in m.walk_inlines(references.entries[0].children)
                if isinstance(n, m.Math)]
    assert [f.tex for f in formulas] == ["_2"]
    assert "$" not in texts(project)["html"]


@pytest.mark.parametrize("csl, book, chapter", [
    ("ama", "Jaffé P, ed. Regesta Pontificum Romanorum. 2nd ed. 1885.",
     "Madelung O. Cuprous oxide. In: Madelung O, Rössler U, eds. Landolt-Börnstein. Springer; "
     "1998:1-5."),
    ("vancouver", "Jaffé P, editor. Regesta pontificum romanorum. 2nd ed. 1885.",
     "Madelung O. Cuprous oxide. In: Madelung O, Rössler U, editors. Landolt-börnstein. "
     "Springer; 1998. p. 1–5."),
])
def test_editor_labels_stand_after_the_names_apart_from_them(tmp_path, csl, book, chapter):
    """AMA 11th ed. 3.13.2 ('Jaffé P, ed.') and Citing Medicine ch. 2 ('Madelung O, Rössler U,
    editors'); Pandoc's citeproc prints ', ed.Jaffé P.' and 'In, eds.Madelung O'."""
    bib = ("@book{jaffe, editor = {Jaffé, Philipp}, title = {Regesta Pontificum Romanorum}, "
           "year = {1885}, edition = {2}}\n@incollection{mad, author = {Madelung, O.}, "
           "editor = {Madelung, O. and Rössler, U.}, title = {Cuprous oxide}, "
           "booktitle = {Landolt-Börnstein}, publisher = {Springer}, year = {1998}, "
           "pages = {1--5}}\n")
    project = with_bibliography(tmp_path, bib, "One [@jaffe]. Two [@mad].", csl=csl)
    build_document(project.source_dir / "c.md", project)
    assert references_of(project) == [book, chapter]
    for fmt, text in texts(project).items():
        assert squash(book) in squash(text) and squash(chapter) in squash(text), fmt


def test_small_capitals_a_style_asks_for_are_small_capitals_in_every_format(tmp_path):
    """biblatex's \\textsc (Roman numerals in a title) comes out of Pandoc's citeproc as
    small capitals: a span the stylesheet sets in small capitals on the page and in the PDF,
    and a Word run with its small-capitals property, not plain lowercase."""
    bib = ("@book{jaffe,\n  editor = {Jaff\\'e, Philipp},\n  title = {Regesta ad annum "
           "post Christum natum \\textsc{mcxcviii}},\n  year = {1885},\n}\n")
    project = with_bibliography(tmp_path, bib, "Text [@jaffe].", csl="apa")
    assert run_build(project.root).returncode == 0
    paths = project.outputs("c")
    page = lxml.html.parse(str(paths["html"])).getroot()
    assert [s.text for s in page.xpath("//span[@class='small-caps']")] == ["mcxcviii"]
    runs = [r for p in docx.Document(str(paths["docx"])).paragraphs for r in p.runs]
    assert [r.text for r in runs if r.font.small_caps] == ["mcxcviii"]
    assert "mcxcviii" in texts(project)["pdf"]


# -- Pandoc's own front-matter keys that change the output -----------------------------------

PANDOC_REFERENCES = """references:
- id: harden2022
  type: article-journal
  author:
  - family: Harden
    given: R. Norman
  title: Complex regional pain syndrome practical diagnostic and treatment guidelines
  container-title: Pain Medicine
  issued: 2022
  volume: 23
"""


def _pandoc_keys(tmp_path, extra, body="Guidelines exist [@harden2022]."):
    text = (f'---\ntitle: Citations\nlang: en\nversion: "1"\ndate: 2026-01-01\n'
            f"review_due: 2027-01-01\n{extra}---\n\n## Section\n\n{body}\n")
    project = new_project(tmp_path, {"source/c.md": text})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    return project, result


def test_references_written_in_the_front_matter_are_cited_and_listed(tmp_path):
    """Pandoc's references: (CSL-YAML in the front matter), with no bibliography file; the
    entry is formatted, listed and linked in every format, and no key is unknown."""
    project, result = _pandoc_keys(tmp_path, PANDOC_REFERENCES)
    assert "unknown" not in result.stderr
    for text in texts(project).values():
        assert squash("Harden RN. Complex regional pain syndrome") in squash(text)
    page = lxml.html.parse(str(project.outputs("c")["html"])).getroot()
    assert page.xpath("//span[@class='citation']//a[@href='#ref-harden2022']")


def test_an_unknown_key_beside_front_matter_references_names_them(tmp_path):
    project, result = _pandoc_keys(tmp_path, PANDOC_REFERENCES, "See [@harden2022; @nobody].")
    assert "unknown citation key 'nobody'; add it to the front matter's references" \
        in result.stderr.replace(str(project.root) + "/", "")


def test_suppress_bibliography_prints_citations_without_the_list(tmp_path):
    project, _ = _pandoc_keys(tmp_path, PANDOC_REFERENCES + "suppress-bibliography: true\n")
    for kind, text in texts(project).items():
        assert "Complex regional pain syndrome" not in text, kind
    page = lxml.html.parse(str(project.outputs("c")["html"])).getroot()
    assert page.xpath("//span[@class='citation']") and not page.xpath("//ol[@class='references']")


def test_link_citations_false_leaves_citations_unlinked(tmp_path):
    project, _ = _pandoc_keys(tmp_path, PANDOC_REFERENCES + "link-citations: false\n")
    page = lxml.html.parse(str(project.outputs("c")["html"])).getroot()
    assert page.xpath("//span[@class='citation']") and \
        not page.xpath("//span[@class='citation']//a")
    assert "Complex regional pain syndrome" in texts(project)["pdf"]


def test_a_pandoc_flag_that_is_not_true_or_false_is_one_line(tmp_path):
    text = (f'---\ntitle: C\nlang: en\nversion: "1"\ndate: 2026-01-01\nreview_due: 2027-01-01\n'
            f"suppress-bibliography: sometimes\n---\n\n## Section\n\nText.\n")
    project = new_project(tmp_path, {"source/c.md": text})
    result = run_build(project.root)
    assert result.returncode == 1
    assert "c.md:7: 'suppress-bibliography' is true or false" in result.stderr


def test_two_citations_side_by_side_keep_their_space(tmp_path):
    """'Text [@a] [@b]' in a numeric style: '¹ ²', never '¹²', which reads as twelve; the
    Word file holds two markers, not one (found by the property tests)."""
    project = new_project(tmp_path, {"source/c.md": handout(
        "Text [@sigtermans2009] [@sigtermans2009] and [@sigtermans2009] [@kirkpatrick2020].")})
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    page = lxml.html.parse(str(project.outputs("c")["html"])).getroot()
    text = page.xpath("string(//main//p[contains(., 'Text')])")
    assert "Text1 1 and1 2." == " ".join(text.split()), text
    from handouts.check import docx as word_reader  # runs in the Citation styles, apart
    assert word_reader.read(project.outputs("c")["docx"]).markers == ["1", "1", "1", "2"]


@pytest.mark.parametrize("address", [
    "http://www.zotero.org/styles/plos",
    "https://www.zotero.org/styles/apa",
    "https://raw.githubusercontent.com/citation-style-language/styles/master/apa.csl"])
def test_a_style_named_by_its_address_on_the_web_is_the_bundled_copy(tmp_path, address):
    """R Markdown templates name their style by its Zotero address (rstudio/rticles' PLOS
    skeleton); Pandoc fetches it, this build reads the bundled copy and fetches nothing."""
    name = address.rsplit("/", 1)[1].removesuffix(".csl")
    project = new_project(tmp_path, {"source/c.md": handout("Cited [@sigtermans2009].",
                                                            csl=address)})
    document = build_document(project.source_dir / "c.md", project)
    assert document is not None
    assert cite_format.load_style(load(project.source_dir / "c.md"), project.source_dir
                                  ).path.name == f"{name}.csl"


def test_an_address_of_a_style_not_bundled_is_named_with_the_choices(tmp_path):
    project = new_project(tmp_path, {"source/c.md": handout(
        "Cited [@sigtermans2009].", csl="https://example.org/styles/our-own.csl")})
    with pytest.raises(Diagnostic) as caught:
        build_document(project.source_dir / "c.md", project)
    assert "unknown citation style 'https://example.org/styles/our-own.csl'" in \
        caught.value.message
