"""/v1/balance-confirmations over HTTP: the open items as of a past date (from the dated
movements), a series posted again sends nothing new, a clerk and the portal answer once; a series
whose preparer died midway is finished by the worker's preparer, nobody sent anything twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from commands.balance_confirmations import (
    SendConfirmations,
    StartBalanceConfirmations,
    send_confirmations,
    start_balance_confirmations,
)
from queries.balance_confirmations import BalanceConfirmationQueries
from services.bootstrap.container import Container
from services.workers.mailer import MailingPreparer
from services.workers.ports import Request
from tests.api.helpers import assert_problem, create_partner, error_locs
from tests.api.sales_helpers import invoice_of, pay
from tests.api.test_document_pdf import pdf_text
from tests.conftest import http_client


@pytest.mark.postgres
def test_confirmations_list_the_items_open_then_and_are_answered_once(client: Any) -> None:
    p = create_partner(client, name="Confirming Customer", code="CONF", email="ap@conf.example")
    inv = invoice_of(client, p["id"], "1230.00", issue_date="2025-12-10", due_date="2026-01-09")
    pay(client, p["id"], "500.00", date="2026-01-05")

    def series(as_of: str) -> dict[str, Any]:
        response = client.post("/v1/balance-confirmations", json={"as_of": as_of, "partners": ["CONF"]})
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def listed(**params: str) -> list[dict[str, Any]]:
        return client.get("/v1/balance-confirmations", params=params).json()["items"]  # type: ignore[no-any-return]

    december = series("2025-12-31")
    assert (december["as_of"], december["sent"], december["completed"]) == ("2025-12-31", 1, True)
    series("2026-01-10")
    (before,) = listed(as_of="2025-12-31")
    (after,) = listed(as_of="2026-01-10")
    item = {"item": inv["id"], "kind": "invoice", "document": inv["id"], "number": inv["number"], "currency": "EUR"}
    assert (before["number"], before["total"], before["status"], before["items"], before["totals"]) == (
        "BC2601-0001",
        "1230.00",
        "pending",
        [{**item, "due_date": "2026-01-09", "amount": "1230.00", "open_amount": "1230.00"}],
        [{"currency": "EUR", "total": "1230.00"}],
    )
    assert (after["number"], after["total"], after["items"][0]["open_amount"]) == ("BC2601-0002", "730.00", "730.00")
    message = client.get(f"/v1/messages/{before['message']}").json()
    assert (message["channel"], message["to"], message["template"]) == ("email", "ap@conf.example", "BC-EMAIL-EN")

    # the same request again (a crash, a double click) sends nobody a second confirmation
    assert series("2025-12-31") == december
    assert len(listed()) == 2

    reply = client.post(f"/v1/balance-confirmations/{before['id']}/reply", json={"status": "confirmed", "comment": ""})
    assert reply.status_code == 200, reply.text
    assert (reply.json()["status"], reply.json()["answered_on"]) == ("confirmed", "2026-01-15")
    again = client.post(f"/v1/balance-confirmations/{before['id']}/reply", json={"status": "disputed", "comment": "x"})
    assert_problem(again, 409, "already_answered")
    assert [c["id"] for c in listed(status="confirmed")] == [before["id"]]
    assert [c["id"] for c in listed(status="pending")] == [after["id"]]

    pdf = client.get(f"/v1/balance-confirmations/{before['id']}/pdf")
    assert (pdf.status_code, pdf.headers["content-type"], pdf.content[:5]) == (200, "application/pdf", b"%PDF-")

    bad = client.post("/v1/balance-confirmations", json={"as_of": "2026-01-16", "groups": ["NOPE"]})
    assert error_locs(assert_problem(bad, 422)) == [["body", "as_of"]]
    bad = client.post("/v1/balance-confirmations", json={"as_of": "2026-01-15", "groups": ["NOPE"]})
    assert error_locs(assert_problem(bad, 422)) == [["body", "groups", 0]]


def test_a_partner_owing_in_two_currencies_gets_one_confirmation_with_a_total_per_currency(sqlite_client: Any) -> None:
    client = sqlite_client
    p = create_partner(client, name="Two Currencies", code="TWOCUR", email="ap@twocur.example")
    invoice_of(client, p["id"], "1230.00", issue_date="2025-12-10", due_date="2026-01-09")
    invoice_of(client, p["id"], "200.00", issue_date="2025-12-12", due_date="2026-01-11", currency="USD")
    invoice_of(client, p["id"], "300.00", issue_date="2025-12-14", due_date="2026-01-13")
    response = client.post("/v1/balance-confirmations", json={"as_of": "2025-12-31", "partners": ["TWOCUR"]})
    assert response.json()["sent"] == 1, response.text

    (confirmation,) = client.get("/v1/balance-confirmations").json()["items"]
    assert [(i["open_amount"], i["currency"]) for i in confirmation["items"]] == [
        ("1230.00", "EUR"),
        ("200.00", "USD"),
        ("300.00", "EUR"),
    ]
    assert (confirmation["currency"], confirmation["total"], confirmation["totals"]) == (
        "EUR",
        "1530.00",
        [{"currency": "EUR", "total": "1530.00"}, {"currency": "USD", "total": "200.00"}],
    )
    text = pdf_text(client.get(f"/v1/balance-confirmations/{confirmation['id']}/pdf"))
    assert "€1,530.00" in text and "$200.00" in text


def test_a_series_stopped_midway_is_finished_by_the_preparer_sending_nobody_twice(sqlite_container: Container) -> None:
    c = sqlite_container
    with http_client(c) as client:
        partners = {
            code: create_partner(client, name=f"Customer {code}", code=code, email=f"ap@{code.lower()}.example")["id"]
            for code in ("ONE", "TWO")
        }
        for pid in partners.values():
            invoice_of(client, pid, "100.00", issue_date="2026-01-02", due_date="2026-01-12")

        def run(handler: Any, command: Any) -> Any:
            return c.execute(handler, command, Request(actor="admin")).detail

        # The request's process records the series and its first batch, then dies.
        started = run(start_balance_confirmations, StartBalanceConfirmations(as_of=date(2026, 1, 14)))
        plan = BalanceConfirmationQueries(c.catalog).plan(started.as_of, (), ())
        assert {str(p.partner) for p in plan} == set(partners.values())
        run(send_confirmations, SendConfirmations(series=started.series, batch=1, planned=plan[:1]))
        c.runner.drain()

        # Within the lease nobody touches it (its preparer may just be slow) ...
        assert MailingPreparer(c.ports).run_once() == 0
        # ... past it the worker's preparer sends the rest of the plan and completes the series.
        later = MailingPreparer(c.ports, wall=lambda: datetime.now(UTC) + timedelta(minutes=3))
        assert later.run_once() == 1
        c.runner.drain()
        assert later.run_once() == 0

        sent = client.get("/v1/balance-confirmations").json()["items"]
        assert sorted((s["partner"], s["number"], s["total"]) for s in sent) == sorted(
            [(str(plan[0].partner), "BC2601-0001", "100.00"), (str(plan[1].partner), "BC2601-0002", "100.00")]
        )
        messages = client.get("/v1/messages", params={"purpose": "document"}).json()["items"]
        assert sorted(m["id"] for m in messages) == sorted(s["message"] for s in sent)
        assert sorted(m["to"] for m in messages) == ["ap@one.example", "ap@two.example"]
