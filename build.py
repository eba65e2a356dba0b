#!/usr/bin/env python3
"""Build clinical handouts: each source/NAME.md becomes output/NAME.html, .pdf and .docx.

    python build.py                    build every handout in source/
    python build.py source/NAME.md     build one
    python build.py --html             only the web pages (a quick preview; no PDF or Word file)
    python build.py --check            verify the outputs on disk hold every word of every block
    python build.py --strict           a release build: any warning is a failure
    python build.py --report           gather output/report.json, output/index.html and a table
    python build.py --debug            show Python tracebacks (for developers)
"""

import argparse
import sys
import time
from pathlib import Path

from handouts.errors import BuildError, BuildErrors, display_path
from handouts.pipeline import Project, build_document, build_web_page, check_document


def main(argv=None):
    args = _parse(argv)
    project = Project(Path(args.root).resolve())
    # Paths are taken relative to the project, as the Makefile names them.
    if args.report:
        return _report(project)
    paths = [project.root / p for p in args.documents] or project.documents()
    if not paths:
        print(f"error: no handouts in {display_path(project.source_dir)}; add a NAME.md file",
              file=sys.stderr)
        return 1
    failures = built = 0
    for number, path in enumerate(paths, 1):
        if len(paths) > 1 and not args.check:
            print(f"[{number}/{len(paths)}] {display_path(path)}", flush=True)
        try:
            if args.check:
                failures += _check(path, project)
            else:
                _build(path, project, args.strict, args.html)
                built += 1
        except BuildError as exc:
            failures += 1
            for line in exc.lines() if isinstance(exc, BuildErrors) else [str(exc)]:
                print(f"error: {line}", file=sys.stderr)
            if args.debug:
                raise
        except Exception as exc:  # a bug, not bad input: say so in one line
            failures += 1
            print(f"error: {display_path(path)}: internal error ({type(exc).__name__}: {exc}); "
                  "run 'python build.py --debug' and report the traceback", file=sys.stderr)
            if args.debug:
                raise
    if failures:
        print(f"{failures} of {len(paths)} handout(s) failed", file=sys.stderr)
    if built and not args.documents and not args.html:  # every handout: the report table too
        failures += _report(project)
    return 1 if failures else 0


def _report(project):
    from handouts import summary
    try:
        print("\n".join(summary.summarize(project)))
    except OSError as exc:
        print(f"error: {display_path(project.output_dir)}: the build report cannot be written "
              f"({exc.strerror}); make output/ a folder you may write to", file=sys.stderr)
        return 1
    return 0


def _build(path, project, strict, html_only=False):
    started = time.perf_counter()
    result = (build_web_page(path, project) if html_only
              else build_document(path, project, strict=strict))
    outputs = ", ".join(display_path(p) for p in result.outputs.values())
    print(f"built {outputs} in {time.perf_counter() - started:.1f} s; "
          f"verified {result.words} words in {result.blocks} blocks, {result.sections} sections "
          f"and {result.references} references in each")
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for correction in result.corrections:
        print(f"correction on record in {display_path(path)}: {correction}")


def _check(path, project):
    problems = check_document(path, project)
    for problem in problems:
        print(f"missing: {display_path(path)}: {problem}", file=sys.stderr)
    if not problems:
        print(f"checked {display_path(path)}: every block, section and citation is in html, pdf "
              "and docx, in reading order")
    return 1 if problems else 0


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
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
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--root", default=Path(__file__).resolve().parent,
                        help="project folder holding source/, styles/ and output/")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
