"""Cursor pagination: the cursor is an opaque token for the offset into a stable ordering."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from aggregates.errors import Invalid

MAX_LIMIT = 500


@dataclass(frozen=True)
class PageRequest:
    limit: int = 50
    cursor: str | None = None

    @property
    def offset(self) -> int:
        if not self.cursor:
            return 0
        try:
            value = json.loads(base64.urlsafe_b64decode(self.cursor.encode() + b"==").decode())
            offset = int(value["o"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise Invalid(["query", "cursor"], "invalid cursor") from None
        if offset < 0:
            raise Invalid(["query", "cursor"], "invalid cursor")
        return offset


def next_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def page(items: list[Any], request: PageRequest) -> dict[str, Any]:
    """``items`` holds up to limit + 1 rows fetched from ``request.offset``."""
    more = len(items) > request.limit
    items = items[: request.limit]
    return {"items": items, "next_cursor": next_cursor(request.offset + request.limit) if more else None}
