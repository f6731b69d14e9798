"""Collection commands: define schemes, and collect one partner on a run date.

A run is many ``collect_partner`` commands (one per partner, each one transaction) and a
``complete_run``. Every effect has a deterministic id or a guard (a case reaches a level once, a
fee is booked once per partner/level/run, interest once per invoice and level), so re-running a
date, a crash in the middle, or two workers racing add nothing twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from aggregates.account import Account, ItemKind, ItemStatus, OpenItem
from aggregates.base import natural_id
from aggregates.collection_case import CaseStatus, CollectionCase
from aggregates.collection_run import CollectionRun, Skip
from aggregates.collection_scheme import (
    COLLECTION_SETTINGS_ID,
    Action,
    ActionType,
    CollectionScheme,
    CollectionSettings,
    InvoiceFacts,
    Level,
    SchemeRules,
    decide,
    interest,
)
from aggregates.errors import DomainError, Invalid, conflict, not_found
from aggregates.money import ZERO
from aggregates.partner import Partner
from aggregates.partner_group import PartnerGroup
from aggregates.sales_document import SalesDocument
from aggregates.template import Channel
from commands.activities import collection_task
from commands.context import CommandContext, Result
from commands.documents import load_account
from commands.messages import QueueMessage, compose_message
from commands.partners import load_partner
from commands.types import Money, Name, Percent, ShortText


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActionIn(Strict):
    type: ActionType
    template: ShortText | None = None
    attach_letter: ShortText | None = None
    amount: Annotated[Money, Field(gt=0)] | None = None
    annual_rate: Percent | None = None
    title: ShortText | None = None
    assignee: ShortText | None = None
    due_in_days: Annotated[int, Field(ge=0, le=365)] | None = None
    days: Annotated[int, Field(ge=0, le=3650)] | None = None
    status: ShortText | None = None


class LevelIn(Strict):
    seq: Annotated[int, Field(ge=0, le=99)]
    name: Name
    days_after_due: Annotated[int, Field(ge=-365, le=3650)]
    actions: list[ActionIn] = Field(default_factory=list, max_length=20)


class DefineScheme(Strict):
    code: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")]
    name: Name
    is_default: bool = False
    tolerance: Annotated[Money, Field(ge=0)] = Decimal("0.00")
    min_days_between_actions: Annotated[int, Field(ge=0, le=365)] = 0
    sequential: bool = True
    auto_unblock: bool = True
    promise_grace_days: Annotated[int, Field(ge=0, le=365)] = 0
    levels: Annotated[list[LevelIn], Field(min_length=1, max_length=20)]

    def rules(self) -> SchemeRules:
        levels = tuple(
            Level(
                seq=lv.seq,
                name=lv.name,
                days_after_due=lv.days_after_due,
                actions=tuple(Action(**a.model_dump()) for a in lv.actions),
            )
            for lv in self.levels
        )
        values = self.model_dump(exclude={"code", "levels"})
        return SchemeRules(**values, levels=levels)


def _settings(ctx: CommandContext) -> CollectionSettings:
    return ctx.find(CollectionSettings, COLLECTION_SETTINGS_ID) or ctx.track(CollectionSettings.open())


def define_scheme(cmd: DefineScheme, ctx: CommandContext) -> Result:
    code = cmd.code.strip().upper()
    existing = ctx.find(CollectionScheme, CollectionScheme.id_for(code))
    if existing is not None:
        if ctx.expected_version is None:
            raise conflict("scheme_exists", f"a collection scheme {code} exists")
        scheme = ctx.load_for_update(CollectionScheme, existing.id)
        scheme.change(cmd.rules())
    else:
        scheme = CollectionScheme.define(code, cmd.rules())
    touched: list[Any] = [scheme]
    settings = _settings(ctx)
    if cmd.is_default or settings.default_scheme is None:
        settings.set_default(code)
        touched.append(settings)
    return Result(ctx.save(*touched), scheme.id)


def scheme_for(ctx: CommandContext, partner: Partner) -> CollectionScheme | None:
    """The partner's scheme, else its group's, else the default."""
    code = partner.details.collection_scheme
    if not code and partner.details.group:
        group = ctx.find(PartnerGroup, PartnerGroup.id_for(partner.details.group))
        code = group.settings.collection_scheme if group else None
    if not code:
        settings = ctx.find(CollectionSettings, COLLECTION_SETTINGS_ID)
        code = settings.default_scheme if settings else None
    return ctx.find(CollectionScheme, CollectionScheme.id_for(code.upper())) if code else None


# -- one partner on one run date ---------------------------------------------------------------------


class CollectPartner(Strict):
    partner: UUID
    day: date
    # The partner's open cases as the read model knows them: only these can close now, so a run
    # does not look for a case behind every invoice the partner ever paid.
    open_cases: list[UUID] = []


@dataclass
class PartnerReport:
    invoices: int = 0
    skipped: list[Skip] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n


@dataclass
class Firing:
    invoice: SalesDocument
    item: OpenItem
    open_amount: Decimal
    case: CollectionCase | None
    level: Level


def _facts(
    account: Account, invoice: SalesDocument, partner: Partner, case: CollectionCase | None, reminders: frozenset[int]
) -> InvoiceFacts:
    return InvoiceFacts(
        open_amount=account.open[invoice.id],
        due_date=account.items[invoice.id].due_date,
        in_dispute=invoice.in_dispute,
        grace_until=invoice.grace_until,
        partner_grace_until=partner.details.dunning_grace_until,
        promise_date=invoice.promise.date if invoice.promise else None,
        level=case.level if case else 0,
        last_level_on=case.last_level_on if case else None,
        reminders_sent=reminders,
    )


def collect_partner(cmd: CollectPartner, ctx: CommandContext) -> Result:
    """Decides and records one partner's levels and actions for the run date."""
    partner = load_partner(ctx, str(cmd.partner))
    account = load_account(ctx, partner.id)
    report = PartnerReport()
    scheme = scheme_for(ctx, partner)
    touched: list[Any] = []
    close_settled_cases(ctx, partner, account, cmd.open_cases, cmd.day, touched)
    if scheme is None:
        return Result(ctx.save(*touched), partner.id, report)
    rules = scheme.rules
    firings: list[Firing] = []
    unnoted: dict[UUID, date] = {}
    for item_id in account.open_items_oldest_first():
        item = account.items[item_id]
        if item.kind is not ItemKind.INVOICE:
            continue
        invoice = ctx.find(SalesDocument, item_id)
        if invoice is None:
            continue
        report.invoices += 1
        # A case is opened together with the invoice's first dunning, so an invoice never dunned
        # has none (unless a level 0 can open one without a message).
        case = (
            ctx.find(CollectionCase, CollectionCase.id_for(invoice.id))
            if invoice.dunning_level or invoice.dunned or rules.has_level_zero
            else None
        )
        facts = _facts(account, invoice, partner, case, frozenset(invoice.reminders_sent))
        decision = decide(rules, facts, cmd.day)
        if decision.promise_broken and invoice.promise is not None:
            if case is None:
                unnoted[invoice.id] = invoice.promise.date  # noted on the case this run may open
            else:
                case.note_promise(kept=False, promised_for=invoice.promise.date, on=cmd.day)
                touched.append(case)
        if decision.level is None:
            continue
        if decision.skipped:
            report.skipped.append(
                Skip(
                    document=invoice.id,
                    number=invoice.number,
                    partner=partner.id,
                    level=decision.level.seq,
                    reason=decision.skipped,
                )
            )
            report.count(f"skipped_{decision.skipped}")
            continue
        firings.append(Firing(invoice, item, account.open[item_id], case, decision.level))
    groups: dict[tuple[int, str], list[Firing]] = {}
    for firing in firings:
        groups.setdefault((firing.level.seq, firing.item.currency), []).append(firing)
    for _key, members in sorted(groups.items(), key=lambda g: g[0]):
        _fire_group(ctx, cmd.day, scheme, partner, account, members, touched, report)
    for firing in firings:
        if firing.case is not None and firing.invoice.id in unnoted:
            firing.case.note_promise(kept=False, promised_for=unnoted[firing.invoice.id], on=cmd.day)
    return Result(ctx.save(*touched) if touched else 0, partner.id, report)


def _fire_group(
    ctx: CommandContext,
    day: date,
    scheme: CollectionScheme,
    partner: Partner,
    account: Account,
    members: list[Firing],
    touched: list[Any],
    report: PartnerReport,
) -> None:
    level = members[0].level
    currency = members[0].item.currency
    cases: list[CollectionCase] = []
    for firing in members:
        if level.is_reminder:
            firing.invoice.note_reminder(level.seq, day)
            touched.append(firing.invoice)
            report.count("reminders")
            continue
        case = firing.case or ctx.track(
            CollectionCase.open(firing.invoice.id, firing.invoice.number, partner.id, scheme.code, currency, day)
        )
        firing.case = case
        if case.reach(level.seq, level.name, day, day):
            cases.append(case)
            touched.append(case)
            report.count("levels_reached")
    group_key = (partner.id, scheme.code, level.seq, currency, day.isoformat())
    if level.is_reminder:
        for action in level.actions:
            _send(ctx, day, partner, members, level, action, [], group_key, touched, report)
        return
    if not cases:
        return
    messaged = False
    for action in level.actions:
        kind = action.type
        if kind is ActionType.FEE:
            assert action.amount is not None
            fee_id = natural_id("collection-fee", *group_key)
            account.book(
                OpenItem(
                    item_id=fee_id,
                    kind=ItemKind.FEE,
                    document=None,
                    number=None,
                    due_date=day,
                    amount=action.amount,
                    currency=currency,
                    booked_on=day,
                ),
                on=day,
            )
            touched.append(account)
            # One fee per group: it belongs to the first case, the others name it.
            for i, case in enumerate(cases):
                case.record_action(
                    level.seq,
                    kind,
                    "executed",
                    day,
                    amount=action.amount if i == 0 else ZERO,
                    item=fee_id if i == 0 else None,
                )
            report.count("fees")
        elif kind is ActionType.INTEREST:
            assert action.annual_rate is not None
            for firing in members:
                assert firing.case is not None
                case = firing.case
                overdue = (day - firing.item.due_date).days
                amount = interest(firing.open_amount, action.annual_rate, overdue)
                if amount <= 0:
                    case.record_action(level.seq, kind, "skipped", day, reason="zero_interest")
                    continue
                item_id = natural_id("collection-interest", firing.invoice.id, level.seq)
                account.book(
                    OpenItem(
                        item_id=item_id,
                        kind=ItemKind.INTEREST,
                        document=firing.invoice.id,
                        number=firing.invoice.number,
                        due_date=day,
                        amount=amount,
                        currency=currency,
                        booked_on=day,
                    ),
                    on=day,
                )
                case.record_action(level.seq, kind, "executed", day, amount=amount, item=item_id)
                touched.append(account)
                report.count("interest")
        elif kind is ActionType.BLOCK_SALES:
            for case in cases:
                partner.block_sales(case.id, day)
                case.record_action(level.seq, kind, "executed", day)
            touched.append(partner)
            report.count("blocks")
        elif kind is ActionType.SET_PAYMENT_TERMS:
            assert action.days is not None
            partner.change_details({"payment_terms_days": action.days})
            touched.append(partner)
            for case in cases:
                case.record_action(level.seq, kind, "executed", day)
        elif kind is ActionType.SET_COLLECTION_STATUS:
            assert action.status is not None
            for case in cases:
                case.set_collection_status(action.status, day)
                case.record_action(level.seq, kind, "executed", day)
        elif kind is ActionType.TASK:
            assert action.title is not None
            task_id = natural_id("collection-task", *group_key)
            due_on = day + timedelta(days=action.due_in_days or 0)
            case_ids = [c.id for c in cases]
            touched.append(collection_task(ctx, task_id, partner, action.title, action.assignee, due_on, case_ids))
            for case in cases:
                case.record_action(level.seq, kind, "executed", day, task=task_id)
            report.count("tasks")
        else:
            messaged = _send(ctx, day, partner, members, level, action, cases, group_key, touched, report) or messaged
    for firing in members:
        firing.invoice.record_dunning(level.seq, messaged, day)
        touched.append(firing.invoice)


def close_settled_cases(
    ctx: CommandContext, partner: Partner, account: Account, cases: list[UUID], day: date, touched: list[Any]
) -> None:
    """A case closes when its invoice and its charges are settled: ``paid`` by payments,
    ``settled`` by credit; the block it placed is lifted when the scheme says so."""
    for case_id in cases:
        case = ctx.find(CollectionCase, case_id)
        if case is None or case.status is CaseStatus.CLOSED:
            continue
        item_id = case.document
        status = account.status.get(item_id)
        if status is None or status is ItemStatus.OPEN:
            continue
        if any(account.open.get(charge, ZERO) > 0 for charge in case.charges):
            continue
        credited = account.credited.get(item_id, ZERO) > 0 and account.paid.get(item_id, ZERO) == 0
        case.close("settled" if credited or status is ItemStatus.CANCELLED else "paid", day)
        touched.append(case)
        invoice = ctx.find(SalesDocument, item_id)
        scheme = ctx.find(CollectionScheme, CollectionScheme.id_for(case.scheme))
        promise = invoice.promise if invoice is not None else None
        if promise is not None:
            # Kept when settled by its date + grace days; settled later, it was broken.
            grace = timedelta(days=scheme.rules.promise_grace_days if scheme else 0)
            case.note_promise(kept=day <= promise.date + grace, promised_for=promise.date, on=day)
        if case.blocked and (scheme is None or scheme.rules.auto_unblock):
            partner.unblock_sales(case.id, day)
            touched.append(partner)


# -- the run ---------------------------------------------------------------------------------------


class StartRun(Strict):
    day: date


def start_run(cmd: StartRun, ctx: CommandContext) -> Result:
    """Opens the run of a date (refusing an earlier date than the latest run)."""
    if cmd.day > ctx.today:
        raise Invalid(["body", "date"], "a run date may not be after today")
    settings = _settings(ctx)
    settings.start_run(cmd.day)
    run = ctx.find(CollectionRun, CollectionRun.id_for(cmd.day)) or ctx.track(CollectionRun.open(cmd.day))
    return Result(ctx.save(settings, run), run.id)


class CompleteRun(Strict):
    day: date
    partners: int
    invoices: int
    skipped: list[Skip]
    counts: dict[str, int]


def complete_run(cmd: CompleteRun, ctx: CommandContext) -> Result:
    run = ctx.find(CollectionRun, CollectionRun.id_for(cmd.day))
    if run is None:
        raise not_found("collection run", cmd.day)
    run.complete(cmd.partners, cmd.invoices, cmd.skipped, cmd.counts)
    return Result(ctx.save(run), run.id)


class SettleCases(Strict):
    partner: UUID
    cases: list[UUID]


def settle_cases(cmd: SettleCases, ctx: CommandContext) -> Result:
    """Closes the partner's cases whose invoice and charges are settled, lifting their blocks."""
    partner = load_partner(ctx, str(cmd.partner))
    account = load_account(ctx, partner.id)
    touched: list[Any] = []
    close_settled_cases(ctx, partner, account, cmd.cases, ctx.today, touched)
    return Result(ctx.save(*touched) if touched else 0, partner.id)


# -- messages --------------------------------------------------------------------------------------


def _variables(level: Level, members: list[Firing], day: date, currency: str) -> dict[str, Any]:
    """What a collection template can say: the level, the invoices reaching it, totals, charges."""
    fee = sum((a.amount or ZERO for a in level.actions if a.type is ActionType.FEE), ZERO)
    rate = next((a.annual_rate for a in level.actions if a.type is ActionType.INTEREST), None)
    invoices = []
    for firing in members:
        overdue = (day - firing.item.due_date).days
        invoices.append(
            {
                "number": firing.invoice.number,
                "issue_date": firing.invoice.issue_date.isoformat() if firing.invoice.issue_date else None,
                "due_date": firing.item.due_date.isoformat(),
                "days_overdue": overdue,
                "total": str(firing.item.amount),
                "open_amount": str(firing.open_amount),
                "interest": str(interest(firing.open_amount, rate, overdue)) if rate and overdue > 0 else "0.00",
            }
        )
    total_open = sum((f.open_amount for f in members), ZERO)
    total_interest = sum((Decimal(str(i["interest"])) for i in invoices), ZERO)
    return {
        "level": level.seq,
        "level_name": level.name,
        "currency": currency,
        "invoices": invoices,
        "total_open": str(total_open),
        "fee": str(fee.quantize(Decimal("0.01"))),
        "interest": str(total_interest),
        "total_due": str(total_open + fee + total_interest),
    }


def _send(
    ctx: CommandContext,
    day: date,
    partner: Partner,
    members: list[Firing],
    level: Level,
    action: Action,
    cases: list[CollectionCase],
    group_key: tuple[Any, ...],
    touched: list[Any],
    report: PartnerReport,
) -> bool:
    """One e-mail, SMS or letter listing every invoice of the group. An e-mail without an address
    becomes a letter (``fallback_from: email``); an SMS without a mobile is skipped (``no_mobile``).
    Answers whether a message went out."""
    kind = action.type
    contact = partner.billing_contact()
    common: dict[str, Any] = {
        "purpose": "collection",
        "partner": partner.id,
        "contact": contact.id if contact else None,
        "language": partner.details.language,
        "variables": _variables(level, members, day, members[0].item.currency),
        "documents": [f.invoice.id for f in members],
        "cases": [c.id for c in cases],
    }
    fallback_from = None
    try:
        message = compose_message(
            QueueMessage(
                id=natural_id("collection-message", *group_key, kind.value),
                channel=Channel(kind.value),
                template=action.template,
                attach_letter=action.attach_letter,
                **common,
            ),
            ctx,
        )
    except DomainError as refusal:
        if refusal.code != "no_email":
            _record(cases, level, kind, day, "skipped", reason=refusal.code)
            report.count(f"skipped_{refusal.code}")
            return False
        try:
            message = compose_message(
                QueueMessage(
                    id=natural_id("collection-message", *group_key, "letter-fallback"),
                    channel=Channel.LETTER,
                    template=action.attach_letter,
                    fallback_from="email",
                    **common,
                ),
                ctx,
            )
        except DomainError as second:
            _record(cases, level, kind, day, "skipped", reason=second.code, fallback_from="email")
            report.count(f"skipped_{second.code}")
            return False
        fallback_from = "email"
    touched.append(message)
    _record(cases, level, kind, day, "executed", message=message.id, fallback_from=fallback_from)
    report.count("letters" if fallback_from else f"{kind.value}s")
    return True


def _record(
    cases: list[CollectionCase], level: Level, kind: ActionType, day: date, status: str, **details: Any
) -> None:
    for case in cases:
        case.record_action(level.seq, kind, status, day, **details)
