"""A mass mailing: one template e-mailed to every contact its targets reach, once.

Who the targets reach is a question for the read side; the mailing records the answer batch by
batch (``RecipientsQueued``), each batch in one transaction with the messages it queues, so that a
crash between batches loses nothing and a resumed preparation starts after the last recorded
contact (``cursor``, in the plan's order). Each recipient's message has an id derived from the
mailing and the contact, so however the preparation is interrupted and resumed, nobody gets the
mailing twice.

A recipient's links carry random tokens; the mailing keeps only their SHA-256, so the log cannot
be used to forge them (the message's own text holds the link, as it was sent)."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, Value, event, natural_id
from aggregates.errors import conflict
from aggregates.personal import Personal


class SkipReason(Enum):
    """Why a contact the targets reach gets no message, checked in this order."""

    INACTIVE = "inactive"
    NO_EMAIL = "no_email"
    OPTED_OUT = "opted_out"
    # Another recipient of the mailing has the same e-mail address.
    DUPLICATE = "duplicate"


class MailingTargets(Value):
    """Who the mailing is for: subscribers of the areas, and the contacts of the partners in the
    groups, with the tags, named, named by the documents, or on a campaign's target list (all
    of them ORed). ``subscribers_of`` narrows that down (consent): only the contacts subscribed
    to one of those areas, and not opted out, are mailed, never their partners' other contacts."""

    interest_areas: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    partners: tuple[UUID, ...] = ()
    documents: tuple[UUID, ...] = ()
    # The code of the campaign whose launch recorded the partners (CampaignTargetsRecorded):
    # named, not listed, so that the mailing's first event stays small.
    campaign_targets: str | None = None
    subscribers_of: tuple[str, ...] = ()

    @property
    def reaches_nobody(self) -> bool:
        return not any(v for k, v in self.model_dump().items() if k != "subscribers_of")


class MailingRecipient(Value):
    """A contact the mailing went to. ``areas``: the interest areas it was reached through (its
    unsubscribe link leaves those; without any, it opts out of all mailings). ``error``: the
    message could not be made (then there is no message and no links)."""

    contact: UUID
    partner: UUID
    email: str
    areas: tuple[str, ...] = ()
    message: UUID | None = None
    unsubscribe_hash: str | None = None
    pixel_hash: str | None = None
    error: str | None = None


class SkippedContact(Value):
    contact: UUID
    partner: UUID
    reason: SkipReason


class MailingStarted(CreatedEvent):
    TOPIC = "counterparty.mailing.MailingStarted.v1"
    template: str
    targets: MailingTargets
    campaign: str | None
    # The public base URL of the unsubscribe and tracking links.
    links: str
    at: datetime


class RecipientsQueued(DomainEvent):
    TOPIC = "counterparty.mailing.RecipientsQueued.v1"
    PERSONAL = (Personal("recipients.*", ("email",), subject="contact"),)
    batch: int
    recipients: tuple[MailingRecipient, ...]
    skipped: tuple[SkippedContact, ...]
    cursor: str


class MailingPrepared(DomainEvent):
    """Every recipient's message is queued; from here the sender delivers them."""

    TOPIC = "counterparty.mailing.MailingPrepared.v1"
    recipients: int
    queued: int
    skipped: int
    at: datetime


class RecipientUnsubscribed(DomainEvent):
    """A recipient used the mailing's unsubscribe link: out of ``areas``, or of every mailing."""

    TOPIC = "counterparty.mailing.RecipientUnsubscribed.v1"
    contact: UUID
    partner: UUID
    areas: tuple[str, ...]
    everything: bool
    on: date


class RecipientResubscribed(DomainEvent):
    """The recipient undid, on the same page, what the link did."""

    TOPIC = "counterparty.mailing.RecipientResubscribed.v1"
    contact: UUID
    partner: UUID
    areas: tuple[str, ...]
    everything: bool
    on: date


def message_id_for(mailing: UUID, contact: UUID) -> UUID:
    """The message a mailing sends a contact: one, however often the preparation runs."""
    return natural_id("mailing-message", mailing, contact)


class Mailing(Aggregate):
    TOPIC = "counterparty.mailing.Mailing"
    SNAPSHOT_EVERY = 50

    template: str
    targets: MailingTargets
    campaign: str | None
    links: str
    started_at: datetime
    prepared_at: datetime | None
    batches: int
    cursor: str
    recipients: int
    queued: int
    skipped: int
    # Contacts that used their unsubscribe link: True when they left every mailing.
    unsubscribed: dict[UUID, bool]

    @classmethod
    def start(
        cls, id: UUID, template: str, targets: MailingTargets, campaign: str | None, links: str, at: datetime
    ) -> Mailing:
        if targets.reaches_nobody:
            raise conflict(
                "mailing_without_targets", "a mailing needs interest areas, groups, tags, partners or documents"
            )
        return cls._create(
            MailingStarted, id=id, template=template, targets=targets, campaign=campaign, links=links, at=at
        )

    @event(MailingStarted)
    def _started(self, template: str, targets: MailingTargets, campaign: str | None, links: str, at: datetime) -> None:
        self.template = template
        self.targets = targets
        self.campaign = campaign
        self.links = links
        self.started_at = at
        self.prepared_at = None
        self.batches = 0
        self.cursor = ""
        self.recipients = 0
        self.queued = 0
        self.skipped = 0
        self.unsubscribed = {}

    @property
    def prepared(self) -> bool:
        return self.prepared_at is not None

    def record_batch(
        self, batch: int, recipients: list[MailingRecipient], skipped: list[SkippedContact], cursor: str
    ) -> None:
        """Records the next batch. Two preparers racing on one mailing (a resumed one and the
        original) both offer the same batch number; the store lets one record it, the other
        is refused here when it retries on the fresh state."""
        if self.prepared:
            raise conflict("mailing_prepared", "the mailing's messages are all queued")
        if batch != self.batches + 1:
            raise conflict("mailing_batch_taken", f"batch {batch} of the mailing was recorded already")
        if cursor <= self.cursor:
            raise conflict("mailing_cursor_behind", "a batch must go on after the last recorded contact")
        self._recipients_queued(batch=batch, recipients=tuple(recipients), skipped=tuple(skipped), cursor=cursor)

    @event(RecipientsQueued)
    def _recipients_queued(
        self,
        batch: int,
        recipients: tuple[MailingRecipient, ...],
        skipped: tuple[SkippedContact, ...],
        cursor: str,
    ) -> None:
        self.batches = batch
        self.cursor = cursor
        self.recipients += len(recipients)
        self.queued += sum(1 for r in recipients if r.message is not None)
        self.skipped += len(skipped)

    def complete(self, at: datetime) -> None:
        if not self.prepared:
            self._prepared(recipients=self.recipients, queued=self.queued, skipped=self.skipped, at=at)

    @event(MailingPrepared)
    def _prepared(self, at: datetime) -> None:
        self.prepared_at = at

    def unsubscribe(self, contact: UUID, partner: UUID, areas: tuple[str, ...], everything: bool, on: date) -> None:
        """Records the use of a recipient's link; using it again changes nothing, unless the
        recipient now leaves every mailing."""
        if self.unsubscribed.get(contact) is True or (contact in self.unsubscribed and not everything):
            return
        self._recipient_unsubscribed(contact=contact, partner=partner, areas=areas, everything=everything, on=on)

    @event(RecipientUnsubscribed)
    def _recipient_unsubscribed(self, contact: UUID, everything: bool) -> None:
        self.unsubscribed[contact] = everything

    def resubscribe(self, contact: UUID, partner: UUID, areas: tuple[str, ...], on: date) -> bool:
        """Undoes the recipient's unsubscription; answers whether they had left every mailing."""
        if contact not in self.unsubscribed:
            return False
        everything = self.unsubscribed[contact]
        self._recipient_resubscribed(contact=contact, partner=partner, areas=areas, everything=everything, on=on)
        return everything

    @event(RecipientResubscribed)
    def _recipient_resubscribed(self, contact: UUID) -> None:
        del self.unsubscribed[contact]
