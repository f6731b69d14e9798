"""Every recorded fact about a partner, in log order, with a one-line summary."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from sqlalchemy import BigInteger, Column, Date, DateTime, Index, MetaData, String, Table, Text

from aggregates.account import ChargeWaived
from aggregates.activity import (
    ActivityCompleted,
    ActivityKind,
    ActivityReassigned,
    ActivityRecorded,
    ActivityRescheduled,
    Timing,
)
from aggregates.base import DomainEvent
from aggregates.campaign import CampaignLaunched
from aggregates.collection_case import (
    ActionExecuted,
    ActionRecorded,
    ActionSkipped,
    CaseClosed,
    CaseOpened,
    LevelReached,
)
from aggregates.interest_area import ContactResubscribed, ContactSubscribed, ContactUnsubscribed
from aggregates.mailing import MailingStarted, RecipientResubscribed, RecipientsQueued, RecipientUnsubscribed
from aggregates.message import DeliveryFailed, MessageBounced, MessageQueued, MessageRead, MessageSent
from aggregates.partner import (
    AddressAdded,
    AddressChanged,
    AddressRemoved,
    AttachmentAdded,
    ContactAdded,
    ContactChanged,
    ContactOptedIn,
    ContactOptedOut,
    ContactRemoved,
    CreditHoldLifted,
    CreditHoldPlaced,
    NoteAdded,
    ParentReassigned,
    PartnerAbsorbed,
    PartnerDetailsChanged,
    PartnerMergedInto,
    PartnerPromotedToCustomer,
    PartnerRegistered,
    PaymentTermsChangedByCollection,
    PortalAccessGranted,
    PortalAccessRevoked,
    SalesBlocked,
    SalesUnblocked,
)
from aggregates.payment import PaymentReceived
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
from aggregates.sales_document import (
    DisputeResolved,
    DocType,
    DocumentCancelled,
    DocumentDrafted,
    DocumentIssued,
    GraceGranted,
    InvoiceDisputed,
    PaymentPromised,
    QuoteAccepted,
    QuoteExpired,
    QuoteRefused,
)
from projections.catalog import Projection, Rows


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    entries = Table(
        f"{prefix}entries",
        meta,
        Column("position", BigInteger, primary_key=True, autoincrement=False),
        Column("seq", BigInteger, primary_key=True, autoincrement=False),
        Column("partner_id", String(36), nullable=False),
        Column("at", DateTime(timezone=True)),
        Column("business_date", Date),
        Column("kind", String(40), nullable=False),
        Column("summary", Text, nullable=False),
        Column("ref", String(80)),
    )
    Index(f"{prefix}ix_partner", entries.c.partner_id, entries.c.position)
    # Which partner a document belongs to, for the document events that do not say.
    documents = Table(
        f"{prefix}documents",
        meta,
        Column("id", String(36), primary_key=True),
        Column("partner_id", String(36), nullable=False),
        Column("label", String(120), nullable=False),
    )
    # Which partner a message is for, and how to name it, for the delivery events that do not say.
    messages = Table(
        f"{prefix}messages",
        meta,
        Column("id", String(36), primary_key=True),
        Column("partner_id", String(36), nullable=False),
        Column("label", String(300), nullable=False),
    )
    return {"entries": entries, "documents": documents, "messages": messages}


timeline = Projection("timeline", define)


def record(
    rows: Rows, e: DomainEvent, partner_id: object, kind: str, summary: str, ref: object = None, seq: int = 0
) -> None:
    """Adds one timeline entry; other projections' modules call this for their own events."""
    meta: Any = e.meta
    rows.insert(
        "entries",
        position=rows.position,
        seq=seq,
        partner_id=str(partner_id),
        at=meta.business_time if meta and meta.business_time else e.timestamp,
        business_date=meta.business_date if meta else None,
        kind=kind,
        summary=summary[:500],
        ref=str(ref) if ref is not None else None,
    )


@timeline.on(PartnerRegistered)
def registered(e: PartnerRegistered, rows: Rows) -> None:
    record(rows, e, e.originator_id, "master_data", f"Partner {e.code} registered: {e.details.name}", e.code)


@timeline.on(PartnerDetailsChanged)
def changed(e: PartnerDetailsChanged, rows: Rows) -> None:
    record(rows, e, e.originator_id, "master_data", f"Changed {', '.join(e.fields)}")


@timeline.on(PartnerPromotedToCustomer)
def promoted(e: PartnerPromotedToCustomer, rows: Rows) -> None:
    document = " ".join(x for x in (e.document_type.value.replace("_", " "), e.number) if x)
    record(rows, e, e.originator_id, "master_data", f"Became a customer — {document}", e.document)


@timeline.on(ParentReassigned)
def parent_reassigned(e: ParentReassigned, rows: Rows) -> None:
    summary = f"Parent {e.absorbed_code} merged into {e.parent_code}, the new parent"
    record(rows, e, e.originator_id, "merge", summary, e.parent)


@timeline.on(AddressAdded, AddressChanged, AddressRemoved)
def address(e: AddressAdded | AddressChanged | AddressRemoved, rows: Rows) -> None:
    if isinstance(e, AddressRemoved):
        record(rows, e, e.originator_id, "master_data", "Address removed", e.address_id)
        return
    verb = "added" if isinstance(e, AddressAdded) else "changed"
    a = e.address
    record(rows, e, e.originator_id, "master_data", f"Address {verb}: {a.label or a.street}, {a.city}".strip(), a.id)


@timeline.on(ContactAdded, ContactChanged, ContactRemoved)
def contact(e: ContactAdded | ContactChanged | ContactRemoved, rows: Rows) -> None:
    if isinstance(e, ContactRemoved):
        record(rows, e, e.originator_id, "master_data", "Contact removed", e.contact_id)
        return
    verb = "added" if isinstance(e, ContactAdded) else "changed"
    record(rows, e, e.originator_id, "master_data", f"Contact {verb}: {e.contact.name}", e.contact.id)


@timeline.on(PortalAccessGranted, PortalAccessRevoked)
def portal_access(e: PortalAccessGranted | PortalAccessRevoked, rows: Rows) -> None:
    text = "Portal access granted" if isinstance(e, PortalAccessGranted) else "Portal access revoked"
    record(rows, e, e.originator_id, "master_data", text, e.contact_id)


@timeline.on(NoteAdded)
def note(e: NoteAdded, rows: Rows) -> None:
    record(rows, e, e.originator_id, "note", f"{e.visibility.capitalize()} note: {e.text}")


@timeline.on(AttachmentAdded)
def attachment(e: AttachmentAdded, rows: Rows) -> None:
    a = e.attachment
    record(rows, e, e.originator_id, "attachment", f"Attachment {a.filename} ({a.size} bytes)", a.id)


@timeline.on(CreditHoldPlaced)
def hold(e: CreditHoldPlaced, rows: Rows) -> None:
    record(rows, e, e.originator_id, "credit", f"Credit hold placed: {e.reason}")


@timeline.on(CreditHoldLifted)
def unhold(e: CreditHoldLifted, rows: Rows) -> None:
    record(rows, e, e.originator_id, "credit", "Credit hold lifted")


@timeline.on(PartnerAbsorbed)
def absorbed(e: PartnerAbsorbed, rows: Rows) -> None:
    record(rows, e, e.originator_id, "merge", f"Absorbed partner {e.absorbed_code}", e.absorbed)


@timeline.on(PartnerMergedInto)
def merged(e: PartnerMergedInto, rows: Rows) -> None:
    record(rows, e, e.originator_id, "merge", "Merged into another partner", e.survivor)


# -- documents and payments ------------------------------------------------------------------------

LABELS = {
    DocType.QUOTE: "Quote",
    DocType.ORDER: "Order",
    DocType.PROFORMA: "Pro-forma",
    DocType.INVOICE: "Invoice",
    DocType.CREDIT_NOTE: "Credit note",
}


@timeline.on(DocumentDrafted)
def drafted(e: DocumentDrafted, rows: Rows) -> None:
    label = LABELS[e.doc_type]
    rows.insert("documents", id=str(e.originator_id), partner_id=str(e.terms.partner), label=label)
    record(rows, e, e.terms.partner, "document", f"{label} drafted", e.originator_id)


@timeline.on(DocumentIssued)
def issued(e: DocumentIssued, rows: Rows) -> None:
    label = LABELS[e.doc_type]
    rows.update("documents", {"id": str(e.originator_id)}, label=f"{label} {e.number}")
    verb = {DocType.QUOTE: "sent", DocType.ORDER: "confirmed"}.get(e.doc_type, "issued")
    summary = f"{label} {e.number} {verb}: {e.total} {e.currency}"
    if e.due_date and e.doc_type is DocType.INVOICE:
        summary += f", due {e.due_date.isoformat()}"
    record(rows, e, e.partner, "document", summary, e.originator_id)


def _document_fact(rows: Rows, e: DomainEvent, kind: str, text: str) -> None:
    document = rows.get("documents", id=str(e.originator_id))
    if document is not None:
        record(rows, e, document["partner_id"], kind, f"{document['label']} {text}", e.originator_id)


@timeline.on(QuoteAccepted)
def accepted(e: QuoteAccepted, rows: Rows) -> None:
    _document_fact(rows, e, "document", f"accepted{' by ' + e.by if e.by else ''}")


@timeline.on(QuoteRefused)
def refused(e: QuoteRefused, rows: Rows) -> None:
    _document_fact(rows, e, "document", f"refused{': ' + e.reason if e.reason else ''}")


@timeline.on(QuoteExpired)
def expired(e: QuoteExpired, rows: Rows) -> None:
    _document_fact(rows, e, "document", "expired")


@timeline.on(DocumentCancelled)
def cancelled(e: DocumentCancelled, rows: Rows) -> None:
    _document_fact(rows, e, "document", f"cancelled{': ' + e.reason if e.reason else ''}")


@timeline.on(InvoiceDisputed)
def disputed(e: InvoiceDisputed, rows: Rows) -> None:
    _document_fact(rows, e, "collection", f"disputed: {e.reason}")


@timeline.on(DisputeResolved)
def dispute_resolved(e: DisputeResolved, rows: Rows) -> None:
    _document_fact(rows, e, "collection", "dispute resolved")


@timeline.on(PaymentPromised)
def promised(e: PaymentPromised, rows: Rows) -> None:
    _document_fact(rows, e, "collection", f"payment of {e.promise.amount} promised for {e.promise.date.isoformat()}")


@timeline.on(GraceGranted)
def grace(e: GraceGranted, rows: Rows) -> None:
    _document_fact(rows, e, "collection", f"grace until {e.until.isoformat()}")


@timeline.on(PaymentReceived)
def payment(e: PaymentReceived, rows: Rows) -> None:
    reference = f" ({e.reference})" if e.reference else ""
    record(
        rows,
        e,
        e.partner,
        "payment",
        f"Payment {e.number} received: {e.amount} {e.currency}{reference}",
        e.originator_id,
    )


@timeline.on(ChargeWaived)
def waived(e: ChargeWaived, rows: Rows) -> None:
    record(rows, e, e.partner, "collection", f"Charge of {e.amount} waived: {e.reason}", e.item_id)


# -- messages ------------------------------------------------------------------------------------

CHANNELS = {"email": "E-mail", "sms": "SMS", "letter": "Letter"}


@timeline.on(MessageQueued)
def message_queued(e: MessageQueued, rows: Rows) -> None:
    c = e.composition
    label = CHANNELS[c.channel.value] + (f" {c.template}" if c.template else "")
    label += f' "{c.subject}"' if c.subject else ""
    rows.insert("messages", id=str(e.originator_id), partner_id=str(c.partner), label=label[:300])
    to = c.to.splitlines()[0] if c.to else ""
    record(rows, e, c.partner, "message", f"{label} queued for {to}", e.originator_id)


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


# -- collection ------------------------------------------------------------------------------------


@timeline.on(CaseOpened)
def case_opened(e: CaseOpened, rows: Rows) -> None:
    label = f"Invoice {e.number}" if e.number else "Invoice"
    rows.insert("documents", id=str(e.originator_id), partner_id=str(e.partner), label=label)
    record(rows, e, e.partner, "collection", f"Collection case opened for {label.lower()}", e.document)


@timeline.on(LevelReached)
def level_reached(e: LevelReached, rows: Rows) -> None:
    _document_fact(rows, e, "collection", f"reached collection level {e.level} ({e.name})")


def _collection_action(
    rows: Rows, e: DomainEvent, level: int, action: str, status: str, fallback_from: str | None, detail: object
) -> None:
    amount = f" {detail}" if detail else ""
    via = f" instead of {fallback_from}" if fallback_from else ""
    _document_fact(rows, e, "collection", f"level {level}: {action}{amount}{via} {status}")


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


@timeline.on(CaseClosed)
def case_closed(e: CaseClosed, rows: Rows) -> None:
    _document_fact(rows, e, "collection", f"collection case closed: {e.reason}")


@timeline.on(SalesBlocked, SalesUnblocked)
def sales_block(e: SalesBlocked | SalesUnblocked, rows: Rows) -> None:
    text = "Sales blocked by collection" if isinstance(e, SalesBlocked) else "Collection block lifted"
    record(rows, e, e.originator_id, "credit", text, e.case)


@timeline.on(PaymentTermsChangedByCollection)
def payment_terms_by_collection(e: PaymentTermsChangedByCollection, rows: Rows) -> None:
    text = f"Payment terms changed by collection level {e.level}: {e.previous_days} → {e.days} days"
    record(rows, e, e.originator_id, "collection", text, e.cases[0] if e.cases else None)


# -- campaigns -------------------------------------------------------------------------------------


@timeline.on(CampaignLaunched)
def campaign_launched(e: CampaignLaunched, rows: Rows) -> None:
    for seq, partner in enumerate(e.targets):
        record(rows, e, partner, "campaign", f"Targeted by campaign {e.code} ({e.name}), launched", e.code, seq)


# -- activities ------------------------------------------------------------------------------------


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


@timeline.on(ActivityRescheduled)
def activity_rescheduled(e: ActivityRescheduled, rows: Rows) -> None:
    when = f" to {_when(e.timing)}" if e.timing.start_at or e.timing.due_on else ""
    _document_fact(rows, e, "activity", f"rescheduled{when}")


@timeline.on(ActivityReassigned)
def activity_reassigned(e: ActivityReassigned, rows: Rows) -> None:
    _document_fact(rows, e, "activity", f"reassigned to {e.assignee}" if e.assignee else "unassigned")


@timeline.on(ActivityCompleted)
def activity_completed(e: ActivityCompleted, rows: Rows) -> None:
    _document_fact(rows, e, "activity", "completed" + (f": {e.outcome}" if e.outcome else ""))


# -- interest areas and mailings -------------------------------------------------------------------


@timeline.on(ContactSubscribed)
def subscribed(e: ContactSubscribed, rows: Rows) -> None:
    # The subscription's later events do not say their area: the documents table keeps it.
    label = f"interest area {e.area}"
    rows.insert("documents", id=str(e.originator_id), partner_id=str(e.partner), label=label[:120])
    record(rows, e, e.partner, "subscription", f"Contact subscribed to {label}", e.contact)


@timeline.on(ContactResubscribed, ContactUnsubscribed)
def subscription_changed(e: ContactResubscribed | ContactUnsubscribed, rows: Rows) -> None:
    found = rows.get("documents", id=str(e.originator_id))
    label = found["label"] if found else "an interest area"
    if isinstance(e, ContactResubscribed):
        summary = f"Contact subscribed again to {label}"
    else:
        summary = f"Contact opted out of {label}" + (" through a mailing's link" if e.via == "link" else "")
    record(rows, e, e.partner, "subscription", summary, e.originator_id)


@timeline.on(ContactOptedOut, ContactOptedIn)
def contact_consent(e: ContactOptedOut | ContactOptedIn, rows: Rows) -> None:
    link = " through a mailing's link" if e.via == "link" else ""
    verb = "opted out of all mailings" if isinstance(e, ContactOptedOut) else "accepts mailings again"
    record(rows, e, e.originator_id, "subscription", f"Contact {verb}{link}", e.contact_id)


@timeline.on(MailingStarted)
def mailing_started(e: MailingStarted, rows: Rows) -> None:
    label = f"Mailing {e.template}" + (f" (campaign {e.campaign})" if e.campaign else "")
    rows.insert("documents", id=str(e.originator_id), partner_id="", label=label[:120])


def _mailing_label(rows: Rows, e: DomainEvent) -> str:
    found = rows.get("documents", id=str(e.originator_id))
    return found["label"] if found else "Mailing"


@timeline.on(RecipientsQueued)
def mailing_recipients(e: RecipientsQueued, rows: Rows) -> None:
    label = _mailing_label(rows, e)
    for seq, r in enumerate(e.recipients):
        what = f"not sent to {r.email or 'the contact'}: {r.error}" if r.error else f"queued for {r.email}"
        record(rows, e, r.partner, "mailing", f"{label} {what}", e.originator_id, seq)
    for seq, s in enumerate(e.skipped, start=len(e.recipients)):
        record(rows, e, s.partner, "mailing", f"{label} skipped a contact: {s.reason.value}", e.originator_id, seq)


@timeline.on(RecipientUnsubscribed, RecipientResubscribed)
def mailing_link(e: RecipientUnsubscribed | RecipientResubscribed, rows: Rows) -> None:
    what = ", ".join(f"interest area {a}" for a in e.areas) if e.areas and not e.everything else "every mailing"
    verb = "unsubscribed from" if isinstance(e, RecipientUnsubscribed) else "subscribed again to"
    record(rows, e, e.partner, "mailing", f"{_mailing_label(rows, e)}: the contact {verb} {what}", e.originator_id)


@timeline.on(MessageRead, MessageBounced)
def message_outcome(e: MessageRead | MessageBounced, rows: Rows) -> None:
    found = rows.get("messages", id=str(e.originator_id))
    if found is not None:
        what = "read" if isinstance(e, MessageRead) else f"bounced: {e.reason}"
        record(rows, e, found["partner_id"], "message", f"{found['label']} {what}", e.originator_id)


# -- requests --------------------------------------------------------------------------------------


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
    _document_fact(rows, e, "request", _request_transition(RequestStatus.OPEN, RequestStatus.IN_PROGRESS, None))


@timeline.on(RequestWorkStopped)
def request_stopped(e: RequestWorkStopped, rows: Rows) -> None:
    _document_fact(rows, e, "request", _request_transition(RequestStatus.IN_PROGRESS, RequestStatus.OPEN, None))


@timeline.on(RequestClosed)
def request_closed(e: RequestClosed, rows: Rows) -> None:
    _document_fact(rows, e, "request", _request_transition(e.previous, RequestStatus.CLOSED, e.resolution))


@timeline.on(RequestReopened)
def request_reopened(e: RequestReopened, rows: Rows) -> None:
    _document_fact(rows, e, "request", _request_transition(RequestStatus.CLOSED, e.status, None))


@timeline.on(RequestFinalised)
def request_finalised(e: RequestFinalised, rows: Rows) -> None:
    _document_fact(rows, e, "request", _request_transition(e.previous, RequestStatus.FINAL, e.resolution))


@timeline.on(RequestResolutionChanged)
def request_resolution(e: RequestResolutionChanged, rows: Rows) -> None:
    _document_fact(rows, e, "request", f"resolution: {e.resolution}")


@timeline.on(RequestStatusChanged)
def request_status(e: RequestStatusChanged, rows: Rows) -> None:
    if e.status is not e.previous:
        _document_fact(rows, e, "request", _request_transition(e.previous, e.status, e.resolution))


@timeline.on(RequestCommented)
def request_comment(e: RequestCommented, rows: Rows) -> None:
    _document_fact(rows, e, "request", f"{e.visibility.value} comment by {e.author}")


@timeline.on(RequestDueStateChanged)
def request_overdue(e: RequestDueStateChanged, rows: Rows) -> None:
    if e.due_state is DueState.OVERDUE:
        _document_fact(rows, e, "request", "overdue")


@timeline.on(RequestEscalated)
def request_escalated(e: RequestEscalated, rows: Rows) -> None:
    _document_fact(rows, e, "request", f"escalated{' to ' + e.to if e.to else ''}")
