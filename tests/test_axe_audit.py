"""Accessibility audit of every built handout page with axe-core in headless Chromium.

tests/axe/audit.mjs does the auditing (WCAG 2.0/2.1 A and AA plus axe's best practices, at a
phone width and a desktop width); these tests run it on the HTML that the `built` fixture made.

Needs node, Debian's Chromium at /usr/bin/chromium (or $CHROMIUM_PATH) and `npm ci --prefix
tests/axe`. Without them the tests are skipped with the reason, unless HANDOUTS_REQUIRE_AXE=1 is
set (as CI should), in which case they fail: an audit that silently never runs proves nothing.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from conftest import EDITIONS, OUTPUT_NAMES, load_edition, new_project, run_build

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
AXE_DIR = TESTS / "axe"
AUDIT = AXE_DIR / "audit.mjs"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
HANDOUT_NAMES = OUTPUT_NAMES  # every edition of every real handout


def missing_tools():
    """Why the audit cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not on PATH (Node.js 20 or newer is needed for the axe audit)"
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is absent (apt-get install chromium)"
    for package in ("axe-core", "playwright-core"):
        if not (AXE_DIR / "node_modules" / package).is_dir():
            return f"tests/axe/node_modules/{package} is absent (run: npm ci --prefix tests/axe)"
    return None


@pytest.fixture(scope="session")
def axe_tools():
    """Skips (or, with HANDOUTS_REQUIRE_AXE=1, fails) when node, Chromium or the npm packages are
    missing. Session-scoped and listed before `built`, so a skip costs no build."""
    reason = missing_tools()
    if reason:
        if os.environ.get("HANDOUTS_REQUIRE_AXE") == "1":
            pytest.fail(f"axe audit cannot run, and HANDOUTS_REQUIRE_AXE=1: {reason}")
        pytest.skip(f"axe accessibility audit not run: {reason}")


def run_audit(html):
    """The audit's JSON report on one HTML file; fails the test when the audit could not run."""
    result = subprocess.run(["node", str(AUDIT), str(html)], capture_output=True, text=True,
                            timeout=300)
    if result.returncode != 0:
        pytest.fail(f"audit.mjs could not audit {html} (exit {result.returncode}): "
                    f"{result.stderr.strip()}")
    return json.loads(result.stdout)


def describe(violations, limit=300):
    """One block per violation: id, impact, help, then each element with its HTML."""
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}  <{v.get('helpUrl', '')}>")
        for node in v["nodes"]:
            html = " ".join(node["html"].split())
            if len(html) > limit:
                html = html[:limit] + "..."
            where = ", ".join(node.get("viewports", []))
            lines.append(f"    at {' '.join(map(str, node['target']))} [{where}]: {html}")
    return "\n".join(lines)


def ids(report):
    return {v["id"] for v in report["violations"]}


@pytest.mark.parametrize("name", HANDOUT_NAMES)
def test_built_handout_has_no_axe_violations(axe_tools, built, name):
    html = built.outputs(name)["html"]
    assert html.is_file(), f"{html} was not built"
    report = run_audit(html)
    assert report["violations"] == [], (
        f"axe-core {report.get('axeVersion')} found {len(report['violations'])} accessibility "
        f"violation(s) in {name}.html:\n{describe(report['violations'])}")


def test_the_construct_corpus_and_the_catalogue_have_no_axe_violations(axe_tools, tmp_path):
    """Every construct's markup (glossary, merged table cells, task boxes, footnotes, each
    callout kind) and the catalogue page output/index.html."""
    corpus = (ROOT / "tests" / "corpus" / "constructs.md").read_text(encoding="utf-8")
    project = new_project(tmp_path, {"source/constructs.md": corpus})
    Image.new("RGB", (40, 40), (200, 0, 0)).save(project.source_dir / "square.png")
    assert run_build(project.root).returncode == 0
    for page in (project.outputs("constructs")["html"], project.output_dir / "index.html"):
        report = run_audit(page)
        assert report["violations"] == [], describe(report["violations"])


def test_audit_reports_violations_of_a_bad_page(axe_tools, tmp_path):
    """The audit can fail: an image without alt text, in a page with no lang and no title."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>\n'
                   '<body><main><h1>Dosing</h1><img src="chart.png"></main></body></html>\n',
                   encoding="utf-8")
    report = run_audit(bad)
    assert {"image-alt", "html-has-lang", "document-title"} <= ids(report), describe(
        report["violations"])
    image_alt = next(v for v in report["violations"] if v["id"] == "image-alt")
    assert [node["target"] for node in image_alt["nodes"]] == [["img"]]
    assert '<img src="chart.png">' in image_alt["nodes"][0]["html"]
    assert image_alt["nodes"][0]["viewports"] == ["phone", "desktop"]
    assert "image-alt" in describe(report["violations"])


def test_audit_checks_the_phone_width_too(axe_tools, tmp_path):
    """A flaw that shows only on a narrow screen is caught, and said to be the phone's."""
    page = tmp_path / "narrow.html"
    page.write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Narrow</title>\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<style>@media (max-width: 600px) { .faint { color: #ccc; } }</style></head>\n'
        '<body><main><h1>Narrow</h1><p class="faint">Call the clinic.</p></main></body></html>\n',
        encoding="utf-8")
    report = run_audit(page)
    assert ids(report) == {"color-contrast"}, describe(report["violations"])
    nodes = report["violations"][0]["nodes"]
    assert [(node["target"], node["viewports"]) for node in nodes] == [(["p"], ["phone"])]


def test_audit_exits_2_when_it_cannot_run(axe_tools, tmp_path):
    result = subprocess.run(["node", str(AUDIT), str(tmp_path / "absent.html")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "absent.html" in result.stderr


def test_no_line_of_the_page_needs_sideways_scrolling_on_a_phone(axe_tools, built):
    """320 px wide (WCAG reflow): long addresses (DOIs) wrap instead of widening the page."""
    html = built.outputs(HANDOUT_NAMES[0])["html"]
    result = subprocess.run(["node", str(AXE_DIR / "overflow.mjs"), str(html), "320"],
                            capture_output=True, text=True, timeout=120, cwd=AXE_DIR)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["scrollWidth"] <= 320


def test_citations_and_back_links_are_a_fingers_size_on_a_phone(axe_tools, built):
    """WCAG 2.2 target size: every citation number and back link is at least 24 x 24 CSS px,
    no two overlap, and the bigger targets do not spread the lines they sit in."""
    html = built.outputs(next(n for n in HANDOUT_NAMES if "referrer" in n))["html"]  # cited
    result = subprocess.run(["node", str(AXE_DIR / "overflow.mjs"), str(html), "375"],
                            capture_output=True, text=True, timeout=120, cwd=AXE_DIR)
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout)
    targets = measured["targets"]
    assert any(t["text"].isdigit() for t in targets) and any(
        not t["text"].isdigit() for t in targets)
    for t in targets:
        assert t["width"] >= 24 and t["height"] >= 24, t
    for a, b in zip(targets, targets[1:]):
        if abs(a["y"] - b["y"]) < 1:  # on one line: side by side, not on top of each other
            assert b["x"] >= a["x"] + a["width"] - 0.5, (a, b)
    assert measured["lines"]
    for block in measured["lines"]:
        assert block["height"] <= block["lines"] * block["lineHeight"] + 1, block


def test_a_browsers_own_printing_keeps_the_version_line_on_every_page(axe_tools, built,
                                                                      tmp_path):
    """Printed from Chromium (which has no string-set), every page still carries the version
    and dates, and pages after the first the running title."""
    import pypdf
    from handouts.furniture import doc_control
    name = HANDOUT_NAMES[0]
    meta = load_edition(built.source_dir, EDITIONS[0]).meta
    printed = tmp_path / "printed.pdf"
    subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer",
                    f"--print-to-pdf={printed}", built.outputs(name)["html"].as_uri()],
                   capture_output=True, timeout=120)
    pages = [p.extract_text() for p in pypdf.PdfReader(str(printed)).pages]
    assert len(pages) >= 2
    for number, text in enumerate(pages, 1):
        assert doc_control(meta) in text.replace("\n", " ")
        if number > 1:
            assert meta.running_title in text.split("\n")
