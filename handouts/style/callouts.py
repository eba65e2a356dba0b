"""What each kind of box looks like, in every format: its colour, its rule and its icon.

A reader tells a warning from a tip without colour (WCAG 1.4.1): each kind has a rule of its
own (solid, dotted, double or dashed at the left, bars on both sides, a frame all round), an
icon of its own shape, and its label printed ("Warning", in the handout's language). The
colours keep the label's and the text's contrast on the box's fill at 4.5:1 or more. The web
page's and the PDF's CSS and the Word styles are all made from this one table; the note box
(the key points) takes the theme's accent and callout background.
"""

from __future__ import annotations

import base64
import functools
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw

from handouts.model import CALLOUT_KINDS

if TYPE_CHECKING:
    from handouts.style.theme import Theme

# In the order the labels are listed; the model's Callout.kind is one of these.
KINDS = CALLOUT_KINDS


@dataclass(frozen=True)
class Rule:
    """A box's rules: the left bar's style (CSS: solid, dotted, double, dashed), whether a
    bar stands at the right too, and whether a thin frame goes all round."""
    left: str
    right: bool = False
    frame: bool = False


@dataclass(frozen=True)
class Look:
    ink: str    # the rule, the icon and the label: #RRGGBB
    fill: str   # the box's background
    rule: Rule


# ink, fill: each ink reads at 4.5:1 or more on its fill, and the theme's text colour too.
LOOKS = {
    "tip": Look("#1E6331", "#ECF6EE", Rule("dotted")),
    "important": Look("#5A2D82", "#F3EEF8", Rule("double")),
    "warning": Look("#7A4500", "#FFF4DE", Rule("dashed")),
    "caution": Look("#9A3412", "#FDEFE6", Rule("solid", right=True)),
    "danger": Look("#A1161B", "#FCEBEC", Rule("solid", frame=True)),
}

# Word's names for the CSS rule styles.
WORD_RULES = {"solid": "single", "dotted": "dotted", "double": "double", "dashed": "dashed"}


def look(kind: str, theme: Theme) -> Look:
    """The look of a kind of box; the note box is the theme's own."""
    if kind in LOOKS:
        return LOOKS[kind]
    return Look(theme.accent_color, theme.callout_background, Rule("solid"))


# -- icons: simple shapes on a 24 x 24 grid, drawn as SVG (web page, PDF) and PNG (Word) -----
# ("circle", cx, cy, r) | ("polygon", x1, y1, x2, y2, ...) | ("rect", x0, y0, x1, y1);
# each shape in the ink ("ink") or cut out of it in white ("cut").
Shape = tuple[str, str, tuple[float, ...]]
ICONS: dict[str, list[Shape]] = {
    # a circle with an "i"
    "note": [("ink", "circle", (12, 12, 11)), ("cut", "circle", (12, 6.8, 1.7)),
             ("cut", "rect", (10.5, 10, 13.5, 18.5))],
    # a light bulb
    "tip": [("ink", "circle", (12, 9.5, 7.5)), ("ink", "rect", (8.5, 14, 15.5, 19)),
            ("ink", "rect", (9.5, 20, 14.5, 22.5)), ("cut", "rect", (11.2, 7, 12.8, 15))],
    # a square with "!"
    "important": [("ink", "rect", (1.5, 1.5, 22.5, 22.5)), ("cut", "rect", (10.5, 5, 13.5, 14.5)),
                  ("cut", "rect", (10.5, 16.5, 13.5, 19.5))],
    # a triangle with "!"
    "warning": [("ink", "polygon", (12, 1, 23.5, 22.5, 0.5, 22.5)),
                ("cut", "rect", (10.7, 8.5, 13.3, 16)), ("cut", "rect", (10.7, 17.5, 13.3, 20))],
    # a diamond with "!"
    "caution": [("ink", "polygon", (12, 0.5, 23.5, 12, 12, 23.5, 0.5, 12)),
                ("cut", "rect", (10.7, 6, 13.3, 13.5)), ("cut", "rect", (10.7, 15, 13.3, 17.5))],
    # an octagon (a stop sign) with "!"
    "danger": [("ink", "polygon", (7.2, 0.5, 16.8, 0.5, 23.5, 7.2, 23.5, 16.8, 16.8, 23.5,
                                   7.2, 23.5, 0.5, 16.8, 0.5, 7.2)),
               ("cut", "rect", (10.5, 5, 13.5, 14)), ("cut", "rect", (10.5, 15.8, 13.5, 18.8))],
}


def svg(kind: str, ink: str) -> str:
    """The icon as an SVG document, in the ink; white where it is cut out."""
    parts = []
    for paint, shape, v in ICONS[kind]:
        color = ink if paint == "ink" else "#FFFFFF"
        if shape == "circle":
            parts.append(f'<circle cx="{v[0]}" cy="{v[1]}" r="{v[2]}" fill="{color}"/>')
        elif shape == "rect":
            parts.append(f'<rect x="{v[0]}" y="{v[1]}" width="{v[2] - v[0]:g}" '
                         f'height="{v[3] - v[1]:g}" fill="{color}"/>')
        else:
            points = " ".join(f"{v[i]:g},{v[i + 1]:g}" for i in range(0, len(v), 2))
            parts.append(f'<polygon points="{points}" fill="{color}"/>')
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" '
            'viewBox="0 0 24 24">' + "".join(parts) + "</svg>")


def svg_url(kind: str, ink: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg(kind, ink).encode()).decode()


@functools.lru_cache
def png(kind: str, ink: str, size: int = 96) -> bytes:
    """The same icon as a PNG (Word shows no SVG without a PNG beside it), drawn four times
    larger and scaled down, so its edges are smooth; transparent outside the shape."""
    big = size * 4
    scale = big / 24
    image = Image.new("RGBA", (big, big), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    for paint, shape, v in ICONS[kind]:
        color = ink if paint == "ink" else "#FFFFFF"
        s = [n * scale for n in v]
        if shape == "circle":
            draw.ellipse((s[0] - s[2], s[1] - s[2], s[0] + s[2], s[1] + s[2]), fill=color)
        elif shape == "rect":
            draw.rectangle((s[0], s[1], s[2], s[3]), fill=color)
        else:
            draw.polygon(list(zip(s[::2], s[1::2])), fill=color)
    out = io.BytesIO()
    image.resize((size, size), Image.Resampling.LANCZOS).save(out, format="PNG", optimize=False)
    return out.getvalue()


def png_url(kind: str, ink: str) -> str:
    return "data:image/png;base64," + base64.b64encode(png(kind, ink)).decode()


def css(theme: Theme) -> str:
    """Each kind's colours, rules and icon, for the web page and the PDF (styles/handout.css
    lays the box out; this says which kind it is)."""
    rules = []
    for kind in KINDS:
        k = look(kind, theme)
        box = f".callout.{kind}"
        decl = [f"background: {k.fill}", f"border-left: 0.4em {k.rule.left} {k.ink}"]
        if k.rule.left == "double":
            decl[1] = f"border-left: 0.55em double {k.ink}"
        if k.rule.right:
            decl.append(f"border-right: 0.4em {k.rule.left} {k.ink}")
        if k.rule.frame:
            decl += [f"border-top: 2px solid {k.ink}", f"border-bottom: 2px solid {k.ink}",
                     f"border-right: 2px solid {k.ink}"]
        rules.append(f"{box} {{ {'; '.join(decl)}; }}")
        rules.append(f"{box} .callout-label {{ color: {k.ink}; }}")
        rules.append(f"{box} .callout-icon {{ background-image: url({svg_url(kind, k.ink)}); }}")
        # Right to left, the bar stands at the right (the start of the line).
        if not k.rule.right and not k.rule.frame:
            rules.append(f'[dir="rtl"] {box} {{ border-left: 0; '
                         f'border-right: {decl[1].split(": ", 1)[1]}; }}')
    return "\n".join(rules) + "\n"


def contrast(one: str, other: str) -> float:
    """WCAG's contrast ratio of two #RRGGBB colours (1 to 21)."""
    def luminance(color: str) -> float:
        channels = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)
