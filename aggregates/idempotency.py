"""The record of an ``Idempotency-Key``: saved in the same transaction as the command it guards,
so a replay finds it and a concurrent duplicate is refused by the store."""

from __future__ import annotations

from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, event, natural_id


class IdempotencyKeyUsed(CreatedEvent):
    TOPIC = "counterparty.idempotency.IdempotencyKeyUsed.v1"
    key: str
    request_hash: str


class IdempotencyRecord(Aggregate):
    TOPIC = "counterparty.idempotency.IdempotencyRecord"

    key: str
    request_hash: str

    @staticmethod
    def id_for(actor: str, key: str) -> UUID:
        return natural_id("idempotency", actor, key)

    @classmethod
    def use(cls, actor: str, key: str, request_hash: str) -> IdempotencyRecord:
        return cls._create(IdempotencyKeyUsed, id=cls.id_for(actor, key), key=key, request_hash=request_hash)

    @event(IdempotencyKeyUsed)
    def _used(self, key: str, request_hash: str) -> None:
        self.key = key
        self.request_hash = request_hash
