"""Request types: the service level each type promises (days to due, tolerance, escalation) and
who gets its requests when no routing rule matches."""

from __future__ import annotations

from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, Value, event, natural_id


class TypeDefinition(Value):
    name: str
    due_days: int
    tolerance_days: int = 0
    escalate_after_days: int | None = None
    alert_when_overdue: bool = True
    # Who gets the type's requests when no routing rule matches (None: nobody).
    assign_to: str | None = None


class RequestTypeDefined(CreatedEvent):
    TOPIC = "counterparty.request.RequestTypeDefined.v1"
    code: str
    definition: TypeDefinition


class RequestTypeChanged(DomainEvent):
    TOPIC = "counterparty.request.RequestTypeChanged.v1"
    definition: TypeDefinition


class RequestType(Aggregate):
    TOPIC = "counterparty.request.RequestType"

    code: str
    definition: TypeDefinition

    @staticmethod
    def id_for(code: str) -> UUID:
        return natural_id("request-type", code)

    @classmethod
    def define(cls, code: str, definition: TypeDefinition) -> RequestType:
        return cls._create(RequestTypeDefined, id=cls.id_for(code), code=code, definition=definition)

    @event(RequestTypeDefined)
    def _defined(self, code: str, definition: TypeDefinition) -> None:
        self.code = code
        self.definition = definition

    def change(self, definition: TypeDefinition) -> None:
        if definition != self.definition:
            self._changed(definition=definition)

    @event(RequestTypeChanged)
    def _changed(self, definition: TypeDefinition) -> None:
        self.definition = definition
