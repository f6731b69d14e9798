"""The business clock: time as data. ``DayStarted`` is what every daily job reacts to."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, event, natural_id
from aggregates.errors import conflict


class ClockStarted(CreatedEvent):
    TOPIC = "counterparty.clock.ClockStarted.v1"
    now: datetime


class ClockMoved(DomainEvent):
    TOPIC = "counterparty.clock.ClockMoved.v1"
    now: datetime


class DayStarted(DomainEvent):
    TOPIC = "counterparty.clock.DayStarted.v1"
    day: date
    at: datetime


CLOCK_ID: UUID = natural_id("business-clock", "main")


class BusinessClock(Aggregate):
    TOPIC = "counterparty.clock.BusinessClock"
    SNAPSHOT_EVERY = 50

    now: datetime
    last_day_run: date | None

    @classmethod
    def start(cls, now: datetime) -> BusinessClock:
        return cls._create(ClockStarted, id=CLOCK_ID, now=now)

    @event(ClockStarted)
    def _started(self, now: datetime) -> None:
        self.now = now
        self.last_day_run = None

    def start_day(self, day: date, at: datetime) -> None:
        """Records that ``day``'s start has passed; a day already run is not run again."""
        if self.last_day_run is not None and day <= self.last_day_run:
            return
        if at < self.now:
            raise conflict("clock_backwards", "the clock moves forward only")
        self._day_started(day=day, at=at)

    @event(DayStarted)
    def _day_started(self, day: date, at: datetime) -> None:
        self.last_day_run = day
        self.now = at

    def move_to(self, now: datetime) -> None:
        if now < self.now:
            raise conflict("clock_backwards", "the clock moves forward only")
        if now != self.now:
            self._moved(now=now)

    @event(ClockMoved)
    def _moved(self, now: datetime) -> None:
        self.now = now
