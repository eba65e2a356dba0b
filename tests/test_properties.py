"""Property-based tests: whatever a person types into source/NAME.md, the build either
writes all three outputs (and each opens) or stops with one Diagnostic line that starts
with the file (and line) to fix. No other exception may escape.

Inputs these properties once found to break that promise (control characters, line
breaks in echoed values, a key repeated inside one citation, impossible dates, ...) are
pinned as regression tests at the end of this file.

By default the examples are derandomized, so the suite gives the same answer on every run.
Set HANDOUT_PROPERTY_EXAMPLES=500 to search harder, with fresh random examples each time.
"""

import datetime
import io
import os
import re
import signal

import docx
import lxml.html
import pypdf
import pytest
import yaml
import fontpkg_atkinson_hyperlegible as atkinson
from fontTools.ttLib import TTFont
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from PIL import Image

from conftest import MINIMAL_FRONT_MATTER, ROOT, new_project, run_build_process
from handouts.diagnostics import Diagnostic, display_path
from handouts.read.front_matter import OPTIONAL, REQUIRED, load
from handouts.run.pipeline import build_document

EXPLORING = "HANDOUT_PROPERTY_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("HANDOUT_PROPERTY_EXAMPLES", "25"))
SECONDS_PER_BUILD = 20  # a hang guard (3x), not a speed test
SETTINGS = dict(deadline=None, max_examples=EXAMPLES, derandomize=not EXPLORING,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large])

KNOWN_KEYS = ["schwartzman2009", "sigtermans2009", "kirkpatrick2020"]
LINE_BREAKS = "\n\r\x0b\x0c"
SPECIALS = "[]@#*<>&`_\\!|~-:;\"'(){}. \t"


# -- strategies ---------------------------------------------------------------------------

any_char = st.characters(exclude_categories=("Cs",), exclude_characters="\n")
char = st.one_of(st.sampled_from(SPECIALS), st.sampled_from("abcdefgh xyz"), any_char)
word = st.text(char, min_size=1, max_size=10)
plain_word = st.text(st.characters(categories=("L", "N")), min_size=1, max_size=10)
# Letters and digits the bundled typeface can draw: text a handout may hold on any machine
# (any other character is refused with a clear error, pinned below).
FONT_CHARS = sorted(chr(c) for c in TTFont(atkinson.ROOT / "files" /
                                           "AtkinsonHyperlegible-Regular.ttf").getBestCmap()
                    if chr(c).isalnum())
font_word = st.text(st.sampled_from(FONT_CHARS), min_size=1, max_size=10)
unknown_key = st.from_regex(r"[a-z][a-z0-9_:.-]{0,10}", fullmatch=True).filter(
    lambda k: k not in KNOWN_KEYS)
key = st.one_of(*[st.sampled_from(KNOWN_KEYS)] * 6, unknown_key)


@st.composite
def citation(draw, keys=key):
    chosen = draw(st.lists(keys, min_size=1, max_size=3, unique=True))
    spaces = st.sampled_from(["", " ", "  "])
    inner = (draw(spaces) + ";").join(draw(spaces) + "@" + k for k in chosen)
    return "[" + inner + draw(spaces) + "]"


TOKENS = ["@", "@", ";", " ", "@sigtermans2009", "@kirkpatrick2020", "@schwartzman2009",
          "@nobody", "-", ",", "p. 3", "see", "[", "]", "@@", "\\", "é", "_", ":", "#", "<",
          ">", "&", "`", "*", "~", "/", "?", "$", "%", "+", ".", "\t"]
# Keys as Pandoc allows them: a word character, then word characters and :.#$%&+?<>~/-
odd_key = st.builds(lambda first, rest, tail: first + rest + tail,
                    st.one_of(st.sampled_from("aZ_é9"), st.characters(categories=("L", "N"))),
                    st.text(st.sampled_from("abc_:.#$%&+?<>~/-é"), max_size=6),
                    st.sampled_from(["", ".", ",", "'s"]))
separator = st.sampled_from([";", "; ", " ;", " ; ", ";;", ",", ", ", ";\n", " "])


@st.composite
def citation_like(draw):
    """[@a; @b] with the keys, separators, prefixes and spaces people get wrong."""
    keys = draw(st.lists(st.one_of(st.sampled_from(KNOWN_KEYS), odd_key), min_size=1,
                         max_size=3, unique=True))
    prefix = draw(st.sampled_from(["", "", " ", "see ", "-", "@"]))
    suffix = draw(st.sampled_from(["", "", " ", ", p. 3", ";"]))
    parts = [prefix + "@" + keys[0]] + [draw(separator) + "@" + k for k in keys[1:]]
    return "[" + "".join(parts) + suffix + "]"


# Random text inside brackets: citations, near-citations and plain bracketed text.
citation_string = st.one_of(
    citation_like(), citation_like(),
    st.builds(lambda parts: "[" + "".join(parts) + "]",
              st.lists(st.one_of(st.sampled_from(TOKENS), word), max_size=8)))

inline = st.lists(st.one_of(
    word, word, word, citation(), citation_string,
    st.builds("`{}`".format, plain_word), st.builds("*{}*".format, plain_word),
    st.builds("**{}**".format, plain_word),
    st.builds("[{}](https://example.org/{})".format, plain_word, plain_word),
), min_size=1, max_size=6).map(" ".join)

RAW_HTML = ["<strong>{}</strong>", "<div>{}</div>", "<script>{}</script>", "<span>{}</span>",
            "<sup>{}</sup>", "<style>{}</style>", '<p onclick="x()">{}</p>', "<h3>{}</h3>",
            "<table><tr><td>{}</td></tr></table>", '<a href="https://example.org">{}</a>',
            '<img src="pic.png" alt="{}">', '<img src="{}" alt="x">', "<!-- {} -->",
            "<iframe>{}</iframe>", "<em>{}", "{}</div>", "<b><i>{}</b></i>"]


@st.composite
def block(draw):
    kind = draw(st.sampled_from(["heading", "paragraph", "paragraph", "list", "html", "code",
                                 "quote", "callout", "table", "image"]))
    text = draw(inline)
    if kind == "heading":
        return "#" * draw(st.integers(1, 6)) + " " + text
    if kind == "list":
        marker = draw(st.sampled_from(["-", "*", "1."]))
        items = draw(st.lists(inline, min_size=1, max_size=4))
        return "\n".join(f"{'    ' * draw(st.integers(0, 1)) * (n > 0)}{marker} {item}"
                         for n, item in enumerate(items))
    if kind == "html":
        return draw(st.sampled_from(RAW_HTML)).format(text)
    if kind == "code":
        return "```\n" + text + "\n```"
    if kind == "quote":
        return "> " + text
    if kind == "callout":
        return '!!! note "Key points"\n    ' + text
    if kind == "table":
        return f"| A | B |\n|---|---|\n| {text} | {draw(inline)} |"
    if kind == "image":
        return f"![{text}]({draw(st.sampled_from(['pic.png', 'missing.png', 'pic.txt']))})"
    return text


markdown_body = st.lists(block(), min_size=1, max_size=8).map("\n\n".join)


def _line_free(text):
    return not any(c in text for c in LINE_BREAKS)


text_value = st.text(any_char, max_size=20)
any_value = st.one_of(
    text_value, st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
    st.dates(), st.datetimes(), st.lists(text_value, max_size=3),
    st.dictionaries(st.text(any_char, max_size=5), st.integers(), max_size=2))
PLAUSIBLE = {
    "title": st.one_of(text_value, st.just("Nerve Blocks")),
    "lang": st.sampled_from(["en", "en-US", "es-419", "zh-Hant-TW", "english", "e", "en_US", ""]),
    "version": st.sampled_from(["1.0", "2", "draft"]),
    "date": st.dates(datetime.date(1980, 1, 1), datetime.date(2100, 12, 31)),
    "review_due": st.dates(datetime.date(1980, 1, 1), datetime.date(2100, 12, 31)),
    "audience": st.sampled_from(["patients", "clinicians", "families"]),
    "keywords": st.lists(text_value, max_size=3),
    "corrections": st.lists(text_value, max_size=2),
    "bibliography": st.sampled_from(["references.bib", "missing.bib", "../references.bib",
                                     "pic.png", "/etc/hostname", ""]),
    "csl": st.sampled_from(["american-medical-association", "nature", "no-such-style", ""]),
    "paper": st.sampled_from(["letter", "a4", "A4", "tabloid", ""]),
}
VALID = {"title": "A Test Handout", "lang": "en-US", "version": "1.0",
         "date": datetime.date(2026, 1, 15), "review_due": datetime.date(2027, 1, 15),
         "bibliography": "references.bib"}


@st.composite
def front_matter(draw):
    """The text between the '---' lines: mostly fields, sometimes anything at all."""
    kind = draw(st.sampled_from(["fields"] * 6 + ["yaml-text", "not-a-mapping", "empty"]))
    if kind == "yaml-text":
        return draw(st.text(st.one_of(st.sampled_from(":-[]{}'\"#&*!|>%@`, \n"), any_char),
                            max_size=60))
    if kind == "not-a-mapping":
        return yaml.safe_dump(draw(st.one_of(st.lists(text_value, max_size=3), st.integers(),
                                             text_value)), allow_unicode=True)
    if kind == "empty":
        return ""
    data = dict(VALID)
    for name in draw(st.lists(st.sampled_from(REQUIRED + OPTIONAL + ("colour", "Title")),
                              max_size=4, unique=True)):
        action = draw(st.sampled_from(["plausible", "plausible", "random", "remove"]))
        if action == "remove":
            data.pop(name, None)
        elif action == "random" or name not in PLAUSIBLE:
            data[name] = draw(any_value)
        else:
            data[name] = draw(PLAUSIBLE[name])
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


# -- what every example must satisfy ------------------------------------------------------

def check_build(project, text):
    """Build source/h.md holding text; return 'built' or the Diagnostic, after checking it."""
    path = project.source_dir / "h.md"
    path.write_text(text, encoding="utf-8")
    for output in project.outputs("h").values():
        output.unlink(missing_ok=True)
    # A build that never ends (a parser reading on past the end) fails instead of hanging.
    previous = signal.signal(signal.SIGALRM, _never_ends)
    signal.alarm(3 * SECONDS_PER_BUILD)
    try:
        build_document(path, project)
    except Diagnostic as exc:
        check_error(exc, project)
        outcome = exc
        _event("Diagnostic: " + re.sub(r"'.*", "...", exc.message)[:40])
    else:
        check_outputs(project, "h")
        outcome = "built"
        _event("built")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    # No time is asserted (the machines are shared and noisy: speed is the benchmark's);
    # the alarm above stops only a build that never ends.
    return outcome


def _never_ends(signum, frame):
    raise TimeoutError(f"one build ran past {3 * SECONDS_PER_BUILD} s")


def _event(label):
    """Tally outcomes for --hypothesis-show-statistics (only inside a Hypothesis test)."""
    if currently_in_test_context():
        event(label)


def check_error(exc, project):
    message = str(exc)
    assert _line_free(message), f"not one line: {message!r}"
    assert exc.path is not None, message
    assert exc.path.resolve().is_relative_to(project.root.resolve()), message
    where = display_path(exc.path) + (f":{exc.line}" if exc.line else "")
    assert message.startswith(where + ": "), message
    if exc.line:
        lines = exc.path.read_bytes().count(b"\n") + 1
        assert isinstance(exc.line, int) and 1 <= exc.line <= lines, message
    assert not any(p.exists() for p in project.outputs("h").values())
    if project.output_dir.exists():
        assert not list(project.output_dir.glob(".*")), "temporary files were left behind"


def check_outputs(project, name):
    paths = project.outputs(name)
    html = lxml.html.parse(str(paths["html"])).getroot()
    assert html.find("body") is not None and html.xpath("//h1")
    assert len(pypdf.PdfReader(str(paths["pdf"])).pages) >= 1
    assert docx.Document(str(paths["docx"])).paragraphs


@pytest.fixture
def project(tmp_path):
    png = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 90, 0)).save(png, "PNG")
    return new_project(tmp_path, {"source/pic.png": png.getvalue(), "source/pic.txt": "text"})


# -- properties ---------------------------------------------------------------------------

@settings(**SETTINGS)
@given(body=markdown_body)
@example(body="## Section\n\nText.[@sigtermans2009]")
@example(body="## One\n\nSee this.[@nobody2020]")
def test_any_markdown_body_builds_or_fails_with_one_line(project, body):
    text = MINIMAL_FRONT_MATTER + "\n" + body + "\n"
    check_build(project, text)


@settings(**SETTINGS)
@given(front=front_matter())
@example(front="title: A: b: c")
@example(front="- just\n- a list")
def test_any_front_matter_builds_or_fails_with_one_line(project, front):
    text = "---\n" + front + ("" if front.endswith("\n") or not front else "\n") \
        + "---\n\n## Section\n\nText.[@kirkpatrick2020]\n"
    check_build(project, text)


@settings(**dict(SETTINGS, max_examples=max(EXAMPLES * 2 // 5, 10)))  # most of these build
@given(brackets=st.lists(citation_string, min_size=1, max_size=5))
@example(brackets=["[@sigtermans2009; @kirkpatrick2020]"])
def test_any_bracketed_text_builds_or_fails_with_one_line(project, brackets):
    text = MINIMAL_FRONT_MATTER + "\n## Section\n\n" + "\n\nMore: ".join(brackets) + "\n"
    outcome = check_build(project, text)
    if isinstance(outcome, Diagnostic) and "unknown citation key" in outcome.message:
        assert outcome.line, str(outcome)


REAL_BIBTEX = (ROOT / "source" / "references.bib").read_text(encoding="utf-8")
CITES_ALL = "\n## Section\n\nText.[@schwartzman2009; @sigtermans2009; @kirkpatrick2020]\n"


@st.composite
def damaged_bibtex(draw):
    """The real bibliography with a few characters cut out or typed over, as a slip of the
    keyboard would leave it."""
    start = draw(st.integers(0, len(REAL_BIBTEX)))
    end = draw(st.integers(start, min(len(REAL_BIBTEX), start + 30)))
    typed = draw(st.text(st.sampled_from(SPECIALS + "a1=,@"), max_size=3))
    return REAL_BIBTEX[:start] + typed + REAL_BIBTEX[end:]


@settings(**SETTINGS)
@given(bib=damaged_bibtex())
@example(bib=REAL_BIBTEX.rstrip()[:-1])          # the last entry never closed: once hung
@example(bib=REAL_BIBTEX.replace("{Pain}", "{Pain", 1))
@example(bib=REAL_BIBTEX.replace("  year", "  year }", 1))
def test_any_damaged_bibliography_builds_or_fails_with_one_line(project, bib):
    (project.source_dir / "references.bib").write_text(bib, encoding="utf-8")
    check_build(project, MINIMAL_FRONT_MATTER + CITES_ALL)


@st.composite
def well_formed_body(draw):
    """What the README invites: ## sections and ### subsections in order, paragraphs, lists,
    emphasis, links, tables, quotes, callouts and citations of keys in the bibliography."""
    text = st.lists(st.one_of(font_word, font_word, citation(st.sampled_from(KNOWN_KEYS)),
                              st.builds("*{}*".format, font_word),
                              st.builds("**{}**".format, font_word),
                              st.builds("[{}](https://example.org/{})".format, font_word,
                                        st.from_regex(r"[a-z]{1,8}", fullmatch=True))),
                    min_size=1, max_size=6).map(" ".join)
    heading = st.lists(font_word, min_size=1, max_size=4).map(" ".join)
    parts, level = [], 1
    for _ in range(draw(st.integers(1, 4))):
        level = draw(st.integers(2, min(level + 1, 3)))
        parts.append("#" * level + " " + draw(heading))
        for _ in range(draw(st.integers(1, 2))):
            kind = draw(st.sampled_from(["p", "p", "list", "numbered", "quote", "table",
                                         "callout", "image", "code"]))
            body = draw(text)
            parts.append({"p": body, "list": "- " + body + "\n- " + draw(text),
                          "numbered": "1. " + body + "\n2. " + draw(text) + "\n    - " + body,
                          "quote": "> " + body,
                          "table": f"| A | B |\n|---|---|\n| {body} | x |",
                          "callout": '!!! note "Key points"\n    - ' + body,
                          "image": f"![{draw(font_word)} diagram](pic.png)\n\n{body}",
                          "code": f"Type `{draw(font_word)}` then {body}"}[kind])
    return "\n\n".join(parts)


@st.composite
def well_formed_front(draw):
    """Valid front matter with every optional field in play."""
    words = st.lists(font_word, min_size=1, max_size=5).map(" ".join)
    day = draw(st.dates(datetime.date(1990, 1, 1), datetime.date(2090, 12, 31)))
    data = {"title": draw(words), "lang": draw(st.sampled_from(["en", "en-US", "es", "fr-CA"])),
            "version": draw(st.sampled_from(["1.0", "2.3", "draft 4"])), "date": day,
            "review_due": day + datetime.timedelta(days=draw(st.integers(0, 3650))),
            "bibliography": "references.bib"}
    optional = {"subtitle": words, "short_title": words, "organisation": words, "author": words,
                "keywords": st.lists(font_word, max_size=3),
                "corrections": st.lists(words, max_size=2),
                "audience": st.sampled_from(["patients", "clinicians"]),
                "paper": st.sampled_from(["letter", "a4"]),
                "csl": st.just("american-medical-association")}
    for name in draw(st.lists(st.sampled_from(sorted(optional)), unique=True)):
        data[name] = draw(optional[name])
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


@settings(**dict(SETTINGS, max_examples=max(EXAMPLES // 4, 6)))  # all of these build
@given(front=well_formed_front(), body=well_formed_body())
def test_well_formed_handouts_always_build(project, front, body):
    text = "---\n" + front + "---\n\n" + body + "\n"
    outcome = check_build(project, text)
    assert outcome == "built", str(outcome)


@settings(**dict(SETTINGS, max_examples=4))  # each example is a fresh Python process
@given(body=markdown_body, front=front_matter())
def test_build_py_exits_0_or_1_without_a_traceback(tmp_path_factory, body, front):
    """build.py as people run it, on a random body and a random front matter at once."""
    project = new_project(tmp_path_factory.mktemp("cli"))
    texts = {"body": MINIMAL_FRONT_MATTER + "\n" + body + "\n",
             "front": "---\n" + front + ("\n" if front and not front.endswith("\n") else "")
                      + "---\n\n## Section\n\nText.\n"}
    for name, text in texts.items():
        (project.source_dir / f"{name}.md").write_text(text, encoding="utf-8")
    result = run_build_process(project.root)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    failed = {name for name in texts
              if not all(p.is_file() for p in project.outputs(name).values())}
    # At least one line per failed handout, each naming a file; a handout with several
    # problems gets a line for each (up to a limit), as a compiler reports them.
    assert len(errors) >= len(failed), result.stderr
    assert len(errors) <= 20 * len(failed), result.stderr
    named = {re.match(r"error: \S*source/(\w+)\.md:", e) for e in errors}
    assert {n.group(1) for n in named if n} <= failed, result.stderr
    assert all(re.match(r"error: \S*(source|styles)/", e) for e in errors), result.stderr
    assert (result.returncode == 1) == bool(failed), result.stderr
    if failed:
        assert f"{len(failed)} of 2 handout(s) failed" in result.stderr
    for name in set(texts) - failed:
        check_outputs(project, name)
    assert "internal error" not in result.stderr


# -- regressions: inputs the properties once found to break the build ----------------------
# Each input below pins what it must do: build, or stop with the one line (message and line
# of the file) that tells the author what to fix.

def refused(outcome, message, line):
    """Assert outcome is the Diagnostic whose line (as build.py prints it) holds message
    and points at line of h.md."""
    assert isinstance(outcome, Diagnostic), f"built; expected an error {message!r}"
    assert message in str(outcome), str(outcome)
    assert "lost content" not in str(outcome), str(outcome)  # the build blaming itself
    assert outcome.line == line, str(outcome)


def line_of(text, fragment):
    """The number of the one line of text that holds fragment."""
    found = [n for n, line in enumerate(text.split("\n"), 1) if fragment in line]
    assert len(found) == 1, (fragment, found)
    return found[0]


def with_fields(**fields):
    """MINIMAL_FRONT_MATTER with fields replaced or added (raw YAML text per value)."""
    lines = [line for line in MINIMAL_FRONT_MATTER.splitlines()
             if line.split(":")[0] not in fields]
    return "\n".join(lines[:-1] + [f"{k}: {v}" for k, v in fields.items()] + ["---"]) + "\n"


BODY = "\n## Section\n\nText.[@sigtermans2009]\n"


@pytest.mark.parametrize("text, message, fragment", [
    (MINIMAL_FRONT_MATTER + "\n## Section\n\nText \x01 here.\n",
     "contains the control character U+0001", "\x01"),
    (with_fields(title='"A\\x01B"') + BODY, "'title' contains a control character", "title:"),
], ids=["in the body", "in the title"])
def test_control_characters_are_reported_not_crashed_on(project, text, message, fragment):
    refused(check_build(project, text), message, line_of(text, fragment))


@pytest.mark.parametrize("text, message, fragment", [
    (with_fields(paper='"a\\nb"') + BODY, "unknown paper size 'a\\nb'", "paper:"),
    (with_fields(csl='"a\\nb"') + BODY, "unknown citation style 'a\\nb'", "csl:"),
], ids=["paper", "csl"])
def test_errors_echoing_a_value_with_a_line_break_stay_one_line(project, text, message,
                                                                 fragment):
    # check_build asserts the whole message is one line; the break is shown as \n.
    refused(check_build(project, text), message, line_of(text, fragment))


@pytest.mark.parametrize("text, message, fragment", [
    (with_fields(lang='"en\\nUS"') + BODY, "'lang: en\\nUS' is not a language tag", "lang:"),
    # The field's own line, not the '---' above it.
    (with_fields(**{'"a\\nb"': 1}) + BODY, "unknown front-matter field 'a\\nb'", '"a\\nb": 1'),
], ids=["lang", "field name"])
def test_warnings_echoing_a_value_with_a_line_break_stay_one_line(project, text, message,
                                                                   fragment):
    """A draft's warnings (a language tag that is not one, an unknown field) as well."""
    path = project.source_dir / "h.md"
    path.write_text(text, encoding="utf-8")
    warned = [w for w in load(path).warnings if message in str(w)]
    assert len(warned) == 1, [str(w) for w in load(path).warnings]
    assert "\n" not in str(warned[0]) and warned[0].line == line_of(text, fragment)


@pytest.mark.parametrize("cite", ["[@sigtermans2009; @sigtermans2009]",
                                  "[@sigtermans2009; @kirkpatrick2020; @sigtermans2009]"])
def test_a_key_repeated_inside_one_citation(project, cite):
    outcome = check_build(project, MINIMAL_FRONT_MATTER + f"\n## Section\n\nText {cite}.\n")
    assert outcome == "built", str(outcome)


@pytest.mark.parametrize("fields", [{"version": "!!int x"}, {"version": "!!bool x"}],
                         ids=["!!int", "!!bool"])
def test_yaml_that_cannot_be_constructed_is_a_front_matter_error(project, fields):
    text = with_fields(**fields) + BODY
    refused(check_build(project, text), "front matter has a value that cannot be read",
            line_of(text, next(iter(fields)) + ":"))


@pytest.mark.parametrize("fields", [{"date": "2026-02-30"}, {"review_due": "2027-13-01"}],
                         ids=["Feb 30", "month 13"])
def test_a_date_that_cannot_be_a_date_makes_a_draft_warned_at_its_line(project, fields):
    text = with_fields(**fields) + BODY
    path = project.source_dir / "h.md"
    path.write_text(text, encoding="utf-8")
    [warned] = [w for w in load(path).warnings if "cannot be read as a date" in w.message]
    assert warned.line == line_of(text, next(iter(fields)) + ":")
    assert load(path).meta.draft


@pytest.mark.parametrize("date, due", [("1975-06-01", "2030-01-01"),
                                       ("2200-01-01", "2201-01-01")])
def test_an_issue_date_a_word_file_cannot_hold_is_refused(project, date, due):
    # A DOCX is a zip, whose dates run from 1980 to 2107.
    text = with_fields(date=date, review_due=due) + BODY
    refused(check_build(project, text), "'date' is out of range", line_of(text, "date:"))


def test_a_nul_in_the_bibliography_name_is_a_build_error(project):
    text = with_fields(bibliography='"a\\0b.bib"') + BODY
    refused(check_build(project, text), "'bibliography' contains a control character",
            line_of(text, "bibliography:"))


@pytest.mark.parametrize("body", [
    "Text \\[@sigtermans2009] with escaped brackets.",
    "<!-- [@todo2030] -->\n\nText.",
    "Type this:\n\n    [@example2000]\n",
    "````\n[@example2000]\n````\n\nText.",
], ids=["escaped", "comment", "indented code", "long fence"])
def test_citations_only_where_markdown_renders_them(project, body):
    outcome = check_build(project, MINIMAL_FRONT_MATTER + "\n## Section\n\n" + body + "\n")
    assert outcome == "built", str(outcome)


def test_a_citation_in_raw_html_is_refused_not_printed_as_typed(project):
    text = MINIMAL_FRONT_MATTER + "\n## Section\n\n<div>[@sigtermans2009]</div>\n\nText.\n"
    refused(check_build(project, text), "the citation '[@sigtermans2009]' is inside HTML",
            line_of(text, "<div>"))


@pytest.mark.parametrize("body", [
    "## Results [@sigtermans2009]\n\nText.",
    "## Safety <script>x()</script>\n\nText.",
], ids=["citation", "script"])
def test_odd_headings_build(project, body):
    outcome = check_build(project, MINIMAL_FRONT_MATTER + "\n" + body + "\n")
    assert outcome == "built", str(outcome)


def test_a_heading_of_only_a_hash_is_a_heading_without_text(project):
    """Left out with a warning at its line (Pandoc reads it as an empty heading)."""
    text = MINIMAL_FRONT_MATTER + "\n## #\n\nText.\n"
    path = project.source_dir / "h.md"
    path.write_text(text, encoding="utf-8")
    result = build_document(path, project)
    [warned] = [w for w in result.warnings if w.code == "empty-heading"]
    assert "a heading has no text" in str(warned) and warned.line == line_of(text, "## #")
    check_outputs(project, "h")


def test_a_citation_inside_link_text(project):
    text = MINIMAL_FRONT_MATTER + "\n## S\n\nSee [the trial [@sigtermans2009]](https://example.org).\n"
    refused(check_build(project, text), "a citation inside the text of a link",
            line_of(text, "See [the trial"))


def test_a_blank_title_is_a_missing_title(project):
    # Pointed at the blank 'title:' line the author wrote, not at the top of the front matter.
    text = with_fields(title='" "') + BODY
    path = project.source_dir / "h.md"
    path.write_text(text, encoding="utf-8")
    [warned] = [w for w in load(path).warnings if w.code == "missing-title"]
    assert warned.line == line_of(text, "title:")


def test_a_character_no_font_can_draw(project):
    text = MINIMAL_FRONT_MATTER + "\n## S\n\nx \u0378 y.[@sigtermans2009]\n"
    refused(check_build(project, text), "the character '\u0378' (U+0378) cannot be printed",
            line_of(text, "\u0378"))


def test_the_apa_style_the_readme_offers_builds(project):
    outcome = check_build(project, with_fields(csl="apa")
                          + "\n## S\n\nOne [@sigtermans2009]. Two [@kirkpatrick2020; "
                            "@schwartzman2009].\n")
    assert outcome == "built", str(outcome)
