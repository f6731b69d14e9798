"""/v1/settings/numbering, /v1/custom-fields, /v1/partner-groups and /v1/users."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import assert_problem, create_partner, create_schemes, error_locs, get_partner

# -- numbering -------------------------------------------------------------------------------------

DEFAULTS = {
    "partner": "CU{yy}{mm}-{0000}",
    "quote": "QT{yy}{mm}-{0000}",
    "order": "SO{yy}{mm}-{0000}",
    "proforma": "PF{yy}{mm}-{0000}",
    "invoice": "IN{yy}{mm}-{0000}",
    "credit_note": "CN{yy}{mm}-{0000}",
    "payment": "PY{yy}{mm}-{0000}",
    "request": "REQ-{00000}",
}


def test_every_series_has_its_default_mask(sqlite_client: Any) -> None:
    for series, mask in DEFAULTS.items():
        assert sqlite_client.get(f"/v1/settings/numbering/{series}").json() == {"series": series, "mask": mask}
    assert_problem(sqlite_client.get("/v1/settings/numbering/widgets"), 404, "not_found")


@pytest.mark.postgres
def test_put_sets_the_mask_and_partner_codes_follow_it(client: Any) -> None:
    response = client.put("/v1/settings/numbering/partner", json={"mask": "P-{yyyy}{mm}{dd}/{000}"})
    assert response.status_code == 200
    assert "X-Position" in response.headers
    assert response.json() == {"series": "partner", "mask": "P-{yyyy}{mm}{dd}/{000}"}
    assert client.get("/v1/settings/numbering/partner").json()["mask"] == "P-{yyyy}{mm}{dd}/{000}"
    assert create_partner(client, name="A")["code"] == "P-20260115/001"
    assert create_partner(client, name="B")["code"] == "P-20260115/002"
    client.post("/v1/clock/ticks", json={"to": "2026-01-17"})
    assert create_partner(client, name="C")["code"] == "P-20260117/003"


def test_a_mask_changed_after_use_keeps_the_counter(client: Any) -> None:
    assert create_partner(client, name="A")["code"] == "CU2601-0001"
    client.put("/v1/settings/numbering/partner", json={"mask": "K{00000}"})
    assert create_partner(client, name="B")["code"] == "K00002"


def test_a_monthly_reset_counter(sqlite_client: Any) -> None:
    client = sqlite_client
    client.put("/v1/settings/numbering/partner", json={"mask": "C{yy}{mm}-{00@99}"})
    assert create_partner(client, name="A")["code"] == "C2601-01"
    assert create_partner(client, name="B")["code"] == "C2601-02"
    client.post("/v1/clock/ticks", json={"to": "2026-02-01"})
    assert create_partner(client, name="C")["code"] == "C2602-01"


def test_a_yearly_reset_counter_at_a_given_month(sqlite_client: Any) -> None:
    client = sqlite_client
    client.put("/v1/settings/numbering/partner", json={"mask": "F{yyyy}-{000@2}"})
    assert create_partner(client, name="A")["code"] == "F2026-001"
    client.post("/v1/clock/ticks", json={"to": "2026-01-31"})
    assert create_partner(client, name="B")["code"] == "F2026-002"
    client.post("/v1/clock/ticks", json={"to": "2026-02-01"})
    # The counter restarts on February 1st; the numbers it would print again are taken, so the
    # series skips them rather than hand out a code twice.
    assert create_partner(client, name="C")["code"] == "F2026-003"
    client.put("/v1/settings/numbering/partner", json={"mask": "G{yyyy}{mm}-{000@2}"})
    assert create_partner(client, name="D")["code"] == "G202602-004"  # the same period counter goes on


@pytest.mark.parametrize(
    "mask",
    ["NO-COUNTER", "{0000}-{0000}", "{yyyy}-{xx}-{0000}", "{0000@13}", "{0000@0}", "X" * 61 + "{0}", ""],
)
def test_bad_masks_are_422(sqlite_client: Any, mask: str) -> None:
    response = sqlite_client.put("/v1/settings/numbering/partner", json={"mask": mask})
    assert error_locs(assert_problem(response, 422, "validation_error")) == [["body", "mask"]]
    assert sqlite_client.get("/v1/settings/numbering/partner").json()["mask"] == DEFAULTS["partner"]


def test_put_on_an_unknown_series_is_404(sqlite_client: Any) -> None:
    assert_problem(sqlite_client.put("/v1/settings/numbering/widgets", json={"mask": "W{0}"}), 404, "not_found")


# -- custom fields -----------------------------------------------------------------------------------

FIELD_CASES: list[tuple[str, dict[str, Any], list[Any], list[Any], list[Any]]] = [
    # type, extra definition, valid values, their canonical form, invalid values
    ("string", {}, ["abc", ""], ["abc", ""], [5, True, ["a"], "x" * 256]),
    ("text", {}, ["line\nline"], ["line\nline"], [5, {"a": 1}]),
    ("integer", {}, [5, "-12"], [5, -12], [1.5, "1.5", True, "ten"]),
    ("decimal", {}, ["1.125", 2, 0.5], ["1.125", "2", "0.5"], ["abc", True, "NaN", "Infinity"]),
    ("money", {}, ["10", 12.5, "3.10"], ["10.00", "12.50", "3.10"], ["1.005", "x", False]),
    ("date", {}, ["2026-02-28"], ["2026-02-28"], ["2026-02-30", "28.02.2026", 20260228]),
    ("boolean", {}, [True, False], [True, False], ["true", 1, "yes"]),
    ("select", {"options": ["a", "b"]}, ["a"], ["a"], ["c", ["a"], 1]),
    ("multiselect", {"options": ["a", "b"]}, [["b", "a", "b"]], [["b", "a"]], ["a", ["c"], [1]]),
    ("email", {}, ["x@y.example"], ["x@y.example"], ["x@", "not an email", 5]),
    ("url", {}, ["https://acme.example/x"], ["https://acme.example/x"], ["ftp://acme.example", "acme", 5]),
    ("phone", {}, ["+48 600 000 000"], ["+48 600 000 000"], ["call me", "12", 48600000000]),
]


@pytest.mark.parametrize(
    ("kind", "extra", "valid", "canonical", "invalid"), FIELD_CASES, ids=[c[0] for c in FIELD_CASES]
)
def test_custom_field_values_are_validated_by_type(
    sqlite_client: Any, kind: str, extra: dict[str, Any], valid: list[Any], canonical: list[Any], invalid: list[Any]
) -> None:
    client = sqlite_client
    definition = {"entity": "partner", "code": "f_value", "label": f"A {kind}", "type": kind, **extra}
    response = client.post("/v1/custom-fields", json=definition)
    assert response.status_code == 201, response.text
    for value, expected in zip(valid, canonical, strict=True):
        p = create_partner(client, name=f"ok {value!r}", custom_fields={"f_value": value})
        assert p["custom_fields"] == {"f_value": expected}, value
    for value in invalid:
        refused = client.post("/v1/partners", json={"name": "bad", "custom_fields": {"f_value": value}})
        body = assert_problem(refused, 422, "validation_error")
        assert error_locs(body) == [["body", "custom_fields", "f_value"]], value
    assert len(client.get("/v1/partners?limit=500").json()["items"]) == len(valid)


@pytest.mark.postgres
def test_custom_field_definition_and_listing(client: Any) -> None:
    response = client.post(
        "/v1/custom-fields",
        json={"entity": "partner", "code": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver"]},
    )
    assert response.status_code == 201
    assert "X-Position" in response.headers
    assert response.json() == {
        "entity": "partner",
        "code": "tier",
        "label": "Tier",
        "type": "select",
        "options": ["gold", "silver"],
        "required": False,
    }
    client.post("/v1/custom-fields", json={"entity": "contact", "code": "nick", "label": "Nickname", "type": "string"})
    client.post("/v1/custom-fields", json={"entity": "request", "code": "tier", "label": "Tier", "type": "string"})
    all_fields = client.get("/v1/custom-fields").json()
    assert [(f["entity"], f["code"]) for f in all_fields["items"]] == [
        ("partner", "tier"),
        ("contact", "nick"),
        ("request", "tier"),
    ]
    assert all_fields["next_cursor"] is None
    contact_fields = client.get("/v1/custom-fields?entity=contact").json()["items"]
    assert contact_fields == [
        {"entity": "contact", "code": "nick", "label": "Nickname", "type": "string", "options": [], "required": False}
    ]
    assert_problem(client.get("/v1/custom-fields?entity=planet"), 422, "validation_error")


def test_custom_field_definition_errors(sqlite_client: Any) -> None:
    client = sqlite_client
    ok = {"entity": "partner", "code": "tier", "label": "Tier", "type": "string"}
    assert client.post("/v1/custom-fields", json=ok).status_code == 201
    assert_problem(client.post("/v1/custom-fields", json=ok), 409, "custom_field_exists")
    for body, loc in (
        ({**ok, "code": "Bad Code"}, ["body", "code"]),
        ({**ok, "code": "9lives"}, ["body", "code"]),
        ({**ok, "code": "sel", "type": "select"}, ["body", "options"]),
        ({**ok, "code": "x1", "type": "colour"}, ["body", "type"]),
        ({**ok, "code": "x2", "entity": "planet"}, ["body", "entity"]),
        ({**ok, "code": "x3", "label": ""}, ["body", "label"]),
    ):
        body_ = assert_problem(client.post("/v1/custom-fields", json=body), 422, "validation_error")
        assert error_locs(body_) == [loc], body
    assert [f["code"] for f in client.get("/v1/custom-fields").json()["items"]] == ["tier"]


def test_required_and_unknown_custom_fields(client: Any) -> None:
    client.post(
        "/v1/custom-fields",
        json={"entity": "partner", "code": "region", "label": "Region", "type": "string", "required": True},
    )
    missing = client.post("/v1/partners", json={"name": "No region"})
    assert error_locs(assert_problem(missing, 422, "validation_error")) == [["body", "custom_fields", "region"]]
    unknown = client.post("/v1/partners", json={"name": "X", "custom_fields": {"region": "N", "colour": "red"}})
    assert error_locs(assert_problem(unknown, 422, "validation_error")) == [["body", "custom_fields", "colour"]]
    p = create_partner(client, name="With region", custom_fields={"region": "North"})
    assert p["custom_fields"] == {"region": "North"}
    # A required field cannot be cleared by PATCH; other fields may be patched without it.
    cleared = client.patch(f"/v1/partners/{p['id']}", json={"custom_fields": {"region": None}})
    assert error_locs(assert_problem(cleared, 422, "validation_error")) == [["body", "custom_fields", "region"]]
    renamed = client.patch(f"/v1/partners/{p['id']}", json={"name": "Renamed"})
    assert renamed.status_code == 200
    assert renamed.json()["custom_fields"] == {"region": "North"}


def test_patching_custom_fields_merges_them(client: Any) -> None:
    for code in ("a", "b"):
        client.post("/v1/custom-fields", json={"entity": "partner", "code": code, "label": code, "type": "integer"})
    p = create_partner(client, name="Fields", custom_fields={"a": 1, "b": 2})
    patched = client.patch(f"/v1/partners/{p['id']}", json={"custom_fields": {"b": "3"}}).json()
    assert patched["custom_fields"] == {"a": 1, "b": 3}
    removed = client.patch(f"/v1/partners/{p['id']}", json={"custom_fields": {"a": None}}).json()
    assert removed["custom_fields"] == {"b": 3}


# -- partner groups ----------------------------------------------------------------------------------


@pytest.mark.postgres
def test_partner_group_create_get_list_patch(client: Any) -> None:
    response = client.post(
        "/v1/partner-groups",
        json={
            "code": "g-retail",
            "name": "Retail",
            "credit_watch_percent": "80",
            "collection_scheme": None,
            "request_priority_boost": 1,
        },
    )
    assert response.status_code == 201
    assert "X-Position" in response.headers
    assert response.json() == {
        "code": "G-RETAIL",
        "name": "Retail",
        "credit_watch_percent": "80.00",
        "collection_scheme": None,
        "request_priority_boost": 1,
        "version": 1,
    }
    client.post("/v1/partner-groups", json={"code": "A-FIRST", "name": "First"})
    listed = client.get("/v1/partner-groups").json()
    assert [(g["code"], g["credit_watch_percent"], g["request_priority_boost"]) for g in listed["items"]] == [
        ("A-FIRST", "90.00", 0),
        ("G-RETAIL", "80.00", 1),
    ]
    assert listed["next_cursor"] is None
    assert client.get("/v1/partner-groups/g-retail").json()["name"] == "Retail"

    create_schemes(client, "STD")
    patched = client.patch(
        "/v1/partner-groups/G-RETAIL", json={"credit_watch_percent": 75.5, "collection_scheme": "STD"}
    )
    assert patched.status_code == 200
    assert patched.json() == {
        "code": "G-RETAIL",
        "name": "Retail",
        "credit_watch_percent": "75.50",
        "collection_scheme": "STD",
        "request_priority_boost": 1,
        "version": 2,
    }
    stale = client.patch("/v1/partner-groups/G-RETAIL", json={"name": "Shops"}, headers={"If-Match": "1"})
    assert_problem(stale, 412, "version_conflict")
    assert client.get("/v1/partner-groups/G-RETAIL").json()["name"] == "Retail"


def test_partner_group_errors(sqlite_client: Any) -> None:
    client = sqlite_client
    client.post("/v1/partner-groups", json={"code": "G1", "name": "One"})
    assert_problem(client.post("/v1/partner-groups", json={"code": "g1", "name": "Again"}), 409, "group_exists")
    assert_problem(client.get("/v1/partner-groups/NOPE"), 404, "not_found")
    assert_problem(client.patch("/v1/partner-groups/NOPE", json={"name": "X"}), 404, "not_found")
    for body, loc in (
        ({"code": "G2", "name": "Two", "credit_watch_percent": "-1"}, ["body", "credit_watch_percent"]),
        ({"code": "G2", "name": "Two", "credit_watch_percent": "12.345"}, ["body", "credit_watch_percent"]),
        ({"code": "G2", "name": "Two", "request_priority_boost": 5}, ["body", "request_priority_boost"]),
        ({"code": "G 2", "name": "Two"}, ["body", "code"]),
        ({"code": "G2"}, ["body", "name"]),
    ):
        problem = assert_problem(client.post("/v1/partner-groups", json=body), 422, "validation_error")
        assert error_locs(problem) == [loc], body
    assert [g["code"] for g in client.get("/v1/partner-groups").json()["items"]] == ["G1"]


def test_credit_watch_percent_is_the_groups_and_status_needs_a_balance_above_it(client: Any) -> None:
    client.post("/v1/partner-groups", json={"code": "G-ZERO", "name": "Watch everything", "credit_watch_percent": "0"})
    grouped = create_partner(client, name="Grouped", group="G-ZERO", credit_limit="1000")
    plain = create_partner(client, name="Plain", credit_limit="1000")
    # A zero balance is not "above" 0 % of the limit: both are ok, in the representation and the filter.
    assert grouped["credit_status"] == "ok"
    assert plain["credit_status"] == "ok"
    assert [p["name"] for p in client.get("/v1/partners?credit_status=ok").json()["items"]] == ["Grouped", "Plain"]
    assert client.get("/v1/partners?credit_status=watch").json()["items"] == []
    client.patch("/v1/partner-groups/G-ZERO", json={"credit_watch_percent": "50"})
    assert get_partner(client, grouped["id"])["credit_status"] == "ok"


def _invoice(client: Any, partner: str, amount: str) -> None:
    body = {"type": "invoice", "partner": partner, "lines": [{"product": "SVC", "quantity": "1", "unit_price": amount}]}
    draft = client.post("/v1/documents", json=body)
    assert draft.status_code == 201, draft.text
    issued = client.post(f"/v1/documents/{draft.json()['id']}/issue")
    assert issued.status_code == 200, issued.text


def test_the_groups_credit_watch_percent_decides_watch(client: Any) -> None:
    client.post("/v1/partner-groups", json={"code": "G-HALF", "name": "Half", "credit_watch_percent": "50"})
    grouped = create_partner(client, name="Grouped", code="GRP", group="G-HALF", credit_limit="1000")
    plain = create_partner(client, name="Plain", code="PLN", credit_limit="1000")
    _invoice(client, "GRP", "600.00")
    _invoice(client, "PLN", "600.00")
    # 600 is above 50 % of the limit (the group's threshold) but not above 90 % (the default).
    assert get_partner(client, "GRP")["balance"] == "600.00"
    assert get_partner(client, "GRP")["credit_status"] == "watch"
    assert get_partner(client, "PLN")["credit_status"] == "ok"
    assert [p["code"] for p in client.get("/v1/partners?credit_status=watch").json()["items"]] == ["GRP"]
    assert client.get("/v1/partners/GRP/balance").json()["credit_status"] == "watch"

    client.patch("/v1/partner-groups/G-HALF", json={"credit_watch_percent": "60"})
    # Exactly 60 % is not above it.
    assert get_partner(client, "GRP")["credit_status"] == "ok"
    assert client.get("/v1/partners?credit_status=watch").json()["items"] == []

    _invoice(client, "GRP", "400.01")
    assert get_partner(client, "GRP")["balance"] == "1000.01"
    assert get_partner(client, "GRP")["credit_status"] == "hold"
    assert [p["code"] for p in client.get("/v1/partners?credit_status=hold").json()["items"]] == ["GRP"]
    assert grouped["id"] != plain["id"]


# -- users -------------------------------------------------------------------------------------------


def test_users_create_list_get(client: Any) -> None:
    boss = client.post(
        "/v1/users",
        json={"username": "boss", "name": "The Boss", "email": "boss@acme.example", "mobile": None, "teams": ["sales"]},
    )
    assert boss.status_code == 201
    assert "X-Position" in boss.headers
    assert boss.json() == {
        "username": "boss",
        "name": "The Boss",
        "email": "boss@acme.example",
        "mobile": None,
        "supervisor": None,
        "teams": ["sales"],
        "version": 1,
    }
    anna = client.post(
        "/v1/users",
        json={"username": "anna", "name": "Anna", "supervisor": "boss", "teams": ["sales", "support", "sales"]},
    ).json()
    assert anna["supervisor"] == "boss"
    assert anna["teams"] == ["sales", "support"]
    listed = client.get("/v1/users").json()
    assert [u["username"] for u in listed["items"]] == ["anna", "boss"]
    assert listed["next_cursor"] is None
    assert [u["username"] for u in client.get("/v1/users?team=support").json()["items"]] == ["anna"]
    assert client.get("/v1/users/anna").json() == anna
    assert_problem(client.get("/v1/users/nobody"), 404, "not_found")


def test_user_errors(sqlite_client: Any) -> None:
    client = sqlite_client
    client.post("/v1/users", json={"username": "anna", "name": "Anna"})
    assert_problem(client.post("/v1/users", json={"username": "anna", "name": "Other"}), 409, "user_exists")
    for body, loc in (
        ({"username": "bob", "name": "Bob", "supervisor": "ghost"}, ["body", "supervisor"]),
        ({"username": "bob", "name": "Bob", "supervisor": "bob"}, ["body", "supervisor"]),
        ({"username": "bad name", "name": "Bad"}, ["body", "username"]),
        ({"username": "bob", "name": "Bob", "email": "bob"}, ["body", "email"]),
        ({"username": "bob"}, ["body", "name"]),
    ):
        problem = assert_problem(client.post("/v1/users", json=body), 422, "validation_error")
        assert error_locs(problem) == [loc], body
    assert [u["username"] for u in client.get("/v1/users").json()["items"]] == ["anna"]
