"""Requests and complaints, one wording per transition."""

from __future__ import annotations

from aggregates.request import (
    TRANSITIONS,
    DueState,
    RequestCommented,
    RequestDueStateChanged,
    RequestEscalated,
    RequestOpened,
    RequestResolutionChanged,
    RequestStatus,
    Transition,
    TransitionEvent,
    transition,
)
from projections.catalog import Rows
from projections.timeline.entries import document_entry, document_fact, personal, record, timeline


@timeline.on(RequestOpened)
def request_opened(e: RequestOpened, rows: Rows) -> None:
    label = f"Request {e.number}"
    rows.insert("documents", id=str(e.originator_id), partner_id=str(e.details.partner), label=label)
    summary = f'{label} opened ({e.details.type}, {e.priority.value}): "{e.details.subject}"'
    record(rows, e, e.details.partner, "request", summary, e.originator_id)


def _wording(t: Transition) -> str:
    resolved = f": {t.resolution}" if t.resolution else ""
    if t.status is RequestStatus.FINAL:
        return f"made final{resolved}"
    if t.status is RequestStatus.CLOSED:
        return f"closed{resolved}"
    if t.previous is RequestStatus.CLOSED:
        return "reopened" + (" and in progress" if t.status is RequestStatus.IN_PROGRESS else "")
    return "in progress" if t.status is RequestStatus.IN_PROGRESS else "back to open"


@timeline.on(*TRANSITIONS)
def request_transitioned(e: TransitionEvent, rows: Rows) -> None:
    t = transition(e, None)
    # An older ``RequestStatusChanged`` may keep the status (a new resolution alone): no transition to tell.
    if t.status is not t.previous:
        document_fact(rows, e, "request", _wording(t))


@timeline.on(RequestDueStateChanged)
def request_overdue(e: RequestDueStateChanged, rows: Rows) -> None:
    if e.due_state is DueState.OVERDUE:
        document_fact(rows, e, "request", "overdue")


@timeline.on(RequestCommented)
def request_commented(e: RequestCommented, rows: Rows) -> None:
    """A customer's comment names its author, their personal data (``personal``)."""
    document = rows.get("documents", id=str(e.originator_id))
    if document is not None:

        def summary(e: RequestCommented) -> str:
            return f"{document['label']} {e.visibility.value} comment by {e.author}"

        record(rows, e, document["partner_id"], "request", ref=e.originator_id, **personal(e, summary))


document_entry(RequestResolutionChanged, "request", lambda e: f"resolution: {e.resolution}")
document_entry(RequestEscalated, "request", lambda e: f"escalated{' to ' + e.to if e.to else ''}")
