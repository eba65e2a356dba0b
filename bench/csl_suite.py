#!/usr/bin/env python3
"""The CSL processor test suite against Pandoc's citeproc and citeproc-py; writes
bench/csl_suite.md.

    git clone https://github.com/citation-style-language/test-suite /tmp/csl-test-suite
    .venv/bin/python bench/csl_suite.py /tmp/csl-test-suite/processor-tests/humans
    .venv/bin/python bench/csl_suite.py FIXTURES --only name_ --show   # some fixtures, diffs

The fixtures (citation-style-language/test-suite, processor-tests/humans/*.txt) are not
copied here: the script reads whichever folder it is given and records the folder's git
commit when it is a clone. Each fixture gives a CSL style, its items as CSL-JSON, the
citations to make, and what citeproc-js (Zotero's engine) prints, in HTML.

Engines:
  pandoc      the pandoc binary inside the pinned `pypandoc-binary` wheel (Pandoc 3.9, its
              citeproc library), given the fixture's CSL file, its items as a CSL-JSON
              bibliography and a document (Pandoc's JSON AST) holding one Cite per citation:
              locators are written into the suffix as Pandoc users write them ("chap. 4"),
              a citation with a noteIndex (and, in a note style, every citation) sits in a
              footnote of its own, suppress-author is Pandoc's SuppressAuthor; prefixes and
              suffixes are Pandoc inlines, their straight quotes curled as Pandoc's
              Markdown reader curls them. Output is Pandoc's HTML.
  citeproc-py the pinned citeproc-py, run as its own test harness runs it, HTML formatter.

Both outputs and the expected HTML go through one normaliser (canonical()): markup is
compared by meaning, not spelling (<em> = <i>, <strong> = <b>, class="smallcaps" =
style="font-variant:small-caps", ...), links and wrapper spans are dropped, entities are
decoded and runs of white space are one space. Nothing else is forgiven. The counts are of
fixtures: one passes when every citation (citation mode) or the whole bibliography
(bibliography mode) matches.

Skipped, for both engines (what neither Pandoc's document interface nor this harness can
express, as jgm/citeproc's own harness also leaves out): modes other than citation and
bibliography (bibliography-header, ...), BIBSECTION (a filtered bibliography). Skipped for
Pandoc only: fixtures whose citation items use author-only or composite, which a Pandoc
document cannot say; those are counted against Pandoc in the "of all fixtures" column.
"""

import argparse
import datetime
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import lxml.etree
import lxml.html

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "csl_suite.md"

SECTION = re.compile(r"^>>=+\s*([A-Z-]+)\s*=+>>\s*$(.*?)^<<=+\s*\1\s*=+<<\s*$",
                     re.MULTILINE | re.DOTALL)


def pandoc_binary() -> Path:
    import pypandoc  # the pinned pypandoc-binary wheel
    path = Path(pypandoc.__file__).parent / "files" / "pandoc"
    if not path.is_file():
        sys.exit(f"{path}: no pandoc binary; install the pinned pypandoc-binary wheel")
    return path


def parse_fixture(path: Path) -> dict:
    text = path.read_text(encoding="utf-8-sig")
    sections = {name.lower(): body.strip("\n") for name, body in SECTION.findall(text)}
    data = {"mode": sections.get("mode", "").strip(), "result": sections.get("result", ""),
            "csl": sections.get("csl", "")}
    for name in ("input", "citation-items", "citations", "bibentries", "bibsection",
                 "abbreviations", "options"):
        data[name] = json.loads(sections[name]) if name in sections else None
    for i, item in enumerate(data["input"] or []):
        item["id"] = str(item.get("id", i))
        item.setdefault("type", "book")
    return data


def citations_of(data: dict) -> list[dict]:
    """Each citation to make: {"items": [...], "note": int}, in document order."""
    if data["citations"] is not None:
        found = []
        for entry in data["citations"]:
            citation = entry[0]
            found = [c for c in found if c["id"] is None or c["id"] != citation.get("citationID")]
            found.append({"id": citation.get("citationID"),
                          "items": citation["citationItems"],
                          "note": int((citation.get("properties") or {}).get("noteIndex") or 0)})
        return found
    if data["citation-items"] is not None:
        return [{"id": None, "items": items, "note": 0} for items in data["citation-items"]]
    ids = list(dict.fromkeys(item["id"] for item in data["input"]))
    if data["bibentries"]:
        ids = [str(i) for i in data["bibentries"][-1]]
    if data["mode"] == "citation":
        return [{"id": None, "items": [{"id": i} for i in ids], "note": 0}]
    return [{"id": None, "items": [{"id": i}], "note": 0} for i in ids]


def expected_parts(data: dict) -> list[str]:
    """The expected output as canonical parts: all citations as one text (as jgm/citeproc's
    harness compares them: a style may put line breaks inside one citation), or one part
    per bibliography entry."""
    if data["mode"] == "citation":
        lines = data["result"].splitlines()
        if data["citations"] is not None:
            lines = [re.sub(r"^(\.\.|>>)\[\d+\]\s?", "", line) for line in lines]
        return [canonical("\n".join(lines))]
    return bibliography_parts(data["result"])


def bibliography_parts(html: str) -> list[str]:
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    entries = root.xpath(".//div[contains(concat(' ', @class, ' '), ' csl-entry ')]")
    return [canonical_element(e) for e in entries]


# --- the normaliser ----------------------------------------------------------------------

def _style(element) -> str:
    return re.sub(r"\s", "", element.get("style") or "").lower()


def _classes(element) -> set[str]:
    return set((element.get("class") or "").split())


def _canonical_tag(element) -> str | None:
    """The meaning of an element's markup, or None for markup that means nothing here."""
    tag, style, classes = element.tag, _style(element), _classes(element)
    if tag in ("i", "em"):
        return "i"
    if tag in ("b", "strong"):
        return "b"
    if tag in ("sup", "sub", "br"):
        return tag
    if tag == "u" or "underline" in style or "underline" in classes:
        return "u"
    if "font-variant:small-caps" in style or "smallcaps" in classes:
        return "sc"
    if ("font-style:normal" in style or "font-weight:normal" in style
            or "font-variant:normal" in style or "nodecor" in classes):
        return "nodecor"
    for name in BLOCKS:
        if name in classes:
            return name
    return None


BLOCKS = ("csl-left-margin", "csl-right-inline", "csl-block", "csl-indent")


def canonical_element(element, top: bool = True, italic: bool = False) -> str:
    """Italics inside italics is roman (CSL's flip-flop: Pandoc nests Emph, citeproc-js
    writes font-style:normal); white space at the edges of a block is not text."""
    parts = [element.text or ""]
    for child in element:
        if not isinstance(child.tag, str):  # comments
            parts.append(child.tail or "")
            continue
        tag = _canonical_tag(child)
        if tag == "i" and italic:
            tag = "nodecor"
        inner = canonical_element(child, top=False, italic=(italic or tag == "i")
                                  and tag != "nodecor")
        if tag in BLOCKS:
            inner = inner.strip()
        parts.append(f"<{tag}>{inner}</{tag}>" if tag else inner)
        parts.append(child.tail or "")
    text = re.sub(r"\s+", " ", "".join(parts))
    return text.strip() if top else text


def _joined(parts: list[str]) -> str:
    """Canonical texts of several citations as one (as the expected text is one)."""
    return re.sub(r"\s+", " ", " ".join(parts)).strip()


def canonical(html: str) -> str:
    if not html.strip():
        return ""
    return canonical_element(lxml.html.fragment_fromstring(html, create_parent="div"))


# --- Pandoc ------------------------------------------------------------------------------

LOCATOR_TERMS = {  # CSL locator label -> what a Pandoc user writes (en-US short forms)
    "act": "act", "appendix": "app.", "article-locator": "art.", "book": "bk.",
    "canon": "c.", "chapter": "chap.", "column": "col.", "elocation": "loc.",
    "equation": "eq.", "figure": "fig.", "folio": "fol.", "issue": "no.", "line": "l.",
    "note": "n.", "opus": "op.", "page": "p.", "paragraph": "para.", "part": "pt.",
    "rule": "r.", "scene": "sc.", "section": "sec.", "sub-verbo": "s.v.", "sub verbo": "s.v.",
    "supplement": "supp.", "table": "tbl.", "timestamp": "", "title-locator": "tit.",
    "verse": "v.", "volume": "vol.",
}


def _inlines(text: str) -> list[dict]:
    """Words and spaces; straight quotes curled as Pandoc's Markdown reader does."""
    text = re.sub(r'"([^"]*)"', "\u201c\\1\u201d", text)
    text = re.sub(r"(?<=\w)'(?=\w)", "\u2019", text)
    out: list[dict] = []
    for i, word in enumerate(re.split(r"(\s+)", text)):
        if i % 2:
            out.append({"t": "Space"})
        elif word:
            out.append({"t": "Str", "c": word})
    return out


INLINE_MARKUP = {"i": "Emph", "b": "Strong", "sc": "SmallCaps", "sup": "Superscript",
                 "sub": "Subscript", "u": "Underline"}


def _inlines_from_html(html: str) -> list[dict]:
    """A prefix or suffix (which the suite writes in HTML) as Pandoc inlines."""
    def walk(element) -> list[dict]:
        out = _inlines(element.text or "")
        for child in element:
            inner = walk(child)
            kind = INLINE_MARKUP.get(_canonical_tag(child) or "")
            out += [{"t": kind, "c": inner}] if kind else inner
            out += _inlines(child.tail or "")
        return out
    if not html:
        return []
    return walk(lxml.html.fragment_fromstring(html, create_parent="div"))


def pandoc_unsupported(data: dict) -> str | None:
    for citation in citations_of(data):
        for item in citation["items"]:
            if item.get("author-only"):
                return "author-only"
            if item.get("composite"):
                return "composite"
    return None


def pandoc_cite(citation: dict, note_style: bool) -> dict:
    cites = []
    for item in citation["items"]:
        suffix: list[dict] = []
        if item.get("locator") not in (None, ""):
            term = LOCATOR_TERMS.get(item.get("label") or "page", item.get("label"))
            suffix = [{"t": "Str", "c": f", {term} {item['locator']}".replace("  ", " ")}]
        suffix += _inlines_from_html(item.get("suffix") or "")
        mode = "SuppressAuthor" if item.get("suppress-author") else "NormalCitation"
        cites.append({"citationId": str(item["id"]),
                      "citationPrefix": _inlines_from_html(item.get("prefix") or ""),
                      "citationSuffix": suffix,
                      "citationMode": {"t": mode}, "citationNoteNum": citation["note"],
                      "citationHash": 0})
    cite = {"t": "Cite", "c": [cites, []]}
    if note_style:
        # In a note style, each citation sits in a footnote of its own, so Pandoc neither
        # makes a footnote of it nor capitalises its first word (a citation Pandoc moves
        # into a new footnote is capitalised there; the library itself does not).
        return {"t": "Para", "c": [{"t": "Note", "c": [{"t": "Para", "c": [
            cite]}]}]}
    if citation["note"]:
        return {"t": "Para", "c": [{"t": "Note", "c": [{"t": "Para", "c": [cite]}]}]}
    return {"t": "Para", "c": [cite]}


def _walk_cites(node, found: list) -> None:
    if isinstance(node, dict):
        if node.get("t") == "Cite":
            found.append(node["c"][1])
            return
        for value in node.values():
            _walk_cites(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk_cites(value, found)


def _find_refs(node):
    if isinstance(node, dict):
        if node.get("t") == "Div" and node["c"][0][0] == "refs":
            return node
        for value in node.values():
            if (hit := _find_refs(value)) is not None:
                return hit
    elif isinstance(node, list):
        for value in node:
            if (hit := _find_refs(value)) is not None:
                return hit
    return None


def run_pandoc(pandoc: Path, data: dict, work: Path) -> list[str]:
    (work / "style.csl").write_text(data["csl"], encoding="utf-8")
    (work / "items.json").write_text(json.dumps(data["input"]), encoding="utf-8")
    citations = citations_of(data)
    note_style = lxml.etree.fromstring(data["csl"].encode()).get("class") == "note"
    for n, citation in enumerate(citations, 1):
        if note_style and not citation["note"]:
            citation["note"] = n
    meta = {}
    args = [str(pandoc), "-f", "json", "-t", "json", "--citeproc", "--csl", "style.csl",
            "--bibliography", "items.json", "-M", "link-citations=false",
            "-M", "link-bibliography=false"]
    if data["abbreviations"]:
        abbreviations = data["abbreviations"]
        (work / "abbreviations.json").write_text(json.dumps(abbreviations), encoding="utf-8")
        args += ["-M", "citation-abbreviations=abbreviations.json"]
    document = {"pandoc-api-version": [1, 23, 1, 1], "meta": meta,
                "blocks": [pandoc_cite(c, note_style) for c in citations]}
    done = subprocess.run(args, input=json.dumps(document), capture_output=True, text=True,
                          cwd=work, timeout=60, check=True)
    result = json.loads(done.stdout)
    # Render the citations' inlines and the entries to HTML in one more run.
    blocks = []
    if data["mode"] == "citation":
        cites: list = []
        _walk_cites(result["blocks"], cites)
        for inlines in cites:
            if len(inlines) == 1 and inlines[0]["t"] == "Note":  # a note style's footnote
                inlines = inlines[0]["c"][0]["c"]
            blocks.append({"t": "Div", "c": [["", ["part"], []], [{"t": "Plain", "c": inlines}]]})
    else:
        refs = _find_refs(result["blocks"])
        blocks = refs["c"][1] if refs else []
    document = {"pandoc-api-version": result["pandoc-api-version"], "meta": {},
                "blocks": blocks}
    done = subprocess.run([str(pandoc), "-f", "json", "-t", "html", "--wrap=none"],
                          input=json.dumps(document), capture_output=True, text=True,
                          cwd=work, timeout=60, check=True)
    root = lxml.html.fragment_fromstring(done.stdout or "<div></div>", create_parent="div")
    if data["mode"] == "citation":
        parts = [canonical_element(d) for d in root.xpath("./div[@class='part']")]
        return [_joined(parts)]
    return [canonical_element(e) for e in root.xpath("./div")]


# --- citeproc-py -------------------------------------------------------------------------

def run_citeproc_py(data: dict) -> list[str]:
    from citeproc import CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source import Citation, CitationItem, Locator
    from citeproc.source.json import CiteProcJSON

    style = CitationStylesStyle(io.BytesIO(data["csl"].encode("utf-8")), validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(data["input"]),
                                              formatter.html)
    made = []
    for spec in citations_of(data):
        items = []
        for raw in spec["items"]:
            options = {}
            for key, value in raw.items():
                if key in ("id", "label"):
                    continue
                if key == "locator":
                    options["locator"] = Locator(raw.get("label") or "page", value)
                else:
                    options[key.replace("-", "_")] = value
            items.append(CitationItem(str(raw["id"]), **options))
        citation = Citation(items)
        citation.note_index = spec["note"]
        made.append(citation)
    for citation in made:
        bibliography.register(citation)
    if style.has_bibliography():
        bibliography.sort()
    if data["mode"] == "citation":
        texts = [str(bibliography.cite(c, lambda _: None)) for c in made]
        return [_joined([canonical(t) for t in texts])]
    return [canonical(str(entry)) for entry in bibliography.bibliography()]


# --- the run -----------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("fixtures", type=Path, help="processor-tests/humans of test-suite")
    parser.add_argument("--only", default="", help="fixtures whose name holds this text")
    parser.add_argument("--show", action="store_true", help="print each failure's diff")
    parser.add_argument("--no-write", action="store_true", help="leave csl_suite.md alone")
    options = parser.parse_args()
    pandoc = pandoc_binary()
    version = subprocess.run([str(pandoc), "--version"], capture_output=True, text=True,
                             check=True).stdout.splitlines()[0]
    import citeproc
    paths = sorted(p for p in options.fixtures.glob("*.txt") if options.only in p.name)
    if not paths:
        sys.exit(f"{options.fixtures}: no fixtures (*.txt) there")
    counts = {engine: Counter() for engine in ("pandoc", "citeproc-py")}
    skipped: Counter = Counter()
    failures: dict[str, list[str]] = {"pandoc": [], "citeproc-py": []}
    for path in paths:
        try:
            data = parse_fixture(path)
        except (ValueError, KeyError) as exc:
            skipped[f"unreadable fixture ({type(exc).__name__})"] += 1
            continue
        mode = data["mode"]
        if mode not in ("citation", "bibliography"):
            skipped[f"mode {mode}"] += 1
            continue
        if data["bibsection"] is not None:
            skipped["BIBSECTION (filtered bibliography)"] += 1
            continue
        expected = expected_parts(data)
        for engine in ("pandoc", "citeproc-py"):
            counts[engine][(mode, "total")] += 1
            if engine == "pandoc" and (reason := pandoc_unsupported(data)):
                counts[engine][(mode, f"unexpressible: {reason}")] += 1
                continue
            try:
                if engine == "pandoc":
                    with tempfile.TemporaryDirectory() as work:
                        actual = run_pandoc(pandoc, data, Path(work))
                else:
                    actual = run_citeproc_py(data)
            except Exception as exc:  # noqa: BLE001 - an engine's crash is a failure
                counts[engine][(mode, "error")] += 1
                failures[engine].append(f"{path.stem}: {type(exc).__name__}: {exc}"[:300])
                continue
            if actual == expected:
                counts[engine][(mode, "pass")] += 1
            else:
                counts[engine][(mode, "fail")] += 1
                failures[engine].append(path.stem)
                if options.show:
                    print(f"--- {engine} {path.stem}")
                    for e, a in zip(expected + [""] * len(actual), actual + [""] * len(expected)):
                        if e != a:
                            print(f"  expected: {e}\n  actual:   {a}")
    commit = subprocess.run(["git", "-C", str(options.fixtures), "rev-parse", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    report = render(counts, skipped, failures, len(paths), version, citeproc.__version__,
                    commit)
    print(report)
    if not options.no_write and not options.only:
        RESULTS.write_text(report, encoding="utf-8")


def render(counts, skipped, failures, fixtures, version, citeproc_version, commit) -> str:
    def row(engine: str, label: str) -> str:
        c = counts[engine]
        cells = []
        passed_all = 0
        total_all = 0
        for mode in ("citation", "bibliography"):
            total, passed = c[(mode, "total")], c[(mode, "pass")]
            passed_all += passed
            total_all += total
            cells.append(f"{passed}/{total}")
        unexpressible = sum(v for (m, k), v in c.items() if k.startswith("unexpressible"))
        errors = sum(v for (m, k), v in c.items() if k == "error")
        attempted = total_all - unexpressible
        return (f"| {label} | {cells[0]} | {cells[1]} | **{passed_all}/{total_all} "
                f"({passed_all / total_all:.1%})** | {passed_all}/{attempted} "
                f"({passed_all / attempted:.1%}) | {unexpressible} | {errors} |")

    lines = [
        "# The CSL processor test suite",
        "",
        f"Measured {datetime.date.today().isoformat()} by `bench/csl_suite.py` on "
        f"citation-style-language/test-suite at commit `{commit}` (processor-tests/humans, "
        f"{fixtures} fixtures, read in place, not copied: the repository carries no licence "
        "file). Passing = every citation or the "
        "whole bibliography identical to citeproc-js's expected HTML after one shared "
        "normaliser (markup by meaning, entities decoded, white space collapsed).",
        "",
        "| engine | citation mode | bibliography mode | all run | of those it can be asked "
        "| not expressible | crashed |",
        "|---|---|---|---|---|---|---|",
        row("pandoc", f"Pandoc's citeproc ({version}, pypandoc-binary 1.17)"),
        row("citeproc-py", f"citeproc-py {citeproc_version}"),
        "",
        "Skipped for both engines: " + (", ".join(f"{k}: {v}" for k, v in
                                                sorted(skipped.items())) or "none") + ".",
        "",
    ]
    for engine in ("pandoc", "citeproc-py"):
        c = counts[engine]
        extra = ", ".join(f"{k}: {v}" for (m, k), v in sorted(c.items())
                          if k.startswith("unexpressible"))
        if extra:
            lines += [f"Not expressible in a Pandoc document ({engine}): {extra}.", ""]
    for engine in ("pandoc", "citeproc-py"):
        lines += [f"<details><summary>{engine}: the {len(failures[engine])} failing "
                  "fixtures</summary>", "", ", ".join(failures[engine]), "", "</details>", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
