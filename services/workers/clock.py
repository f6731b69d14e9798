"""The clock as the program sees it. In ``system`` mode the wall clock is the business time and
APScheduler records each day start; in ``manual`` mode only ``tick`` moves time. Either way each
day start is a ``DayStarted`` event in the log, so a replay replays every daily decision.

Between day starts, process managers name the next moment they need (an activity's reminder):
the clock records a ``ClockMoved`` there, so what falls due then is a reaction to a logged event
too. A manual tick stops at each such moment on its way; the system scheduler records one when
its 30-second check finds that the wall clock has passed a pending moment (so no event is written
while nothing is due, and a moment is met within 30 seconds)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from aggregates.business_clock import CLOCK_ID, BusinessClock
from aggregates.errors import Invalid, conflict
from commands.clock import MoveClock, StartDay, move_clock, start_day
from services.workers.ports import Execute, Request, WaitFor

if TYPE_CHECKING:
    from services.adapters.store import EventStore
    from services.settings import Settings

log = logging.getLogger("counterparty.clock")
MAX_TICK = timedelta(days=366)


@dataclass
class Tick:
    now: datetime
    days_run: list[date]
    position: int


class ClockService:
    def __init__(
        self,
        settings: Settings,
        store: EventStore,
        execute: Execute,
        wait: WaitFor,
        next_moment: Callable[[datetime], datetime | None],
    ) -> None:
        self.settings = settings
        self.store = store
        self.execute = execute
        self.wait = wait
        # The earliest moment after a given one that a process manager waits for.
        self.next_moment = next_moment
        self.zone = settings.zone
        self._cached: BusinessClock | None = None
        self._tick_lock = threading.Lock()
        self._scheduler: Any = None

    @property
    def mode(self) -> str:
        return self.settings.clock

    def clock_start(self) -> datetime:
        start = self.settings.clock_start
        if start is None:
            today = datetime.now(self.zone).date()
            return datetime.combine(today, time(0, 0), self.zone).astimezone(UTC)
        if start.tzinfo is None:
            start = start.replace(tzinfo=self.zone)
        return start.astimezone(UTC)

    def recorded(self) -> BusinessClock | None:
        """The clock aggregate, reloaded only when its stream has grown."""
        version = self.store.stream_version(CLOCK_ID)
        if version == 0:
            return None
        if self._cached is None or self._cached.version != version:
            self._cached = self.store.get(CLOCK_ID)  # type: ignore[assignment]
        return self._cached

    def now(self) -> datetime:
        if self.mode == "system":
            return datetime.now(UTC)
        clock = self.recorded()
        return clock.now if clock else self.clock_start()

    def today(self, now: datetime | None = None) -> date:
        return (now or self.now()).astimezone(self.zone).date()

    def last_day_run(self) -> date | None:
        clock = self.recorded()
        return clock.last_day_run if clock else None

    def day_start(self, day: date) -> datetime:
        return datetime.combine(day, self.settings.day_start, self.zone).astimezone(UTC)

    def to_instant(self, to: date | datetime) -> datetime:
        if isinstance(to, datetime):
            return (to if to.tzinfo else to.replace(tzinfo=self.zone)).astimezone(UTC)
        return self.day_start(to)

    # -- moving --------------------------------------------------------------------------------

    def days_between(self, now: datetime, target: datetime, last_run: date | None) -> list[date]:
        """The days whose start lies in [now, target] and that have not run yet."""
        day = now.astimezone(self.zone).date() - timedelta(days=1)
        days = []
        while self.day_start(day) <= target:
            if self.day_start(day) >= now and (last_run is None or day > last_run):
                days.append(day)
            day += timedelta(days=1)
        return days

    def _move(self, to: datetime, actor: str) -> int:
        result = self.execute(
            move_clock, MoveClock(to=to, clock_start=self.clock_start()), Request(actor=actor, now=to)
        )
        self.wait(result.position, timeout=max(60.0, self.settings.consistency_timeout))
        return result.position

    def _run_moments(self, before: datetime, actor: str) -> int:
        """Moves the clock to each pending moment before ``before``, in order, each with its
        reactions done before the next (a moment they add is met too)."""
        position = 0
        while (moment := self.next_moment(self.now())) is not None and moment < before:
            position = self._move(moment, actor)
        return position

    def _run_days(self, days: list[date], actor: str) -> int:
        position = self.store.head()
        for day in days:
            result = self.execute(
                start_day,
                StartDay(day=day, at=self.day_start(day), clock_start=self.clock_start()),
                Request(actor=actor, now=self.day_start(day)),
            )
            position = result.position
            # The day's jobs and every reaction to them finish before the next day starts.
            self.wait(position, timeout=max(60.0, self.settings.consistency_timeout))
        return position

    def tick(self, to: date | datetime, actor: str) -> Tick:
        if self.mode != "manual":
            raise conflict("clock_not_manual", "the clock moves by itself in system mode")
        with self._tick_lock:
            now = self.now()
            target = self.to_instant(to)
            if target < now:
                raise conflict("clock_backwards", "the clock moves forward only")
            if target - now > MAX_TICK:
                # A tick runs every day it crosses before it answers: a jump of decades would
                # hold the request (and the clock) for hours.
                raise Invalid(["body", "to"], f"the clock moves at most {MAX_TICK.days} days per tick")
            days = self.days_between(now, target, self.last_day_run())
            position = self.store.head()
            for day in days:
                # What falls due before the day starts happens before the day's jobs.
                position = max(position, self._run_moments(self.day_start(day), actor))
                position = max(position, self._run_days([day], actor))
            position = max(position, self._run_moments(target, actor))
            position = max(position, self._move(target, actor))
            return Tick(now=target, days_run=days, position=position)

    # -- system mode ---------------------------------------------------------------------------

    def catch_up_system_days(self) -> list[date]:
        """Records every day start that the wall clock has passed and the log has not."""
        with self._tick_lock:
            now = datetime.now(UTC)
            last = self.last_day_run()
            first = last + timedelta(days=1) if last else now.astimezone(self.zone).date()
            days = []
            day = first
            while self.day_start(day) <= now:
                days.append(day)
                day += timedelta(days=1)
            if days:
                self._run_days(days, "scheduler")
            return days

    def catch_up_system_moments(self) -> datetime | None:
        """Records a ``ClockMoved`` to the wall clock's now when a pending moment has passed
        since the clock last moved; answers that now, or None when nothing was due."""
        with self._tick_lock:
            clock = self.recorded()
            moment = self.next_moment(clock.now if clock else self.clock_start())
            now = datetime.now(UTC)
            if moment is None or moment > now:
                return None
            self._move(now, "scheduler")
            return now

    def start_scheduler(self) -> None:
        if self.mode != "system":
            return
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler(timezone=self.zone)
        scheduler.add_job(
            self._scheduled,
            "interval",
            seconds=30,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(self.zone),
        )
        scheduler.start()
        self._scheduler = scheduler

    def _scheduled(self) -> None:
        try:
            days = self.catch_up_system_days()
            if days:
                log.info("days started", extra={"days": [d.isoformat() for d in days]})
            self.catch_up_system_moments()
        except Exception:
            log.exception("day start failed; the next tick retries")

    def stop_scheduler(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
