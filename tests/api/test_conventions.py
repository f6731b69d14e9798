"""API.md Conventions: problem+json, 400/404/405/412/422/429, If-Match, Idempotency-Key,
Prefer: respond-async, X-Position and X-Min-Position, money strings, list limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.helpers import assert_problem, audit_count, create_partner, error_locs, get_partner, role_headers
from tests.conftest import http_client, make_settings, open_container


def test_problem_json_shape(sqlite_client: Any) -> None:
    client = sqlite_client
    response = client.get("/v1/partners/UNKNOWN")
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "https://counterparty.local/problems/not_found",
        "title": "Not found",
        "status": 404,
        "detail": "partner UNKNOWN not found",
        "code": "not_found",
    }


def test_malformed_json_is_400(sqlite_client: Any) -> None:
    for raw in (b"{", b"{'name': 'single quotes'}", b'{"name": "x",}', b"\xff\xfe"):
        response = sqlite_client.post("/v1/partners", content=raw, headers={"Content-Type": "application/json"})
        body = assert_problem(response, 400, "malformed_request")
        assert body["title"] == "Malformed request"
    for not_an_object in ([1, 2], "Acme", 5):
        response = sqlite_client.post("/v1/partners", json=not_an_object)
        assert response.status_code in (400, 422), response.text
        assert_problem(response, response.status_code)
    assert sqlite_client.get("/v1/partners").json()["items"] == []


def test_validation_is_422_with_errors_loc_and_msg(sqlite_client: Any) -> None:
    response = sqlite_client.post("/v1/partners", json={"kind": "robot", "credit_limit": "abc"})
    body = assert_problem(response, 422, "validation_error")
    assert body["title"] == "Validation failed"
    assert sorted(error_locs(body)) == [["body", "credit_limit"], ["body", "kind"], ["body", "name"]]
    for error in body["errors"]:
        assert set(error) == {"loc", "msg"}
        assert isinstance(error["msg"], str) and error["msg"]
    assert "body.name" in body["detail"]


@pytest.mark.postgres
def test_nul_characters_are_refused_and_the_read_models_keep_going(client: Any) -> None:
    """PostgreSQL text cannot hold NUL: one in the log would stop every read model at that event."""
    for body, loc in (
        ({"name": "A\x00B"}, ["body", "name"]),
        ({"name": "A", "tags": ["ok", "x\x00"]}, ["body", "tags", 1]),
        ({"name": "A", "custom_fields": {"k\x00": 1}}, ["body", "custom_fields", "k\x00"]),
    ):
        refused = client.post("/v1/partners", json=body)
        assert error_locs(assert_problem(refused, 422, "validation_error")) == [loc]
    assert error_locs(assert_problem(client.get("/v1/partners", params={"q": "a\x00"}), 422)) == [["query", "q"]]
    assert error_locs(assert_problem(client.get("/v1/partners/A%00"), 422)) == [["path"]]
    create_partner(client, name="After", code="AFTER")
    assert [p["code"] for p in client.get("/v1/partners").json()["items"]] == ["AFTER"]
    raw = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="file"; filename="a\x00b.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n"
        b"x\r\n"
        b"--XyZ--\r\n"
    )
    upload = client.post(
        "/v1/partners/AFTER/attachments", content=raw, headers={"Content-Type": "multipart/form-data; boundary=XyZ"}
    )
    assert upload.status_code == 201, upload.text
    assert upload.json()["filename"] == "ab.txt"
    assert all(p["status"] != "failed" for p in client.get("/v1/admin/projections").json())


def test_unknown_route_and_method_are_problems(sqlite_client: Any) -> None:
    assert_problem(sqlite_client.get("/v1/no-such-thing"), 404, "not_found")
    assert_problem(sqlite_client.put("/v1/partners", json={}), 405, "method_not_allowed")


def test_unknown_partner_is_404_on_every_partner_route(sqlite_client: Any) -> None:
    client = sqlite_client
    for method, path, body in (
        ("GET", "/v1/partners/NOPE", None),
        ("GET", "/v1/partners/NOPE/balance", None),
        ("GET", "/v1/partners/NOPE/profile", None),
        ("GET", "/v1/partners/NOPE/timeline", None),
        ("PATCH", "/v1/partners/NOPE", {"name": "X"}),
        ("POST", "/v1/partners/NOPE/contacts", {"name": "X"}),
        ("POST", "/v1/partners/NOPE/addresses", {"city": "X"}),
        ("POST", "/v1/partners/NOPE/notes", {"text": "X"}),
        ("POST", "/v1/partners/NOPE/credit-hold", {"reason": "X"}),
        ("DELETE", "/v1/partners/NOPE/credit-hold", None),
        ("POST", "/v1/partners/NOPE/merge", {"absorb": ["X"]}),
    ):
        response = client.request(method, path, json=body)
        assert_problem(response, 404, "not_found")


@pytest.mark.postgres
def test_if_match_mismatch_is_412_and_changes_nothing(client: Any) -> None:
    p = create_partner(client, name="Versioned", code="VER")
    events = audit_count(client)
    stale = client.patch("/v1/partners/VER", json={"name": "Changed"}, headers={"If-Match": "7"})
    body = assert_problem(stale, 412, "version_conflict")
    assert body["title"] == "Precondition failed"
    assert "X-Position" not in stale.headers
    after = get_partner(client, "VER")
    assert after["name"] == "Versioned"
    assert after["version"] == p["version"] == 1
    assert audit_count(client) == events
    ok = client.patch("/v1/partners/VER", json={"name": "Changed"}, headers={"If-Match": '"1"'})
    assert ok.status_code == 200
    assert ok.json()["version"] == 2
    weak = client.patch("/v1/partners/VER", json={"name": "Again"}, headers={"If-Match": 'W/"2"'})
    assert weak.status_code == 200
    assert weak.json()["version"] == 3
    assert_problem(client.patch("/v1/partners/VER", json={"name": "X"}, headers={"If-Match": "abc"}), 400)
    assert_problem(client.post("/v1/partners/VER/credit-hold", json={"reason": "r"}, headers={"If-Match": "1"}), 412)
    assert get_partner(client, "VER")["credit_status"] == "no_check"


@pytest.mark.postgres
def test_idempotency_key_replays_the_first_response(client: Any) -> None:
    body = {"name": "Once", "tags": ["a"], "credit_limit": 10}
    first = client.post("/v1/partners", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    events = audit_count(client)
    # The same JSON document, other white space and key order.
    same = json.dumps({"credit_limit": 10, "tags": ["a"], "name": "Once"}, indent=2)
    again = client.post(
        "/v1/partners", content=same, headers={"Idempotency-Key": "k-1", "Content-Type": "application/json"}
    )
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["X-Position"] == first.headers["X-Position"]
    assert audit_count(client) == events
    assert [p["name"] for p in client.get("/v1/partners").json()["items"]] == ["Once"]


@pytest.mark.postgres
def test_idempotency_key_with_another_body_is_409(client: Any) -> None:
    client.post("/v1/partners", json={"name": "Once"}, headers={"Idempotency-Key": "k-2"})
    events = audit_count(client)
    other = client.post("/v1/partners", json={"name": "Twice"}, headers={"Idempotency-Key": "k-2"})
    assert_problem(other, 409, "idempotency_key_reused")
    other_route = client.post("/v1/users", json={"username": "u", "name": "U"}, headers={"Idempotency-Key": "k-2"})
    assert_problem(other_route, 409, "idempotency_key_reused")
    assert audit_count(client) == events
    assert [p["name"] for p in client.get("/v1/partners").json()["items"]] == ["Once"]


def test_idempotency_keys_belong_to_their_caller(sqlite_client: Any) -> None:
    client = sqlite_client
    clerk = role_headers(client, "clerk")
    mine = client.post("/v1/partners", json={"name": "Same"}, headers={"Idempotency-Key": "shared"}).json()
    theirs = client.post("/v1/partners", json={"name": "Same"}, headers={"Idempotency-Key": "shared", **clerk}).json()
    assert mine["id"] != theirs["id"]


def test_idempotency_key_too_long_is_400(sqlite_client: Any) -> None:
    response = sqlite_client.post("/v1/partners", json={"name": "X"}, headers={"Idempotency-Key": "k" * 201})
    assert_problem(response, 400, "malformed_request")
    assert sqlite_client.get("/v1/partners").json()["items"] == []


def test_a_refused_command_does_not_use_up_its_idempotency_key(sqlite_client: Any) -> None:
    create_partner(sqlite_client, name="First", code="TAKEN")
    refused = sqlite_client.post("/v1/partners", json={"name": "B", "code": "TAKEN"}, headers={"Idempotency-Key": "k"})
    assert_problem(refused, 409, "code_taken")
    retry = sqlite_client.post("/v1/partners", json={"name": "B", "code": "FREE"}, headers={"Idempotency-Key": "k"})
    assert retry.status_code == 201


def test_idempotent_attachment_upload(sqlite_client: Any) -> None:
    create_partner(sqlite_client, name="Files", code="F")
    upload = {"file": ("a.txt", b"hello", "text/plain")}
    first = sqlite_client.post("/v1/partners/F/attachments", files=upload, headers={"Idempotency-Key": "up"})
    assert first.status_code == 201
    again = sqlite_client.post("/v1/partners/F/attachments", files=upload, headers={"Idempotency-Key": "up"})
    assert again.status_code == 201
    assert again.json() == first.json()
    other = {"file": ("a.txt", b"other", "text/plain")}
    assert_problem(
        sqlite_client.post("/v1/partners/F/attachments", files=other, headers={"Idempotency-Key": "up"}),
        409,
        "idempotency_key_reused",
    )
    assert len(get_partner(sqlite_client, "F")["attachments"]) == 1


def test_prefer_respond_async_answers_202(client: Any) -> None:
    response = client.post("/v1/partners", json={"name": "Later"}, headers={"Prefer": "respond-async"})
    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"position", "id"}
    assert response.headers["X-Position"] == str(body["position"])
    found = client.get(f"/v1/partners/{body['id']}", headers={"X-Min-Position": str(body["position"])})
    assert found.status_code == 200
    assert found.json()["name"] == "Later"


def test_respond_async_with_an_idempotency_key_replays_the_202(sqlite_client: Any) -> None:
    headers = {"Prefer": "respond-async", "Idempotency-Key": "async-1"}
    first = sqlite_client.post("/v1/partners", json={"name": "Later"}, headers=headers)
    assert first.status_code == 202
    again = sqlite_client.post("/v1/partners", json={"name": "Later"}, headers=headers)
    assert again.status_code == 202
    assert again.json() == first.json()
    listed = sqlite_client.get("/v1/partners", headers={"X-Min-Position": first.headers["X-Position"]})
    assert [p["id"] for p in listed.json()["items"]] == [first.json()["id"]]


def test_every_command_answers_x_position(client: Any) -> None:
    positions = []
    p = client.post("/v1/partners", json={"name": "Pos", "code": "POS"})
    positions.append(p)
    positions.append(client.patch("/v1/partners/POS", json={"phone": "1"}))
    a = client.post("/v1/partners/POS/addresses", json={"city": "X"})
    positions.append(a)
    positions.append(client.patch(f"/v1/partners/POS/addresses/{a.json()['id']}", json={"city": "Y"}))
    positions.append(client.delete(f"/v1/partners/POS/addresses/{a.json()['id']}"))
    positions.append(client.post("/v1/partners/POS/notes", json={"text": "n"}))
    positions.append(client.post("/v1/partners/POS/credit-hold", json={"reason": "r"}))
    positions.append(client.delete("/v1/partners/POS/credit-hold"))
    positions.append(client.post("/v1/partner-groups", json={"code": "G", "name": "G"}))
    positions.append(client.post("/v1/users", json={"username": "u", "name": "U"}))
    positions.append(client.put("/v1/settings/numbering/quote", json={"mask": "Q{0000}"}))
    positions.append(client.post("/v1/clock/ticks", json={"to": "2026-01-16"}))
    values = []
    for response in positions:
        assert response.status_code < 300, response.text
        values.append(int(response.headers["X-Position"]))
    assert values == sorted(values)
    assert len(set(values)) == len(values)


@pytest.mark.postgres
def test_x_min_position_waits_for_the_read_models(client: Any) -> None:
    p = client.post("/v1/partners", json={"name": "Now"})
    position = p.headers["X-Position"]
    response = client.get("/v1/partners", headers={"X-Min-Position": position})
    assert response.status_code == 200
    assert [i["name"] for i in response.json()["items"]] == ["Now"]
    assert_problem(client.get("/v1/partners", headers={"X-Min-Position": "soon"}), 400, "malformed_request")


def test_x_min_position_beyond_the_head_is_refused_at_once(sqlite_client: Any) -> None:
    head = int(sqlite_client.post("/v1/partners", json={"name": "Now"}).headers["X-Position"])
    response = sqlite_client.get("/v1/partners", headers={"X-Min-Position": str(head + 1)})
    body = assert_problem(response, 400, "position_beyond_head")
    assert body["detail"] == f"the log has not reached position {head + 1}"
    assert sqlite_client.get("/v1/partners", headers={"X-Min-Position": str(head)}).status_code == 200


@pytest.fixture
def lagging_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A client whose partner directory cannot apply a registration (until ``monkeypatch.undo()``),
    with a short consistency timeout."""
    from aggregates.partner_details import PartnerRegistered

    container = open_container(make_settings(tmp_path, consistency_timeout=0.3))
    directory = container.catalog.projections["partner_directory"]

    def broken(*_: Any) -> None:
        raise RuntimeError("the directory cannot apply this event")

    monkeypatch.setitem(directory.handlers, PartnerRegistered, [broken])
    try:
        with http_client(container) as client:
            yield client
    finally:
        container.close()


def test_x_min_position_is_503_when_the_read_models_lag_past_the_timeout(lagging_client: Any) -> None:
    client = lagging_client
    position = client.post("/v1/partners", json={"name": "Lagging"}).headers["X-Position"]
    response = client.get("/v1/partners", headers={"X-Min-Position": position})
    body = assert_problem(response, 503, "read_model_lagging")
    assert body["detail"] == f"the read models have not reached {position} yet"
    assert response.headers["Retry-After"] == "1"


@pytest.mark.postgres
def test_money_is_a_string_with_two_decimals(client: Any) -> None:
    assert create_partner(client, name="A", credit_limit=10000)["credit_limit"] == "10000.00"
    assert create_partner(client, name="B", credit_limit="0.1")["credit_limit"] == "0.10"
    assert create_partner(client, name="C", credit_limit=99.99)["credit_limit"] == "99.99"
    assert create_partner(client, name="D")["balance"] == "0.00"
    group = client.post("/v1/partner-groups", json={"code": "G", "name": "G", "credit_watch_percent": 85}).json()
    assert group["credit_watch_percent"] == "85.00"
    refused = client.post("/v1/partners", json={"name": "E", "credit_limit": True})
    assert error_locs(assert_problem(refused, 422, "validation_error")) == [["body", "credit_limit"]]


def test_list_limit_over_500_is_422(sqlite_client: Any) -> None:
    client = sqlite_client
    for path in ("/v1/partners", "/v1/users", "/v1/partner-groups", "/v1/custom-fields", "/v1/api-keys"):
        body = assert_problem(client.get(f"{path}?limit=501"), 422, "validation_error")
        assert error_locs(body) == [["query", "limit"]], path
        assert client.get(f"{path}?limit=500").status_code == 200


def test_a_command_whose_read_models_lag_answers_202_with_its_position(
    lagging_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = lagging_client
    response = client.post("/v1/partners", json={"name": "Recorded"})
    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"position", "id"}
    assert response.headers["X-Position"] == str(body["position"])
    assert client.get(f"/v1/audit/streams/{body['id']}").json()["events"][0]["type"] == "PartnerRegistered"
    monkeypatch.undo()
    found = client.get(f"/v1/partners/{body['id']}", headers={"X-Min-Position": str(body["position"])})
    assert found.json()["name"] == "Recorded"
