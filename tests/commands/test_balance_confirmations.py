"""Balance confirmations on the in-memory store: a series numbers and sends one confirmation per
partner of its plan, batch by batch; resumed after a crash, or run again, it sends nobody a second
one; the customer answers once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from aggregates.balance_confirmation import (
    BalanceConfirmationConfirmed,
    BalanceConfirmationSent,
    BalanceConfirmationSeriesCompleted,
    BalanceConfirmationSeriesStarted,
    BalanceConfirmationsQueued,
    ConfirmedItem,
    CurrencyTotal,
)
from aggregates.errors import Conflict, Invalid
from aggregates.message import MessageQueued
from aggregates.template import Channel
from commands.balance_confirmations import (
    Planned,
    ReplyToConfirmation,
    SendConfirmations,
    StartBalanceConfirmations,
    prepare_series,
    reply_to_confirmation,
    send_confirmations,
    start_balance_confirmations,
)
from tests.commands.collection_helpers import register
from tests.gwt_commands import Flow

D = Decimal
AS_OF = date(2026, 1, 31)


def planned(partner: UUID, *open_amounts: str, currencies: tuple[str, ...] = ()) -> Planned:
    """The partner's items open then, in EUR unless ``currencies`` names each one's."""
    currencies = currencies or ("EUR",) * len(open_amounts)
    items = [
        ConfirmedItem(
            item=uuid4(),
            kind="invoice",
            document=uuid4(),
            number=f"IN2601-000{n}",
            due_date=date(2026, 1, 10 + n),
            amount=D("1230.00"),
            open_amount=D(amount),
            currency=currency,
        )
        for n, (amount, currency) in enumerate(zip(open_amounts, currencies, strict=True), start=1)
    ]
    return Planned(partner=partner, items=items)


class Plan:
    def __init__(self, rows: list[Planned]) -> None:
        self.rows = sorted(rows, key=lambda p: p.key)

    def plan(self, as_of: date, partners: tuple[UUID, ...], groups: tuple[str, ...]) -> list[Planned]:
        return self.rows


def series_flow() -> tuple[Flow, Plan, dict[UUID, str]]:
    flow = Flow(today=date(2026, 2, 5))
    alpha, beta = register(flow, "ALPHA"), register(flow, "BETA")
    plan = Plan([planned(alpha, "1230.00", "300.00"), planned(beta, "730.00")])
    return flow, plan, {alpha: "ALPHA", beta: "BETA"}


def start(flow: Flow, **fields: Any) -> Any:
    command = StartBalanceConfirmations.model_validate({"as_of": AS_OF, **fields})
    return flow.run(start_balance_confirmations, command).detail


def run(flow: Flow) -> Any:
    return lambda handler, command: flow.run(handler, command)


def test_a_series_sends_each_partner_one_numbered_confirmation_with_its_items_and_total() -> None:
    flow, plan, codes = series_flow()
    flow.mark = flow.store.head()
    progress = prepare_series(run(flow), plan, start(flow), batch=1)

    sent = flow.events(BalanceConfirmationSent)
    # In plan order (by partner id), one batch each, numbered from the series of the send date.
    assert [e.partner for e in sent] == [p.partner for p in plan.rows]
    assert [e.number for e in sent] == ["BC2602-0001", "BC2602-0002"]
    assert {codes[e.partner]: (e.as_of, e.total, [i.open_amount for i in e.items]) for e in sent} == {
        "ALPHA": (AS_OF, D("1530.00"), [D("1230.00"), D("300.00")]),
        "BETA": (AS_OF, D("730.00"), [D("730.00")]),
    }
    assert [type(e) for e in flow.new if type(e).__name__.startswith("BalanceConfirmation")] == [
        BalanceConfirmationSeriesStarted,
        BalanceConfirmationsQueued,
        BalanceConfirmationSent,
        BalanceConfirmationsQueued,
        BalanceConfirmationSent,
        BalanceConfirmationSeriesCompleted,
    ]
    assert (progress.sent, progress.completed) == (2, True)
    messages = {e.originator_id: e for e in flow.events(MessageQueued)}
    for confirmation in sent:
        composition = messages[confirmation.message].composition
        code = codes[confirmation.partner].lower()
        assert (composition.channel, composition.template, composition.to) == (
            Channel.EMAIL,
            "BC-EMAIL-EN",
            f"ap@{code}.example",
        )
        assert composition.subject == f"Balance confirmation {confirmation.number} as of Jan 31, 2026"
        assert composition.attach_letter is not None and composition.attach_letter.template == "BC-LETTER-EN"


def test_a_partner_owing_in_two_currencies_gets_one_confirmation_with_a_total_per_currency() -> None:
    flow = Flow(today=date(2026, 2, 5))
    pid = register(flow, "TWOCUR")  # a EUR customer with a USD invoice besides its EUR ones
    plan = Plan([planned(pid, "1230.00", "200.00", "300.00", currencies=("EUR", "USD", "EUR"))])
    prepare_series(run(flow), plan, start(flow))

    (sent,) = flow.events(BalanceConfirmationSent)
    assert [(i.open_amount, i.currency) for i in sent.items] == [
        (D("1230.00"), "EUR"),
        (D("200.00"), "USD"),
        (D("300.00"), "EUR"),
    ]
    # The partner's currency first; ``currency`` and ``total`` are its.
    assert sent.totals == (
        CurrencyTotal(currency="EUR", total=D("1530.00")),
        CurrencyTotal(currency="USD", total=D("200.00")),
    )
    assert (sent.currency, sent.total) == ("EUR", D("1530.00"))
    (queued,) = flow.events(MessageQueued)
    assert "Total open: €1,530.00" in queued.composition.body
    assert "Total open: $200.00" in queued.composition.body


def test_a_series_resumed_after_a_crash_or_posted_again_sends_nobody_a_second_confirmation() -> None:
    flow, plan, _ = series_flow()
    first = start(flow)
    # The preparer sends its first batch, then crashes before the second.
    flow.run(send_confirmations, SendConfirmations(series=first.series, batch=1, planned=plan.rows[:1]))
    again = start(flow)  # the same request names the same series and resumes it
    assert (again.series, again.batches, again.sent, again.completed) == (first.series, 1, 1, False)
    done = prepare_series(run(flow), plan, again, batch=1)
    assert (done.sent, done.completed) == (2, True)
    assert len(flow.events(BalanceConfirmationSent)) == 2
    flow.mark = flow.store.head()
    prepare_series(run(flow), plan, start(flow), batch=1)
    assert flow.new == []


def test_the_customer_answers_once() -> None:
    flow, plan, _codes = series_flow()
    prepare_series(run(flow), plan, start(flow))
    confirmation = flow.events(BalanceConfirmationSent)[0].originator_id
    answer = ReplyToConfirmation.model_validate(
        {"confirmation": confirmation, "status": "confirmed", "comment": "All correct"}
    )
    flow.on(date(2026, 2, 9)).when(reply_to_confirmation, answer)
    (confirmed,) = flow.then(BalanceConfirmationConfirmed)
    assert (confirmed.comment, confirmed.by, confirmed.on) == ("All correct", "test", date(2026, 2, 9))
    disputed = ReplyToConfirmation.model_validate({"confirmation": confirmation, "status": "disputed"})
    flow.when(reply_to_confirmation, disputed).then_raises(Conflict, "already_answered")


def test_bad_input_is_refused_at_its_field() -> None:
    flow, _plan, _codes = series_flow()
    cases = [
        ({"as_of": date(2026, 2, 6)}, ["body", "as_of"]),
        ({"partners": ["ALPHA", "NOPE"]}, ["body", "partners", 1]),
        ({"groups": ["NOGROUP"]}, ["body", "groups", 0]),
        ({"template": "NOTEMPLATE"}, ["body", "template"]),
    ]
    for fields, loc in cases:
        command = StartBalanceConfirmations.model_validate({"as_of": AS_OF, **fields})
        flow.when(start_balance_confirmations, command)
        assert flow.then_raises(Invalid).errors[0]["loc"] == loc
