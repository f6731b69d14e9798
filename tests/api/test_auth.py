"""Authentication and roles: API keys, 401 and 403, and the routes that need no key."""

from __future__ import annotations

import os
import socket
from typing import Any

import pytest

from tests.api.helpers import assert_problem, create_partner, role_headers

NO_KEY: dict[str, str] = {"Authorization": ""}


def test_no_key_or_a_bad_key_is_401(client: Any) -> None:
    for headers in (NO_KEY, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dXNlcjpwYXNz"}):
        body = assert_problem(client.get("/v1/partners", headers=headers), 401, "unauthorized")
        assert body["title"] == "Authentication required"
    response = client.post("/v1/partners", json={"name": "Sneaky"}, headers=NO_KEY)
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/v1/partners").json()["items"] == []


def test_the_admin_key_is_case_insensitive_in_its_scheme_only(sqlite_client: Any) -> None:
    assert sqlite_client.get("/v1/partners", headers={"Authorization": "bearer test-admin-key"}).status_code == 200
    assert_problem(
        sqlite_client.get("/v1/partners", headers={"Authorization": "Bearer TEST-ADMIN-KEY"}), 401, "unauthorized"
    )


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"])
def test_operational_routes_need_no_key(sqlite_client: Any, path: str) -> None:
    response = sqlite_client.get(path, headers=NO_KEY)
    assert response.status_code == 200, response.text


def test_health_readiness_and_metrics_bodies(sqlite_client: Any) -> None:
    assert sqlite_client.get("/healthz", headers=NO_KEY).json() == {"status": "ok"}
    created = sqlite_client.post("/v1/partners", json={"name": "One"})
    ready = sqlite_client.get("/readyz", headers=NO_KEY).json()
    # A container that was not started runs no jobs, so leads nothing (tests/integration/test_leader.py).
    assert ready == {
        "status": "ready",
        "head": int(created.headers["X-Position"]),
        "role": "all",
        "process": f"{socket.gethostname()}:{os.getpid()}",
        "leads": [],
        "leaders": {"processes": None, "clock": None, "sender": None, "mailer": None},
    }
    metrics = sqlite_client.get("/metrics", headers=NO_KEY)
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'cpty_projection_lag_events{kind="read_model",name="partner_directory"} 0.0' in metrics.text
    # The collection process manager bears its read model's name: its own series, not a merged one.
    assert 'cpty_projection_lag_events{kind="process",name="collection"} 0.0' in metrics.text
    assert "cpty_http_requests_total" in metrics.text
    assert 'cpty_leader{family="processes"} 0.0' in metrics.text


def test_openapi_describes_the_routes(sqlite_client: Any) -> None:
    spec = sqlite_client.get("/openapi.json", headers=NO_KEY).json()
    for path in (
        "/v1/partners",
        "/v1/partners/{partner}",
        "/v1/partners/{partner}/merge",
        "/v1/partners/export.csv",
        "/v1/api-keys",
        "/v1/clock/ticks",
        "/v1/audit/events",
        "/v1/admin/projections",
        "/v1/settings/numbering/{series}",
    ):
        assert path in spec["paths"], path
    created = spec["paths"]["/v1/partners"]["post"]
    assert "201" in created["responses"]
    assert "PartnerPublic" in str(created["responses"]["201"])


@pytest.mark.postgres
def test_api_keys_issue_list_revoke(client: Any) -> None:
    response = client.post("/v1/api-keys", json={"name": "robot", "role": "clerk"})
    assert response.status_code == 201
    issued = response.json()
    assert issued["name"] == "robot"
    assert issued["role"] == "clerk"
    assert issued["key"].startswith("cpty_")
    robot = {"Authorization": f"Bearer {issued['key']}"}
    assert client.get("/v1/partners", headers=robot).status_code == 200
    listed = client.get("/v1/api-keys").json()
    assert listed == {"items": [{"name": "robot", "role": "clerk", "revoked": False}], "next_cursor": None}
    assert issued["key"] not in str(listed)

    revoked = client.delete("/v1/api-keys/robot")
    assert revoked.status_code == 204
    assert "X-Position" in revoked.headers
    assert_problem(client.get("/v1/partners", headers=robot), 401, "unauthorized")
    assert client.get("/v1/api-keys").json()["items"] == [{"name": "robot", "role": "clerk", "revoked": True}]


def test_api_key_errors(sqlite_client: Any) -> None:
    client = sqlite_client
    assert_problem(client.post("/v1/api-keys", json={"name": "x", "role": "emperor"}), 422, "validation_error")
    assert_problem(
        client.post("/v1/api-keys", json={"name": "x", "role": "clerk", "extra": 1}), 422, "validation_error"
    )
    assert_problem(client.post("/v1/api-keys", json={"name": "bad name", "role": "clerk"}), 422, "validation_error")
    assert_problem(client.delete("/v1/api-keys/nobody"), 404, "not_found")
    assert client.get("/v1/api-keys").json()["items"] == []


def test_a_live_key_name_is_taken_and_a_revoked_one_can_be_reissued(sqlite_client: Any) -> None:
    client = sqlite_client
    old = role_headers(client, "clerk", name="robot")
    taken = client.post("/v1/api-keys", json={"name": "robot", "role": "admin"})
    assert_problem(taken, 409, "api_key_exists")
    assert client.get("/v1/api-keys").json()["items"] == [{"name": "robot", "role": "clerk", "revoked": False}]
    assert client.delete("/v1/api-keys/robot").status_code == 204
    new = role_headers(client, "analyst", name="robot")
    assert_problem(client.get("/v1/partners", headers=old), 401, "unauthorized")
    assert client.get("/v1/partners", headers=new).status_code == 200
    assert_problem(client.post("/v1/partners", json={"name": "X"}, headers=new), 403, "forbidden")
    assert client.get("/v1/api-keys").json()["items"] == [{"name": "robot", "role": "analyst", "revoked": False}]


def test_analyst_reads_but_cannot_write(sqlite_client: Any) -> None:
    client = sqlite_client
    analyst = role_headers(client, "analyst")
    p = create_partner(client, name="Seen", code="SEEN")
    assert client.get("/v1/partners", headers=analyst).json()["items"][0]["code"] == "SEEN"
    assert client.get("/v1/partners/SEEN", headers=analyst).status_code == 200
    assert client.get("/v1/partners/export.csv", headers=analyst).status_code == 200
    assert client.get("/v1/clock", headers=analyst).status_code == 200
    for method, path, body in (
        ("POST", "/v1/partners", {"name": "Nope"}),
        ("PATCH", "/v1/partners/SEEN", {"name": "Nope"}),
        ("POST", "/v1/partners/SEEN/notes", {"text": "Nope"}),
        ("POST", "/v1/partners/SEEN/credit-hold", {"reason": "Nope"}),
        ("POST", "/v1/partner-groups", {"code": "G", "name": "Nope"}),
        ("POST", "/v1/users", {"username": "nope", "name": "Nope"}),
        ("PUT", "/v1/settings/numbering/partner", {"mask": "X{0}"}),
    ):
        response = client.request(method, path, json=body, headers=analyst)
        body_ = assert_problem(response, 403, "forbidden")
        assert body_["detail"] == "the role analyst may not do this"
    assert_problem(client.get("/v1/audit/events", headers=analyst), 403, "forbidden")
    assert client.get("/v1/partners/SEEN").json()["version"] == p["version"]


def test_clerk_runs_commands_but_not_audit_keys_or_clock(client: Any) -> None:
    clerk = role_headers(client, "clerk")
    created = client.post("/v1/partners", json={"name": "By clerk"}, headers=clerk)
    assert created.status_code == 201
    assert client.patch(f"/v1/partners/{created.json()['id']}", json={"phone": "1"}, headers=clerk).status_code == 200
    assert_problem(client.get("/v1/audit/events", headers=clerk), 403, "forbidden")
    assert_problem(client.get(f"/v1/audit/streams/{created.json()['id']}", headers=clerk), 403, "forbidden")
    assert_problem(client.post("/v1/api-keys", json={"name": "x", "role": "admin"}, headers=clerk), 403, "forbidden")
    assert_problem(client.get("/v1/api-keys", headers=clerk), 403, "forbidden")
    assert_problem(client.delete("/v1/api-keys/clerk-key", headers=clerk), 403, "forbidden")
    assert_problem(client.post("/v1/clock/ticks", json={"to": "2026-01-16"}, headers=clerk), 403, "forbidden")
    assert_problem(client.post("/v1/admin/projections/partner_directory/rebuild", headers=clerk), 403, "forbidden")
    # The clerk's key still works: a 403 does not revoke anything.
    assert client.get("/v1/partners", headers=clerk).status_code == 200
    events = client.get("/v1/audit/events", params={"type": "PartnerRegistered"}).json()["items"]
    assert [e["actor"] for e in events] == ["clerk-key"]


def test_auditor_reads_the_audit_log_but_cannot_write(sqlite_client: Any) -> None:
    client = sqlite_client
    auditor = role_headers(client, "auditor")
    p = create_partner(client, name="Audited")
    events = client.get("/v1/audit/events", headers=auditor)
    assert events.status_code == 200
    assert "PartnerRegistered" in [e["type"] for e in events.json()["items"]]
    stream = client.get(f"/v1/audit/streams/{p['id']}", headers=auditor)
    assert stream.status_code == 200
    assert stream.json()["version"] == 1
    assert client.get("/v1/partners", headers=auditor).status_code == 200
    assert_problem(client.post("/v1/partners", json={"name": "No"}, headers=auditor), 403, "forbidden")
    assert_problem(client.get("/v1/api-keys", headers=auditor), 403, "forbidden")


def test_an_issued_admin_key_can_issue_keys(sqlite_client: Any) -> None:
    second_admin = role_headers(sqlite_client, "admin", name="ops")
    response = sqlite_client.post("/v1/api-keys", json={"name": "made-by-ops", "role": "analyst"}, headers=second_admin)
    assert response.status_code == 201
    events = sqlite_client.get("/v1/audit/events", params={"type": "ApiKeyIssued"}).json()["items"]
    assert [e["actor"] for e in events] == ["admin", "ops"]
