"""Messages to a partner: queued, sent, failed, read or bounced."""

from __future__ import annotations

from aggregates.message import DeliveryFailed, MessageBounced, MessageQueued, MessageRead, MessageSent
from projections.catalog import Rows
from projections.timeline.entries import personal, record, timeline

CHANNELS = {"email": "E-mail", "sms": "SMS", "letter": "Letter"}


@timeline.on(MessageQueued)
def message_queued(e: MessageQueued, rows: Rows) -> None:
    c = e.composition
    label = CHANNELS[c.channel.value] + (f" {c.template}" if c.template else "")
    label += f' "{c.subject}"' if c.subject else ""
    rows.insert("messages", id=str(e.originator_id), partner_id=str(c.partner), label=label[:300])

    def summary(e: MessageQueued) -> str:
        to = e.composition.to.splitlines()[0] if e.composition.to else ""
        return f"{label} queued for {to}"

    record(rows, e, c.partner, "message", ref=e.originator_id, **personal(e, summary))


@timeline.on(MessageSent)
def message_sent(e: MessageSent, rows: Rows) -> None:
    found = rows.get("messages", id=str(e.originator_id))
    if found is not None:
        record(rows, e, found["partner_id"], "message", f"{found['label']} sent", e.originator_id)


@timeline.on(DeliveryFailed)
def message_failed(e: DeliveryFailed, rows: Rows) -> None:
    found = rows.get("messages", id=str(e.originator_id))
    if found is not None and e.retry_at is None:
        summary = f"{found['label']} failed (attempt {e.attempt}): {e.error}"
        record(rows, e, found["partner_id"], "message", summary, e.originator_id)


@timeline.on(MessageRead, MessageBounced)
def message_outcome(e: MessageRead | MessageBounced, rows: Rows) -> None:
    found = rows.get("messages", id=str(e.originator_id))
    if found is not None:
        what = "read" if isinstance(e, MessageRead) else f"bounced: {e.reason}"
        record(rows, e, found["partner_id"], "message", f"{found['label']} {what}", e.originator_id)
