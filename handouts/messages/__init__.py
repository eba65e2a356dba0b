"""Page furniture in the reader's language: one YAML file per language in this folder,
chosen by the handout's `lang` (es-419 uses es.yaml); English where there is none."""

import functools
from pathlib import Path

import yaml

FOLDER = Path(__file__).resolve().parent
FALLBACK = "en"


@functools.lru_cache
def catalogue(lang):
    """The messages for a language tag: its own file, its base language's, or English."""
    for tag in (lang.lower(), lang.split("-")[0].lower(), FALLBACK):
        path = FOLDER / f"{tag}.yaml"
        if path.is_file():
            return Messages(yaml.safe_load(path.read_text(encoding="utf-8")))
    raise FileNotFoundError(FOLDER / f"{FALLBACK}.yaml")


class Messages:
    def __init__(self, texts):
        self.texts = texts

    def __call__(self, name, **values):
        return self.texts[name].format(**values)

    def date(self, day):
        return self("date", month=self.texts["months"][day.month - 1], day=day.day,
                    year=day.year)
