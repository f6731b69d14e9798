"""/v1/partners: registration, codes, changes, credit hold, balance, profile and timeline."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import assert_problem, create_groups, create_partner, create_users, error_locs, get_partner

FULL_BODY: dict[str, Any] = {
    "name": "Acme Ltd",
    "kind": "organization",
    "roles": ["prospect", "vendor"],
    "code": None,
    "group": "G-RETAIL",
    "tags": ["Retail", "North"],
    "tax_id": "PL1234567890",
    "email": "office@acme.example",
    "phone": "+48 22 123 45 67",
    "website": "https://acme.example",
    "language": "pl",
    "currency": "EUR",
    "credit_limit": "10000.00",
    "credit_check": True,
    "payment_terms_days": 14,
    "sales_reps": ["anna"],
    "collection_scheme": None,
    "dunning_grace_until": "2026-02-01",
    "notes_public": "Opens at 8",
    "notes_private": "Pays late",
    "parent": None,
    "custom_fields": {},
}


def test_register_answers_the_full_representation(client: Any) -> None:
    create_users(client, "anna")
    create_groups(client, "G-RETAIL")
    response = client.post("/v1/partners", json=FULL_BODY)
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["X-Position"]) >= 1
    p = response.json()
    pid = p.pop("id")
    assert len(pid) == 36
    assert p == {
        "code": "CU2601-0001",
        "version": 1,
        "status": "active",
        "merged_into": None,
        "name": "Acme Ltd",
        "kind": "organization",
        "roles": ["prospect", "vendor"],
        "group": "G-RETAIL",
        "tags": ["Retail", "North"],
        "tax_id": "PL1234567890",
        "email": "office@acme.example",
        "phone": "+48 22 123 45 67",
        "website": "https://acme.example",
        "language": "pl",
        "currency": "EUR",
        "credit_limit": "10000.00",
        "credit_check": True,
        "payment_terms_days": 14,
        "sales_reps": ["anna"],
        "collection_scheme": None,
        "dunning_grace_until": "2026-02-01",
        "notes_public": "Opens at 8",
        "notes_private": "Pays late",
        "parent": None,
        "custom_fields": {},
        "addresses": [],
        "contacts": [],
        "attachments": [],
        "balance": "0.00",
        "credit_status": "ok",
        "credit_hold": None,
        "created_on": "2026-01-15",
    }
    assert get_partner(client, pid) == {"id": pid, **p}


def test_defaults_of_a_minimal_partner(client: Any) -> None:
    p = create_partner(client, name="  Solo  ")
    assert p["name"] == "Solo"
    assert p["kind"] == "organization"
    assert p["roles"] == ["customer"]
    assert p["currency"] == "EUR"
    assert p["language"] == "en"
    assert p["credit_limit"] == "0.00"
    assert p["credit_check"] is True
    assert p["payment_terms_days"] == 30
    assert p["credit_status"] == "no_check"
    assert p["tags"] == [] and p["sales_reps"] == []


def test_codes_are_drawn_from_the_partner_series_at_the_creation_date(sqlite_client: Any) -> None:
    client = sqlite_client
    assert create_partner(client, name="A")["code"] == "CU2601-0001"
    assert create_partner(client, name="B")["code"] == "CU2601-0002"
    assert client.post("/v1/clock/ticks", json={"to": "2026-02-03"}).status_code == 200
    c = create_partner(client, name="C")
    # The counter never resets with the default mask; the date part follows the creation date.
    assert c["code"] == "CU2602-0003"
    assert c["created_on"] == "2026-02-03"


def test_a_typed_code_is_trimmed_and_upper_cased_and_found_by_any_case(client: Any) -> None:
    p = create_partner(client, name="Typed", code=" ab-1 ")
    assert p["code"] == "AB-1"
    assert get_partner(client, "AB-1")["id"] == p["id"]
    assert get_partner(client, "ab-1")["id"] == p["id"]
    # A typed code does not use up a number of the series.
    assert create_partner(client, name="Drawn")["code"] == "CU2601-0001"


@pytest.mark.postgres
def test_a_used_code_answers_409_code_taken(client: Any) -> None:
    create_partner(client, name="First", code="AB-1")
    response = client.post("/v1/partners", json={"name": "Second", "code": "ab-1"})
    body = assert_problem(response, 409, "code_taken")
    assert body["detail"] == "customer code already used"
    assert client.get("/v1/partners").json()["items"][0]["name"] == "First"
    assert len(client.get("/v1/partners").json()["items"]) == 1


def test_a_drawn_code_skips_codes_already_typed(client: Any) -> None:
    create_partner(client, name="Squatter", code="CU2601-0001")
    assert create_partner(client, name="Drawn")["code"] == "CU2601-0002"


def test_unknown_partner_is_404(sqlite_client: Any) -> None:
    client = sqlite_client
    assert_problem(client.get("/v1/partners/NOPE"), 404, "not_found")
    assert_problem(client.get("/v1/partners/3f1b7c4e-0000-4000-8000-000000000000"), 404, "not_found")
    assert_problem(client.patch("/v1/partners/NOPE", json={"name": "X"}), 404, "not_found")


def test_patch_changes_only_the_given_fields_and_roles_replace_the_set(client: Any) -> None:
    p = create_partner(client, name="Acme", roles=["customer", "vendor"], tags=["A"], email="a@acme.example")
    response = client.patch(f"/v1/partners/{p['code']}", json={"roles": ["prospect"], "phone": "555-0100"})
    assert response.status_code == 200
    assert int(response.headers["X-Position"]) > 0
    changed = response.json()
    assert changed["roles"] == ["prospect"]
    assert changed["phone"] == "555-0100"
    assert changed["tags"] == ["A"]
    assert changed["email"] == "a@acme.example"
    assert changed["version"] == 2
    # Duplicates are dropped, order kept.
    again = client.patch(f"/v1/partners/{p['id']}", json={"roles": ["vendor", "customer", "vendor"]}).json()
    assert again["roles"] == ["vendor", "customer"]
    assert again["version"] == 3


def test_patch_with_no_change_records_nothing(client: Any) -> None:
    p = create_partner(client, name="Same")
    response = client.patch(f"/v1/partners/{p['id']}", json={"name": "Same"})
    assert response.status_code == 200
    assert response.json()["version"] == 1


def test_patch_refuses_nulls_for_required_fields_and_a_new_code(client: Any) -> None:
    p = create_partner(client, name="Acme", code="ACME")
    body = assert_problem(client.patch(f"/v1/partners/{p['id']}", json={"name": None}), 422, "validation_error")
    assert error_locs(body) == [["body", "name"]]
    assert_problem(client.patch(f"/v1/partners/{p['id']}", json={"code": "OTHER"}), 409, "code_immutable")
    # The same code (in any case) is not a change.
    assert client.patch(f"/v1/partners/{p['id']}", json={"code": "acme"}).status_code == 200
    assert get_partner(client, p["id"])["name"] == "Acme"


def test_money_and_case_normalisation_on_create(client: Any) -> None:
    p = create_partner(client, name="Num", credit_limit=10000, currency="usd")
    assert p["credit_limit"] == "10000.00"
    assert p["currency"] == "USD"
    q = create_partner(client, name="Num2", credit_limit=12.5)
    assert q["credit_limit"] == "12.50"


def test_field_validation_answers_422_with_locations(sqlite_client: Any) -> None:
    cases = [
        ({"name": ""}, ["body", "name"]),
        ({"name": "X", "kind": "robot"}, ["body", "kind"]),
        ({"name": "X", "roles": ["king"]}, ["body", "roles", 0]),
        ({"name": "X", "email": "not-an-email"}, ["body", "email"]),
        ({"name": "X", "credit_limit": "-1"}, ["body", "credit_limit"]),
        ({"name": "X", "credit_limit": "1.234"}, ["body", "credit_limit"]),
        ({"name": "X", "credit_limit": "1e400"}, ["body", "credit_limit"]),
        ({"name": "X", "credit_limit": 1e300}, ["body", "credit_limit"]),
        ({"name": "X", "credit_limit": "Infinity"}, ["body", "credit_limit"]),
        ({"name": "X", "payment_terms_days": -1}, ["body", "payment_terms_days"]),
        ({"name": "X", "currency": "EURO"}, ["body", "currency"]),
        ({"name": "X", "dunning_grace_until": "soon"}, ["body", "dunning_grace_until"]),
        ({"name": "X", "unknown_field": 1}, ["body", "unknown_field"]),
        ({"name": "X", "parent": "NOPE"}, ["body", "parent"]),
    ]
    for body, loc in cases:
        problem = assert_problem(sqlite_client.post("/v1/partners", json=body), 422, "validation_error")
        assert loc in error_locs(problem), (body, problem)
    assert sqlite_client.get("/v1/partners").json()["items"] == []


def test_parent_by_code_and_parent_cycles(client: Any) -> None:
    parent = create_partner(client, name="Holding", code="HOLD")
    child = create_partner(client, name="Daughter", parent="hold")
    assert child["parent"] == parent["id"]
    # Attaching the child is a change of the parent: its version moves, and If-Match takes it.
    assert get_partner(client, "HOLD")["version"] == 2
    renamed = client.patch("/v1/partners/HOLD", json={"name": "Holding SA"}, headers={"If-Match": "2"})
    assert renamed.status_code == 200
    assert renamed.json()["version"] == 3
    assert_problem(client.patch(f"/v1/partners/{parent['id']}", json={"parent": child["id"]}), 409, "parent_cycle")
    assert_problem(client.patch(f"/v1/partners/{parent['id']}", json={"parent": "HOLD"}), 409, "parent_cycle")
    detached = client.patch(f"/v1/partners/{child['id']}", json={"parent": None}).json()
    assert detached["parent"] is None


def test_credit_hold_sets_stop_and_lifting_restores_the_status(client: Any) -> None:
    p = create_partner(client, name="Risky", credit_limit="5000")
    assert p["credit_status"] == "ok"
    response = client.post(f"/v1/partners/{p['code']}/credit-hold", json={"reason": "cheque bounced"})
    assert response.status_code == 200
    assert "X-Position" in response.headers
    assert response.json() == {
        "partner": p["id"],
        "balance": "0.00",
        "currency": "EUR",
        "credit_limit": "5000.00",
        "credit_status": "stop",
        "open_items": [],
        "unapplied_credit": "0.00",
    }
    held = get_partner(client, p["id"])
    assert held["credit_status"] == "stop"
    assert held["credit_hold"] == "cheque bounced"
    lifted = client.delete(f"/v1/partners/{p['id']}/credit-hold")
    assert lifted.status_code == 200
    assert lifted.json()["credit_status"] == "ok"
    after = get_partner(client, p["id"])
    assert after["credit_status"] == "ok"
    assert after["credit_hold"] is None


def test_a_hold_stops_even_a_partner_without_credit_check(sqlite_client: Any) -> None:
    client = sqlite_client
    p = create_partner(client, name="Cash", credit_check=False, credit_limit="100")
    assert p["credit_status"] == "no_check"
    client.post(f"/v1/partners/{p['id']}/credit-hold", json={"reason": "fraud"})
    assert get_partner(client, p["id"])["credit_status"] == "stop"
    client.delete(f"/v1/partners/{p['id']}/credit-hold")
    assert get_partner(client, p["id"])["credit_status"] == "no_check"


def test_credit_hold_needs_a_reason(sqlite_client: Any) -> None:
    p = create_partner(sqlite_client, name="X")
    body = assert_problem(
        sqlite_client.post(f"/v1/partners/{p['id']}/credit-hold", json={"reason": "  "}), 422, "validation_error"
    )
    assert error_locs(body) == [["body", "reason"]]
    assert_problem(sqlite_client.post(f"/v1/partners/{p['id']}/credit-hold", json={}), 422, "validation_error")
    assert get_partner(sqlite_client, p["id"])["credit_hold"] is None


def test_balance_of_a_new_partner(client: Any) -> None:
    p = create_partner(client, name="Bal", credit_limit="2500.5", currency="PLN")
    assert client.get(f"/v1/partners/{p['code']}/balance").json() == {
        "partner": p["id"],
        "balance": "0.00",
        "currency": "PLN",
        "credit_limit": "2500.50",
        "credit_status": "ok",
        "open_items": [],
        "unapplied_credit": "0.00",
    }


@pytest.mark.postgres
def test_profile_collects_master_data_and_counts(client: Any) -> None:
    p = create_partner(client, name="Prof")
    client.post(f"/v1/partners/{p['id']}/contacts", json={"name": "Jan"})
    client.post(f"/v1/partners/{p['id']}/addresses", json={"label": "HQ", "city": "Gdansk"})
    client.post(f"/v1/partners/{p['id']}/addresses", json={"label": "Depot", "city": "Sopot"})
    profile = client.get(f"/v1/partners/{p['code']}/profile").json()
    assert profile["partner"]["id"] == p["id"]
    assert profile["partner"]["version"] == 4
    assert profile["balance"]["balance"] == "0.00"
    counts = profile["counts"]
    assert counts["contacts"] == 1
    assert counts["addresses"] == 2
    assert {k: v for k, v in counts.items() if k not in ("contacts", "addresses")} == dict.fromkeys(
        set(counts) - {"contacts", "addresses"}, 0
    )
    assert {"quotes", "orders", "invoices", "payments"} <= set(counts)
    assert {"quotes", "orders", "invoices", "payments"} <= set(profile["totals"])
    assert set(profile["totals"].values()) == {"0.00"}
    assert profile["turnover"] == {"this_year": "0.00", "last_year": "0.00"}
    assert [e["summary"] for e in profile["recent"]] == [
        "Address added: Depot, Sopot",
        "Address added: HQ, Gdansk",
        "Contact added: Jan",
        f"Partner {p['code']} registered: Prof",
    ]


@pytest.mark.postgres
def test_timeline_lists_every_fact_in_order_and_filters(client: Any) -> None:
    p = create_partner(client, name="Time", code="TL")
    client.patch("/v1/partners/TL", json={"phone": "1", "email": "t@t.example", "name": "Time Ltd"})
    client.post("/v1/clock/ticks", json={"to": "2026-01-20"})
    client.post("/v1/partners/TL/notes", json={"text": "called", "visibility": "public"})
    client.post("/v1/partners/TL/credit-hold", json={"reason": "late"})
    client.delete("/v1/partners/TL/credit-hold")
    items = client.get("/v1/partners/TL/timeline").json()["items"]
    assert [(i["date"], i["kind"], i["summary"]) for i in items] == [
        ("2026-01-15", "master_data", "Partner TL registered: Time"),
        ("2026-01-15", "master_data", "Changed name, email, phone"),
        ("2026-01-20", "note", "Public note: called"),
        ("2026-01-20", "credit", "Credit hold placed: late"),
        ("2026-01-20", "credit", "Credit hold lifted"),
    ]
    assert items[0]["ref"] == "TL"
    positions = [i["position"] for i in items]
    assert positions == sorted(positions)
    assert [i["kind"] for i in client.get("/v1/partners/TL/timeline?kind=credit").json()["items"]] == ["credit"] * 2
    from_20 = client.get("/v1/partners/TL/timeline?from=2026-01-20").json()["items"]
    assert [i["summary"] for i in from_20] == ["Public note: called", "Credit hold placed: late", "Credit hold lifted"]
    to_15 = client.get("/v1/partners/TL/timeline?to=2026-01-15").json()["items"]
    assert len(to_15) == 2
    first = client.get("/v1/partners/TL/timeline?limit=2").json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = client.get(f"/v1/partners/TL/timeline?limit=2&cursor={first['next_cursor']}").json()
    assert [i["summary"] for i in rest["items"]] == ["Public note: called", "Credit hold placed: late"]
    assert p["id"] == get_partner(client, "TL")["id"]
