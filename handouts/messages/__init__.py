"""Page furniture in the reader's language: one YAML file per language in this folder,
chosen by the handout's `lang` (es-419 uses es.yaml); English where there is none."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Mapping
from pathlib import Path

from handouts.read.front_matter import read_yaml

FOLDER = Path(__file__).resolve().parent
FALLBACK = "en"
# Languages written right to left: the page, the PDF and the Word file run that way.
RTL_LANGUAGES = {"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ckb"}


def right_to_left(lang: str) -> bool:
    """Arabic, Hebrew, Persian, Urdu and the other languages written right to left."""
    return lang.split("-")[0].lower() in RTL_LANGUAGES


@functools.lru_cache
def catalogue(lang: str) -> Messages:
    """The messages for a language tag: its own file, its base language's, or English."""
    for tag in (lang.lower(), lang.split("-")[0].lower(), FALLBACK):
        path = FOLDER / f"{tag}.yaml"
        if path.is_file():
            texts = read_yaml(path.read_text(encoding="utf-8"))
            if not isinstance(texts, dict):
                raise ValueError(f"{path} is not a list of messages")
            return Messages(texts)
    raise FileNotFoundError(FOLDER / f"{FALLBACK}.yaml")


class Messages:
    def __init__(self, texts: Mapping[str, object]) -> None:
        months = texts["months"]
        self.months = [str(m) for m in months] if isinstance(months, list) else []
        self.texts = texts
        self.strings = {name: text for name, text in texts.items() if isinstance(text, str)}

    def __call__(self, name: str, **values: object) -> str:
        return self.strings[name].format(**values)

    def page_parts(self) -> tuple[str, str, str]:
        """The words around the page numbers: ("Page ", " of ", "") in English, for the
        PDF's and Word's footers, which fill the numbers in themselves."""
        before, _, after = self("page", page="\0", pages="\1").partition("\0")
        between, _, end = after.partition("\1")
        return before, between, end

    def date(self, day: datetime.date) -> str:
        return self("date", month=self.months[day.month - 1], day=day.day,
                    year=day.year)
