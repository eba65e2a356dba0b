"""Page furniture in the reader's language: one YAML file per language in this folder,
chosen by the handout's `lang` (es-419 uses es.yaml); English where there is none."""

import functools
from pathlib import Path

from handouts.read.front_matter import read_yaml

FOLDER = Path(__file__).resolve().parent
FALLBACK = "en"
# Languages written right to left: the page, the PDF and the Word file run that way.
RTL_LANGUAGES = {"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ckb"}


def right_to_left(lang):
    """Arabic, Hebrew, Persian, Urdu and the other languages written right to left."""
    return lang.split("-")[0].lower() in RTL_LANGUAGES


@functools.lru_cache
def catalogue(lang):
    """The messages for a language tag: its own file, its base language's, or English."""
    for tag in (lang.lower(), lang.split("-")[0].lower(), FALLBACK):
        path = FOLDER / f"{tag}.yaml"
        if path.is_file():
            return Messages(read_yaml(path.read_text(encoding="utf-8")))
    raise FileNotFoundError(FOLDER / f"{FALLBACK}.yaml")


class Messages:
    def __init__(self, texts):
        self.texts = texts

    def __call__(self, name, **values):
        return self.texts[name].format(**values)

    def page_parts(self):
        """The words around the page numbers: ("Page ", " of ", "") in English, for the
        PDF's and Word's footers, which fill the numbers in themselves."""
        before, _, after = self("page", page="\0", pages="\1").partition("\0")
        between, _, end = after.partition("\1")
        return before, between, end

    def date(self, day):
        return self("date", month=self.texts["months"][day.month - 1], day=day.day,
                    year=day.year)
