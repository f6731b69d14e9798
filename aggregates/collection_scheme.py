"""Collection schemes: levels of escalation with their actions, and the gates that decide whether
an invoice reaches its next level on a run date (API.md, "Collection (dunning)")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from itertools import pairwise
from typing import Literal, get_args
from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, Value, event, natural_id
from aggregates.errors import Invalid, conflict
from aggregates.money import cents


class ActionType(Enum):
    EMAIL = "email"
    SMS = "sms"
    LETTER = "letter"
    TASK = "task"
    FEE = "fee"
    INTEREST = "interest"
    # Interest on the partner's whole lateness up to the run date, as one numbered note.
    INTEREST_NOTE = "interest_note"
    BLOCK_SALES = "block_sales"
    SET_PAYMENT_TERMS = "set_payment_terms"
    SET_COLLECTION_STATUS = "set_collection_status"


# What a set_collection_status action marks a case with.
CollectionStatus = Literal["agency", "legal", "uncollectable"]


class Action(Value):
    type: ActionType
    template: str | None = None
    attach_letter: str | None = None
    amount: Decimal | None = None
    annual_rate: Decimal | None = None
    title: str | None = None
    assignee: str | None = None
    due_in_days: int | None = None
    days: int | None = None
    status: CollectionStatus | None = None


class Level(Value):
    seq: int
    name: str
    days_after_due: int
    actions: tuple[Action, ...] = ()

    @property
    def is_reminder(self) -> bool:
        """A level before the due date: sent once, outside the sequence, charging nothing."""
        return self.days_after_due < 0


class SchemeRules(Value):
    name: str
    is_default: bool = False
    tolerance: Decimal = Decimal("0.00")
    min_days_between_actions: int = 0
    sequential: bool = True
    auto_unblock: bool = True
    promise_grace_days: int = 0
    levels: tuple[Level, ...]

    @property
    def has_level_zero(self) -> bool:
        """A level numbered 0 marks its invoices as dunning level 0, which looks like never dunned."""
        return any(level.seq == 0 and not level.is_reminder for level in self.levels)


COLLECTION_STATUSES: tuple[str, ...] = get_args(CollectionStatus)


def check_rules(rules: SchemeRules) -> None:
    seqs = [level.seq for level in rules.levels]
    if not seqs:
        raise Invalid(["body", "levels"], "a scheme needs at least one level")
    if len(set(seqs)) != len(seqs):
        raise Invalid(["body", "levels"], "level seq numbers must be unique")
    steps = sorted((lv for lv in rules.levels if not lv.is_reminder), key=lambda lv: lv.seq)
    for earlier, later in pairwise(steps):
        if later.days_after_due < earlier.days_after_due:
            raise Invalid(["body", "levels"], f"level {later.seq} comes before level {earlier.seq} in days")
    for i, level in enumerate(rules.levels):
        for j, action in enumerate(level.actions):
            loc: list[str | int] = ["body", "levels", i, "actions", j]
            kind = action.type
            if kind in (ActionType.EMAIL, ActionType.SMS, ActionType.LETTER) and not action.template:
                raise Invalid(loc, f"a {kind.value} action needs a template")
            if kind is ActionType.FEE and (action.amount is None or action.amount <= 0):
                raise Invalid(loc, "a fee needs a positive amount")
            if kind is ActionType.INTEREST and (action.annual_rate is None or action.annual_rate <= 0):
                raise Invalid(loc, "interest needs a positive annual_rate")
            if kind is ActionType.INTEREST_NOTE and not (action.annual_rate and 0 < action.annual_rate <= 100):
                raise Invalid(loc, "an interest note needs an annual_rate above 0 and at most 100")
            if kind is ActionType.TASK and not action.title:
                raise Invalid(loc, "a task needs a title")
            if kind is ActionType.SET_PAYMENT_TERMS and (action.days is None or action.days < 0):
                raise Invalid(loc, "set_payment_terms needs days")
            if kind is ActionType.SET_COLLECTION_STATUS and action.status not in COLLECTION_STATUSES:
                raise Invalid(loc, f"status is one of {', '.join(COLLECTION_STATUSES)}")
            if level.is_reminder and kind not in (ActionType.EMAIL, ActionType.SMS, ActionType.LETTER):
                raise Invalid(loc, "a reminder before the due date only sends messages")


class SchemeDefined(CreatedEvent):
    TOPIC = "counterparty.collection.SchemeDefined.v1"
    code: str
    rules: SchemeRules


class SchemeChanged(DomainEvent):
    TOPIC = "counterparty.collection.SchemeChanged.v1"
    rules: SchemeRules


class CollectionScheme(Aggregate):
    TOPIC = "counterparty.collection.CollectionScheme"

    code: str
    rules: SchemeRules

    @staticmethod
    def id_for(code: str) -> UUID:
        return natural_id("collection-scheme", code)

    @classmethod
    def define(cls, code: str, rules: SchemeRules) -> CollectionScheme:
        check_rules(rules)
        return cls._create(SchemeDefined, id=cls.id_for(code), code=code, rules=rules)

    @event(SchemeDefined)
    def _defined(self, code: str, rules: SchemeRules) -> None:
        self.code = code
        self.rules = rules

    def change(self, rules: SchemeRules) -> None:
        check_rules(rules)
        if rules != self.rules:
            self._changed(rules=rules)

    @event(SchemeChanged)
    def _changed(self, rules: SchemeRules) -> None:
        self.rules = rules


# -- the gates -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceFacts:
    """What a run knows of one open invoice on its date."""

    open_amount: Decimal
    due_date: date
    in_dispute: bool = False
    grace_until: date | None = None
    partner_grace_until: date | None = None
    promise_date: date | None = None
    level: int = 0
    last_level_on: date | None = None
    reminders_sent: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Decision:
    level: Level | None = None
    skipped: str | None = None  # in_dispute, grace, promise_to_pay, below_tolerance, min_gap
    promise_broken: bool = False

    @property
    def fires(self) -> bool:
        return self.level is not None and self.skipped is None


NOTHING = Decision()


def promise_holds(rules: SchemeRules, facts: InvoiceFacts, day: date) -> bool:
    return facts.promise_date is not None and facts.promise_date + timedelta(days=rules.promise_grace_days) >= day


def next_level(rules: SchemeRules, facts: InvoiceFacts, day: date) -> Level | None:
    """The level the invoice is due for on ``day``, before the gates."""
    overdue = (day - facts.due_date).days
    if overdue < 0:
        reminders = [lv for lv in rules.levels if lv.is_reminder and lv.seq not in facts.reminders_sent]
        due = [lv for lv in reminders if overdue >= lv.days_after_due]
        return max(due, key=lambda lv: lv.days_after_due) if due else None
    if facts.last_level_on is not None and facts.last_level_on >= day:
        # A level was reached in this run already (the date is being run again): one per run.
        return None
    steps = sorted((lv for lv in rules.levels if not lv.is_reminder), key=lambda lv: lv.seq)
    later = [lv for lv in steps if lv.seq > facts.level]
    if not later:
        return None
    if rules.sequential:
        return later[0] if overdue >= later[0].days_after_due else None
    reached = [lv for lv in later if overdue >= lv.days_after_due]
    return reached[-1] if reached else None


def decide(rules: SchemeRules, facts: InvoiceFacts, day: date) -> Decision:
    """Whether the invoice reaches its next level on ``day``, or why not (API.md's gates)."""
    level = next_level(rules, facts, day)
    broken = facts.promise_date is not None and not promise_holds(rules, facts, day)
    if level is None:
        return Decision(promise_broken=broken)
    if facts.open_amount < rules.tolerance:
        return Decision(level, "below_tolerance", broken)
    if facts.in_dispute:
        return Decision(level, "in_dispute", broken)
    if any(g is not None and g >= day for g in (facts.grace_until, facts.partner_grace_until)):
        return Decision(level, "grace", broken)
    if promise_holds(rules, facts, day):
        return Decision(level, "promise_to_pay")
    if (
        not level.is_reminder
        and facts.last_level_on is not None
        and (day - facts.last_level_on).days < rules.min_days_between_actions
    ):
        return Decision(level, "min_gap", broken)
    return Decision(level, None, broken)


def first_acting_day(rules: SchemeRules, facts: InvoiceFacts, start: date, last: date) -> date | None:
    """The first day from ``start`` to ``last`` on which ``decide`` lets the invoice reach a level
    or finds its promise broken, or None. The decision changes only on the days where one of its
    comparisons with the date turns (a level's day after due, the due date, the end of a grace,
    of a promise, of the minimum gap), so only those days are asked: a look-ahead over many days
    (a what-if simulation) then costs a few decisions per invoice, not one per day."""
    if start > last:
        return None
    turns = {facts.due_date, *(facts.due_date + timedelta(days=lv.days_after_due) for lv in rules.levels)}
    if facts.last_level_on is not None:
        last_on = facts.last_level_on
        turns |= {last_on + timedelta(days=1), last_on + timedelta(days=rules.min_days_between_actions)}
    if facts.promise_date is not None:
        turns.add(facts.promise_date + timedelta(days=rules.promise_grace_days + 1))
    turns |= {g + timedelta(days=1) for g in (facts.grace_until, facts.partner_grace_until) if g is not None}
    for day in sorted({start, *(t for t in turns if start < t <= last)}):
        decision = decide(rules, facts, day)
        if decision.fires or decision.promise_broken:
            return day
    return None


def interest(open_amount: Decimal, annual_rate: Decimal, days_overdue: int) -> Decimal:
    """Open amount × annual rate × days overdue / 365, half-up to cents."""
    return cents(open_amount * annual_rate / Decimal(100) * Decimal(days_overdue) / Decimal(365))


class CollectionSettingsOpened(CreatedEvent):
    TOPIC = "counterparty.collection.CollectionSettingsOpened.v1"


class DefaultSchemeSet(DomainEvent):
    TOPIC = "counterparty.collection.DefaultSchemeSet.v1"
    code: str


class CollectionRunStarted(DomainEvent):
    """A run date: runs happen in date order, and a date runs once (a repeat adds nothing)."""

    TOPIC = "counterparty.collection.CollectionRunStarted.v1"
    day: date


COLLECTION_SETTINGS_ID = natural_id("collection-settings", "company")


class CollectionSettings(Aggregate):
    TOPIC = "counterparty.collection.CollectionSettings"
    SNAPSHOT_EVERY = 50

    default_scheme: str | None
    last_run: date | None

    @classmethod
    def open(cls) -> CollectionSettings:
        return cls._create(CollectionSettingsOpened, id=COLLECTION_SETTINGS_ID)

    @event(CollectionSettingsOpened)
    def _opened(self) -> None:
        self.default_scheme = None
        self.last_run = None

    def set_default(self, code: str) -> None:
        if code != self.default_scheme:
            self._default_set(code=code)

    @event(DefaultSchemeSet)
    def _default_set(self, code: str) -> None:
        self.default_scheme = code

    def start_run(self, day: date) -> bool:
        """True for a new run date; False when the date ran already; refuses an earlier date."""
        if self.last_run is not None and day < self.last_run:
            raise conflict("run_out_of_order", f"a run for {self.last_run.isoformat()} exists; runs go forward")
        if self.last_run == day:
            return False
        self._run_started(day=day)
        return True

    @event(CollectionRunStarted)
    def _run_started(self, day: date) -> None:
        self.last_run = day
