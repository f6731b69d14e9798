"""Number series settings and the drawing of numbers."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from aggregates.errors import not_found
from aggregates.number_series import SERIES, NumberSeries
from commands.context import CommandContext, Result


def load_series(ctx: CommandContext, series: str) -> NumberSeries:
    """The series, opened with its default mask the first time it is used."""
    if series not in SERIES:
        raise not_found("number series", series)
    return ctx.find(NumberSeries, NumberSeries.id_for(series)) or ctx.track(NumberSeries.open(series))


class SetNumberingMask(BaseModel):
    model_config = ConfigDict(extra="forbid")

    series: str
    mask: Annotated[str, StringConstraints(min_length=1, max_length=60)]


def set_numbering_mask(cmd: SetNumberingMask, ctx: CommandContext) -> Result:
    series = load_series(ctx, cmd.series)
    series.change_mask(cmd.mask)
    return Result(ctx.save(series), series.id)
