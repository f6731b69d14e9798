"""Number series settings and the drawing of numbers."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import StringConstraints

from aggregates.base import Aggregate
from aggregates.code_claim import CodeClaim
from aggregates.errors import not_found
from aggregates.number_series import SERIES, NumberSeries
from commands.context import CommandContext, Result
from commands.types import Strict


def load_series(ctx: CommandContext, series: str) -> NumberSeries:
    """The series, opened with its default mask the first time it is used."""
    if series not in SERIES:
        raise not_found("number series", series)
    return ctx.find(NumberSeries, NumberSeries.id_for(series)) or ctx.track(NumberSeries.open(series))


class SetNumberingMask(Strict):
    series: str
    mask: Annotated[str, StringConstraints(min_length=1, max_length=60)]


def set_numbering_mask(cmd: SetNumberingMask, ctx: CommandContext) -> Result:
    series = load_series(ctx, cmd.series)
    series.change_mask(cmd.mask)
    return Result(ctx.save(series), series.id)


def claim_owner(ctx: CommandContext, namespace: str, key: str) -> UUID | None:
    """Who holds a number or code in ``namespace``, if anybody."""
    claim = ctx.find(CodeClaim, CodeClaim.id_for(namespace, key))
    return claim.owner if claim else None


def draw_unique(ctx: CommandContext, series: str, on: date, namespace: str, owner: UUID) -> tuple[str, list[Aggregate]]:
    """The series' next number that nobody holds yet in ``namespace``, claimed for ``owner``.

    A mask whose counter resets without printing its period ({yyyy}-{0000@4}) would print a
    number again; the taken one is skipped, so a number always names one thing."""
    numbers = load_series(ctx, series)
    while True:
        number = numbers.draw(on)
        if not ctx.find(CodeClaim, CodeClaim.id_for(namespace, number)):
            return number, [numbers, CodeClaim.claim(namespace, number, owner)]
