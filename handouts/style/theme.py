"""Theme stage: styles/theme.yaml, the one place for colours, type, paper and the clinic's details.

The same Theme object feeds the CSS custom properties of the web page and the PDF, and the
Word styles, page setup and footer of the DOCX, so no colour or font is written twice.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, Protocol

import fontpkg_atkinson_hyperlegible as atkinson
import yaml

from handouts.diagnostics import Diagnostic
from handouts.messages import catalogue
from handouts.paths import Outside, inside
from handouts.read.images import ImageProblem, data_url
from handouts.read.front_matter import (DEFAULT_LANG, LANG_TAG, MAX_VALUE_CHARS, PAPER_HINT,
                                        UNPRINTABLE, key_lines, read_paper, read_yaml,
                                        refuse_control_characters, unreadable_value_line)

if TYPE_CHECKING:
    from handouts.read.front_matter import Document as Source

HEX_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
COLORS = ("primary_color", "accent_color", "text_color", "callout_background")
PAPER_MM = {"letter": (215.9, 279.4), "a4": (210.0, 297.0)}
MIN_FONT_PT = 11
FOOTER_FONT_PT = 9      # only the running header and footer may be smaller than MIN_FONT_PT
# Smaller type as a share of the text's size (see Theme.small_type_pt), in every format: the
# references, footnotes and document control; figure captions; the organisation's name.
SMALL_TYPE = {"--small-font": 0.9, "--caption-font": 0.95, "--brand-font": 0.85}
# The bundled typeface; any other family must be installed on the machine.
BUNDLED_FONTS = {atkinson.FAMILY: {
    ("normal", 400): "AtkinsonHyperlegible-Regular.ttf",
    ("normal", 700): "AtkinsonHyperlegible-Bold.ttf",
    ("italic", 400): "AtkinsonHyperlegible-Italic.ttf",
    ("italic", 700): "AtkinsonHyperlegible-BoldItalic.ttf",
}}


# How a clinician refers (organisation.referral_phone, fax, referral_email, referral_address):
# each a labelled line of a clinicians' contact details, the label from the handout's language.
REFERRAL_LABELS = {"referral_phone": "referral_phone", "fax": "referral_fax",
                   "referral_email": "referral_email", "referral_address": "referral_address"}
# Characters Markdown or HTML would read as markup, written as character references (a
# backslash does not escape them all: '\<' prints its backslash).
MARKDOWN_PUNCTUATION = re.compile(r"[\\`*_{}\[\]<>()#+!|~&]")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def tel_address(phone: str) -> str:
    """tel: and the number's digits (a leading + kept), up to any extension; '' when fewer
    than three digits (not a number)."""
    number = re.split(r"[^\d\s()+./-]", phone, maxsplit=1)[0]
    digits = re.sub(r"[^\d+]", "", number)
    digits = digits[:1] + digits[1:].replace("+", "")
    return f"tel:{digits}" if len(digits.lstrip("+")) >= 3 else ""


def web_address(address: str) -> str:
    """A website as a link: as written with its scheme, https:// added to a bare domain;
    '' for text that is not an address."""
    if re.match(r"https?://[^\s<>]+$", address):
        return address
    return f"https://{address}" if re.match(r"[\w-]+(\.[\w-]+)+(/[^\s<>]*)?$", address) else ""


def mail_address(address: str) -> str:
    return f"mailto:{address}" if re.match(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$", address) else ""


@dataclass
class Organisation:
    name: str = ""
    address: str = ""
    phone: str = ""
    website: str = ""
    hours: str = ""              # when the clinic answers: for patients and referrers alike
    referral_phone: str = ""     # for referring clinicians
    fax: str = ""
    referral_email: str = ""     # a secure e-mail address for referrals
    referral_address: str = ""   # an e-referral service, or where referral letters go
    logo: str = ""

    def contact_lines(self, audience: str = "patients", lang: str = "en") -> list[str]:
        """The details under the name, for a handout's readers: the address, phone, hours
        and website; for clinicians, each way to refer after them, labelled."""
        say = catalogue(lang)
        lines = [v for v in (self.address, self.phone) if v]
        lines += [say("contact_hours", hours=self.hours)] if self.hours else []
        lines += [self.website] if self.website else []
        if audience == "clinicians":
            for key, label in REFERRAL_LABELS.items():
                value = getattr(self, key)
                # One number for everything: printed once, as the phone.
                if value and not (key == "referral_phone" and value == self.phone):
                    lines.append(say(label, value=value))
        return lines

    def contact_values(self) -> list[str]:
        """Every detail of the clinic as written (not the logo's file name): text no check
        of the handout's wording reads."""
        return [value for key, value in vars(self).items() if key != "logo" and value]

    def has_referral_route(self) -> bool:
        """A referral phone, fax, secure e-mail or e-referral address: a way to refer."""
        return any(getattr(self, key) for key in REFERRAL_LABELS)

    def contact_text(self, doc: Source) -> list[str]:
        """The name and the details, for the handout's readers and in its language: what
        {{contact}} writes into the text (read/editions.py) and the panel prints."""
        return [line for line in [self.name, *self.contact_lines(doc.meta.audience,
                                                                   doc.meta.lang)] if line]

    def contact_markdown(self, doc: Source) -> str:
        """contact_text as the one line of Markdown {{contact}} becomes, each detail on a line
        of its own as in the panel (<br> between them); the details are text, never markup,
        but a phone number, e-mail address or website is a link (link_in), as in the panel."""
        def text(value: str) -> str:
            return MARKDOWN_PUNCTUATION.sub(lambda c: f"&#{ord(c.group())};", value)
        lines = []
        for line in self.contact_text(doc):
            found = self.link_in(line)
            # A website written as its address stays text here: the reader would warn that
            # the link's words do not say where it leads (the panel links it).
            if found and not re.match(r"(https?://|www\.)", found[1], re.I):
                lines.append(text(found[0]) + f"[{text(found[1])}](<{found[2]}>)")
            else:
                lines.append(text(line))
        return "<br>".join(lines)

    def link_in(self, line: str) -> tuple[str, str, str] | None:
        """(the words before, the detail, its address) for a line of the details that ends
        with a phone number (tel:), an e-mail address (mailto:) or a website, as written
        in the theme's fields; None for a line without one."""
        targets = [(self.phone, tel_address(self.phone)),
                   (self.referral_phone, tel_address(self.referral_phone)),
                   (self.referral_email, mail_address(self.referral_email)),
                   (self.website, web_address(self.website)),
                   (self.referral_address, web_address(self.referral_address))]
        for value, href in targets:
            head = line[:-len(value)] if value and line.endswith(value) else None
            if href and head is not None and (not head or head[-1].isspace()):  # all of it
                return head, value, href
        return None

    def in_text(self, doc: Source) -> bool:
        """Whether the text holds the details ({{contact}} filled in): then no panel and no
        name at the end repeats them."""
        line = self.contact_markdown(doc)
        return bool(line) and line in doc.body.split("\n")

    def panel_lines(self, doc: Source) -> list[str]:
        """The 'Contact us' panel that closes the text, before the references, in every
        format: the name and the details; none without details, or when the text holds
        them already. Writers and the checker all decide by this."""
        if not self.contact_lines(doc.meta.audience, doc.meta.lang) or self.in_text(doc):
            return []
        return self.contact_text(doc)


@dataclass
class Theme:
    path: Path
    primary_color: str = "#1F4E79"
    accent_color: str = "#2A7866"
    text_color: str = "#1A1A1A"
    callout_background: str = "#EEF4F8"
    font_family: str = atkinson.FAMILY
    font_size_pt: float = 11.5
    paper: str = "letter"
    booklet: bool = False   # paper: booklet (letter sheets) or a4 booklet: a folded booklet too
    lang: str = DEFAULT_LANG  # the language of a handout whose front matter names none
    margins_mm: dict[str, float] = field(default_factory=lambda: {"top": 20, "bottom": 20,
                                                      "left": 19, "right": 19})
    organisation: Organisation = field(default_factory=Organisation)
    logo_url: str = field(default="", repr=False)  # made from organisation.logo, not a setting

    @property
    def styles_dir(self) -> Path:
        return self.path.parent

    def logo_path(self) -> Path | None:
        return self.styles_dir / self.organisation.logo if self.organisation.logo else None

    def custom_properties(self, fallback: Iterable[str] = ()) -> dict[str, str]:
        """The theme as CSS custom properties; styles/handout.css uses only these. fallback:
        the families for characters the theme's typeface lacks (fonts.py)."""
        families = "".join(f"'{family}', " for family in [self.font_family, *fallback])
        return {"--primary": self.primary_color, "--accent": self.accent_color,
                "--text": self.text_color, "--callout-bg": self.callout_background,
                "--font": f"{families}sans-serif",
                "--font-size": f"{self.font_size_pt}pt",
                "--min-font": f"{MIN_FONT_PT}pt",  # the least a reader is asked to read
                "--footer-font": f"{FOOTER_FONT_PT}pt",
                **{name: f"{self.small_type_pt(share)}pt" for name, share in SMALL_TYPE.items()}}

    def small_type_pt(self, share: float) -> float:
        """Smaller type, as a share of the text's size and never below MIN_FONT_PT. A fixed
        size rather than CSS max(0.9em, 11pt): WeasyPrint works a max() out again for every
        length in em below it, an eighth of its time for a handout."""
        return max(MIN_FONT_PT, round(self.font_size_pt * share, 2))

    def css_variables(self, paper: str, fallback: Iterable[str] = ()) -> str:
        """The custom properties, for any rule that still asks for them, and the page."""
        m = self.margins_mm
        width, height = PAPER_MM[paper]
        return (":root {\n" + "".join(f"  {name}: {value};\n" for name, value
                                      in self.custom_properties(fallback).items())
                + f"}}\n@page {{ size: {width}mm {height}mm; margin: {m['top']}mm "
                f"{m['right']}mm {m['bottom']}mm {m['left']}mm; }}\n")

    def resolve_variables(self, css: str, fallback: Iterable[str] = ()) -> str:
        """css with each var(--name) of the theme written as its value. WeasyPrint works out
        var() again for every element and property, a quarter of its layout time; the
        values are known before it starts."""
        values = self.custom_properties(fallback)
        return re.sub(r"var\(\s*(--[\w-]+)\s*\)",
                      lambda m: values.get(m.group(1), m.group(0)), css)


@functools.lru_cache
def printable_characters(family: str) -> frozenset[str]:
    """The characters the theme's typeface can draw: the bundled one, or the font installed
    under that name (none known, when fontconfig cannot say)."""
    from handouts.style import fonts
    if family in BUNDLED_FONTS:
        return fonts.characters(atkinson.ROOT / "files" / BUNDLED_FONTS[family][("normal", 400)])
    path = fonts.installed_file(family)
    return fonts.characters(path) if path else frozenset()


def load_theme(path: str | Path) -> Theme:
    path = Path(path)
    try:
        text = inside(path.parent, path.name).read_text(encoding="utf-8")
    except Outside:
        raise Diagnostic(path, "is a link to a file outside styles/",
                         "put the theme file itself in styles/") from None
    except FileNotFoundError:
        raise Diagnostic(path, "theme file not found", "restore styles/theme.yaml from git") from None
    except (OSError, UnicodeDecodeError):
        raise Diagnostic(path, "cannot be read as UTF-8 text",
                         "save it as UTF-8, or restore styles/theme.yaml from git") from None
    refuse_control_characters(path, text)
    try:
        data = read_yaml(text)
    except yaml.YAMLError as exc:
        mark = exc.problem_mark if isinstance(exc, yaml.MarkedYAMLError) else None
        problem = exc.problem if isinstance(exc, yaml.MarkedYAMLError) else None
        problem = problem or "not valid YAML"
        raise Diagnostic(path, f"is not valid YAML ({problem})",
                         "write each setting once, as 'name: value'",
                         mark.line + 1 if mark else None) from None
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        # The syntax is fine but a value cannot be made (2026-02-30, '!!int x').
        raise Diagnostic(path, "has a value that cannot be read", "remove '!!' tags and check "
                         "numbers and dates", unreadable_value_line(text, first_line=1)) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise Diagnostic(path, "is not a list of settings", "write each setting as 'name: value'")
    # The line of each setting as the YAML reader marks it; organisation.logo for one within.
    return _validate(path, data, key_lines(text, first_line=1))


class _Fail(Protocol):
    def __call__(self, key: str, message: str, hint: str,
                 within: str | None = None) -> NoReturn: ...


def _validate(path: Path, data: dict[object, object], lines: dict[str, int]) -> Theme:
    def fail(key: str, message: str, hint: str, within: str | None = None) -> NoReturn:
        """Stop at the setting's line, or at the line of the setting it is written within."""
        raise Diagnostic(path, message, hint,
                         lines.get(key) or (lines.get(within) if within else None))

    known = set(Theme.__dataclass_fields__) - {"path", "logo_url"}
    for key in data:
        if key not in known:
            fail(str(key), f"unknown theme setting '{key}'", "known settings: " + ", ".join(sorted(known)))
    theme = Theme(path)
    for key in COLORS:
        if key in data:
            value = str(data[key])
            if not HEX_COLOR.match(value):
                fail(key, f"'{key}: {value}' is not a colour", "write it as \"#RRGGBB\", in quotes")
            setattr(theme, key, value.upper())
    if "font_family" in data:
        theme.font_family = str(data["font_family"]).strip()
        # Written into CSS as a quoted name: letters, digits, spaces and . + - only.
        if not re.fullmatch(r"\w[\w .+-]*", theme.font_family):
            fail("font_family", "'font_family' is not a font name", "name one font family")
    if theme.font_family not in BUNDLED_FONTS:
        from handouts.style.fonts import installed_match
        found = installed_match(theme.font_family)
        if found and found.casefold() != theme.font_family.casefold():
            fail("font_family", f"the font '{theme.font_family}' is not installed here (the PDF "
                 f"would use {found} instead)", f"install it, or use {atkinson.FAMILY}, which "
                 "comes with the build")
    if "font_size_pt" in data:
        size = data["font_size_pt"]
        if not isinstance(size, (int, float)) or isinstance(size, bool) or not 11 <= size <= 16:
            fail("font_size_pt", f"'font_size_pt: {size}' is out of range",
                 f"use a number from {MIN_FONT_PT} to 16; patients need at least {MIN_FONT_PT} pt")
        theme.font_size_pt = size
    if "lang" in data:
        theme.lang = str(data["lang"]).strip()
        if not LANG_TAG.match(theme.lang):
            fail("lang", f"'lang: {theme.lang}' is not a language tag",
                 "use a tag such as en, en-US or es")
    if "paper" in data:
        paper = read_paper(str(data["paper"]))
        if paper is None:
            fail("paper", f"unknown paper size '{data['paper']}'", PAPER_HINT)
        theme.paper, theme.booklet = paper[0] or "letter", paper[1]
    if "margins_mm" in data:
        margins = data["margins_mm"]
        sides = ("top", "bottom", "left", "right")
        if (not isinstance(margins, dict) or set(margins) != set(sides)
                or not all(isinstance(margins[s], (int, float)) and 5 <= margins[s] <= 50
                           for s in sides)):
            fail("margins_mm", "'margins_mm' needs top, bottom, left and right in millimetres",
                 "write e.g. {top: 20, bottom: 20, left: 19, right: 19}, each 5 to 50")
        theme.margins_mm = dict(margins)
    if "organisation" in data:
        org = data["organisation"] or {}
        fields = set(Organisation.__dataclass_fields__)
        if not isinstance(org, dict) or not set(org) <= fields:
            fail("organisation", "'organisation' has unknown entries",
                 "use " + ", ".join(sorted(fields)))
        if any(isinstance(value, (dict, list)) for value in org.values()):
            fail("organisation", "each 'organisation' entry must be plain text",
                 "write e.g. 'phone: (555) 010-0000' on one line")
        theme.organisation = Organisation(**{k: str(v or "").strip() for k, v in org.items()})
        if any(UNPRINTABLE.search(v) for v in vars(theme.organisation).values()):
            fail("organisation", "'organisation' contains a control character",
                 "remove the escape sequence")
        if any(len(v) > MAX_VALUE_CHARS for v in vars(theme.organisation).values()):
            fail("organisation", f"an 'organisation' entry is longer than {MAX_VALUE_CHARS} "
                 "characters", "shorten it: a name, an address, a phone number, a website")
        email = theme.organisation.referral_email
        if email and not EMAIL.match(email):
            fail("organisation.referral_email", f"'referral_email: {email}' is not an e-mail "
                 "address", "write one address, e.g. referrals@clinic.example.org",
                 within="organisation")
        theme.logo_url = _logo_url(theme, fail)
    check_contrast(theme, fail)
    return theme


def _logo_url(theme: Theme, fail: _Fail) -> str:
    """The logo as a data: URL, checked once here so every format can show it."""
    logo = theme.logo_path()
    if not logo:
        return ""
    name = theme.organisation.logo
    try:
        logo = inside(theme.styles_dir, name)
    except Outside:
        logo = None
    if not (logo and logo.is_file()):
        fail("organisation.logo", f"logo '{name}' is not a file in styles/",
             "put the image in styles/ or leave 'logo' empty", within="organisation")
    try:
        return data_url(logo)
    except ImageProblem as problem:
        fail("organisation.logo", f"logo '{name}' {problem.message}", problem.hint,
             within="organisation")


def check_contrast(theme: Theme, fail: _Fail) -> None:
    """WCAG AA: 4.5:1 for body-size text, 3:1 for large text (headings, the title band)."""
    white = "#FFFFFF"
    pairs = [("text_color", theme.text_color, white, 4.5),
             ("text_color", theme.text_color, theme.callout_background, 4.5),
             ("accent_color", theme.accent_color, white, 4.5),            # links
             ("primary_color", theme.primary_color, white, 4.5),          # small headings, footer
             # Inside a callout box: its title and bold text, and its links.
             ("primary_color", theme.primary_color, theme.callout_background, 4.5),
             ("accent_color", theme.accent_color, theme.callout_background, 4.5)]
    for key, fg, bg, needed in pairs:
        ratio = contrast_ratio(fg, bg)
        if ratio < needed:
            fail(key, f"text in {fg} on {bg} has contrast {ratio:.2f}:1, below the {needed}:1 "
                      "that readers with low vision need", "choose a darker or lighter colour")


def contrast_ratio(a: str, b: str) -> float:
    def luminance(color: str) -> float:
        channels = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, bl = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * bl
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
