"""The run of a date: open it, decide one partner's collection (``chunk`` collects the partners,
each in a transaction of its own), complete it.

Collecting a partner closes its settled cases, decides each open invoice's next level, groups the
invoices reaching a level together (per level and currency) and runs the level's actions once per
group, through the table of executors in ``actions``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID

from aggregates.account import Account, ItemKind, ItemStatus, OpenItem
from aggregates.collection_case import CollectionCase
from aggregates.collection_run import CollectionRun, NotCollected, Skip
from aggregates.collection_scheme import CollectionScheme, InvoiceFacts, decide, first_acting_day
from aggregates.errors import Invalid, not_found
from aggregates.partner import Partner
from aggregates.sales_document import SalesDocument
from commands.collection.actions import EXECUTORS
from commands.collection.closing import close_settled_cases
from commands.collection.group import Firing, Group, PartnerReport
from commands.collection.schemes import collection_settings, scheme_for
from commands.context import CommandContext, Result
from commands.documents import load_account
from commands.partners import load_partner
from commands.types import Strict


class CollectPartner(Strict):
    partner: UUID
    day: date
    # The partner's open cases as the read model knows them: only these can close now, so a run
    # does not look for a case behind every invoice the partner ever paid.
    open_cases: list[UUID] = []


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


def decide_partner(ctx: CommandContext, cmd: CollectPartner) -> tuple[list[Any], PartnerReport]:
    """One partner's levels and actions for the run date, decided but not saved: what it touched
    and its report."""
    partner = load_partner(ctx, str(cmd.partner))
    account = load_account(ctx, partner.id)
    report = PartnerReport()
    scheme = scheme_for(ctx, partner)
    touched: list[Any] = []
    close_settled_cases(ctx, partner, account, cmd.open_cases, cmd.day, touched)
    if scheme is None:
        return touched, report
    firings: list[Firing] = []
    unnoted: dict[UUID, date] = {}
    for invoice, item, case, facts in _invoices(ctx, partner, account, scheme):
        report.invoices += 1
        decision = decide(scheme.rules, facts, cmd.day)
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
        firings.append(Firing(invoice, item, account.open[invoice.id], case, decision.level))
    groups: dict[tuple[int, str], list[Firing]] = {}
    for firing in firings:
        groups.setdefault((firing.level.seq, firing.item.currency), []).append(firing)
    for (_, currency), members in sorted(groups.items(), key=lambda g: g[0]):
        group = Group(ctx, cmd.day, scheme, partner, account, members[0].level, currency, members, [], touched, report)
        _fire(group)
    for firing in firings:
        if firing.case is not None and firing.invoice.id in unnoted:
            firing.case.note_promise(kept=False, promised_for=unnoted[firing.invoice.id], on=cmd.day)
    return touched, report


def _invoices(
    ctx: CommandContext, partner: Partner, account: Account, scheme: CollectionScheme
) -> Iterator[tuple[SalesDocument, OpenItem, CollectionCase | None, InvoiceFacts]]:
    """Each open invoice of the partner, oldest first, with its case and the facts the rules decide on."""
    for item_id in account.open_items_oldest_first():
        item = account.items[item_id]
        if item.kind is not ItemKind.INVOICE:
            continue
        invoice = ctx.find(SalesDocument, item_id)
        if invoice is None:
            continue
        # A case is opened together with the invoice's first dunning, so an invoice never dunned
        # has none (unless a level 0 can open one without a message).
        case = (
            ctx.find(CollectionCase, CollectionCase.id_for(invoice.id))
            if invoice.dunning_level or invoice.dunned or scheme.rules.has_level_zero
            else None
        )
        yield invoice, item, case, _facts(account, invoice, partner, case, frozenset(invoice.reminders_sent))


def active_from(ctx: CommandContext, cmd: CollectPartner, last: date) -> date | None:
    """The first day from ``cmd.day`` to ``last`` on which collecting the partner can record
    anything while its books stay as they are now (a case of a settled invoice to close, an
    invoice reaching a level, a promise broken), or None. It only reads: a walk over many days
    (a what-if simulation) leaves the partners out of the runs of their quiet days."""
    partner = load_partner(ctx, str(cmd.partner))
    account = load_account(ctx, partner.id)
    for case_id in cmd.open_cases:
        case = ctx.find(CollectionCase, case_id)
        if case is not None and account.status.get(case.document) is not ItemStatus.OPEN:
            return cmd.day
    scheme = scheme_for(ctx, partner)
    if scheme is None:
        return None
    first: date | None = None
    for *_, facts in _invoices(ctx, partner, account, scheme):
        first = first_acting_day(scheme.rules, facts, cmd.day, first or last) or first
    return first


def _fire(group: Group) -> None:
    """The group's invoices reach the level, then the level's actions run in their order, once for
    the group; the invoices record their dunning."""
    level, day = group.level, group.day
    if level.is_reminder:
        # Before due: noted on the invoices, opening no case; its actions only send messages.
        for firing in group.members:
            firing.invoice.note_reminder(level.seq, day)
            group.touched.append(firing.invoice)
            group.report.count("reminders")
        _execute(group)
        return
    for firing in group.members:
        case = firing.case or group.ctx.track(
            CollectionCase.open(
                firing.invoice.id, firing.invoice.number, group.partner.id, group.scheme.code, group.currency, day
            )
        )
        firing.case = case
        if case.reach(level.seq, level.name, day, day):
            group.cases.append(case)
            group.touched.append(case)
            group.report.count("levels_reached")
    if not group.cases:
        return
    _execute(group)
    for firing in group.members:
        firing.invoice.record_dunning(level.seq, group.messaged, day)
        group.touched.append(firing.invoice)


def _execute(group: Group) -> None:
    for action in group.level.actions:
        EXECUTORS[action.type](group, action)


class StartRun(Strict):
    day: date


def start_run(cmd: StartRun, ctx: CommandContext) -> Result:
    """Opens the run of a date (refusing an earlier date than the latest run)."""
    if cmd.day > ctx.today:
        raise Invalid(["body", "date"], "a run date may not be after today")
    settings = collection_settings(ctx)
    settings.start_run(cmd.day)
    run = ctx.find(CollectionRun, CollectionRun.id_for(cmd.day)) or ctx.track(CollectionRun.open(cmd.day))
    return Result(ctx.save(settings, run), run.id)


class CompleteRun(Strict):
    day: date
    partners: int
    invoices: int
    skipped: list[Skip]
    counts: dict[str, int]
    not_collected: list[NotCollected] = []


def complete_run(cmd: CompleteRun, ctx: CommandContext) -> Result:
    run = ctx.find(CollectionRun, CollectionRun.id_for(cmd.day))
    if run is None:
        raise not_found("collection run", cmd.day)
    run.complete(cmd.partners, cmd.invoices, cmd.skipped, cmd.counts, cmd.not_collected)
    return Result(ctx.save(run), run.id)
