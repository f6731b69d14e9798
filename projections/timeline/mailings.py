"""Campaigns, interest areas, a contact's consent to mailings, and the mailings themselves."""

from __future__ import annotations

from aggregates.base import DomainEvent
from aggregates.campaign import CampaignLaunched, CampaignTargetsRecorded
from aggregates.interest_area import ContactResubscribed, ContactSubscribed, ContactUnsubscribed
from aggregates.mailing import MailingStarted, RecipientResubscribed, RecipientsQueued, RecipientUnsubscribed
from aggregates.partner_contacts import ContactOptedIn, ContactOptedOut
from aggregates.personal import is_personal
from projections.catalog import Rows
from projections.timeline.entries import personal, record, timeline


@timeline.on(CampaignLaunched, CampaignTargetsRecorded)
def campaign_launched(e: CampaignLaunched | CampaignTargetsRecorded, rows: Rows) -> None:
    for seq, partner in enumerate(e.targets):
        record(rows, e, partner, "campaign", f"Targeted by campaign {e.code} ({e.name}), launched", e.code, seq)


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

        def summary(e: RecipientsQueued, seq: int = seq) -> str:
            r = e.recipients[seq]
            what = f"not sent to {r.email or 'the contact'}: {r.error}" if r.error else f"queued for {r.email}"
            return f"{label} {what}"

        subjects = {str(r.contact)} if is_personal(r.email) else set()
        record(rows, e, r.partner, "mailing", ref=e.originator_id, seq=seq, **personal(e, summary, subjects))
    for seq, s in enumerate(e.skipped, start=len(e.recipients)):
        record(rows, e, s.partner, "mailing", f"{label} skipped a contact: {s.reason.value}", e.originator_id, seq)


@timeline.on(RecipientUnsubscribed, RecipientResubscribed)
def mailing_link(e: RecipientUnsubscribed | RecipientResubscribed, rows: Rows) -> None:
    what = ", ".join(f"interest area {a}" for a in e.areas) if e.areas and not e.everything else "every mailing"
    verb = "unsubscribed from" if isinstance(e, RecipientUnsubscribed) else "subscribed again to"
    record(rows, e, e.partner, "mailing", f"{_mailing_label(rows, e)}: the contact {verb} {what}", e.originator_id)
