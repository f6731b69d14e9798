"""A poisoned template over HTTP: refused when saved if it can never be rendered (422), else 409
``template_render_failed`` when it is rendered, never a 500."""

from __future__ import annotations

from typing import Any

from tests.api.helpers import assert_problem, create_partner

RECURSIVE = "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"


def test_a_recursive_template_is_refused_when_saved_and_refused_when_rendered(sqlite_client: Any) -> None:
    client = sqlite_client
    create_partner(client, name="Acme", code="ACME", email="office@acme.test")
    template = {"code": "P1", "channel": "email", "purpose": "general", "subject": "Hello", "body": RECURSIVE}
    body = assert_problem(client.post("/v1/templates", json=template), 422)
    assert body["errors"][0]["loc"] == ["body", "body"]
    assert "calls are nested more than 50 deep" in body["errors"][0]["msg"]
    # Recursing only for some values: saved, and refused for those values when rendered.
    per_item = "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{% for i in items %}{{ f(0) }}{% endfor %}"
    assert client.post("/v1/templates", json={**template, "body": per_item}).status_code == 201
    message = {"channel": "email", "partner": "ACME", "template": "P1", "variables": {"items": [1]}}
    problem = assert_problem(client.post("/v1/messages", json=message), 409, "template_render_failed")
    assert problem["detail"] == "template P1: calls are nested more than 50 deep (a macro calling itself?)"
    mutating = {**template, "code": "P2", "body": "{{ partner.update({'name': 'x'}) }}"}
    assert client.post("/v1/templates", json=mutating).status_code == 201
    problem = assert_problem(client.post("/v1/messages", json={**message, "template": "P2"}), 409)
    assert problem["code"] == "template_render_failed" and "unsafe" in problem["detail"]
    assert client.post("/v1/messages", json={**message, "variables": {"items": []}}).status_code == 201
