"""Children of Word's property elements in the order ECMA-376 Part 1 declares them: Word
calls a file with w:pBdr after w:outlineLvl corrupt, or drops what it cannot place.
python-docx's element classes know the order only of the children they have properties for;
every other child the writer adds goes in through place()."""

from __future__ import annotations

from lxml import etree

from docx.oxml.ns import qn

# 17.3.1.26 CT_PPr
_P_PR = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl",
         "numPr", "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens",
         "kinsoku", "wordWrap", "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN",
         "bidi", "adjustRightInd", "snapToGrid", "spacing", "ind", "contextualSpacing",
         "mirrorIndents", "suppressOverlap", "jc", "textDirection", "textAlignment",
         "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange")
# 17.3.2.28 CT_RPr, after the revision marks a paragraph mark's properties open with
_R_PR = ("ins", "del", "moveFrom", "moveTo", "rStyle", "rFonts", "b", "bCs", "i", "iCs",
         "caps", "smallCaps", "strike", "dstrike", "outline", "shadow", "emboss", "imprint",
         "noProof", "snapToGrid", "vanish", "webHidden", "color", "spacing", "w", "kern",
         "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText",
         "vertAlign", "rtl", "cs", "em", "lang", "eastAsianLayout", "specVanish", "oMath",
         "rPrChange")
# 17.4.60 CT_TblPr
_TBL_PR = ("tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize",
           "tblStyleColBandSize", "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders",
           "shd", "tblLayout", "tblCellMar", "tblLook", "tblCaption", "tblDescription",
           "tblPrChange")
# 17.4.70 CT_TcPr
_TC_PR = ("cnfStyle", "tcW", "gridSpan", "hMerge", "vMerge", "tcBorders", "shd", "noWrap",
          "tcMar", "textDirection", "tcFitText", "vAlign", "hideMark", "headers", "cellIns",
          "cellDel", "cellMerge", "tcPrChange")
# 17.6.17 CT_SectPr; header and footer references, any number, come first
_SECT_PR = ("headerReference", "footerReference", "footnotePr", "endnotePr", "type", "pgSz",
            "pgMar", "paperSrc", "pgBorders", "lnNumType", "pgNumType", "cols", "formProt",
            "vAlign", "noEndnote", "titlePg", "textDirection", "bidi", "rtlGutter", "docGrid",
            "printerSettings", "sectPrChange")

SEQUENCES: dict[str, tuple[str, ...]] = {
    qn(f"w:{parent}"): tuple(qn(f"w:{child}") for child in children)
    for parent, children in (("pPr", _P_PR), ("rPr", _R_PR), ("tblPr", _TBL_PR),
                             ("tcPr", _TC_PR), ("sectPr", _SECT_PR))}


def place(parent: etree._Element, child: etree._Element) -> etree._Element:
    """Insert child into parent before the first child the standard puts after it (after
    any of its own kind), and return it."""
    sequence = SEQUENCES[parent.tag]
    later = set(sequence[sequence.index(child.tag) + 1:])
    for sibling in parent:
        if sibling.tag in later:
            sibling.addprevious(child)
            return child
    parent.append(child)
    return child
