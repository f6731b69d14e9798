"""Events round-trip exactly through the store on SQLite and PostgreSQL: Decimal with its exponent,
date, datetime with its offset, enums, nested models, tuples and free-form custom fields come back
as the very types they were saved as. And a stored v1 event is upcast when it is read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, EventMeta, event
from aggregates.business_clock import BusinessClock, ClockStarted
from aggregates.partner import Partner
from aggregates.partner_addresses import Address
from aggregates.partner_contacts import Availability, Contact
from aggregates.partner_details import PartnerDetails, PartnerKind, Role
from services.bootstrap.container import Container

# The store is this module's subject: it runs on PostgreSQL too.
pytestmark = pytest.mark.postgres


def assert_exact(got: Any, want: Any, path: str = "") -> None:
    """Equal, and of the very same types all the way down (``==`` alone lets 1.1 pass for 1.10)."""
    assert type(got) is type(want), f"{path}: {type(got).__name__} is not {type(want).__name__}"
    if isinstance(want, BaseModel):
        for name in type(want).model_fields:
            assert_exact(getattr(got, name), getattr(want, name), f"{path}.{name}")
    elif isinstance(want, dict):
        assert list(got) == list(want), f"{path}: keys {list(got)} != {list(want)}"
        for key in want:
            assert_exact(got[key], want[key], f"{path}[{key!r}]")
    elif isinstance(want, list | tuple):
        assert len(got) == len(want), f"{path}: {got!r} != {want!r}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_exact(g, w, f"{path}[{i}]")
    elif isinstance(want, Decimal):
        assert str(got) == str(want), f"{path}: {got!r} != {want!r}"
    elif isinstance(want, datetime):
        assert (got, got.utcoffset()) == (want, want.utcoffset()), f"{path}: {got!r} != {want!r}"
    elif isinstance(want, Enum | float):
        assert got is want or got == want, f"{path}: {got!r} != {want!r}"
    else:
        assert got == want, f"{path}: {got!r} != {want!r}"


# -- strategies ----------------------------------------------------------------------------------

text = st.text(max_size=12)
words = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=12).filter(str.strip)
money = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("99999999.99"), places=2)
dates = st.dates()
offsets = st.just(UTC) | st.integers(-1439, 1439).map(lambda m: timezone(timedelta(minutes=m)))
naive = st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9000, 1, 1))
aware = st.builds(lambda dt, tz: dt.replace(tzinfo=tz), naive, offsets)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | text
    | st.floats(allow_nan=False, allow_infinity=False)
)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=8
)
custom_fields = st.dictionaries(st.text(alphabet="abcdefgh_", min_size=1, max_size=8), json_values, max_size=4)
tags = st.lists(words, max_size=3, unique=True).map(tuple)

details = st.builds(
    PartnerDetails,
    name=words,
    kind=st.sampled_from(PartnerKind),
    roles=st.lists(st.sampled_from(Role), min_size=1, max_size=4, unique=True).map(tuple),
    group=st.none() | words,
    tags=tags,
    email=st.none() | text,
    credit_limit=money,
    credit_check=st.booleans(),
    payment_terms_days=st.integers(0, 365),
    sales_reps=tags,
    dunning_grace_until=st.none() | dates,
    parent=st.none() | st.uuids(),
    custom_fields=custom_fields,
)
addresses = st.builds(
    Address,
    id=st.uuids(),
    usage=st.lists(st.sampled_from(["billing", "shipping", "tax"]), max_size=3, unique=True).map(tuple),
    street=text,
    city=text,
    country=text,
    is_default=st.booleans(),
)
availability = st.builds(Availability, weekday=st.integers(1, 7), start=st.just("09:00"), end=st.just("17:30"))
contacts = st.builds(
    Contact,
    id=st.uuids(),
    name=words,
    email=st.none() | text,
    responsibilities=st.lists(st.sampled_from(["billing", "technical"]), max_size=2, unique=True).map(tuple),
    availability=st.lists(availability, max_size=3).map(tuple),
    active=st.booleans(),
    custom_fields=custom_fields,
)
metas = st.builds(EventMeta, business_date=st.none() | dates, actor=st.none() | text, correlation=st.none() | text)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    details=details,
    created_on=dates,
    address=addresses,
    contact=contacts,
    note=words,
    stamps=st.lists(st.tuples(st.none() | naive | aware, st.none() | metas), min_size=8, max_size=8),
    start=aware,
    step=st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=3650)),
    day=dates,
)
def test_events_round_trip_with_exact_types(
    container: Container,
    details: PartnerDetails,
    created_on: date,
    address: Address,
    contact: Contact,
    note: str,
    stamps: list[tuple[datetime | None, EventMeta | None]],
    start: datetime,
    step: timedelta,
    day: date,
) -> None:
    partner = Partner.register(uuid4(), "P" + uuid4().hex[:8], details, created_on)
    partner.add_address(address)
    partner.add_contact(contact)
    partner.add_note(note, "private", created_on)
    partner.place_credit_hold(note, created_on)
    # the clock's events carry datetimes in their payload (its own id, so as not to meet the real one)
    business_clock = BusinessClock._create(ClockStarted, id=uuid4(), now=start)
    business_clock.move_to(start + step)
    business_clock.start_day(day, start + step)
    recorded = [*partner.collect_events(), *business_clock.collect_events()]
    # stamped as the command context stamps them when it saves
    events = [
        e.model_copy(update={"timestamp": ts, "meta": meta}) for e, (ts, meta) in zip(recorded, stamps, strict=True)
    ]

    before = container.store.head()
    position = container.store.save(events)

    logged = container.store.read(before)
    assert [x.position for x in logged][-1] == position
    assert len(logged) == len(events)
    for got, want in zip(logged, events, strict=True):
        assert_exact(got.event, want, type(want).__name__)
    loaded = container.store.get(partner.id)
    assert isinstance(loaded, Partner)
    assert_exact(loaded.details, partner.details, "details")
    assert_exact(loaded.details.credit_limit, details.credit_limit, "credit_limit")
    assert type(loaded.details.credit_limit) is Decimal
    assert type(loaded.details.kind) is PartnerKind
    assert all(type(r) is Role for r in loaded.details.roles)
    assert_exact(loaded.addresses, partner.addresses, "addresses")
    assert_exact(loaded.contacts, partner.contacts, "contacts")
    assert loaded.state() == partner.state()
    reloaded_clock = container.store.get(business_clock.id)
    assert isinstance(reloaded_clock, BusinessClock)
    assert_exact(reloaded_clock.now, business_clock.now, "clock.now")


# -- upcasting -----------------------------------------------------------------------------------


class ThingNamed(CreatedEvent):
    TOPIC = "counterparty.test.transcoding.ThingNamed.v1"
    name: str


class ThingRenamed(DomainEvent):
    """v1 recorded only the new name; v2 also records why."""

    TOPIC = "counterparty.test.transcoding.ThingRenamed.v1"
    class_version = 2
    name: str
    reason: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["reason"] = f"renamed to {state['name']} (before reasons were recorded)"


class Thing(Aggregate):
    TOPIC = "counterparty.test.transcoding.Thing"

    name: str
    reasons: list[str]

    @classmethod
    def create(cls, id: UUID, name: str) -> Thing:
        return cls._create(ThingNamed, id=id, name=name)

    @event(ThingNamed)
    def _named(self, name: str) -> None:
        self.name = name
        self.reasons = []

    def rename(self, name: str, reason: str) -> None:
        self._renamed(name=name, reason=reason)

    @event(ThingRenamed)
    def _renamed(self, name: str, reason: str) -> None:
        self.name = name
        self.reasons.append(reason)


def test_a_stored_v1_event_is_upcast_when_read(container: Container) -> None:
    thing = Thing.create(uuid4(), "Widget")
    container.store.save(thing.collect_events())
    # what the v1 class wrote: no reason, and no class_version key
    v1_state = {"timestamp": "2025-12-31T23:59:00+01:00", "meta": None, "name": "Gadget"}
    container.store.app.recorder.insert_events(
        [
            StoredEvent(
                originator_id=thing.id, originator_version=2, topic=ThingRenamed.TOPIC, state=orjson.dumps(v1_state)
            )
        ]
    )

    ours = [x.event for x in container.store.read(0) if x.event.originator_id == thing.id]
    assert [type(e) for e in ours] == [ThingNamed, ThingRenamed]
    renamed = ours[1]
    assert isinstance(renamed, ThingRenamed)
    assert renamed.originator_version == 2
    assert renamed.name == "Gadget"
    assert renamed.reason == "renamed to Gadget (before reasons were recorded)"
    assert renamed.timestamp == datetime(2025, 12, 31, 22, 59, tzinfo=UTC)
    assert renamed.timestamp.utcoffset() == timedelta(hours=1)

    loaded = container.store.get(thing.id)
    assert isinstance(loaded, Thing)
    assert (loaded.name, loaded.reasons, loaded.version) == (
        "Gadget",
        ["renamed to Gadget (before reasons were recorded)"],
        2,
    )

    # a v2 event is written with its class_version and read back without upcasting
    loaded.rename("Gizmo", "trademark")
    position = container.store.save(loaded.collect_events())
    raw = container.store.read_raw(position - 1, limit=1)[0]
    assert orjson.loads(raw.state)["class_version"] == 2
    assert orjson.loads(raw.state)["reason"] == "trademark"
    again = container.store.get(thing.id)
    assert isinstance(again, Thing)
    assert again.reasons == ["renamed to Gadget (before reasons were recorded)", "trademark"]
