"""/v1/clock: the business clock, and moving it in manual mode."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, TypeAdapter, field_validator

from services.api.deps import Admin, AnyRole, Cont
from services.settings import ClockMode

router = APIRouter(prefix="/v1/clock", tags=["clock"])


class ClockPublic(BaseModel):
    mode: ClockMode
    now: datetime
    today: date
    last_day_run: date | None


class TickCreate(BaseModel):
    to: date | datetime = Field(description="a date (that day's start) or an RFC 3339 moment")

    @field_validator("to", mode="before")
    @classmethod
    def date_or_moment(cls, value: Any) -> Any:
        # A lax union would read "2026-01-16T00:00:00Z" as the date 2026-01-16 (its day start,
        # 06:00): only a bare YYYY-MM-DD is a date, anything with a time is that moment.
        if isinstance(value, str) and len(value.strip()) > 10:
            return _MOMENT.validate_python(value.strip())
        return value


_MOMENT: TypeAdapter[datetime] = TypeAdapter(datetime)


class TickPublic(BaseModel):
    now: datetime
    days_run: list[date]
    position: int


@router.get("", response_model=ClockPublic, summary="The business clock")
def get_clock(_who: AnyRole, c: Cont) -> dict[str, Any]:
    """The clock's mode, now, the business date and the last day whose jobs have run."""
    now = c.clock.now()
    return {"mode": c.clock.mode, "now": now, "today": c.clock.today(now), "last_day_run": c.clock.last_day_run()}


@router.post("/ticks", response_model=TickPublic, summary="Move the manual clock forward, running every day crossed")
def tick(body: TickCreate, who: Admin, c: Cont) -> JSONResponse:
    """Manual mode only (409 `clock_not_manual`); forward only (409 `clock_backwards`). A date means that day's
    start. Runs every day start crossed in order, and stops at pending reminder moments; answers after all
    reactions are done."""
    result = c.clock.tick(body.to, who.name)
    content = TickPublic(now=result.now, days_run=result.days_run, position=result.position).model_dump(mode="json")
    return JSONResponse(content, headers={"X-Position": str(result.position)})
