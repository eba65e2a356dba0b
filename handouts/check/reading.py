"""Plain-language report: how hard each section is to read, and what a patient handout
still lacks, to guide the author. It measures; it never rewrites text.

Reading grades are textstat's (Flesch-Kincaid grade and SMOG; textstat 0.7.3 counts
syllables with Pyphen, so nothing is fetched from the network). A term is a word of three
or more syllables that a patient may not know: not on the Dale-Chall list of familiar
words that textstat ships, nor among the common English words of
vocabulary/common-english.txt or the everyday health words of everyday-health.txt
(emergency, infection, procedure ...), itself, by its stem (irritable: irritate), without
un- or non- (untreated), or as two such words (fingernails). It is explained when a
sentence that uses it explains it (in brackets, with "means", "which is", "called", "known
as" ..., or "X is a ..."), when the handout's glossary lists it (alone or in a term of
several words), or when the front matter's defined_terms names it.
Never checked for terms or abbreviations: proper names (a capitalised word not at the start
of a sentence), addresses, phone numbers, web and e-mail addresses, citations, code, and
the reference list; nor the abbreviations every reader knows (everyday-abbreviations.txt).
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
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
# Capitals that are no abbreviation: Roman numerals (Type II, the XIX century).
ROMAN = re.compile(r"^M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
# A sentence ends at . ! or ? and a space, except after et al., e.g., i.e., vs., Dr. ...
SENTENCE_END = re.compile(r"(?<!\bal\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bvs\.)(?<!\bDr\.)"
                          r"(?<!\bMr\.)(?<!\bMs\.)(?<!\bSt\.)(?<=[.!?])\s+")
YOU = re.compile(r"\b(you|your|yours|yourself)\b", re.I)
# What is never reading text for the term and abbreviation checks: web and e-mail
# addresses, phone numbers, and postal addresses (a street with its number; a US state with
# its ZIP code, a UK or Canadian postcode, a PO box), as the clinic's contact details and
# {{contact}} print them.
NOT_WORDS = re.compile(
    r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"                                  # e-mail
    r"|\b(?:https?://|www\.)\S+"                                          # web address
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|edu|gov|nhs\.uk|co\.uk|org\.uk|uk|us|ca|"
    r"au|info|health)\b(?:/\S*)?"
    r"|\+?\(?\d[\d ().-]{5,}\d"                                             # phone
    r"|\b\d+[A-Za-z]?(?:-\d+)?\s+(?:[NSEW]{1,2}\.?\s+)?(?:[A-Z][\w'.-]*\s+){1,4}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Place|Pl|Court|"
    r"Ct|Square|Sq|Terrace|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Close|Crescent)\b\.?"
    r"(?:\s+[NSEW]{1,2}\b\.?)?"                                            # street
    r"|\b(?:Suite|Ste|Apt|Unit|Floor|Fl)\.?\s*#?\d+\w*"
    r"|\bP\.?\s?O\.?\s+Box\s+\d+"
    r"|\b[A-Z]{2},?\s+\d{5}(?:-\d{4})?\b"                                   # US state, ZIP
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b"                               # UK postcode
    r"|\b[A-Z]\d[A-Z]\s?\d[A-Z]\d\b")                                      # Canada
# A sentence explains its terms when it has a bracket or dash aside, or says what one means.
EXPLAINS = re.compile(r"[()—]|\b(?:means?|meaning|called|known as|refers? to|is when|"
                      r"are when|which is|which are|that is|i\.e\.|also named)\b", re.I)


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


def reading(document: m.Document, contact: Sequence[str] = ()) -> Reading:
    """The plain-language measures of a document, section by section. contact: the clinic's
    details from the theme ({{contact}} prints them), which the term checks never read."""
    parts = _sections(document)
    sections = [_section(title, line, blocks) for title, line, blocks in parts]
    text = _text(b for _, _, blocks in parts for b in blocks)
    checked = _checked_sentences((b for _, _, blocks in parts for b in blocks), contact)
    return Reading(
        grade=_grade(text), smog=_textstat().smog_index(text) if text else 0.0,
        target=document.meta.reading_grade_target, words=_textstat().lexicon_count(text),
        you=len(YOU.findall(text)), sections=[s for s in sections if s.words],
        undefined_terms=_undefined_terms(document, checked),
        unexplained_abbreviations=_unexplained_abbreviations(document, checked))


def warnings_for(document: m.Document, reading: Reading, theme: Theme) -> list[Diagnostic]:
    """What the author should hear about, one line each; a release build fails on any."""
    doc = document.source
    meta = doc.meta
    out = []
    today = datetime.date.today()
    if meta.review_due is None:
        pass  # a draft's missing review date: warned about with the front matter
    elif meta.review_due < today:
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
    if meta.audience == "clinicians" and not theme.organisation.has_referral_route():
        out.append(Diagnostic(
            theme.path, "the organisation has no referral phone, fax, secure e-mail or "
            "e-referral address", "clinicians need a way to refer: fill in referral_phone, "
            "fax, referral_email or referral_address under 'organisation'",
            code="no-referral-route", severity=WARNING))
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
                  | m.Figure() | m.Division() | m.Rule() | m.DisplayMath() | m.PageBreak()):
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


def _prose(inlines: list[m.Inline]) -> str:
    """The words of some inlines the term checks read: no citation, code, footnote number
    or link address printed for paper."""
    parts = []
    for node in inlines:
        match node:
            case m.Text():
                parts.append(node.text)
            case m.Styled() if node.style == "print-address":
                parts.append(" ")
            case m.Styled() | m.Link():
                parts.append(_prose(node.children))
            case m.Abbreviation():
                parts.append(f"{node.text} ({node.expansion})" if node.first else node.text)
            case (m.LineBreak() | m.Code() | m.Citation() | m.FootnoteRef() | m.InlineImage()
                  | m.Math()):
                parts.append(" ")
            case _:
                assert_never(node)
    return "".join(parts)


def _checked_sentences(blocks: Iterable[m.Block], contact: Sequence[str] = ()) -> list[str]:
    """The sentences the term and abbreviation checks read, each block's on its own, with
    the clinic's details, web, e-mail and postal addresses and phone numbers taken out."""
    out = []
    contact = sorted(filter(None, contact), key=len, reverse=True)  # the longest first
    for block in m.walk(list(blocks)):
        for inlines in m.inline_lists(block):
            text = _prose(inlines)
            for value in contact:
                text = text.replace(value, " ")
            text = NOT_WORDS.sub(" ", text)
            out += [s.strip() for s in SENTENCE_END.split(text) if s.strip()]
    return out


def _is_name(words: list[str], n: int) -> bool:
    """A proper name: a capitalised word not at the start of its sentence, or one of a run
    of capitalised words (a clinic's or a place's name, a title in title case)."""
    if not words[n][0].isupper():
        return False
    return n > 0 or (len(words) > 1 and words[1][0].isupper())


def _undefined_terms(document: m.Document, sentences: list[str]) -> list[tuple[str, int]]:
    """Each term not explained, once, with the line of its first use; proper names are
    told by clause, so a capital after a colon starts one ("Side effects: Nausea ...")."""
    defined = _defined(document)
    # Also each word of a defined term: "Central sensitization" defines "sensitization".
    defined |= {w for d in defined for w in d.split() if len(w) >= 4}
    found: list[tuple[str, int]] = []
    seen: set[str] = set()
    for sentence in sentences:
        for clause in re.split(r"[:;]\s+", sentence):
            words = WORD.findall(clause)
            for n, word in enumerate(words):
                folded = word.lower().strip("'-")
                family = _stem(folded.split("-")[-1])  # verruca, verrucas; non-spermicidal
                if family in seen or word.isupper() or _is_name(words, n):
                    continue
                seen.add(family)
                if not (_familiar(folded) or _is_defined(folded, defined, sentences)):
                    found.append((folded, _line_of(document, word)))
    return found


# Endings and beginnings a reader sees through: a word is familiar when its stem is a
# familiar word's stem (irritated, irritable: irritate), or without un-, non-, over- ...
# (untreated: treated), or when it is two familiar words (fingernails, sleepwalking).
SUFFIXES = ("abilities", "ability", "ibility", "ations", "ation", "ating", "ated", "ates",
            "ables", "able", "ible", "ness", "ments", "ment", "ings", "ing", "ers", "er",
            "edly", "ed", "ies", "es", "ily", "ly", "ally", "al", "ity", "ive", "ions", "ion",
            "ate", "s", "e", "y")
PREFIXES = ("un", "non-", "non", "over", "under", "self-")
ENDINGS = sorted({len(s) for s in SUFFIXES}, reverse=True)
SUFFIX_SET = frozenset(SUFFIXES)


def _stem(word: str) -> str:
    """A rough stem, the same for a word's family: the longest ending taken off, twice at
    most, the stem kept four letters or more."""
    for _ in range(2):
        ending = next((n for n in ENDINGS if len(word) - n >= 4 and word[-n:] in SUFFIX_SET),
                      0)
        if not ending:
            break
        word = word[:-ending]
    return word


def _familiar(word: str) -> bool:
    """Short (under three syllables), or a familiar word: on textstat's easy words or a
    list of vocabulary/, itself or by its stem, without a prefix, or two such words; a
    word with hyphens when each part is."""
    if "-" in word:
        return all(_familiar(part) for part in word.split("-") if part)
    if _textstat().syllable_count(word) < 3 or _known_form(word):
        return True
    if any(word.startswith(p) and len(word) - len(p) >= 5 and _known_form(word[len(p):])
           for p in PREFIXES):
        return True
    return any(_known(word[:n]) and _known_form(word[n:]) for n in range(3, len(word) - 3))


def _known(word: str) -> bool:
    return word in _known_words() or word in _dale_chall()


def _known_form(word: str) -> bool:
    """Known itself, by its stem, or once an ending is taken off (laxatives: laxative,
    itchiness: itchy, softening: soften, hydrated: hydrate)."""
    return any(_known(form) or _stem(form) in _known_stems() for form in _forms(word))


INFLECTIONS = (("ies", "y"), ("iness", "y"), ("ily", "y"), ("ied", "y"), ("es", ""),
               ("s", ""), ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"), ("d", ""),
               ("ness", ""), ("ly", ""), ("ation", "e"), ("ation", ""))


def _forms(word: str) -> list[str]:
    return [word] + [word[:-len(end)] + base for end, base in INFLECTIONS
                     if word.endswith(end) and len(word) - len(end) >= 4]


@functools.cache
def _known_words() -> frozenset[str]:
    return _vocabulary("everyday-health.txt") | _vocabulary("common-english.txt")


@functools.cache
def _known_stems() -> frozenset[str]:
    """The stems of every familiar word: the lists of vocabulary/ and the Dale-Chall list
    textstat ships."""
    return frozenset(_stem(w) for w in _known_words() | _dale_chall() if len(_stem(w)) >= 4)


@functools.cache
def _dale_chall() -> frozenset[str]:
    """The Dale-Chall list of familiar words that textstat ships."""
    path = resources.files("textstat") / "resources" / "en" / "easy_words.txt"
    return frozenset(path.read_text("utf-8").split())


@functools.cache
def _vocabulary(name: str) -> frozenset[str]:
    """A word list shipped in vocabulary/: one entry a line, '#' starts a comment."""
    text = (resources.files("handouts.check") / "vocabulary" / name).read_text("utf-8")
    return frozenset(line.split("#")[0].strip() for line in text.splitlines()
                     if line.split("#")[0].strip())


def _is_defined(word: str, defined: set[str], sentences: list[str]) -> bool:
    """In the glossary or defined_terms (defined holds each word of a term there too), or
    explained in a sentence that uses it."""
    if any(word == d or word.startswith(d) or d.startswith(word) for d in defined if d):
        return True
    used = re.compile(rf"\b{re.escape(word)}", re.I)
    says = re.compile(rf"\b{re.escape(word)}\w*(?:(?:,| (?:is|are)) (?:a|an|the|when|where)\b"
                      r"|:\s)", re.I)  # "X is a ...", "X, a ...", "X: ..."
    return any(used.search(s) and (EXPLAINS.search(s) or says.search(s)) for s in sentences)


def _unexplained_abbreviations(document: m.Document, sentences: list[str]
                               ) -> list[tuple[str, int]]:
    text = " ".join(sentences)
    spelled = {n.text for n in m.all_inlines(document.blocks) if isinstance(n, m.Abbreviation)}
    spelled |= {t.upper() for t in _defined(document)}
    spelled |= _vocabulary("everyday-abbreviations.txt")
    spelled |= set(re.findall(r"\(([A-Z][A-Z0-9]*[A-Z]s?)\)", text))   # words (ABBR)
    spelled |= set(re.findall(r"\b([A-Z][A-Z0-9]*[A-Z]s?) \(", text))  # ABBR (words)
    spelled |= {a[:-1] for a in spelled if a.endswith("s")}            # UTIs: UTI too
    found: list[tuple[str, int]] = []
    seen: set[str] = set()
    for abbreviation in ABBREVIATION.findall(text):
        if (abbreviation.rstrip("s") in seen or abbreviation.rstrip("s") in spelled
                or abbreviation in spelled or _not_abbreviation(abbreviation)):
            continue
        seen.add(abbreviation.rstrip("s"))
        found.append((abbreviation, _line_of(document, abbreviation)))
    return found


def _not_abbreviation(capitals: str) -> bool:
    """A Roman numeral, or an everyday word set in capitals for stress (NOTE, DO NOT,
    WARNING): nothing to spell out."""
    return bool(ROMAN.match(capitals)) or _known_form(capitals.lower())


def _line_of(document: m.Document, word: str) -> int:
    doc = document.source
    for offset, line in enumerate(doc.body.split("\n")):
        if re.search(rf"\b{re.escape(word)}\b", line):
            return doc.body_line + offset
    return doc.body_line
