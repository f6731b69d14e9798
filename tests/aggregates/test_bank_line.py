"""Unmatched bank lines: recorded under the id of the line, assigned once, always to the payment
whose id derives from the line (so the consumer and a clerk cannot both book it)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

from aggregates.bank_line import BankLine, BankLineAssigned, BankLineUnmatched
from aggregates.errors import Conflict
from tests.gwt import given, like

PARTNER = uuid4()
ON = date(2026, 1, 15)
REASON = "no partner code and no invoice number in the reference"


def unmatched() -> BankLineUnmatched:
    return BankLineUnmatched(
        originator_id=BankLine.id_for("ST-6"),
        originator_version=1,
        originator_topic=BankLine.TOPIC,
        line="ST-6",
        date=ON,
        amount=Decimal("12.34"),
        currency="EUR",
        reference="gift",
        partner_code=None,
        iban="DE89370400440532013000",
        reason=REASON,
    )


def test_an_unmatched_line_is_recorded_under_the_id_of_the_line() -> None:
    line = (
        given()
        .when(
            lambda _: BankLine.unmatched(
                "ST-6", ON, Decimal("12.34"), "EUR", "gift", None, "DE89370400440532013000", REASON
            )
        )
        .then(like(BankLineUnmatched, line="ST-6", amount=Decimal("12.34"), iban="DE89370400440532013000"))
    )
    assert line.id == BankLine.id_for("ST-6") != BankLine.id_for("ST-7")
    assert line.payment is None and line.reason == REASON


def test_a_line_is_assigned_once_to_the_payment_named_after_it() -> None:
    line = (
        given(unmatched())
        .when(lambda b: b.assign(PARTNER, ON))
        .then(like(BankLineAssigned, partner=PARTNER, payment=BankLine.payment_id("ST-6"), on=ON))
    )
    assert line.payment == BankLine.payment_id("ST-6") != BankLine.payment_id("ST-7")
    assigned = BankLineAssigned(
        originator_id=BankLine.id_for("ST-6"),
        originator_version=2,
        partner=PARTNER,
        payment=BankLine.payment_id("ST-6"),
        on=ON,
    )
    given(unmatched(), assigned).when(lambda b: b.assign(uuid4(), ON)).then_raises(Conflict, "already_assigned")
