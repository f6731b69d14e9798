"""/v1/interest-notes: interest for a partner's lateness in a period, as a numbered note with a PDF."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from aggregates.account import ItemStatus
from commands.interest_notes import IssueInterestNote, issue_interest_note
from queries.company import company_profile
from services.adapters.blobs import BlobStore
from services.adapters.pdf import interest_note_pdf, seller_block
from services.api.deps import AnyRole, Cmd, Cont, Paging, ReadModels

router = APIRouter(prefix="/v1/interest-notes", tags=["payments and receivables"])


class InterestNoteCreate(IssueInterestNote):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "examples": [{"partner": "ACME", "from": "2026-01-01", "to": "2026-03-31", "annual_rate": "10.00"}]
        },
    )


class Span(BaseModel):
    first: date
    last: date


class LatePart(BaseModel):
    amount: Decimal
    paid_on: date | None = Field(description="null: still open at the period's end")
    days: int


class InterestLinePublic(BaseModel):
    invoice: UUID
    number: str | None
    due_date: date
    amount: Decimal = Field(description="the money that was late (the parts' sum)")
    days: int = Field(description="the invoice's days charged by this note")
    interest: Decimal
    parts: list[LatePart]
    charged: list[Span] = Field(description="the days charged, which no later note charges again")


class InterestNotePublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: UUID
    number: str
    partner: UUID
    period_from: date = Field(alias="from")
    to: date
    annual_rate: Decimal
    currency: str
    total: Decimal
    open_amount: Decimal
    status: ItemStatus = Field(description="the receivable's")
    issue_date: date
    level: int | None = Field(description="the collection level that issued it, if one did")
    lines: list[InterestLinePublic]


class InterestNoteList(BaseModel):
    items: list[InterestNotePublic]
    next_cursor: str | None


@router.post(
    "",
    status_code=201,
    response_model=InterestNotePublic,
    response_model_by_alias=True,
    summary="Issue an interest note",
)
def create_note(body: InterestNoteCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """Charges lateness in ``from``–``to`` (inclusive) on the partner's invoices: amount × days × rate / 100 /
    365 per invoice, half-up to cents, never a day charged before. Books one receivable of kind
    ``interest``, due today; a note of 0.00 is 409 ``nothing_to_charge`` and records nothing."""
    command = IssueInterestNote.model_validate(body.model_dump())
    return cmd.run(issue_interest_note, command, lambda r: reads.interest_notes.get(str(r.id)), status=201)


@router.get("", response_model=InterestNoteList, response_model_by_alias=True, summary="Interest notes, newest first")
def list_notes(
    _who: AnyRole,
    reads: ReadModels,
    paging: Paging,
    partner: Annotated[str | None, Query(description="a partner's id or code")] = None,
) -> dict[str, Any]:
    """Newest first; ``partner`` (id or code) filters."""
    partner_id = reads.partners.get(partner)["id"] if partner else None
    return reads.interest_notes.for_partner(partner_id, paging)


@router.get("/{note}", response_model=InterestNotePublic, response_model_by_alias=True, summary="One interest note")
def get_note(note: str, _who: AnyRole, reads: ReadModels) -> dict[str, Any]:
    """With each invoice's late parts, days and interest, and the receivable's ``status`` and ``open_amount``."""
    return reads.interest_notes.get(note)


@router.get(
    "/{note}/pdf",
    response_class=Response,
    summary="The interest note as PDF",
    responses={200: {"content": {"application/pdf": {}}}},
)
def get_pdf(note: str, _who: AnyRole, reads: ReadModels, c: Cont) -> Response:
    """In the partner's language, to its tax address (else billing), with the payment details."""
    found = reads.interest_notes.get(note)
    partner = reads.partners.get(found["partner"])
    seller = seller_block(company_profile(c.store), BlobStore(c.settings.blob_dir))
    pdf = interest_note_pdf(found, partner, seller)
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{found["number"]}.pdf"'}
    )
