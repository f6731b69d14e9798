"""At each day start, every recurring invoice template makes the invoices that are due."""

from __future__ import annotations

from aggregates.business_clock import DayStarted
from commands.recurring_invoices import GenerateRecurringInvoices, generate_recurring_invoices
from processes.base import Acts, Reactions

recurring = Reactions("recurring_invoices")


@recurring.on(DayStarted)
def day_started(e: DayStarted, acts: Acts) -> None:
    for template in acts.reads.recurring.due(e.day):
        acts.run(generate_recurring_invoices, GenerateRecurringInvoices(template=template, day=e.day))
