"""Pandoc's citeproc, run once per handout edition: the citations of a handout go in as a
Pandoc JSON document of Cite elements, and come back formatted with the reference list.

Pandoc comes from the pinned pypandoc-binary wheel (pandoc 3.9, the version the project's
output is compared with) and reads the bibliography files itself, so entries are read as
Pandoc reads them. Its answer is kept in PROJECT/.cache/citations/ under a hash of
everything it depends on (the request, the bibliography and style files, the filter and
the wheel's version): an unchanged rebuild does not start pandoc at all.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import subprocess
from pathlib import Path
from typing import TypeAlias

from handouts import cache

# Pandoc's JSON, as it reads and writes it.
Json: TypeAlias = "str | int | float | bool | None | list[Json] | dict[str, Json]"
API_VERSION: list[Json] = [1, 23, 1, 1]  # pandoc-types of pandoc 3.9
FILTER = Path(__file__).with_name("references.lua")
ENGINE_VERSION = "1"  # raise when what is asked of pandoc changes its answer's meaning
TIMEOUT = 120  # seconds: a bibliography of thousands of entries takes a few


class PandocFailed(Exception):
    """pandoc stopped: its own message, for the author (a style or a file it cannot read)."""


def pandoc_path() -> Path:
    """The pandoc binary inside the installed pypandoc-binary wheel (not pypandoc's
    download helpers: the build is offline)."""
    spec = importlib.util.find_spec("pypandoc")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        binary = Path(folder) / "files" / "pandoc"
        if binary.is_file():
            return binary
    raise PandocFailed("pandoc is not installed (pypandoc-binary); run 'make .venv/.installed'")


def version() -> str:
    return importlib.metadata.version("pypandoc-binary")


def document(blocks: list[Json], meta: dict[str, Json]) -> dict[str, Json]:
    return {"pandoc-api-version": API_VERSION, "meta": meta, "blocks": blocks}


def run(doc: dict[str, Json], files: list[Path], cache_dir: Path | None) -> dict[str, Json]:
    """Pandoc's citeproc on doc, whose metadata names files (bibliographies and the style,
    as absolute paths); the answer cached by content."""
    request = json.dumps(doc, ensure_ascii=False, sort_keys=True).encode()
    name = cache.key(ENGINE_VERSION, version(), request, FILTER.read_bytes(),
                     *(path.read_bytes() for path in files)) + ".json"
    kept = cache.read(cache_dir, name) if cache_dir else None
    if kept is not None:
        answer: dict[str, Json] = json.loads(kept)
        return answer
    command = [str(pandoc_path()), "--from=json", "--to=json", "--lua-filter", str(FILTER),
               "--citeproc"]
    try:
        done = subprocess.run(command, input=request, capture_output=True, timeout=TIMEOUT,
                              check=False, env={"PATH": os.defpath, "LANG": "C.UTF-8"})
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PandocFailed(f"pandoc could not be run ({exc})") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").split("stack traceback")[0]
        lines = [line.strip() for line in said.splitlines()
                 if line.strip() and "[WARNING]" not in line]
        raise PandocFailed(" ".join(lines[-3:]) or f"pandoc stopped ({done.returncode})")
    if cache_dir:
        cache.keep(cache_dir, name, done.stdout)
    result: dict[str, Json] = json.loads(done.stdout)
    return result
