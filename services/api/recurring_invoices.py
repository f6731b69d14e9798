"""/v1/recurring-invoices."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from aggregates.recurring_invoice import RecurringStatus, Unit
from commands.recurring_invoices import (
    CreateRecurringInvoice,
    ResumeRecurringInvoice,
    SuspendRecurringInvoice,
    create_recurring_invoice,
    resume_recurring_invoice,
    suspend_recurring_invoice,
)
from services.api.deps import AnyRole, Cmd, Paging, ReadModels

router = APIRouter(prefix="/v1/recurring-invoices", tags=["recurring invoices"])


class RecurringInvoiceCreate(CreateRecurringInvoice):
    pass


class FrequencyPublic(BaseModel):
    unit: Unit
    interval: int


class TemplateLinePublic(BaseModel):
    product: str
    description: str
    quantity: str
    unit_price: str
    discount_percent: str
    tax_rate: str
    unit_cost: str


class RecurringInvoicePublic(BaseModel):
    id: UUID
    partner: UUID
    status: RecurringStatus
    version: int
    next_date: date
    count: int
    invoices: list[UUID]
    frequency: FrequencyPublic
    first_date: date
    end_date: date | None
    max_count: int | None
    auto_issue: bool
    send_email: bool
    payment_terms_days: int
    days_ahead: int
    lines: list[TemplateLinePublic]


class RecurringInvoiceList(BaseModel):
    items: list[RecurringInvoicePublic]
    next_cursor: str | None


@router.post("", status_code=201, response_model=RecurringInvoicePublic, summary="Create a recurring invoice")
def create(body: RecurringInvoiceCreate, cmd: Cmd, reads: ReadModels) -> Response:
    """At each day start every due schedule date makes one invoice dated on it (``days_ahead`` makes it
    earlier), catching up after an outage, never twice; dates count from the first date, so months never
    drift. Without ``auto_issue`` the invoices stay drafts. No lines is 409 ``lines_required``, an
    ``end_date`` before the first date 409 ``end_before_start``."""
    command = CreateRecurringInvoice.model_validate(body.model_dump(exclude_unset=True))
    return cmd.run(create_recurring_invoice, command, lambda r: reads.recurring.get(str(r.id)), status=201)


@router.get("", response_model=RecurringInvoiceList, summary="Recurring invoices")
def list_templates(
    _who: AnyRole,
    reads: ReadModels,
    paging: Paging,
    partner: str | None = None,
    status: RecurringStatus | None = None,
) -> dict[str, Any]:
    """``partner`` (id or code) and ``status`` filter."""
    partner_id = reads.partners.partner_id(partner) if partner else None
    return reads.recurring.search(paging, partner_id, status.value if status else None)


@router.get("/{template}", response_model=RecurringInvoicePublic, summary="One recurring invoice")
def get_template(template: UUID, _who: AnyRole, reads: ReadModels) -> dict[str, Any]:
    """With ``next_date``, ``count``, ``status`` and the ``invoices`` made so far."""
    return reads.recurring.get(str(template))


@router.post("/{template}/suspend", response_model=RecurringInvoicePublic, summary="Stop making invoices")
def suspend(template: UUID, cmd: Cmd, reads: ReadModels) -> Response:
    """No invoices are made while suspended; suspending again records nothing. A finished one is 409
    ``recurring_finished``."""
    return cmd.run(
        suspend_recurring_invoice,
        SuspendRecurringInvoice(template=template),
        lambda r: reads.recurring.get(str(template)),
    )


@router.post(
    "/{template}/resume",
    response_model=RecurringInvoicePublic,
    summary="Make invoices again (dates missed while suspended are skipped)",
)
def resume(template: UUID, cmd: Cmd, reads: ReadModels) -> Response:
    """Continues with the first schedule date from today on: dates passed while suspended are not billed.
    Resuming an active one records nothing; a finished one is 409 ``recurring_finished``."""
    return cmd.run(
        resume_recurring_invoice,
        ResumeRecurringInvoice(template=template),
        lambda r: reads.recurring.get(str(template)),
    )
