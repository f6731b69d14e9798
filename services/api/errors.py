"""The one place where errors become RFC 9457 problem+json answers."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from aggregates.errors import Conflict, DomainError, Invalid, NotFound, VersionConflict

log = logging.getLogger("counterparty.api")

STATUS = {NotFound: 404, Conflict: 409, Invalid: 422, VersionConflict: 412}
TITLES = {
    400: "Malformed request",
    401: "Authentication required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}
CODES = {
    400: "malformed_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "service_unavailable",
}


class ApiError(Exception):
    """An HTTP-level refusal (auth, limits) that is not a domain rule."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}


def problem(status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {
        "type": f"https://counterparty.local/problems/{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/problem+json")


def status_of(error: DomainError) -> int:
    for cls, status in STATUS.items():
        if isinstance(error, cls):
            return status
    return 409


def _loc(loc: Any) -> list[Any]:
    return [part for part in loc]


def all_routes(routes: list[Any]) -> Iterator[Any]:
    """The application's routes, also inside included routers (which newer FastAPI keeps as
    routers rather than copying their routes)."""
    for route in routes:
        yield route
        inner = getattr(getattr(route, "original_router", None), "routes", None)
        if inner is not None:
            yield from all_routes(inner)


def allowed_methods(request: Request) -> list[str]:
    """Every method of the path: each method is a route of its own, and the router's 405 names
    only the first route whose path matched."""
    methods: set[str] = set()
    for route in all_routes(request.app.router.routes):
        if isinstance(route, Route) and route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods
    return sorted(methods)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    def domain_error(_request: Request, error: DomainError) -> JSONResponse:
        status = status_of(error)
        extra: dict[str, Any] = {}
        if isinstance(error, Invalid):
            extra["errors"] = error.errors
        return problem(status, error.code, error.detail, **extra)

    @app.exception_handler(ApiError)
    def api_error(_request: Request, error: ApiError) -> JSONResponse:
        return problem(error.status, error.code, error.detail, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        errors = error.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return problem(400, "malformed_request", "the body is not valid JSON")
        if any(e.get("type") == "model_attributes_type" and tuple(e.get("loc", ())) == ("body",) for e in errors):
            return problem(400, "malformed_request", "the body must be a JSON object")
        items = [{"loc": _loc(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in errors]
        return problem(
            422,
            "validation_error",
            "; ".join(f"{'.'.join(map(str, i['loc']))}: {i['msg']}" for i in items)[:1000],
            errors=items,
        )

    @app.exception_handler(ValidationError)
    def command_validation_error(_request: Request, error: ValidationError) -> JSONResponse:
        # A command model built inside a route (from path and body values) refused its input:
        # that is the client's input, so a 422 like any other validation failure, never a 500.
        items = [{"loc": ["body", *_loc(e.get("loc", ()))], "msg": str(e.get("msg", ""))} for e in error.errors()]
        return problem(
            422,
            "validation_error",
            "; ".join(f"{'.'.join(map(str, i['loc']))}: {i['msg']}" for i in items)[:1000],
            errors=items,
        )

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = CODES.get(error.status_code, "error")
        headers = getattr(error, "headers", None)
        if error.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return problem(error.status_code, code, str(error.detail), headers=headers)

    @app.exception_handler(Exception)
    def unexpected(request: Request, error: Exception) -> JSONResponse:
        # This handler answers outside the middleware that tags a request's lines and answers,
        # and in a thread of its own, where the error is no longer "being handled": pass it on.
        rid = getattr(request.state, "request_id", None)
        log.error("unhandled error", exc_info=error, extra={"request_id": rid})
        headers = {"X-Request-Id": rid} if rid else None
        return problem(500, "internal_error", "an unexpected error occurred; it has been logged", headers)
