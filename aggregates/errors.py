"""Domain errors. Each has a stable ``code`` that clients switch on; the API maps the class to an
HTTP status in one place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class DomainError(Exception):
    code = "domain_error"
    title = "The command was refused"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class NotFound(DomainError):
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    """A business rule refused the command (409)."""

    code = "conflict"


class Invalid(DomainError):
    """Input that is well-formed but breaks a field rule (422), with the field's location."""

    code = "validation_error"
    title = "Validation failed"

    def __init__(self, loc: Sequence[str | int], msg: str) -> None:
        super().__init__(msg)
        self.errors = [{"loc": list(loc), "msg": msg}]


class VersionConflict(DomainError):
    code = "version_conflict"
    title = "The resource has changed since the version you sent"


def conflict(code: str, detail: str) -> Conflict:
    """A 409 with its own stable code, without a class per rule."""
    error = Conflict(detail)
    error.code = code
    return error


def not_found(what: str, ref: object) -> NotFound:
    return NotFound(f"{what} {ref} not found")
