"""Crash safety of a collection run: a process killed in the middle of a run, and the same date run
again, records every level, fee and block exactly once; so do two runners racing on one date."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from aggregates.account import ItemKind, ReceivableBooked
from aggregates.collection_case import ActionExecuted, ActionSkipped, CaseOpened, LevelReached
from aggregates.collection_run import CollectionRunCompleted, CollectionRunOpened
from aggregates.collection_scheme import CollectionRunStarted
from aggregates.message import MessageQueued
from aggregates.partner_credit import SalesBlocked
from aggregates.sales_document_events import InvoiceDunned
from commands.collection import DefineScheme, define_scheme
from commands.documents import DraftDocument, IssueDocument, LineIn, draft_document, issue_document
from commands.messages import CreateTemplate, create_template
from commands.partners import AddContact, RegisterPartner, add_contact, register_partner
from processes.collection import run_collection
from queries.collection import CollectionQueries
from services.bootstrap.container import Container, ProcessReads

# The store is this module's subject: it runs on PostgreSQL too.
pytestmark = pytest.mark.postgres

PARTNERS = 30
CRASH_AFTER = 12  # three chunks of 4 partners (the child's chunk size)
DAY = date(2026, 1, 15)  # the manual clock's first day; the invoices are 30 days overdue

# No minimum gap: a level date run again must still reach one level per invoice, not the next.
SCHEME = {
    "code": "STD",
    "name": "Standard",
    "is_default": True,
    "min_days_between_actions": 0,
    "levels": [
        {
            "seq": 1,
            "name": "L1",
            "days_after_due": 7,
            "actions": [
                {"type": "fee", "amount": "15.00"},
                {"type": "block_sales"},
                {"type": "email", "template": "R1"},
            ],
        },
        {"seq": 2, "name": "L2", "days_after_due": 14, "actions": [{"type": "fee", "amount": "25.00"}]},
    ],
}

CHILD = textwrap.dedent(
    """
    import os
    import sys
    from datetime import date

    import processes.collection as process
    from services.bootstrap.container import Container, ProcessReads
    from services.settings import Settings

    settings = Settings(data_dir=sys.argv[1], database_url=sys.argv[2] or None, clock="manual",
                        clock_start="2026-01-15T00:00:00Z")
    c = Container(settings)
    crash_after = int(sys.argv[3])
    process.CHUNK = 4
    collect = process.collect_partners
    done = []

    def collect_then_die(command, ctx):
        result = collect(command, ctx)  # the chunk's partners' transactions are committed here
        done.extend(p.partner for p in command.partners)
        if len(done) >= crash_after:
            os._exit(9)  # no cleanup, no completion: as if the machine went down
        return result

    process.collect_partners = collect_then_die
    process.run_collection(lambda handler, command: c.execute(handler, command), ProcessReads(c.catalog),
                           date.fromisoformat(sys.argv[4]))
    print("the run finished without crashing")
    """
)


def overdue_partners(c: Container) -> list[UUID]:
    body = "{{ total_open }} {{ currency }} is overdue."
    c.execute(
        create_template, CreateTemplate(code="R1", channel="email", purpose="collection", subject="Overdue", body=body)
    )
    c.execute(define_scheme, DefineScheme.model_validate(SCHEME))
    partners = []
    for i in range(PARTNERS):
        code = f"LATE-{i:02d}"
        result = c.execute(register_partner, RegisterPartner(name=f"Late payer {i}", code=code))
        assert result.id is not None
        partners.append(result.id)
        c.execute(add_contact, AddContact(partner=code, name="Accounts", email=f"ap{i}@late.example"))
        lines = [LineIn(product="SVC", quantity=Decimal("1"), unit_price=Decimal(100 + i))]
        drafted = c.execute(
            draft_document,
            DraftDocument(
                type="invoice", partner=code, issue_date=date(2025, 12, 1), due_date=date(2025, 12, 16), lines=lines
            ),
        )
        c.execute(issue_document, IssueDocument(document=str(drafted.id)))
    c.runner.drain()
    return partners


def run(c: Container, partners: list[UUID] | None = None) -> dict[str, Any]:
    return run_collection(lambda handler, command: c.execute(handler, command), ProcessReads(c.catalog), DAY, partners)


def count(c: Container, event_type: type[Any]) -> list[Any]:
    return [e.event for e in c.store.iterate() if type(e.event) is event_type]


def assert_collected_exactly_once(c: Container, partners: list[UUID]) -> None:
    c.runner.drain()
    assert c.runner.errors == {}, c.runner.errors
    opened = count(c, CaseOpened)
    assert Counter(e.partner for e in opened) == dict.fromkeys(partners, 1)
    cases = {e.originator_id for e in opened}
    levels = count(c, LevelReached)
    assert Counter(e.originator_id for e in levels) == dict.fromkeys(cases, 1)
    assert {(e.level, e.on) for e in levels} == {(1, DAY)}
    fees = [e for e in count(c, ReceivableBooked) if e.item.kind is ItemKind.FEE]
    assert Counter(e.partner for e in fees) == dict.fromkeys(partners, 1)
    assert {e.item.amount for e in fees} == {Decimal("15.00")}
    blocks = count(c, SalesBlocked)
    assert Counter(e.originator_id for e in blocks) == dict.fromkeys(partners, 1)
    actions = Counter((e.originator_id, e.action.value) for e in count(c, ActionExecuted))
    assert actions == {(case, action): 1 for case in cases for action in ("fee", "block_sales", "email")}
    assert count(c, ActionSkipped) == []
    messages = count(c, MessageQueued)
    assert Counter(e.composition.partner for e in messages) == dict.fromkeys(partners, 1)
    dunned = count(c, InvoiceDunned)
    assert len(dunned) == PARTNERS == len({e.originator_id for e in dunned})
    assert [e.day for e in count(c, CollectionRunStarted)] == [DAY]
    assert [e.day for e in count(c, CollectionRunOpened)] == [DAY]
    assert [e.day for e in count(c, CollectionRunCompleted)] == [DAY]
    report = CollectionQueries(c.catalog).run(DAY)
    assert (report["status"], report["partners"]) == ("completed", PARTNERS)
    # Counted from what the run recorded, before a crash or in the other runner too.
    assert len(report["actions"]) == 3 * PARTNERS
    assert report["counts"] == {"levels_reached": PARTNERS, "fees": PARTNERS, "blocks": PARTNERS, "emails": PARTNERS}


def test_a_run_killed_in_the_middle_and_run_again_collects_each_partner_once(container: Container) -> None:
    c = container
    partners = overdue_partners(c)
    url = c.settings.database_url or ""
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(c.settings.data_dir), url, str(CRASH_AFTER), DAY.isoformat()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 9, child.stderr
    c.runner.drain()
    # The dead run recorded its first partners completely and nothing else.
    assert len(count(c, LevelReached)) == CRASH_AFTER
    assert len([e for e in count(c, ReceivableBooked) if e.item.kind is ItemKind.FEE]) == CRASH_AFTER
    assert len(count(c, SalesBlocked)) == CRASH_AFTER
    assert len(count(c, MessageQueued)) == CRASH_AFTER
    assert count(c, CollectionRunCompleted) == []
    assert not CollectionQueries(c.catalog).run_completed(DAY)

    assert run(c) == {"day": DAY, "ran": True}
    assert_collected_exactly_once(c, partners)
    # A third time adds nothing at all.
    head = c.store.head()
    assert run(c) == {"day": DAY, "ran": False}
    assert c.store.head() == head


def test_two_runners_racing_on_one_date_collect_each_partner_once(container: Container) -> None:
    c = container
    partners = overdue_partners(c)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def runner(order: list[UUID] | None) -> None:
        barrier.wait()
        try:
            run(c, order)
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=runner, args=(None,)),
        threading.Thread(target=runner, args=(sorted(partners, key=str, reverse=True),)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    assert_collected_exactly_once(c, partners)
