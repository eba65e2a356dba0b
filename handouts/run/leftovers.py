"""What a killed build leaves behind, and the next build removes: outputs staged in output/
(and output/reports/) but never renamed into place, and the folders where printing
processes registered their fonts. Each carries the id of the process that made it, so a
build removes only those of processes that are gone, never those of a build running at
the same time."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handouts.run.project import Project

# A file staged for output/NAME is output/.NAME.PID.XXXXXXXX (tempfile's eight characters).
_STAGED = re.compile(r"\..+\.(\d+)\.[a-z0-9_]{8}")
# A printing process's fonts folder, in the temporary folder that other machines' (other
# containers') processes may share: handouts-fonts-SPACE-PID-XXXXXXXX, where SPACE tells
# apart the sets of process ids (Linux's PID namespaces).
FONTS_PREFIX = "handouts-fonts-"
_FONTS = re.compile(re.escape(FONTS_PREFIX) + r"(\w+)-(\d+)-[a-z0-9_]{8}")


def _space() -> str:
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return os.uname().nodename.replace("-", "_") or "here"


def staged_prefix(target: str | os.PathLike[str]) -> str:
    """The prefix for tempfile.mkstemp of a file staged for target in this process."""
    return f".{Path(target).name}.{os.getpid()}."


def fonts_folder(prefix: str | None = None, suffix: str | None = None,
                 dir: str | os.PathLike[str] | None = None) -> str:  # noqa: A002 - mkdtemp's
    """A folder for this process's fonts (WeasyPrint's mkdtemp, named for this process)."""
    return tempfile.mkdtemp(prefix=f"{FONTS_PREFIX}{_space()}-{os.getpid()}-", dir=dir)


def remove(project: Project) -> None:
    """Remove what processes that have ended left behind: staged outputs, folders a killed
    release left half-copied in output/archive/NAME/, and fonts folders. Quick (a listing
    of a few folders); whatever cannot be removed stays."""
    for folder in (project.output_dir, project.reports_dir):
        for name in _names(folder):
            match = _STAGED.fullmatch(name)
            if match and not _running(int(match.group(1))):
                _quietly(os.unlink, folder / name)
    for home in (project.archive_dir / name for name in _names(project.archive_dir)):
        for name in _names(home):
            match = _STAGED.fullmatch(name)
            if match and (home / name).is_dir() and not _running(int(match.group(1))):
                _quietly(shutil.rmtree, home / name)
    temporary, space = Path(tempfile.gettempdir()), _space()
    for name in _names(temporary):
        match = _FONTS.fullmatch(name)
        if match and match.group(1) == space and not _running(int(match.group(2))):
            _quietly(shutil.rmtree, temporary / name)


def _names(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    try:  # a process that has ended but not been waited for is gone too
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _quietly(remove_one: Callable[[Path], object], path: Path) -> None:
    try:
        remove_one(path)
    except OSError:
        pass
