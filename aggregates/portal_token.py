"""Portal tokens: what lets one contact of a customer see the partner's own data under /v1/portal.
Like API keys, only the hash of the secret is ever recorded; the stream's id derives from it, so a
token is found (and revoked) by the secret alone."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, event, natural_id


class PortalTokenIssued(CreatedEvent):
    TOPIC = "counterparty.portal.PortalTokenIssued.v1"
    partner: UUID
    contact: UUID
    token_hash: str
    on: date


class PortalTokenRevoked(DomainEvent):
    TOPIC = "counterparty.portal.PortalTokenRevoked.v1"
    on: date


class PortalToken(Aggregate):
    TOPIC = "counterparty.portal.PortalToken"

    partner: UUID
    contact: UUID
    token_hash: str
    issued_on: date
    revoked_on: date | None

    @staticmethod
    def id_for(token_hash: str) -> UUID:
        return natural_id("portal-token", token_hash)

    @classmethod
    def issue(cls, partner: UUID, contact: UUID, token_hash: str, on: date) -> PortalToken:
        return cls._create(
            PortalTokenIssued, id=cls.id_for(token_hash), partner=partner, contact=contact, token_hash=token_hash, on=on
        )

    @event(PortalTokenIssued)
    def _issued(self, partner: UUID, contact: UUID, token_hash: str, on: date) -> None:
        self.partner = partner
        self.contact = contact
        self.token_hash = token_hash
        self.issued_on = on
        self.revoked_on = None

    def revoke(self, on: date) -> None:
        if self.revoked_on is None:
            self._revoked(on=on)

    @event(PortalTokenRevoked)
    def _revoked(self, on: date) -> None:
        self.revoked_on = on
