"""API keys: a name, a role and the hash of the secret (the secret itself is never stored)."""

from __future__ import annotations

from enum import Enum
from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, event, natural_id
from aggregates.errors import conflict


class ApiRole(Enum):
    ADMIN = "admin"
    CLERK = "clerk"
    ANALYST = "analyst"
    AUDITOR = "auditor"


class ApiKeyIssued(CreatedEvent):
    TOPIC = "counterparty.apikey.ApiKeyIssued.v1"
    name: str
    role: ApiRole
    key_hash: str


class ApiKeyReissued(DomainEvent):
    TOPIC = "counterparty.apikey.ApiKeyReissued.v1"
    role: ApiRole
    key_hash: str


class ApiKeyRevoked(DomainEvent):
    TOPIC = "counterparty.apikey.ApiKeyRevoked.v1"


class ApiKey(Aggregate):
    TOPIC = "counterparty.apikey.ApiKey"

    name: str
    role: ApiRole
    key_hash: str
    revoked: bool

    @staticmethod
    def id_for(name: str) -> UUID:
        return natural_id("api-key", name)

    @classmethod
    def issue(cls, name: str, role: ApiRole, key_hash: str) -> ApiKey:
        return cls._create(ApiKeyIssued, id=cls.id_for(name), name=name, role=role, key_hash=key_hash)

    @event(ApiKeyIssued)
    def _issued(self, name: str, role: ApiRole, key_hash: str) -> None:
        self.name = name
        self.role = role
        self.key_hash = key_hash
        self.revoked = False

    def reissue(self, role: ApiRole, key_hash: str) -> None:
        if not self.revoked:
            raise conflict("api_key_exists", f"an API key named {self.name} exists; revoke it first")
        self._reissued(role=role, key_hash=key_hash)

    @event(ApiKeyReissued)
    def _reissued(self, role: ApiRole, key_hash: str) -> None:
        self.role = role
        self.key_hash = key_hash
        self.revoked = False

    def revoke(self) -> None:
        if not self.revoked:
            self._revoked()

    @event(ApiKeyRevoked)
    def _revoked(self) -> None:
        self.revoked = True
