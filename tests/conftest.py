"""Shared fixtures: build handouts in throwaway project folders, never in the real output/."""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handouts.pipeline import Project  # noqa: E402

MINIMAL_FRONT_MATTER = """\
---
title: A Test Handout
lang: en-US
version: "1.0"
date: 2026-01-15
review_due: 2027-01-15
bibliography: references.bib
---
"""


def run_build(root, *args):
    """Run build.py as the clinic staff do, on the project at root."""
    return subprocess.run([sys.executable, str(ROOT / "build.py"), "--root", str(root), *args],
                          capture_output=True, text=True, timeout=300)


def new_project(tmp_path, files=None, with_real_sources=False):
    """A project folder with the real styles/ and, optionally, the real source/ handouts;
    files maps paths like 'source/x.md' to their text (dedented) or bytes."""
    root = Path(tmp_path)
    shutil.copytree(ROOT / "styles", root / "styles")
    if with_real_sources:
        shutil.copytree(ROOT / "source", root / "source")
    else:
        (root / "source").mkdir()
        shutil.copy(ROOT / "source" / "references.bib", root / "source" / "references.bib")
    for name, content in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return Project(root)


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Every real handout of source/, built once for the whole session."""
    project = new_project(tmp_path_factory.mktemp("built"), with_real_sources=True)
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    return project
