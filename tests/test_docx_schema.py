"""Word XML in schema order: in every XML part of every Word file the reference project
builds (the real handouts and tests/corpus/constructs.md, and a footnote holding a table,
a box and a list), the children of each w:pPr,
w:rPr, w:tblPr, w:tcPr and w:sectPr come in the sequence ECMA-376 Part 1 declares. Word
reports a file out of order as corrupt, or silently drops what it cannot place.
"""

import zipfile

import pytest
from lxml import etree
from PIL import Image

from conftest import ROOT, new_project, run_build
from test_footnote_blocks import DOCUMENT as FOOTNOTE_BLOCKS

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

# ECMA-376 Part 1 (transitional), 17.3.1.26 CT_PPr (CT_PPrBase, then its own three).
P_PR = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl",
        "numPr", "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens",
        "kinsoku", "wordWrap", "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN",
        "bidi", "adjustRightInd", "snapToGrid", "spacing", "ind", "contextualSpacing",
        "mirrorIndents", "suppressOverlap", "jc", "textDirection", "textAlignment",
        "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange")
# 17.3.2.28 CT_RPr (EG_RPrBase); a paragraph mark's rPr (CT_ParaRPr) opens with the four
# revision marks.
R_PR = ("ins", "del", "moveFrom", "moveTo",
        "rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike",
        "outline", "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish",
        "webHidden", "color", "spacing", "w", "kern", "position", "sz", "szCs", "highlight",
        "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs", "em", "lang",
        "eastAsianLayout", "specVanish", "oMath", "rPrChange")
# 17.4.60 CT_TblPr (CT_TblPrBase and the change record).
TBL_PR = ("tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize",
          "tblStyleColBandSize", "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd",
          "tblLayout", "tblCellMar", "tblLook", "tblCaption", "tblDescription", "tblPrChange")
# 17.4.70 CT_TcPr.
TC_PR = ("cnfStyle", "tcW", "gridSpan", "hMerge", "vMerge", "tcBorders", "shd", "noWrap",
         "tcMar", "textDirection", "tcFitText", "vAlign", "hideMark", "headers", "cellIns",
         "cellDel", "cellMerge", "tcPrChange")
# 17.6.17 CT_SectPr: any number of header and footer references first.
SECT_PR = ("headerReference|footerReference", "footnotePr", "endnotePr", "type", "pgSz",
           "pgMar", "paperSrc", "pgBorders", "lnNumType", "pgNumType", "cols", "formProt",
           "vAlign", "noEndnote", "titlePg", "textDirection", "bidi", "rtlGutter", "docGrid",
           "printerSettings", "sectPrChange")
SEQUENCES = {"pPr": P_PR, "rPr": R_PR, "tblPr": TBL_PR, "tcPr": TC_PR, "sectPr": SECT_PR}
REPEATABLE = {"headerReference|footerReference"}


def _positions(sequence):
    return {name: n for n, names in enumerate(sequence) for name in names.split("|")}


def out_of_order(root):
    """One line for each property element whose children break the standard's sequence."""
    problems = []
    for parent, sequence in SEQUENCES.items():
        place = _positions(sequence)
        for element in root.iter(W + parent):
            last = -1
            for child in element:
                name = etree.QName(child).localname
                if etree.QName(child).namespace != W[1:-1] or name not in place:
                    problems.append(f"{_where(element)}: w:{parent} holds {child.tag}")
                    continue
                here = place[name]
                if here < last or (here == last and sequence[here] not in REPEATABLE):
                    order = [etree.QName(c).localname for c in element]
                    problems.append(f"{_where(element)}: w:{parent} children {order}")
                    break
                last = here
    return problems


def _where(element):
    """The style an element is in, if any, else its line (parts are one line long)."""
    style = next((a for a in element.iterancestors(W + "style")), None)
    return f"style '{style.get(W + 'styleId')}'" if style is not None \
        else f"line {element.sourceline}"


def xml_parts(path):
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            if name.endswith(".xml") or name.endswith(".rels"):
                yield name, etree.fromstring(package.read(name))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The reference project: the real handouts and the constructs corpus, built; and
    tables and a box in a footnote."""
    corpus = (ROOT / "tests" / "corpus" / "constructs.md").read_text(encoding="utf-8")
    project = new_project(tmp_path_factory.mktemp("schema"),
                          {"source/constructs.md": corpus, "source/notes.md": FOOTNOTE_BLOCKS},
                          with_real_sources=True)
    Image.new("RGB", (40, 40), (200, 0, 0)).save(project.source_dir / "square.png")
    result = run_build(project.root)
    assert result.returncode == 0, result.stderr
    return sorted(project.output_dir.glob("*.docx"))


def test_the_reference_project_builds_word_files_with_footnotes_headers_and_footers(reference):
    assert len(reference) >= 3
    for path in reference:
        names = zipfile.ZipFile(path).namelist()
        assert {"word/styles.xml", "word/numbering.xml"} <= set(names), path.name
        assert any(n.startswith("word/header") for n in names), path.name
        assert any(n.startswith("word/footer") for n in names), path.name
    assert any("word/footnotes.xml" in zipfile.ZipFile(p).namelist() for p in reference)


def test_every_property_element_of_every_part_is_in_schema_order(reference):
    problems = [f"{path.name} {name} {problem}" for path in reference
                for name, root in xml_parts(path) for problem in out_of_order(root)]
    assert not problems, "\n".join(problems)


def test_the_check_finds_a_border_after_the_outline_level():
    style = etree.fromstring(
        f'<w:pPr xmlns:w="{W[1:-1]}"><w:keepNext/><w:outlineLvl w:val="1"/><w:pBdr/></w:pPr>')
    assert out_of_order(style)
