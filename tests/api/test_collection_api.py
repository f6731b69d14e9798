"""/v1/collection over HTTP: schemes and their validation, cases with their history, runs with their
reports (actions, skipped invoices and why, counts), and runs on demand."""

from __future__ import annotations

from typing import Any

import pytest

from services.bootstrap.container import Container
from tests.api.helpers import assert_problem, create_partner, error_locs
from tests.api.sales_helpers import act, document, invoice_of, pay, tick

SCHEME: dict[str, Any] = {
    "code": "STD",
    "name": "Standard",
    "is_default": True,
    "tolerance": "5.00",
    "min_days_between_actions": 7,
    "sequential": True,
    "auto_unblock": True,
    "promise_grace_days": 2,
    "levels": [
        {"seq": 1, "name": "L1", "days_after_due": 7, "actions": [{"type": "email", "template": "R1"}]},
        {
            "seq": 2,
            "name": "L2",
            "days_after_due": 21,
            "actions": [
                {"type": "fee", "amount": "40.00"},
                {"type": "sms", "template": "S2"},
                {"type": "email", "template": "R2", "attach_letter": "L2"},
            ],
        },
        {
            "seq": 3,
            "name": "L3",
            "days_after_due": 45,
            "actions": [
                {"type": "interest", "annual_rate": "10.00"},
                {"type": "block_sales"},
                {"type": "task", "title": "Call customer", "assignee": "sales_rep", "due_in_days": 2},
                {"type": "letter", "template": "L3"},
            ],
        },
    ],
}
CASE_KEYS = {
    "id",
    "document",
    "partner",
    "scheme",
    "level",
    "times_dunned",
    "status",
    "close_reason",
    "opened_on",
    "closed_on",
    "history",
}
HISTORY_KEYS = {"date", "kind", "level", "action", "status", "reason", "fallback_from", "amount", "message", "task"}


TEMPLATES = {"R1": "email", "R2": "email", "S2": "sms", "L2": "letter", "L3": "letter"}


def templates(client: Any) -> None:
    """The templates the scheme's messages name (their content is the messages' tests' subject)."""
    for code, channel in TEMPLATES.items():
        body = {"code": code, "channel": channel, "purpose": "collection", "subject": f"{code}", "body": "Please pay."}
        response = client.post("/v1/templates", json=body)
        assert response.status_code == 201, response.text


def partner(client: Any, name: str, code: str) -> dict[str, Any]:
    """A partner whose billing contact has an e-mail address and a mobile number."""
    created = create_partner(client, name=name, code=code)
    contact = {"name": "Accounts", "email": f"ap@{code.lower()}.example", "mobile": "+3531234567"}
    response = client.post(f"/v1/partners/{code}/contacts", json=contact)
    assert response.status_code == 201, response.text
    return created


def define(client: Any, **overrides: Any) -> dict[str, Any]:
    response = client.post("/v1/collection/schemes", json={**SCHEME, **overrides})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def get(client: Any, url: str, **params: Any) -> Any:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def cases(client: Any, **params: Any) -> list[dict[str, Any]]:
    return get(client, "/v1/collection/cases", **params)["items"]  # type: ignore[no-any-return]


def run(client: Any, day: str) -> dict[str, Any]:
    return get(client, f"/v1/collection/runs/{day}")  # type: ignore[no-any-return]


def entries(case: dict[str, Any]) -> list[tuple[str, str, int | None, str | None, str | None]]:
    return [(h["date"], h["kind"], h["level"], h["action"], h["status"]) for h in case["history"]]


# -- schemes ---------------------------------------------------------------------------------------


def test_a_scheme_is_created_as_api_md_shows_it(sqlite_client: Any) -> None:
    client = sqlite_client
    templates(client)
    body = define(client)
    assert (body["code"], body["name"], body["is_default"], body["tolerance"]) == ("STD", "Standard", True, "5.00")
    assert (body["min_days_between_actions"], body["promise_grace_days"], body["auto_unblock"]) == (7, 2, True)
    assert [(lv["seq"], lv["name"], lv["days_after_due"]) for lv in body["levels"]] == [
        (1, "L1", 7),
        (2, "L2", 21),
        (3, "L3", 45),
    ]
    fee, sms, email = body["levels"][1]["actions"]
    assert (fee["type"], fee["amount"]) == ("fee", "40.00")
    assert (sms["type"], sms["template"]) == ("sms", "S2")
    assert (email["type"], email["template"], email["attach_letter"]) == ("email", "R2", "L2")
    assert get(client, "/v1/collection/schemes/std") == body
    # A second scheme that does not claim the default leaves STD the default.
    soft = define(client, code="SOFT", name="Soft", is_default=False)
    assert soft["is_default"] is False
    assert get(client, "/v1/collection/schemes/STD")["is_default"] is True
    assert_problem(client.post("/v1/collection/schemes", json=SCHEME), 409, "scheme_exists")
    assert_problem(client.get("/v1/collection/schemes/NOPE"), 404)


def level(actions: list[dict[str, Any]], days: int = 7, seq: int = 1) -> dict[str, Any]:
    return {"seq": seq, "name": f"L{seq}", "days_after_due": days, "actions": actions}


def test_invalid_schemes_are_refused_with_422(sqlite_client: Any) -> None:
    client = sqlite_client
    templates(client)

    def refused(levels: list[dict[str, Any]]) -> dict[str, Any]:
        response = client.post("/v1/collection/schemes", json={**SCHEME, "code": "BAD", "levels": levels})
        return assert_problem(response, 422, "validation_error")

    body = refused([level([{"type": "fee"}])])
    assert error_locs(body) == [["body", "levels", 0, "actions", 0]]
    body = refused([level([{"type": "email", "template": "R1"}, {"type": "email"}])])
    assert error_locs(body) == [["body", "levels", 0, "actions", 1]]
    body = refused([level([{"type": "carrier_pigeon", "template": "R1"}])])
    assert ["body", "levels", 0, "actions", 0, "type"] in error_locs(body)
    refused([level([{"type": "fee", "amount": "-1.00"}])])
    refused([level([{"type": "interest"}])])
    refused([level([{"type": "set_collection_status", "status": "prison"}])])
    refused([level([{"type": "fee", "amount": "5.00"}], days=-3)])  # a reminder charges nothing
    refused([level([], days=21), level([], days=7, seq=2)])  # levels out of order in days
    refused([])
    assert_problem(client.get("/v1/collection/schemes/BAD"), 404)


# -- the main flow ---------------------------------------------------------------------------------


@pytest.mark.postgres
def test_cases_and_runs_through_two_months(client: Any, container: Container) -> None:
    templates(client)
    define(client)
    acme = partner(client, "Acme", "ACME")
    other = partner(client, "Other", "OTHER")
    inv = invoice_of(client, acme["id"], "1000.00", due_date="2026-01-15")
    disputed = invoice_of(client, other["id"], "200.00", due_date="2026-01-15")
    tick(client, "2026-01-22")
    act(client, disputed["id"], "dispute", {"reason": "never delivered"})
    tick(client, "2026-03-01")

    listed = cases(client, partner="ACME")
    assert len(listed) == 1
    case = listed[0]
    assert set(case) >= CASE_KEYS
    assert (case["document"], case["partner"], case["scheme"]) == (inv["id"], acme["id"], "STD")
    assert (case["level"], case["times_dunned"], case["status"], case["close_reason"]) == (3, 3, "open", None)
    assert (case["opened_on"], case["closed_on"]) == ("2026-01-22", None)
    assert all(set(h) == HISTORY_KEYS for h in case["history"])
    assert entries(case) == [
        ("2026-01-22", "opened", None, None, None),
        ("2026-01-22", "level_reached", 1, None, None),
        ("2026-01-22", "action", 1, "email", "executed"),
        ("2026-02-05", "level_reached", 2, None, None),
        ("2026-02-05", "action", 2, "fee", "executed"),
        ("2026-02-05", "action", 2, "sms", "executed"),
        ("2026-02-05", "action", 2, "email", "executed"),
        ("2026-03-01", "level_reached", 3, None, None),
        ("2026-03-01", "action", 3, "interest", "executed"),
        ("2026-03-01", "action", 3, "block_sales", "executed"),
        ("2026-03-01", "action", 3, "task", "executed"),
        ("2026-03-01", "action", 3, "letter", "executed"),
    ]
    by_action = {(h["level"], h["action"]): h for h in case["history"] if h["kind"] == "action"}
    assert (by_action[2, "fee"]["amount"], by_action[3, "interest"]["amount"]) == ("40.00", "12.33")
    messages = [by_action[key]["message"] for key in ((1, "email"), (2, "sms"), (2, "email"), (3, "letter"))]
    assert all(messages) and len(set(messages)) == 4
    assert by_action[3, "task"]["task"] is not None
    assert by_action[1, "email"]["fallback_from"] is None
    assert get(client, f"/v1/collection/cases/{case['id']}") == case
    assert cases(client, document=inv["number"]) == [case]
    assert cases(client, document=inv["id"]) == [case]
    assert get(client, f"/v1/partners/{acme['id']}/balance")["credit_status"] == "stop"

    # The disputed invoice opened its case at L1 and went no further; the runs say why.
    (held,) = cases(client, partner="OTHER")
    assert (held["level"], held["status"]) == (1, "open")
    assert ("2026-01-22", "dispute_raised", None, None, None) in entries(held)
    assert next(h for h in held["history"] if h["kind"] == "dispute_raised")["reason"] == "never delivered"

    l1 = run(client, "2026-01-22")
    assert (l1["date"], l1["status"], l1["partners"], l1["invoices"]) == ("2026-01-22", "completed", 2, 2)
    assert l1["counts"] == {"levels_reached": 2, "emails": 2}
    assert l1["skipped"] == []
    assert sorted((a["document"], a["action"], a["status"]) for a in l1["actions"]) == sorted(
        [(inv["id"], "email", "executed"), (disputed["id"], "email", "executed")]
    )
    l2 = run(client, "2026-02-05")
    assert l2["counts"] == {"levels_reached": 1, "fees": 1, "smss": 1, "emails": 1, "skipped_in_dispute": 1}
    assert [(s["document"], s["reason"]) for s in l2["skipped"]] == [(disputed["id"], "in_dispute")]
    assert [(a["document"], a["action"]) for a in l2["actions"]] == [
        (inv["id"], "fee"),
        (inv["id"], "sms"),
        (inv["id"], "email"),
    ]
    quiet = run(client, "2026-02-06")
    assert (quiet["actions"], quiet["counts"]) == ([], {"skipped_in_dispute": 1})

    window = get(client, "/v1/collection/runs", **{"from": "2026-01-20", "to": "2026-01-25"})["items"]
    assert [r["date"] for r in window] == [f"2026-01-{d}" for d in (25, 24, 23, 22, 21, 20)]
    assert all(r["status"] == "completed" and r["partners"] == 2 for r in window)
    assert next(r for r in window if r["date"] == "2026-01-22") == l1
    assert_problem(client.get("/v1/collection/runs/2026-03-02"), 404)

    # A dunned invoice is credited, not cancelled.
    assert_problem(client.post(f"/v1/documents/{inv['id']}/cancel", json={"reason": "oops"}), 409, "invoice_dunned")

    # The latest date run again adds nothing; an earlier one is refused; a later one is not yet.
    head = container.store.head()
    again = client.post("/v1/collection/runs", json={"date": "2026-03-01"})
    assert again.status_code == 200, again.text
    assert again.json() == run(client, "2026-03-01")
    counts = {"levels_reached": 1, "interest": 1, "blocks": 1, "tasks": 1, "letters": 1, "skipped_in_dispute": 1}
    assert again.json()["counts"] == counts
    assert container.store.head() == head
    for earlier in ("2026-02-05", "2026-02-28"):
        response = client.post("/v1/collection/runs", json={"date": earlier})
        assert_problem(response, 409, "run_out_of_order")
    assert_problem(client.post("/v1/collection/runs", json={"date": "2026-03-02"}), 422)
    assert container.store.head() == head

    # Paying everything closes the case as paid and lifts the block.
    pay(client, acme["id"], "1052.33")
    (closed,) = cases(client, partner="ACME", status="closed")
    assert (closed["status"], closed["close_reason"], closed["closed_on"]) == ("closed", "paid", "2026-03-01")
    assert entries(closed)[-1] == ("2026-03-01", "closed", None, None, None)
    assert closed["history"][-1]["reason"] == "paid"
    assert cases(client, partner="ACME", status="open") == []
    assert [c["document"] for c in cases(client, status="open")] == [disputed["id"]]
    assert get(client, f"/v1/partners/{acme['id']}/balance")["credit_status"] == "no_check"
    assert document(client, inv["id"])["status"] == "paid"


def test_a_run_on_demand_for_named_partners(sqlite_client: Any) -> None:
    client = sqlite_client
    templates(client)
    define(client)
    chosen = partner(client, "Chosen", "CHOSEN")
    other = partner(client, "Other", "OTHER")
    mine = invoice_of(client, chosen["id"], "100.00", issue_date="2026-01-01", due_date="2026-01-01")
    invoice_of(client, other["id"], "100.00", issue_date="2026-01-01", due_date="2026-01-01")
    response = client.post("/v1/collection/runs", json={"date": "2026-01-15", "partners": ["CHOSEN"]})
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["date"], report["status"], report["partners"], report["invoices"]) == (
        "2026-01-15",
        "completed",
        1,
        1,
    )
    assert report["counts"] == {"levels_reached": 1, "emails": 1}
    assert [(a["document"], a["action"]) for a in report["actions"]] == [(mine["id"], "email")]
    assert [c["document"] for c in cases(client)] == [mine["id"]]
    assert cases(client, partner="OTHER") == []
    # Without a date, a run is for today: the 15th ran already.
    again = client.post("/v1/collection/runs", json={})
    assert again.status_code == 200, again.text
    assert again.json() == report
    # The next day start collects everyone.
    tick(client, "2026-01-16")
    (theirs,) = cases(client, partner="OTHER")
    assert (theirs["level"], theirs["opened_on"]) == (1, "2026-01-16")
    nobody = assert_problem(client.post("/v1/collection/runs", json={"partners": ["NOBODY"]}), 422)
    assert error_locs(nobody) == [["body", "partners", 0]]


def test_a_promise_and_grace_show_in_the_runs(sqlite_client: Any) -> None:
    client = sqlite_client
    templates(client)
    define(client)
    p = partner(client, "Promiser", "PROM")
    promised = invoice_of(client, p["id"], "300.00", due_date="2026-01-15")
    graced = invoice_of(client, p["id"], "4.99", due_date="2026-01-15")
    tick(client, "2026-01-22")
    assert [(s["document"], s["reason"]) for s in run(client, "2026-01-22")["skipped"]] == [
        (graced["id"], "below_tolerance")
    ]
    act(client, promised["id"], "promise", {"amount": "300.00", "date": "2026-02-04"})
    act(client, promised["id"], "grace", {"until": "2026-02-10"})
    tick(client, "2026-02-11")
    reasons = {day: [s["reason"] for s in run(client, day)["skipped"]] for day in ("2026-02-05", "2026-02-07")}
    assert reasons == {"2026-02-05": ["grace", "below_tolerance"], "2026-02-07": ["grace", "below_tolerance"]}
    (case,) = cases(client, partner="PROM")
    kinds = [(h["date"], h["kind"]) for h in case["history"]]
    assert ("2026-02-07", "promise_broken") in kinds
    assert ("2026-02-11", "level_reached") in kinds
    assert case["level"] == 2


# -- an e-mail without an address, and new payment terms ---------------------------------------------------


def test_an_email_without_an_address_goes_out_as_a_letter(sqlite_client: Any) -> None:
    """The letter is rendered with the e-mail's ``attach_letter`` template, else the default
    collection letter; with neither, the letter is skipped."""
    client = sqlite_client
    templates(client)
    email_only = {"type": "email", "template": "R2"}
    define(
        client,
        levels=[
            level([{**email_only, "attach_letter": "L2"}], days=7, seq=1),
            level([email_only], days=21, seq=2),
            level([email_only], days=45, seq=3),
        ],
    )
    create_partner(client, name="Postal Ltd", code="POSTAL")
    contact = {"name": "Accounts", "mobile": "+3531234567"}  # no e-mail address, nor has the partner
    assert client.post("/v1/partners/POSTAL/contacts", json=contact).status_code == 201
    inv = invoice_of(client, "POSTAL", "1000.00", due_date="2026-01-15")
    tick(client, "2026-02-05")
    default_letter = {
        "code": "DUNNING",
        "channel": "letter",
        "purpose": "collection",
        "subject": "{{ level_name }}",
        "body": "<p>{{ level_name }}: {{ total_due }} {{ currency }}</p>",
        "is_default": True,
    }
    assert client.post("/v1/templates", json=default_letter).status_code == 201
    tick(client, "2026-03-01")

    (case,) = cases(client, partner="POSTAL")
    actions = [h for h in case["history"] if h["kind"] == "action"]
    assert [(h["date"], h["level"], h["action"], h["status"], h["fallback_from"], h["reason"]) for h in actions] == [
        ("2026-01-22", 1, "letter", "executed", "email", None),
        ("2026-02-05", 2, "letter", "skipped", "email", "template_missing"),
        ("2026-03-01", 3, "letter", "executed", "email", None),
    ]
    assert actions[1]["message"] is None
    listed = get(client, "/v1/messages", case=case["id"])["items"]
    assert [(m["id"], m["channel"], m["template"], m["fallback_from"]) for m in listed] == [
        (actions[2]["message"], "letter", "DUNNING", "email"),
        (actions[0]["message"], "letter", "L2", "email"),
    ]
    assert listed[0]["documents"] == [inv["id"]]
    assert (listed[0]["subject"], listed[0]["body"]) == ("L3", "<p>L3: 1000.00 EUR</p>")
    assert run(client, "2026-01-22")["counts"] == {"levels_reached": 1, "letters": 1}
    assert run(client, "2026-02-05")["counts"] == {"levels_reached": 1, "skipped_template_missing": 1}
    summaries = [e["summary"] for e in get(client, "/v1/partners/POSTAL/timeline", kind="collection")["items"]]
    assert f"Invoice {inv['number']} level 1: letter instead of email executed" in summaries


def test_new_payment_terms_from_collection_are_a_fact_of_their_own(sqlite_client: Any) -> None:
    client = sqlite_client
    templates(client)
    terms = {"type": "set_payment_terms", "days": 7}
    define(client, levels=[level([{"type": "email", "template": "R1"}, terms], days=7)])
    acme = partner(client, "Acme", "ACME")
    assert get(client, "/v1/partners/ACME")["payment_terms_days"] == 30
    invoice_of(client, acme["id"], "100.00", due_date="2026-01-15")
    tick(client, "2026-01-22")

    assert get(client, "/v1/partners/ACME")["payment_terms_days"] == 7
    (case,) = cases(client, partner="ACME")
    assert entries(case)[-1] == ("2026-01-22", "action", 1, "set_payment_terms", "executed")
    (fact,) = get(client, "/v1/audit/events", type="PaymentTermsChangedByCollection")["items"]
    assert (fact["stream"], fact["actor"]) == (acme["id"], "process:collection")
    assert fact["data"] == {"days": 7, "previous_days": 30, "cases": [case["id"]], "level": 1, "run": "2026-01-22"}
    # Caused by the day start whose run reached the level.
    cause = int(fact["causation"].removeprefix("position:"))
    (day_started,) = get(client, "/v1/audit/events", after=cause - 1, limit=1)["items"]
    assert (day_started["type"], day_started["data"]["day"]) == ("DayStarted", "2026-01-22")
    assert get(client, "/v1/audit/events", stream=acme["id"], type="PartnerDetailsChanged")["items"] == []
    summaries = [e["summary"] for e in get(client, "/v1/partners/ACME/timeline", kind="collection")["items"]]
    assert "Payment terms changed by collection level 1: 30 → 7 days" in summaries
