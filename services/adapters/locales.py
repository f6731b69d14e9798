"""What documents and letters say in the reader's language: the labels (one JSON catalogue per
language beside this module, ``labels/<language>.json``) and dates and amounts formatted by the
locale's rules (Babel's CLDR data: "1.230,00 €" in German, "€1,230.00" in English).

A language without a catalogue (or a regional one, ``de-AT``, without its own) takes the
catalogue of its primary language, then English; a label missing from a catalogue is English."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

CATALOGUES = Path(__file__).with_name("labels")
FALLBACK = "en"


@lru_cache(maxsize=64)
def _catalogue(language: str) -> dict[str, str]:
    path = CATALOGUES / f"{language}.json"
    if not language.replace("-", "").isalnum() or not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _tags(language: str) -> list[str]:
    """The catalogues to look in, most specific first: ``de-AT``, ``de``."""
    tag = (language or FALLBACK).strip().lower()
    return list(dict.fromkeys([tag, tag.split("-")[0]]))


@lru_cache(maxsize=64)
def labels(language: str) -> dict[str, str]:
    merged = dict(_catalogue(FALLBACK))
    for tag in reversed(_tags(language)):
        merged.update(_catalogue(tag))
    return merged


@lru_cache(maxsize=64)
def babel_locale(language: str) -> Locale:
    for tag in _tags(language):
        try:
            return Locale.parse(tag, sep="-")
        except (ValueError, UnknownLocaleError):
            continue
    return Locale.parse(FALLBACK)


class Formats:
    """Formats values for one language; ``None`` and empty values print as nothing."""

    def __init__(self, language: str) -> None:
        self.locale = babel_locale(language)

    def money(self, amount: Any, currency: str) -> str:
        if amount is None or amount == "":
            return ""
        return format_currency(Decimal(str(amount)), currency, locale=self.locale)  # type: ignore[no-any-return]

    def amount(self, amount: Any) -> str:
        """An amount without its currency (in a table whose header or total names it)."""
        if amount is None or amount == "":
            return ""
        return format_decimal(Decimal(str(amount)), format="#,##0.00", locale=self.locale)  # type: ignore[no-any-return]

    def number(self, value: Any) -> str:
        """A quantity or a percentage with the decimals it has (up to four)."""
        if value is None or value == "":
            return ""
        return format_decimal(Decimal(str(value)), format="#,##0.####", locale=self.locale)  # type: ignore[no-any-return]

    def date(self, value: date | str | None) -> str:
        if not value:
            return ""
        day = value if isinstance(value, date) else date.fromisoformat(value)
        return format_date(day, format="medium", locale=self.locale)  # type: ignore[no-any-return]
