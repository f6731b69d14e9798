"""The collection process manager: at each day start it runs collection for every partner with
open invoices (in chunks of partners), and whenever money settles an invoice it closes the case
and lifts its block."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any
from uuid import UUID

from aggregates.account import ChargeWaived, CreditNoteAllocated, ItemCancelled, PaymentAllocated, UnappliedCreditUsed
from aggregates.business_clock import DayStarted
from aggregates.collection_run import NotCollected
from commands.collection import (
    Collected,
    CollectPartner,
    CollectPartners,
    CompleteRun,
    PartnerReport,
    SettleCases,
    StartRun,
    collect_partners,
    complete_run,
    settle_cases,
    start_run,
)
from commands.collection.chunk import reason
from processes.base import Acts, Reactions

collection_process = Reactions("collection")
log = logging.getLogger("counterparty.collection")

# Partners per ``collect_partners`` command: their streams are read in a few queries and their
# transactions share commits; small enough that a chunk holds its streams only briefly.
CHUNK = 100


def run_collection(run: Any, reads: Any, day: date, partners: list[UUID] | None = None) -> dict[str, Any]:
    """One run date: open it, collect the partners chunk by chunk (each in a transaction of its own), complete it.

    ``run(handler, command)`` executes a command and answers its Result (or None when a business
    rule refused it). A date that ran already is completed and adds nothing. A partner that
    cannot be collected is recorded on the run with the reason, and the others are collected."""
    started = run(start_run, StartRun(day=day))
    if started is None or reads.collection.run_completed(day):
        return {"day": day, "ran": False}
    if partners is None:
        candidates = reads.collection.partners_to_collect()
    else:
        known = reads.collection.open_cases(partners)
        candidates = {p: known.get(p, []) for p in partners}
    wanted = [CollectPartner(partner=p, day=day, open_cases=cases) for p, cases in candidates.items()]
    total = PartnerReport()
    not_collected: list[NotCollected] = []
    for start in range(0, len(wanted), CHUNK):
        for collected in _collect(run, wanted[start : start + CHUNK]):
            if collected.failure is not None:
                not_collected.append(NotCollected(partner=collected.partner, reason=collected.failure))
            elif collected.report is not None:
                total.invoices += collected.report.invoices
                total.skipped.extend(collected.report.skipped)
                for key, n in collected.report.counts.items():
                    total.count(key, n)
    run(
        complete_run,
        CompleteRun(
            day=day,
            partners=len(candidates),
            invoices=total.invoices,
            skipped=total.skipped,
            counts=total.counts,
            not_collected=not_collected,
        ),
    )
    return {"day": day, "ran": True}


def _collect(run: Any, chunk: list[CollectPartner]) -> list[Collected]:
    """The chunk collected. A partner whose save lost a race is collected again alone, and so is
    each partner of a chunk that failed or was refused as a whole."""
    try:
        result = run(collect_partners, CollectPartners(partners=chunk))
        failure = None if result is not None else "refused (the log says why)"
    except Exception as error:  # a chunk, or a partner alone, that fails must not stop the run
        result, failure = None, reason(error)
    if result is None:
        if len(chunk) == 1:
            return [Collected(chunk[0].partner, failure=failure)]
        log.warning("collection chunk failed; collecting its partners one by one", extra={"reason": failure})
        return [c for wanted in chunk for c in _collect(run, [wanted])]
    outcomes: list[Collected] = result.detail
    again = {c.partner for c in outcomes if c.conflict}
    return [c for c in outcomes if not c.conflict] + [
        c for wanted in chunk if wanted.partner in again for c in _collect(run, [wanted])
    ]


@collection_process.on(DayStarted)
def day_started(e: DayStarted, acts: Acts) -> None:
    run_collection(acts.run, acts.reads, e.day)


@collection_process.on(PaymentAllocated, CreditNoteAllocated, UnappliedCreditUsed, ItemCancelled, ChargeWaived)
def money_moved(e: Any, acts: Acts) -> None:
    open_cases = acts.reads.collection.open_cases([e.partner]).get(e.partner)
    if open_cases:
        acts.run(settle_cases, SettleCases(partner=e.partner, cases=open_cases))
