"""What-if simulation: the days from today to a date, walked on a private copy of the books.

The copy holds only what the daily jobs act on: the partners with open invoices or open cases, the
partners of recurring invoices and of the hypothetical payments, with their accounts, open
invoices and cases; and every scheme, template, recurring invoice, number series, setting and the
business clock. It lives in memory (the log in an in-memory SQLite database with its aggregates
kept decoded, ``simulation_copy``; the recurring invoices' read model in another; what the
collection run asks of its read model answered from the aggregates) inside a container of its
own, whose manual clock is ticked one day at a time, so the real day's jobs (the collection run,
recurring invoices) decide exactly as they would. The hypothetical payments are booked as real
payments on their dates, after that day's jobs. Nothing runs the sender there: messages are only
queued in the copy, which is thrown away. What the walk recorded is then read back from the
copy's log."""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from sqlalchemy import create_engine, update
from sqlalchemy.pool import StaticPool

from aggregates.account import Account, AccountOpened, ItemKind, ReceivableBooked
from aggregates.activity import ActivityRecorded
from aggregates.api_key import ApiKeyIssued
from aggregates.bank_line import BankLineUnmatched
from aggregates.base import DomainEvent
from aggregates.campaign import CampaignPlanned
from aggregates.code_claim import CodeClaimed
from aggregates.collection_case import CaseOpened, CollectionCase, LevelReached
from aggregates.collection_run import CollectionRunOpened
from aggregates.errors import Invalid, NotFound
from aggregates.idempotency import IdempotencyKeyUsed
from aggregates.inbound_email import EmailReceived
from aggregates.interest_area import ContactSubscribed, InterestAreaCreated
from aggregates.mailing import MailingStarted
from aggregates.message import MessageQueued
from aggregates.partner_credit import SalesBlocked
from aggregates.partner_details import PartnerRegistered
from aggregates.payment import PaymentReceived
from aggregates.portal_token import PortalTokenIssued
from aggregates.recurring_invoice import RecurringInvoice, RecurringInvoiceCreated, RecurringInvoiceGenerated
from aggregates.request import RequestOpened
from aggregates.sales_document import SalesDocument
from aggregates.sales_document_events import DocumentDrafted
from commands.clock import MoveClock, move_clock
from commands.payments import ReceivePayment, receive_payment
from processes.collection import collection_process
from processes.recurring_invoices import recurring
from projections.catalog import tracking
from projections.recurring_invoices import recurring_invoices
from queries.collection import CollectionQueries
from queries.partners import PartnerQueries
from services.adapters.personal_data import master_key
from services.bootstrap.container import Container
from services.bootstrap.simulation_copy import ACTOR, ActivePartners, CopyStore
from services.workers.ports import Request

log = logging.getLogger("counterparty.simulation")

MAX_DAYS = 366
STRIDE = 7
# The kinds of aggregate that belong to one partner, document or happening: of these the copy
# holds only what the walk acts on. Every other kind (schemes, templates, recurring invoices,
# number series, settings, groups, users, the clock, and whatever kind of setting comes next) is
# copied whole.
OWN_KINDS = (
    AccountOpened,
    ActivityRecorded,
    ApiKeyIssued,
    BankLineUnmatched,
    CampaignPlanned,
    CaseOpened,
    CodeClaimed,
    CollectionRunOpened,
    ContactSubscribed,
    DocumentDrafted,
    EmailReceived,
    IdempotencyKeyUsed,
    InterestAreaCreated,
    MailingStarted,
    MessageQueued,
    PartnerRegistered,
    PaymentReceived,
    PortalTokenIssued,
    RequestOpened,
)
# The process managers whose daily jobs can make what the walk answers (messages, charges,
# blocks, levels, invoices), and the read models they consult. The sales process is left out:
# expiring a quote or promoting a prospect changes none of it. What the collection process asks
# of its read models is answered from the copy's aggregates (``ActivePartners``).
PROJECTIONS = [recurring_invoices]
# The events the walk's answer is read from.
OUTCOME_KINDS = (MessageQueued, ReceivableBooked, SalesBlocked, CaseOpened, LevelReached, RecurringInvoiceGenerated)
PROCESSES = [recurring, collection_process]


@dataclass(frozen=True)
class Payment:
    """A hypothetical payment: booked on ``date`` and allocated like a real one."""

    partner: str
    amount: Decimal
    date: date


@dataclass
class Outcome:
    start: date
    until: date
    messages: list[dict[str, Any]] = field(default_factory=list)
    charges: list[dict[str, Any]] = field(default_factory=list)
    blocks: list[dict[str, Any]] = field(default_factory=list)
    levels: list[dict[str, Any]] = field(default_factory=list)
    invoices: list[dict[str, Any]] = field(default_factory=list)
    balances: list[dict[str, Any]] = field(default_factory=list)
    # Document numbers by id, for showing the lists to people.
    numbers: dict[UUID, str] = field(default_factory=dict)


def check(c: Container, until: date, payments: Sequence[Payment]) -> tuple[date, list[tuple[UUID, Payment]]]:
    """Today, and the payments with their partners' ids; bad input is refused at its field."""
    today = c.clock.today()
    if until < today:
        raise Invalid(["body", "until"], f"until may not be before today ({today})")
    if until > today + timedelta(days=MAX_DAYS):
        raise Invalid(["body", "until"], f"a simulation walks at most {MAX_DAYS} days")
    partners = PartnerQueries(c.catalog)
    resolved = []
    for n, payment in enumerate(payments):
        if payment.amount <= 0:
            raise Invalid(["body", "payments", n, "amount"], "a payment's amount must be positive")
        if not today <= payment.date <= until:
            raise Invalid(["body", "payments", n, "date"], f"a payment's date must lie in [{today}, {until}]")
        try:
            resolved.append((UUID(partners.partner_id(payment.partner)), payment))
        except NotFound:
            raise Invalid(["body", "payments", n, "partner"], f"unknown partner {payment.partner}") from None
    return today, resolved


def simulate(
    c: Container, until: date, payments: Sequence[Payment] = (), progress: Callable[[date], None] | None = None
) -> Outcome:
    """Walks the copy from today to ``until`` (each day's jobs, then that day's payments) and
    answers what happened there. ``progress`` hears of each day done."""
    today, booked = check(c, until, payments)
    with tempfile.TemporaryDirectory(prefix="cpty-sim-") as scratch:
        copy = _sandbox(c, Path(scratch), until)
        try:
            start, partners = _copy_books(c, copy, [partner for partner, _ in booked])
            active = ActivePartners(copy, cast(CopyStore, copy.store), until, partners)
            for manager in copy.managers:
                manager.reads.collection = active
            real_now = c.clock.now()
            if copy.clock.now() < real_now:
                copy.execute(move_clock, MoveClock(to=real_now, clock_start=copy.clock.clock_start()), _request())
            for day in _stops(today, until, {payment.date for _, payment in booked}):
                # One tick runs every day start up to the stop, each day's reactions done first.
                target = copy.clock.day_start(day)
                if target > copy.clock.now():
                    copy.clock.tick(target, ACTOR)
                for partner, payment in booked:
                    if payment.date == day:
                        cmd = ReceivePayment(partner=str(partner), amount=payment.amount, date=day)
                        result = copy.execute(receive_payment, cmd, _request())
                        copy.wait(result.position, timeout=60.0)
                if progress is not None:
                    progress(day)
            return _outcome(copy, start, today, until, [partner for partner, _ in booked])
        finally:
            copy.close()


def _stops(today: date, until: date, paydays: set[date]) -> list[date]:
    """Where the walk pauses: each payment date (its payments follow that day's jobs), every
    ``STRIDE`` days (to tell of progress), and ``until``."""
    stops = {until, *paydays}
    day = today
    while day < until:
        stops.add(day)
        day += timedelta(days=STRIDE)
    return sorted(stops)


def _request() -> Request:
    return Request(actor=ACTOR)


def _sandbox(c: Container, scratch: Path, until: date) -> Container:
    """A container over an in-memory log and read models, its clock manual, nothing to send."""
    name = f"cpty-sim-{uuid.uuid4().hex}"
    settings = c.settings.model_copy(
        update={
            "data_dir": scratch,
            "database_url": f"sqlite:///file:{name}?mode=memory&cache=shared",
            "clock": "manual",
            "clock_start": c.clock.now(),
            "role": "all",
            "kafka_bootstrap": None,
            "kafka_payments_topic": None,
            "smtp_url": None,
            "sms_url": None,
        }
    )
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    store = CopyStore(settings.event_store_url, master_key(settings.master_key, scratch))
    copy = Container(settings, store=store, engine=engine, projections=PROJECTIONS, processes=PROCESSES)
    copy.runner.ensure_reactors()
    return copy


def _copy_books(c: Container, copy: Container, payers: list[UUID]) -> tuple[int, dict[UUID, list[UUID]]]:
    """Copies what the walk needs into ``copy``, in the order of the real log, brings its read
    models up to date, and answers the copy's position after it (what the walk adds follows)
    and the partners whose books it holds, with their open cases."""
    store = c.store
    shared = store.streams_not_begun_by([kind.TOPIC for kind in OWN_KINDS])
    wanted: dict[UUID, list[UUID]] = CollectionQueries(c.catalog).partners_to_collect()
    for template in store.get_many(store.streams_begun_by([RecurringInvoiceCreated.TOPIC])).values():
        if isinstance(template, RecurringInvoice):
            wanted.setdefault(template.schedule.partner, [])
    for partner in payers:
        wanted.setdefault(partner, [])
    accounts = store.get_many(Account.id_for(p) for p in wanted)
    ids: list[UUID] = list(shared)
    open_cases = [case for cases in wanted.values() for case in cases]
    for partner in wanted:
        ids += [partner, Account.id_for(partner)]
        account = accounts.get(Account.id_for(partner))
        if isinstance(account, Account):
            invoices = [
                i for i, amount in account.open.items() if amount > 0 and account.items[i].kind is ItemKind.INVOICE
            ]
            ids += [*invoices, *(CollectionCase.id_for(i) for i in invoices)]
    cases = store.get_many(open_cases)
    ids += [*open_cases, *(case.document for case in cases.values() if isinstance(case, CollectionCase))]
    events = store.in_log_order(list(dict.fromkeys(ids)))
    position = 0
    for batch in range(0, len(events), 1000):
        position = copy.store.save(events[batch : batch + 1000])
    # The process managers start after the copied history: it happened, they acted on it then.
    keys = [f"process:{reactor.name}" for reactor in copy.runner.reactors]
    with copy.engine.begin() as conn:
        conn.execute(update(tracking).where(tracking.c.key.in_(keys)).values(position=position))
    copy.wait(position, timeout=600.0)
    log.info("books copied", extra={"partners": len(wanted), "streams": len(ids), "events": len(events)})
    return copy.store.head(), wanted


def _outcome(copy: Container, start: int, today: date, until: date, payers: list[UUID]) -> Outcome:
    """What the walk recorded in the copy's log after ``start``; balances for the partners named
    there and for those who paid."""
    out = Outcome(start=today, until=until)
    store = copy.store
    case_documents: dict[UUID, UUID] = {}
    partners: list[UUID] = list(payers)
    generated: list[tuple[RecurringInvoiceGenerated, UUID]] = []
    for logged in store.iterate(after=start, topics=[kind.TOPIC for kind in OUTCOME_KINDS]):
        e: DomainEvent = logged.event
        on = e.meta.business_date if e.meta and e.meta.business_date else today
        if isinstance(e, MessageQueued):
            m = e.composition
            partners.append(m.partner)
            out.messages.append(
                {
                    "date": on,
                    "partner": m.partner,
                    "channel": m.channel.value,
                    "template": m.template,
                    "to": m.to,
                    "subject": m.subject,
                    "documents": list(m.documents),
                }
            )
        elif isinstance(e, ReceivableBooked) and e.item.kind is not ItemKind.INVOICE:
            partners.append(e.partner)
            out.charges.append(
                {"date": e.item.booked_on, "partner": e.partner, "kind": e.item.kind.value, "amount": e.item.amount}
            )
        elif isinstance(e, SalesBlocked):
            partners.append(e.originator_id)
            out.blocks.append({"date": e.on, "partner": e.originator_id})
        elif isinstance(e, CaseOpened):
            case_documents[e.originator_id] = e.document
            if e.number:
                out.numbers[e.document] = e.number
        elif isinstance(e, LevelReached):
            document = case_documents.get(e.originator_id)
            if document is None:
                case = store.get(e.originator_id)
                assert isinstance(case, CollectionCase)
                document = case_documents[e.originator_id] = case.document
                if case.number:
                    out.numbers[document] = case.number
            out.levels.append({"date": e.on, "document": document, "level": e.level})
        elif isinstance(e, RecurringInvoiceGenerated):
            generated.append((e, e.originator_id))
    for e, template_id in generated:
        template = store.get(template_id)
        invoice = store.get(e.invoice)
        assert isinstance(template, RecurringInvoice) and isinstance(invoice, SalesDocument)
        partners.append(template.schedule.partner)
        if invoice.number:
            out.numbers[invoice.id] = invoice.number
        out.invoices.append(
            {
                "date": e.schedule_date,
                "partner": template.schedule.partner,
                "template": template_id,
                "document": invoice.id,
                "total": invoice.total,
            }
        )
    for partner in dict.fromkeys(partners):
        account = store.get_many([Account.id_for(partner)]).get(Account.id_for(partner))
        balance = account.balance if isinstance(account, Account) else Decimal("0")
        out.balances.append({"partner": partner, "balance": balance})
    return out
