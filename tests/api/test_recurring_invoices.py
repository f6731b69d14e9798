"""/v1/recurring-invoices: templates make one invoice per schedule date at the day start, dated on
it, catching up after an outage without drifting or repeating; drafts without auto_issue;
suspend and resume; max_count and end_date; days_ahead."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import assert_problem, create_partner, error_locs
from tests.api.sales_helpers import balance, document, issue, line, tick

LINES = [line("SUB", "1", "100.00", tax_rate="23", unit_cost="40", description="Monthly plan")]


def create(client: Any, partner: str, next_date: str, unit: str = "month", **fields: Any) -> dict[str, Any]:
    body = {
        "partner": partner,
        "lines": LINES,
        "frequency": {"unit": unit, "interval": 1},
        "next_date": next_date,
        **fields,
    }
    response = client.post("/v1/recurring-invoices", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def template(client: Any, template_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/recurring-invoices/{template_id}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def invoices(client: Any, partner: str) -> list[tuple[str | None, str, str | None, str | None]]:
    """(number, status, issue date, due date) of the partner's invoices, oldest first."""
    items = client.get("/v1/documents", params={"partner": partner, "type": "invoice"}).json()["items"]
    return [(d["number"], d["status"], d["issue_date"], d["due_date"]) for d in reversed(items)]


@pytest.mark.postgres
def test_a_template_catches_up_at_one_day_start_on_month_ends_and_finishes_at_max_count(client: Any) -> None:
    p = create_partner(client, name="Subscriber")
    t = create(client, p["code"], "2025-01-31", max_count=3)
    assert t == {
        "id": t["id"],
        "partner": p["id"],
        "status": "active",
        "version": 1,
        "next_date": "2025-01-31",
        "count": 0,
        "invoices": [],
        "frequency": {"unit": "month", "interval": 1},
        "first_date": "2025-01-31",
        "end_date": None,
        "max_count": 3,
        "auto_issue": True,
        "send_email": False,
        "payment_terms_days": 30,
        "days_ahead": 0,
        "lines": [
            {
                "product": "SUB",
                "description": "Monthly plan",
                "quantity": "1",
                "unit_price": "100.00",
                "discount_percent": "0.00",
                "tax_rate": "23.00",
                "unit_cost": "40.00",
            }
        ],
    }
    assert template(client, t["id"]) == t
    assert tick(client, "2026-01-15")["days_run"] == ["2026-01-15"]
    assert invoices(client, p["id"]) == [
        ("IN2501-0001", "issued", "2025-01-31", "2025-03-02"),
        ("IN2502-0002", "issued", "2025-02-28", "2025-03-30"),
        ("IN2503-0003", "issued", "2025-03-31", "2025-04-30"),
    ]
    after = template(client, t["id"])
    assert (after["status"], after["count"], after["next_date"]) == ("finished", 3, "2025-04-30")
    first = document(client, after["invoices"][0])
    assert (first["number"], first["total"], first["lines"][0]["description"]) == (
        "IN2501-0001",
        "123.00",
        "Monthly plan",
    )
    assert balance(client, p["id"])["balance"] == "369.00"
    assert_problem(client.post(f"/v1/recurring-invoices/{t['id']}/resume"), 409, "recurring_finished")

    # days_ahead generates early, dated on the schedule date; without auto_issue the invoice is a draft
    early = create_partner(client, name="Early")
    drafts = create_partner(client, name="Drafts")
    ahead = create(client, early["id"], "2026-01-21", days_ahead=5, payment_terms_days=10)
    manual = create(client, drafts["id"], "2026-01-16", unit="week", auto_issue=False)
    later = create(client, early["id"], "2026-01-22", days_ahead=5)
    tick(client, "2026-01-16")
    assert invoices(client, early["id"]) == [("IN2601-0004", "issued", "2026-01-21", "2026-01-31")]
    assert (template(client, ahead["id"])["next_date"], template(client, ahead["id"])["count"]) == ("2026-02-21", 1)
    assert template(client, later["id"])["count"] == 0
    assert invoices(client, drafts["id"]) == [(None, "draft", "2026-01-16", None)]
    assert balance(client, drafts["id"])["balance"] == "0.00"
    m = template(client, manual["id"])
    assert (m["count"], m["next_date"], m["status"]) == (1, "2026-01-23", "active")
    issued = issue(client, m["invoices"][0])
    assert (issued["number"], issued["issue_date"], issued["due_date"]) == ("IN2601-0005", "2026-01-16", "2026-02-15")

    # another day start makes nothing twice
    tick(client, "2026-01-17")
    assert len(invoices(client, p["id"])) == 3
    assert len(invoices(client, drafts["id"])) == 1
    assert invoices(client, early["id"]) == [
        ("IN2601-0004", "issued", "2026-01-21", "2026-01-31"),
        ("IN2601-0006", "issued", "2026-01-22", "2026-02-21"),
    ]
    listed = client.get("/v1/recurring-invoices", params={"partner": early["id"]}).json()["items"]
    assert [(x["id"], x["next_date"]) for x in listed] == [(ahead["id"], "2026-02-21"), (later["id"], "2026-02-22")]
    assert [x["id"] for x in client.get("/v1/recurring-invoices", params={"status": "finished"}).json()["items"]] == [
        t["id"]
    ]


def test_month_end_dates_over_ticks_and_a_long_tick(sqlite_client: Any) -> None:
    client = sqlite_client
    p = create_partner(client, name="Subscriber")
    t = create(client, p["id"], "2026-01-31")
    tick(client, "2026-01-30")
    assert invoices(client, p["id"]) == []
    tick(client, "2026-01-31")
    assert invoices(client, p["id"]) == [("IN2601-0001", "issued", "2026-01-31", "2026-03-02")]
    tick(client, "2026-04-01")
    assert invoices(client, p["id"]) == [
        ("IN2601-0001", "issued", "2026-01-31", "2026-03-02"),
        ("IN2602-0002", "issued", "2026-02-28", "2026-03-30"),
        ("IN2603-0003", "issued", "2026-03-31", "2026-04-30"),
    ]
    after = template(client, t["id"])
    assert (after["count"], after["next_date"], after["status"], len(after["invoices"])) == (
        3,
        "2026-04-30",
        "active",
        3,
    )


def test_suspend_skips_the_dates_it_covers_and_end_date_finishes(sqlite_client: Any) -> None:
    client = sqlite_client
    p = create_partner(client, name="Weekly")
    t = create(client, p["id"], "2026-01-16", unit="week")
    tick(client, "2026-01-16")
    assert [i[2] for i in invoices(client, p["id"])] == ["2026-01-16"]
    response = client.post(f"/v1/recurring-invoices/{t['id']}/suspend")
    assert response.status_code == 200, response.text
    assert "X-Position" in response.headers
    assert response.json()["status"] == "suspended"
    assert client.post(f"/v1/recurring-invoices/{t['id']}/suspend").json()["status"] == "suspended"
    tick(client, "2026-01-24")  # the 23rd passes while suspended
    assert [i[2] for i in invoices(client, p["id"])] == ["2026-01-16"]
    resumed = client.post(f"/v1/recurring-invoices/{t['id']}/resume").json()
    assert (resumed["status"], resumed["next_date"], resumed["count"]) == ("active", "2026-01-30", 1)
    tick(client, "2026-01-30")
    assert [i[2] for i in invoices(client, p["id"])] == ["2026-01-16", "2026-01-30"]

    ending = create(client, p["id"], "2026-01-10", unit="day", end_date="2026-01-12")
    tick(client, "2026-01-31")
    e = template(client, ending["id"])
    assert (e["status"], e["count"]) == ("finished", 3)
    assert sorted(i[2] for i in invoices(client, p["id"]))[:3] == ["2026-01-10", "2026-01-11", "2026-01-12"]
    assert_problem(client.post(f"/v1/recurring-invoices/{ending['id']}/suspend"), 409, "recurring_finished")


def test_template_validation(sqlite_client: Any) -> None:
    client = sqlite_client
    p = create_partner(client, name="Acme")
    base = {"partner": p["id"], "lines": LINES, "frequency": {"unit": "month"}, "next_date": "2026-02-01"}
    for body, loc in (
        ({**base, "frequency": {"unit": "hour"}}, ["body", "frequency", "unit"]),
        ({**base, "frequency": {"unit": "week", "interval": 0}}, ["body", "frequency", "interval"]),
        ({**base, "lines": []}, ["body", "lines"]),
        ({**base, "max_count": 0}, ["body", "max_count"]),
        ({**base, "days_ahead": -1}, ["body", "days_ahead"]),
        ({k: v for k, v in base.items() if k != "next_date"}, ["body", "next_date"]),
    ):
        problem = assert_problem(client.post("/v1/recurring-invoices", json=body), 422, "validation_error")
        assert error_locs(problem) == [loc], body
    assert_problem(
        client.post("/v1/recurring-invoices", json={**base, "end_date": "2026-01-31"}), 409, "end_before_start"
    )
    unknown = client.post("/v1/recurring-invoices", json={**base, "partner": "NOPE"})
    assert error_locs(assert_problem(unknown, 422, "validation_error")) == [["body", "partner"]]
    missing = "00000000-0000-0000-0000-000000000000"
    assert_problem(client.get(f"/v1/recurring-invoices/{missing}"), 404, "not_found")
    assert_problem(client.post(f"/v1/recurring-invoices/{missing}/suspend"), 404, "not_found")
    assert client.get("/v1/recurring-invoices").json() == {"items": [], "next_cursor": None}
