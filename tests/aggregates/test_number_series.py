"""Number series: every mask token, resets by period, refused masks, and no duplicate ever."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from aggregates.base import DomainEvent, natural_id
from aggregates.errors import Invalid
from aggregates.number_series import (
    DEFAULT_MASKS,
    SERIES,
    MaskChanged,
    NumberDrawn,
    NumberSeries,
    SeriesOpened,
    validate_mask,
)
from tests import gwt
from tests.gwt import like, replay

SID = NumberSeries.id_for("invoice")


def opened(mask: str) -> SeriesOpened:
    return SeriesOpened(
        originator_id=SID, originator_version=1, originator_topic=NumberSeries.TOPIC, series="invoice", mask=mask
    )


def drawn(version: int, period: str, counter: int, number: str, on: date) -> NumberDrawn:
    return NumberDrawn(
        originator_id=SID, originator_version=version, period=period, counter=counter, number=number, on=on
    )


def draws(mask: str, *days: date) -> list[str]:
    series = NumberSeries.open("invoice", mask)
    return [series.draw(day) for day in days]


# -- opening and defaults ------------------------------------------------------------------------


def test_default_masks() -> None:
    assert DEFAULT_MASKS == {
        "partner": "CU{yy}{mm}-{0000}",
        "quote": "QT{yy}{mm}-{0000}",
        "order": "SO{yy}{mm}-{0000}",
        "proforma": "PF{yy}{mm}-{0000}",
        "invoice": "IN{yy}{mm}-{0000}",
        "credit_note": "CN{yy}{mm}-{0000}",
        "payment": "PY{yy}{mm}-{0000}",
        "request": "REQ-{00000}",
        "interest_note": "IT{yy}{mm}-{0000}",
        "delivery": "DN{yy}{mm}-{0000}",
        "balance_confirmation": "BC{yy}{mm}-{0000}",
    }
    assert set(SERIES) == set(DEFAULT_MASKS)


@pytest.mark.parametrize("series", SERIES)
def test_a_series_opens_with_its_default_mask(series: str) -> None:
    s = (
        gwt.given()
        .when(lambda _: NumberSeries.open(series))
        .then(
            like(
                SeriesOpened,
                originator_id=natural_id("number-series", series),
                series=series,
                mask=DEFAULT_MASKS[series],
            )
        )
    )
    assert s.id == NumberSeries.id_for(series)
    assert s.counters == {}


@pytest.mark.parametrize(
    ("series", "day", "first"),
    [
        ("partner", date(2026, 3, 7), "CU2603-0001"),
        ("invoice", date(2031, 12, 31), "IN3112-0001"),
        ("credit_note", date(2026, 1, 1), "CN2601-0001"),
        ("request", date(2026, 3, 7), "REQ-00001"),
    ],
)
def test_default_masks_draw(series: str, day: date, first: str) -> None:
    s = NumberSeries.open(series)
    assert [s.draw(day), s.draw(day)] == [first, first[:-1] + "2"]


# -- tokens --------------------------------------------------------------------------------------


def test_every_date_token() -> None:
    assert draws("{yyyy}/{yy}/{mm}/{dd}-{0000}", date(2026, 3, 7)) == ["2026/26/03/07-0001"]
    assert draws("{dd}.{mm}.{yyyy}#{0}", date(2009, 11, 30)) == ["30.11.2009#1"]


@pytest.mark.parametrize(
    ("mask", "number"),
    [("{0}", "1"), ("{00}", "01"), ("{000}", "001"), ("{000000}", "000001"), ("{0000000000}", "0000000001")],
)
def test_counter_width_is_the_number_of_zeros(mask: str, number: str) -> None:
    assert draws(mask, date(2026, 1, 1)) == [number]


def test_a_counter_outgrows_its_width_without_repeating() -> None:
    scenario = gwt.given(opened("N{00}"), drawn(2, "all", 99, "N99", date(2026, 1, 1))).when(
        lambda s: s.draw(date(2026, 1, 2))
    )
    scenario.then(like(NumberDrawn, period="all", counter=100, number="N100", on=date(2026, 1, 2)))
    assert scenario.result == "N100"


def test_literal_text_anywhere() -> None:
    assert draws("INV/{yyyy}/X{000}-END mm yy", date(2026, 3, 7), date(2026, 3, 8)) == [
        "INV/2026/X001-END mm yy",
        "INV/2026/X002-END mm yy",
    ]
    assert draws("{0000}", date(2026, 3, 7)) == ["0001"]


def test_a_plain_counter_never_resets() -> None:
    assert draws("R{yy}{mm}-{000}", date(2026, 12, 31), date(2027, 1, 1), date(2027, 2, 1), date(2031, 6, 1)) == [
        "R2612-001",
        "R2701-002",
        "R2702-003",
        "R3106-004",
    ]


# -- resets --------------------------------------------------------------------------------------


def test_monthly_reset() -> None:
    assert draws(
        "{yy}{mm}-{0000@99}",
        date(2026, 1, 31),
        date(2026, 1, 31),
        date(2026, 2, 1),
        date(2026, 2, 28),
        date(2027, 1, 1),
    ) == ["2601-0001", "2601-0002", "2602-0001", "2602-0002", "2701-0001"]


def test_monthly_reset_counts_per_calendar_month() -> None:
    gwt.given(opened("{yy}{mm}-{0000@99}"), drawn(2, "m2026-01", 7, "2601-0007", date(2026, 1, 20))).when(
        lambda s: s.draw(date(2026, 1, 21))
    ).then(like(NumberDrawn, period="m2026-01", counter=8, number="2601-0008"))
    s = (
        gwt.given(opened("{yy}{mm}-{0000@99}"), drawn(2, "m2026-01", 7, "2601-0007", date(2026, 1, 20)))
        .when(lambda s: s.draw(date(2026, 2, 1)))
        .then(like(NumberDrawn, period="m2026-02", counter=1, number="2602-0001", on=date(2026, 2, 1)))
    )
    assert s.counters == {"m2026-01": 7, "m2026-02": 1}


def test_yearly_reset_on_january_first() -> None:
    assert draws("{yyyy}-{0000@1}", date(2026, 1, 1), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2)) == [
        "2026-0001",
        "2026-0002",
        "2027-0001",
        "2027-0002",
    ]


def test_yearly_reset_in_april_counts_january_to_march_with_the_previous_year() -> None:
    mask = "{yyyy}{mm}-{0000@4}"
    assert draws(
        mask,
        date(2026, 3, 31),  # fiscal year 2025
        date(2026, 4, 1),  # fiscal year 2026 starts
        date(2026, 12, 31),
        date(2027, 1, 10),  # still fiscal year 2026
        date(2027, 3, 31),
        date(2027, 4, 1),  # fiscal year 2027
    ) == ["202603-0001", "202604-0001", "202612-0002", "202701-0003", "202703-0004", "202704-0001"]


def test_yearly_reset_in_april_continues_the_previous_years_counter() -> None:
    s = (
        gwt.given(opened("{yy}{mm}/{000@04}"), drawn(2, "y2025@4", 41, "2512/041", date(2025, 12, 1)))
        .when(lambda s: s.draw(date(2026, 3, 31)))
        .then(like(NumberDrawn, period="y2025@4", counter=42, number="2603/042", on=date(2026, 3, 31)))
    )
    assert s.counters == {"y2025@4": 42}


@pytest.mark.parametrize(
    ("reset", "last_of_old", "first_of_new"),
    [
        (2, date(2026, 1, 31), date(2026, 2, 1)),
        (7, date(2026, 6, 30), date(2026, 7, 1)),
        (12, date(2026, 11, 30), date(2026, 12, 1)),
    ],
)
def test_yearly_reset_at_month_nn(reset: int, last_of_old: date, first_of_new: date) -> None:
    s = NumberSeries.open("invoice", f"{{yyyy}}{{mm}}-{{00@{reset}}}")
    numbers = [s.draw(last_of_old), s.draw(last_of_old), s.draw(first_of_new)]
    assert numbers[2].endswith("-01")
    assert numbers[:2] == [f"{last_of_old:%Y%m}-01", f"{last_of_old:%Y%m}-02"]
    assert s.counters == {f"y2025@{reset}": 2, f"y2026@{reset}": 1}


# -- refused masks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mask",
    [
        "",
        "INV",
        "INV-{yyyy}",
        "{0000}{000}",
        "{0000}-{0000@99}",
        "{abc}-{0000}",
        "{YYYY}-{0000}",
        "{}-{0000}",
        "{00x0}",
        "{0000@}",
        "{0000@0}",
        "{0000@13}",
        "{0000@98}",
        "{0000@100}",
        "INV{0000",
        "X" * 55 + "{0000}",  # 61 characters
    ],
)
def test_invalid_masks_are_refused(mask: str) -> None:
    # A resetting counter whose mask does not print its period ("{yyyy}-{0000@4}") is allowed:
    # the commands skip a number that is already taken (see tests/api/test_settings.py).
    with pytest.raises(Invalid) as raised:
        validate_mask(mask)
    assert raised.value.errors[0]["loc"] == ["body", "mask"]
    assert raised.value.code == "validation_error"
    if mask:  # an empty mask means the default one when a series opens
        with pytest.raises(Invalid):
            NumberSeries.open("invoice", mask)
    error = gwt.given(opened("IN{yy}{mm}-{0000}")).when(lambda s: s.change_mask(mask)).then_raises(Invalid)
    assert error.errors[0]["loc"] == ["body", "mask"]


def test_the_refusal_names_the_problem() -> None:
    with pytest.raises(Invalid, match=r"unknown token \{abc\}"):
        validate_mask("{abc}-{0000}")
    with pytest.raises(Invalid, match="exactly one counter"):
        validate_mask("INV")
    with pytest.raises(Invalid, match="reset month is 1 to 12, or 99"):
        validate_mask("{yyyy}{mm}{0000@13}")
    with pytest.raises(Invalid, match="at most 60 characters"):
        validate_mask("X" * 55 + "{0000}")


def test_a_mask_of_sixty_characters_is_accepted() -> None:
    mask = "X" * 54 + "{0000}"
    assert len(mask) == 60
    assert NumberSeries.open("invoice", mask).mask == mask


@pytest.mark.parametrize(
    ("mask", "first", "second"),
    [
        ("X{0000@99}", date(2026, 1, 31), date(2026, 2, 1)),
        ("{0000@1}", date(2026, 12, 31), date(2027, 1, 1)),
        ("F{yyyy}-{000@2}", date(2026, 1, 31), date(2026, 2, 1)),  # January counts with fiscal 2025
        ("{yy}-{0000@4}", date(2027, 1, 5), date(2027, 4, 1)),
    ],
)
def test_a_mask_that_hides_its_period_prints_a_number_again(mask: str, first: date, second: date) -> None:
    """Accepted, but the new period's counter prints what the old one printed: the series does not
    prevent it; the commands skip numbers already claimed (partner codes, document numbers)."""
    validate_mask(mask)
    a, b = draws(mask, first, second)
    assert a == b


def test_change_mask() -> None:
    s = (
        gwt.given(opened("IN{yy}{mm}-{0000}"))
        .when(lambda s: s.change_mask("F{yyyy}-{00000@1}"))
        .then(like(MaskChanged, originator_version=2, mask="F{yyyy}-{00000@1}"))
    )
    assert s.draw(date(2026, 5, 5)) == "F2026-00001"
    gwt.given(opened("IN{yy}{mm}-{0000}")).when(lambda s: s.change_mask("IN{yy}{mm}-{0000}")).then()


# -- the property: no duplicate, no gap ----------------------------------------------------------

_LITERAL = st.text(alphabet="AZ-/._ 019", min_size=1, max_size=3)
_DATE_TOKEN = st.sampled_from(["{yyyy}", "{yy}", "{mm}", "{dd}"])


@st.composite
def masks(draw: Any) -> str:
    parts: list[str] = draw(st.lists(st.one_of(_DATE_TOKEN, _LITERAL), max_size=5))
    width = draw(st.integers(1, 5))
    reset = draw(st.sampled_from(["", "", "@1", "@4", "@10", "@12", "@99"]))
    parts.insert(draw(st.integers(0, len(parts))), "{" + "0" * width + reset + "}")
    return "".join(parts)


@st.composite
def ascending_dates(draw: Any) -> list[date]:
    day = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2050, 12, 31)))
    steps: list[int] = draw(st.lists(st.integers(0, 120), min_size=1, max_size=120))
    days = []
    for step in steps:
        day += timedelta(days=step)
        days.append(day)
    return days


def _shows_its_period(mask: str) -> bool:
    """Valid, and a resetting counter comes with the date tokens that tell its periods apart."""
    try:
        validate_mask(mask)
    except Invalid:
        return False
    reset = re.search(r"\{0+@(\d+)\}", mask)
    if reset is None:
        return True
    year = "{yyyy}" in mask or "{yy}" in mask
    return year and ("{mm}" in mask or int(reset.group(1)) == 1)


@settings(max_examples=300, deadline=None)
@given(mask=masks(), days=ascending_dates())
def test_drawing_on_ascending_dates_never_repeats_a_number(mask: str, days: list[date]) -> None:
    """For every mask that prints its period (the others: see the test above)."""
    assume(_shows_its_period(mask))
    series = NumberSeries.open("invoice", mask)
    numbers = [series.draw(day) for day in days]
    assert len(set(numbers)) == len(numbers), f"{mask}: duplicates in {numbers}"
    events: list[DomainEvent] = series.collect_events()
    counters: dict[str, list[int]] = {}
    for e in events[1:]:
        assert isinstance(e, NumberDrawn)
        counters.setdefault(e.period, []).append(e.counter)
    # every period counts 1, 2, 3, … without a gap, and replay ends where the drawing did
    assert all(seen == list(range(1, len(seen) + 1)) for seen in counters.values())
    replayed = replay(events)
    assert isinstance(replayed, NumberSeries) and replayed.counters == series.counters
