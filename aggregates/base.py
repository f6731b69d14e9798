"""The building blocks of every aggregate: pydantic events with explicit topics, and a small
aggregate base whose private ``@event`` methods only mutate.

Events are frozen pydantic models, so ``Decimal``, ``date``, enums and nested value objects
round-trip exactly through the store's JSON encoding. Every concrete event names its stored topic
(``counterparty.<area>.<Name>.v<N>``) so that classes can move without breaking the log.
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar, Self, get_type_hints
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel, ConfigDict, create_model

from aggregates.personal import Personal, erase_state, is_personal, places

NAMESPACE = uuid5(NAMESPACE_URL, "https://counterparty.local/ids")


def natural_id(kind: str, *key: object) -> UUID:
    """The deterministic id of a natural key, so that the store refuses a duplicate."""
    return _name_id("/".join([kind, *(str(k) for k in key)]))


@functools.lru_cache(maxsize=1 << 16)
def _name_id(name: str) -> UUID:
    # A collection run derives the same ids (accounts, cases) over and over; uuid5 is SHA-1.
    return uuid5(NAMESPACE, name)


class Value(BaseModel):
    """An immutable value object. A deep copy (the aggregate cache hands every command one) can
    share it: nothing ever changes it in place."""

    model_config = ConfigDict(frozen=True)

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        return self


# What an aggregate's copy shares instead of copying (with enums and frozen models such as
# ``Value``s and events): nothing changes these in place.
IMMUTABLE: frozenset[type] = frozenset(
    {str, int, float, bool, bytes, type(None), UUID, date, datetime, time, timedelta, Decimal, frozenset}
)
# The types met so far whose values a copy shares: ``IMMUTABLE``, then each enum and frozen model
# type once it is met, so that copying a container asks one set lookup per value.
_shared: set[type] = set(IMMUTABLE)


def _copied(value: Any, memo: dict[int, Any]) -> Any:
    """A copy of the containers of an aggregate's state that shares the immutable values in them.

    ``copy.deepcopy`` rebuilds every ``UUID`` and ``date`` through ``__reduce_ex__``, dictionary
    keys included: for an account with its open items that was most of a cached load."""
    kind = type(value)
    if kind in _shared:
        return value
    if kind is dict:  # keys are hashable values
        return {key: v if type(v) in _shared else _copied(v, memo) for key, v in value.items()}
    if kind is list:
        return [v if type(v) in _shared else _copied(v, memo) for v in value]
    if kind is set:
        return set(value)  # members are hashable values
    if kind is tuple:
        return tuple(_copied(v, memo) for v in value)
    if issubclass(kind, Enum) or (issubclass(kind, BaseModel) and kind.model_config.get("frozen")):
        _shared.add(kind)
        return value
    return copy.deepcopy(value, memo)


class EventMeta(BaseModel):
    """Who and what caused an event, stamped by the command context when it is saved."""

    model_config = ConfigDict(frozen=True)

    business_date: date | None = None
    # The business clock's time when the event was recorded (the manual clock's, in demos and tests).
    business_time: datetime | None = None
    actor: str | None = None
    causation: str | None = None
    correlation: str | None = None


_topics: dict[str, type[DomainEvent]] = {}


class DomainEvent(BaseModel):
    """Something that happened to one aggregate. Subclasses declare ``TOPIC``."""

    model_config = ConfigDict(frozen=True)

    TOPIC: ClassVar[str] = ""
    class_version: ClassVar[int] = 1
    # Where the event carries a data subject's personal data (``aggregates.personal``).
    PERSONAL: ClassVar[tuple[Personal, ...]] = ()

    originator_id: UUID
    originator_version: int
    # Stamped when the event is saved: the wall-clock recording time and the metadata.
    timestamp: datetime | None = None
    meta: EventMeta | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        topic = cls.__dict__.get("TOPIC")
        if topic:
            if topic in _topics and _topics[topic].__qualname__ != cls.__qualname__:
                raise TypeError(f"topic {topic} already used by {_topics[topic]}")
            _topics[topic] = cls

    # The store's repository projects aggregates by calling ``mutate`` on each event.
    def mutate(self, aggregate: Any) -> Any:
        aggregate._apply(self)
        return aggregate


class CreatedEvent(DomainEvent):
    """The first event of a stream; it names the aggregate class."""

    originator_topic: str = ""

    def mutate(self, aggregate: Any) -> Any:
        cls = aggregate_classes[self.originator_topic]
        instance = cls.__new__(cls)
        instance._init_identity(self.originator_id)
        instance._apply(self)
        return instance


class Snapshot(DomainEvent):
    """An aggregate's whole state at a version, so a long stream loads from here plus its tail.

    A cache, not a fact: it is derived from the events and can be dropped at any time."""

    TOPIC = "counterparty.snapshot.Snapshot.v1"
    aggregate_topic: str
    state: dict[str, Any]

    def mutate(self, aggregate: Any) -> Any:
        cls = aggregate_classes[self.aggregate_topic]
        instance = cls.__new__(cls)
        instance._init_identity(self.originator_id)
        instance._restore(self.state)
        instance.version = self.originator_version
        return instance


def personal_specs(cls: type[DomainEvent], state: dict[str, Any]) -> tuple[Personal, ...]:
    """Where the JSON ``state`` of an event of ``cls`` holds personal data; a snapshot holds
    what its aggregate's state does."""
    if cls is Snapshot:
        aggregate = aggregate_classes.get(state.get("aggregate_topic", ""))
        if aggregate is None:
            return ()
        return tuple(
            Personal(f"state.{p.scope}".rstrip("."), p.fields, p.subject, p.when, p.known_only)
            for p in aggregate.PERSONAL_STATE
        )
    return cls.PERSONAL


def personal_subjects(e: DomainEvent) -> set[str]:
    """The data subjects whose personal values the event carries."""
    if not type(e).PERSONAL:
        return set()
    state = e.model_dump(mode="json")
    return {
        p.subject
        for p in places(personal_specs(type(e), state), state, str(e.originator_id))
        if is_personal(p.holder[p.key])
    }


def erased_copy(e: DomainEvent, subjects: set[str] | None = None) -> DomainEvent:
    """The event as it reads once ``subjects`` (all of its subjects, if None) are erased."""
    if not type(e).PERSONAL:
        return e
    state = e.model_dump(mode="json")
    if not erase_state(personal_specs(type(e), state), state, str(e.originator_id), subjects):
        return e
    return type(e).model_validate(state)


def event_classes() -> dict[str, type[DomainEvent]]:
    return dict(_topics)


def event_class(topic: str) -> type[DomainEvent]:
    return _topics[topic]


aggregate_classes: dict[str, type[Aggregate]] = {}

Method = Callable[..., None]


def event(event_cls: type[DomainEvent]) -> Callable[[Method], Method]:
    """Decorates a private method whose body applies ``event_cls``.

    Calling the method records the event (with the call's keyword arguments as its fields) and
    runs the body; replaying the log runs the same body with the stored event's fields.
    """

    def decorator(func: Method) -> Method:
        params = [p for p in inspect.signature(func).parameters if p != "self"]

        @functools.wraps(func)
        def trigger(self: Aggregate, **fields: Any) -> None:
            self._trigger(event_cls, fields)

        def apply(self: Aggregate, e: DomainEvent) -> None:
            func(self, **{name: getattr(e, name) for name in params})

        trigger.__applies__ = (event_cls, apply)  # type: ignore[attr-defined]
        return trigger

    return decorator


class Aggregate:
    """An event-sourced aggregate: state is the fold of its events."""

    TOPIC: ClassVar[str] = ""
    # Where a snapshot of the aggregate's state holds personal data (as ``DomainEvent.PERSONAL``).
    PERSONAL_STATE: ClassVar[tuple[Personal, ...]] = ()
    # Take a snapshot every N versions (0: never; short-lived streams need none).
    SNAPSHOT_EVERY: ClassVar[int] = 0
    _appliers: ClassVar[dict[type[DomainEvent], Callable[[Any, DomainEvent], None]]] = {}
    _state_model: ClassVar[type[BaseModel] | None] = None

    id: UUID
    version: int

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        appliers = dict(cls._appliers)
        for value in cls.__dict__.values():
            applies = getattr(value, "__applies__", None)
            if applies:
                appliers[applies[0]] = applies[1]
        cls._appliers = appliers
        if cls.__dict__.get("TOPIC"):
            aggregate_classes[cls.TOPIC] = cls

    def _init_identity(self, id: UUID) -> None:
        self.id = id
        self.version = 0
        self._pending: list[DomainEvent] = []

    @classmethod
    def _create(cls, event_cls: type[CreatedEvent], id: UUID, **fields: Any) -> Self:
        e = event_cls(originator_id=id, originator_version=1, originator_topic=cls.TOPIC, **fields)
        instance = e.mutate(None)
        instance._pending.append(e)
        return instance  # type: ignore[no-any-return]

    def _trigger(self, event_cls: type[DomainEvent], fields: dict[str, Any]) -> None:
        e = event_cls(originator_id=self.id, originator_version=self.version + 1, **fields)
        self._apply(e)
        self._pending.append(e)

    def _apply(self, e: DomainEvent) -> None:
        applier = self._appliers.get(type(e))
        if applier is None:
            raise TypeError(f"{type(self).__name__} cannot apply {type(e).__name__}")
        applier(self, e)
        self.version = e.originator_version

    def collect_events(self) -> list[DomainEvent]:
        events, self._pending = self._pending, []
        return events

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        """The copy the aggregate cache hands a command: its own containers, shared values."""
        twin = object.__new__(type(self))
        memo[id(self)] = twin
        twin.__dict__.update({name: v if type(v) in _shared else _copied(v, memo) for name, v in vars(self).items()})
        return twin

    @property
    def pending_events(self) -> list[DomainEvent]:
        return list(self._pending)

    def state(self) -> dict[str, Any]:
        """The aggregate's attributes, for audit replay and snapshots."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    @classmethod
    def state_model(cls) -> type[BaseModel]:
        """A pydantic model of the annotated attributes: it turns the JSON of a snapshot back
        into UUIDs, Decimals, enums, sets and value objects exactly."""
        if cls.__dict__.get("_state_model") is None:
            hints = {
                name: hint
                for name, hint in get_type_hints(cls).items()
                if not name.startswith("_")
                and name not in ("id", "version")
                and getattr(hint, "__origin__", None) is not ClassVar
                and hint is not ClassVar
            }
            # An attribute added later has a class-level default: older snapshots lack it.
            fields: dict[str, Any] = {name: (hint, cls.__dict__.get(name, ...)) for name, hint in hints.items()}
            cls._state_model = create_model(f"{cls.__name__}State", **fields)
        return cls.__dict__["_state_model"]  # type: ignore[no-any-return]

    def snapshot(self) -> Snapshot:
        state = {k: v for k, v in self.state().items() if k not in ("id", "version")}
        model = self.state_model()(**state)
        return Snapshot(
            originator_id=self.id,
            originator_version=self.version,
            aggregate_topic=self.TOPIC,
            state=model.model_dump(mode="json"),
        )

    def _restore(self, state: dict[str, Any]) -> None:
        model = self.state_model().model_validate(state)
        for name in type(model).model_fields:
            setattr(self, name, getattr(model, name))
