"""/v1/templates: Jinja2 templates checked when saved (a bad one is a 422 naming the line),
versioned on every change, and one default per channel, purpose and language."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import assert_problem, audit_count, role_headers

REMINDER = {
    "code": "R1",
    "channel": "email",
    "purpose": "collection",
    "language": "en",
    "subject": "Payment reminder {{ partner.code }}",
    "body": "Dear {{ contact.name if contact else 'customer' }},\n\nplease pay {{ total }}.\n",
}


def create(client: Any, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/templates", json={**REMINDER, **fields})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def get(client: Any, code: str) -> dict[str, Any]:
    response = client.get(f"/v1/templates/{code}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def defaults(client: Any) -> list[str]:
    items = client.get("/v1/templates", params={"is_default": "true"}).json()["items"]
    return sorted(t["code"] for t in items)


@pytest.mark.postgres
def test_a_template_is_created_read_listed_and_changed(client: Any) -> None:
    created = create(client)
    assert created == {
        **REMINDER,
        "is_default": False,
        "version": 1,
        "created_at": "2026-01-15T00:00:00Z",
        "updated_at": "2026-01-15T00:00:00Z",
    }
    assert get(client, "R1") == created
    create(client, code="S1", channel="sms", subject="", body="Please pay {{ total }}")

    response = client.patch("/v1/templates/R1", json={"body": "Hello,\nplease pay {{ total }} now.\n"})
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["version"] == 2 and changed["body"] == "Hello,\nplease pay {{ total }} now.\n"
    assert changed["subject"] == REMINDER["subject"]
    assert get(client, "R1") == changed

    listed = client.get("/v1/templates").json()
    assert [t["code"] for t in listed["items"]] == ["R1", "S1"] and listed["next_cursor"] is None
    assert [t["code"] for t in client.get("/v1/templates", params={"channel": "sms"}).json()["items"]] == ["S1"]
    page = client.get("/v1/templates", params={"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_cursor"]


def test_a_bad_template_is_refused_with_its_line_and_records_nothing(sqlite_client: Any) -> None:
    before = audit_count(sqlite_client)
    response = sqlite_client.post(
        "/v1/templates", json={**REMINDER, "body": "Dear customer,\n\nplease pay {{ total }\n"}
    )
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"] == [{"loc": ["body", "body"], "msg": "line 3: unexpected '}'"}]
    assert "line 3" in body["detail"]
    response = sqlite_client.post("/v1/templates", json={**REMINDER, "subject": "Reminder {% if x %}"})
    assert assert_problem(response, 422)["errors"][0]["loc"] == ["body", "subject"]
    assert audit_count(sqlite_client) == before
    assert_problem(sqlite_client.get("/v1/templates/R1"), 404, "not_found")

    create(sqlite_client)
    response = sqlite_client.patch("/v1/templates/R1", json={"body": "ok\n{% for i in x %}\n"})
    assert assert_problem(response, 422)["errors"][0]["msg"].startswith("line ")
    assert get(sqlite_client, "R1")["version"] == 1


def test_a_letter_template_is_html(sqlite_client: Any) -> None:
    letter = create(sqlite_client, code="L2", channel="letter", subject="Final notice", body="<p>{{ total }}</p>")
    assert letter["channel"] == "letter"
    response = sqlite_client.post(
        "/v1/templates", json={**REMINDER, "code": "L3", "channel": "letter", "body": "<p>{{ x }</p>"}
    )
    assert_problem(response, 422)


def test_one_default_per_channel_purpose_and_language(client: Any) -> None:
    create(client, code="R1", is_default=True)
    assert defaults(client) == ["R1"]
    create(client, code="R2", is_default=True)
    assert defaults(client) == ["R2"]
    assert get(client, "R1")["is_default"] is False
    create(client, code="R2-DE", language="de", is_default=True)
    create(client, code="S1", channel="sms", subject="", body="Pay {{ total }}", is_default=True)
    create(client, code="G1", purpose="general", is_default=True)
    assert defaults(client) == ["G1", "R2", "R2-DE", "S1"]

    response = client.patch("/v1/templates/R1", json={"is_default": True})
    assert response.status_code == 200, response.text
    assert response.json()["is_default"] is True
    assert defaults(client) == ["G1", "R1", "R2-DE", "S1"]
    assert client.get("/v1/templates/R1").json()["version"] == 1  # a default is not a revision

    client.patch("/v1/templates/R1", json={"is_default": False})
    assert defaults(client) == ["G1", "R2-DE", "S1"]


def test_a_default_moved_to_another_language_leaves_its_old_one(sqlite_client: Any) -> None:
    create(sqlite_client, code="R1", is_default=True)
    create(sqlite_client, code="R1-DE", language="de", is_default=True)
    response = sqlite_client.patch("/v1/templates/R1", json={"language": "fr"})
    assert response.json()["is_default"] is False and response.json()["language"] == "fr"
    assert defaults(sqlite_client) == ["R1-DE"]
    response = sqlite_client.patch("/v1/templates/R1", json={"language": "de", "is_default": True})
    assert response.json()["is_default"] is True
    assert defaults(sqlite_client) == ["R1"]


def test_codes_versions_and_roles(sqlite_client: Any) -> None:
    create(sqlite_client)
    assert_problem(sqlite_client.post("/v1/templates", json=REMINDER), 409, "template_exists")
    assert_problem(sqlite_client.patch("/v1/templates/NOPE", json={"body": "x"}), 404, "not_found")
    assert_problem(sqlite_client.patch("/v1/templates/R1", json={"body": "x"}, headers={"If-Match": "7"}), 412)
    assert_problem(sqlite_client.post("/v1/templates", json={**REMINDER, "code": "X", "colour": "red"}), 422)
    assert_problem(sqlite_client.post("/v1/templates", json={**REMINDER, "code": "X", "channel": "fax"}), 422)
    response = sqlite_client.post("/v1/templates", json={**REMINDER, "code": "X", "subject": " "})
    assert assert_problem(response, 422)["errors"][0]["loc"] == ["body", "subject"]
    analyst = role_headers(sqlite_client, "analyst")
    assert_problem(sqlite_client.post("/v1/templates", json={**REMINDER, "code": "X"}, headers=analyst), 403)
    assert sqlite_client.get("/v1/templates/R1", headers=analyst).status_code == 200
    response = sqlite_client.patch("/v1/templates/R1", json={"subject": "Reminder"}, headers={"If-Match": "1"})
    assert response.status_code == 200 and response.json()["version"] == 2
