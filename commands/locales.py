"""How values read in a language: dates and amounts formatted by the locale's rules (Babel's
CLDR data: "1.230,00 €" in German, "€1,230.00" in English). Message templates reach it as
``fmt`` (``{{ fmt.money(total_due, currency) }}``), document PDFs and letters use it for every
date and amount they print.

A regional language (``de-AT``) Babel does not know takes its primary language, then English."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

FALLBACK = "en"


def language_tags(language: str) -> list[str]:
    """The tags to try, most specific first: ``de-AT``, ``de``."""
    tag = (language or FALLBACK).strip().lower()
    return list(dict.fromkeys([tag, tag.split("-")[0]]))


@lru_cache(maxsize=64)
def babel_locale(language: str) -> Locale:
    for tag in language_tags(language):
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
