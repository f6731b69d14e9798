"""The copy of an aggregate that the store's aggregate cache hands each command: its containers
are its own, so what one command changes never reaches the cache or another command, and its
immutable values (value objects, frozen models, ids, dates, amounts) are shared, not rebuilt."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from uuid import UUID

from aggregates.account import Account, ItemKind, ItemStatus, OpenItem
from aggregates.partner_group import GroupSettings, PartnerGroup
from tests.gwt import assert_same_state, replay

PARTNER = UUID("00000000-0000-4000-8000-0000000000c1")
ON = date(2026, 1, 15)


def item(n: int) -> OpenItem:
    item_id = UUID(int=n)
    return OpenItem(
        item_id=item_id,
        kind=ItemKind.INVOICE,
        document=item_id,
        number=f"INV-{n}",
        due_date=ON,
        amount=Decimal("100.00"),
        currency="EUR",
        booked_on=ON,
    )


def an_account() -> Account:
    account = Account.open_for(PARTNER)
    account.book(item(1), on=ON)
    account.book(item(2), on=ON)
    return account


def test_a_copy_changed_by_a_command_leaves_the_original_as_it_was() -> None:
    original = an_account()
    history = original.collect_events()
    twin = copy.deepcopy(original)
    twin.book(item(3), on=ON)
    twin.receive_payment(UUID(int=99), Decimal("100.00"), None, ON)
    assert list(original.items) == [UUID(int=1), UUID(int=2)]
    assert original.open == {UUID(int=1): Decimal("100.00"), UUID(int=2): Decimal("100.00")}
    assert original.pending_events == []
    assert_same_state(replay(history), original)
    assert list(twin.items) == [UUID(int=1), UUID(int=2), UUID(int=3)]
    assert (twin.status[UUID(int=1)], UUID(int=1) in twin.open) == (ItemStatus.SETTLED, False)
    assert original.status[UUID(int=1)] is ItemStatus.OPEN


def test_a_copy_shares_the_immutable_values_and_owns_the_containers() -> None:
    original = an_account()
    original.collect_events()
    twin = copy.deepcopy(original)
    assert_same_state(original, twin)
    assert twin.items is not original.items and twin.order is not original.order
    assert twin.items[UUID(int=1)] is original.items[UUID(int=1)]
    assert twin.order[0] is original.order[0]
    group = PartnerGroup.create("KEY", GroupSettings(name="Key accounts"))
    pending = group.pending_events
    twin_group = copy.deepcopy(group)
    assert twin_group.settings is group.settings  # a frozen model that is no ``Value``
    assert twin_group.pending_events == pending and twin_group.pending_events[0] is pending[0]
    assert twin_group._pending is not group._pending
