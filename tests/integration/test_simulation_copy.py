"""The simulation's copy of the books keeps what it saved in memory: its readers get the events
and the aggregates exactly as decoding them from its database would give them back."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from aggregates.account import Account
from projections.log import LoggedEvent
from services.adapters.personal_data import master_key
from services.adapters.store import EventStore
from services.bootstrap.simulation_copy import CopyStore
from services.cli.bench.data import billed_partner, invoice_events, stamped

DAY = date(2026, 1, 15)


def _decoded(store: CopyStore, after: int, limit: int, upto: int | None) -> list[tuple[int, dict[str, Any]]]:
    """The page as the database has it, decoded afresh."""
    found = store.app.recorder.select_notifications(start=after, limit=limit, stop=upto, inclusive_of_start=False)
    return [(n.id, store.app.mapper.to_domain_event(n).model_dump(mode="json")) for n in found]


def _page(logged: list[LoggedEvent]) -> list[tuple[int, dict[str, Any]]]:
    return [(e.position, e.event.model_dump(mode="json")) for e in logged]


def test_the_copy_answers_its_reads_from_what_it_saved_as_its_database_would(tmp_path: Path) -> None:
    store = CopyStore(f"sqlite:///{tmp_path / 'copy.db'}", master_key(None, tmp_path))
    try:
        partner = billed_partner(1, "C", DAY)  # its billing contact's e-mail is personal data
        account = Account.open_for(partner.id)
        first = invoice_events(account, partner, "IN-1", DAY, 2, 1)
        store.save(stamped([*first, *partner.collect_events(), *account.collect_events()], DAY))
        second = invoice_events(account, partner, "IN-2", DAY, 1, 2)
        store.save(stamped([*second, *account.collect_events()], DAY))
        head = store.head()
        assert head >= 8

        for after, limit, upto in [(0, 1000, None), (2, 3, None), (1, 1000, head - 2), (head, 1000, None)]:
            assert _page(store.read(after, limit, upto)) == _decoded(store, after, limit, upto)
        ids = [partner.id, account.id, first[0].originator_id, second[0].originator_id]
        kept, fresh = store.get_many(ids), EventStore.get_many(store, ids)
        assert {i: a.state() for i, a in kept.items()} == {i: a.state() for i, a in fresh.items()}
        assert kept[account.id] is not store.get_many([account.id])[account.id]  # each reader has its own to change
    finally:
        store.close()
