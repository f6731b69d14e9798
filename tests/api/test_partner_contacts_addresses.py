"""/v1/partners/{partner}/addresses and /contacts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import assert_problem, create_partner, error_locs, get_partner

ADDRESS = {
    "usage": ["billing", "shipping"],
    "label": "HQ",
    "street": "Main Street 1",
    "city": "Gdansk",
    "postal_code": "80-001",
    "region": "Pomorskie",
    "country": "PL",
    "is_default": True,
}

CONTACT = {
    "name": "Jan Kowalski",
    "title": "CFO",
    "email": "jan@acme.example",
    "mobile": "+48 600 000 000",
    "phone": "+48 58 000 00 00",
    "responsibilities": ["billing", "management"],
    "availability": [{"weekday": 1, "from": "09:00", "to": "12:00"}, {"weekday": 5, "from": "13:30", "to": "17:00"}],
    "active": True,
    "portal_access": False,
    "custom_fields": {},
}


def test_address_add_change_remove(client: Any) -> None:
    p = create_partner(client, name="Addr", code="ADDR")
    response = client.post("/v1/partners/addr/addresses", json=ADDRESS)
    assert response.status_code == 201
    assert "X-Position" in response.headers
    address = response.json()
    aid = address.pop("id")
    assert address == ADDRESS
    assert get_partner(client, "ADDR")["addresses"] == [{"id": aid, **ADDRESS}]

    changed = client.patch(f"/v1/partners/ADDR/addresses/{aid}", json={"city": "Sopot", "usage": ["tax"]})
    assert changed.status_code == 200
    assert changed.json() == {"id": aid, **ADDRESS, "city": "Sopot", "usage": ["tax"]}
    partner = get_partner(client, p["id"])
    assert partner["addresses"] == [{"id": aid, **ADDRESS, "city": "Sopot", "usage": ["tax"]}]
    assert partner["version"] == 3

    removed = client.delete(f"/v1/partners/ADDR/addresses/{aid}")
    assert removed.status_code == 204
    assert removed.content == b""
    assert "X-Position" in removed.headers
    assert get_partner(client, "ADDR")["addresses"] == []
    assert_problem(client.delete(f"/v1/partners/ADDR/addresses/{aid}"), 404, "not_found")
    assert_problem(client.patch(f"/v1/partners/ADDR/addresses/{aid}", json={"city": "X"}), 404, "not_found")


def test_address_defaults_of_a_minimal_address(sqlite_client: Any) -> None:
    client = sqlite_client
    create_partner(client, name="Addr", code="ADDR")
    address = client.post("/v1/partners/ADDR/addresses", json={"city": "Gdynia"}).json()
    assert {k: v for k, v in address.items() if k != "id"} == {
        "usage": [],
        "label": "",
        "street": "",
        "city": "Gdynia",
        "postal_code": "",
        "region": "",
        "country": "",
        "is_default": False,
    }


def test_a_new_default_takes_the_default_from_the_same_usage_only(client: Any) -> None:
    create_partner(client, name="Addr", code="ADDR")
    first = client.post("/v1/partners/ADDR/addresses", json={"usage": ["billing"], "is_default": True}).json()
    shipping = client.post("/v1/partners/ADDR/addresses", json={"usage": ["shipping"], "is_default": True}).json()
    second = client.post("/v1/partners/ADDR/addresses", json={"usage": ["billing"], "is_default": True}).json()
    defaults = {a["id"]: a["is_default"] for a in get_partner(client, "ADDR")["addresses"]}
    assert defaults == {first["id"]: False, shipping["id"]: True, second["id"]: True}


def test_address_validation(sqlite_client: Any) -> None:
    create_partner(sqlite_client, name="Addr", code="ADDR")
    body = assert_problem(
        sqlite_client.post("/v1/partners/ADDR/addresses", json={"usage": ["moon"]}), 422, "validation_error"
    )
    assert error_locs(body) == [["body", "usage", 0]]
    body = assert_problem(
        sqlite_client.post("/v1/partners/ADDR/addresses", json={"colour": "red"}), 422, "validation_error"
    )
    assert error_locs(body) == [["body", "colour"]]
    assert_problem(sqlite_client.post("/v1/partners/NOPE/addresses", json={"city": "X"}), 404, "not_found")
    assert_problem(sqlite_client.delete("/v1/partners/ADDR/addresses/not-a-uuid"), 422, "validation_error")
    assert get_partner(sqlite_client, "ADDR")["addresses"] == []


def test_contact_round_trip_with_availability(client: Any) -> None:
    p = create_partner(client, name="Cont", code="CONT")
    response = client.post("/v1/partners/CONT/contacts", json=CONTACT)
    assert response.status_code == 201
    contact = response.json()
    cid = contact.pop("id")
    assert contact == CONTACT
    assert get_partner(client, p["id"])["contacts"] == [{"id": cid, **CONTACT}]


def test_contact_minimal_defaults(sqlite_client: Any) -> None:
    client = sqlite_client
    create_partner(client, name="Cont", code="CONT")
    contact = client.post("/v1/partners/CONT/contacts", json={"name": "Ewa"}).json()
    assert {k: v for k, v in contact.items() if k != "id"} == {
        "name": "Ewa",
        "title": "",
        "email": None,
        "mobile": None,
        "phone": None,
        "responsibilities": [],
        "availability": [],
        "active": True,
        "portal_access": False,
        "custom_fields": {},
    }


def test_contact_change_and_remove(client: Any) -> None:
    create_partner(client, name="Cont", code="CONT")
    cid = client.post("/v1/partners/CONT/contacts", json=CONTACT).json()["id"]
    response = client.patch(
        f"/v1/partners/CONT/contacts/{cid}",
        json={"title": "CEO", "availability": [{"weekday": 7, "from": "10:00", "to": "11:00"}], "active": False},
    )
    assert response.status_code == 200
    assert response.json() == {
        "id": cid,
        **CONTACT,
        "title": "CEO",
        "availability": [{"weekday": 7, "from": "10:00", "to": "11:00"}],
        "active": False,
    }
    assert get_partner(client, "CONT")["contacts"][0]["title"] == "CEO"
    assert client.delete(f"/v1/partners/CONT/contacts/{cid}").status_code == 204
    assert get_partner(client, "CONT")["contacts"] == []
    assert_problem(client.delete(f"/v1/partners/CONT/contacts/{cid}"), 404, "not_found")
    assert_problem(client.patch(f"/v1/partners/CONT/contacts/{cid}", json={"title": "X"}), 404, "not_found")


def test_contact_validation(sqlite_client: Any) -> None:
    create_partner(sqlite_client, name="Cont", code="CONT")
    cases = [
        ({"title": "no name"}, ["body", "name"]),
        (
            {"name": "A", "availability": [{"weekday": 8, "from": "09:00", "to": "10:00"}]},
            ["body", "availability", 0, "weekday"],
        ),
        (
            {"name": "A", "availability": [{"weekday": 0, "from": "09:00", "to": "10:00"}]},
            ["body", "availability", 0, "weekday"],
        ),
        (
            {"name": "A", "availability": [{"weekday": 1, "from": "9am", "to": "10:00"}]},
            ["body", "availability", 0, "from"],
        ),
        (
            {"name": "A", "availability": [{"weekday": 1, "from": "12:00", "to": "09:00"}]},
            ["body", "availability", 0, "to"],
        ),
        (
            {"name": "A", "availability": [{"weekday": 1, "from": "24:00", "to": "25:00"}]},
            ["body", "availability", 0, "from"],
        ),
        ({"name": "A", "responsibilities": ["cooking"]}, ["body", "responsibilities", 0]),
        ({"name": "A", "email": "nope"}, ["body", "email"]),
        ({"name": "A", "custom_fields": {"shoe_size": 42}}, ["body", "custom_fields", "shoe_size"]),
    ]
    for body, loc in cases:
        problem = assert_problem(sqlite_client.post("/v1/partners/CONT/contacts", json=body), 422, "validation_error")
        assert loc in error_locs(problem), (body, problem)
    cid = sqlite_client.post("/v1/partners/CONT/contacts", json={"name": "Ok"}).json()["id"]
    problem = assert_problem(
        sqlite_client.patch(f"/v1/partners/CONT/contacts/{cid}", json={"name": None}), 422, "validation_error"
    )
    assert error_locs(problem) == [["body", "name"]]
    assert [c["name"] for c in get_partner(sqlite_client, "CONT")["contacts"]] == ["Ok"]


def test_contact_custom_fields_are_validated_by_their_definition(client: Any) -> None:
    created = client.post(
        "/v1/custom-fields", json={"entity": "contact", "code": "birthday", "label": "Birthday", "type": "date"}
    )
    assert created.status_code == 201
    create_partner(client, name="Cont", code="CONT")
    ok = client.post("/v1/partners/CONT/contacts", json={"name": "A", "custom_fields": {"birthday": "1990-05-17"}})
    assert ok.status_code == 201
    assert ok.json()["custom_fields"] == {"birthday": "1990-05-17"}
    bad = client.post("/v1/partners/CONT/contacts", json={"name": "B", "custom_fields": {"birthday": "17.05.1990"}})
    assert error_locs(assert_problem(bad, 422, "validation_error")) == [["body", "custom_fields", "birthday"]]
    # A partner field is not a contact field.
    client.post(
        "/v1/custom-fields", json={"entity": "partner", "code": "segment", "label": "Segment", "type": "string"}
    )
    wrong_entity = client.post("/v1/partners/CONT/contacts", json={"name": "C", "custom_fields": {"segment": "x"}})
    assert error_locs(assert_problem(wrong_entity, 422, "validation_error")) == [["body", "custom_fields", "segment"]]


@pytest.mark.postgres
def test_if_match_guards_address_and_contact_changes(client: Any) -> None:
    create_partner(client, name="Cont", code="CONT")
    stale = client.post("/v1/partners/CONT/contacts", json={"name": "A"}, headers={"If-Match": "5"})
    assert_problem(stale, 412, "version_conflict")
    assert get_partner(client, "CONT")["contacts"] == []
    fresh = client.post("/v1/partners/CONT/addresses", json={"city": "X"}, headers={"If-Match": "1"})
    assert fresh.status_code == 201
    assert get_partner(client, "CONT")["version"] == 2
