"""An inbound e-mail, recorded once by its Message-ID with what was done with it: the id derives
from the Message-ID, so a second delivery of the same mail finds the first record (and the store
refuses a concurrent duplicate) instead of acting twice."""

from __future__ import annotations

from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, event, natural_id


class EmailReceived(CreatedEvent):
    """``action`` says how the mail was handled (``commented``, ``opened``, …) and ``ref`` names
    what it acted on (the request, the bounced message)."""

    TOPIC = "counterparty.inbound.EmailReceived.v1"
    message_id: str
    sender: str
    subject: str
    action: str
    ref: UUID | None


class InboundEmail(Aggregate):
    TOPIC = "counterparty.inbound.InboundEmail"

    message_id: str
    sender: str
    subject: str
    action: str
    ref: UUID | None

    @staticmethod
    def id_for(message_id: str) -> UUID:
        return natural_id("inbound-email", message_id)

    @classmethod
    def receive(cls, message_id: str, sender: str, subject: str, action: str, ref: UUID | None) -> InboundEmail:
        return cls._create(
            EmailReceived,
            id=cls.id_for(message_id),
            message_id=message_id,
            sender=sender,
            subject=subject,
            action=action,
            ref=ref,
        )

    @event(EmailReceived)
    def _received(self, message_id: str, sender: str, subject: str, action: str, ref: UUID | None) -> None:
        self.message_id = message_id
        self.sender = sender
        self.subject = subject
        self.action = action
        self.ref = ref
