"""Real documents, built as their authors wrote them, measured against Pandoc's reading.

Each folder under the corpus (default tests/corpus/real/) holds one document as it was
fetched (Markdown, Quarto, R Markdown) with its pictures and bibliography; SOURCES.md names
where each came from. Each is copied into a fresh project and built as a draft with
build.py, as a new user would. For each, the words Pandoc's reading of the same file keeps
(`pandoc -t plain`) are counted, and so are those of them missing from each of our three
outputs. The issue's bar: no output loses more than 3% of Pandoc's words, and none shows
raw box or alert markup.

    python bench/real_documents.py [CORPUS] [--keep DIR]   writes bench/real_documents.md
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DOCUMENTS = (".md", ".qmd", ".Rmd", ".rmd", ".markdown")
# What must never reach a page: another tool's markup for boxes, tabs and alerts.
RAW_MARKUP = re.compile(r"\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]|^\s*(:::|\?\?\?|!!!|===\s*\")"
                        r"|\{\{<|\{#[\w-]+", re.M | re.I)
WORD = re.compile(r"\w+")
KNITR_CHUNK = re.compile(r"^(\s*```+)\s*\{(\w+)[ ,][^}\n]*\}", re.M)
MKDOCS_FENCE = re.compile(r"""^(\s*```+)\s*(\w+)\s+title=["']([^"'\n]*)["'].*$""", re.M)
MKDOCS_ICON = re.compile(r":(?:material|octicons|fontawesome|simple)-[a-z0-9-]+:")
LIMIT = 0.03  # the share of Pandoc's words an output may lose


def pandoc() -> str:
    """The pinned wheel's pandoc (pypandoc-binary), else one on PATH."""
    try:
        import pypandoc  # type: ignore[import-untyped]
        return str(Path(pypandoc.__file__).parent / "files" / "pandoc")
    except ImportError:
        found = shutil.which("pandoc")
        if not found:
            raise SystemExit("pandoc not found: pip install pypandoc-binary")
        return found


def words(text: str) -> collections.Counter[str]:
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", text)  # a word hyphenated at a line's end
    text = text.replace("’", "'").replace("_", " ")
    return collections.Counter(w.lower() for w in WORD.findall(text))


def pandoc_words(path: Path) -> collections.Counter[str]:
    """The words of Pandoc's reading, less formulas (drawn, not words, in ours) and the
    keys of citations (printed formatted in ours, as '[@key]' in Pandoc's plain text)."""
    # What the document's own tool never prints as text, and Pandoc, reading the file
    # without that tool, would: a knitr chunk's options ({r name, fig.cap=...}) and an
    # MkDocs fence's title="..." (Pandoc prints the fence line of either as text), and
    # MkDocs' icon shortcodes (:octicons-file-code-16:, drawn as icons). Each is written as
    # Pandoc's own form of the same thing, or left out.
    text = KNITR_CHUNK.sub(r"\1{.\2}", path.read_text(encoding="utf-8"))
    text = MKDOCS_FENCE.sub(r'\1{.\2 title="\3"}', text)
    text = MKDOCS_ICON.sub("", text)
    tree = json.loads(subprocess.run([pandoc(), "-f", "markdown", "-t", "json"], input=text,
                                     capture_output=True, text=True, check=True).stdout)
    plain = subprocess.run([pandoc(), "-f", "json", "-t", "plain", "--wrap=none"],
                           input=json.dumps(_without(tree, {"Math", "Cite"})),
                           capture_output=True, text=True, check=True).stdout
    return words(plain)


def _without(node: object, kinds: set[str]) -> object:
    if isinstance(node, list):
        return [_without(n, kinds) for n in node
                if not (isinstance(n, dict) and n.get("t") in kinds)]
    if isinstance(node, dict):
        return {k: _without(v, kinds) for k, v in node.items()}
    return node


def output_texts(out: Path, stem: str) -> dict[str, str]:
    """The text of each output of one handout (every edition's files joined)."""
    import lxml.html
    import pypdfium2
    from docx import Document

    texts = {"html": "", "pdf": "", "docx": "", "prose": ""}
    for html in sorted(out.glob(f"{stem}*.html")):
        page = lxml.html.parse(str(html)).getroot()
        # The page is written without spaces between its blocks: join texts with one.
        texts["html"] += " ".join(page.itertext()) + "\n"
        for code in page.xpath("//pre|//code"):  # examples of markup are not markup
            code.drop_tree()
        texts["prose"] += " ".join(page.itertext()) + "\n"
    for pdf in sorted(out.glob(f"{stem}*.pdf")):
        if pdf.name.endswith("-booklet.pdf"):
            continue
        document = pypdfium2.PdfDocument(str(pdf))
        texts["pdf"] += "\n".join(page.get_textpage().get_text_range() for page in document)
    for docx in sorted(out.glob(f"{stem}*.docx")):
        word = Document(str(docx))
        parts = [p.text for p in word.paragraphs]
        parts += [c.text for t in word.tables for row in t.rows for c in row.cells]
        body = word.element.body
        parts += ["".join(t.text or "" for t in body.iter() if t.tag.endswith("}t"))]
        for rel in word.part.rels.values():  # footnotes
            if rel.reltype.endswith("/footnotes"):
                parts.append(rel.target_part.blob.decode("utf-8", "replace"))
        texts["docx"] += "\n".join(parts)
    return texts


@dataclass
class Outcome:
    name: str
    built: bool
    exit_status: int
    pandoc_words: int
    lost: dict[str, float] = field(default_factory=dict)
    missing: dict[str, list[str]] = field(default_factory=dict)
    raw_markup: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


def build_one(folder: Path, keep: Path | None) -> Outcome:
    document = next(p for p in sorted(folder.iterdir()) if p.suffix in DOCUMENTS)
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        shutil.copytree(ROOT / "styles", project / "styles")
        source = project / "source"
        shutil.copytree(folder, source, ignore=shutil.ignore_patterns("SOURCES.md"))
        # build.py reads source/*.md, and output/index.html is the catalogue: the file's
        # name and extension are the only things adapted.
        handout = source / (folder.name + ".md")
        (source / document.name).rename(handout)
        run = subprocess.run([sys.executable, str(ROOT / "build.py"), "--root", str(project),
                              str(handout)], capture_output=True, text=True, timeout=600)
        messages = [line for line in (run.stdout + run.stderr).splitlines() if line.strip()]
        expected = pandoc_words(document)
        outcome = Outcome(folder.name, run.returncode == 0, run.returncode,
                          sum(expected.values()), messages=messages)
        texts = output_texts(project / "output", handout.stem)
        outcome.raw_markup = [m.group(0).strip()
                              for m in RAW_MARKUP.finditer(texts.pop("prose"))][:5]
        for kind, text in texts.items():
            if not text:
                outcome.lost[kind] = 1.0
                continue
            missing = expected - words(text)
            outcome.lost[kind] = sum(missing.values()) / max(1, sum(expected.values()))
            outcome.missing[kind] = sorted(missing, key=lambda w: -missing[w])[:12]
        if keep:
            shutil.copytree(project / "output", keep / folder.name, dirs_exist_ok=True)
    return outcome


def table(outcomes: list[Outcome]) -> str:
    rows = ["| document | builds | Pandoc's words | lost: web page | PDF | Word | raw markup |",
            "|---|---|---|---|---|---|---|"]
    for o in outcomes:
        lost = [f"{o.lost.get(k, 1.0):.1%}" for k in ("html", "pdf", "docx")]
        rows.append(f"| {o.name} | {'yes' if o.built else f'no ({o.exit_status})'} | "
                    f"{o.pandoc_words} | {' | '.join(lost)} | {len(o.raw_markup) or 'none'} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(ROOT / "tests/corpus/real"))
    parser.add_argument("--keep", help="copy each document's outputs into this folder")
    parser.add_argument("--write", default=str(ROOT / "bench/real_documents.md"))
    args = parser.parse_args()
    keep = Path(args.keep) if args.keep else None
    folders = sorted(p for p in Path(args.corpus).iterdir() if p.is_dir())
    outcomes = []
    for folder in folders:
        o = build_one(folder, keep)
        outcomes.append(o)
        worst = max(o.lost.values()) if o.lost else 1.0
        print(f"{o.name}: {'built' if o.built else 'FAILED'}, worst loss {worst:.1%}"
              f"{', raw markup: ' + '; '.join(o.raw_markup) if o.raw_markup else ''}")
        for line in o.messages[:8]:
            print("    " + line[:200])
        for kind, missing in o.missing.items():
            if o.lost[kind] > LIMIT:
                print(f"    {kind} misses: {' '.join(missing)}")
    report = table(outcomes)
    print(report)
    if args.write:
        Path(args.write).write_text(
            "# Real documents against Pandoc's reading\n\n"
            "`make bench-real` (bench/real_documents.py): each document of tests/corpus/real/ "
            "built as a draft, as its author wrote it; the share of the words Pandoc's "
            "reading keeps (`pandoc -t plain`) that each output lacks.\n\n" + report + "\n")
    failed = [o for o in outcomes if not o.built or o.raw_markup
              or max(o.lost.values(), default=1.0) > LIMIT]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
