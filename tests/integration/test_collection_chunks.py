"""A collection run works in chunks of partners (read in a few queries, each partner saved in a
transaction of its own): a partner whose collection fails does not stop the run, and its failure
is on the run's report and in the log; a partner whose save loses a race in the chunk is
collected again alone, on fresh state."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

import pytest

import commands.collection.chunk as chunk
import processes.collection as process
from aggregates.collection_case import CaseOpened, LevelReached
from aggregates.collection_scheme import Action, ActionType
from aggregates.message import MessageQueued
from aggregates.sales_document_events import InvoiceDunned
from commands.collection.actions import EXECUTORS
from commands.collection.group import Group
from commands.collection.messages import send_message
from commands.collection.run import CollectPartner
from commands.context import CommandContext
from commands.documents import DisputeInvoice, dispute_invoice
from services.bootstrap.container import Container
from tests.commands.collection_helpers import L1, on
from tests.integration.test_collection_flow import define, events, invoice, register, run_report, tick

# Batch reads and the saves that share transactions are the store's: PostgreSQL too.
pytestmark = pytest.mark.postgres


def partners_with_overdue_invoices(c: Container, n: int) -> tuple[list[UUID], list[UUID]]:
    """``n`` partners P0, P1, … with one invoice each, due on the clock's first day."""
    define(c, levels=[L1])  # L1, 7 days after due: an e-mail
    partners = [register(c, f"P{i}") for i in range(n)]
    invoices = [invoice(c, f"P{i}", f"{100 + i}.00") for i in range(n)]
    return partners, invoices


def test_a_partner_whose_collection_fails_is_reported_and_the_run_collects_the_others(
    container: Container, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    c = container
    partners, invoices = partners_with_overdue_invoices(c, 5)
    poisoned = partners[2]

    def poisoned_email(group: Group, action: Action) -> None:
        if group.partner.id == poisoned:
            raise RuntimeError("poisoned for the test")
        send_message(group, action)

    monkeypatch.setattr(process, "CHUNK", 2)  # chunks P0 P1 | P2 P3 | P4 (in id order)
    monkeypatch.setitem(EXECUTORS, ActionType.EMAIL, poisoned_email)
    with caplog.at_level(logging.ERROR, logger="counterparty.collection"):
        tick(c, on(22))

    report = run_report(c, on(22))
    assert (report["status"], report["partners"], report["invoices"]) == ("completed", 5, 4)
    assert report["not_collected"] == [{"partner": str(poisoned), "reason": "RuntimeError: poisoned for the test"}]
    assert report["counts"] == {"emails": 4, "levels_reached": 4}
    others = [p for p in partners if p != poisoned]
    assert sorted(str(e.partner) for e in events(c, CaseOpened)) == sorted(map(str, others))
    assert len(events(c, LevelReached)) == 4
    assert sorted(str(e.composition.partner) for e in events(c, MessageQueued)) == sorted(map(str, others))
    dunned = {i for i, p in zip(invoices, partners, strict=True) if p != poisoned}
    assert {e.originator_id for e in events(c, InvoiceDunned)} == dunned
    (logged,) = [r for r in caplog.records if r.getMessage() == "partner not collected"]
    assert (logged.__dict__["partner"], logged.__dict__["reason"]) == (
        str(poisoned),
        "RuntimeError: poisoned for the test",
    )

    # The next run visits the partner again; the others have nothing new to do.
    monkeypatch.setitem(EXECUTORS, ActionType.EMAIL, send_message)
    tick(c, on(23))
    report = run_report(c, on(23))
    assert (report["not_collected"], report["counts"]) == ([], {"emails": 1, "levels_reached": 1})
    assert sorted(str(e.partner) for e in events(c, CaseOpened)) == sorted(map(str, partners))


def test_a_partner_whose_save_loses_a_race_in_its_chunk_is_collected_again_on_fresh_state(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = container
    partners, invoices = partners_with_overdue_invoices(c, 3)
    raced, raced_invoice = partners[1], invoices[1]
    decided: list[UUID] = []
    decide = chunk.decide_partner

    def decide_after_a_clerk(ctx: CommandContext, cmd: CollectPartner) -> tuple[list[Any], Any]:
        if cmd.day != on(22):  # the day starts before: nothing is due yet
            return decide(ctx, cmd)
        decided.append(cmd.partner)
        if cmd.partner == raced and decided.count(raced) == 1:
            # A clerk disputes the invoice after the chunk read it: the chunk decides on what it
            # read, and its save of that partner is refused.
            c.execute(dispute_invoice, DisputeInvoice(document=str(raced_invoice), reason="wrong quantity"))
        return decide(ctx, cmd)

    monkeypatch.setattr(chunk, "decide_partner", decide_after_a_clerk)
    tick(c, on(22))

    assert sorted(map(str, decided)) == sorted(map(str, [*partners, raced]))  # the raced one twice
    report = run_report(c, on(22))
    assert (report["not_collected"], report["counts"]) == (
        [],
        {"emails": 2, "levels_reached": 2, "skipped_in_dispute": 1},
    )
    assert [(s["document"], s["reason"]) for s in report["skipped"]] == [(str(raced_invoice), "in_dispute")]
    assert sorted(str(e.partner) for e in events(c, CaseOpened)) == sorted(str(p) for p in partners if p != raced)
    assert raced_invoice not in {e.originator_id for e in events(c, InvoiceDunned)}
