"""Where the build may read: every file named by an author (the handout, its pictures and
bibliographies, a CSL style, the theme, the stylesheet and the logo) is found through
inside(), which resolves symbolic links before it looks, so a link in source/ or styles/
to a file elsewhere on the machine is refused like a path that says so outright."""

from __future__ import annotations

from pathlib import Path


class Outside(ValueError):
    """The name leads out of its folder: an absolute path, '..', or a link to elsewhere."""


def inside(folder: str | Path, name: str | Path) -> Path:
    """folder/name with every symbolic link resolved; Outside where that lies outside
    folder (itself resolved, so a project reached through a link still works)."""
    root = Path(folder).resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise Outside(name)
    return path
