"""An outgoing message (e-mail, SMS or letter) and its delivery.

The caller gives the id, derived from what the message is for (a collection action, a request's
acknowledgement), so a repeated command finds the message instead of making a second one. The
message keeps the exact text it was rendered to: what was sent is evidence.

Delivery is recorded around the transport call: ``DeliveryStarted`` before the send (so a second
sender sees the message taken), then ``MessageSent`` or ``DeliveryFailed``. A failed attempt is
retried with exponential backoff; after the last attempt the message is ``failed``. A message left
in ``sending`` by a crash may be resumed once: sent again with the same idempotency key (the
e-mail's Message-ID, the gateway's id) so that the receiving side can drop the duplicate."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, Value, event
from aggregates.errors import conflict
from aggregates.personal import Personal
from aggregates.template import Channel, Purpose

MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=5)


def retry_delay(attempt: int) -> timedelta:
    """How long to wait after failed attempt ``attempt`` (1-based): 5, 10, 20, 40 minutes."""
    return FIRST_RETRY * 2 ** (attempt - 1)


class MessageStatus(Enum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    READ = "read"
    BOUNCED = "bounced"


class RenderedLetter(Value):
    """A letter rendered for attaching to an e-mail: its template and its exact HTML."""

    template: str
    template_version: int
    recipient: str
    subject: str
    body: str


class Composition(Value):
    """Everything the caller decided about the message, and the text it was rendered to."""

    channel: Channel
    purpose: Purpose
    partner: UUID
    contact: UUID | None = None
    to: str
    language: str = "en"
    template: str | None = None
    template_version: int | None = None
    subject: str = ""
    body: str
    documents: tuple[UUID, ...] = ()
    cases: tuple[UUID, ...] = ()
    request: UUID | None = None
    campaign: str | None = None
    attach_letter: RenderedLetter | None = None
    fallback_from: str | None = None
    # A mailing's links: where the List-Unsubscribe header points, and the read-tracking image.
    list_unsubscribe: str | None = None
    tracking_pixel: str | None = None


# A message's recipient and texts are personal data of its contact, else of its partner (when a
# person: an organization's messages stay in clear).
_MESSAGE_TEXTS = ("to", "body", "attach_letter.recipient", "attach_letter.body")


class MessageQueued(CreatedEvent):
    TOPIC = "counterparty.message.MessageQueued.v1"
    PERSONAL = (
        Personal("composition", _MESSAGE_TEXTS, subject="contact"),
        Personal(
            "composition", _MESSAGE_TEXTS, subject="partner", when=lambda c: c.get("contact") is None, known_only=True
        ),
    )
    composition: Composition
    queued_at: datetime


class DeliveryStarted(DomainEvent):
    """Recorded before the transport is called. ``resumed``: the same attempt again after a crash
    left the message in ``sending``."""

    TOPIC = "counterparty.message.DeliveryStarted.v1"
    attempt: int
    at: datetime
    resumed: bool = False


class MessageSent(DomainEvent):
    TOPIC = "counterparty.message.MessageSent.v1"
    attempt: int
    at: datetime
    transport: str
    transport_id: str | None = None


class DeliveryFailed(DomainEvent):
    """An attempt failed: tried again at ``retry_at``, or, when it is None, finally failed."""

    TOPIC = "counterparty.message.DeliveryFailed.v1"
    attempt: int
    at: datetime
    error: str
    retry_at: datetime | None


class LetterRendered(DomainEvent):
    """The PDF of a letter (or of the letter attached to an e-mail), stored by its hash."""

    TOPIC = "counterparty.message.LetterRendered.v1"
    sha256: str
    size: int


class MessageRead(DomainEvent):
    TOPIC = "counterparty.message.MessageRead.v1"
    at: datetime


class MessageBounced(DomainEvent):
    TOPIC = "counterparty.message.MessageBounced.v1"
    at: datetime
    reason: str


class Message(Aggregate):
    TOPIC = "counterparty.message.Message"

    composition: Composition
    queued_at: datetime
    status: MessageStatus
    attempts: int
    resumed: bool
    last_error: str | None
    started_at: datetime | None
    sent_at: datetime | None
    next_attempt_at: datetime | None
    pdf_sha256: str | None
    read_at: datetime | None

    @classmethod
    def queue(cls, id: UUID, composition: Composition, at: datetime) -> Message:
        if not composition.to.strip():
            raise conflict("no_recipient", "the message has nobody to go to")
        if composition.attach_letter is not None and composition.channel is not Channel.EMAIL:
            raise conflict("attach_letter_email_only", "only an e-mail carries an attached letter")
        return cls._create(MessageQueued, id=id, composition=composition, queued_at=at)

    @event(MessageQueued)
    def _queued(self, composition: Composition, queued_at: datetime) -> None:
        self.composition = composition
        self.queued_at = queued_at
        self.status = MessageStatus.QUEUED
        self.attempts = 0
        self.resumed = False
        self.last_error = None
        self.started_at = None
        self.sent_at = None
        self.next_attempt_at = queued_at
        self.pdf_sha256 = None
        self.read_at = None

    @property
    def channel(self) -> Channel:
        return self.composition.channel

    @property
    def needs_pdf(self) -> bool:
        return self.channel is Channel.LETTER or self.composition.attach_letter is not None

    # -- delivery ------------------------------------------------------------------------------

    def start_delivery(self, at: datetime) -> None:
        """Takes the message for one attempt; refused unless it is queued and due, so that of two
        senders racing on it exactly one records the start (the other loses the version race)."""
        if self.status is not MessageStatus.QUEUED:
            raise conflict("message_not_queued", f"the message is {self.status.value}")
        if self.next_attempt_at is not None and self.next_attempt_at > at:
            raise conflict("message_not_due", f"the next attempt is due at {self.next_attempt_at.isoformat()}")
        self._started(attempt=self.attempts + 1, at=at, resumed=False)

    def resume_delivery(self, at: datetime) -> None:
        """A crash left the message in ``sending`` (sent or not, nobody knows): the same attempt is
        made once more, with the same idempotency key. A second interruption ends it as failed."""
        if self.status is not MessageStatus.SENDING:
            raise conflict("message_not_sending", f"the message is {self.status.value}")
        if self.resumed:
            self._failed(
                attempt=self.attempts,
                at=at,
                error="delivery interrupted twice; whether it arrived is unknown",
                retry_at=None,
            )
            return
        self._started(attempt=self.attempts, at=at, resumed=True)

    @event(DeliveryStarted)
    def _started(self, attempt: int, at: datetime, resumed: bool) -> None:
        self.status = MessageStatus.SENDING
        self.attempts = attempt
        self.resumed = resumed
        self.started_at = at
        self.next_attempt_at = None

    def _check_attempt(self, attempt: int) -> bool:
        """Whether ``attempt`` is the one under way; a repeated report of a finished one is a no-op."""
        if self.status is MessageStatus.SENDING and attempt == self.attempts:
            return True
        if attempt <= self.attempts and self.status is not MessageStatus.SENDING:
            return False
        raise conflict("message_not_sending", f"attempt {attempt} of the message is not under way")

    def record_sent(self, attempt: int, at: datetime, transport: str, transport_id: str | None = None) -> None:
        if self._check_attempt(attempt):
            self._sent(attempt=attempt, at=at, transport=transport, transport_id=transport_id)

    @event(MessageSent)
    def _sent(self, attempt: int, at: datetime, transport: str, transport_id: str | None) -> None:
        self.status = MessageStatus.SENT
        self.sent_at = at
        self.last_error = None

    def record_failed(self, attempt: int, at: datetime, error: str, permanent: bool = False) -> None:
        """A failed attempt: tried again after a growing delay, until the last attempt."""
        if not self._check_attempt(attempt):
            return
        retry_at = None if permanent or attempt >= MAX_ATTEMPTS else at + retry_delay(attempt)
        self._failed(attempt=attempt, at=at, error=error[:1000], retry_at=retry_at)

    @event(DeliveryFailed)
    def _failed(self, attempt: int, at: datetime, error: str, retry_at: datetime | None) -> None:
        self.last_error = error
        self.resumed = False
        if retry_at is None:
            self.status = MessageStatus.FAILED
            self.next_attempt_at = None
        else:
            self.status = MessageStatus.QUEUED
            self.next_attempt_at = retry_at

    def record_letter(self, sha256: str, size: int) -> None:
        if not self.needs_pdf:
            raise conflict("no_letter", "the message has no letter to render")
        if self.pdf_sha256 == sha256:
            return
        if self.pdf_sha256 is not None:
            raise conflict("letter_already_rendered", "the message's letter was rendered already")
        self._letter_rendered(sha256=sha256, size=size)

    @event(LetterRendered)
    def _letter_rendered(self, sha256: str, size: int) -> None:
        self.pdf_sha256 = sha256

    # -- after delivery ------------------------------------------------------------------------

    def mark_read(self, at: datetime) -> None:
        if self.status is MessageStatus.READ:
            return
        if self.status is not MessageStatus.SENT:
            raise conflict("message_not_sent", f"the message is {self.status.value}")
        self._read(at=at)

    @event(MessageRead)
    def _read(self, at: datetime) -> None:
        self.status = MessageStatus.READ
        self.read_at = at

    def mark_bounced(self, at: datetime, reason: str) -> None:
        if self.status is MessageStatus.BOUNCED:
            return
        if self.status not in (MessageStatus.SENT, MessageStatus.READ):
            raise conflict("message_not_sent", f"the message is {self.status.value}")
        self._bounced(at=at, reason=reason[:1000])

    @event(MessageBounced)
    def _bounced(self, at: datetime, reason: str) -> None:
        self.status = MessageStatus.BOUNCED
        self.last_error = reason
