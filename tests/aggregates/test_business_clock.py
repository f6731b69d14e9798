"""The business clock: a day starts once, and the clock never runs backwards."""

from __future__ import annotations

from datetime import UTC, date, datetime

from aggregates.business_clock import CLOCK_ID, BusinessClock, ClockMoved, ClockStarted, DayStarted
from aggregates.errors import Conflict
from tests.gwt import given, like

T0 = datetime(2026, 1, 15, 0, 0, tzinfo=UTC)
STARTED = ClockStarted(originator_id=CLOCK_ID, originator_version=1, originator_topic=BusinessClock.TOPIC, now=T0)
DAY_15 = DayStarted(
    originator_id=CLOCK_ID, originator_version=2, day=date(2026, 1, 15), at=datetime(2026, 1, 15, 6, tzinfo=UTC)
)


def test_the_clock_starts() -> None:
    clock = given().when(lambda _: BusinessClock.start(T0)).then(like(ClockStarted, originator_id=CLOCK_ID, now=T0))
    assert (clock.now, clock.last_day_run) == (T0, None)


def test_a_day_starts() -> None:
    at = datetime(2026, 1, 15, 6, tzinfo=UTC)
    clock = (
        given(STARTED)
        .when(lambda c: c.start_day(date(2026, 1, 15), at))
        .then(like(DayStarted, originator_version=2, day=date(2026, 1, 15), at=at))
    )
    assert (clock.last_day_run, clock.now) == (date(2026, 1, 15), at)


def test_a_day_starts_at_the_clocks_own_time() -> None:
    given(STARTED).when(lambda c: c.start_day(date(2026, 1, 15), T0)).then(DayStarted)


def test_a_day_already_run_does_not_run_again() -> None:
    later = datetime(2026, 1, 15, 23, 59, tzinfo=UTC)
    clock = given(STARTED, DAY_15).when(lambda c: c.start_day(date(2026, 1, 15), later)).then()
    assert (clock.last_day_run, clock.now, clock.version) == (date(2026, 1, 15), DAY_15.at, 2)
    given(STARTED, DAY_15).when(lambda c: c.start_day(date(2026, 1, 14), later)).then()
    # idempotence comes first: a repeated day is no error even with an earlier time
    given(STARTED, DAY_15).when(lambda c: c.start_day(date(2026, 1, 15), T0)).then()


def test_the_next_day_starts() -> None:
    at = datetime(2026, 1, 16, 6, tzinfo=UTC)
    clock = (
        given(STARTED, DAY_15)
        .when(lambda c: c.start_day(date(2026, 1, 16), at))
        .then(like(DayStarted, originator_version=3, day=date(2026, 1, 16), at=at))
    )
    assert clock.last_day_run == date(2026, 1, 16)


def test_a_new_day_before_the_clocks_time_is_refused() -> None:
    error = (
        given(STARTED, DAY_15)
        .when(lambda c: c.start_day(date(2026, 1, 16), datetime(2026, 1, 15, 5, 59, tzinfo=UTC)))
        .then_raises(Conflict, code="clock_backwards")
    )
    assert error.detail == "the clock moves forward only"


def test_move_to_moves_forward() -> None:
    later = datetime(2026, 2, 1, 12, 30, tzinfo=UTC)
    clock = given(STARTED).when(lambda c: c.move_to(later)).then(like(ClockMoved, originator_version=2, now=later))
    assert clock.now == later
    assert clock.last_day_run is None


def test_move_to_the_same_time_records_nothing() -> None:
    given(STARTED).when(lambda c: c.move_to(T0)).then()


def test_move_to_the_past_is_refused() -> None:
    given(STARTED, DAY_15).when(lambda c: c.move_to(datetime(2026, 1, 15, 5, 59, 59, tzinfo=UTC))).then_raises(
        Conflict, code="clock_backwards"
    )
