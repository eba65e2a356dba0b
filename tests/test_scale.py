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


def test_many_handouts_load_the_libraries_once_then_build_on_every_core(tmp_path):
    """One run for many handouts: WeasyPrint and the rest load in the first process, then
    forked workers (one per core, at least two here) build the handouts side by side."""
    project = new_project(tmp_path, {f"source/h{n}.md": MINIMAL_FRONT_MATTER + f"\nText {n}.\n"
                                     for n in range(4)})
    log = tmp_path / "pids"
    probe = ("import os, sys, build\n"
             "from handouts import batch, pipeline\n"
             "build_document = pipeline.build_document\n"
             "def logged(*args, **kwargs):\n"
             f"    with open({str(log)!r}, 'a') as out: out.write(f'{{os.getpid()}}\\n')\n"
             "    return build_document(*args, **kwargs)\n"
             "pipeline.build_document = logged\n"
             "build.build_document = logged\n"
             "os.sched_getaffinity = lambda pid: {0, 1}  # two cores, whatever this machine has\n"
             "status = build.main(sys.argv[1:])\n"
             "print(os.getpid(), status, 'weasyprint' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe, "--root", str(project.root)],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    parent, status, loaded = result.stdout.split()[-3:]
    assert status == "0", result.stderr
    assert loaded == "True", "the libraries load before the workers are forked"
    builders = log.read_text().split()
    assert len(builders) == 4 and parent not in builders and len(set(builders)) == 2
    assert all(project.outputs(f"h{n}")[fmt].is_file() for n in range(4)
               for fmt in ("html", "pdf", "docx"))
