"""The build report: what each handout's last good build made, read and warned about.

Each build writes output/reports/NAME.json. `make` then gathers them into
output/report.json, for a clinic's intranet to read, output/index.html, a catalogue page
linking every handout's three files, and a compact table in the terminal.

output/report.json has this shape (REPORT_VERSION 1; fields are added, never renamed):

    {"report_version": 1,
     "handouts": [{"name", "edition", "title", "audience", "lang", "version", "date", "review_due",
                   "draft" (lacks document control), "missing": [version|date|review_due|lang],
                   "approved_by", "approved_on", "seconds", "warnings": [...],
                   "corrections": [...],
                   "files": {"html"|"pdf"|"docx"|"booklet": {"path", "bytes"}}, "pages",
                   "reading": {"grade", "smog", "target", "words", "you",
                               "sections": [{"title", "line", "words", "sentences",
                                             "grade", "smog", "longest": [...]}],
                               "undefined_terms": [[term, line]],
                               "unexplained_abbreviations": [[abbreviation, line]]},
                   "status": "current"|"draft" (approved and not a draft, or not),
                   "archived": [{"version", "archived_on", "folder", "files": [...]}]}],
     "withdrawn": [{"name", "title", "version", "editions", "withdrawn_on",
                    "archived": [...as above]}]}

"files" lists only the files that are in output/ (one deleted by hand is left out), and
the catalogue links only those. Released versions are kept in output/archive/ (see
run/archive.py) and linked from the catalogue, withdrawn handouts included.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import quote
from typing import TYPE_CHECKING, Any, Protocol

from handouts.run import archive, leftovers
from handouts.run.project import Project

if TYPE_CHECKING:
    from handouts.check.reading import Reading
    from handouts.read.front_matter import Meta


# run.pipeline's Result, as far as the reports read it (not imported: the pipeline
# imports this module, and the imports point one way).
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
    @property
    def booklet(self) -> Path | None: ...

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
    entries = archive.entries_of(data)
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


def _report_of(result: Result) -> Entry:
    meta = result.meta
    assert result.reading is not None  # reports are of whole builds, read for grades
    data: Entry = {
        "name": result.name, "edition": result.edition, "title": meta.title,
        "audience": meta.audience,
        "lang": meta.lang, "version": meta.version,
        "date": meta.date.isoformat() if meta.date else "",
        "review_due": meta.review_due.isoformat() if meta.review_due else "",
        "draft": meta.draft, "missing": list(meta.missing), "approved_by": meta.approved_by,
        "approved_on": meta.approved_on.isoformat() if meta.approved_on else "",
        "seconds": result.seconds, "warnings": [str(w) for w in result.warnings],
        "corrections": result.corrections,
        "files": {fmt: {"path": path.name, "bytes": path.stat().st_size}
                  for fmt, path in [*result.outputs.items(),
                                    *([("booklet", result.booklet)] if result.booklet else [])]},
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
            versions = [_archived(record) for record in archive.archived(project, name)]
            for entry in archive.entries_of(json.loads(path.read_text(encoding="utf-8"))):
                entry["files"] = {fmt: f for fmt, f in entry["files"].items()
                                  if (project.output_dir / f["path"]).is_file()}
                entry["status"] = "current" if entry.get("approved_by") and \
                    not entry.get("draft") else "draft"
                entry["archived"] = [_of_edition(v, entry["name"]) for v in versions]
                handouts.append(entry)
    withdrawn = [{**note, "archived": [_archived(r) for r in
                                       archive.archived(project, note["name"])]}
                 for note in archive.withdrawn(project)]
    report = {"report_version": REPORT_VERSION, "handouts": handouts, "withdrawn": withdrawn}
    _write(project.output_dir / "report.json", json.dumps(report, indent=1))
    _write(project.output_dir / "index.html", catalogue(handouts, withdrawn))
    lines = table(handouts)
    lines += [f"withdrawn: {w['name']} on {w['withdrawn_on']}; archived versions: "
              f"{', '.join(v['version'] for v in w['archived']) or 'none'}" for w in withdrawn]
    return lines


def _archived(record: Entry) -> Entry:
    """What the report and the catalogue say of an archived version: its record without
    the copy of the report, and the files by their path in output/."""
    files = [f"{record['folder']}/{name}" for name in [*record.get("files", []), archive.RECORD]]
    return {"version": str(record.get("version", "")),
            "archived_on": record.get("archived_on", ""),
            "archived_because": record.get("archived_because", ""),
            "approved_by": record.get("approved_by", ""),
            "approved_on": record.get("approved_on", ""),
            "folder": record["folder"], "files": files}


def _of_edition(version: Entry, name: str) -> Entry:
    """An archived version as one edition's row shows it: that edition's files and the
    approval record."""
    files = [f for f in version["files"]
             if f.rsplit("/", 1)[-1].rsplit(".", 1)[0] == name
             or f.endswith("/" + archive.RECORD)]
    return {**version, "files": files}


def table(handouts: Sequence[Entry]) -> list[str]:
    rows: list[tuple[str, ...]] = [("handout", "pages", "size", "time", "warnings", "grade/target", "version",
             "review due", "approved")]
    for h in handouts:
        reading = h["reading"]
        grade = f"{reading['grade']:g}/{reading['target']:g}" if h["audience"] == "patients" \
            else f"{reading['grade']:g}"
        size = sum(f["bytes"] for f in h["files"].values())
        rows.append((h["name"], str(h["pages"]), f"{size / 1024:.0f} KB", f"{h['seconds']:.1f} s",
                     str(len(h["warnings"])), grade, h["version"] or "DRAFT",
                     h["review_due"] or "DRAFT",
                     h["approved_on"] or "no"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


LABELS = (("html", "Web page"), ("pdf", "PDF"), ("docx", "Word"), ("booklet", "Booklet"))
STATUS = {"current": "Current", "draft": "Draft (not approved)", "withdrawn": "Withdrawn"}


def _status(entry: Entry) -> str:
    """Current, Draft (not approved), or DRAFT and what document control it lacks."""
    if entry.get("draft"):
        return html.escape("DRAFT (no " + ", ".join(
            str(k).replace("_", " ") for k in entry.get("missing", [])) + ")")
    return STATUS[entry.get("status", "draft")]


def catalogue(handouts: Sequence[Entry], withdrawn: Sequence[Entry] = ()) -> str:
    """An accessible catalogue page: every handout (current, draft, withdrawn) with its
    audience, language, version, review date, its files and its archived versions. Under
    40em wide (a phone: 320 px) each row is stacked, every cell under its own label."""
    rows: list[str] = []
    for h in handouts:
        title = html.escape(h["title"])
        links = " ".join(
            f'<a href="{html.escape(h["files"][fmt]["path"])}">{label}<span '
            f'class="visually-hidden"> of {title}</span></a>'
            for fmt, label in LABELS if fmt in h["files"])
        rows.append(
            f"<tr><th scope=\"row\">{title}</th>"
            f"<td data-label=\"For\">{html.escape(h.get('edition') or h['audience'])}</td>"
            f"<td data-label=\"Language\">{html.escape(h['lang'])}</td>"
            f"<td>{html.escape(h['version'])}</td>"  # labelled by its place (CSS)
            f"<td data-label=\"Status\">{_status(h)}</td>"
            f"<td data-label=\"Review due\">{html.escape(h['review_due'])}</td>"
            f"<td data-label=\"Files\">{links or 'none'}</td>"
            f"<td data-label=\"Archived\">{_archive_links(h.get('archived', []), title)}</td>"
            "</tr>")
    for w in withdrawn:
        title = html.escape(str(w.get("title") or w["name"]))
        rows.append(
            f"<tr class=\"withdrawn\"><th scope=\"row\">{title}</th>"
            f"<td data-label=\"For\">{html.escape(', '.join(filter(None, w.get('editions', []))))}"
            "</td><td data-label=\"Language\"></td>"
            f"<td>{html.escape(str(w.get('version', '')))}</td>"
            f"<td data-label=\"Status\">Withdrawn on {html.escape(str(w['withdrawn_on']))}</td>"
            "<td data-label=\"Review due\"></td><td data-label=\"Files\">none</td>"
            f"<td data-label=\"Archived\">{_archive_links(w.get('archived', []), title)}</td>"
            "</tr>")
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
ul.archived {{ margin: 0; padding: 0; list-style: none; }}
tr.withdrawn th {{ text-decoration: line-through; }}
.visually-hidden {{ position: absolute; width: 1px; height: 1px; overflow: hidden;
                    clip: rect(0 0 0 0); white-space: nowrap; }}
@media (max-width: 40em) {{
  body {{ padding: 1em 0.75em; }}
  table, tbody, tr, th, td {{ display: block; width: auto; }}
  thead {{ position: absolute; width: 1px; height: 1px; overflow: hidden;
           clip: rect(0 0 0 0); }}
  tr {{ border-top: 2px solid #1f4e79; padding: 0.4em 0; }}
  th, td {{ border: 0; padding: 0.15em 0; overflow-wrap: anywhere; }}
  th {{ font-size: 1.1em; }}
  td[data-label]::before {{ content: attr(data-label) ": "; font-weight: bold; }}
  td:nth-of-type(3)::before {{ content: "Version: "; font-weight: bold; }}
}}
</style></head>
<body><main>
<h1>Handouts</h1>
<table>
<caption class="visually-hidden">Every handout, current, draft or withdrawn: its readers,
version, files and archived versions</caption>
<thead><tr><th scope="col">Title</th><th scope="col">For</th><th scope="col">Language</th>
<th scope="col">Version</th><th scope="col">Status</th><th scope="col">Review due</th>
<th scope="col">Files</th><th scope="col">Archived versions</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
</main></body></html>
"""


def _archive_links(versions: Sequence[Entry], title: str) -> str:
    """A list of archived versions, each with its files and approval record linked."""
    items: list[str] = []
    for v in versions:
        version = html.escape(v["version"])
        links = []
        for path in v["files"]:
            ext = path.rsplit(".", 1)[-1]
            label = ("Approval record" if path.endswith("/" + archive.RECORD)
                     else dict(LABELS).get(ext, ext))
            links.append(f'<a href="{html.escape(quote(path))}">{label}<span '
                         f'class="visually-hidden"> of {title}, version {version}</span></a>')
        when = html.escape(str(v.get("archived_on", ""))[:10])
        items.append(f"<li>{version} ({when}): {' '.join(links)}</li>")
    return f'<ul class="archived">{"".join(items)}</ul>' if items else "none"


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
