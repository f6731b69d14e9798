"""What documents and letters say in the reader's language: the labels, one JSON catalogue per
language beside this module (``labels/<language>.json``); dates and amounts are formatted by
commands/locales.py.

A language without a catalogue (or a regional one, ``de-AT``, without its own) takes the
catalogue of its primary language, then English; a label missing from a catalogue is English."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from commands.locales import FALLBACK, language_tags

CATALOGUES = Path(__file__).with_name("labels")


@lru_cache(maxsize=64)
def _catalogue(language: str) -> dict[str, str]:
    path = CATALOGUES / f"{language}.json"
    if not language.replace("-", "").isalnum() or not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@lru_cache(maxsize=64)
def labels(language: str) -> dict[str, str]:
    merged = dict(_catalogue(FALLBACK))
    for tag in reversed(language_tags(language)):
        merged.update(_catalogue(tag))
    return merged
