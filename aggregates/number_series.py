"""Number series: masks with date tokens and counters that reset per period."""

from __future__ import annotations

import re
from datetime import date
from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, event, natural_id
from aggregates.errors import Invalid

SERIES = (
    "partner",
    "quote",
    "order",
    "proforma",
    "invoice",
    "credit_note",
    "payment",
    "request",
    "interest_note",
    "delivery",
    "balance_confirmation",
)

DEFAULT_MASKS = {
    "partner": "CU{yy}{mm}-{0000}",
    "quote": "QT{yy}{mm}-{0000}",
    "order": "SO{yy}{mm}-{0000}",
    "proforma": "PF{yy}{mm}-{0000}",
    "invoice": "IN{yy}{mm}-{0000}",
    "credit_note": "CN{yy}{mm}-{0000}",
    "payment": "PY{yy}{mm}-{0000}",
    "request": "REQ-{00000}",
    "interest_note": "IT{yy}{mm}-{0000}",
    "balance_confirmation": "BC{yy}{mm}-{0000}",
    "delivery": "DN{yy}{mm}-{0000}",
}

_TOKEN = re.compile(r"\{([^{}]*)\}")
_COUNTER = re.compile(r"^(0+)(?:@(\d{1,2}))?$")


def validate_mask(mask: str) -> None:
    counters = 0
    for token in _TOKEN.findall(mask):
        if token in ("yyyy", "yy", "mm", "dd"):
            continue
        match = _COUNTER.match(token)
        if not match:
            raise Invalid(["body", "mask"], f"unknown token {{{token}}}")
        reset = match.group(2)
        if reset is not None and not (1 <= int(reset) <= 12 or int(reset) == 99):
            raise Invalid(["body", "mask"], "a reset month is 1 to 12, or 99 for every month")
        counters += 1
    if counters != 1:
        raise Invalid(["body", "mask"], "a mask needs exactly one counter such as {0000}")
    if len(mask) > 60:
        raise Invalid(["body", "mask"], "a mask is at most 60 characters")


def period_key(mask: str, on: date) -> str:
    """Which counter a number drawn on ``on`` advances."""
    for token in _TOKEN.findall(mask):
        match = _COUNTER.match(token)
        if not match:
            continue
        reset = match.group(2)
        if reset is None:
            return "all"
        month = int(reset)
        if month == 99:
            return f"m{on.year:04d}-{on.month:02d}"
        year = on.year if on.month >= month else on.year - 1
        return f"y{year:04d}@{month}"
    return "all"


def format_number(mask: str, on: date, counter: int) -> str:
    def replace(match: re.Match[str]) -> str:
        token = match.group(1)
        if token == "yyyy":
            return f"{on.year:04d}"
        if token == "yy":
            return f"{on.year % 100:02d}"
        if token == "mm":
            return f"{on.month:02d}"
        if token == "dd":
            return f"{on.day:02d}"
        width = len(_COUNTER.match(token).group(1))  # type: ignore[union-attr]
        return f"{counter:0{width}d}"

    return _TOKEN.sub(replace, mask)


class SeriesOpened(CreatedEvent):
    TOPIC = "counterparty.numbering.SeriesOpened.v1"
    series: str
    mask: str


class MaskChanged(DomainEvent):
    TOPIC = "counterparty.numbering.MaskChanged.v1"
    mask: str


class NumberDrawn(DomainEvent):
    TOPIC = "counterparty.numbering.NumberDrawn.v1"
    period: str
    counter: int
    number: str
    on: date


class NumberSeries(Aggregate):
    TOPIC = "counterparty.numbering.NumberSeries"
    SNAPSHOT_EVERY = 50

    series: str
    mask: str
    counters: dict[str, int]

    @staticmethod
    def id_for(series: str) -> UUID:
        return natural_id("number-series", series)

    @classmethod
    def open(cls, series: str, mask: str | None = None) -> NumberSeries:
        mask = mask or DEFAULT_MASKS[series]
        validate_mask(mask)
        return cls._create(SeriesOpened, id=natural_id("number-series", series), series=series, mask=mask)

    @event(SeriesOpened)
    def _opened(self, series: str, mask: str) -> None:
        self.series = series
        self.mask = mask
        self.counters = {}

    def change_mask(self, mask: str) -> None:
        validate_mask(mask)
        if mask != self.mask:
            self._mask_changed(mask=mask)

    @event(MaskChanged)
    def _mask_changed(self, mask: str) -> None:
        self.mask = mask

    def draw(self, on: date) -> str:
        period = period_key(self.mask, on)
        counter = self.counters.get(period, 0) + 1
        number = format_number(self.mask, on, counter)
        self._drawn(period=period, counter=counter, number=number, on=on)
        return number

    @event(NumberDrawn)
    def _drawn(self, period: str, counter: int) -> None:
        self.counters[period] = counter
