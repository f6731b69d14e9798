"""(k) ``as_of``: a partner's balance and open items at a past business date and at a past moment,
over one partner with 1,000 invoices (half of them paid), against the raw driver asking the same
of the same tables in the same run; and, for scale, the account replay that the movements avoid."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from rich.progress import Progress

from aggregates.account import Account
from aggregates.base import DomainEvent
from aggregates.payment import Payment
from queries.as_of import AsOf
from queries.partners import PartnerQueries
from services.bootstrap.container import Container
from services.cli.bench.common import LOG_BATCH, Figure, Sizes, catch_up_read_models, open_container, task, timed_query
from services.cli.bench.data import billed_partner, invoice_events, stamped
from services.cli.bench.targets import Target

ITEMS = 1_000  # invoices of the one partner, half of them paid
AS_OF_READ_MODELS = ("partner_directory", "partner_groups", "receivables", "audit_index")


def build_partner(c: Container, advance: Any) -> Account:
    """One partner with ``ITEMS`` invoices of one line (119.00 each) issued a day apart up to
    today, and ``ITEMS / 2`` payments of 119.00 (oldest first) every other day from ten days after
    the first issue, saved directly."""
    today = c.today()
    first = today - timedelta(days=ITEMS + 1)  # the partner exists before its first invoice
    partner = billed_partner(0, "T", first)
    account = Account.open_for(partner.id)
    events: list[DomainEvent] = []
    for i in range(ITEMS):
        events += invoice_events(account, partner, f"TI-{i + 1:07d}", today - timedelta(days=ITEMS - i), 1, i)
    events += partner.collect_events() + account.collect_events()
    for i in range(0, ITEMS, 2):
        on = min(today, today - timedelta(days=ITEMS - i) + timedelta(days=10))
        payment = Payment.receive(uuid4(), f"TP-{i + 1:07d}", partner.id, Decimal("119.00"), "EUR", on, "")
        account.receive_payment(payment.id, Decimal("119.00"), None, on)
        events += payment.collect_events() + account.collect_events()
    for start in range(0, len(events), LOG_BATCH):
        batch = events[start : start + LOG_BATCH]
        c.store.save(stamped(batch, first))
        advance(len(batch))
    return account


def raw_balance(c: Container, partner: str, day: Any) -> tuple[Any, Any]:
    """The raw driver's answer to the same question, by the same plan: the items open on ``day``
    with their open amounts, and the unapplied credit then."""
    items, movements = c.catalog.table("receivables", "items"), c.catalog.table("receivables", "movements")
    mark = "?" if c.catalog.engine.dialect.paramstyle == "qmark" else "%s"
    open_items = (
        f"SELECT i.id, i.kind, i.document, i.number, i.due_date, i.amount, o.open_amount FROM "
        f"(SELECT item_id, SUM(amount) AS open_amount FROM {movements.name} WHERE partner_id = {mark} "
        f'AND "on" <= {mark} AND item_id IS NOT NULL GROUP BY item_id HAVING SUM(amount) > 0.005) o '
        f"JOIN {items.name} i ON i.id = o.item_id ORDER BY i.due_date, i.position"
    )
    unapplied = f'SELECT COALESCE(SUM(unapplied), 0) FROM {movements.name} WHERE partner_id = {mark} AND "on" <= {mark}'
    connection = c.catalog.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(open_items, (partner, day))
        rows = cursor.fetchall()
        cursor.execute(unapplied, (partner, day))
        return rows, cursor.fetchone()
    finally:
        connection.close()


def bench_as_of(target: Target, sizes: Sizes, bar: Progress) -> list[Figure]:
    name = target.name
    with open_container(target.settings("as_of")) as c:
        account = build_partner(c, task(bar, f"{name}: one partner with {ITEMS:,} invoices", ITEMS * 4))
        catch_up_read_models(c, AS_OF_READ_MODELS, bar, name)
        partners = PartnerQueries(c.catalog)
        pid = str(account.partner)
        day = c.today() - timedelta(days=ITEMS // 2)
        moment = datetime.now(UTC) - timedelta(milliseconds=1)

        def replay() -> Any:
            replayed: Any = None
            for e in c.store.stream(account.id):
                replayed = e.mutate(replayed)
            return replayed

        raw = timed_query(
            name,
            f"raw driver: the same open items and credit on a date ({ITEMS:,} items)",
            lambda: raw_balance(c, pid, day),
            lambda answer: len(answer[0]),
        )

        def balance(when: str, ask: Callable[[], Any]) -> Figure:
            figure = timed_query(name, f"balance {when} ({ITEMS:,} items)", ask, lambda b: len(b["open_items"]))
            return figure.against(raw)

        figures = [
            balance("as_of a business date", lambda: partners.balance(pid, AsOf(day=day), c.store.stream)),
            balance("as_of a moment", lambda: partners.balance(pid, AsOf(moment=moment), c.store.stream)),
            balance("now", lambda: partners.balance(pid)),
            timed_query(
                name,
                f"account replay, what as_of avoids ({ITEMS:,} items)",
                replay,
                lambda a: len(a.items),
                runs=5,
            ).against(raw),
            raw,
        ]
    return figures
