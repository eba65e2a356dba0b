"""Images: every picture a handout shows (its own, and the theme's logo) is checked once with
Pillow and carried in the page as a data: URL, so no writer reads a file and each can draw it.

A handout's own pictures are also scaled to what the page needs: 300 dpi across the printed
column for the PDF and the Word file, and a screen's width for the web page. A phone photo
(4032 x 3024, 2 MB) is otherwise decoded whole by every writer. Scaled copies are kept in
.cache/pictures/ by the content's hash, so a rebuild reuses them.
"""

from __future__ import annotations

import base64
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFile, ImageOps

from handouts import cache
from handouts.read import svg

MIME_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}
# Far beyond what a printed page needs (8000 x 5000), and small enough to lay out quickly.
MAX_PIXELS = 40_000_000
# Modes a PNG can hold as they are; others (CMYK) are converted to RGB.
PNG_MODES = {"1", "L", "LA", "P", "RGB", "RGBA"}
# Largest sizes needed, in pixels: the printed column (about 6.3 by 9.4 inches on Letter or
# A4) at 300 dpi, and twice a 36em column on screen (high-density screens).
PRINT_BOX = (1900, 2800)
SCREEN_BOX = (1200, 1800)
CACHE_VERSION = "1"  # part of every cached name: change it when the scaling changes


@dataclass(frozen=True)
class Picture:
    print_url: str    # for the PDF and the Word file
    screen_url: str   # for the web page


def picture(path: Path, cache_dir: Path) -> Picture:
    """The picture at path, checked, at print and at screen size, as data: URLs; raise
    ImageProblem if it cannot be shown. Copies are scaled once and kept in cache_dir."""
    data = path.read_bytes()
    if svg.looks_like_svg(data):
        return _svg_picture(data)
    key = cache.key(CACHE_VERSION, data)
    cached = [cache.read(cache_dir, f"{key}-{use}.url") for use in ("print", "screen")]
    print_cached, screen_cached = cached
    if print_cached and screen_cached and print_cached.isascii() and screen_cached.isascii():
        return Picture(print_cached.decode("ascii"), screen_cached.decode("ascii"))
    with _opened(data) as original:
        if _larger(original, PRINT_BOX):  # decoded once, at a fraction of its size
            printed = _decoded(original, PRINT_BOX)
            urls = {"print": _encoded(printed, PRINT_BOX),
                    "screen": _encoded(printed, SCREEN_BOX)}
        else:  # kept as it is for print, checked whole, as before
            print_url = data_url(path, data)
            if not _larger(original, SCREEN_BOX):
                return Picture(print_url, print_url)
            urls = {"print": print_url,
                    "screen": _encoded(_decoded(original, SCREEN_BOX), SCREEN_BOX)}
    for use, url in urls.items():
        cache.keep(cache_dir, f"{key}-{use}.url", url.encode("ascii"))
    return Picture(urls["print"], urls["screen"])


def _svg_picture(data: bytes) -> Picture:
    """An SVG picture, cleaned (read/svg.py), the same for print and screen: it is drawn
    at any size. Raise ImageProblem when it cannot be parsed."""
    try:
        text, _, _ = svg.cleaned(data)
    except svg.SvgProblem as problem:
        raise ImageProblem(f"is an SVG picture that cannot be read: {problem}",
                           "open it in a drawing program (Inkscape) and save it again as "
                           "plain SVG, or export it as PNG") from None
    url = "data:image/svg+xml;base64," + base64.b64encode(text).decode("ascii")
    return Picture(url, url)


def _opened(data: bytes) -> Image.Image:
    """The picture, its format and size checked (not yet decoded); ImageProblem if not."""
    try:
        with warnings.catch_warnings(action="ignore", category=Image.DecompressionBombWarning):
            # the size is checked in _check, with a message for people
            picture = Image.open(io.BytesIO(data))
        _check(picture)
        return picture
    except ImageProblem:
        raise
    except Image.DecompressionBombError:
        raise _too_large() from None
    except Exception:
        raise _damaged() from None


def _larger(picture: Image.Image, box: tuple[int, int]) -> bool:
    return picture.width > box[0] or picture.height > box[1]


def _decoded(original: Image.Image, box: tuple[int, int]) -> Image.Image:
    """The picture decoded, a JPEG at the smallest fraction of its size (1/2, 1/4, 1/8)
    still at least box: far quicker, and a quarter of the memory or less. The camera's
    orientation is applied, as the copies keep no EXIF data."""
    kind = original.format
    if kind == "JPEG":
        scale = min(box[0] / original.width, box[1] / original.height, 1)
        original.draft("RGB", (round(original.width * scale), round(original.height * scale)))
    try:
        _load_whole(original)  # a damaged or cut-off file fails here, as in data_url
        picture = ImageOps.exif_transpose(original)
    except Exception:
        raise _damaged() from None
    picture.format = kind
    return picture


def _encoded(picture: Image.Image, box: tuple[int, int]) -> str:
    """A copy fitting box (within a tenth: a JPEG decoded at half size prints at 320 dpi
    rather than 300, and is not resampled again): JPEG stays JPEG, the rest is PNG."""
    if picture.width > box[0] * 1.1 or picture.height > box[1] * 1.1:
        picture = picture.copy()
        picture.thumbnail(box, Image.Resampling.BICUBIC, reducing_gap=2.0)
    out = io.BytesIO()
    if picture.format == "JPEG" or picture.mode == "RGB" and picture.format is None:
        picture.convert("RGB").save(out, "JPEG", quality=85)
        return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()
    if picture.mode not in PNG_MODES:
        picture = picture.convert("RGBA")
    picture.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


class ImageProblem(ValueError):
    """Why a file cannot be shown, and what to do, for an error naming the file."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def data_url(path: Path, data: bytes | None = None) -> str:
    """The picture at path as a data: URL; raise ImageProblem if it cannot be shown."""
    data = path.read_bytes() if data is None else data
    with _opened(data) as picture:
        kind = picture.format or ""  # one of MIME_TYPES: _opened checked it
        try:
            _load_whole(picture)
            if not _word_can_read(data):
                data, kind = _as_png(picture), "PNG"
        except Exception:  # Pillow raises many kinds for a damaged file; all mean the same
            raise _damaged() from None
    return f"data:{MIME_TYPES[kind]};base64," + base64.b64encode(data).decode()


def _check(picture: Image.Image) -> None:
    if picture.format not in MIME_TYPES:
        raise ImageProblem(f"is a {picture.format} file, not PNG, JPEG or GIF",
                           "save it as PNG")
    if picture.width * picture.height > MAX_PIXELS:
        raise _too_large(picture.size)


def _load_whole(picture: Image.Image) -> None:
    """Decode every pixel, so a damaged or cut-off file fails here, not half-drawn on paper.
    WeasyPrint tells Pillow to accept cut-off files; for this check it may not."""
    lenient = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        picture.load()
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def _damaged() -> ImageProblem:
    return ImageProblem("cannot be read as a picture: the file is damaged or not an image",
                        "open it in an image editor and save it again as PNG")


def _too_large(size: tuple[int, int] | None = None) -> ImageProblem:
    shown = f" ({size[0]} x {size[1]} pixels)" if size else ""
    return ImageProblem(f"is too large to print{shown}",
                        "resize it to at most 4000 pixels on its longer side")


def _word_can_read(data: bytes) -> bool:
    """python-docx places only the JPEG variants it can parse (not CMYK or Adobe-only files)."""
    from docx.image.image import Image as WordImage  # loaded only when there are pictures
    try:
        WordImage.from_blob(data)
    except Exception:
        return False
    return True


def _as_png(picture: Image.Image) -> bytes:
    if picture.mode not in PNG_MODES:
        picture = picture.convert("RGB")
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()
