"""Recurring invoice commands: create, suspend, resume, and generate what is due."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID, uuid4

from pydantic import Field

from aggregates.errors import not_found
from aggregates.recurring_invoice import Frequency, RecurringInvoice, Schedule, TemplateLine, Unit
from aggregates.sales_document import SalesDocument
from aggregates.sales_document_values import DocType, DocumentTerms, Line
from commands.context import CommandContext, Result
from commands.documents import LineIn, issue
from commands.partners import load_partner
from commands.references import named_by
from commands.types import Ref, Strict


class FrequencyIn(Strict):
    unit: Unit
    interval: Annotated[int, Field(ge=1, le=366)] = 1


class CreateRecurringInvoice(Strict):
    partner: Ref
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=500)]
    frequency: FrequencyIn
    next_date: date
    end_date: date | None = None
    max_count: Annotated[int, Field(ge=1)] | None = None
    auto_issue: bool = True
    send_email: bool = False
    payment_terms_days: Annotated[int, Field(ge=0, le=3650)] = 30
    days_ahead: Annotated[int, Field(ge=0, le=366)] = 0


def create_recurring_invoice(cmd: CreateRecurringInvoice, ctx: CommandContext) -> Result:
    with named_by("body", "partner"):
        partner = load_partner(ctx, cmd.partner)
    schedule = Schedule(
        partner=partner.id,
        lines=tuple(TemplateLine(**line.model_dump()) for line in cmd.lines),
        frequency=Frequency(unit=cmd.frequency.unit, interval=cmd.frequency.interval),
        first_date=cmd.next_date,
        end_date=cmd.end_date,
        max_count=cmd.max_count,
        auto_issue=cmd.auto_issue,
        send_email=cmd.send_email,
        payment_terms_days=cmd.payment_terms_days,
        days_ahead=cmd.days_ahead,
        currency=partner.details.currency or ctx.currency,
    )
    template = RecurringInvoice.create(uuid4(), schedule)
    return Result(ctx.save(template), template.id)


def _load(ctx: CommandContext, template_id: UUID) -> RecurringInvoice:
    template = ctx.find(RecurringInvoice, template_id)
    if template is None:
        raise not_found("recurring invoice", template_id)
    return template


class SuspendRecurringInvoice(Strict):
    template: UUID


def suspend_recurring_invoice(cmd: SuspendRecurringInvoice, ctx: CommandContext) -> Result:
    template = ctx.load_for_update(RecurringInvoice, _load(ctx, cmd.template).id)
    template.suspend(ctx.today)
    return Result(ctx.save(template), template.id)


class ResumeRecurringInvoice(Strict):
    template: UUID


def resume_recurring_invoice(cmd: ResumeRecurringInvoice, ctx: CommandContext) -> Result:
    template = ctx.load_for_update(RecurringInvoice, _load(ctx, cmd.template).id)
    template.resume(ctx.today)
    return Result(ctx.save(template), template.id)


class GenerateRecurringInvoices(Strict):
    template: UUID
    day: date


def generate_recurring_invoices(cmd: GenerateRecurringInvoices, ctx: CommandContext) -> Result:
    """One invoice per schedule date due by ``day``, dated on its schedule date; run again, it
    finds the invoices made and adds nothing."""
    template = _load(ctx, cmd.template)
    partner = load_partner(ctx, str(template.schedule.partner))
    touched: list[Any] = [template]
    for when in template.due_dates(cmd.day):
        invoice_id = template.invoice_id(when)
        if ctx.find(SalesDocument, invoice_id) is None:
            s = template.schedule
            terms = DocumentTerms(
                partner=partner.id,
                issue_date=when,
                payment_terms_days=s.payment_terms_days,
                currency=s.currency,
                sales_rep=partner.details.sales_reps[0] if partner.details.sales_reps else None,
                notes_public="",
            )
            lines = [Line.priced(line_id=uuid4(), **line.model_dump()) for line in s.lines]
            invoice = SalesDocument.draft(invoice_id, DocType.INVOICE, terms, lines)
            touched.append(invoice)
            if s.auto_issue:
                touched += [t for t in issue(ctx, invoice, when) if t is not invoice]
        template.record_generated(invoice_id, when, cmd.day)
        if len(touched) > 200:
            break  # a very long outage: the next day start goes on from here
    return Result(ctx.save(*_unique(touched)), template.id)


def _unique(aggregates: list[Any]) -> list[Any]:
    seen: dict[UUID, Any] = {}
    for aggregate in aggregates:
        seen.setdefault(aggregate.id, aggregate)
    return list(seen.values())
