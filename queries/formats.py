"""How values look in answers: money with two decimals, datetimes in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

CENT = Decimal("0.01")


def money(value: Decimal | int | str | None) -> str:
    return str(Decimal(value or 0).quantize(CENT))


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; the log records UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
