"""The ``as_of`` query parameter: a business date (``2026-02-15``) or an RFC 3339 moment (a moment
without a zone is read in ``CPTY_TIMEZONE``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Depends, Query

from aggregates.errors import Invalid
from queries.as_of import AsOf
from services.api.deps import Cont

DESCRIPTION = "A business date (the state at the end of that day) or an RFC 3339 moment (as recorded then)"


def as_of_param(c: Cont, as_of: Annotated[str | None, Query(description=DESCRIPTION)] = None) -> AsOf | None:
    if as_of is None:
        return None
    text = as_of.strip()
    try:
        if len(text) == len("2026-02-15"):
            return AsOf(day=date.fromisoformat(text))
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=c.settings.zone)
        return AsOf(moment=moment.astimezone(UTC))
    except (ValueError, OverflowError):  # not a date, or a moment that UTC cannot hold (year 1 at +14:00)
        raise Invalid(["query", "as_of"], "a date (2026-02-15) or an RFC 3339 moment (2026-02-15T10:00:00Z)") from None


AsOfParam = Annotated[AsOf | None, Depends(as_of_param)]
