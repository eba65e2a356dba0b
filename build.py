#!/usr/bin/env python3
"""Build clinical handouts: each source/NAME.md becomes output/NAME.html, .pdf and .docx.

    python build.py                    build every handout in source/
    python build.py source/NAME.md     build one
    python build.py --changed          build those whose source, pictures, styles or code
                                       changed since their last good build (make runs this)
    python build.py --booklet          also a folded booklet, output/NAME-booklet.pdf
    python build.py --html             only the web pages (a quick preview; no PDF or Word file)
    python build.py --watch            rebuild on every save; live preview at localhost:8000
    python build.py --check            verify the outputs on disk hold every word of every block
    python build.py --strict           a release build: any warning is a failure; each
                                       handout passed is kept in output/archive/NAME/VERSION/
    python build.py --report           gather output/report.json, output/index.html and a table
    python build.py import FILE.docx   write source/NAME.md (and its pictures) from a Word file
                                       (--force: overwrite them)
    (each run but --check and --html first withdraws the handouts whose source was deleted:
    their outputs removed, their last approved version kept in output/archive/)
    python build.py --debug            show Python tracebacks (for developers)
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from handouts.run import batch
from handouts.run import archive, leftovers
from handouts.diagnostics import Diagnostic, Diagnostics, display_path
from handouts.run.pipeline import (CLOCK_SLACK, build_handout, build_web_page, check_document,
                                   preload)
from handouts.run.project import Project

# One handout's build: (failed, stdout lines, stderr lines).
Outcome = tuple[bool, list[str], list[str]]


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["import"]:
        return _import(argv[1:])
    args = _parse(argv)
    started = time.time() - CLOCK_SLACK
    project = Project(Path(args.root).resolve())
    # Paths are taken relative to the project, as the Makefile names them.
    if args.report:
        return _report(project)
    if not args.dry_run:
        leftovers.remove(project)  # what a killed build (or release) left
    if args.watch:
        from handouts.run import watch
        try:
            watch.watch(project, lambda path: _watched(path, project, args), args.port)
        except KeyboardInterrupt:
            return 0
        except OSError as exc:  # the port is taken, most often
            print(f"error: cannot serve the preview on port {args.port} ({exc.strerror}); "
                  "choose another with --port", file=sys.stderr)
            return 1
    paths = [project.root / p for p in args.documents] or project.documents()
    if args.changed:
        paths = project.stale(paths, [project.root / p for p in args.depends])
    if args.dry_run:
        for path in paths:
            print(f"would build {display_path(path)}")
        for name in archive.gone(project):
            print(f"would withdraw {name} (source/{name}.md is gone)")
        return 0
    if not paths:
        if args.changed or (not args.documents and not args.check and not args.html
                            and archive.gone(project)):
            # nothing stale (or the last handout deleted): the report may be out of date
            return _report(project, quiet=bool(args.documents)) or \
                _built(project, started, args, failed=False)
        print(f"error: no handouts in {display_path(project.source_dir)}; add a NAME.md file",
              file=sys.stderr)
        return 1
    task = functools.partial(_one, project=project, args=args, total=len(paths))
    outcomes = (map(task, enumerate(paths, 1)) if args.debug
                else batch.run_all(task, list(enumerate(paths, 1)), preload=preload))
    failures = 0
    for failed, out, err in outcomes:
        failures += failed
        for line in out:
            print(line, flush=True)
        for line in err:
            print(line, file=sys.stderr, flush=True)
    if failures:
        print(f"{failures} of {len(paths)} handout(s) failed", file=sys.stderr)
    # output/ a file: every handout has said so already, and there is no catalogue to keep.
    output_is_file = project.output_dir.exists() and not project.output_dir.is_dir()
    if not args.check and not args.html and not output_is_file:
        # The catalogue describes the outputs there are, whatever failed; the table is
        # shown when every handout built.
        reported = _report(project, quiet=bool(failures or args.documents))
        _built(project, started, args, failed=bool(failures or reported))
        failures += reported
    return 1 if failures else 0


def _built(project: Project, started: float, args: argparse.Namespace, failed: bool) -> int:
    """output/reports/.built, whose time make compares with the files' (see the Makefile):
    the time this run began, when it left every handout built; none after a failure, so
    the next make looks again."""
    if args.documents:  # the other handouts were not looked at
        return 0
    stamp = project.reports_dir / ".built"
    try:
        if failed:
            stamp.unlink(missing_ok=True)
        else:
            stamp.parent.mkdir(parents=True, exist_ok=True)
            stamp.touch()
            os.utime(stamp, (started, started))
    except OSError as exc:
        print(f"error: {display_path(stamp)}: cannot be written ({exc.strerror}); make "
              "output/ a folder you may write to", file=sys.stderr)
        return 1
    return 0


def _watched(path: Path, project: Project, args: argparse.Namespace) -> Outcome:
    """make watch: one handout built, then the catalogue."""
    outcome = _one((1, path), project, args, 1)
    _report(project, quiet=True)
    return outcome


def _one(numbered: tuple[int, Path], project: Project, args: argparse.Namespace,
         total: int) -> Outcome:
    """Build (or check) one handout; (failed, stdout lines, stderr lines). Its messages are
    gathered, not printed, so handouts built side by side do not interleave."""
    number, path = numbered
    out: list[str] = []
    err: list[str] = []
    if total > 1 and not args.check:
        out.append(f"[{number}/{total}] {display_path(path)}")
    try:
        if args.check:
            return _check(path, project, out, err), out, err
        _build(path, project, args.strict, args.html, out, err, alone=total == 1,
               booklet=args.booklet)
        return False, out, err
    except Exception as exc:
        if isinstance(exc, Diagnostic):
            err += [f"error: {line}" for line in
                    (exc.lines() if isinstance(exc, Diagnostics) else [str(exc)])]
        else:  # a bug, not bad input: say so in one line
            err.append(f"error: {display_path(path)}: internal error ({type(exc).__name__}: "
                       f"{exc}); run 'python build.py --debug' and report the traceback")
        if args.debug:
            print("\n".join(out + err), file=sys.stderr)
            raise
    return True, out, err


def _report(project: Project, quiet: bool = False) -> int:
    """output/report.json and output/index.html written; the table printed unless quiet."""
    from handouts.run import summary
    try:
        for line in archive.withdraw(project):  # sources deleted: their outputs go
            print(line, flush=True)
        table = summary.summarize(project)
        if not quiet:
            print("\n".join(table))
    except OSError as exc:
        print(f"error: {display_path(project.output_dir)}: the build report cannot be written "
              f"({exc.strerror}); make output/ a folder you may write to", file=sys.stderr)
        return 1
    return 0


def _build(path: Path, project: Project, strict: bool, html_only: bool, out: list[str],
           err: list[str], alone: bool = False, booklet: bool = False) -> None:
    started = time.perf_counter()
    results = (build_web_page(path, project) if html_only
               else build_handout(path, project, strict=strict, side_by_side=alone,
                                  booklet=booklet))
    for result in results:  # one per edition
        outputs = ", ".join(display_path(p) for p in result.outputs.values())
        out.append(f"built {outputs} in {time.perf_counter() - started:.1f} s; verified "
                   f"{result.words} words in {result.blocks} blocks, {result.sections} "
                   f"sections and {result.references} references in each")
        if result.booklet:
            out.append(f"folded booklet {display_path(result.booklet)}: print on both sides, "
                       "flipping on the short edge; fold the stack and staple it")
        err += [f"warning: {warning}" for warning in result.warnings]
    out += [f"correction on record in {display_path(path)}: {correction}"
            for correction in results[0].corrections]


def _check(path: Path, project: Project, out: list[str], err: list[str]) -> bool:
    problems = check_document(path, project)
    err += [f"missing: {display_path(path)}: {problem}" for problem in problems]
    if not problems:
        out.append(f"checked {display_path(path)}: every block, section and citation is in "
                   "html, pdf and docx, in reading order")
    return bool(problems)


def _import(argv: Sequence[str]) -> int:
    """build.py import FILE.docx...: each Word file written as source/NAME.md."""
    parser = argparse.ArgumentParser(prog="build.py import",
                                     description="Write source/NAME.md from a Word handout")
    parser.add_argument("files", nargs="+", metavar="FILE.docx")
    parser.add_argument("--force", action="store_true",
                        help="overwrite source/NAME.md and its pictures if they are there")
    parser.add_argument("--root", default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    from handouts.importer import import_docx
    source_dir = Project(Path(args.root).resolve()).source_dir
    failed = 0
    for file in args.files:
        try:
            done = import_docx(Path(file), source_dir, force=args.force)
        except Diagnostic as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        pictures = f" and {len(done.pictures)} picture(s)" if done.pictures else ""
        print(f"imported {display_path(file)} into {display_path(done.markdown)}{pictures}; "
              f"build it with: python build.py {display_path(done.markdown)}")
        for warning in done.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    return 1 if failed else 0


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("documents", nargs="*", help="handouts to build (default: source/*.md)")
    parser.add_argument("--check", action="store_true",
                        help="verify existing outputs instead of building")
    parser.add_argument("--strict", action="store_true",
                        help="release build: stop on any warning")
    parser.add_argument("--html", action="store_true",
                        help="build only the web pages, a quick preview")
    parser.add_argument("--report", action="store_true",
                        help="gather the handouts' reports into output/report.json, "
                             "output/index.html and a table")
    parser.add_argument("--booklet", action="store_true",
                        help="also write output/NAME-booklet.pdf, a folded booklet (as "
                             "'paper: booklet' does)")
    parser.add_argument("--watch", action="store_true",
                        help="rebuild on every change and serve a live preview")
    parser.add_argument("--port", type=int, default=8000,
                        help="the preview's port on this computer (default 8000; 0: any)")
    parser.add_argument("--changed", action="store_true",
                        help="build only the handouts whose source, pictures, "
                             "bibliographies, styles or code changed since their last good "
                             "build (make runs this)")
    parser.add_argument("--depends", action="append", default=[], metavar="FILE",
                        help="with --changed: a file every handout depends on besides those "
                             "(make gives the stamp of the installed packages)")
    parser.add_argument("-n", "--dry-run", action="store_true",
                        help="list the handouts that would be built, build none")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--root", default=Path(__file__).resolve().parent,
                        help="project folder holding source/, styles/ and output/")
    return parser.parse_args(argv)


def _terminated(*_: object) -> NoReturn:
    """Stopped by SIGTERM: as after Ctrl+C, tidying up (a second SIGTERM ends it at once)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    global _signal_number
    _signal_number = signal.SIGTERM
    raise KeyboardInterrupt


_signal_number = signal.SIGINT


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminated)
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl+C: nothing half-written was put in place
        print("interrupted; the outputs of the last good builds are as they were",
              file=sys.stderr)
        sys.exit(128 + _signal_number)
