"""Collection cases and what collection does to a partner (a block of sales, new payment terms)."""

from __future__ import annotations

from aggregates.base import DomainEvent
from aggregates.collection_case import (
    ActionExecuted,
    ActionRecorded,
    ActionSkipped,
    CaseClosed,
    CaseOpened,
    LevelReached,
)
from aggregates.partner_credit import PaymentTermsChangedByCollection, SalesBlocked, SalesUnblocked
from projections.catalog import Rows
from projections.timeline.entries import document_entry, document_fact, partner_entry, record, timeline

document_entry(LevelReached, "collection", lambda e: f"reached collection level {e.level} ({e.name})")
document_entry(CaseClosed, "collection", lambda e: f"collection case closed: {e.reason}")
partner_entry(SalesBlocked, "credit", lambda e: "Sales blocked by collection", lambda e: e.case)
partner_entry(SalesUnblocked, "credit", lambda e: "Collection block lifted", lambda e: e.case)


@timeline.on(CaseOpened)
def case_opened(e: CaseOpened, rows: Rows) -> None:
    label = f"Invoice {e.number}" if e.number else "Invoice"
    rows.insert("documents", id=str(e.originator_id), partner_id=str(e.partner), label=label)
    record(rows, e, e.partner, "collection", f"Collection case opened for {label.lower()}", e.document)


def _collection_action(
    rows: Rows, e: DomainEvent, level: int, action: str, status: str, fallback_from: str | None, detail: object
) -> None:
    amount = f" {detail}" if detail else ""
    via = f" instead of {fallback_from}" if fallback_from else ""
    document_fact(rows, e, "collection", f"level {level}: {action}{amount}{via} {status}")


@timeline.on(ActionExecuted)
def collection_action_executed(e: ActionExecuted, rows: Rows) -> None:
    fallback_from = e.fallback_from.value if e.fallback_from else None
    _collection_action(rows, e, e.level, e.action.value, "executed", fallback_from, e.amount)


@timeline.on(ActionSkipped)
def collection_action_skipped(e: ActionSkipped, rows: Rows) -> None:
    fallback_from = e.fallback_from.value if e.fallback_from else None
    _collection_action(rows, e, e.level, e.action.value, f"skipped ({e.reason})", fallback_from, None)


@timeline.on(ActionRecorded)
def collection_action(e: ActionRecorded, rows: Rows) -> None:
    """What logs before ``ActionExecuted``/``ActionSkipped`` hold."""
    status = f"{e.status} ({e.reason})" if e.reason else e.status
    _collection_action(rows, e, e.level, e.taken.value, status, e.fallback_from, e.amount)


@timeline.on(PaymentTermsChangedByCollection)
def payment_terms_by_collection(e: PaymentTermsChangedByCollection, rows: Rows) -> None:
    text = f"Payment terms changed by collection level {e.level}: {e.previous_days} → {e.days} days"
    record(rows, e, e.originator_id, "collection", text, e.cases[0] if e.cases else None)
