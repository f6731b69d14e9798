"""/v1/documents: drafts and their amounts, issuing (numbers, statuses, due dates), lookups by id
or number, numbering masks, cancelling, and the credit check on order confirmation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import (
    assert_problem,
    audit_count,
    create_campaigns,
    create_partner,
    create_users,
    error_locs,
    get_partner,
)
from tests.api.sales_helpers import act, balance, document, draft, invoice_of, issue, issued, line, pay, tick

TYPES = ("quote", "order", "proforma", "invoice", "credit_note")

# 3 × 33.33 × 0.95 = 94.9905 → 94.99, tax 21.8477 → 21.85; 2.5 × 10.01 = 25.025 → 25.03 (half-up,
# not to even), tax 8 % 2.0024 → 2.00; 1 × 0.05 × 0.5 = 0.025 → 0.03, tax 23 % 0.0069 → 0.01.
LINES = [
    line("A", "3", "33.33", discount_percent="5", tax_rate="23.00", unit_cost="20.00", description="Widgets"),
    line("B", "2.5", "10.01", tax_rate="8", unit_cost="4"),
    line("C", "1", "0.05", discount_percent="50", tax_rate="23"),
]


def test_a_draft_of_each_type_prices_every_line_half_up(client: Any) -> None:
    create_users(client, "anna")
    p = create_partner(client, name="Acme", sales_reps=["anna"])
    for doc_type in TYPES:
        response = client.post("/v1/documents", json={"type": doc_type, "partner": p["code"], "lines": LINES})
        assert response.status_code == 201, response.text
        assert int(response.headers["X-Position"]) > 0
        doc = response.json()
        assert doc["type"] == doc_type
        assert doc["status"] == "draft"
        assert doc["number"] is None
        assert doc["version"] == 1
        assert doc["partner"] == p["id"]
        assert doc["issue_date"] is None and doc["due_date"] is None
        assert doc["currency"] == "EUR"
        assert doc["sales_rep"] == "anna"
        assert doc["payment_terms_days"] == 30
        assert doc["links"] == []
        assert [(li["product"], li["net"], li["tax"], li["cost"]) for li in doc["lines"]] == [
            ("A", "94.99", "21.85", "60.00"),
            ("B", "25.03", "2.00", "10.00"),
            ("C", "0.03", "0.01", "0.00"),
        ]
        first = doc["lines"][0]
        assert first["quantity"] == "3"
        assert first["unit_price"] == "33.33"
        assert first["discount_percent"] == "5.00"
        assert first["tax_rate"] == "23.00"
        assert first["unit_cost"] == "20.00"
        assert first["description"] == "Widgets"
        assert doc["lines"][1]["quantity"] == "2.5"
        assert (doc["net"], doc["tax"], doc["total"], doc["cost"]) == ("120.05", "23.86", "143.91", "70.00")
        if doc_type in ("quote", "order"):
            assert [li["remaining_quantity"] for li in doc["lines"]] == ["3", "2.5", "1"]
            assert doc["billed"] is False
        else:
            assert all(li["remaining_quantity"] is None for li in doc["lines"])
            assert doc["billed"] is None
        if doc_type == "invoice":
            assert doc["open_amount"] is None
            assert doc["dunning_level"] == 0
            assert doc["in_dispute"] is False
        assert document(client, doc["id"]) == doc
    listed = client.get("/v1/documents", params={"partner": p["code"], "status": "draft"}).json()["items"]
    assert sorted(d["type"] for d in listed) == sorted(TYPES)


@pytest.mark.postgres
def test_issuing_numbers_each_type_from_its_series_and_sets_its_status(client: Any) -> None:
    p = create_partner(client, name="Acme")
    numbers = {}
    for doc_type, status in (
        ("quote", "sent"),
        ("order", "confirmed"),
        ("proforma", "issued"),
        ("invoice", "issued"),
        ("credit_note", "issued"),
    ):
        d = draft(client, p["id"], doc_type, [line("A", "2", "50.00", tax_rate="23")])
        response = client.post(f"/v1/documents/{d['id']}/issue")
        assert response.status_code == 200, response.text
        assert "X-Position" in response.headers
        doc = response.json()
        assert doc["status"] == status
        assert doc["issue_date"] == "2026-01-15"
        assert doc["version"] == 2
        numbers[doc_type] = doc["number"]
    assert numbers == {
        "quote": "QT2601-0001",
        "order": "SO2601-0001",
        "proforma": "PF2601-0001",
        "invoice": "IN2601-0001",
        "credit_note": "CN2601-0001",
    }
    # {document} is an id or a number, for queries and commands alike
    inv = document(client, "IN2601-0001")
    assert inv["due_date"] == "2026-02-14"  # issue date + the partner's 30 days
    assert inv["open_amount"] == "123.00"
    assert document(client, inv["id"]) == inv
    assert_problem(client.post("/v1/documents/IN2601-0001/issue"), 409, "not_a_draft")
    assert_problem(client.get("/v1/documents/IN2601-0999"), 404, "not_found")
    assert act(client, "QT2601-0001", "accept")["status"] == "accepted"


def test_due_date_from_terms_or_given_and_a_past_issue_date(sqlite_client: Any) -> None:
    client = sqlite_client
    p = create_partner(client, name="Acme", payment_terms_days=14)
    by_partner = invoice_of(client, p["id"], "10.00")
    assert (by_partner["number"], by_partner["due_date"]) == ("IN2601-0001", "2026-01-29")
    by_terms = invoice_of(client, p["id"], "10.00", payment_terms_days=45)
    assert (by_terms["number"], by_terms["due_date"], by_terms["payment_terms_days"]) == (
        "IN2601-0002",
        "2026-03-01",
        45,
    )
    given = invoice_of(client, p["id"], "10.00", due_date="2026-02-02", payment_terms_days=45)
    assert given["due_date"] == "2026-02-02"
    d = draft(client, p["id"], "invoice", [line("SVC", "1", "10.00")])
    backdated = issue(client, d["id"], issue_date="2025-12-20")
    assert (backdated["number"], backdated["issue_date"], backdated["due_date"]) == (
        "IN2512-0004",
        "2025-12-20",
        "2026-01-03",
    )
    dated = draft(client, p["id"], "invoice", [line("SVC", "1", "10.00")], issue_date="2026-01-10")
    assert issue(client, dated["id"])["issue_date"] == "2026-01-10"
    early = draft(client, p["id"], "invoice", [line("SVC", "1", "10.00")], due_date="2026-01-01")
    assert_problem(client.post(f"/v1/documents/{early['id']}/issue"), 409, "due_before_issue")
    assert balance(client, p["id"])["balance"] == "50.00"


def test_issue_date_after_today_and_malformed_drafts_are_refused(sqlite_client: Any) -> None:
    client = sqlite_client
    p = create_partner(client, name="Acme")
    body = {"type": "invoice", "partner": p["id"], "lines": [line()]}
    problem = assert_problem(client.post("/v1/documents", json={**body, "issue_date": "2026-01-16"}), 422)
    assert error_locs(problem) == [["body", "issue_date"]]
    d = draft(client, p["id"])
    problem = assert_problem(client.post(f"/v1/documents/{d['id']}/issue", json={"issue_date": "2026-01-16"}), 422)
    assert error_locs(problem) == [["body", "issue_date"]]
    stale = client.post(f"/v1/documents/{d['id']}/issue", headers={"If-Match": "2"})
    assert_problem(stale, 412, "version_conflict")
    assert document(client, d["id"])["status"] == "draft"
    for bad, loc in (
        ({**body, "type": "receipt"}, ["body", "type"]),
        ({**body, "lines": []}, ["body", "lines"]),
        ({**body, "lines": [line(quantity="0")]}, ["body", "lines", 0, "quantity"]),
        ({**body, "lines": [line(unit_price="1.001")]}, ["body", "lines", 0, "unit_price"]),
        ({**body, "lines": [line(discount_percent="101")]}, ["body", "lines", 0, "discount_percent"]),
        ({**body, "lines": [line(tax_rate="-1")]}, ["body", "lines", 0, "tax_rate"]),
        ({**body, "applies_to": d["id"]}, ["body", "applies_to"]),
    ):
        problem = assert_problem(client.post("/v1/documents", json=bad), 422, "validation_error")
        assert error_locs(problem) == [loc], bad
    assert error_locs(assert_problem(client.post("/v1/documents", json={**body, "partner": "NOPE"}), 422)) == [
        ["body", "partner"]
    ]
    assert_problem(client.get("/v1/documents/00000000-0000-0000-0000-000000000000"), 404, "not_found")
    assert_problem(client.post("/v1/documents/NOPE/issue"), 404, "not_found")
    assert len(client.get("/v1/documents").json()["items"]) == 1


def test_document_numbers_follow_the_invoice_mask(sqlite_client: Any) -> None:
    client = sqlite_client
    response = client.put("/v1/settings/numbering/invoice", json={"mask": "F-{yyyy}-{mm}{dd}-{000}"})
    assert response.status_code == 200, response.text
    p = create_partner(client, name="Acme")
    assert invoice_of(client, p["id"], "1.00")["number"] == "F-2026-0115-001"
    assert invoice_of(client, p["id"], "1.00")["number"] == "F-2026-0115-002"
    # other series keep their default masks
    assert issued(client, p["id"], "credit_note")["number"] == "CN2601-0001"
    tick(client, "2026-02-03")
    inv = invoice_of(client, p["id"], "1.00")
    assert inv["number"] == "F-2026-0203-003"
    assert document(client, "F-2026-0203-003")["id"] == inv["id"]
    # a number already taken is skipped
    client.put("/v1/settings/numbering/invoice", json={"mask": "X-{0}5"})
    assert invoice_of(client, p["id"], "1.00")["number"] == "X-45"
    client.put("/v1/settings/numbering/invoice", json={"mask": "X-4{0}"})
    assert invoice_of(client, p["id"], "1.00")["number"] == "X-46"  # the counter's 5 makes X-45 again


def test_list_filters(sqlite_client: Any) -> None:
    client = sqlite_client
    create_campaigns(client, "SPRING")
    a = create_partner(client, name="A")
    b = create_partner(client, name="B")
    q = issued(client, a["id"], "quote", campaign="SPRING")
    inv = invoice_of(client, a["id"], "10.00", issue_date="2026-01-05")
    other = draft(client, b["id"], "invoice")

    def ids(**params: Any) -> list[str]:
        response = client.get("/v1/documents", params=params)
        assert response.status_code == 200, response.text
        return [d["id"] for d in response.json()["items"]]

    assert ids() == [other["id"], inv["id"], q["id"]]
    assert ids(partner=a["code"]) == [inv["id"], q["id"]]
    assert ids(type="invoice") == [other["id"], inv["id"]]
    assert ids(status="draft") == [other["id"]]
    assert ids(status="draft,sent") == [other["id"], q["id"]]
    assert ids(campaign="SPRING") == [q["id"]]
    assert ids(**{"from": "2026-01-10"}) == [q["id"]]
    assert ids(to="2026-01-10") == [inv["id"]]


# -- cancelling ------------------------------------------------------------------------------------


def test_cancel_a_draft_and_an_unpaid_invoice_but_not_a_paid_invoice_or_an_issued_quote(client: Any) -> None:
    p = create_partner(client, name="Acme")
    d = draft(client, p["id"])
    cancelled = act(client, d["id"], "cancel", {"reason": "typo"})
    assert cancelled["status"] == "cancelled"
    assert cancelled["number"] is None

    inv = invoice_of(client, p["id"], "250.00")
    assert balance(client, p["id"])["balance"] == "250.00"
    cancelled = act(client, inv["number"], "cancel", {"reason": "wrong customer"})
    assert cancelled["status"] == "cancelled"
    assert cancelled["number"] == inv["number"]
    after = balance(client, p["id"])
    assert (after["balance"], after["open_items"], after["unapplied_credit"]) == ("0.00", [], "0.00")
    items = client.get("/v1/receivables", params={"partner": p["id"]}).json()["items"]
    assert [(i["number"], i["status"], i["open_amount"]) for i in items] == [(inv["number"], "cancelled", "0.00")]

    paid = invoice_of(client, p["id"], "100.00")
    pay(client, p["id"], "10.00")
    assert_problem(client.post(f"/v1/documents/{paid['id']}/cancel", json={"reason": "x"}), 409, "invoice_paid")
    assert document(client, paid["id"])["status"] == "issued"
    assert balance(client, p["id"])["balance"] == "90.00"

    quote = issued(client, p["id"], "quote")
    assert_problem(client.post(f"/v1/documents/{quote['id']}/cancel", json={"reason": "x"}), 409, "not_cancellable")
    assert document(client, quote["id"])["status"] == "sent"


# -- the credit check ------------------------------------------------------------------------------


def test_order_confirmation_past_the_credit_limit_is_refused_and_records_nothing(client: Any) -> None:
    p = create_partner(client, name="Acme", credit_limit="1000.00")
    invoice_of(client, p["id"], "600.00")
    too_much = draft(client, p["id"], "order", [line("A", "1", "400.01")])
    just_right = draft(client, p["id"], "order", [line("A", "1", "400.00")])
    events = audit_count(client)
    refused = client.post(f"/v1/documents/{too_much['id']}/issue")
    assert_problem(refused, 409, "credit_limit")
    assert "X-Position" not in refused.headers
    assert audit_count(client) == events
    assert document(client, too_much["id"])["status"] == "draft"
    assert document(client, too_much["id"])["version"] == 1
    confirmed = issue(client, just_right["id"])
    assert (confirmed["status"], confirmed["number"]) == ("confirmed", "SO2601-0001")
    # an order is not a receivable: the balance is unchanged, and the refused order took no number
    assert balance(client, p["id"])["balance"] == "600.00"


def test_order_confirmation_for_a_stopped_partner_is_refused_and_records_nothing(client: Any) -> None:
    p = create_partner(client, name="Acme", credit_limit="1000.00")
    order = draft(client, p["id"], "order", [line("A", "1", "10.00")])
    hold = client.post(f"/v1/partners/{p['id']}/credit-hold", json={"reason": "cheque bounced"})
    position = int(hold.headers["X-Position"])
    events = audit_count(client)
    assert_problem(client.post(f"/v1/documents/{order['id']}/issue"), 409, "credit_stop")
    assert audit_count(client) == events
    lifted = client.delete(f"/v1/partners/{p['id']}/credit-hold")
    assert lifted.status_code == 200
    assert audit_count(client) == events + 1
    assert int(lifted.headers["X-Position"]) == position + 1
    assert issue(client, order["id"])["status"] == "confirmed"


@pytest.mark.postgres
def test_invoices_are_not_credit_checked_and_credit_status_follows_the_balance(client: Any) -> None:
    client.post("/v1/partner-groups", json={"code": "G-WATCH", "name": "Watched", "credit_watch_percent": "80"})
    p = create_partner(client, name="Acme", credit_limit="1000.00", group="G-WATCH")
    other = create_partner(client, name="Other", credit_limit="1000.00")

    def status(ref: str) -> str:
        s = get_partner(client, ref)["credit_status"]
        assert balance(client, ref)["credit_status"] == s
        return str(s)

    invoice_of(client, p["id"], "800.00")
    invoice_of(client, other["id"], "800.01")
    assert status(p["id"]) == "ok"  # exactly 80 %: not above it
    assert status(other["id"]) == "ok"  # the default watch percent is 90
    invoice_of(client, p["id"], "0.01")
    assert status(p["id"]) == "watch"
    invoice_of(client, p["id"], "199.99")
    assert balance(client, p["id"])["balance"] == "1000.00"
    assert status(p["id"]) == "watch"  # at the limit, not above it
    invoice_of(client, p["id"], "0.01")
    assert status(p["id"]) == "hold"
    assert [x["id"] for x in client.get("/v1/partners", params={"credit_status": "hold"}).json()["items"]] == [p["id"]]
    assert_problem(
        client.post(f"/v1/documents/{draft(client, p['id'], 'order', [line('A', '1', '0.01')])['id']}/issue"),
        409,
        "credit_limit",
    )
    pay(client, p["id"], "300.00")
    assert status(p["id"]) == "ok"  # 700.01 of 1000.00
    client.post(f"/v1/partners/{p['id']}/credit-hold", json={"reason": "manual"})
    pay(client, p["id"], "700.01")
    assert balance(client, p["id"])["balance"] == "0.00"
    assert status(p["id"]) == "stop"  # a falling balance does not lift a stop


def test_confirming_an_order_or_issuing_an_invoice_makes_a_prospect_a_customer(sqlite_client: Any) -> None:
    client = sqlite_client
    by_order = create_partner(client, name="P1", roles=["prospect"])
    by_invoice = create_partner(client, name="P2", roles=["prospect"])
    by_quote = create_partner(client, name="P3", roles=["prospect"])
    issued(client, by_order["id"], "order")
    issued(client, by_invoice["id"], "invoice")
    issued(client, by_quote["id"], "quote")
    assert get_partner(client, by_order["id"])["roles"] == ["prospect", "customer"]
    assert get_partner(client, by_invoice["id"])["roles"] == ["prospect", "customer"]
    assert get_partner(client, by_quote["id"])["roles"] == ["prospect"]


@pytest.mark.parametrize("doc_type", ["quote", "order"])
def test_only_quotes_are_accepted_or_refused(sqlite_client: Any, doc_type: str) -> None:
    client = sqlite_client
    p = create_partner(client, name="Acme")
    d = draft(client, p["id"], doc_type)
    if doc_type == "quote":
        assert_problem(client.post(f"/v1/documents/{d['id']}/accept"), 409, "quote_not_open")
        assert_problem(client.post(f"/v1/documents/{d['id']}/accept", json={"date": "2026-01-16"}), 422)
    else:
        assert_problem(client.post(f"/v1/documents/{d['id']}/accept"), 409, "wrong_document_type")
        assert_problem(client.post(f"/v1/documents/{d['id']}/refuse", json={"reason": "x"}), 409, "wrong_document_type")
