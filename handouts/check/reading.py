"""Plain-language report: how hard each section is to read, and what a patient handout
still lacks, to guide the author. It measures; it never rewrites text.

Reading grades are textstat's (Flesch-Kincaid grade and SMOG; textstat 0.7.3 counts
syllables with Pyphen, so nothing is fetched from the network). A term is a word of three
or more syllables outside the Dale-Chall list of familiar words that textstat ships; it is
defined when the handout's glossary lists it, when its first use explains it in brackets
or with "means", or when the front matter's defined_terms names it.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, assert_never

from handouts import model as m
from handouts.diagnostics import WARNING, Diagnostic
from handouts.furniture import date_text

if TYPE_CHECKING:
    from handouts.style.theme import Theme

LONGEST = 2                    # longest sentences shown per section
SHOWN = 12                     # unexplained terms named in the warning (all are in the report)
SOON_DAYS = 30                 # a review due within this many days is due soon
NEXT_STEP = re.compile(r"what to do|next step|when to call|call us|contact|questions|"
                       r"how to|before your|after your|what happens|get help|appointment",
                       re.I)
ABBREVIATION = re.compile(r"\b[A-Z][A-Z0-9]*[A-Z](?:s)?\b")
WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
# A sentence ends at . ! or ? and a space, except after et al., e.g., i.e., vs., Dr. ...
SENTENCE_END = re.compile(r"(?<!\bal\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bvs\.)(?<!\bDr\.)"
                          r"(?<!\bMr\.)(?<!\bMs\.)(?<!\bSt\.)(?<=[.!?])\s+")
YOU = re.compile(r"\b(you|your|yours|yourself)\b", re.I)


@dataclass
class Section:
    title: str
    line: int
    words: int
    sentences: int
    grade: float               # Flesch-Kincaid
    smog: float
    longest: list[str] = field(default_factory=list)


@dataclass
class Reading:
    grade: float
    smog: float
    target: float
    words: int
    you: int                   # times the text speaks to the reader
    sections: list[Section] = field(default_factory=list)
    undefined_terms: list[tuple[str, int]] = field(default_factory=list)
    unexplained_abbreviations: list[tuple[str, int]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _textstat() -> ModuleType:
    """textstat, loaded when a grade is first computed: a tenth of a second, spent in the
    process that computes it (beside the PDF writer, in a single build)."""
    import textstat
    module: ModuleType = textstat  # it ships no types
    return module


def reading(document: m.Document) -> Reading:
    """The plain-language measures of a document, section by section."""
    parts = _sections(document)
    sections = [_section(title, line, blocks) for title, line, blocks in parts]
    text = _text(b for _, _, blocks in parts for b in blocks)
    return Reading(
        grade=_grade(text), smog=_textstat().smog_index(text) if text else 0.0,
        target=document.meta.reading_grade_target, words=_textstat().lexicon_count(text),
        you=len(YOU.findall(text)), sections=[s for s in sections if s.words],
        undefined_terms=_undefined_terms(document, text),
        unexplained_abbreviations=_unexplained_abbreviations(document, text))


def warnings_for(document: m.Document, reading: Reading, theme: Theme) -> list[Diagnostic]:
    """What the author should hear about, one line each; a release build fails on any."""
    doc = document.source
    meta = doc.meta
    out = []
    today = datetime.date.today()
    if meta.review_due < today:
        out.append(Diagnostic(
            doc.path, f"review was due on {date_text(meta.review_due)}", "check the text "
            "against current evidence, then update version, date and review_due",
            doc.line_of("review_due"), code="review-overdue", severity=WARNING))
    elif (meta.review_due - today).days <= SOON_DAYS:
        out.append(Diagnostic(
            doc.path, f"review is due soon, on {date_text(meta.review_due)}",
            "plan the review now", doc.line_of("review_due"), code="review-due-soon",
            severity=WARNING))
    if not meta.approved_by or not meta.approved_on:
        out.append(Diagnostic(
            doc.path, "no approver on record", "add 'approved_by: {name: ..., role: ...}' "
            "and 'approved_on: YYYY-MM-DD' before release", code="no-approver",
            severity=WARNING))
    if meta.audience != "patients":
        return out
    if not (theme.organisation.phone or theme.organisation.address):
        out.append(Diagnostic(theme.path, "the organisation has no phone number or address",
                              "patients need to know whom to call", code="no-contact",
                              severity=WARNING))
    if not any(isinstance(b, m.Heading) and NEXT_STEP.search(m.inline_text(b.children))
               for b in m.walk(document.blocks)):
        out.append(Diagnostic(
            doc.path, "no section tells the reader what to do next", "add one, e.g. "
            "'## When to call us' or '## What to do next'", code="no-next-step",
            severity=WARNING))
    return out + _reading_warnings(reading, doc.path)


def _reading_warnings(reading: Reading, path: Path) -> list[Diagnostic]:
    """Sections above the target grade, terms not explained, abbreviations not spelled out."""
    out = []
    for section in reading.sections:
        if section.grade > reading.target:
            longest = _short(section.longest[0]) if section.longest else ""
            out.append(Diagnostic(
                path, f"'{section.title}' reads at grade {section.grade:g}, above the target "
                f"of {reading.target:g}", f"its longest sentence: \"{longest}\"", section.line,
                code="reading-grade", severity=WARNING))
    if reading.undefined_terms:
        _, line = reading.undefined_terms[0]
        listed = ", ".join(f"{t} ({n})" for t, n in reading.undefined_terms[:SHOWN])
        more = len(reading.undefined_terms) - SHOWN
        out.append(Diagnostic(
            path, f"{len(reading.undefined_terms)} terms are not explained: {listed}"
            f"{f' and {more} more' if more > 0 else ''}", "define each on first use, in a "
            "glossary, or list it under defined_terms", line, code="undefined-terms",
            severity=WARNING))
    for abbreviation, line in reading.unexplained_abbreviations:
        out.append(Diagnostic(
            path, f"the abbreviation '{abbreviation}' is never spelled out",
            f"write the words first, then ({abbreviation})", line,
            code="unexplained-abbreviation", severity=WARNING))
    return out


Part = tuple[str, int, list[m.Block]]  # a section's title, line and blocks


def _sections(document: m.Document) -> list[Part]:
    """(title, line, blocks) for the text before the first section and each ## section;
    the reference list and footnotes are not reading text."""
    out: list[Part] = [("Opening", document.source.body_line, [])]
    for block in document.blocks:
        match block:
            case m.References() | m.Footnotes():
                continue
            case m.Heading() if block.level == 2:
                line = block.line or out[-1][1]
                out.append((m.inline_text(block.children), line, []))
            case (m.Heading() | m.Paragraph() | m.BulletList() | m.OrderedList()
                  | m.DefinitionList() | m.Table() | m.Callout() | m.Quote() | m.CodeBlock()
                  | m.Figure() | m.Division() | m.Rule()):
                out[-1][2].append(block)
            case _:
                assert_never(block)
    return out


def _section(title: str, line: int, blocks: list[m.Block]) -> Section:
    text = _text(blocks)
    sentences = [s.strip() for s in SENTENCE_END.split(text) if s.strip()]
    longest = sorted(sentences, key=lambda s: -_textstat().lexicon_count(s))[:LONGEST]
    return Section(title, line, _textstat().lexicon_count(text) if text else 0,
                   _textstat().sentence_count(text) if text else 0, _grade(text),
                   _textstat().smog_index(text) if text else 0.0, longest)


def _text(blocks: Iterable[m.Block]) -> str:
    """Reading text: each block's text as a sentence of its own (list items and headings
    read as short sentences, as a reader meets them)."""
    parts = []
    for block in m.walk(list(blocks)):
        for inlines in m.inline_lists(block):
            text = m.inline_text(inlines).strip()
            if text:  # a list after a colon reads as sentences of their own
                parts.append(text if text[-1] in ".!?" else text.rstrip(":") + ".")
    return " ".join(parts)


def _grade(text: str) -> float:
    return round(_textstat().flesch_kincaid_grade(text), 1) if text.strip() else 0.0


def _short(sentence: str, limit: int = 90) -> str:
    return sentence if len(sentence) <= limit else sentence[:limit - 3] + "..."


def _defined(document: m.Document) -> set[str]:
    glossary = {m.inline_text(term).strip().lower() for b in m.walk(document.blocks)
                if isinstance(b, m.DefinitionList) for item in b.items for term in item.terms}
    return glossary | {t.lower() for t in document.meta.defined_terms}


def _undefined_terms(document: m.Document, text: str) -> list[tuple[str, int]]:
    defined = _defined(document)
    found: list[tuple[str, int]] = []
    seen: set[str] = set()
    for word in WORD.findall(text):
        folded = word.lower().strip("'-")
        if folded in seen or _familiar(folded) or word.isupper():
            continue
        seen.add(folded)
        if _textstat().syllable_count(folded) < 3 or _is_defined(folded, defined, text):
            continue
        found.append((folded, _line_of(document, word)))
    return found


SUFFIXES = ("ly", "ed", "d", "s", "es", "ing", "ies", "ment", "al")


def _familiar(word: str) -> bool:
    """On the familiar-word list, itself or without an ending (reported: report)."""
    stems = [word] + [word[:-len(s)] for s in SUFFIXES if word.endswith(s) and
                      len(word) - len(s) >= 3]
    stems += [stem[:-1] + "y" for stem in stems if stem.endswith("i")]
    return any(_textstat().is_easy_word(stem) for stem in stems)


def _is_defined(word: str, defined: set[str], text: str) -> bool:
    if any(word == d or word.startswith(d) or d.startswith(word) for d in defined if d):
        return True
    first = re.search(rf"\b{re.escape(word)}\b[^.]*", text, re.I)
    explained = first and re.match(rf"{re.escape(word)}\w*\s*(\(|,? (which )?means\b|, or\b|—)",
                                   first.group(), re.I)
    return bool(explained)


def _unexplained_abbreviations(document: m.Document, text: str) -> list[tuple[str, int]]:
    spelled = {n.text for n in m.all_inlines(document.blocks) if isinstance(n, m.Abbreviation)}
    spelled |= {t.upper() for t in _defined(document)}
    spelled |= set(re.findall(r"\(([A-Z][A-Z0-9]*[A-Z]s?)\)", text))   # words (ABBR)
    spelled |= set(re.findall(r"\b([A-Z][A-Z0-9]*[A-Z]s?) \(", text))  # ABBR (words)
    found: list[tuple[str, int]] = []
    seen: set[str] = set()
    for abbreviation in ABBREVIATION.findall(text):
        if abbreviation in seen or abbreviation.rstrip("s") in spelled or abbreviation in spelled:
            continue
        seen.add(abbreviation)
        found.append((abbreviation, _line_of(document, abbreviation)))
    return found


def _line_of(document: m.Document, word: str) -> int:
    doc = document.source
    for offset, line in enumerate(doc.body.split("\n")):
        if re.search(rf"\b{re.escape(word)}\b", line):
            return doc.body_line + offset
    return doc.body_line
