"""/v1/balance-confirmations: send a series of balance confirmations as of a date, read who
confirmed or disputed, record a customer's answer, and each confirmation's PDF."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from aggregates.account import ItemKind
from aggregates.balance_confirmation import ConfirmationChannel
from commands.balance_confirmations import (
    ReplyToConfirmation,
    SeriesProgress,
    StartBalanceConfirmations,
    prepare_series,
    reply_to_confirmation,
    start_balance_confirmations,
)
from commands.context import Result
from queries.company import company_profile
from services.adapters.blobs import BlobStore
from services.adapters.pdf import balance_confirmation_pdf, seller_block
from services.api.deps import AnyRole, Cmd, Cont, Paging, ReadModels
from services.bootstrap.container import Container
from services.workers.ports import Request

router = APIRouter(prefix="/v1/balance-confirmations", tags=["payments and receivables"])
# Pending until the customer (or a clerk for them) answers.
ConfirmationStatus = Literal["pending", "confirmed", "disputed"]


class BalanceConfirmationsCreate(StartBalanceConfirmations):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"as_of": "2026-01-31", "partners": None, "groups": [], "channel": "email", "template": None}]
        },
    )


class ReplyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"status": "confirmed", "comment": ""}]})

    status: Literal["confirmed", "disputed"]
    comment: Annotated[str, Field(max_length=2000)] = ""


class SeriesPublic(BaseModel):
    series: UUID
    as_of: date
    sent: int = Field(description="confirmations sent by the series (each partner once)")
    completed: bool


class ConfirmedItemPublic(BaseModel):
    item: UUID
    kind: ItemKind
    document: UUID | None
    number: str | None
    due_date: date
    amount: Decimal
    open_amount: Decimal = Field(description="what was open of the item at as_of")
    currency: str


class CurrencyTotalPublic(BaseModel):
    currency: str
    total: Decimal


class BalanceConfirmationPublic(BaseModel):
    id: UUID
    number: str
    series: UUID
    partner: UUID
    as_of: date
    channel: ConfirmationChannel
    currency: str = Field(description="the currency of total: the partner's, if it owes in it")
    items: list[ConfirmedItemPublic]
    total: Decimal
    totals: list[CurrencyTotalPublic] = Field(description="the items' open amounts per currency, currency's first")
    message: UUID
    sent_on: date
    status: ConfirmationStatus
    comment: str
    answered_on: date | None
    answered_by: str | None = Field(description='"portal", or the clerk who recorded the answer')


class BalanceConfirmationList(BaseModel):
    items: list[BalanceConfirmationPublic]
    next_cursor: str | None


def series_view(progress: SeriesProgress) -> dict[str, Any]:
    return {"series": progress.series, "as_of": progress.as_of, "sent": progress.sent, "completed": progress.completed}


def _run(c: Container, actor: str) -> Any:
    def run(handler: Any, command: Any) -> Result:
        return c.execute(handler, command, Request(actor=actor))

    return run


@router.post("", status_code=201, response_model=SeriesPublic, summary="Send balance confirmations as of a date")
def create_series(body: BalanceConfirmationsCreate, cmd: Cmd, reads: ReadModels, c: Cont) -> Response:
    """Answers once every confirmation is sent. A series this process stopped sending (a crash) is
    finished by the worker's preparer after its lease, or at once by the same request again;
    either way nobody gets a second confirmation."""
    command = StartBalanceConfirmations.model_validate(body.model_dump())
    run = _run(c, cmd.who.name)

    def respond(result: Result) -> dict[str, Any]:
        progress = prepare_series(run, reads.balance_confirmations, result.detail)
        c.runner.wait(c.store.head(), c.settings.consistency_timeout)
        return series_view(progress)

    return cmd.run(start_balance_confirmations, command, respond, status=201)


@router.get("", response_model=BalanceConfirmationList, summary="Balance confirmations, newest first")
def list_confirmations(
    _who: AnyRole,
    reads: ReadModels,
    paging: Paging,
    as_of: date | None = None,
    status: Annotated[ConfirmationStatus | None, Query()] = None,
    partner: Annotated[str | None, Query(description="a partner's id or code")] = None,
) -> dict[str, Any]:
    """Newest first; ``as_of``, ``status`` and ``partner`` (id or code) filter."""
    partner_id = reads.partners.get(partner)["id"] if partner else None
    return reads.balance_confirmations.list(paging, as_of, status, partner_id)


@router.get("/{confirmation}", response_model=BalanceConfirmationPublic, summary="One balance confirmation")
def get_confirmation(confirmation: str, _who: AnyRole, reads: ReadModels) -> dict[str, Any]:
    """The items open at ``as_of`` with their open amounts then, the total, and the answer once given."""
    return reads.balance_confirmations.get(confirmation)


@router.post("/{confirmation}/reply", response_model=BalanceConfirmationPublic, summary="Record the customer's answer")
def reply(confirmation: UUID, body: ReplyCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """``confirmed`` or ``disputed`` with a comment, recorded with the clerk as ``answered_by``. One answer
    only: a second (the customer's in the portal included) is 409 ``already_answered``."""
    command = ReplyToConfirmation.model_validate({"confirmation": confirmation, **body.model_dump()})
    return cmd.run(reply_to_confirmation, command, lambda r: reads.balance_confirmations.get(str(r.id)))


@router.get(
    "/{confirmation}/pdf",
    response_class=Response,
    summary="The balance confirmation as PDF",
    responses={200: {"content": {"application/pdf": {}}}},
)
def get_pdf(confirmation: str, _who: AnyRole, reads: ReadModels, c: Cont) -> Response:
    """In the partner's language, with the seller block."""
    return confirmation_pdf_response(reads.balance_confirmations.get(confirmation), reads, c)


def confirmation_pdf_response(found: dict[str, Any], reads: Any, c: Container) -> Response:
    partner = reads.partners.get(found["partner"])
    seller = seller_block(company_profile(c.store), BlobStore(c.settings.blob_dir))
    pdf = balance_confirmation_pdf(found, partner, seller)
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{found["number"]}.pdf"'}
    )
