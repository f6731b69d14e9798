"""The store on SQLite and PostgreSQL: save, load, concurrency, the log in order."""

from __future__ import annotations

from datetime import date

import pytest

from aggregates.partner import Partner
from aggregates.partner_details import PartnerDetails
from commands.context import ConcurrencyConflict
from services.bootstrap.container import Container

# The store is this module's subject: it runs on PostgreSQL too.
pytestmark = pytest.mark.postgres


def _details(name: str) -> PartnerDetails:
    return PartnerDetails(name=name)


def test_a_saved_partner_loads_with_exact_types(container: Container) -> None:
    from decimal import Decimal
    from uuid import uuid4

    partner = Partner.register(uuid4(), "ACME", PartnerDetails(name="Acme", credit_limit=Decimal("10.10")), date(2026, 1, 2))
    position = container.store.save(partner.collect_events())
    loaded = container.store.get(partner.id)
    assert isinstance(loaded, Partner)
    assert loaded.details.credit_limit == Decimal("10.10") and type(loaded.details.credit_limit) is Decimal
    assert loaded.created_on == date(2026, 1, 2)
    assert container.store.head() == position


def test_two_writers_on_one_version_one_wins(container: Container) -> None:
    from uuid import uuid4

    partner = Partner.register(uuid4(), "ACME", _details("Acme"), date(2026, 1, 2))
    container.store.save(partner.collect_events())
    first = container.store.get(partner.id)
    second = container.store.get(partner.id)
    assert isinstance(first, Partner) and isinstance(second, Partner)
    first.change_details({"name": "First"})
    second.change_details({"name": "Second"})
    container.store.save(first.collect_events())
    with pytest.raises(ConcurrencyConflict):
        container.store.save(second.collect_events())
    reloaded = container.store.get(partner.id)
    assert isinstance(reloaded, Partner) and reloaded.details.name == "First"
