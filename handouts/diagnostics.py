"""Diagnostics: every error and warning of every stage, for the people who write handouts.

One type, Diagnostic: its severity, the file, the line (and column) where known, a short
code, the message and what to do. An error is raised (several at once as Diagnostics); a
warning is collected and shown, and a release build (build.py --strict) turns the warnings
whose code is in RELEASE_BLOCKING into errors, by code, never by matching their text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

MAX_SHOWN = 300  # characters of a message (or a hint): a line a person reads
ERROR, WARNING = "error", "warning"
# The warnings a release build (build.py --strict, make release) refuses, by code: every one.
RELEASE_BLOCKING = frozenset({
    "review-overdue", "review-due-soon", "no-approver", "no-contact", "no-next-step",
    "no-referral-route",
    "reading-grade", "undefined-terms", "unexplained-abbreviation",  # check/reading.py
    "pdf-unchecked-script", "reference-not-cited", "unknown-citation-key", "bibliography-entry-type", "bibliography-entry-skipped",
    "installed-font", "refused-address",
    "unused-footnote", "bare-link-text", "malformed-math", "shortcode-left-out",
    "grid-table-spans", "unknown-cross-reference", "unknown-box-kind",  # read/markdown.py
    # a draft: read/front_matter.py, and what read/markdown.py prints in a draft's way
    "missing-version", "missing-date", "missing-review-due", "missing-lang", "missing-title",
    "unreadable-date", "unknown-front-matter", "heading-level-skipped", "missing-alt-text",
    "missing-picture", "undefined-footnote", "empty-heading", "no-bibliography"})


class Diagnostic(Exception):
    """A problem in the input, reported as one line: where, what is wrong, what to do."""

    def __init__(self, path: str | Path | None, message: str, hint: str = "",
                 line: int | None = None, *, code: str = "", severity: str = ERROR,
                 column: int | None = None, released: bool = False,
                 edition: str = "") -> None:
        super().__init__(message)
        self.path = Path(path) if path else None
        self.line = line
        self.column = column
        self.message = message
        self.hint = hint
        self.code = code
        self.severity = severity
        self.released = released  # a warning a release build made an error
        self.edition = edition    # the edition it is about, when the handout has editions

    def __reduce__(self) -> tuple[Callable[[type[Diagnostic], dict[str, object]], Diagnostic],
                                  tuple[type[Diagnostic], dict[str, object]]]:
        # whole across processes (a Word file written side by side)
        return _restore, (type(self), self.__dict__)

    def as_error(self) -> Diagnostic:
        """This warning as a release build reports it: an error that says why."""
        return Diagnostic(self.path, self.message, self.hint, self.line, code=self.code,
                          column=self.column, released=True, edition=self.edition)

    def where(self) -> str:
        """file:line, and the edition when there is one: 'source/x.md:29 (referrer edition)'."""
        if self.path is None:
            return f"{self.edition} edition" if self.edition else "build"
        place = display_path(self.path)
        place = f"{place}:{self.line}" if self.line else place
        return f"{place} ({self.edition} edition)" if self.edition else place

    def __str__(self) -> str:
        text = _shortened(self.message)  # a warning of no one file: its message alone
        text = f"{self.where()}: {text}" if self.path is not None or self.edition else text
        text = f"{text}; {_shortened(self.hint)}" if self.hint else text
        # A refused warning names its code, the name a release's log is searched by.
        code = f": {self.code}" if self.code else ""
        text += f" (a release build allows no warnings{code})" if self.released else ""
        # One line, whatever the author's values hold.
        return text.replace("\r", "\\r").replace("\n", "\\n")


class Diagnostics(Diagnostic):
    """Several errors found in one run, each its own line."""

    def __init__(self, errors: Sequence[Diagnostic]) -> None:
        first = errors[0]
        super().__init__(first.path, first.message, first.hint, first.line)
        self.errors = list(errors)

    def lines(self) -> list[str]:
        return [str(e) for e in self.errors]


def _shortened(text: str, most: int = MAX_SHOWN) -> str:
    """A message quotes the author's values; a pasted page must not become the message."""
    return text if len(text) <= most else text[:most - 1] + "…"


def display_path(path: str | Path) -> str:
    """A path as the person at the terminal typed it: relative to where they stand."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _restore(kind: type[Diagnostic], state: dict[str, object]) -> Diagnostic:
    error = kind.__new__(kind)
    Exception.__init__(error, state.get("message"))
    error.__dict__.update(state)
    return error
