"""The OpenAPI document a client generator reads, and the offline /docs and /redoc pages.

What every route shares is derived here from what the route depends on, so 140-odd routes say the
same things the same way: who may call it (the role check it depends on), that it is a command
(If-Match, Idempotency-Key, Prefer, X-Position, 202) or a read (X-Min-Position), the
problem+json answers it can give, the bearer scheme, a readable operation id, and an example for
every schema. A route adds what only it can say: its summary and its docstring (the rules)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from services.api import deps
from services.api.error_codes import route_codes
from services.api.errors import all_routes
from services.api.examples import schema_example

ASSETS = "/docs-assets"
BEARER = "bearer"


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="where in the request: body, query, path or header, then the field")
    msg: str


class Problem(BaseModel):
    """An RFC 9457 problem: every answer from 400 up. Clients switch on ``code``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://counterparty.local/problems/not_found",
                    "title": "Not found",
                    "status": 404,
                    "detail": "partner C-00042 not found",
                    "code": "not_found",
                }
            ]
        }
    )

    type: str = Field(description="https://counterparty.local/problems/<code>")
    title: str
    status: int
    detail: str
    code: str = Field(description="a stable snake_case word")


class ValidationProblem(Problem):
    """A 422: the request broke a field rule; ``errors`` names each field."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://counterparty.local/problems/validation_error",
                    "title": "Validation failed",
                    "status": 422,
                    "detail": "body.sales_reps.1: user bob not found",
                    "code": "validation_error",
                    "errors": [{"loc": ["body", "sales_reps", 1], "msg": "user bob not found"}],
                }
            ]
        }
    )

    errors: list[FieldError]


class Accepted(BaseModel):
    """A command recorded but answered before the read models show it (``Prefer: respond-async``,
    or read models slower than the consistency timeout): read it with ``X-Min-Position``."""

    position: int = Field(description="the command's position in the log", examples=[1042])
    id: str | None = Field(description="the id of what the command created, if anything")


# Which codes each status can carry; the route's own docstring names its business rules' codes.
CODES = {
    400: "`malformed_request` (invalid JSON, a body that is not an object, a non-integer `If-Match` or "
    "`X-Min-Position`), `position_beyond_head`",
    401: "`unauthorized`: no key, or an unknown or revoked one",
    403: "`forbidden`: the key's role may not call this operation",
    404: "`not_found`: what the path (or a query filter) names does not exist",
    409: "a business rule refused the command (its own code), `idempotency_key_reused`, "
    "`idempotency_key_in_progress` or `concurrent_update`",
    412: "`version_conflict`: the `If-Match` version is not the current one; nothing changed",
    413: "`payload_too_large`",
    415: "`unsupported_media_type`",
    422: "`validation_error`, with `errors: [{loc, msg}]`",
    429: "`rate_limited`, with `Retry-After`",
    503: "`read_model_lagging`: the read models did not reach `X-Min-Position` in time (`Retry-After`)",
}
COMMAND_NOTE = (
    "**A command.** Recorded in the event log; the answer carries `X-Position`. `If-Match: <version>` "
    "makes it conditional (412 `version_conflict`); `Idempotency-Key` replays the first answer for the "
    "same body (409 `idempotency_key_reused` for another); `Prefer: respond-async` answers 202 "
    "`{position, id}` at once, as does a command whose read models are slower than the consistency timeout."
)
READ_NOTE = (
    "**A read** of the read models. `X-Min-Position: <position>` waits until they have reached a "
    "position a command answered (400 `position_beyond_head` beyond the log's head, 503 `read_model_lagging`)."
)
PAGE_NOTE = (
    "**Paged:** `limit` 1–500 (default 50); pass `next_cursor` back as `cursor` for the next page. "
    "The cursor is opaque and keyed on the last row's sort key, so rows added meanwhile neither repeat "
    "nor shift a page."
)


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _roles(route: APIRoute) -> tuple[str, ...] | None:
    """The roles every role check of the route lets through (a command route asks for a writer
    in its command dependency, and may ask for an admin besides)."""
    found: tuple[str, ...] | None = None
    for call in _calls(route.dependant):
        roles = getattr(call, "roles", None)
        if roles is not None:
            found = tuple(r for r in (found or roles) if r in roles)
    return found


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    return (route for route in all_routes(routes) if isinstance(route, APIRoute))


def operation_id(route: APIRoute) -> str:
    """``partners.create_partner``: the module that serves it, then the function."""
    module = route.endpoint.__module__.rsplit(".", 1)[-1]
    return f"{module}.{route.endpoint.__name__}"


def _problem(status: int, schema: str = "Problem") -> dict[str, Any]:
    return {
        "description": CODES.get(status, "a problem"),
        "content": {"application/problem+json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _describe(route: APIRoute, operation: dict[str, Any], roles: tuple[str, ...] | None) -> str:
    calls = set(_calls(route.dependant))
    parts = [operation.get("description") or route.summary or ""]
    if roles is None:
        parts.append("**Who:** no key needed.")
    elif roles == ("portal",):
        parts.append("**Who:** a portal token; it sees and acts for its own partner only.")
    else:
        parts.append(f"**Who:** {', '.join(roles)}.")
    if calls & {deps.commands, deps.portal_commands}:
        parts.append(COMMAND_NOTE)
    elif deps.reads in calls:
        parts.append(READ_NOTE)
    if deps.page_request in calls:
        parts.append(PAGE_NOTE)
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def _statuses(route: APIRoute, operation: dict[str, Any], roles: tuple[str, ...] | None) -> dict[int, str]:
    """Every problem the route can answer, by status, with the schema its body follows."""
    calls = set(_calls(route.dependant))
    params = operation.get("parameters", [])
    found: dict[int, str] = {}
    if route.path.startswith("/v1"):
        found[429] = "Problem"
    if roles is not None:
        found |= {401: "Problem", 403: "Problem"}
    if any(p["in"] == "path" for p in params) or any(p["in"] == "query" for p in params):
        # A path segment, or a query filter, that names an unknown partner or document.
        found[404] = "Problem"
    if params or "requestBody" in operation or calls & {deps.reads, deps.commands, deps.portal_commands}:
        found[422] = "ValidationProblem"
    if "requestBody" in operation:
        found |= {400: "Problem", 413: "Problem"}
        if "multipart/form-data" in operation["requestBody"].get("content", {}):
            found[415] = "Problem"
    if (route.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}:
        # A business rule can refuse whatever changes something.
        found[409] = "Problem"
    if calls & {deps.commands, deps.portal_commands}:
        found |= {400: "Problem", 404: "Problem", 412: "Problem"}
    if deps.reads in calls:
        found |= {400: "Problem", 503: "Problem"}
    return found


def _complete(route: APIRoute, operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    roles = _roles(route)
    operation["description"] = _describe(route, operation, roles)
    if roles is not None:
        operation["security"] = [{BEARER: []}]
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)
    for status, declared in list(responses.items()):
        # What a route declares itself (a 404 of a singleton) is a problem like every other.
        if status >= "400" and "content" not in declared:
            responses[status] = {**_problem(int(status)), **declared}
    for status, schema in sorted(_statuses(route, operation, roles).items()):
        responses[str(status)] = _problem(status, schema)
    rules = route_codes(route.endpoint)
    if rules and "409" in responses:
        listed = ", ".join(f"`{code}`" for code in rules)
        responses["409"]["description"] = f"{listed}; or {CODES[409]}"
    if set(_calls(route.dependant)) & {deps.commands, deps.portal_commands}:
        responses["202"] = {
            "description": "recorded; the read models do not show it yet",
            "headers": {"X-Position": {"schema": {"type": "integer"}, "description": "the log position"}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}},
        }
    for content in [operation.get("requestBody", {}).get("content", {})] + [
        r.get("content", {}) for r in responses.values()
    ]:
        for media in content.values():
            example = _example_of(media.get("schema") or {}, schemas)
            if example is not None:
                media["example"] = example


def _example_of(schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
    """What a body or an answer looks like: its schema's example, an optional body's (the schema
    or null), or a list of one item."""
    if "$ref" in schema:
        examples = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {}).get("examples")
        return examples[0] if examples else None
    for branch in schema.get("anyOf", []):
        found = _example_of(branch, schemas)
        if found is not None:
            return found
    if schema.get("type") == "array":
        item = _example_of(schema.get("items", {}), schemas)
        return None if item is None else [item]
    return None


LIMITS = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum"}
DECIMAL_TEXT = r"^[+-]?\d{1,15}(\.\d{1,2})?$"


def standard_limits(node: Any) -> None:
    """Money accepts a number or a string; pydantic cannot put ``gt``/``ge`` on that union and
    writes them as custom keywords no validator reads. Move them onto the number branch as
    JSON Schema limits, and say what the string branch accepts."""
    if isinstance(node, list):
        for item in node:
            standard_limits(item)
        return
    if not isinstance(node, dict):
        return
    limits = {LIMITS[k]: node.pop(k) for k in list(node) if k in LIMITS and isinstance(node[k], int | float)}
    if limits:
        for branch in node.get("anyOf", []):
            if branch.get("type") in ("number", "integer"):
                branch.update(limits)
            elif branch.get("type") == "string":
                branch.setdefault("pattern", DECIMAL_TEXT)
    for value in node.values():
        standard_limits(value)


def build(app: FastAPI) -> dict[str, Any]:
    routes = [r for r in api_routes(app.routes) if r.include_in_schema]
    spec = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for model in (Problem, ValidationProblem, Accepted):
        found = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(found.pop("$defs", {}))
        schemas[model.__name__] = found
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    standard_limits(spec)
    for name, schema in schemas.items():
        if "examples" not in schema and schema.get("type") == "object":
            example = schema_example(schema, schemas, name)
            if example is not None:
                schema["examples"] = [example]
    components["securitySchemes"] = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key (`counterparty keys create`, `POST /v1/api-keys`) or a portal token.",
        }
    }
    by_key = {(r.path_format, m.lower()): r for r in routes for m in r.methods or ()}
    for path, methods in spec.get("paths", {}).items():
        for method, operation in methods.items():
            route = by_key.get((path, method))
            if route is not None:
                operation["operationId"] = route.operation_id or operation_id(route)
                _complete(route, operation, schemas)
    return _renamed(spec)


def _camel(text: str) -> str:
    return "".join(word[:1].upper() + word[1:] for word in re.split(r"[^A-Za-z0-9]+", text))


def _renamed(spec: dict[str, Any]) -> dict[str, Any]:
    """Readable names for the schemas FastAPI names after a module path (two models of one name)
    or an operation (a form): generators drop the prefix and then meet two models of one name."""
    names = {}
    for name in spec["components"]["schemas"]:
        if found := re.fullmatch(r"services__api__(\w+?)__(\w+)", name):
            names[name] = _camel(found[1]) + found[2]
    for methods in spec["paths"].values():
        for operation in methods.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                ref = media.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
                if ref.startswith("Body_"):
                    names[ref] = _camel(operation["operationId"]) + "Form"
    schemas = spec["components"]["schemas"]
    spec["components"]["schemas"] = {names.get(k, k): v for k, v in schemas.items()}
    for new in names.values():
        spec["components"]["schemas"][new]["title"] = new
    return _with_refs(spec, {f"#/components/schemas/{k}": f"#/components/schemas/{v}" for k, v in names.items()})


def _with_refs(node: Any, refs: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {k: refs.get(v, v) if k == "$ref" else _with_refs(v, refs) for k, v in node.items()}
    if isinstance(node, list):
        return [_with_refs(v, refs) for v in node]
    return node


def install(app: FastAPI) -> None:
    """The cached document, and /docs and /redoc served with the package's own assets."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    assets = files("fastapi_offline") / "static"
    app.mount(ASSETS, StaticFiles(directory=str(assets)), name="docs-assets")
    # The pages are module-level functions reading the app from the request: FastAPI keeps the
    # endpoints it has seen in a process-wide cache, where a closure over ``app`` would keep every
    # app ever made (and its container) alive.
    app.add_api_route("/docs", _swagger_page, include_in_schema=False)
    app.add_api_route(REDIRECT, _oauth2_redirect_page, include_in_schema=False)
    app.add_api_route("/redoc", _redoc_page, include_in_schema=False)


REDIRECT = "/docs/oauth2-redirect"


def _swagger_page(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title=f"{request.app.title} – Swagger UI",
        oauth2_redirect_url=f"{root}{REDIRECT}",
        swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
        swagger_ui_parameters={"persistAuthorization": True, "displayOperationId": True},
    )


def _oauth2_redirect_page() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


def _redoc_page(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_redoc_html(
        openapi_url=f"{root}/openapi.json",
        title=f"{request.app.title} – ReDoc",
        redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
        redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
        with_google_fonts=False,
    )

