"""Moving the business clock: each day start crossed is recorded on its own, so the reactions to
one day are complete before the next day starts."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from aggregates.business_clock import CLOCK_ID, BusinessClock
from commands.context import CommandContext, Result


class StartDay(BaseModel):
    day: date
    at: datetime
    clock_start: datetime


class MoveClock(BaseModel):
    to: datetime
    clock_start: datetime


def _clock(ctx: CommandContext, clock_start: datetime) -> BusinessClock:
    return ctx.find(BusinessClock, CLOCK_ID) or BusinessClock.start(clock_start)


def start_day(cmd: StartDay, ctx: CommandContext) -> Result:
    clock = _clock(ctx, cmd.clock_start)
    clock.start_day(cmd.day, cmd.at)
    return Result(ctx.save(clock), clock.id)


def move_clock(cmd: MoveClock, ctx: CommandContext) -> Result:
    clock = _clock(ctx, cmd.clock_start)
    clock.move_to(cmd.to)
    return Result(ctx.save(clock), clock.id)
