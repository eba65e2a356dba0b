"""A project's folders, and which of its handouts are stale: what the pipeline, the
catalogue, the archive and the sweep of leftovers all know of a project, in one place they
all import (the pipeline imports those modules, so none of them can import it)."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

FORMATS = ("html", "pdf", "docx")
CODE = Path(__file__).resolve().parents[1]  # handouts/, and build.py beside it


@dataclass
class Project:
    root: Path

    @property
    def source_dir(self) -> Path:
        return self.root / "source"

    @property
    def styles_dir(self) -> Path:
        return self.root / "styles"

    @property
    def output_dir(self) -> Path:
        return self.root / "output"

    def documents(self) -> list[Path]:
        return sorted(self.source_dir.glob("*.md"))

    def outputs(self, name: str) -> dict[str, Path]:
        return {fmt: self.output_dir / f"{name}.{fmt}" for fmt in FORMATS}

    @property
    def archive_dir(self) -> Path:
        """Released and withdrawn versions, kept (see run/archive.py)."""
        return self.output_dir / "archive"

    @property
    def reports_dir(self) -> Path:
        """One JSON file per handout, written by its last good build (see summary.py)."""
        return self.output_dir / "reports"

    def shared_inputs(self) -> list[str]:
        """Every file a handout may read besides its own Markdown: the other files in
        source/ (pictures, bibliographies, citation styles) and in styles/, by their path
        relative to the project (any name: spaces too), dot files left out."""
        found = []
        for folder in (self.source_dir, self.styles_dir):
            for path in _files(folder):
                if not (path.parent == self.source_dir and path.suffix == ".md"):
                    found.append(path.relative_to(self.root).as_posix())
        return sorted(found)

    def stale(self, documents: Iterable[Path | str], also: Iterable[Path | str] = ()
              ) -> list[Path | str]:
        """The documents whose outputs are not those of a build after their last change:
        never built, or built (as their report in reports_dir says) before their source,
        a shared input, the build's code or a file of `also` last changed, or with another
        set of shared inputs (a picture removed or renamed)."""
        shared = self.shared_inputs()
        newest = max((_changed(p) for p in [*(self.root / name for name in shared),
                                            *_files(CODE), CODE.parent / "build.py",
                                            *map(Path, also)]), default=0)
        return [path for path in documents
                if _built(self.reports_dir / f"{Path(path).stem}.json", shared)
                < max(newest, _changed(path))]


def _files(folder: Path) -> Iterator[Path]:
    """The files under folder, dot files and __pycache__ left out."""
    for top, folders, names in os.walk(folder):
        folders[:] = [f for f in folders if not f.startswith(".") and f != "__pycache__"]
        yield from (Path(top, name) for name in names if not name.startswith("."))


def _changed(path: Path | str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:  # gone: a changed file whose handout must notice
        return time.time_ns()


def _built(report: Path, shared: list[str]) -> int:
    """When the last good build of the report's handout began, if it read the shared
    inputs there are now; else 0."""
    try:
        built = os.stat(report).st_mtime_ns
        recorded: object = json.loads(Path(report).read_text(encoding="utf-8")).get("shared_inputs")
    except (OSError, ValueError, AttributeError):
        return 0
    return built if recorded == inputs_digest(shared) else 0


def inputs_digest(shared: list[str]) -> str:
    """A short fingerprint of the list of shared inputs, kept in each handout's report."""
    return hashlib.sha256("\n".join(shared).encode()).hexdigest()[:16]
