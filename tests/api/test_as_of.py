"""`as_of` as a business date (the end of that day: money by its value date) or as a moment
(recording time) on partners, balances, documents and collection cases; `verify?until=`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.api.helpers import assert_problem, create_partner
from tests.api.sales_helpers import act, invoice_of, pay, tick
from tests.api.test_collection_api import define, partner, templates


def at(client: Any, url: str, as_of: str) -> dict[str, Any]:
    response = client.get(url, params={"as_of": as_of})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def moment(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def opened(balance: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(i["number"], i["due_date"], i["open_amount"]) for i in balance["open_items"]]


@pytest.mark.postgres
def test_a_payment_counts_from_its_value_date_and_a_moment_sees_what_was_recorded(client: Any) -> None:
    p = create_partner(client, name="Time Travel", code="TT", credit_limit="1000.00", credit_check=True)
    inv = invoice_of(client, p["id"], "1230.00", issue_date="2026-01-10", payment_terms_days=14)
    assert (inv["issue_date"], inv["due_date"]) == ("2026-01-10", "2026-01-24")
    tick(client, "2026-02-03")
    pay(client, p["id"], "500.00", date="2026-02-01")  # recorded on 2026-02-03
    account_events = client.get("/v1/audit/events", params={"type": "PaymentAllocated"}).json()["items"]
    paid_at = datetime.fromisoformat(account_events[-1]["recorded_at"].replace("Z", "+00:00"))
    balance_url = f"/v1/partners/{p['id']}/balance"

    before = at(client, balance_url, "2026-01-31")
    assert (before["balance"], before["unapplied_credit"], before["credit_status"]) == ("1230.00", "0.00", "hold")
    assert opened(before) == [(inv["number"], "2026-01-24", "1230.00")]
    assert before["open_items"][0]["amount"] == "1230.00"
    on_value_date = at(client, balance_url, "2026-02-01")
    assert (on_value_date["balance"], on_value_date["credit_status"]) == ("730.00", "ok")
    assert opened(on_value_date) == [(inv["number"], "2026-01-24", "730.00")]
    # Recorded on the 3rd: a moment before its recording does not know the payment, one after does.
    assert at(client, balance_url, moment(paid_at - timedelta(microseconds=1)))["balance"] == "1230.00"
    assert at(client, balance_url, moment(paid_at))["balance"] == "730.00"
    assert client.get(balance_url).json()["balance"] == "730.00"
    assert at(client, f"/v1/partners/{p['id']}", "2026-01-31")["balance"] == "1230.00"
    assert at(client, f"/v1/partners/{p['id']}", "2026-02-01")["credit_status"] == "ok"

    doc_url = f"/v1/documents/{inv['number']}"
    then = at(client, doc_url, "2026-01-31")
    assert (then["status"], then["open_amount"], then["dunning_level"]) == ("issued", "1230.00", 0)
    assert at(client, doc_url, "2026-02-01")["open_amount"] == "730.00"
    assert at(client, doc_url, moment(paid_at - timedelta(microseconds=1)))["open_amount"] == "1230.00"

    assert client.patch(f"/v1/partners/{p['id']}", json={"name": "Time Travel Ltd"}).status_code == 200
    assert at(client, f"/v1/partners/{p['id']}", "2026-02-02")["name"] == "Time Travel"
    assert at(client, f"/v1/partners/{p['id']}", "2026-02-03")["name"] == "Time Travel Ltd"
    hold = client.post(f"/v1/partners/{p['id']}/credit-hold", json={"reason": "audit"})
    assert hold.status_code == 200, hold.text
    assert at(client, balance_url, "2026-02-02")["credit_status"] == "ok"
    assert at(client, balance_url, "2026-02-03")["credit_status"] == "stop"
    assert at(client, f"/v1/partners/{p['id']}", "2026-02-02")["credit_hold"] is None

    pay(client, p["id"], "730.00", date="2026-02-03")
    assert at(client, doc_url, "2026-02-02")["status"] == "issued"
    paid = at(client, doc_url, "2026-02-03")
    assert (paid["status"], paid["open_amount"]) == ("paid", "0.00")
    assert at(client, balance_url, "2026-02-03")["open_items"] == []

    # Before the partner existed (registered on the business day 2026-01-15): 404 everywhere.
    assert_problem(client.get(balance_url, params={"as_of": "2026-01-14"}), 404, "not_found")
    assert_problem(client.get(f"/v1/partners/{p['id']}", params={"as_of": "2026-01-14"}), 404, "not_found")
    assert_problem(client.get(doc_url, params={"as_of": "2026-01-14"}), 404, "not_found")
    assert_problem(client.get(balance_url, params={"as_of": "2026-02-30"}), 422, "validation_error")


def test_a_collection_case_and_its_invoice_as_of_a_date_show_the_level_reached_then(sqlite_client: Any) -> None:
    client = sqlite_client
    templates(client)
    define(client)
    acme = partner(client, "Acme", "ACME")
    inv = invoice_of(client, acme["id"], "1000.00", due_date="2026-01-15")
    tick(client, "2026-01-25")
    act(client, inv["id"], "dispute", {"reason": "never delivered"})
    act(client, inv["id"], "dispute/resolve")
    tick(client, "2026-02-05")
    case = client.get("/v1/collection/cases", params={"partner": "ACME"}).json()["items"][0]
    case_url = f"/v1/collection/cases/{case['id']}"
    assert case["level"] == 2

    def story(body: dict[str, Any]) -> list[tuple[str, str, int | None, str | None]]:
        return [(h["date"], h["kind"], h["level"], h["action"]) for h in body["history"]]

    first = at(client, case_url, "2026-02-04")
    assert (first["level"], first["times_dunned"], first["status"]) == (1, 1, "open")
    assert story(first) == [
        ("2026-01-22", "opened", None, None),
        ("2026-01-22", "level_reached", 1, None),
        ("2026-01-22", "action", 1, "email"),
        ("2026-01-25", "dispute_raised", None, None),
        ("2026-01-25", "dispute_resolved", None, None),
    ]
    second = at(client, case_url, "2026-02-05")
    assert (second["level"], second["times_dunned"]) == (2, 2)
    assert story(second)[-4:] == [
        ("2026-02-05", "level_reached", 2, None),
        ("2026-02-05", "action", 2, "fee"),
        ("2026-02-05", "action", 2, "sms"),
        ("2026-02-05", "action", 2, "email"),
    ]
    # The case as of today is the case now, history included.
    assert second == client.get(case_url).json()
    assert_problem(client.get(case_url, params={"as_of": "2026-01-21"}), 404, "not_found")

    assert at(client, f"/v1/documents/{inv['id']}", "2026-02-04")["dunning_level"] == 1
    assert at(client, f"/v1/documents/{inv['id']}", "2026-02-05")["dunning_level"] == 2
    balance_url = f"/v1/partners/{acme['id']}/balance"
    assert at(client, balance_url, "2026-02-04")["balance"] == "1000.00"
    assert at(client, balance_url, "2026-02-05")["balance"] == "1040.00"  # and the level 2 fee


@pytest.mark.postgres
def test_verify_until_a_position_keeps_its_head_when_the_log_grows(client: Any) -> None:
    create_partner(client, name="Chained", code="CHN")
    head = client.get("/v1/audit/verify").json()["head"]
    create_partner(client, name="Later", code="LTR")
    later = client.get("/v1/audit/verify").json()
    assert later["head"]["position"] > head["position"]
    until = client.get("/v1/audit/verify", params={"until": head["position"]}).json()
    assert until == {"ok": True, "events": 2, "streams": 2, "problems": [], "head": head}
    assert client.get("/v1/audit/verify", params={"until": 0}).json()["events"] == 0
    beyond = client.get("/v1/audit/verify", params={"until": later["head"]["position"] + 100}).json()
    assert beyond["head"] == later["head"]
    assert_problem(client.get("/v1/audit/verify", params={"until": -1}), 422, "validation_error")
