"""`make` builds every handout, rebuilds only what changed, and is safe with -j2."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MINIMAL_FRONT_MATTER, ROOT, new_project, run_build

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
    for code in ("handouts/write/docx/blocks.py", "handouts/messages/en.yaml"):  # code in sub-packages
        assert make(checkout).returncode == 0 and queued(make(checkout, "-n").stdout) == []
        (checkout / code).touch()
        plan = make(checkout, "-n").stdout
        assert queued(plan) == [f"source/h{n}.md" for n in range(3)], f"{code}: rebuild all"


def queued(plan):
    """The handouts a dry run (make -n) would build: build.py --changed --dry-run lists them."""
    return sorted(line.removeprefix("would build ") for line in plan.splitlines()
                  if line.startswith("would build "))


def test_make_j2_builds_every_handout_and_reports_a_failure(checkout):
    (checkout / "source" / "broken.md").write_text(MINIMAL_FRONT_MATTER + "\n[@nobody @twice]\n")
    result = make(checkout, "-j2")
    assert result.returncode != 0
    assert "source/broken.md:10: '[@nobody @twice]' has two keys in one part" in result.stderr
    # The good handouts are built; the report and catalogue list what output/ holds.
    assert outputs(checkout) == [f"h{n}.{ext}" for n in range(3) for ext in ("docx", "html", "pdf")
                                 ] + ["index.html", "report.json", "reports"]
    assert versions(checkout) == {f"h{n}": "1.0" for n in range(3)}
    check = subprocess.run([sys.executable, "build.py", "--check", *[f"source/h{n}.md" for n in range(3)]],
                           cwd=checkout, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    # The failed handout is queued again by the next make, and only it.
    (checkout / "source" / "broken.md").write_text(MINIMAL_FRONT_MATTER + "\nFixed.\n")
    assert queued(make(checkout, "-n").stdout) == ["source/broken.md"]
    again = make(checkout, "-j2")
    assert again.returncode == 0, again.stderr
    assert "index.html" in outputs(checkout)


def png(colour):
    import io
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (40, 40), colour).save(out, "PNG")
    return out.getvalue()


def built_names(result):
    """The handouts a run built, from its 'built output/NAME.html, ...' lines."""
    return sorted(line[len("built output/"):line.index(".html,")]
                  for line in result.stdout.splitlines() if line.startswith("built output/"))


def versions(root):
    report = json.loads((root / "output" / "report.json").read_text())
    return {h["name"]: h["version"] for h in report["handouts"]}


def test_spaces_in_file_names_build_and_a_changed_picture_rebuilds_its_handouts(checkout):
    """A handout, a picture and a style file with spaces in their names: make builds every
    handout, rebuilds the one whose source changed (its PDF used to stay at 1.0), and
    rebuilds on a changed picture or style file."""
    source = checkout / "source"
    (source / "my photo.png").write_bytes(png((200, 0, 0)))
    (source / "with space.md").write_text(
        MINIMAL_FRONT_MATTER + "\n## Part\n\n![A red square](my photo.png)\n")
    (checkout / "styles" / "notes for print.txt").write_text("Kept beside the styles.\n")
    first = make(checkout)
    assert first.returncode == 0, first.stderr
    assert built_names(first) == ["h0", "h1", "h2", "with space"]
    assert (checkout / "output" / "with space.pdf").is_file()
    for name in ("h0.md", "with space.md"):
        (source / name).write_text((source / name).read_text().replace('"1.0"', '"2.0"'))
    second = make(checkout)
    assert second.returncode == 0, second.stderr
    assert built_names(second) == ["h0", "with space"]
    assert versions(checkout) == {"h0": "2.0", "h1": "1.0", "h2": "1.0", "with space": "2.0"}
    (source / "my photo.png").write_bytes(png((0, 0, 200)))
    assert built_names(make(checkout)) == ["h0", "h1", "h2", "with space"]
    (checkout / "styles" / "notes for print.txt").write_text("Changed.\n")
    assert built_names(make(checkout)) == ["h0", "h1", "h2", "with space"]
    # Nothing changed: make starts no Python (PY=false would fail the run).
    assert make(checkout, "PY=false").returncode == 0
    assert queued(make(checkout, "-n").stdout) == []
    (source / "my photo.png").unlink()  # a picture removed: its handout must notice
    assert "source/with space.md" in queued(make(checkout, "-n").stdout)


def test_make_a_named_output_builds_that_handout_when_it_is_stale(checkout):
    assert make(checkout).returncode == 0
    assert make(checkout, "output/h1.pdf", "PY=false").returncode == 0, "up to date"
    (checkout / "source" / "h1.md").touch()
    named = make(checkout, "output/h1.pdf")
    assert named.returncode == 0, named.stderr
    assert built_names(named) == ["h1"]


EDITIONS_FRONT = MINIMAL_FRONT_MATTER.replace("---\n", "---\neditions: [patient, referrer]\n", 1)


def test_the_catalogue_describes_the_files_in_output_after_a_failed_build(tmp_path):
    """An edition rebuilt as 1.1 while the next edition, and another handout, fail: the
    catalogue and report.json list what output/ holds (1.1 and the last good 1.0)."""
    body = "\n## Part\n\n::: patient\n\nFor patients.\n\n:::\n\n::: referrer\n\nFor referrers.{}\n\n:::\n"
    project = new_project(tmp_path, {"source/e.md": EDITIONS_FRONT + body.format(""),
                                     "source/other.md": MINIMAL_FRONT_MATTER + "\nOther.\n"})
    assert run_build(project.root).returncode == 0
    (project.source_dir / "e.md").write_text(
        EDITIONS_FRONT.replace('"1.0"', '"1.1"') + body.format("[@nobody @twice]"))
    (project.source_dir / "other.md").write_text(
        MINIMAL_FRONT_MATTER.replace('"1.0"', '"1.1"') + "\nOther.[@nobody @twice]\n")
    result = run_build(project.root)
    assert result.returncode == 1 and "nobody" in result.stderr
    on_disk = {}
    for name in ("e-patient", "e-referrer", "other"):
        page = project.outputs(name)["html"].read_text(encoding="utf-8")
        on_disk[name] = re.search(r'name="handout.version" content="([^"]+)"', page).group(1)
    assert on_disk == {"e-patient": "1.1", "e-referrer": "1.0", "other": "1.0"}
    assert versions(project.root) == on_disk
    catalogue = (project.output_dir / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<td>(\d\.\d)</td>", catalogue) == ["1.1", "1.0", "1.0"]
