"""Requests and complaints, one wording per transition."""

from __future__ import annotations

from aggregates.request import (
    DueState,
    RequestClosed,
    RequestCommented,
    RequestDueStateChanged,
    RequestEscalated,
    RequestFinalised,
    RequestOpened,
    RequestReopened,
    RequestResolutionChanged,
    RequestStatus,
    RequestStatusChanged,
    RequestWorkStarted,
    RequestWorkStopped,
)
from projections.catalog import Rows
from projections.timeline.entries import document_fact, record, timeline


@timeline.on(RequestOpened)
def request_opened(e: RequestOpened, rows: Rows) -> None:
    label = f"Request {e.number}"
    rows.insert("documents", id=str(e.originator_id), partner_id=str(e.details.partner), label=label)
    summary = f'{label} opened ({e.details.type}, {e.priority.value}): "{e.details.subject}"'
    record(rows, e, e.details.partner, "request", summary, e.originator_id)


def _request_transition(previous: RequestStatus, status: RequestStatus, resolution: str | None) -> str:
    """One wording per transition, for the named events and the older ``RequestStatusChanged``."""
    resolved = f": {resolution}" if resolution else ""
    if status is RequestStatus.FINAL:
        return f"made final{resolved}"
    if status is RequestStatus.CLOSED:
        return f"closed{resolved}"
    if previous is RequestStatus.CLOSED:
        return "reopened" + (" and in progress" if status is RequestStatus.IN_PROGRESS else "")
    return "in progress" if status is RequestStatus.IN_PROGRESS else "back to open"


@timeline.on(RequestWorkStarted)
def request_started(e: RequestWorkStarted, rows: Rows) -> None:
    document_fact(rows, e, "request", _request_transition(RequestStatus.OPEN, RequestStatus.IN_PROGRESS, None))


@timeline.on(RequestWorkStopped)
def request_stopped(e: RequestWorkStopped, rows: Rows) -> None:
    document_fact(rows, e, "request", _request_transition(RequestStatus.IN_PROGRESS, RequestStatus.OPEN, None))


@timeline.on(RequestClosed)
def request_closed(e: RequestClosed, rows: Rows) -> None:
    document_fact(rows, e, "request", _request_transition(e.previous, RequestStatus.CLOSED, e.resolution))


@timeline.on(RequestReopened)
def request_reopened(e: RequestReopened, rows: Rows) -> None:
    document_fact(rows, e, "request", _request_transition(RequestStatus.CLOSED, e.status, None))


@timeline.on(RequestFinalised)
def request_finalised(e: RequestFinalised, rows: Rows) -> None:
    document_fact(rows, e, "request", _request_transition(e.previous, RequestStatus.FINAL, e.resolution))


@timeline.on(RequestResolutionChanged)
def request_resolution(e: RequestResolutionChanged, rows: Rows) -> None:
    document_fact(rows, e, "request", f"resolution: {e.resolution}")


@timeline.on(RequestStatusChanged)
def request_status(e: RequestStatusChanged, rows: Rows) -> None:
    if e.status is not e.previous:
        document_fact(rows, e, "request", _request_transition(e.previous, e.status, e.resolution))


@timeline.on(RequestCommented)
def request_comment(e: RequestCommented, rows: Rows) -> None:
    document_fact(rows, e, "request", f"{e.visibility.value} comment by {e.author}")


@timeline.on(RequestDueStateChanged)
def request_overdue(e: RequestDueStateChanged, rows: Rows) -> None:
    if e.due_state is DueState.OVERDUE:
        document_fact(rows, e, "request", "overdue")


@timeline.on(RequestEscalated)
def request_escalated(e: RequestEscalated, rows: Rows) -> None:
    document_fact(rows, e, "request", f"escalated{' to ' + e.to if e.to else ''}")
