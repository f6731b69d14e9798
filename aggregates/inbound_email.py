"""An inbound e-mail, recorded once by its Message-ID with what was done with it: the id derives
from the Message-ID, so a second delivery of the same mail finds the first record (and the store
refuses a concurrent duplicate) instead of acting twice."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, event, natural_id
from aggregates.personal import Personal


class EmailReceived(CreatedEvent):
    """``action`` says how the mail was handled (``commented``, ``opened``, …) and ``ref`` names
    what it acted on (the request, the bounced message). ``partner`` and ``contact``: whose
    address ``sender`` is, when known (version 1 did not say): the sender is their personal data."""

    TOPIC = "counterparty.inbound.EmailReceived.v1"
    class_version = 2
    PERSONAL = (
        Personal("", ("sender",), subject="contact"),
        Personal("", ("sender",), subject="partner", when=lambda s: s.get("contact") is None, known_only=True),
    )
    message_id: str
    sender: str
    subject: str
    action: str
    ref: UUID | None
    partner: UUID | None
    contact: UUID | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["partner"] = state["contact"] = None


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
    def receive(
        cls,
        message_id: str,
        sender: str,
        subject: str,
        action: str,
        ref: UUID | None,
        partner: UUID | None = None,
        contact: UUID | None = None,
    ) -> InboundEmail:
        return cls._create(
            EmailReceived,
            id=cls.id_for(message_id),
            message_id=message_id,
            sender=sender,
            subject=subject,
            action=action,
            ref=ref,
            partner=partner,
            contact=contact,
        )

    @event(EmailReceived)
    def _received(self, message_id: str, sender: str, subject: str, action: str, ref: UUID | None) -> None:
        self.message_id = message_id
        self.sender = sender
        self.subject = subject
        self.action = action
        self.ref = ref
