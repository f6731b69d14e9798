"""Routing: the rules that assign an opened request, and the type given to requests that arrive
without one."""

from __future__ import annotations

from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, Value, event, natural_id


class RoutingRule(Value):
    id: UUID
    type: str | None = None
    keyword: str | None = None
    assign_to: str

    def matches(self, type_code: str, text: str) -> bool:
        if self.type is not None and self.type != type_code:
            return False
        return self.keyword is None or self.keyword.casefold() in text.casefold()


class RoutingOpened(CreatedEvent):
    TOPIC = "counterparty.request.RoutingOpened.v1"


class RoutingRuleAdded(DomainEvent):
    TOPIC = "counterparty.request.RoutingRuleAdded.v1"
    rule: RoutingRule


class RoutingRuleRemoved(DomainEvent):
    TOPIC = "counterparty.request.RoutingRuleRemoved.v1"
    rule_id: UUID


class DefaultTypeSet(DomainEvent):
    TOPIC = "counterparty.request.DefaultTypeSet.v1"
    type: str


ROUTING_ID: UUID = natural_id("request-routing", "main")


class Routing(Aggregate):
    """The routing rules in their order (the first rule that matches a request assigns it), and
    the type given to requests that arrive without one (opened by e-mail)."""

    TOPIC = "counterparty.request.Routing"
    SNAPSHOT_EVERY = 50

    rules: list[RoutingRule]
    default_type: str | None

    @classmethod
    def open(cls) -> Routing:
        return cls._create(RoutingOpened, id=ROUTING_ID)

    @event(RoutingOpened)
    def _opened(self) -> None:
        self.rules = []
        self.default_type = None

    def set_default_type(self, code: str) -> None:
        if code != self.default_type:
            self._default_type_set(type=code)

    @event(DefaultTypeSet)
    def _default_type_set(self, type: str) -> None:
        self.default_type = type

    def add(self, rule: RoutingRule) -> None:
        self._added(rule=rule)

    @event(RoutingRuleAdded)
    def _added(self, rule: RoutingRule) -> None:
        self.rules.append(rule)

    def remove(self, rule_id: UUID) -> None:
        if any(r.id == rule_id for r in self.rules):
            self._removed(rule_id=rule_id)

    @event(RoutingRuleRemoved)
    def _removed(self, rule_id: UUID) -> None:
        self.rules = [r for r in self.rules if r.id != rule_id]

    def route(self, type_code: str, text: str) -> str | None:
        return next((r.assign_to for r in self.rules if r.matches(type_code, text)), None)
