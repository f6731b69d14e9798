"""A claim on a unique natural key (a partner code, a document number).

The claim's id is derived from the key, so the store's optimistic concurrency refuses a second
claim even when two processes race; the claim outlives whatever it names (a merged partner's code
stays taken)."""

from __future__ import annotations

from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, event, natural_id


class CodeClaimed(CreatedEvent):
    TOPIC = "counterparty.code.CodeClaimed.v1"
    namespace: str
    code: str
    owner: UUID


class CodeClaim(Aggregate):
    TOPIC = "counterparty.code.CodeClaim"

    namespace: str
    code: str
    owner: UUID

    @staticmethod
    def id_for(namespace: str, code: str) -> UUID:
        return natural_id("code", namespace, code)

    @classmethod
    def claim(cls, namespace: str, code: str, owner: UUID) -> CodeClaim:
        return cls._create(CodeClaimed, id=cls.id_for(namespace, code), namespace=namespace, code=code, owner=owner)

    @event(CodeClaimed)
    def _claimed(self, namespace: str, code: str, owner: UUID) -> None:
        self.namespace = namespace
        self.code = code
        self.owner = owner
