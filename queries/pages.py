"""Cursor pagination by keyset: a list is ordered by columns that end in a unique one, and the
cursor is an opaque token for the sort key of the last row a page showed. The next page starts
after that key, so rows written between two fetches neither repeat nor shift what follows (an
offset would)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from aggregates.errors import Invalid

MAX_LIMIT = 500


@dataclass(frozen=True)
class PageRequest:
    limit: int = 50
    cursor: str | None = None


def _invalid() -> Invalid:
    return Invalid(["query", "cursor"], "invalid cursor")


def _encode(value: Any) -> Any:
    # JSON keeps str, int and null; the other sort keys say what they are, to come back as such.
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    if value is None or isinstance(value, str | int):
        return value
    return str(value)


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        kind, text = next(iter(value.items()))
        parses: dict[str, Callable[[str], Any]] = {"t": datetime.fromisoformat, "d": date.fromisoformat, "n": Decimal}
        parse = parses.get(kind)
        if parse is None or not isinstance(text, str):
            raise _invalid()
        return parse(text)
    if value is None or (isinstance(value, str | int) and not isinstance(value, bool)):
        return value
    raise _invalid()


def encode_cursor(key: Sequence[Any]) -> str:
    text = json.dumps([_encode(v) for v in key], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)).decode())
        if not isinstance(values, list) or len(values) != size:
            raise _invalid()
        return [_decode(v) for v in values]
    except (ValueError, TypeError, UnicodeDecodeError, ArithmeticError):
        raise _invalid() from None


class Keyset:
    """The order of one list: columns (``column`` or ``column.desc()``), the last one unique.
    Nulls sort last either way, on SQLite as on PostgreSQL."""

    def __init__(self, *order: Any) -> None:
        self.keys: list[tuple[ColumnElement[Any], bool]] = []
        for item in order:
            descending = isinstance(item, UnaryExpression) and item.modifier is operators.desc_op
            column = item.element if isinstance(item, UnaryExpression) else item
            self.keys.append((column, descending))

    def select(self, stmt: Select[Any], request: PageRequest) -> Select[Any]:
        """``stmt`` ordered, from after the cursor's key, one row more than the page holds."""
        for column, _ in self.keys:
            if not any(c is column for c in stmt.selected_columns):
                stmt = stmt.add_columns(column)
        if request.cursor:
            stmt = stmt.where(self._after(decode_cursor(request.cursor, len(self.keys))))
        order = [(c.desc() if d else c.asc()).nulls_last() for c, d in self.keys]
        return stmt.order_by(None).order_by(*order).limit(request.limit + 1)

    def _after(self, values: list[Any]) -> ColumnElement[bool]:
        branches = []
        for i, ((column, descending), value) in enumerate(zip(self.keys, values, strict=True)):
            ties = [c.is_(None) if v is None else c == v for (c, _), v in zip(self.keys[:i], values[:i], strict=True)]
            if value is None:
                continue  # nothing sorts after a null but its ties
            beyond = column < value if descending else column > value
            branches.append(and_(*ties, or_(beyond, column.is_(None))))
        return or_(*branches) if branches else false()

    def page(self, rows: Sequence[Any], request: PageRequest, render: Callable[[Any], Any] = dict) -> dict[str, Any]:
        """``rows`` as ``select`` fetched them (mappings); each shown row passes through ``render``."""
        more = len(rows) > request.limit
        shown = rows[: request.limit]
        cursor = encode_cursor([shown[-1][c] for c, _ in self.keys]) if more else None
        return {"items": [render(r) for r in shown], "next_cursor": cursor}

