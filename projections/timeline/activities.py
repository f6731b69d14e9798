"""Activities: calls, meetings, tasks and notes planned or recorded for a partner."""

from __future__ import annotations

from datetime import UTC

from aggregates.activity import (
    ActivityCompleted,
    ActivityKind,
    ActivityReassigned,
    ActivityRecorded,
    ActivityRescheduled,
    Timing,
)
from projections.catalog import Rows
from projections.timeline.entries import document_entry, record, timeline


def _when(timing: Timing) -> str:
    if timing.start_at is not None:
        return timing.start_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return timing.due_on.isoformat() if timing.due_on else ""


@timeline.on(ActivityRecorded)
def activity_recorded(e: ActivityRecorded, rows: Rows) -> None:
    label = f'{e.kind.value.capitalize()} "{e.subject}"'
    # The activity's later events do not say its partner: the documents table keeps it, as for cases.
    rows.insert("documents", id=str(e.originator_id), partner_id=str(e.partner), label=label[:120])
    detail = "".join(
        [
            f" for {_when(e.timing)}" if e.timing.start_at or e.timing.due_on else "",
            f", assigned to {e.assignee}" if e.assignee else "",
            " (outside the contact's hours)" if e.forced else "",
        ]
    )
    verb = "recorded" if e.kind is ActivityKind.NOTE else "planned"
    record(rows, e, e.partner, "activity", f"{label} {verb}{detail}", e.originator_id)


document_entry(
    ActivityRescheduled,
    "activity",
    lambda e: "rescheduled" + (f" to {_when(e.timing)}" if e.timing.start_at or e.timing.due_on else ""),
)
document_entry(ActivityReassigned, "activity", lambda e: f"reassigned to {e.assignee}" if e.assignee else "unassigned")
document_entry(ActivityCompleted, "activity", lambda e: "completed" + (f": {e.outcome}" if e.outcome else ""))
