"""Settings queries: partner groups, users, custom field definitions, number series."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from aggregates.errors import not_found
from projections.catalog import Catalog
from queries.formats import money
from queries.pages import Keyset, PageRequest


class SettingsQueries:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def _page(
        self,
        projection: str,
        table: str,
        order: tuple[str, ...],
        request: PageRequest,
        render: Callable[[dict[str, Any]], Any],
        **where: Any,
    ) -> dict[str, Any]:
        """A page of a settings table in ``order`` (columns ending in a unique one)."""
        t = self.catalog.table(projection, table)
        stmt = select(t)
        for column, value in where.items():
            if value is not None:
                stmt = stmt.where(t.c[column] == value)
        keys = Keyset(*(t.c[column] for column in order))
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(keys.select(stmt, request)).mappings().all()
        return keys.page(rows, request, lambda r: render(dict(r)))

    def _rows(self, projection: str, table: str, **where: Any) -> list[dict[str, Any]]:
        t = self.catalog.table(projection, table)
        stmt = select(t).where(*(t.c[column] == value for column, value in where.items()))
        with self.catalog.engine.connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]

    @staticmethod
    def _group(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "code": row["code"],
            "name": row["name"],
            "credit_watch_percent": money(row["credit_watch_percent"]),
            "collection_scheme": row["collection_scheme"],
            "request_priority_boost": row["request_priority_boost"],
            "version": row["version"],
        }

    def groups(self, request: PageRequest) -> dict[str, Any]:
        return self._page("partner_groups", "groups", ("code",), request, self._group)

    def group(self, code: str) -> dict[str, Any]:
        rows = self._rows("partner_groups", "groups", code=code.strip().upper())
        if not rows:
            raise not_found("partner group", code)
        return self._group(rows[0])

    @staticmethod
    def _user(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "username": row["username"],
            "name": row["name"],
            "email": row["email"],
            "mobile": row["mobile"],
            "supervisor": row["supervisor"],
            "teams": [t for t in row["teams"].split("\n") if t],
            "version": row["version"],
        }

    def users(self, request: PageRequest, team: str | None = None) -> dict[str, Any]:
        found = self._page("users", "users", ("username",), request, self._user)
        if team:
            found["items"] = [r for r in found["items"] if team in r["teams"]]
        return found

    def user(self, username: str) -> dict[str, Any]:
        rows = self._rows("users", "users", username=username)
        if not rows:
            raise not_found("user", username)
        return self._user(rows[0])

    def full_name(self, username: str | None) -> str | None:
        """A user's name as customers read it on documents and letters (the username when the
        user is unknown, or has no name)."""
        if not username:
            return None
        rows = self._rows("users", "users", username=username)
        return (rows[0]["name"] if rows else None) or username

    @staticmethod
    def _field(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "entity": row["entity"],
            "code": row["code"],
            "label": row["label"],
            "type": row["type"],
            "options": [o for o in row["options"].split("\n") if o],
            "required": row["required"],
        }

    def custom_fields(self, entity: str | None, request: PageRequest) -> dict[str, Any]:
        order = ("position", "entity", "code")
        return self._page("custom_fields", "fields", order, request, self._field, entity=entity)

    def custom_field(self, entity: str, code: str) -> dict[str, Any]:
        rows = self._rows("custom_fields", "fields", entity=entity, code=code)
        if not rows:
            raise not_found("custom field", code)
        return self._field(rows[0])

    def api_keys(self, request: PageRequest) -> dict[str, Any]:
        return self._page(
            "api_keys", "keys", ("name",), request, lambda r: {k: r[k] for k in ("name", "role", "revoked")}
        )

    def api_key_role(self, key_hash: str) -> tuple[str, str] | None:
        """The (name, role) of a live key with this hash."""
        t = self.catalog.table("api_keys", "keys")
        stmt = select(t.c.name, t.c.role).where(t.c.key_hash == key_hash, t.c.revoked.is_(False))
        with self.catalog.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return (row[0], row[1]) if row else None
