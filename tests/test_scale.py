"""Speed and scale, proved by structure, not by timing (the machines are shared and noisy;
bench/benchmark.py measures time against Pandoc): what each kind of run loads, how many
processes a full build starts, what a rebuild reuses."""

import json
import subprocess
import sys

from conftest import MINIMAL_FRONT_MATTER, ROOT, new_project

HEAVY = ("weasyprint", "docx", "markdown", "citeproc", "textstat", "pypdfium2", "fontTools")


def _modules_after(project, *args):
    """The modules a build.py run loaded, and its exit status and error output."""
    probe = ("import json, sys, build\n"
             "try:\n    status = build.main(sys.argv[1:])\n"
             "except SystemExit as exc:\n    status = exc.code\n"
             "print(json.dumps([status, sorted(sys.modules)]))")
    result = subprocess.run([sys.executable, "-c", probe, "--root", str(project.root), *args],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    status, modules = json.loads(result.stdout.strip().splitlines()[-1])
    return status, {name.split(".")[0] for name in modules}, result.stderr


def test_bad_front_matter_is_reported_before_any_heavy_library_loads(tmp_path):
    project = new_project(tmp_path, {"source/bad.md": "---\nlang: en\n---\n\nText.\n"})
    status, modules, stderr = _modules_after(project, "source/bad.md")
    assert status == 1
    assert "front matter lacks 'title'" in stderr
    assert not modules & set(HEAVY), modules & set(HEAVY)


def test_a_web_page_only_build_never_loads_the_pdf_or_word_writers(tmp_path):
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER + "\nSome text.\n"})
    status, modules, stderr = _modules_after(project, "--html", "source/a.md")
    assert status == 0, stderr
    assert "weasyprint" not in modules and "docx" not in modules
    assert project.outputs("a")["html"].is_file()
    assert not project.outputs("a")["pdf"].exists() and not project.outputs("a")["docx"].exists()
    assert "Some text." in project.outputs("a")["html"].read_text(encoding="utf-8")
