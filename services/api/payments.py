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
    """Numbered from the `payment` series. Without allocations it settles open items oldest due date first and keeps
    the rest as unapplied credit; explicit allocations name an invoice or fee/interest item. 409
    `allocation_exceeds_open`, `allocation_exceeds_payment`. Cases whose items are settled close at once."""
    command = ReceivePayment.model_validate(body.model_dump(exclude_unset=True))
    return cmd.run(receive_payment, command, lambda r: reads.receivables.payment(str(r.id)), status=201)


@router.get("/payments", response_model=PaymentList, summary="Payments")
def list_payments(_who: AnyRole, reads: ReadModels, paging: Paging, partner: str | None = None) -> dict[str, Any]:
    """`partner` includes partners merged into it."""
    partner_ids = reads.partners.merged_ids(reads.partners.partner_id(partner)) if partner else None
    return reads.receivables.payments(paging, partner_ids)


# Before /payments/{payment}, which would take "unmatched" for a payment's id.
@router.get("/payments/unmatched", response_model=UnmatchedList, summary="Bank lines that matched no partner")
def list_unmatched(_who: AnyRole, reads: ReadModels, paging: Paging) -> dict[str, Any]:
    """Bank statement lines from Kafka that named no partner, oldest first; `id` is the line's own id."""
    return reads.bank_lines.unmatched(paging)


@router.post(
    "/payments/unmatched/{line}/assign",
    status_code=201,
    response_model=PaymentPublic,
    summary="Book an unmatched bank line as a partner's payment (once)",
)
def assign_unmatched(line: str, body: BankLineAssignment, cmd: Cmd, reads: ReadModels) -> Response:
    """Books the line as the partner's payment, placed as `POST /v1/payments` places it; the payment's id derives
    from the line's, so a line becomes one payment at most. 409 `already_assigned`."""
    command = AssignBankLine(line=line, partner=body.partner, allocations=body.allocations)
    return cmd.run(assign_bank_line, command, lambda r: reads.receivables.payment(str(r.id)), status=201)


@router.get("/payments/{payment}", response_model=PaymentPublic, summary="One payment")
def get_payment(payment: UUID, _who: AnyRole, reads: ReadModels) -> dict[str, Any]:
    """The payment with its allocations and unapplied rest."""
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
    status: ItemStatus | None = None,
    overdue: bool | None = None,
) -> dict[str, Any]:
    """Invoices, fees and interest charges; an invoice's item id is the invoice's id. `overdue=true`: open and due
    before today."""
    partner_id = reads.partners.partner_id(partner) if partner else None
    return reads.receivables.items(paging, partner_id, status.value if status else None, overdue, c.today())


@router.get("/receivables/aging", response_model=AgingPublic, summary="Aging buckets as of a date")
def aging(
    _who: AnyRole, reads: ReadModels, c: Cont, as_of: date | None = None, partner: str | None = None
) -> dict[str, Any]:
    """Open amounts per partner and in total by days overdue (`current`, 1–30, 31–60, 61–90, 90+). `as_of` defaults
    to today; only payments and credits dated up to it count, so a past date is exact."""
    partner_id = reads.partners.partner_id(partner) if partner else None
    return reads.receivables.aging(as_of or c.today(), partner_id)


@router.post("/receivables/{item}/waive", response_model=ReceivablePublic, summary="Write off a fee or interest")
def waive(item: UUID, body: WaiveRequest, cmd: Cmd, reads: ReadModels) -> Response:
    """Writes off a fee or interest charge: it leaves the balance and never comes back. 409 `not_a_charge` (an
    invoice), `charge_not_open`."""
    partner = reads.receivables.item_partner(str(item))
    if partner is None:
        raise not_found("receivable", item)
    command = WaiveCharge(item=item, partner=UUID(partner), reason=body.reason)
    return cmd.run(waive_charge, command, lambda r: reads.receivables.item(str(item)))
