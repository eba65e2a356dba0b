"""The build's own cache, PROJECT/.cache/: work that depends only on its input's bytes
(a picture scaled, a typeface cut to a page's characters), kept under a hash of that input
so the next build, in any process, reuses it. Deleting the folder only costs time."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path


def key(*parts: bytes | str) -> str:
    """A name for the work done on these bytes (or strings)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else str(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def read(folder: Path, name: str) -> bytes | None:
    """The bytes kept under name, or None."""
    try:
        return (folder / name).read_bytes()
    except OSError:
        return None


def keep(folder: Path, name: str, data: bytes) -> None:
    """Written whole or not at all (builds may run at once); a cache that cannot be written
    only costs time."""
    temporary: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}-")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, folder / name)
    except OSError:
        if temporary:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
