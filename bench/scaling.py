#!/usr/bin/env python3
"""How the build's cost grows with its input; writes bench/scaling.md.

    make bench-scale                                  # = .venv/bin/python bench/scaling.py
    .venv/bin/python bench/scaling.py --only table,title
    .venv/bin/python bench/scaling.py --commit HEAD   # the code of a commit, not the files

Each case is one handout built at three sizes, ten times apart, by `build.py` in a new
process and a new project folder (styles/ and source/references.bib copied, as the tests'
new_project does): wall time, and peak memory as the largest process of the build's tree
(ru_maxrss of wait4, which counts the forked PDF process). Each tenfold step of the input
should cost at most about tenfold; the report gives the ratio per step. The `[` and `![`
runs end in an error (a word too long to print), as they did when they took minutes: what
is measured is the time to that error. A benchmark, not a test: the machine is shared, so
read the ratios, not single figures.

The code built with is a snapshot taken at the start (the working files, or --commit's).
Needs only the standard library and the project's .venv.
"""

import argparse
import datetime
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "scaling.md"
PYTHON = ROOT / ".venv" / "bin" / "python"
TIMEOUT = 900       # seconds one build may take before it is killed
STEP_LIMIT = 12     # a tenfold step costing more than this many times is flagged

FRONT = """---
title: {title}
lang: en-US
version: "1.0"
date: 2026-01-15
review_due: 2027-01-15
bibliography: references.bib
---
"""


def table(rows):
    lines = "".join(f"| Day {n} | {n % 40 + 1} mg | Take it with food, note {n}. |\n"
                    for n in range(rows))
    return (FRONT.format(title="A Long Table") + "\n| Day | Dose | Note |\n|---|---|---|\n"
            + lines)


def title(length):
    words = "Ketamine infusion for complex regional pain syndrome and what to expect "
    return FRONT.format(title=(words * (length // len(words) + 1))[:length].strip()) \
        + "\nSome text.\n"


def brackets(count):
    return FRONT.format(title="Brackets") + "\nText " + "[" * count + " end.\n"


def pictures(count):
    return FRONT.format(title="Pictures") + "\nText " + "![" * count + " end.\n"


def document(size):
    """The ketamine handout's body, repeated and cut at a line to about size bytes; its
    editions' ':::' lines are dropped, so that a cut never leaves a block open."""
    _, front, body = (ROOT / "source" / "ketamine-crps.md").read_text(
        encoding="utf-8").split("---\n", 2)
    body = "".join(line for line in body.splitlines(True) if not line.startswith(":::"))
    text = (body * (size // len(body.encode()) + 1))[:size]
    return "---\n" + front + "---\n" + text[:text.rfind("\n") + 1]


# name: (what, the source for a size, the sizes, how a size is written)
CASES = {
    "table": ("a pipe table of N rows", table, (20, 200, 2000), "{:,} rows"),
    "title": ("a title of N characters", title, (3, 30, 300), "{:,} characters"),
    "brackets": ("a run of N `[`", brackets, (500, 5000, 50000), "{:,} `[`"),
    "pictures": ("a run of N `![`", pictures, (200, 2000, 20000), "{:,} `![`"),
    "document": ("the ketamine handout's body repeated to N bytes", document,
                 (2_400, 24_000, 240_000), "{:,} bytes"),
}


def snapshot(into, commit):
    """The code to build with: build.py and handouts/ (the working files, or a commit's)."""
    if commit:
        archive = subprocess.run(["git", "-C", ROOT, "archive", commit, "build.py", "handouts"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", into], input=archive, check=True)
    else:
        shutil.copy(ROOT / "build.py", into)
        shutil.copytree(ROOT / "handouts", into / "handouts",
                        ignore=shutil.ignore_patterns("__pycache__"))
    return into


def new_project(folder, text):
    shutil.copytree(ROOT / "styles", folder / "styles")
    (folder / "source").mkdir()
    shutil.copy(ROOT / "source" / "references.bib", folder / "source")
    (folder / "source" / "a.md").write_text(text, encoding="utf-8")
    return folder


def build(code, project):
    """(seconds, peak bytes of the largest process, exit status, first line of its errors)."""
    started = time.perf_counter()
    process = subprocess.Popen([PYTHON, code / "build.py", "--root", project, "source/a.md"],
                               cwd=code, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)
    killer = threading.Timer(TIMEOUT, os.killpg, (process.pid, signal.SIGKILL))
    killer.start()
    errors = process.stderr.read().decode(errors="replace")  # until the build ends
    _, status, usage = os.wait4(process.pid, 0)
    killer.cancel()
    seconds = time.perf_counter() - started
    status = os.waitstatus_to_exitcode(status)
    first = next((line for line in errors.splitlines() if line.startswith("error")), "")
    first = first.replace(f"{project}{os.sep}", "")  # no temporary folder in the results
    if status < 0:
        first = f"killed after {TIMEOUT} s"
    return seconds, usage.ru_maxrss * 1024, status, first


def measure(code, name):
    what, source, sizes, shown = CASES[name]
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix=f"scale-{name}-") as folder:
            project = new_project(Path(folder), source(size))
            seconds, peak, status, error = build(code, project)
        rows.append((shown.format(size), seconds, peak, status, error))
        print(f"{name:9} {shown.format(size):>20}  {seconds:7.1f} s  {peak / 2**20:7.0f} MiB"
              f"  {'ok' if status == 0 else error[:60]}", flush=True)
    return what, rows


def section(name, what, rows):
    lines = [f"### {name}: {what}", "",
             "| size | time | × per tenfold | peak memory | × per tenfold | result |",
             "|---:|---:|---:|---:|---:|---|"]
    previous = None
    for shown, seconds, peak, status, error in rows:
        ratios = (("–", "–") if previous is None else
                  (_ratio(seconds / previous[0]), _ratio(peak / previous[1])))
        result = "built" if status == 0 else f"stopped: {error}".replace("|", "\\|")
        lines.append(f"| {shown} | {seconds:.1f} s | {ratios[0]} | {peak / 2**20:.0f} MiB | "
                     f"{ratios[1]} | {result} |")
        previous = (seconds, peak)
    return "\n".join(lines) + "\n"


def _ratio(value):
    return f"{value:.1f}" + (" **over**" if value > STEP_LIMIT else "")


def machine(commit):
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", commit or "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    code = f"commit {head}" if commit else f"the working files at commit {head}"
    return (f"{datetime.date.today()}; {cpu}, {os.cpu_count()} cores (shared); "
            f"Python {platform.python_version()}; {code}.")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated cases: " + ", ".join(CASES))
    parser.add_argument("--commit", help="build with this commit's code, not the working files")
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(CASES)
    unknown = set(names) - set(CASES)
    if unknown:
        parser.error(f"no case {', '.join(sorted(unknown))}; the cases: {', '.join(CASES)}")
    with tempfile.TemporaryDirectory(prefix="scale-code-") as code:
        code = snapshot(Path(code), args.commit)
        measured = [(name, *measure(code, name)) for name in names]
    text = ("# How the build's cost grows with its input\n\n"
            "Written by `make bench-scale` (bench/scaling.py): each case built at three sizes, "
            "ten times apart, in a new process and project folder. Time is wall time; peak "
            "memory is the largest process of the build (the PDF is printed in a forked "
            f"one). A tenfold step over {STEP_LIMIT}× is marked **over**. A fixed cost of "
            "about two seconds (starting Python, loading WeasyPrint) is in every figure, so "
            "small sizes step up by less than tenfold.\n\n"
            f"{machine(args.commit)}\n\n" + "\n".join(section(*m) for m in measured))
    if args.only:
        print(text)
    else:
        RESULTS.write_text(text, encoding="utf-8")
        print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
