"""The partner's receivables ledger: given events, when a command method, then the events; and
properties of random sequences of bookings, payments and credit notes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import given as hypothesis_given
from hypothesis import strategies as st

from aggregates.account import (
    Account,
    AccountAbsorbed,
    AccountMergedAway,
    AccountOpened,
    Allocation,
    ChargeWaived,
    CreditNoteAllocated,
    ItemCancelled,
    ItemKind,
    ItemStatus,
    MovedItem,
    OpenItem,
    PaymentAllocated,
    ReceivableBooked,
    UnappliedCreditUsed,
)
from aggregates.base import DomainEvent
from aggregates.errors import Conflict, NotFound
from aggregates.money import ZERO
from tests.gwt import assert_same_state, given, like, replay

PARTNER = UUID("00000000-0000-4000-8000-0000000000b1")
OTHER_PARTNER = UUID("00000000-0000-4000-8000-0000000000b2")
ACCOUNT = Account.id_for(PARTNER)
OTHER_ACCOUNT = Account.id_for(OTHER_PARTNER)
INV_1 = UUID("00000000-0000-4000-8000-0000000001a1")
INV_2 = UUID("00000000-0000-4000-8000-0000000001a2")
INV_3 = UUID("00000000-0000-4000-8000-0000000001a3")
FEE = UUID("00000000-0000-4000-8000-0000000001f1")
INTEREST = UUID("00000000-0000-4000-8000-0000000001f2")
PAY_1 = UUID("00000000-0000-4000-8000-0000000002a1")
PAY_2 = UUID("00000000-0000-4000-8000-0000000002a2")
CN_1 = UUID("00000000-0000-4000-8000-0000000003a1")
ON = date(2026, 3, 2)


def D(value: str) -> Decimal:
    return Decimal(value)


def item(
    item_id: UUID, amount: str, due: date = date(2026, 3, 31), kind: ItemKind = ItemKind.INVOICE, number: str = "IN-1"
) -> OpenItem:
    return OpenItem(
        item_id=item_id,
        kind=kind,
        document=item_id if kind is ItemKind.INVOICE else None,
        number=number if kind is ItemKind.INVOICE else None,
        due_date=due,
        amount=D(amount),
        currency="EUR",
        booked_on=ON,
    )


def opened(partner: UUID = PARTNER) -> AccountOpened:
    return AccountOpened(
        originator_id=Account.id_for(partner), originator_version=1, originator_topic=Account.TOPIC, partner=partner
    )


def recorded(cls: type[DomainEvent], version: int, partner: UUID = PARTNER, **fields: Any) -> DomainEvent:
    return cls(originator_id=Account.id_for(partner), originator_version=version, partner=partner, **fields)


def booked(version: int, *args: Any, partner: UUID = PARTNER, **kwargs: Any) -> DomainEvent:
    return recorded(ReceivableBooked, version, partner, item=item(*args, **kwargs))


def alloc(item_id: UUID, amount: str) -> Allocation:
    return Allocation(item_id=item_id, amount=D(amount))


def paid(
    version: int, amount: str, *allocations: Allocation, unapplied: str = "0.00", payment: UUID = PAY_1
) -> DomainEvent:
    return recorded(
        PaymentAllocated,
        version,
        payment=payment,
        amount=D(amount),
        allocations=allocations,
        unapplied=D(unapplied),
        on=ON,
    )


def three_invoices() -> list[DomainEvent]:
    """Booked in this order: INV_1 due Apr 15 (100.00), INV_2 due Mar 31 (250.00), INV_3 due Apr 15 (40.00)."""
    return [
        opened(),
        booked(2, INV_1, "100.00", date(2026, 4, 15)),
        booked(3, INV_2, "250.00", date(2026, 3, 31)),
        booked(4, INV_3, "40.00", date(2026, 4, 15)),
    ]


def account(*events: DomainEvent) -> Account:
    built = replay(events)
    assert isinstance(built, Account)
    return built


# -- opening and booking ---------------------------------------------------------------------------


def test_open_an_account() -> None:
    a = (
        given()
        .when(lambda _: Account.open_for(PARTNER))
        .then(like(AccountOpened, originator_id=ACCOUNT, partner=PARTNER))
    )
    assert (a.items, a.open, a.unapplied, a.balance) == ({}, {}, ZERO, ZERO)


def test_book_an_invoice() -> None:
    invoice = item(INV_1, "467.40")
    a = (
        given(opened())
        .when(lambda a: a.book(invoice, ON))
        .then(like(ReceivableBooked, originator_version=2, partner=PARTNER, item=invoice))
    )
    assert a.open == {INV_1: D("467.40")}
    assert a.status == {INV_1: ItemStatus.OPEN}
    assert (a.open_total, a.balance) == (D("467.40"), D("467.40"))


def test_booking_the_same_item_again_records_nothing() -> None:
    given(opened(), booked(2, INV_1, "100.00")).when(lambda a: a.book(item(INV_1, "100.00"), ON)).then()


@pytest.mark.parametrize("amount", ["0.00", "-5.00"])
def test_booking_needs_a_positive_amount(amount: str) -> None:
    given(opened()).when(lambda a: a.book(item(INV_1, amount), ON)).then_raises(Conflict, code="amount_not_positive")


def test_a_later_booking_consumes_unapplied_credit() -> None:
    history = [opened(), paid(2, "80.00", unapplied="80.00")]
    a = (
        given(*history)
        .when(lambda a: a.book(item(INV_1, "50.00"), ON))
        .then(
            ReceivableBooked,
            like(UnappliedCreditUsed, partner=PARTNER, allocations=(alloc(INV_1, "50.00"),), on=ON),
        )
    )
    assert a.open == {}
    assert a.status[INV_1] is ItemStatus.SETTLED
    assert a.paid == {INV_1: D("50.00")}
    assert (a.unapplied, a.balance) == (D("30.00"), D("-30.00"))
    a = (
        given(*history)
        .when(lambda a: a.book(item(INV_1, "120.00"), ON))
        .then(ReceivableBooked, like(UnappliedCreditUsed, allocations=(alloc(INV_1, "80.00"),)))
    )
    assert a.open == {INV_1: D("40.00")}
    assert (a.unapplied, a.balance) == (ZERO, D("40.00"))


def test_unapplied_credit_goes_oldest_due_first_when_a_later_item_is_booked() -> None:
    # INV_2 stayed open (an explicit allocation elsewhere left the rest unapplied).
    history = [
        opened(),
        booked(2, INV_1, "100.00", date(2026, 4, 15)),
        booked(3, INV_2, "60.00", date(2026, 3, 31)),
        paid(4, "130.00", alloc(INV_1, "100.00"), unapplied="30.00"),
    ]
    a = (
        given(*history)
        .when(lambda a: a.book(item(INV_3, "10.00", date(2026, 3, 1)), ON))
        .then(ReceivableBooked, like(UnappliedCreditUsed, allocations=(alloc(INV_3, "10.00"), alloc(INV_2, "20.00"))))
    )
    assert a.open == {INV_2: D("40.00")}
    assert a.unapplied == ZERO


# -- payments, oldest due first --------------------------------------------------------------------


def test_a_payment_settles_the_oldest_due_first_ties_by_booking_order() -> None:
    a = (
        given(*three_invoices())
        .when(lambda a: a.receive_payment(PAY_1, D("300.00"), None, ON))
        .then(
            like(
                PaymentAllocated,
                partner=PARTNER,
                payment=PAY_1,
                amount=D("300.00"),
                allocations=(alloc(INV_2, "250.00"), alloc(INV_1, "50.00")),
                unapplied=ZERO,
                on=ON,
            )
        )
    )
    assert a.open == {INV_1: D("50.00"), INV_3: D("40.00")}
    assert a.status == {INV_1: ItemStatus.OPEN, INV_2: ItemStatus.SETTLED, INV_3: ItemStatus.OPEN}
    assert a.balance == D("90.00")


def test_a_payment_larger_than_everything_open_leaves_unapplied_credit() -> None:
    a = (
        given(*three_invoices())
        .when(lambda a: a.receive_payment(PAY_1, D("400.00"), None, ON))
        .then(
            like(
                PaymentAllocated,
                allocations=(alloc(INV_2, "250.00"), alloc(INV_1, "100.00"), alloc(INV_3, "40.00")),
                unapplied=D("10.00"),
            )
        )
    )
    assert a.open == {}
    assert (a.unapplied, a.balance) == (D("10.00"), D("-10.00"))


def test_fees_are_due_the_day_they_are_charged() -> None:
    history = [
        *three_invoices(),
        booked(5, FEE, "15.00", date(2026, 3, 20), kind=ItemKind.FEE),
    ]
    given(*history).when(lambda a: a.receive_payment(PAY_1, D("20.00"), None, ON)).then(
        like(PaymentAllocated, allocations=(alloc(FEE, "15.00"), alloc(INV_2, "5.00")))
    )


def test_a_payment_without_open_items_is_all_unapplied() -> None:
    a = (
        given(opened())
        .when(lambda a: a.receive_payment(PAY_1, D("12.34"), None, ON))
        .then(like(PaymentAllocated, allocations=(), unapplied=D("12.34")))
    )
    assert a.balance == D("-12.34")


@pytest.mark.parametrize("amount", ["0.00", "-1.00"])
def test_a_payment_needs_a_positive_amount(amount: str) -> None:
    given(*three_invoices()).when(lambda a: a.receive_payment(PAY_1, D(amount), None, ON)).then_raises(
        Conflict, code="amount_not_positive"
    )


# -- payments, explicit allocations ----------------------------------------------------------------


def test_explicit_allocations_are_kept_and_the_rest_is_unapplied() -> None:
    a = (
        given(*three_invoices())
        .when(lambda a: a.receive_payment(PAY_1, D("150.00"), [alloc(INV_3, "40.00"), alloc(INV_1, "60.00")], ON))
        .then(
            like(
                PaymentAllocated,
                amount=D("150.00"),
                allocations=(alloc(INV_3, "40.00"), alloc(INV_1, "60.00")),
                unapplied=D("50.00"),
            )
        )
    )
    # The rest does not go to INV_2: it waits as unapplied credit for items booked later.
    assert a.open == {INV_1: D("40.00"), INV_2: D("250.00")}
    assert a.unapplied == D("50.00")
    assert a.balance == D("240.00")
    assert a.paid == {INV_3: D("40.00"), INV_1: D("60.00")}


def test_an_empty_allocation_list_leaves_everything_unapplied() -> None:
    given(*three_invoices()).when(lambda a: a.receive_payment(PAY_1, D("10.00"), [], ON)).then(
        like(PaymentAllocated, allocations=(), unapplied=D("10.00"))
    )


@pytest.mark.parametrize(
    ("amount", "allocations", "code"),
    [
        ("200.00", [alloc(INV_1, "100.01")], "allocation_exceeds_open"),
        ("500.00", [alloc(INV_2, "250.00"), alloc(INV_1, "100.00"), alloc(INV_3, "40.00")], None),
        ("300.00", [alloc(INV_2, "250.00"), alloc(INV_1, "50.01")], "allocation_exceeds_payment"),
        ("99.99", [alloc(INV_1, "100.00")], "allocation_exceeds_payment"),
        ("100.00", [alloc(INV_1, "30.00"), alloc(INV_1, "30.00")], "duplicate_allocation"),
        ("100.00", [alloc(INV_1, "0.00")], "amount_not_positive"),
        ("100.00", [alloc(INV_1, "-1.00")], "amount_not_positive"),
    ],
)
def test_explicit_allocation_rules(amount: str, allocations: list[Allocation], code: str | None) -> None:
    scenario = given(*three_invoices()).when(lambda a: a.receive_payment(PAY_1, D(amount), allocations, ON))
    if code is None:
        scenario.then(like(PaymentAllocated, unapplied=D("110.00")))
    else:
        scenario.then_raises(Conflict, code=code)


def test_an_allocation_to_an_unknown_item_is_not_found() -> None:
    given(*three_invoices()).when(
        lambda a: a.receive_payment(PAY_1, D("10.00"), [alloc(UUID(int=404), "10.00")], ON)
    ).then_raises(NotFound, code="not_found")


def test_a_settled_item_takes_no_further_allocation() -> None:
    history = [*three_invoices(), paid(5, "100.00", alloc(INV_1, "100.00"))]
    given(*history).when(lambda a: a.receive_payment(PAY_2, D("10.00"), [alloc(INV_1, "10.00")], ON)).then_raises(
        Conflict, code="allocation_exceeds_open"
    )


# -- credit notes ----------------------------------------------------------------------------------


def test_a_credit_note_reduces_its_invoice() -> None:
    a = (
        given(*three_invoices())
        .when(lambda a: a.apply_credit_note(CN_1, D("30.00"), INV_1, ON))
        .then(
            like(
                CreditNoteAllocated,
                partner=PARTNER,
                credit_note=CN_1,
                amount=D("30.00"),
                allocations=(alloc(INV_1, "30.00"),),
                unapplied=ZERO,
                on=ON,
            )
        )
    )
    assert a.open[INV_1] == D("70.00")
    assert a.credited == {INV_1: D("30.00")}
    assert a.paid == {}


def test_a_credit_note_larger_than_its_invoice_leaves_the_rest_unapplied() -> None:
    a = (
        given(*three_invoices())
        .when(lambda a: a.apply_credit_note(CN_1, D("130.00"), INV_1, ON))
        .then(like(CreditNoteAllocated, allocations=(alloc(INV_1, "100.00"),), unapplied=D("30.00")))
    )
    assert INV_1 not in a.open
    assert a.status[INV_1] is ItemStatus.SETTLED
    # The rest is not pushed onto other open invoices.
    assert a.open == {INV_2: D("250.00"), INV_3: D("40.00")}
    assert a.balance == D("260.00")


@pytest.mark.parametrize("applies_to", [None, UUID(int=404)])
def test_a_credit_note_without_an_open_invoice_is_all_unapplied(applies_to: UUID | None) -> None:
    given(*three_invoices()).when(lambda a: a.apply_credit_note(CN_1, D("20.00"), applies_to, ON)).then(
        like(CreditNoteAllocated, allocations=(), unapplied=D("20.00"))
    )


def test_a_credit_note_for_a_settled_invoice_is_all_unapplied() -> None:
    history = [*three_invoices(), paid(5, "100.00", alloc(INV_1, "100.00"))]
    given(*history).when(lambda a: a.apply_credit_note(CN_1, D("20.00"), INV_1, ON)).then(
        like(CreditNoteAllocated, allocations=(), unapplied=D("20.00"))
    )


def test_a_credit_note_needs_a_positive_total() -> None:
    given(*three_invoices()).when(lambda a: a.apply_credit_note(CN_1, ZERO, INV_1, ON)).then_raises(
        Conflict, code="amount_not_positive"
    )


# -- cancelling and waiving ------------------------------------------------------------------------


def test_cancel_an_unpaid_item() -> None:
    a = (
        given(*three_invoices())
        .when(lambda a: a.cancel_item(INV_2, ON))
        .then(like(ItemCancelled, partner=PARTNER, item_id=INV_2, on=ON))
    )
    assert a.status[INV_2] is ItemStatus.CANCELLED
    assert a.balance == D("140.00")


def test_cancelling_twice_or_an_unknown_item_records_nothing() -> None:
    history = [*three_invoices(), recorded(ItemCancelled, 5, item_id=INV_2, on=ON)]
    given(*history).when(lambda a: a.cancel_item(INV_2, ON)).then()
    given(*three_invoices()).when(lambda a: a.cancel_item(UUID(int=404), ON)).then()


@pytest.mark.parametrize(
    "settlement",
    [
        paid(5, "10.00", alloc(INV_1, "10.00")),
        recorded(
            CreditNoteAllocated,
            5,
            credit_note=CN_1,
            amount=D("10.00"),
            allocations=(alloc(INV_1, "10.00"),),
            unapplied=ZERO,
            on=ON,
        ),
        paid(5, "100.00", alloc(INV_1, "100.00")),
    ],
)
def test_an_item_with_payments_or_credits_is_not_cancelled(settlement: DomainEvent) -> None:
    given(*three_invoices(), settlement).when(lambda a: a.cancel_item(INV_1, ON)).then_raises(
        Conflict, code="invoice_paid"
    )


@pytest.mark.parametrize(("item_id", "kind"), [(FEE, ItemKind.FEE), (INTEREST, ItemKind.INTEREST)])
def test_waive_a_fee_or_interest(item_id: UUID, kind: ItemKind) -> None:
    history = [*three_invoices(), booked(5, item_id, "7.50", ON, kind=kind)]
    a = (
        given(*history)
        .when(lambda a: a.waive(item_id, "goodwill", ON))
        .then(like(ChargeWaived, partner=PARTNER, item_id=item_id, amount=D("7.50"), reason="goodwill", on=ON))
    )
    assert a.status[item_id] is ItemStatus.WAIVED
    assert item_id not in a.open
    assert a.balance == D("390.00")


def test_waive_the_rest_of_a_partly_paid_fee() -> None:
    history = [opened(), booked(2, FEE, "20.00", ON, kind=ItemKind.FEE), paid(3, "5.00", alloc(FEE, "5.00"))]
    a = given(*history).when(lambda a: a.waive(FEE, "goodwill", ON)).then(like(ChargeWaived, amount=D("15.00")))
    assert a.balance == ZERO


def test_what_is_not_waived() -> None:
    fee = booked(5, FEE, "7.50", ON, kind=ItemKind.FEE)
    given(*three_invoices()).when(lambda a: a.waive(INV_1, "no", ON)).then_raises(Conflict, code="not_a_charge")
    given(*three_invoices()).when(lambda a: a.waive(UUID(int=404), "no", ON)).then_raises(NotFound)
    waived = recorded(ChargeWaived, 6, item_id=FEE, amount=D("7.50"), reason="x", on=ON)
    given(*three_invoices(), fee, waived).when(lambda a: a.waive(FEE, "again", ON)).then_raises(
        Conflict, code="charge_not_open"
    )
    settled = paid(6, "7.50", alloc(FEE, "7.50"))
    given(*three_invoices(), fee, settled).when(lambda a: a.waive(FEE, "late", ON)).then_raises(
        Conflict, code="charge_not_open"
    )
    cancelled = recorded(ItemCancelled, 6, item_id=FEE, on=ON)
    given(*three_invoices(), fee, cancelled).when(lambda a: a.waive(FEE, "late", ON)).then_raises(
        Conflict, code="charge_not_open"
    )


def test_a_waived_charge_never_comes_back() -> None:
    history = [
        opened(),
        booked(2, FEE, "7.50", ON, kind=ItemKind.FEE),
        recorded(ChargeWaived, 3, item_id=FEE, amount=D("7.50"), reason="x", on=ON),
    ]
    # Booking the same charge again is a repeat and a payment does not reach it.
    given(*history).when(lambda a: a.book(item(FEE, "7.50", ON, kind=ItemKind.FEE), ON)).then()
    a = (
        given(*history)
        .when(lambda a: a.receive_payment(PAY_1, D("7.50"), None, ON))
        .then(like(PaymentAllocated, allocations=(), unapplied=D("7.50")))
    )
    assert a.status[FEE] is ItemStatus.WAIVED


# -- merging ---------------------------------------------------------------------------------------


def test_absorb_moves_open_items_and_credit() -> None:
    absorbed = account(
        opened(OTHER_PARTNER),
        booked(2, INV_3, "40.00", date(2026, 3, 1), partner=OTHER_PARTNER),
        booked(3, FEE, "5.00", ON, kind=ItemKind.FEE, partner=OTHER_PARTNER),
        booked(4, INTEREST, "2.00", ON, kind=ItemKind.INTEREST, partner=OTHER_PARTNER),
        recorded(
            PaymentAllocated,
            5,
            OTHER_PARTNER,
            payment=PAY_2,
            amount=D("20.00"),
            allocations=(alloc(INV_3, "15.00"), alloc(FEE, "5.00")),
            unapplied=D("0.00"),
            on=ON,
        ),
        recorded(
            CreditNoteAllocated,
            6,
            OTHER_PARTNER,
            credit_note=CN_1,
            amount=D("12.00"),
            allocations=(alloc(INV_3, "10.00"),),
            unapplied=D("2.00"),
            on=ON,
        ),
        recorded(
            PaymentAllocated,
            7,
            OTHER_PARTNER,
            payment=PAY_1,
            amount=D("1.00"),
            allocations=(),
            unapplied=D("1.00"),
            on=ON,
        ),
    )
    assert absorbed.balance == D("14.00")  # 15.00 + 2.00 open, 3.00 unapplied
    history = [opened(), booked(2, INV_1, "100.00", date(2026, 4, 15))]
    a = (
        given(*history)
        .when(lambda a: a.absorb(absorbed, ON))
        .then(
            like(
                AccountAbsorbed,
                partner=PARTNER,
                absorbed_partner=OTHER_PARTNER,
                items=(
                    MovedItem(
                        item=item(INV_3, "40.00", date(2026, 3, 1)),
                        open=D("15.00"),
                        paid=D("15.00"),
                        credited=D("10.00"),
                    ),
                    MovedItem(
                        item=item(INTEREST, "2.00", ON, kind=ItemKind.INTEREST),
                        open=D("2.00"),
                        paid=ZERO,
                        credited=ZERO,
                    ),
                ),
                unapplied=D("3.00"),
                on=ON,
            )
        )
    )
    assert a.open == {INV_1: D("100.00"), INV_3: D("15.00"), INTEREST: D("2.00")}
    assert a.unapplied == D("3.00")
    assert a.balance == D("114.00")
    # The moved item keeps its payments: it cannot be cancelled on the survivor either.
    with pytest.raises(Conflict) as error:
        a.cancel_item(INV_3, ON)
    assert error.value.code == "invoice_paid"
    # The absorbed account recorded that it was merged away and holds nothing.
    merged = absorbed.collect_events()
    assert [type(e) for e in merged] == [AccountMergedAway]
    assert (merged[0].originator_version, merged[0].survivor) == (8, PARTNER)  # type: ignore[attr-defined]
    assert (absorbed.open, absorbed.unapplied, absorbed.balance) == ({}, ZERO, ZERO)
    # The survivor's next payment goes oldest due first across both ledgers.
    a.receive_payment(PAY_2, D("20.00"), None, ON)
    [e] = a.collect_events()[-1:]
    assert isinstance(e, PaymentAllocated)
    assert e.allocations == (alloc(INV_3, "15.00"), alloc(INTEREST, "2.00"), alloc(INV_1, "3.00"))
    assert a.unapplied == D("3.00")


# -- properties ------------------------------------------------------------------------------------

CENTS = st.integers(min_value=1, max_value=100_000).map(lambda n: Decimal(n).scaleb(-2))


@st.composite
def operations(draw: st.DrawFn) -> list[tuple[Any, ...]]:
    ops: list[tuple[Any, ...]] = []
    for _ in range(draw(st.integers(min_value=1, max_value=25))):
        kind = draw(st.sampled_from(["book", "book", "pay", "pay_explicit", "credit"]))
        if kind == "book":
            ops.append(("book", draw(CENTS), draw(st.integers(min_value=0, max_value=60))))
        elif kind == "pay":
            ops.append(("pay", draw(CENTS)))
        elif kind == "pay_explicit":
            # (item index, share of the open amount in percent; > 100 asks for more than is open)
            picks = draw(
                st.lists(
                    st.tuples(st.integers(min_value=0, max_value=30), st.integers(min_value=1, max_value=110)),
                    max_size=4,
                )
            )
            ops.append(("pay_explicit", draw(CENTS), picks))
        else:
            ops.append(("credit", draw(CENTS), draw(st.integers(min_value=-1, max_value=30))))
    return ops


def _allocations(e: DomainEvent) -> tuple[Allocation, ...]:
    return getattr(e, "allocations", ())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@hypothesis_given(operations())
def test_ledger_properties(ops: list[tuple[Any, ...]]) -> None:
    a = Account.open_for(PARTNER)
    history: list[DomainEvent] = a.collect_events()
    booked_total = ZERO
    ids: list[UUID] = []
    for n, op in enumerate(ops):
        before = a.state()
        unapplied_before = a.unapplied
        try:
            if op[0] == "book":
                item_id = UUID(int=0x1000 + n)
                ids.append(item_id)
                a.book(item(item_id, str(op[1]), ON + timedelta(days=op[2])), ON)
                booked_total += op[1]
            elif op[0] == "pay":
                a.receive_payment(UUID(int=0x2000 + n), op[1], None, ON)
            elif op[0] == "pay_explicit":
                allocations = [
                    Allocation(
                        item_id=ids[i % len(ids)],
                        amount=(a.open.get(ids[i % len(ids)], D("1.00")) * share / 100).quantize(D("0.01")),
                    )
                    for i, share in op[2]
                    if ids
                ]
                a.receive_payment(UUID(int=0x2000 + n), op[1], allocations, ON)
            else:
                applies_to = ids[op[2] % len(ids)] if ids and op[2] >= 0 else None
                a.apply_credit_note(UUID(int=0x3000 + n), op[1], applies_to, ON)
        except (Conflict, NotFound):
            assert a.pending_events == []
            assert a.state() == before  # a refusal changes nothing
            continue
        new = a.collect_events()
        history += new
        for e in new:
            allocated = sum((x.amount for x in _allocations(e)), ZERO)
            assert all(x.amount > 0 for x in _allocations(e))
            if isinstance(e, PaymentAllocated | CreditNoteAllocated):
                # Never more allocated than the payment; what is not allocated is unapplied.
                assert allocated <= e.amount
                assert allocated + e.unapplied == e.amount
                assert e.unapplied >= 0
            if isinstance(e, UnappliedCreditUsed):
                # Only a booking uses credit, and never more than was waiting.
                assert op[0] == "book"
                assert allocated <= unapplied_before
        # Credit waits only while nothing is open to take it: a booking uses what is waiting, and
        # a payment without allocations leaves a rest only once everything open is settled.
        if op[0] == "book" or (op[0] == "pay" and a.unapplied > unapplied_before):
            assert a.unapplied == 0 or not a.open
        # Open amounts are never negative, and settled items leave the open list.
        assert all(amount > 0 for amount in a.open.values())
        assert a.unapplied >= 0
        assert all(a.status[i] is ItemStatus.OPEN for i in a.open)
        assert a.balance == sum(a.open.values(), ZERO) - a.unapplied
        # Conservation: every booked cent is still open or was allocated by a payment or credit.
        allocated_total = sum(a.paid.values(), ZERO) + sum(a.credited.values(), ZERO)
        assert booked_total == sum(a.open.values(), ZERO) + allocated_total
        for item_id in a.items:
            assert a.items[item_id].amount == (
                a.open.get(item_id, ZERO) + a.paid.get(item_id, ZERO) + a.credited.get(item_id, ZERO)
            )
        # Money in = money allocated + money waiting.
        money_in = sum(
            (e.amount for e in history if isinstance(e, PaymentAllocated | CreditNoteAllocated)),
            ZERO,
        )
        assert money_in == allocated_total + a.unapplied
    replayed = replay(history)
    assert replayed is not None
    assert_same_state(replayed, a)
