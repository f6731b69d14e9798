"""The collection process manager: at each day start it runs collection for every partner with
open invoices, and whenever money settles an invoice it closes the case and lifts its block."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from aggregates.account import ChargeWaived, CreditNoteAllocated, ItemCancelled, PaymentAllocated, UnappliedCreditUsed
from aggregates.business_clock import DayStarted
from commands.collection import (
    CollectPartner,
    CompleteRun,
    PartnerReport,
    SettleCases,
    StartRun,
    collect_partner,
    complete_run,
    settle_cases,
    start_run,
)
from commands.context import Result
from processes.base import Acts, Reactions

collection_process = Reactions("collection")


def run_collection(run: Any, reads: Any, day: date, partners: list[UUID] | None = None) -> dict[str, Any]:
    """One run date: open it, collect each partner (one transaction each), complete it.

    ``run(handler, command)`` executes a command and answers its Result (or None when a business
    rule refused it). A date that ran already is completed and adds nothing."""
    started = run(start_run, StartRun(day=day))
    if started is None or reads.collection.run_completed(day):
        return {"day": day, "ran": False}
    if partners is None:
        candidates = reads.collection.partners_to_collect()
    else:
        known = reads.collection.open_cases(partners)
        candidates = {p: known.get(p, []) for p in partners}
    total = PartnerReport()
    for partner, open_cases in candidates.items():
        command = CollectPartner(partner=partner, day=day, open_cases=open_cases)
        result: Result | None = run(collect_partner, command)
        report = result.detail if result is not None else None
        if isinstance(report, PartnerReport):
            total.invoices += report.invoices
            total.skipped.extend(report.skipped)
            for key, n in report.counts.items():
                total.count(key, n)
    run(
        complete_run,
        CompleteRun(
            day=day, partners=len(candidates), invoices=total.invoices, skipped=total.skipped, counts=total.counts
        ),
    )
    return {"day": day, "ran": True}


@collection_process.on(DayStarted)
def day_started(e: DayStarted, acts: Acts) -> None:
    run_collection(acts.run, acts.reads, e.day)


@collection_process.on(PaymentAllocated, CreditNoteAllocated, UnappliedCreditUsed, ItemCancelled, ChargeWaived)
def money_moved(e: Any, acts: Acts) -> None:
    open_cases = acts.reads.collection.open_cases([e.partner]).get(e.partner)
    if open_cases:
        acts.run(settle_cases, SettleCases(partner=e.partner, cases=open_cases))
