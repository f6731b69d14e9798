"""Given-when-then for a collection case (levels once, actions, blocks, promises, status, closing)
and for the collection settings (default scheme, run dates going forward)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from aggregates.base import DomainEvent
from aggregates.collection_case import (
    ActionExecuted,
    ActionRecorded,
    ActionSkipped,
    CaseClosed,
    CaseOpened,
    CaseStatus,
    CollectionCase,
    CollectionStatusSet,
    LevelReached,
    PromiseBroken,
    PromiseKept,
)
from aggregates.collection_scheme import (
    COLLECTION_SETTINGS_ID,
    Action,
    ActionType,
    CollectionRunStarted,
    CollectionSettings,
    CollectionSettingsOpened,
    DefaultSchemeSet,
    InvoiceFacts,
    Level,
    SchemeRules,
    decide,
)
from aggregates.errors import Conflict
from tests.gwt import given, like, replay

DOCUMENT = UUID("00000000-0000-4000-8000-00000000d0c1")
PARTNER = UUID("00000000-0000-4000-8000-0000000000b1")
FEE = UUID("00000000-0000-4000-8000-00000000fee1")
INTEREST = UUID("00000000-0000-4000-8000-0000000001e1")
MESSAGE = UUID("00000000-0000-4000-8000-0000000000e1")
CASE = CollectionCase.id_for(DOCUMENT)


def on(day: int, month: int = 1) -> date:
    return date(2026, month, day)


def opened() -> DomainEvent:
    return CaseOpened(
        originator_id=CASE,
        originator_version=1,
        originator_topic=CollectionCase.TOPIC,
        document=DOCUMENT,
        number="IN2601-0001",
        partner=PARTNER,
        scheme="STD",
        currency="EUR",
        on=on(22),
    )


def reached(version: int, level: int, day: date) -> DomainEvent:
    return LevelReached(originator_id=CASE, originator_version=version, level=level, name=f"L{level}", on=day, run=day)


def executed(version: int, level: int, action: ActionType, **made: object) -> DomainEvent:
    return ActionExecuted(
        originator_id=CASE,
        originator_version=version,
        level=level,
        action=action,
        on=on(22),
        **made,  # type: ignore[arg-type]
    )


def recorded(version: int, level: int, action: ActionType, status: str = "executed", **details: object) -> DomainEvent:
    """The one event for every action that logs before ActionExecuted/ActionSkipped hold."""
    return ActionRecorded(
        originator_id=CASE,
        originator_version=version,
        level=level,
        action=action,
        status=status,
        on=on(22),
        **details,  # type: ignore[arg-type]
    )


def broken(version: int, promised_for: date, day: date) -> DomainEvent:
    return PromiseBroken(originator_id=CASE, originator_version=version, promised_for=promised_for, on=day)


def closed(version: int, reason: str = "paid") -> DomainEvent:
    return CaseClosed(originator_id=CASE, originator_version=version, reason=reason, on=on(10, 3))


# -- opening and levels ----------------------------------------------------------------------------


def test_a_case_opens_for_an_invoice_under_its_natural_id() -> None:
    case = (
        given()
        .when(lambda _: CollectionCase.open(DOCUMENT, "IN2601-0001", PARTNER, "STD", "EUR", on(22)))
        .then(like(CaseOpened, document=DOCUMENT, partner=PARTNER, scheme="STD", currency="EUR", on=on(22)))
    )
    assert case.id == CASE == CollectionCase.id_for(DOCUMENT)
    assert (case.level, case.times_dunned, case.status, case.last_level_on) == (0, 0, CaseStatus.OPEN, None)
    assert (case.charges, case.blocked, case.collection_status, case.closed_on) == ([], False, None, None)


def test_a_level_is_reached_once() -> None:
    scenario = given(opened()).when(lambda c: c.reach(1, "L1", on(22), on(22)))
    case = scenario.then(like(LevelReached, level=1, name="L1", on=on(22), run=on(22)))
    assert scenario.result is True
    assert (case.level, case.times_dunned, case.last_level_on) == (1, 1, on(22))

    # The same run again (a repeat, a crash retry, a racing worker) finds it reached.
    again = given(opened(), reached(2, 1, on(22))).when(lambda c: c.reach(1, "L1", on(22), on(22)))
    again.then()
    assert again.result is False


def test_an_earlier_level_never_comes_back() -> None:
    scenario = given(opened(), reached(2, 1, on(22)), reached(3, 2, on(5, 2))).when(
        lambda c: c.reach(1, "L1", on(6, 2), on(6, 2))
    )
    case = scenario.then()
    assert scenario.result is False
    assert (case.level, case.times_dunned, case.last_level_on) == (2, 2, on(5, 2))


def test_times_dunned_counts_every_level_reached() -> None:
    case = (
        given(opened(), reached(2, 1, on(22)), reached(3, 2, on(5, 2)))
        .when(lambda c: c.reach(3, "L3", on(1, 3), on(1, 3)))
        .then(like(LevelReached, level=3, on=on(1, 3)))
    )
    assert (case.level, case.times_dunned, case.last_level_on) == (3, 3, on(1, 3))


def test_a_closed_case_reaches_no_level() -> None:
    scenario = given(opened(), reached(2, 1, on(22)), closed(3)).when(lambda c: c.reach(2, "L2", on(5, 2), on(5, 2)))
    case = scenario.then()
    assert scenario.result is False
    assert (case.level, case.status) == (1, CaseStatus.CLOSED)


# -- actions ---------------------------------------------------------------------------------------


def test_a_fee_is_recorded_with_its_amount_and_item_as_a_charge() -> None:
    case = (
        given(opened(), reached(2, 2, on(22)))
        .when(lambda c: c.record_executed(2, ActionType.FEE, on(22), amount=Decimal("40.00"), item=FEE))
        .then(like(ActionExecuted, level=2, action=ActionType.FEE, amount=Decimal("40.00"), item=FEE, on=on(22)))
    )
    assert case.charges == [FEE]


def test_a_grouped_fee_names_no_item_on_the_other_cases() -> None:
    case = (
        given(opened(), reached(2, 2, on(22)))
        .when(lambda c: c.record_executed(2, ActionType.FEE, on(22), amount=Decimal("0.00")))
        .then(like(ActionExecuted, action=ActionType.FEE, amount=Decimal("0.00"), item=None))
    )
    assert case.charges == []


def test_interest_adds_a_second_charge() -> None:
    case = (
        given(opened(), reached(2, 2, on(22)), executed(3, 2, ActionType.FEE, amount=Decimal("40.00"), item=FEE))
        .when(lambda c: c.record_executed(3, ActionType.INTEREST, on(1, 3), amount=Decimal("12.33"), item=INTEREST))
        .then(like(ActionExecuted, action=ActionType.INTEREST, amount=Decimal("12.33"), item=INTEREST, on=on(1, 3)))
    )
    assert case.charges == [FEE, INTEREST]


def test_a_message_action_is_recorded_with_its_message() -> None:
    case = (
        given(opened(), reached(2, 1, on(22)))
        .when(lambda c: c.record_executed(1, ActionType.EMAIL, on(22), message=MESSAGE))
        .then(like(ActionExecuted, action=ActionType.EMAIL, message=MESSAGE, fallback_from=None, amount=None))
    )
    assert (case.charges, case.blocked) == ([], False)


def test_a_letter_sent_instead_of_an_email_is_a_letter_that_names_the_email() -> None:
    case = (
        given(opened(), reached(2, 1, on(22)))
        .when(
            lambda c: c.record_executed(1, ActionType.LETTER, on(22), message=MESSAGE, fallback_from=ActionType.EMAIL)
        )
        .then(like(ActionExecuted, action=ActionType.LETTER, fallback_from=ActionType.EMAIL, message=MESSAGE))
    )
    assert (case.charges, case.blocked) == ([], False)


def test_an_executed_block_marks_the_case_blocked() -> None:
    case = (
        given(opened(), reached(2, 3, on(22)))
        .when(lambda c: c.record_executed(3, ActionType.BLOCK_SALES, on(22)))
        .then(like(ActionExecuted, action=ActionType.BLOCK_SALES, level=3))
    )
    assert case.blocked is True


def test_a_skipped_action_keeps_its_reason_and_blocks_nothing() -> None:
    case = (
        given(opened(), reached(2, 3, on(22)))
        .when(lambda c: c.record_skipped(3, ActionType.BLOCK_SALES, "no_reason", on(22)))
        .then(like(ActionSkipped, level=3, action=ActionType.BLOCK_SALES, reason="no_reason", fallback_from=None))
    )
    assert case.blocked is False
    skipped_letter = (
        given(opened(), reached(2, 2, on(22)))
        .when(lambda c: c.record_skipped(2, ActionType.LETTER, "template_missing", on(22), ActionType.EMAIL))
        .then(like(ActionSkipped, action=ActionType.LETTER, reason="template_missing", fallback_from=ActionType.EMAIL))
    )
    assert (skipped_letter.charges, skipped_letter.blocked) == ([], False)


def test_an_old_action_recorded_stream_replays_to_the_same_case() -> None:
    """Logs written before ActionExecuted/ActionSkipped hold ActionRecorded(status=…): they replay
    to the same case, and new events follow them."""
    history = [
        opened(),
        reached(2, 1, on(22)),
        recorded(3, 1, ActionType.EMAIL, fallback_from="email", message=MESSAGE),
        reached(4, 2, on(5, 2)),
        recorded(5, 2, ActionType.FEE, amount=Decimal("40.00"), item=FEE),
        recorded(6, 2, ActionType.SMS, "skipped", reason="no_mobile"),
        recorded(7, 2, ActionType.BLOCK_SALES, "skipped", reason="no_reason"),
    ]
    case = replay(history)
    assert isinstance(case, CollectionCase)
    assert (case.level, case.charges, case.blocked, case.version) == (2, [FEE], False, 7)
    # An e-mail that fell back to a letter was recorded as an e-mail: what went out was a letter.
    assert [e.taken for e in history if isinstance(e, ActionRecorded)] == [
        ActionType.LETTER,
        ActionType.FEE,
        ActionType.SMS,
        ActionType.BLOCK_SALES,
    ]
    blocked = (
        given(*history, reached(8, 3, on(1, 3)), recorded(9, 3, ActionType.BLOCK_SALES))
        .when(lambda c: c.record_executed(3, ActionType.INTEREST, on(1, 3), amount=Decimal("12.33"), item=INTEREST))
        .then(like(ActionExecuted, action=ActionType.INTEREST, item=INTEREST))
    )
    assert (blocked.charges, blocked.blocked, blocked.version) == ([FEE, INTEREST], True, 10)


# -- promises --------------------------------------------------------------------------------------


def test_a_broken_promise_is_recorded_once_per_promise_date() -> None:
    case = (
        given(opened(), reached(2, 1, on(22)))
        .when(lambda c: c.note_promise(kept=False, promised_for=on(26), on=on(29)))
        .then(like(PromiseBroken, promised_for=on(26), on=on(29)))
    )
    assert case.promise_broken_for == on(26)

    history = [opened(), reached(2, 1, on(22)), broken(3, on(26), on(29))]
    # The next runs see the same promise still broken: nothing more.
    given(*history).when(lambda c: c.note_promise(kept=False, promised_for=on(26), on=on(30))).then()
    # A new promise for another date, broken in its turn, is recorded again.
    again = (
        given(*history)
        .when(lambda c: c.note_promise(kept=False, promised_for=on(10, 2), on=on(13, 2)))
        .then(like(PromiseBroken, promised_for=on(10, 2), on=on(13, 2)))
    )
    assert again.promise_broken_for == on(10, 2)


def test_a_kept_promise_is_recorded_once() -> None:
    history = [opened(), reached(2, 1, on(22))]
    given(*history).when(lambda c: c.note_promise(kept=True, promised_for=on(26), on=on(27))).then(
        like(PromiseKept, promised_for=on(26), on=on(27))
    )
    kept = PromiseKept(originator_id=CASE, originator_version=3, promised_for=on(26), on=on(27))
    case = given(*history, kept).when(lambda c: c.note_promise(kept=True, promised_for=on(26), on=on(28))).then()
    assert case.promise_kept_for == on(26)
    # Nor is a promise kept later found broken.
    given(*history, kept).when(lambda c: c.note_promise(kept=False, promised_for=on(26), on=on(29))).then()


def test_a_promise_broken_is_never_kept_afterwards() -> None:
    history = [opened(), reached(2, 1, on(22)), broken(3, on(26), on(29))]
    given(*history).when(lambda c: c.note_promise(kept=True, promised_for=on(26), on=on(30))).then()


# -- collection status and closing -------------------------------------------------------------------


def test_the_collection_status_is_set_once_per_value() -> None:
    history = [opened(), reached(2, 3, on(22))]
    case = (
        given(*history)
        .when(lambda c: c.set_collection_status("agency", on(22)))
        .then(like(CollectionStatusSet, status="agency", on=on(22)))
    )
    assert case.collection_status == "agency"
    agency = CollectionStatusSet(originator_id=CASE, originator_version=3, status="agency", on=on(22))
    given(*history, agency).when(lambda c: c.set_collection_status("agency", on(23))).then()
    legal = (
        given(*history, agency)
        .when(lambda c: c.set_collection_status("legal", on(1, 3)))
        .then(like(CollectionStatusSet, status="legal"))
    )
    assert legal.collection_status == "legal"


def test_a_case_closes_paid_once() -> None:
    case = (
        given(opened(), reached(2, 1, on(22)))
        .when(lambda c: c.close("paid", on(10, 3)))
        .then(like(CaseClosed, reason="paid", on=on(10, 3)))
    )
    assert (case.status, case.close_reason, case.closed_on) == (CaseStatus.CLOSED, "paid", on(10, 3))
    # Closing again (a later settlement, a repeated run) changes nothing, not even the reason.
    again = given(opened(), reached(2, 1, on(22)), closed(3)).when(lambda c: c.close("settled", on(11, 3))).then()
    assert (again.close_reason, again.closed_on) == ("paid", on(10, 3))


def test_a_case_closes_settled_by_credit() -> None:
    case = (
        given(opened(), reached(2, 1, on(22)))
        .when(lambda c: c.close("settled", on(2, 2)))
        .then(like(CaseClosed, reason="settled"))
    )
    assert (case.status, case.close_reason) == (CaseStatus.CLOSED, "settled")


def test_a_long_history_replays_to_the_same_case() -> None:
    events = [
        opened(),
        reached(2, 1, on(22)),
        executed(3, 1, ActionType.LETTER, message=MESSAGE, fallback_from=ActionType.EMAIL),
        reached(4, 2, on(5, 2)),
        executed(5, 2, ActionType.FEE, amount=Decimal("40.00"), item=FEE),
        ActionSkipped(
            originator_id=CASE, originator_version=6, level=2, action=ActionType.SMS, reason="no_mobile", on=on(5, 2)
        ),
        broken(7, on(10, 2), on(13, 2)),
        reached(8, 3, on(1, 3)),
        executed(9, 3, ActionType.INTEREST, amount=Decimal("12.33"), item=INTEREST),
        executed(10, 3, ActionType.BLOCK_SALES),
        closed(11),
    ]
    case = replay(events)
    assert isinstance(case, CollectionCase)
    assert (case.level, case.times_dunned, case.charges, case.blocked) == (3, 3, [FEE, INTEREST], True)
    assert (case.promise_broken_for, case.status, case.version) == (on(10, 2), CaseStatus.CLOSED, 11)


def test_a_case_that_reached_a_level_on_the_run_date_reaches_no_other_that_date() -> None:
    """What a repeated run of a date (a retry after a crash, a racing runner) sees: the case it
    left at L1 that very day. Without a minimum gap, L2 would be due by its days; it waits a run."""
    email = Action(type=ActionType.EMAIL, template="R1")
    rules = SchemeRules(
        name="No gap",
        levels=(
            Level(seq=1, name="L1", days_after_due=7, actions=(email,)),
            Level(seq=2, name="L2", days_after_due=14, actions=(email,)),
        ),
    )
    after_l1 = InvoiceFacts(open_amount=Decimal("100.00"), due_date=on(1), level=1, last_level_on=on(30))
    assert decide(rules, after_l1, on(30)).level is None
    next_day = decide(rules, after_l1, on(31))
    assert next_day.fires and next_day.level is not None and next_day.level.seq == 2


# -- collection settings ---------------------------------------------------------------------------


def settings_opened() -> DomainEvent:
    return CollectionSettingsOpened(
        originator_id=COLLECTION_SETTINGS_ID, originator_version=1, originator_topic=CollectionSettings.TOPIC
    )


def run_started(version: int, day: date) -> DomainEvent:
    return CollectionRunStarted(originator_id=COLLECTION_SETTINGS_ID, originator_version=version, day=day)


def test_settings_open_with_no_default_and_no_run() -> None:
    settings = given().when(lambda _: CollectionSettings.open()).then(CollectionSettingsOpened)
    assert (settings.id, settings.default_scheme, settings.last_run) == (COLLECTION_SETTINGS_ID, None, None)


def test_the_default_scheme_is_set_once_per_code() -> None:
    settings = given(settings_opened()).when(lambda s: s.set_default("STD")).then(like(DefaultSchemeSet, code="STD"))
    assert settings.default_scheme == "STD"
    std = DefaultSchemeSet(originator_id=COLLECTION_SETTINGS_ID, originator_version=2, code="STD")
    given(settings_opened(), std).when(lambda s: s.set_default("STD")).then()
    soft = given(settings_opened(), std).when(lambda s: s.set_default("SOFT")).then(like(DefaultSchemeSet, code="SOFT"))
    assert soft.default_scheme == "SOFT"


def test_a_new_run_date_starts() -> None:
    scenario = given(settings_opened()).when(lambda s: s.start_run(on(22)))
    settings = scenario.then(like(CollectionRunStarted, day=on(22)))
    assert scenario.result is True
    assert settings.last_run == on(22)
    later = given(settings_opened(), run_started(2, on(22))).when(lambda s: s.start_run(on(23)))
    assert later.then(like(CollectionRunStarted, day=on(23))).last_run == on(23)
    assert later.result is True


def test_the_same_run_date_again_adds_nothing() -> None:
    scenario = given(settings_opened(), run_started(2, on(22))).when(lambda s: s.start_run(on(22)))
    settings = scenario.then()
    assert scenario.result is False
    assert settings.last_run == on(22)


def test_an_earlier_run_date_is_refused_as_out_of_order() -> None:
    error = (
        given(settings_opened(), run_started(2, on(22)))
        .when(lambda s: s.start_run(on(21)))
        .then_raises(Conflict, "run_out_of_order")
    )
    assert isinstance(error, Conflict)
    assert "2026-01-22" in error.detail


def test_run_dates_may_skip_days() -> None:
    history = [settings_opened(), run_started(2, on(22))]
    settings = given(*history).when(lambda s: s.start_run(on(5, 2))).then(like(CollectionRunStarted, day=on(5, 2)))
    assert settings.last_run == on(5, 2)
    given(*history, run_started(3, on(5, 2))).when(lambda s: s.start_run(on(1, 2))).then_raises(
        Conflict, "run_out_of_order"
    )
