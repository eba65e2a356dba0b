"""Images: every picture a handout shows (its own, and the theme's logo) is checked once with
Pillow and carried in the page as a data: URL, so no writer reads a file and each can draw it.
"""

import base64
import io
import warnings

from PIL import Image, ImageFile

MIME_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}
# Far beyond what a printed page needs (8000 x 5000), and small enough to lay out quickly.
MAX_PIXELS = 40_000_000
# Modes a PNG can hold as they are; others (CMYK) are converted to RGB.
PNG_MODES = {"1", "L", "LA", "P", "RGB", "RGBA"}


class ImageProblem(ValueError):
    """Why a file cannot be shown, and what to do, for an error naming the file."""

    def __init__(self, message, hint):
        super().__init__(message)
        self.message, self.hint = message, hint


def data_url(path):
    """The picture at path as a data: URL; raise ImageProblem if it cannot be shown."""
    data = path.read_bytes()
    try:
        with warnings.catch_warnings(action="ignore", category=Image.DecompressionBombWarning):
            # the size is checked below, with a message for people
            with Image.open(io.BytesIO(data)) as picture:
                kind = _check(picture)
                _load_whole(picture)
                if not _word_can_read(data):
                    data, kind = _as_png(picture), "PNG"
    except ImageProblem:
        raise
    except Image.DecompressionBombError:
        raise _too_large() from None
    except Exception:  # Pillow raises many kinds for a damaged file; all mean the same
        raise ImageProblem("cannot be read as a picture: the file is damaged or not an image",
                           "open it in an image editor and save it again as PNG") from None
    return f"data:{MIME_TYPES[kind]};base64," + base64.b64encode(data).decode()


def _check(picture):
    if picture.format not in MIME_TYPES:
        raise ImageProblem(f"is a {picture.format} file, not PNG, JPEG or GIF",
                           "save it as PNG")
    if picture.width * picture.height > MAX_PIXELS:
        raise _too_large(picture.size)
    return picture.format


def _load_whole(picture):
    """Decode every pixel, so a damaged or cut-off file fails here, not half-drawn on paper.
    WeasyPrint tells Pillow to accept cut-off files; for this check it may not."""
    lenient = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        picture.load()
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def _too_large(size=None):
    shown = f" ({size[0]} x {size[1]} pixels)" if size else ""
    return ImageProblem(f"is too large to print{shown}",
                        "resize it to at most 4000 pixels on its longer side")


def _word_can_read(data):
    """python-docx places only the JPEG variants it can parse (not CMYK or Adobe-only files)."""
    from docx.image.image import Image as WordImage  # loaded only when there are pictures
    try:
        WordImage.from_blob(data)
    except Exception:
        return False
    return True


def _as_png(picture):
    if picture.mode not in PNG_MODES:
        picture = picture.convert("RGB")
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()
