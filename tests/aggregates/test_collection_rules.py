"""The gates of a collection run, at their exact thresholds (API.md, "Collection (dunning)")."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import product

import pytest

from aggregates.collection_scheme import (
    Action,
    ActionType,
    CollectionScheme,
    InvoiceFacts,
    Level,
    SchemeRules,
    decide,
    first_acting_day,
    interest,
)
from aggregates.errors import Invalid

DUE = date(2026, 1, 10)
EMAIL = Action(type=ActionType.EMAIL, template="R1")
RULES = SchemeRules(
    name="Standard",
    tolerance=Decimal("5.00"),
    min_days_between_actions=7,
    promise_grace_days=2,
    levels=(
        Level(seq=0, name="Reminder", days_after_due=-3, actions=(EMAIL,)),
        Level(seq=1, name="L1", days_after_due=7, actions=(EMAIL,)),
        Level(seq=2, name="L2", days_after_due=21, actions=(Action(type=ActionType.FEE, amount=Decimal("40.00")),)),
        Level(seq=3, name="L3", days_after_due=45, actions=(Action(type=ActionType.BLOCK_SALES),)),
    ),
)


def facts(**overrides: object) -> InvoiceFacts:
    values: dict[str, object] = {"open_amount": Decimal("100.00"), "due_date": DUE}
    values.update(overrides)
    return InvoiceFacts(**values)  # type: ignore[arg-type]


def on(day: int, month: int = 1) -> date:
    return date(2026, month, day)


def test_the_first_level_fires_exactly_at_its_days_overdue() -> None:
    assert decide(RULES, facts(), on(16)).level is None
    decision = decide(RULES, facts(), on(17))
    assert decision.fires and decision.level is not None and decision.level.seq == 1


def test_sequential_levels_fire_one_per_run_even_when_far_overdue() -> None:
    decision = decide(RULES, facts(), on(10, 3))
    assert decision.level is not None and decision.level.seq == 1
    unsequential = RULES.model_copy(update={"sequential": False})
    jumped = decide(unsequential, facts(), on(10, 3))
    assert jumped.level is not None and jumped.level.seq == 3


def test_the_next_level_waits_for_its_days_and_the_gap() -> None:
    after_first = facts(level=1, last_level_on=on(17))
    assert decide(RULES, after_first, on(30)).level is None  # 20 days overdue < 21
    assert decide(RULES, after_first, on(31)).fires  # 21 days, 14 since the last level
    close = facts(level=1, last_level_on=on(27))
    gap = decide(RULES, close, on(31))
    assert gap.skipped == "min_gap"
    assert decide(RULES, close, on(3, 2)).fires  # exactly 7 days since


def test_tolerance_is_inclusive() -> None:
    assert decide(RULES, facts(open_amount=Decimal("5.00")), on(17)).fires
    assert decide(RULES, facts(open_amount=Decimal("4.99")), on(17)).skipped == "below_tolerance"


def test_dispute_grace_and_promise_gates() -> None:
    assert decide(RULES, facts(in_dispute=True), on(17)).skipped == "in_dispute"
    assert decide(RULES, facts(grace_until=on(17)), on(17)).skipped == "grace"
    assert decide(RULES, facts(grace_until=on(16)), on(17)).fires
    assert decide(RULES, facts(partner_grace_until=on(20)), on(17)).skipped == "grace"
    # A promise for the 18th holds, with 2 days' grace, through the 20th.
    assert decide(RULES, facts(promise_date=on(18)), on(20)).skipped == "promise_to_pay"
    broken = decide(RULES, facts(promise_date=on(18)), on(21))
    assert broken.fires and broken.promise_broken


def test_a_reminder_before_due_is_sent_once_and_outside_the_sequence() -> None:
    assert decide(RULES, facts(), on(6)).level is None
    reminder = decide(RULES, facts(), on(7))
    assert reminder.fires and reminder.level is not None and reminder.level.seq == 0
    assert decide(RULES, facts(reminders_sent=frozenset({0})), on(8)).level is None
    # It does not count as the previous level nor toward the gap.
    first = decide(RULES, facts(reminders_sent=frozenset({0})), on(17))
    assert first.level is not None and first.level.seq == 1 and first.fires


def test_the_first_acting_day_is_the_first_day_by_day() -> None:
    """Asking only the days where a gate turns finds what asking every day finds."""

    def day_by_day(rules: SchemeRules, f: InvoiceFacts, start: date, last: date) -> date | None:
        day = start
        while day <= last:
            decision = decide(rules, f, day)
            if decision.fires or decision.promise_broken:
                return day
            day += timedelta(days=1)
        return None

    start, last = on(1), on(31, 3)
    unsequential = RULES.model_copy(update={"sequential": False})
    cases = product(
        (RULES, unsequential),
        (0, 1, 2),
        (None, on(12), on(25)),
        (None, on(20), on(5, 2)),
        (None, on(15), on(28)),
        (frozenset(), frozenset({0})),
    )
    for rules, level, last_on, grace, promise, reminders in cases:
        f = facts(level=level, last_level_on=last_on, grace_until=grace, promise_date=promise, reminders_sent=reminders)
        for begin in (start, on(17), on(20, 2)):
            assert first_acting_day(rules, f, begin, last) == day_by_day(rules, f, begin, last), (f, begin)
    assert first_acting_day(RULES, facts(), on(2, 4), last) is None


def test_interest_is_open_times_rate_times_days_over_365_half_up() -> None:
    assert interest(Decimal("1000.00"), Decimal("10.00"), 45) == Decimal("12.33")  # 12.328…
    assert interest(Decimal("365.00"), Decimal("10.00"), 1) == Decimal("0.10")
    assert interest(Decimal("18.25"), Decimal("10.00"), 1) == Decimal("0.01")  # 0.005 rounds up


@pytest.mark.parametrize(
    ("level", "message"),
    [
        (Level(seq=1, name="x", days_after_due=7, actions=(Action(type=ActionType.EMAIL),)), "template"),
        (Level(seq=1, name="x", days_after_due=7, actions=(Action(type=ActionType.FEE),)), "fee"),
        (Level(seq=1, name="x", days_after_due=7, actions=(Action(type=ActionType.INTEREST),)), "annual_rate"),
        (
            Level(seq=1, name="x", days_after_due=-2, actions=(Action(type=ActionType.FEE, amount=Decimal(1)),)),
            "reminder",
        ),
        (
            Level(
                seq=1,
                name="x",
                days_after_due=7,
                actions=(Action(type=ActionType.SET_COLLECTION_STATUS),),  # no status: one outside the set cannot be built
            ),
            "status",
        ),
    ],
)
def test_bad_schemes_are_refused(level: Level, message: str) -> None:
    with pytest.raises(Invalid) as refused:
        CollectionScheme.define("BAD", SchemeRules(name="Bad", levels=(level,)))
    assert message in refused.value.errors[0]["msg"]


def test_levels_out_of_order_are_refused() -> None:
    levels = (Level(seq=1, name="a", days_after_due=21), Level(seq=2, name="b", days_after_due=7))
    with pytest.raises(Invalid):
        CollectionScheme.define("BAD", SchemeRules(name="Bad", levels=levels))
