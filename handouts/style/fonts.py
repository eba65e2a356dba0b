"""Typefaces for every character: the theme's, then fallbacks for what it lacks, so
"β-blocker", "TNF-α", a pasted U+2010 hyphen, Vietnamese, Russian and Arabic print with no
empty boxes.

1. The theme's typeface (Atkinson Hyperlegible, bundled; or one installed on the machine).
2. Packaged fonts, installed with the build: Noto Sans (Greek, Cyrillic, Vietnamese,
   typographic hyphens), Noto Sans Arabic and Noto Emoji (monochrome), each one variable
   font for every weight.
3. The machine's own fonts, found through fontconfig as WeasyPrint finds them, for what no
   Python package ships (Chinese: Debian's fonts-noto-cjk; arrows: fonts-dejavu-core).

A character none of them has stops the build at its line, naming a package that has it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import fontpkg_noto_sans
import fontpkg_noto_sans_arabic
import manimgx_fonts
from fontTools.ttLib import TTFont

# family -> {font-style: file}; each file is a variable font, weights 100 to 900.
PACKAGED = {
    "Noto Sans": {"normal": Path(fontpkg_noto_sans.ROOT) / "files" / "NotoSans[wdth,wght].ttf",
                  "italic": Path(fontpkg_noto_sans.ROOT) / "files"
                  / "NotoSans-Italic[wdth,wght].ttf"},
    "Noto Sans Arabic": {"normal": Path(fontpkg_noto_sans_arabic.ROOT) / "files"
                         / "NotoSansArabic[wdth,wght].ttf"},
    # Emoji (✅ ⚠️ 📞 🙂), in black and white as the text: Noto Emoji, OFL, from the
    # manimgx-fonts package (no fontpkg package carries it), cut to the emoji used.
    "Noto Emoji": {"normal": Path(manimgx_fonts.__file__).parent / "NotoEmoji[wght].ttf"},
}
EMOJI = "Noto Emoji"
# Where a font for a script comes from, for the error when none is installed.
SCRIPT_PACKAGES = [((0x2E80, 0x9FFF), "fonts-noto-cjk"), ((0xAC00, 0xD7AF), "fonts-noto-cjk"),
                   ((0xF900, 0xFAFF), "fonts-noto-cjk"), ((0x0590, 0x05FF), "fonts-noto-core"),
                   ((0x2190, 0x22FF), "fonts-dejavu-core"), ((0x1F000, 0x1FAFF),
                                                             "fonts-noto-color-emoji")]


@functools.lru_cache(maxsize=16)
def characters(path: str | Path) -> frozenset[str]:
    """The characters a font file can draw."""
    return frozenset(map(chr, TTFont(str(path), lazy=True).getBestCmap()))


def needs_no_glyph(char: str) -> bool:
    return char.isspace() or char in "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"


def fallbacks(text: str,
              known: frozenset[str]) -> tuple[list[str], dict[str, str | None]]:
    """(packaged families the text needs beyond the characters known, {character: installed
    family or None}) for the characters no packaged font has."""
    families: list[str] = []
    elsewhere: dict[str, str | None] = {}
    for char in sorted(set(text) - known):
        if needs_no_glyph(char):
            continue
        family = next((f for f, files in PACKAGED.items()
                       if char in characters(files["normal"])), None)
        if family:
            if family not in families:
                families.append(family)
        else:
            elsewhere[char] = installed_family_with(char)
    return [f for f in PACKAGED if f in families], elsewhere


def package_for(char: str) -> str:
    code = ord(char)
    return next((package for (low, high), package in SCRIPT_PACKAGES if low <= code <= high),
                "fonts-noto-core")


@functools.lru_cache(maxsize=256)
def installed_family_with(char: str) -> str | None:
    """An installed font family that has char (a plain sans-serif face first), as
    fontconfig lists them; None if none has it or fontconfig cannot be asked."""
    names = _font_list(f":charset={ord(char):x}", b"family")
    plain = sorted(names, key=lambda n: ("Sans" not in n, any(w in n for w in
                                                             ("Math", "Mono", "Emoji")), n))
    return plain[0] if plain else None


def installed_match(family: str) -> str | None:
    """The family fontconfig, WeasyPrint's font finder, would draw family with (itself,
    when installed), or None where it cannot be asked."""
    fontconfig = _fontconfig()
    if fontconfig is None:
        return None
    ffi, fc = fontconfig
    pattern = fc.FcNameParse(family.replace("-", "\\-").encode())
    try:
        fc.FcConfigSubstitute(ffi.NULL, pattern, 0)  # FcMatchPattern
        fc.FcDefaultSubstitute(pattern)
        match = fc.FcFontMatch(ffi.NULL, pattern, ffi.new("FcResult *"))
        if match == ffi.NULL:
            return None
        value = ffi.new("FcChar8 **")
        found = fc.FcPatternGetString(match, b"family", 0, value) == 0
        name: str | None = ffi.string(value[0]).decode("utf-8", "replace") if found else None
        fc.FcPatternDestroy(match)
        return name
    finally:
        fc.FcPatternDestroy(pattern)


@functools.lru_cache(maxsize=16)
def installed_file(family: str) -> str | None:
    """The file of an installed family's regular face, or None."""
    files = sorted(_font_list(f"{family}:style=Regular", b"file")
                   or _font_list(family, b"file"))
    return files[0] if files else None


def _font_list(pattern_text: str, field: bytes) -> list[str]:
    """One field of every installed font matching a fontconfig pattern."""
    fontconfig = _fontconfig()
    if fontconfig is None:
        return []
    ffi, fc = fontconfig
    pattern = fc.FcNameParse(pattern_text.replace("-", "\\-").encode())
    objects = fc.FcObjectSetBuild(field, ffi.cast("char *", ffi.NULL))
    found = fc.FcFontList(ffi.NULL, pattern, objects)
    try:
        values: list[str] = []
        for n in range(found.nfont if found != ffi.NULL else 0):
            value = ffi.new("FcChar8 **")
            if fc.FcPatternGetString(found.fonts[n], field, 0, value) == 0:
                values.append(ffi.string(value[0]).decode("utf-8", "replace"))
        return values
    finally:
        if found != ffi.NULL:
            fc.FcFontSetDestroy(found)
        fc.FcObjectSetDestroy(objects)
        fc.FcPatternDestroy(pattern)


@functools.lru_cache(maxsize=1)
def _fontconfig() -> tuple[Any, Any] | None:  # cffi's objects are untyped
    """fontconfig (which Pango, and so WeasyPrint, needs) through cffi, for the calls
    WeasyPrint's own binding leaves out."""
    try:
        from cffi import FFI  # type: ignore[import-untyped]  # cffi ships no types
        ffi = FFI()
        ffi.cdef("""
            typedef unsigned char FcChar8;
            typedef struct _FcPattern FcPattern;
            typedef struct _FcConfig FcConfig;
            typedef struct _FcObjectSet FcObjectSet;
            typedef struct _FcFontSet { int nfont; int sfont; FcPattern **fonts; } FcFontSet;
            typedef int FcResult;
            FcPattern *FcNameParse(const FcChar8 *name);
            int FcConfigSubstitute(FcConfig *config, FcPattern *p, int kind);
            void FcDefaultSubstitute(FcPattern *pattern);
            FcPattern *FcFontMatch(FcConfig *config, FcPattern *p, FcResult *result);
            FcObjectSet *FcObjectSetBuild(const char *first, ...);
            FcFontSet *FcFontList(FcConfig *config, FcPattern *p, FcObjectSet *os);
            int FcPatternGetString(const FcPattern *p, const char *object, int n,
                                   FcChar8 **s);
            void FcFontSetDestroy(FcFontSet *s);
            void FcObjectSetDestroy(FcObjectSet *os);
            void FcPatternDestroy(FcPattern *p);
        """)
        for name in ("fontconfig", "libfontconfig.so.1", "libfontconfig-1.dll"):
            try:
                return ffi, ffi.dlopen(name)
            except OSError:
                continue
    except ImportError:
        pass
    return None
