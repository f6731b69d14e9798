"""/v1/settings: number series masks and quote settings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, StringConstraints

from aggregates.errors import not_found
from aggregates.number_series import DEFAULT_MASKS, SERIES, NumberSeries
from commands.documents import QuoteSettings, set_quote_settings
from commands.numbering import SetNumberingMask, set_numbering_mask
from services.api.deps import AnyRole, Cmd, Cont

router = APIRouter(prefix="/v1/settings", tags=["settings"])


class NumberingMask(BaseModel):
    mask: Annotated[str, StringConstraints(max_length=60)]


class NumberingPublic(BaseModel):
    series: str
    mask: str


@router.put("/numbering/{series}", response_model=NumberingPublic, summary="Set a number series' mask")
def put_numbering(series: str, body: NumberingMask, cmd: Cmd) -> Response:
    """The mask needs exactly one counter token (``{0000}`` never resets, ``{0000@NN}`` resets at month NN,
    ``{0000@99}`` every month); an unknown token is 422, an unknown series 404. Dates come from the
    document's (or partner's creation) business date."""
    if series not in SERIES:
        raise not_found("number series", series)
    command = SetNumberingMask(series=series, mask=body.mask)
    return cmd.run(set_numbering_mask, command, lambda r: {"series": series, "mask": body.mask})


@router.get("/numbering/{series}", response_model=NumberingPublic, summary="A number series' mask")
def get_numbering(series: str, _who: AnyRole, c: Cont) -> dict[str, Any]:
    """The series' mask, or its default before one was set; an unknown series is 404."""
    if series not in SERIES:
        raise not_found("number series", series)
    version = c.store.stream_version(NumberSeries.id_for(series))
    mask = c.store.get(NumberSeries.id_for(series)).mask if version else DEFAULT_MASKS[series]  # type: ignore[attr-defined]
    return {"series": series, "mask": mask}


class QuoteSettingsPublic(BaseModel):
    order_on_accept: bool


@router.put("/quotes", response_model=QuoteSettingsPublic, summary="Quote settings")
def put_quote_settings(body: QuoteSettingsPublic, cmd: Cmd) -> Response:
    """With ``order_on_accept: true`` accepting a quote also creates a linked draft order with the same
    lines."""
    command = QuoteSettings(order_on_accept=body.order_on_accept)
    return cmd.run(set_quote_settings, command, lambda r: {"order_on_accept": body.order_on_accept})
