"""/v1/payments and /v1/receivables."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, StringConstraints

from aggregates.account import ItemKind, ItemStatus
from aggregates.errors import not_found
from commands.bank_lines import AssignBankLine, assign_bank_line
from commands.payments import Allocations, ReceivePayment, WaiveCharge, receive_payment, waive_charge
from commands.types import Ref, Strict
from services.api.deps import AnyRole, Cmd, Cont, Paging, ReadModels

router = APIRouter(prefix="/v1", tags=["payments and receivables"])


class PaymentCreate(ReceivePayment):
    pass


class AllocationPublic(BaseModel):
    item: UUID
    amount: str


class PaymentPublic(BaseModel):
    id: UUID
    number: str
    partner: UUID
    amount: str
    currency: str
    date: date
    reference: str
    allocations: list[AllocationPublic]
    unapplied: str


class PaymentList(BaseModel):
    items: list[PaymentPublic]
    next_cursor: str | None


class UnmatchedBankLine(BaseModel):
    id: str
    date: date
    amount: str
    currency: str
    reference: str
    iban: str | None
    reason: str


class UnmatchedList(BaseModel):
    items: list[UnmatchedBankLine]
    next_cursor: str | None


class BankLineAssignment(Strict):
    partner: Ref
    allocations: Allocations | None = None


class ReceivablePublic(BaseModel):
    id: UUID
    kind: ItemKind
    document: UUID | None
    number: str | None
    partner: UUID
    due_date: date
    booked_on: date
    amount: str
    open_amount: str
    currency: str
    status: ItemStatus
    settled_on: date | None


class ReceivableList(BaseModel):
    items: list[ReceivablePublic]
    next_cursor: str | None


class AgingRow(BaseModel):
    partner: UUID
    code: str
    name: str
    current: str
    d1_30: str
    d31_60: str
    d61_90: str
    d90_plus: str
    total: str


class AgingTotal(BaseModel):
    current: str
    d1_30: str
    d31_60: str
    d61_90: str
    d90_plus: str
    total: str


class AgingPublic(BaseModel):
    as_of: date
    partners: list[AgingRow]
    total: AgingTotal


class WaiveRequest(BaseModel):
    reason: Annotated[str, StringConstraints(max_length=2000)]


@router.post("/payments", status_code=201, response_model=PaymentPublic, summary="Record a payment")
def create_payment(body: PaymentCreate, cmd: Cmd, reads: ReadModels) -> Response:
    command = ReceivePayment.model_validate(body.model_dump(exclude_unset=True))
    return cmd.run(receive_payment, command, lambda r: reads.receivables.payment(str(r.id)), status=201)


@router.get("/payments", response_model=PaymentList, summary="Payments")
def list_payments(_who: AnyRole, reads: ReadModels, paging: Paging, partner: str | None = None) -> dict[str, Any]:
    partner_ids = reads.partners.merged_ids(reads.partners.partner_id(partner)) if partner else None
    return reads.receivables.payments(paging, partner_ids)


# Before /payments/{payment}, which would take "unmatched" for a payment's id.
@router.get("/payments/unmatched", response_model=UnmatchedList, summary="Bank lines that matched no partner")
def list_unmatched(_who: AnyRole, reads: ReadModels, paging: Paging) -> dict[str, Any]:
    return reads.bank_lines.unmatched(paging)


@router.post(
    "/payments/unmatched/{line}/assign",
    status_code=201,
    response_model=PaymentPublic,
    summary="Book an unmatched bank line as a partner's payment (once)",
)
def assign_unmatched(line: str, body: BankLineAssignment, cmd: Cmd, reads: ReadModels) -> Response:
    command = AssignBankLine(line=line, partner=body.partner, allocations=body.allocations)
    return cmd.run(assign_bank_line, command, lambda r: reads.receivables.payment(str(r.id)), status=201)


@router.get("/payments/{payment}", response_model=PaymentPublic, summary="One payment")
def get_payment(payment: UUID, _who: AnyRole, reads: ReadModels) -> dict[str, Any]:
    found = reads.receivables.payment(str(payment))
    if found is None:
        raise not_found("payment", payment)
    return found


@router.get("/receivables", response_model=ReceivableList, summary="Open and settled receivables")
def list_receivables(
    _who: AnyRole,
    reads: ReadModels,
    paging: Paging,
    c: Cont,
    partner: str | None = None,
    status: str | None = None,
    overdue: bool | None = None,
) -> dict[str, Any]:
    partner_id = reads.partners.partner_id(partner) if partner else None
    return reads.receivables.items(paging, partner_id, status, overdue, c.today())


@router.get("/receivables/aging", response_model=AgingPublic, summary="Aging buckets as of a date")
def aging(
    _who: AnyRole, reads: ReadModels, c: Cont, as_of: date | None = None, partner: str | None = None
) -> dict[str, Any]:
    partner_id = reads.partners.partner_id(partner) if partner else None
    return reads.receivables.aging(as_of or c.today(), partner_id)


@router.post("/receivables/{item}/waive", response_model=ReceivablePublic, summary="Write off a fee or interest")
def waive(item: UUID, body: WaiveRequest, cmd: Cmd, reads: ReadModels) -> Response:
    partner = reads.receivables.item_partner(str(item))
    if partner is None:
        raise not_found("receivable", item)
    command = WaiveCharge(item=item, partner=UUID(partner), reason=body.reason)
    return cmd.run(waive_charge, command, lambda r: reads.receivables.item(str(item)))
