"""Small helpers shared by the API tests: problem+json checks, partners, keys for other roles."""

from __future__ import annotations

from typing import Any

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (and code); returns its body."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert set(body) >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["type"] == f"https://counterparty.local/problems/{body['code']}"
    if code is not None:
        assert body["code"] == code, body
    return body  # type: ignore[no-any-return]


def error_locs(body: dict[str, Any]) -> list[list[Any]]:
    return [e["loc"] for e in body["errors"]]


def create_partner(client: Any, **fields: Any) -> dict[str, Any]:
    body = {"name": "Acme Ltd", **fields}
    response = client.post("/v1/partners", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def create_users(client: Any, *usernames: str) -> None:
    """Users a body may then name (sales reps, assignees)."""
    for username in usernames:
        response = client.post("/v1/users", json={"username": username, "name": username.title()})
        assert response.status_code == 201, response.text


def create_groups(client: Any, *codes: str) -> None:
    """Partner groups a body may then name."""
    for code in codes:
        response = client.post("/v1/partner-groups", json={"code": code, "name": code.title()})
        assert response.status_code == 201, response.text


def create_schemes(client: Any, *codes: str) -> None:
    """Collection schemes (one level charging a fee) a body may then name."""
    for code in codes:
        level = {"seq": 1, "name": "L1", "days_after_due": 7, "actions": [{"type": "fee", "amount": "5.00"}]}
        response = client.post("/v1/collection/schemes", json={"code": code, "name": code.title(), "levels": [level]})
        assert response.status_code == 201, response.text


def create_campaigns(client: Any, *codes: str) -> None:
    """Campaigns a document may then name."""
    for code in codes:
        response = client.post("/v1/campaigns", json={"code": code, "name": code.title()})
        assert response.status_code == 201, response.text


def get_partner(client: Any, ref: str) -> dict[str, Any]:
    response = client.get(f"/v1/partners/{ref}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def role_headers(client: Any, role: str, name: str | None = None) -> dict[str, str]:
    """Issues a key for ``role`` through the API and returns the headers that use it."""
    response = client.post("/v1/api-keys", json={"name": name or f"{role}-key", "role": role})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['key']}"}


def audit_count(client: Any, **filters: Any) -> int:
    """How many events the log holds (optionally filtered), read through /v1/audit/events."""
    total, after = 0, 0
    while True:
        response = client.get("/v1/audit/events", params={"after": after, "limit": 1000, **filters})
        assert response.status_code == 200, response.text
        body = response.json()
        total += len(body["items"])
        if body["next_after"] is None:
            return total
        after = body["next_after"]
