"""Every error names the line of its fault: each document of the corpus (the real handout,
tests/corpus/constructs.md, Python-Markdown's own test documents) gets faults injected at
known lines, after each heading, in list items, after tables and at the end of paragraphs,
and each error the build names must stand at its fault's line (issue 20, part 6: lines
from the reading itself, not from a search of the text)."""

import re

import pytest
import yaml
from PIL import Image

from conftest import MINIMAL_FRONT_MATTER, ROOT, new_project, run_build
from test_document_model import _as_handout

THEIRS = ROOT / "tests" / "corpus" / "python-markdown"
CORPUS = {"ketamine-crps": ROOT / "source" / "ketamine-crps.md",
          "constructs": ROOT / "tests" / "corpus" / "constructs.md",
          **{path.stem: path for path in sorted(THEIRS.glob("*.txt"))}}
PER_BUILD = 12  # reading stops at 20 errors (read/markdown.py MAX_ERRORS)
ERROR = re.compile(r"^error: \S+?:(\d+)(?: \([^)]*\))?: (.*)$", re.M)  # an edition may follow
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^#{2,6} \S")
SETEXT = re.compile(r"^(=+|-+)\s*$")
ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)]) +(?!\[[ xX]\])\S")
RULE = re.compile(r"^ {0,3}([-*_])( *\1){2,} *$")
RAW_HTML = re.compile(r"^ {0,3}<(?!!--)")
QUOTE = re.compile(r"^ {0,3}(?:> ?)+[A-Za-z]")
EDITION = re.compile(r"^:{3,}\s*(\w[\w-]*)\s*$")


def _batches(lines, places):
    """The places in builds of at most PER_BUILD faults, each with the lines to build: a
    build stops at the first edition with errors, so each edition's faults are built with
    that edition first (text in no edition's block goes with the first)."""
    edition, of = None, []
    for line in lines:
        opened = EDITION.match(line)
        edition = opened.group(1) if opened else None if line.startswith(":::") else edition
        of.append(edition)
    declared = next((i for i, line in enumerate(lines) if line.startswith("editions:")), None)
    groups = {}
    for place in places:
        groups.setdefault(of[place[1]] if declared is not None else None, []).append(place)
    for name, chosen in groups.items():
        own = list(lines)
        if name is not None:  # this edition first
            editions = yaml.safe_load(own[declared])["editions"]
            first = {name: editions[name], **editions}
            own[declared] = "editions: {" + ", ".join(f"{k}: {v}" for k, v in first.items()) + "}"
        for start in range(0, len(chosen), PER_BUILD):
            yield own, chosen[start:start + PER_BUILD]


def _document(name):
    """The document as a handout: its own front matter, or the minimal one."""
    text = CORPUS[name].read_text(encoding="utf-8")
    if CORPUS[name].suffix == ".txt":  # headings one level down, as test_document_model
        body = _as_handout(text, name).split("---\n", 2)[2]
        text = MINIMAL_FRONT_MATTER + body
    return text.split("\n")


def _places(lines):
    """Where a fault can go: (kind, index) for a line after a heading or a table ('after'),
    the first line of a list item, a definition or a paragraph, in a quote or not ('end': an error
    about the paragraph then names this line). Code, raw HTML and front matter are left
    alone: a fault there is text, not a fault."""
    places, fence, html, body = [], None, False, False
    for index, line in enumerate(lines):
        before = lines[index - 1] if index else ""
        after = lines[index + 1] if index + 1 < len(lines) else ""
        if index and line == "---" and not body:
            body = True
            continue
        opening = FENCE.match(line)
        if opening and (fence is None or opening.group(1)[0] == fence[0]):
            fence = None if fence else opening.group(1)
            continue
        html = (html or bool(RAW_HTML.match(line)) and not before.strip()) and bool(line.strip())
        if not body or fence or html or line.startswith(("    ", "\t", ":::", "!!!", "[^")):
            continue
        if HEADING.match(line) or (SETEXT.match(after) and line.strip()):
            places.append(("after", index + (1 if SETEXT.match(after) else 0)))
        elif line.startswith("|") and not after.startswith("|"):
            caption = after if after.strip() else (lines[index + 2:index + 3] or [""])[0]
            places.append(("after", index + (2 if caption.startswith(":") else 0)))
        elif ITEM.match(line) and not RULE.match(line) or re.match(r"^: +\S", line) and \
                not _caption(lines, index) or \
                QUOTE.match(line) and not before.strip(" >"):
            places.append(("end", index))
        elif re.match(r"^[A-Za-z]", line) and not before.strip() and not SETEXT.match(after) \
                and not _term(lines, index):
            places.append(("end", index))
    return places


def _term(lines, index):
    """Whether the paragraph starting at index holds the terms of a definition list: a term
    is not a block, so an error in it names the list's first line."""
    end = next((i for i in range(index, len(lines)) if not lines[i].strip()), len(lines))
    following = next((line for line in lines[end:end + 3] if line.strip()), "")
    return any(line.startswith(":") for line in lines[index:end] + [following])


def _caption(lines, index):
    """Whether the ': ' line at index is the caption of the pipe table above it, which
    stands on the table's line."""
    return next((line for line in reversed(lines[:index]) if line.strip()), "").startswith("|")


def _inject(lines, places, fault):
    """The lines with a fault at each place; fault(number) is the Markdown of fault number.
    Return the new lines and {number: the line (from 1) it stands on}."""
    out, at = list(lines), {}
    for number, (kind, index) in sorted(enumerate(places), key=lambda p: -p[1][1]):
        if kind == "after":
            out[index + 1:index + 1] = ["", fault(number), ""]
        else:
            out[index] += " " + fault(number)
    for index, line in enumerate(out):
        for found in re.finditer(r"(?:fault|nokey)(\d+)", line):
            at[int(found.group(1))] = index + 1
    return out, at


def _errors(tmp_path, name, lines, *options):
    project = new_project(tmp_path, {f"source/{name}.md": "\n".join(lines)})
    for extra in (ROOT / "source").glob("*.bib"):
        (project.source_dir / extra.name).write_bytes(extra.read_bytes())
    Image.new("RGB", (40, 40), (200, 0, 0)).save(project.source_dir / "square.png")
    result = run_build(project.root, *options, f"source/{name}.md")
    assert result.returncode == 1, result.stdout + result.stderr
    return [(int(line), message) for line, message in ERROR.findall(result.stderr)]


def _pictures(number):
    """No alt text, or a file that is not there, each named so its error says which."""
    return f"![](fault{number}.png)" if number % 2 else f"![a picture](fault{number}.png)"


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_error_names_the_line_of_its_fault(tmp_path, name):
    lines = _document(name)
    places = _places(lines)
    assert len(places) >= 3, places
    for batch, (own, chosen) in enumerate(_batches(lines, places)):
        faulty, at = _inject(own, chosen, _pictures)
        # A picture missing or without alt text is a draft's warning: a release names it.
        errors = _errors(tmp_path / str(batch), name, faulty, "--strict")
        found = [(int(n), line) for line, message in errors
                 for n in re.findall(r"'fault(\d+)\.png'", message)]
        assert [(n, line) for n, line in found if at[n] != line] == [], (name, at)
        assert {n for n, _ in found} == set(at), name


# admonition.txt has boxes of kinds a handout does not know: its reading fails, and keys
# are checked only after a clean reading.
@pytest.mark.parametrize("name", sorted(set(CORPUS) - {"admonition"}))
def test_every_unknown_citation_key_names_its_line(tmp_path, name):
    lines = _document(name)
    places = [place for place in _places(lines) if place[0] == "end"]
    for batch, (own, chosen) in enumerate(_batches(lines, places)):
        faulty, at = _inject(own, chosen, lambda n: f"[@nokey{n}]")
        # An unknown key is a warning a release build refuses: --strict names each at its line
        errors = _errors(tmp_path / str(batch), name, faulty, "--strict")
        found = {int(key): line for line, message in errors
                 for key in re.findall(r"unknown citation key 'nokey(\d+)'", message)}
        assert found == at, name


@pytest.mark.parametrize("body, line", [
    ("Line one of the paragraph,\nline two,\nand three cites it.[@nokey]\n", 14),
    ("A list:\n\n- first item\n- second item, which\n  cites it.[@nokey]\n", 16),
    ("Both.[@sigtermans2009;\n  @nokey]\n", 12 + 1),
    ("@sigtermans2009 showed it,\nand @nokey did too.\n", 13),
])
def test_an_unknown_key_is_named_at_its_own_line_within_its_block(tmp_path, body, line):
    project = new_project(tmp_path, {"source/a.md": MINIMAL_FRONT_MATTER + "\n## One\n\n"
                                     + body})
    result = run_build(project.root, "--strict", "source/a.md")  # a warning, refused here
    assert result.returncode == 1
    assert f"source/a.md:{line}: unknown citation key 'nokey'" in result.stderr, result.stderr
