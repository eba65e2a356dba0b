"""The build report: what each handout's last good build made, read and warned about.

Each build writes output/reports/NAME.json. `make` then gathers them into
output/report.json, for a clinic's intranet to read, output/index.html, a catalogue page
linking every handout's three files, and a compact table in the terminal.

output/report.json has this shape (REPORT_VERSION 1; fields are added, never renamed):

    {"report_version": 1,
     "handouts": [{"name", "edition", "title", "audience", "lang", "version", "date", "review_due",
                   "approved_by", "approved_on", "seconds", "warnings": [...],
                   "corrections": [...],
                   "files": {"html"|"pdf"|"docx": {"path", "bytes"}}, "pages",
                   "reading": {"grade", "smog", "target", "words", "you",
                               "sections": [{"title", "line", "words", "sentences",
                                             "grade", "smog", "longest": [...]}],
                               "undefined_terms": [[term, line]],
                               "unexplained_abbreviations": [[abbreviation, line]]}}]}
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from handouts.run import leftovers

if TYPE_CHECKING:
    from handouts.check.reading import Reading
    from handouts.read.front_matter import Meta


# run.pipeline's Project and Result, as far as the reports read them (not imported: the
# pipeline imports this module, and the imports point one way).
class Project(Protocol):
    @property
    def output_dir(self) -> Path: ...
    @property
    def reports_dir(self) -> Path: ...
    def documents(self) -> list[Path]: ...


class Result(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def edition(self) -> str: ...
    @property
    def meta(self) -> Meta: ...
    @property
    def seconds(self) -> float: ...
    @property
    def warnings(self) -> Sequence[object]: ...
    @property
    def corrections(self) -> Sequence[str]: ...
    @property
    def outputs(self) -> Mapping[str, Path]: ...
    @property
    def reading(self) -> Reading | None: ...

REPORT_VERSION = 1

# One handout's (edition's) entry of a report, as above. Entries are read back out of the
# files json wrote, and json hands Any: the shape is the one documented above.
Entry = dict[str, Any]


def write_handout_report(project: Project, name: str, results: Sequence[Result],
                         started: float | None = None, shared: object = None) -> None:
    """output/reports/NAME.json: the handout's report, or {"name", "editions": [...]} with
    one report per edition, and the fingerprint of the shared inputs it read. Its time is
    set to when the build began (started, seconds): the handout is rebuilt when its source
    or a shared input changed after that (Project.stale)."""
    reports = [_report_of(result) for result in results]
    data = reports[0] if len(results) == 1 and results[0].name == name else \
        {"name": name, "editions": reports}
    path = project.reports_dir / f"{name}.json"
    _write(path, json.dumps({**data, "shared_inputs": shared}, indent=1))
    if started is not None:
        os.utime(path, (started, started))


def write_editions_report(project: Project, name: str, results: Sequence[Result]) -> None:
    """The editions of a handout put in place before another failed, in its report over
    their earlier entries. The report keeps its time (none: never built), so the handout
    is still rebuilt."""
    path = project.reports_dir / f"{name}.json"
    data: Entry
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        when = path.stat().st_mtime_ns
    except (OSError, ValueError):
        data, when = {"name": name, "editions": []}, 0
    entries = _entries(data)
    for result in results:
        report = _report_of(result)
        at = [n for n, e in enumerate(entries) if e["name"] == result.name]
        if at:
            entries[at[0]] = report
        else:
            entries.append(report)
    _write(path, json.dumps({"name": name, "editions": entries,
                             "shared_inputs": data.get("shared_inputs")}, indent=1))
    os.utime(path, ns=(when, when))


def _entries(data: Entry) -> list[Entry]:
    """The handouts (editions) of one handout's report."""
    if "editions" in data:
        editions: list[Entry] = data["editions"]
        return editions
    return [{k: v for k, v in data.items() if k != "shared_inputs"}]


def _report_of(result: Result) -> Entry:
    meta = result.meta
    assert result.reading is not None  # reports are of whole builds, read for grades
    data: Entry = {
        "name": result.name, "edition": result.edition, "title": meta.title,
        "audience": meta.audience,
        "lang": meta.lang, "version": meta.version, "date": meta.date.isoformat(),
        "review_due": meta.review_due.isoformat(), "approved_by": meta.approved_by,
        "approved_on": meta.approved_on.isoformat() if meta.approved_on else "",
        "seconds": result.seconds, "warnings": [str(w) for w in result.warnings],
        "corrections": result.corrections,
        "files": {fmt: {"path": path.name, "bytes": path.stat().st_size}
                  for fmt, path in result.outputs.items()},
        "pages": _page_count(result.outputs["pdf"]),
        "reading": result.reading.as_dict(),
    }
    return data


def summarize(project: Project) -> list[str]:
    """Gather the handouts' reports into output/report.json and output/index.html; return
    the table to print. Reports of handouts whose source is gone are left out."""
    names = [p.stem for p in project.documents()]
    handouts: list[Entry] = []
    for name in names:
        path = project.reports_dir / f"{name}.json"
        if path.is_file():
            handouts += _entries(json.loads(path.read_text(encoding="utf-8")))
    report = {"report_version": REPORT_VERSION, "handouts": handouts}
    _write(project.output_dir / "report.json", json.dumps(report, indent=1))
    _write(project.output_dir / "index.html", catalogue(handouts))
    return table(handouts)


def table(handouts: Sequence[Entry]) -> list[str]:
    rows: list[tuple[str, ...]] = [("handout", "pages", "size", "time", "warnings", "grade/target", "version",
             "review due", "approved")]
    for h in handouts:
        reading = h["reading"]
        grade = f"{reading['grade']:g}/{reading['target']:g}" if h["audience"] == "patients" \
            else f"{reading['grade']:g}"
        size = sum(f["bytes"] for f in h["files"].values())
        rows.append((h["name"], str(h["pages"]), f"{size / 1024:.0f} KB", f"{h['seconds']:.1f} s",
                     str(len(h["warnings"])), grade, h["version"], h["review_due"],
                     h["approved_on"] or "no"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def catalogue(handouts: Sequence[Entry]) -> str:
    """An accessible catalogue page: every handout with its audience, language, version,
    review date and its three files."""
    rows: list[str] = []
    for h in handouts:
        links = " ".join(
            f'<a href="{html.escape(f["path"])}">{label}<span class="visually-hidden"> of '
            f'{html.escape(h["title"])}</span></a>'
            for fmt, label in (("html", "Web page"), ("pdf", "PDF"), ("docx", "Word"))
            for f in [h["files"][fmt]])
        rows.append(
            f"<tr><th scope=\"row\">{html.escape(h['title'])}</th>"
            f"<td>{html.escape(h.get('edition') or h['audience'])}</td>"
            f"<td>{html.escape(h['lang'])}</td>"
            f"<td>{html.escape(h['version'])}</td><td>{h['review_due']}</td>"
            f"<td>{links}</td></tr>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Handouts</title>
<style>
body {{ font-family: system-ui, sans-serif; color: #1a1a1a; max-width: 60em; margin: 0 auto;
       padding: 1.5em 1em; line-height: 1.45; }}
h1 {{ color: #1f4e79; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #1f4e79; padding: 0.4em 0.5em; text-align: left;
         vertical-align: top; }}
a {{ color: #1d5a4c; margin-right: 0.8em; display: inline-block; padding: 0.2em 0; }}
.visually-hidden {{ position: absolute; width: 1px; height: 1px; overflow: hidden;
                    clip: rect(0 0 0 0); white-space: nowrap; }}
</style></head>
<body><main>
<h1>Handouts</h1>
<table>
<caption class="visually-hidden">Every handout, its readers, version and files</caption>
<thead><tr><th scope="col">Title</th><th scope="col">For</th><th scope="col">Language</th>
<th scope="col">Version</th><th scope="col">Review due</th><th scope="col">Files</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
</main></body></html>
"""


def _write(path: Path, text: str) -> None:
    """Write whole or not at all: a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=leftovers.staged_prefix(path), dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(name, 0o644)
    os.replace(name, path)


def _page_count(pdf: Path) -> int:
    import pypdfium2  # loaded here: a failed build never gets this far
    document = pypdfium2.PdfDocument(pdf)
    try:
        pages: int = len(document)  # pypdfium2 ships no types
        return pages
    finally:
        document.close()
