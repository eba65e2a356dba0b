"""`make` builds every handout, rebuilds only what changed, and is safe with -j2."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MINIMAL_FRONT_MATTER, ROOT

VENV = Path(sys.executable).parent.parent  # the environment running these tests


def make(root, *args):
    # The tests' own environment stands in for .venv; the stamp says it is installed.
    return subprocess.run(["make", f"VENV={VENV}", f"STAMP={root / 'installed.stamp'}", *args],
                          cwd=root, capture_output=True, text=True, timeout=600)


@pytest.fixture
def checkout(tmp_path):
    """A copy of the project as a fresh clone would have it, with three small handouts."""
    if shutil.which("make") is None:
        pytest.skip("GNU make is not installed")
    for name in ("Makefile", "build.py", "pyproject.toml", "requirements.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("handouts", "styles"):
        shutil.copytree(ROOT / folder, tmp_path / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "source").mkdir()
    (tmp_path / "output").mkdir()
    shutil.copy(ROOT / "source" / "references.bib", tmp_path / "source")
    for n in range(3):
        (tmp_path / "source" / f"h{n}.md").write_text(
            MINIMAL_FRONT_MATTER + f"\n## Part {n}\n\nText.[@sigtermans2009]\n")
    (tmp_path / "installed.stamp").touch()
    return tmp_path


def outputs(root):
    return sorted(p.name for p in (root / "output").iterdir())


def test_make_builds_everything_then_only_what_changed(checkout):
    first = make(checkout)
    assert first.returncode == 0, first.stderr
    assert outputs(checkout) == [f"h{n}.{ext}" for n in range(3) for ext in ("docx", "html", "pdf")
                                 ] + ["index.html", "report.json", "reports"]
    # The build report ends the run: a table with a row per handout, and its JSON twin.
    lines = first.stdout.splitlines()  # under `make test`, make[1] adds lines of its own
    start = next(n for n, line in enumerate(lines) if line.split()[:3] == ["handout", "pages", "size"])
    assert [row.split()[0] for row in lines[start + 1:start + 4]] == ["h0", "h1", "h2"]
    report = json.loads((checkout / "output" / "report.json").read_text())
    assert [h["name"] for h in report["handouts"]] == ["h0", "h1", "h2"]
    assert queued(make(checkout, "-n").stdout) == [], "everything is up to date after a build"
    (checkout / "source" / "h1.md").touch()
    assert queued(make(checkout, "-n").stdout) == ["source/h1.md"]
    rebuilt = make(checkout)
    assert [line.split()[1] for line in rebuilt.stdout.splitlines()
            if line.startswith("built ")] == ["output/h1.html,"], "one process, one handout"
    (checkout / "source" / "references.bib").touch()
    plan = make(checkout, "-n").stdout
    assert queued(plan) == [f"source/h{n}.md" for n in range(3)], "a bibliography: rebuild all"
    assert plan.count("build.py") == 1, "every stale handout goes to one build.py run"
    for code in ("handouts/word/blocks.py", "handouts/messages/en.yaml"):  # code in sub-packages
        assert make(checkout).returncode == 0 and queued(make(checkout, "-n").stdout) == []
        (checkout / code).touch()
        plan = make(checkout, "-n").stdout
        assert queued(plan) == [f"source/h{n}.md" for n in range(3)], f"{code}: rebuild all"


def queued(plan):
    """The handouts a dry run (make -n) would hand to the build: make queues each stale one."""
    return sorted(line.split()[-3] for line in plan.splitlines() if ">> output/.queue" in line)


def test_make_j2_builds_every_handout_and_reports_a_failure(checkout):
    (checkout / "source" / "broken.md").write_text(MINIMAL_FRONT_MATTER + "\n[@nobody]\n")
    result = make(checkout, "-j2")
    assert result.returncode != 0
    assert "source/broken.md:10: unknown citation key 'nobody'" in result.stderr
    # The good handouts are built; the report waits until every handout builds.
    assert outputs(checkout) == [f"h{n}.{ext}" for n in range(3) for ext in ("docx", "html", "pdf")
                                 ] + ["reports"]
    check = subprocess.run([sys.executable, "build.py", "--check", *[f"source/h{n}.md" for n in range(3)]],
                           cwd=checkout, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    # The failed handout is queued again by the next make, and only it.
    (checkout / "source" / "broken.md").write_text(MINIMAL_FRONT_MATTER + "\nFixed.\n")
    assert queued(make(checkout, "-n").stdout) == ["source/broken.md"]
    again = make(checkout, "-j2")
    assert again.returncode == 0, again.stderr
    assert "index.html" in outputs(checkout) and ".queue" not in outputs(checkout)
