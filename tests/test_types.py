"""The type checker is the proof that every writer and walk handles every model type: each
dispatch over blocks and inlines is a `match` ending in assert_never (or a function taking
Never), so a missing `case` is a mypy error. Shown here by taking cases out of a copy of
handouts/ and running mypy --strict on it, as `make test` does on the real one."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

# A case over the model's classes: `case m.Table():` in the writers, `case Table():` in the
# model's own walks.
MODEL_CASE = re.compile(r"^(\s*)case (m\.)?[A-Z]\w*\(.*:\s*$")
DISPATCHERS = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "handouts").rglob("*.py")
                     if re.search(r"^\s*case m\.[A-Z]\w*\(", path.read_text(), re.M))
DISPATCHERS.append("handouts/model.py")


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    """handouts/ and the mypy settings, copied; mypy's cache kept with it between runs."""
    root = tmp_path_factory.mktemp("typed")
    shutil.copytree(ROOT / "handouts", root / "handouts",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", root)
    return root


def mypy(root):
    return subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(root / ".cache")],
                          cwd=root, capture_output=True, text=True, timeout=600)


def without_first_case(text):
    """text less its first case over a model class, and that case's body; the case line."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        found = MODEL_CASE.match(line)
        if found and "case _" not in line:
            end = index + 1
            while end < len(lines) and (not lines[end].strip() or
                                        len(lines[end]) - len(lines[end].lstrip())
                                        > len(found.group(1))):
                end += 1
            return "\n".join(lines[:index] + lines[end:]), line.strip()
    raise AssertionError("no case over a model class")


def test_control_the_real_code_type_checks(copy):
    result = mypy(copy)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("module", DISPATCHERS)
def test_a_missing_case_is_a_type_error(copy, module):
    path = copy / module
    original = path.read_text()
    changed, case = without_first_case(original)
    path.write_text(changed)
    try:
        result = mypy(copy)
    finally:
        path.write_text(original)
    assert result.returncode != 0, f"mypy passed without '{case}' in {module}"
    assert module in result.stdout and "Never" in result.stdout, result.stdout


def test_every_writer_and_checker_dispatches_by_match():
    assert {"handouts/write/html/page.py", "handouts/write/docx/blocks.py",
            "handouts/write/docx/inlines.py", "handouts/check/__init__.py"} <= set(DISPATCHERS)
