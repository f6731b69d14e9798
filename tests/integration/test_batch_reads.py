"""Many streams read at once (``EventStore.get_many``) and saved apart (``save_apart``) on SQLite
and PostgreSQL: the same aggregates as one load each, from a snapshot and the events after it;
each batch recorded or refused on its own."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from aggregates.partner import Partner
from aggregates.partner_details import PartnerDetails
from commands.context import ConcurrencyConflict
from services.bootstrap.container import Container
from tests.gwt import assert_same_state

pytestmark = pytest.mark.postgres

ON = date(2026, 1, 15)


def saved_partner(c: Container, code: str, changes: int, snapshot_at: int | None = None) -> Partner:
    partner = Partner.register(uuid4(), code, PartnerDetails(name=code), ON)
    for i in range(changes):
        partner.change_details({"phone": f"+49 30 {i:07d}"})
        if partner.version == snapshot_at:
            c.store.save(partner.collect_events())
            c.store.snapshot(partner)
    c.store.save(partner.collect_events())
    return partner


def test_many_streams_load_in_one_read_as_each_loads_alone(container: Container) -> None:
    c = container
    short = saved_partner(c, "SHORT", 2)
    long = saved_partner(c, "LONG", 70, snapshot_at=50)  # a snapshot at 50, then 21 events
    missing = uuid4()
    found = c.store.get_many([long.id, missing, short.id, long.id])
    assert set(found) == {short.id, long.id}
    for partner in (short, long):
        assert_same_state(c.store.get(partner.id), found[partner.id])
    assert (found[long.id].version, found[long.id].details.phone) == (71, "+49 30 0000069")  # type: ignore[attr-defined]
    assert c.store.get_many([missing]) == {}


def test_batches_saved_apart_are_recorded_or_refused_each_on_its_own(container: Container) -> None:
    c = container
    partner = saved_partner(c, "RACE", 0)
    stale = c.store.get(partner.id)
    fresh = c.store.get(partner.id)
    assert isinstance(stale, Partner) and isinstance(fresh, Partner)
    fresh.change_details({"name": "Fresh"})
    c.store.save(fresh.collect_events())
    stale.change_details({"name": "Stale"})
    other = Partner.register(uuid4(), "OTHER", PartnerDetails(name="Other"), ON)
    first, refused = c.store.save_apart([other.collect_events(), stale.collect_events()])
    assert isinstance(refused, ConcurrencyConflict)
    assert isinstance(first, int) and first == c.store.head()
    assert c.store.get(other.id).version == 1
    reloaded = c.store.get(partner.id)
    assert isinstance(reloaded, Partner) and (reloaded.details.name, reloaded.version) == ("Fresh", 2)
