"""Released versions kept, withdrawn handouts taken down (document control).

A release build (build.py --strict) copies each handout it passed into
output/archive/NAME/VERSION/: the three files of every edition and record.json, its approval
record (version, dates, approver, when it was archived and why, and a copy of its report
entries). Releasing a version again replaces its folder; a new version adds one.

A handout whose source/NAME.md is gone is withdrawn by the next build: its outputs (every
edition's) and its output/reports/ entry are removed, output/archive/NAME/withdrawn.json
says when, and the version on display, if it was approved and not archived yet, is archived
first, so that no text a patient may have been given is lost.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from handouts.run import leftovers
from handouts.run.project import FORMATS, Project

RECORD = "record.json"
WITHDRAWN = "withdrawn.json"

# A report entry (summary.Entry): read back from JSON, so Any.
Entry = dict[str, Any]


def folder_name(version: str) -> str:
    """A version as a folder name: letters, digits, '.', '-' and '_' kept, anything else
    (a '/', a space) as '_', never starting with a dot."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", version).lstrip(".")
    return name or "_"


def entries_of(data: Entry) -> list[Entry]:
    """The handouts (editions) of one handout's report (output/reports/NAME.json)."""
    if "editions" in data:
        editions: list[Entry] = data["editions"]
        return editions
    return [{k: v for k, v in data.items() if k != "shared_inputs"}]


def _report(project: Project, name: str) -> list[Entry] | None:
    try:
        data = json.loads((project.reports_dir / f"{name}.json").read_text(encoding="utf-8"))
        return entries_of(data) if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def release(project: Project, name: str) -> Path | None:
    """The handout's outputs, as its report (just written) lists them, copied into
    output/archive/NAME/VERSION/ with their approval record; the folder's path."""
    entries = _report(project, name)
    if not entries:
        return None
    return _archive(project, name, entries, "release")


def _archive(project: Project, name: str, entries: list[Entry], why: str) -> Path:
    """The files of entries copied into the version's folder, which replaces any there was,
    whole: copied into a staged folder first, then renamed into place."""
    version = str(entries[0]["version"])
    home = project.archive_dir / name
    home.mkdir(parents=True, exist_ok=True)
    target = home / folder_name(version)
    staged = Path(tempfile.mkdtemp(prefix=leftovers.staged_prefix(target), dir=home))
    old: Path | None = None
    try:
        for entry in entries:
            for file in entry["files"].values():
                base = Path(str(file["path"])).name  # a name in output/, nothing else
                source = project.output_dir / base
                if source.is_file():
                    shutil.copy2(source, staged / base)
        record = {
            "name": name, "version": version, "date": entries[0]["date"],
            "review_due": entries[0]["review_due"], "approved_by": entries[0]["approved_by"],
            "approved_on": entries[0]["approved_on"],
            "archived_on": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "archived_because": why,
            "files": sorted(p.name for p in staged.iterdir()),
            "report": entries}
        (staged / RECORD).write_text(json.dumps(record, indent=1), encoding="utf-8")
        os.chmod(staged, 0o755)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=leftovers.staged_prefix(target), dir=home))
            os.replace(target, old / "replaced")
        os.replace(staged, target)
    finally:
        for leftover in (staged, old):
            if leftover is not None and leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)
    return target


def archived(project: Project, name: str) -> list[Entry]:
    """The archived versions of a handout: the approval record of each, oldest release
    first, with "folder": the folder's path relative to output/."""
    home = project.archive_dir / name
    records: list[Entry] = []
    try:
        folders = sorted(p for p in home.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []
    for folder in folders:
        try:
            record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict):
            record["folder"] = folder.relative_to(project.output_dir).as_posix()
            records.append(record)
    return sorted(records, key=lambda r: str(r.get("archived_on", "")))


def withdrawn(project: Project) -> list[Entry]:
    """The withdrawn handouts: those with a withdrawal note whose source is still gone."""
    found: list[Entry] = []
    try:
        homes = sorted(p for p in project.archive_dir.iterdir() if p.is_dir())
    except OSError:
        return []
    for home in homes:
        if (project.source_dir / f"{home.name}.md").exists():
            continue
        try:
            note = json.loads((home / WITHDRAWN).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(note, dict):
            found.append(note)
    return found


def gone(project: Project) -> list[str]:
    """The handouts to withdraw: built once (their report is in output/reports/), their
    source deleted since. A missing source/ folder is not a deletion."""
    if not project.source_dir.is_dir():
        return []
    return sorted(report.stem for report in project.reports_dir.glob("*.json")
                  if not (project.source_dir / f"{report.stem}.md").exists())


def withdraw(project: Project) -> list[str]:
    """Take down every handout whose source is gone (its report is still in output/reports/):
    the version on display archived if it was approved and is not archived yet, a
    withdrawal note written, its outputs and report removed. Returns a line per handout
    for the terminal. A missing source/ folder withdraws nothing (it is not a deletion)."""
    said: list[str] = []
    for name in gone(project):
        report = project.reports_dir / f"{name}.json"
        entries = _report(project, name) or []
        if entries and entries[0].get("approved_by") and not (
                project.archive_dir / name / folder_name(str(entries[0]["version"]))).is_dir():
            _archive(project, name, entries, "withdrawal")
        home = project.archive_dir / name
        home.mkdir(parents=True, exist_ok=True)
        note = {"name": name,
                "title": entries[0]["title"] if entries else name,
                "version": entries[0]["version"] if entries else "",
                "editions": [e.get("edition", "") for e in entries],
                "withdrawn_on": datetime.date.today().isoformat()}
        (home / WITHDRAWN).write_text(json.dumps(note, indent=1), encoding="utf-8")
        for output in _outputs(project, name, entries):
            output.unlink(missing_ok=True)
        report.unlink(missing_ok=True)  # last: a build stopped before this does it again
        versions = ", ".join(str(r["version"]) for r in archived(project, name)) or "none"
        said.append(f"withdrew {name} (source/{name}.md is gone): its outputs are removed; "
                    f"archived versions: {versions}")
    return said


def _outputs(project: Project, name: str, entries: list[Entry]) -> list[Path]:
    """Every output file of a handout: NAME.* and each edition's, as its report lists them."""
    files = [project.output_dir / f"{name}.{fmt}" for fmt in FORMATS]
    files.append(project.output_dir / f"{name}-booklet.pdf")  # a folded booklet, if any
    for entry in entries:
        files += [project.output_dir / f["path"] for f in entry.get("files", {}).values()]
        files += [project.output_dir / f"{entry.get('name', name)}.{fmt}" for fmt in FORMATS]
        files.append(project.output_dir / f"{entry.get('name', name)}-booklet.pdf")
    return [f for f in files if f.parent == project.output_dir]
