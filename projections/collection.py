"""Collection cases with their history, and collection runs with their reports."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import BigInteger, Column, Date, Index, Integer, MetaData, String, Table, Text

from aggregates.base import DomainEvent
from aggregates.collection_case import (
    ActionExecuted,
    ActionRecorded,
    ActionSkipped,
    CaseClosed,
    CaseOpened,
    CollectionStatusSet,
    LevelReached,
    PromiseBroken,
    PromiseKept,
)
from aggregates.collection_run import CollectionRunCompleted, CollectionRunOpened, PartnersNotCollected
from aggregates.sales_document_events import DisputeResolved, InvoiceDisputed, ReminderSent
from projections.catalog import Projection, Rows


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    cases = Table(
        f"{prefix}cases",
        meta,
        Column("id", String(36), primary_key=True),
        Column("document", String(36), nullable=False),
        Column("number", String(80)),
        Column("partner_id", String(36), nullable=False),
        Column("scheme", String(40), nullable=False),
        Column("level", Integer, nullable=False),
        Column("times_dunned", Integer, nullable=False),
        Column("status", String(10), nullable=False),
        Column("close_reason", String(20)),
        Column("collection_status", String(20)),
        Column("opened_on", Date, nullable=False),
        Column("closed_on", Date),
        Column("history", Text, nullable=False),
    )
    Index(f"{prefix}ix_case_partner", cases.c.partner_id, cases.c.status)
    Index(f"{prefix}ix_case_document", cases.c.document)
    runs = Table(
        f"{prefix}runs",
        meta,
        Column("day", Date, primary_key=True),
        Column("status", String(12), nullable=False),
        Column("partners", Integer, nullable=False),
        Column("invoices", Integer, nullable=False),
        Column("skipped", Text, nullable=False),
        # Tallies of the run's events that are no actions; the counts of the run derive from them,
        # its actions and its skipped invoices, so that a run finished after a restart counts
        # everything it did, before the restart too.
        Column("levels_reached", Integer, nullable=False),
        Column("reminders", Integer, nullable=False),
        Column("not_collected", Text, nullable=False),
    )
    actions = Table(
        f"{prefix}actions",
        meta,
        Column("run", Date, nullable=False),
        Column("position", BigInteger, primary_key=True, autoincrement=False),
        Column("case_id", String(36), nullable=False),
        Column("document", String(36), nullable=False),
        Column("partner_id", String(36), nullable=False),
        Column("entry", Text, nullable=False),
    )
    Index(f"{prefix}ix_actions_run", actions.c.run)
    return {"cases": cases, "runs": runs, "actions": actions}


collection = Projection("collection", define)


BLANK: dict[str, Any] = {
    "level": None,
    "action": None,
    "status": None,
    "reason": None,
    "fallback_from": None,
    "amount": None,
    "message": None,
    "task": None,
}


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None


def history_entry(e: DomainEvent) -> dict[str, Any] | None:
    """The line an event of a case (or a dispute on its invoice) adds to the case's history; the
    case ``as_of`` a past date rebuilds its history from the events selected."""
    entry: dict[str, Any]
    if isinstance(e, CaseOpened):
        entry = {"kind": "opened"}
    elif isinstance(e, LevelReached):
        entry = {"kind": "level_reached", "level": e.level}
    elif isinstance(e, ActionExecuted):
        entry = {
            "kind": "action",
            "level": e.level,
            "action": e.action.value,
            "status": "executed",
            "fallback_from": e.fallback_from.value if e.fallback_from else None,
            "amount": _text(e.amount),
            "message": _text(e.message),
            "task": _text(e.task),
        }
    elif isinstance(e, ActionSkipped):
        entry = {
            "kind": "action",
            "level": e.level,
            "action": e.action.value,
            "status": "skipped",
            "reason": e.reason,
            "fallback_from": e.fallback_from.value if e.fallback_from else None,
        }
    elif isinstance(e, ActionRecorded):  # what logs before ``ActionExecuted``/``ActionSkipped`` hold
        entry = {
            "kind": "action",
            "level": e.level,
            "action": e.taken.value,
            "status": e.status,
            "reason": e.reason,
            "fallback_from": e.fallback_from,
            "amount": _text(e.amount),
            "message": _text(e.message),
            "task": _text(e.task),
        }
    elif isinstance(e, PromiseKept | PromiseBroken):
        entry = {"kind": "promise_kept" if isinstance(e, PromiseKept) else "promise_broken"}
    elif isinstance(e, CaseClosed):
        entry = {"kind": "closed", "reason": e.reason}
    elif isinstance(e, InvoiceDisputed):
        entry = {"kind": "dispute_raised", "reason": e.reason}
    elif isinstance(e, DisputeResolved):
        entry = {"kind": "dispute_resolved"}
    else:
        return None
    return {**BLANK, "date": e.on.isoformat(), **entry}


def _append(rows: Rows, case_id: Any, e: DomainEvent, **values: Any) -> dict[str, Any] | None:
    row = rows.get("cases", id=str(case_id))
    if row is None:
        return None
    history = json.loads(row["history"])
    history.append(history_entry(e))
    rows.update("cases", {"id": row["id"]}, history=json.dumps(history), **values)
    return row


@collection.on(CaseOpened)
def opened(e: CaseOpened, rows: Rows) -> None:
    rows.insert(
        "cases",
        id=str(e.originator_id),
        document=str(e.document),
        number=e.number,
        partner_id=str(e.partner),
        scheme=e.scheme,
        level=0,
        times_dunned=0,
        status="open",
        close_reason=None,
        collection_status=None,
        opened_on=e.on,
        closed_on=None,
        history="[]",
    )
    _append(rows, e.originator_id, e)


@collection.on(LevelReached)
def level_reached(e: LevelReached, rows: Rows) -> None:
    row = rows.get("cases", id=str(e.originator_id))
    assert row is not None
    _append(rows, e.originator_id, e, level=e.level, times_dunned=row["times_dunned"] + 1)
    _tally(rows, e.run, "levels_reached")


@collection.on(ReminderSent)
def reminder_sent(e: ReminderSent, rows: Rows) -> None:
    _tally(rows, e.on, "reminders")


def _tally(rows: Rows, day: Any, column: str) -> None:
    run = rows.get("runs", day=day)
    if run is not None:
        rows.update("runs", {"day": day}, **{column: run[column] + 1})


@collection.on(ActionExecuted, ActionSkipped, ActionRecorded)
def action(e: ActionExecuted | ActionSkipped | ActionRecorded, rows: Rows) -> None:
    """One action in its case's history and in its run's list of actions."""
    row = _append(rows, e.originator_id, e)
    assert row is not None
    rows.insert(
        "actions",
        run=e.on,
        position=rows.position,
        case_id=row["id"],
        document=row["document"],
        partner_id=row["partner_id"],
        entry=json.dumps(history_entry(e)),
    )


@collection.on(PromiseKept, PromiseBroken)
def promise(e: PromiseKept | PromiseBroken, rows: Rows) -> None:
    _append(rows, e.originator_id, e)


@collection.on(CollectionStatusSet)
def status_set(e: CollectionStatusSet, rows: Rows) -> None:
    rows.update("cases", {"id": str(e.originator_id)}, collection_status=e.status)


@collection.on(CaseClosed)
def closed(e: CaseClosed, rows: Rows) -> None:
    _append(rows, e.originator_id, e, status="closed", close_reason=e.reason, closed_on=e.on)


@collection.on(InvoiceDisputed, DisputeResolved)
def dispute(e: InvoiceDisputed | DisputeResolved, rows: Rows) -> None:
    for row in rows.all("cases", document=str(e.originator_id)):
        _append(rows, row["id"], e)


@collection.on(CollectionRunOpened)
def run_opened(e: CollectionRunOpened, rows: Rows) -> None:
    rows.insert(
        "runs",
        day=e.day,
        status="running",
        partners=0,
        invoices=0,
        skipped="[]",
        levels_reached=0,
        reminders=0,
        not_collected="[]",
    )


@collection.on(PartnersNotCollected)
def partners_not_collected(e: PartnersNotCollected, rows: Rows) -> None:
    failed = [{"partner": str(p.partner), "reason": p.reason} for p in e.partners]
    rows.update("runs", {"day": e.day}, not_collected=json.dumps(failed))


@collection.on(CollectionRunCompleted)
def run_completed(e: CollectionRunCompleted, rows: Rows) -> None:
    skipped = [
        {
            "document": str(s.document),
            "number": s.number,
            "partner": str(s.partner),
            "level": s.level,
            "reason": s.reason,
        }
        for s in e.skipped
    ]
    rows.update(
        "runs",
        {"day": e.day},
        status="completed",
        partners=e.partners,
        invoices=e.invoices,
        skipped=json.dumps(skipped),
    )
