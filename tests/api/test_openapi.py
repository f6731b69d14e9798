"""The OpenAPI contract: every operation documented (id, summary, roles, problems, examples,
bearer security), standard JSON Schema limits and enums, /docs offline, 405 with Allow, and
keyset cursors that stay stable while rows are inserted between pages."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema_rs
import pytest

from tests.api.helpers import assert_problem, create_partner

NO_KEY = {"Authorization": ""}
PUBLIC = {"/healthz", "/readyz", "/metrics", "/u/{token}", "/t/{token}.gif"}


@pytest.fixture(scope="module")
def spec(sqlite_template: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from tests.conftest import http_client, open_container, sqlite_store

    container = open_container(sqlite_store(sqlite_template, tmp_path_factory.mktemp("openapi")))
    try:
        with http_client(container) as client:
            return client.get("/openapi.json", headers=NO_KEY).json()  # type: ignore[no-any-return]
    finally:
        container.close()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, methods in spec["paths"].items() for method, op in methods.items()]


def problem_schema(response: dict[str, Any]) -> str:
    return response["content"]["application/problem+json"]["schema"]["$ref"].rsplit("/", 1)[-1]


def test_every_operation_has_an_id_a_summary_a_description_and_its_problems(spec: dict[str, Any]) -> None:
    ids = set()
    for path, method, op in operations(spec):
        where = f"{method.upper()} {path}"
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", op["operationId"]), where
        ids.add(op["operationId"])
        assert op["summary"] and "**Who:**" in op["description"], where
        assert "HTTPValidationError" not in str(op), where
        for status, response in op["responses"].items():
            if int(status) >= 400:
                expected = "ValidationProblem" if status == "422" else "Problem"
                assert problem_schema(response) == expected, (where, status)
        if path in PUBLIC:
            assert "security" not in op, where
            continue
        assert op["security"] == [{"bearer": []}], where
        assert {"401", "403", "429"} <= set(op["responses"]), where
        if "{" in path:
            assert "404" in op["responses"], where
        if method in ("post", "put", "patch", "delete"):
            assert "409" in op["responses"], where
    assert len(ids) == len(operations(spec)) > 140
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearer"]["description"],
    }


def test_roles_commands_and_reads_are_described(spec: dict[str, Any]) -> None:
    create = spec["paths"]["/v1/partners"]["post"]
    assert create["operationId"] == "partners.create_partner"
    assert "**Who:** admin, clerk." in create["description"]
    assert "`If-Match" in create["description"] and "Idempotency-Key" in create["description"]
    assert {"202", "400", "409", "412", "413", "422"} <= set(create["responses"])
    # The business rules' codes, read from the command the route runs.
    assert create["responses"]["409"]["description"].startswith("`code_taken`, `name_required`; or ")
    payment = spec["paths"]["/v1/payments"]["post"]["responses"]["409"]["description"]
    assert "`allocation_exceeds_open`" in payment and "`idempotency_key_reused`" in payment
    keys = spec["paths"]["/v1/api-keys"]["post"]
    assert "**Who:** admin." in keys["description"]
    listing = spec["paths"]["/v1/partners"]["get"]
    assert "**Who:** admin, clerk, analyst, auditor." in listing["description"]
    assert "X-Min-Position" in listing["description"] and "next_cursor" in listing["description"]
    assert {"400", "503"} <= set(listing["responses"])
    portal = spec["paths"]["/v1/portal/profile"]["get"]
    assert "portal token" in portal["description"]


def test_limits_are_standard_json_schema_and_words_are_enums(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    custom = re.findall(r"'(gt|ge|lt|le)': ", str(schemas))
    assert custom == []
    amount = schemas["PaymentCreate"]["properties"]["amount"]["anyOf"]
    assert {"type": "number", "exclusiveMinimum": 0} in amount
    limit = schemas["PartnerCreate"]["properties"]["credit_limit"]["anyOf"][0]["anyOf"]
    assert {"type": "number", "minimum": 0} in limit

    def words(schema: dict[str, Any]) -> list[str]:
        while "$ref" in schema or "items" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else schema["items"]
        return schema["enum"]  # type: ignore[no-any-return]

    partner = schemas["PartnerPublic"]["properties"]
    assert words(partner["kind"]) == ["organization", "person"]
    assert words(partner["status"]) == ["active", "merged"]
    assert "customer" in words(partner["roles"])
    assert words(partner["credit_status"]) == ["no_check", "ok", "watch", "hold", "stop"]
    assert "issued" in words(schemas["DocumentPublic"]["properties"]["status"])
    assert words(schemas["ApiKeyCreate"]["properties"]["role"]) == ["admin", "clerk", "analyst", "auditor"]


# A string field or query filter named like a closed set of words must be an enum (a filter taking a
# comma-separated list of them: a pattern of exactly those words); these are the ones whose values
# are open, each with the reason.
CLOSED_NAME = re.compile(
    r"(^|_)(status|state|kind|type|role|channel|outcome|action|mode|unit|source|priority|confidentiality"
    r"|visibility|purpose|entity|origin|group_by|fallback_from)(e?s)?$"
)
WORD_LIST = re.compile(r"\^\(([\w|]+)\)\(,\(\1\)\)\*\$")
EVENT_TYPE = "an event type of the log, a set that grows with the domain"
OPEN_WORDS = {
    "Problem.type": "the problem's URI",
    "ValidationProblem.type": "the problem's URI",
    "AttachmentPublic.content_type": "a MIME type",
    "LogoPublic.content_type": "a MIME type",
    "AuditEvent.type": EVENT_TYPE,
    "GET /v1/audit/events ?type": EVENT_TYPE,
    "AuditEvent.stream_type": "an aggregate type of the log, a set that grows with the domain",
    "AuditStream.stream_type": "an aggregate type of the log, a set that grows with the domain",
    "ActivityComplete.outcome": "free text",
    "ActivityPublic.outcome": "free text",
    "DocumentCreate.source": "the order a delivery note is drawn from",
    **dict.fromkeys(
        [
            "RequestCreate.type",
            "RequestPublic.type",
            "RequestDetail.type",
            "PortalRequestCreate.type",
            "PortalRequest.type",
            "PortalRequestDetail.type",
            "RoutingRuleCreate.type",
            "RoutingRulePublic.type",
        ],
        "a request type's code, defined by POST /v1/request-types",
    ),
}


def plain_strings(spec: dict[str, Any]) -> list[str]:
    """``Schema.field`` of every property, and ``METHOD path ?name`` of every parameter, whose name
    says it holds one of a few words and that is a string without ``enum`` or a word-list pattern
    (directly, optional, or as list items)."""
    schemas = spec["components"]["schemas"]

    def plain(node: dict[str, Any]) -> bool:
        while "$ref" in node:
            node = schemas[node["$ref"].rsplit("/", 1)[-1]]
        if "enum" in node or "const" in node or WORD_LIST.fullmatch(node.get("pattern", "")):
            return False
        if node.get("type") == "array":
            return plain(node.get("items", {}))
        return node.get("type") == "string" or any(plain(branch) for branch in node.get("anyOf", []))

    fields = [
        f"{name}.{field}"
        for name, schema in schemas.items()
        for field, node in schema.get("properties", {}).items()
        if CLOSED_NAME.search(field) and plain(node)
    ]
    filters = [
        f"{method.upper()} {path} ?{param['name']}"
        for path, method, op in operations(spec)
        for param in op.get("parameters", [])
        if param["in"] == "query" and CLOSED_NAME.search(param["name"]) and plain(param["schema"])
    ]
    return sorted(fields + filters)


def test_fields_and_filters_that_hold_one_of_a_few_words_are_enums(spec: dict[str, Any]) -> None:
    assert plain_strings(spec) == sorted(OPEN_WORDS)
    # The check sees a plain string however it is nested.
    sample = {"paths": {"/x": {"get": {"parameters": [
        {"in": "query", "name": "status", "schema": {"type": "string", "pattern": "^(a|b)(,(a|b))*$"}},
        {"in": "query", "name": "kind", "schema": {"type": "string", "pattern": "^[a-z]+$"}},
    ]}}}, "components": {"schemas": {"X": {"properties": {
        "status": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "roles": {"type": "array", "items": {"type": "string"}},
        "kind": {"$ref": "#/components/schemas/K"},
        "channel": {"type": "string", "enum": ["email"]},
        "name": {"type": "string"},
    }}, "K": {"type": "string"}}}}  # fmt: skip
    assert plain_strings(sample) == ["GET /x ?kind", "X.kind", "X.roles", "X.status"]
    schemas = spec["components"]["schemas"]
    entry = schemas["CollectionHistoryEntry"]["properties"]
    assert entry["kind"]["enum"][:2] == ["opened", "level_reached"]
    assert {"enum": ["executed", "skipped"], "type": "string"} in entry["status"]["anyOf"]
    assert "set_collection_status" in schemas["ActionType"]["enum"]
    assert schemas["MailingSummaryPublic"]["properties"]["status"]["enum"] == ["preparing", "sending", "done"]
    assert "payment" in schemas["TimelineEntry"]["properties"]["kind"]["enum"]


def test_a_filter_outside_its_words_is_a_422(sqlite_client: Any) -> None:
    for path, params in (
        ("/v1/requests", {"status": "open,gone"}),
        ("/v1/messages", {"channel": "pigeon"}),
        ("/v1/collection/cases", {"status": "lost"}),
        ("/v1/partners", {"role": "friend"}),
    ):
        body = assert_problem(sqlite_client.get(path, params=params), 422, "validation_error")
        assert [e["loc"] for e in body["errors"]] == [["query", next(iter(params))]], path
    assert sqlite_client.get("/v1/requests", params={"status": "open,closed"}).status_code == 200
    assert sqlite_client.get("/v1/partners", params={"role": "customer"}).status_code == 200


def test_every_schema_has_an_example_that_it_accepts(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    validators: dict[str, Any] = {}

    def valid(schema: dict[str, Any], example: Any) -> bool:
        key = json.dumps(schema, sort_keys=True)
        if key not in validators:  # most bodies and answers are a $ref: compiled once
            validators[key] = jsonschema_rs.Draft202012Validator({**schema, "components": spec["components"]})
        return validators[key].is_valid(example)

    for name, schema in schemas.items():
        if schema.get("type") != "object" or not schema.get("properties"):
            continue
        assert schema.get("examples"), name
        for example in schema["examples"]:
            assert valid({"$ref": f"#/components/schemas/{name}"}, example), (name, example)
    # Every JSON body and answer shows one, valid against its schema (files, PDFs and pages show none).
    for path, method, op in operations(spec):
        contents = [("body", op.get("requestBody", {}).get("content", {}))]
        contents += [(status, r.get("content", {})) for status, r in op["responses"].items() if status < "300"]
        for where, content in contents:
            for media_type, media in content.items():
                if media_type in ("application/json", "application/x-www-form-urlencoded"):
                    assert "example" in media, (method, path, where)
                    assert valid(media["schema"], media["example"]), (method, path, where, media["example"])
    optional = spec["paths"]["/v1/documents/{document}/cancel"]["post"]["requestBody"]["content"]
    assert set(optional["application/json"]["example"]) == {"reason"}
    listed = spec["paths"]["/v1/admin/projections"]["get"]["responses"]["200"]["content"]["application/json"]
    assert listed["example"][0]["kind"] == "read_model"
    body = spec["paths"]["/v1/payments"]["post"]["requestBody"]["content"]["application/json"]
    assert body["example"] == {"partner": "C-00042", "amount": "1230.00", "currency": "EUR", "reference": ""}
    answer = spec["paths"]["/v1/payments"]["post"]["responses"]["201"]["content"]["application/json"]
    assert answer["example"]["amount"] == "1230.00"


def test_docs_and_redoc_work_offline_with_the_packaged_assets(sqlite_client: Any) -> None:
    for page in ("/docs", "/redoc"):
        html = sqlite_client.get(page, headers=NO_KEY)
        assert html.status_code == 200
        assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html.text)
        assert assets, page
        assert not re.search(r"https?://", html.text.replace("https://counterparty", "")), page
        for asset in assets:
            assert asset.startswith("/docs-assets/"), (page, asset)
            served = sqlite_client.get(asset, headers=NO_KEY)
            assert served.status_code == 200 and len(served.content) > 1000, asset
    swagger = sqlite_client.get("/docs", headers=NO_KEY).text
    assert "url: '/openapi.json'" in swagger and '"persistAuthorization": true' in swagger


def test_a_405_lists_every_method_of_the_path(sqlite_client: Any) -> None:
    response = sqlite_client.put("/v1/partners")
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, POST"
    response = sqlite_client.delete("/v1/partners/ACME")
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, PATCH"


def test_cursors_stay_stable_while_rows_are_inserted_between_pages(sqlite_client: Any) -> None:
    for name in ("Bravo", "Delta", "Foxtrot", "Hotel", "Juliet"):
        create_partner(sqlite_client, name=name)

    def names(body: dict[str, Any]) -> list[str]:
        return [p["name"] for p in body["items"]]

    first = sqlite_client.get("/v1/partners", params={"limit": 2, "sort": "name"}).json()
    assert names(first) == ["Bravo", "Delta"]
    # One sorts before the cursor (an offset would show Delta again), one after it.
    create_partner(sqlite_client, name="Alpha")
    create_partner(sqlite_client, name="Echo")
    second = sqlite_client.get("/v1/partners", params={"limit": 2, "sort": "name", "cursor": first["next_cursor"]})
    assert names(second.json()) == ["Echo", "Foxtrot"]
    create_partner(sqlite_client, name="Charlie")  # before the cursor again: skipped, never repeated
    third = sqlite_client.get("/v1/partners", params={"limit": 2, "sort": "name", "cursor": second.json()["next_cursor"]})
    assert (names(third.json()), third.json()["next_cursor"]) == (["Hotel", "Juliet"], None)
    newest = sqlite_client.get("/v1/partners", params={"limit": 3, "sort": "-created_on"}).json()
    following = sqlite_client.get(
        "/v1/partners", params={"limit": 3, "sort": "-created_on", "cursor": newest["next_cursor"]}
    ).json()
    seen = names(newest) + names(following)
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 6
    for cursor in ("not-a-cursor", "W10", "eyJvIjogMTB9"):  # garbage, [], an old offset cursor
        body = assert_problem(sqlite_client.get("/v1/partners", params={"cursor": cursor}), 422, "validation_error")
        assert body["errors"] == [{"loc": ["query", "cursor"], "msg": "invalid cursor"}]


def test_an_app_that_served_its_pages_is_not_kept_alive(sqlite_container: Any) -> None:
    """FastAPI remembers the endpoints it has served in a process-wide cache: an endpoint that
    closes over its app would keep every app made in the process, and its container, alive."""
    import gc
    import weakref

    from fastapi.testclient import TestClient

    from services.api.app import create_app

    app = create_app(sqlite_container)
    with TestClient(app) as client:
        for page in ("/docs", "/redoc", "/docs/oauth2-redirect", "/openapi.json", "/healthz"):
            assert client.get(page).status_code == 200, page
    gone = weakref.ref(app)
    del app, client
    gc.collect()
    assert gone() is None
