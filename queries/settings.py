"""Settings queries: partner groups, users, custom field definitions, number series."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from aggregates.errors import not_found
from projections.catalog import Catalog
from queries.formats import money
from queries.pages import PageRequest, page


class SettingsQueries:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def _rows(
        self, projection: str, table: str, order: str, request: PageRequest, **where: Any
    ) -> list[dict[str, Any]]:
        t = self.catalog.table(projection, table)
        stmt = select(t)
        for column, value in where.items():
            if value is not None:
                stmt = stmt.where(t.c[column] == value)
        stmt = stmt.order_by(t.c[order]).offset(request.offset).limit(request.limit + 1)
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
        return page([self._group(r) for r in self._rows("partner_groups", "groups", "code", request)], request)

    def group(self, code: str) -> dict[str, Any]:
        rows = self._rows("partner_groups", "groups", "code", PageRequest(limit=1), code=code.strip().upper())
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
        rows = [self._user(r) for r in self._rows("users", "users", "username", request)]
        if team:
            rows = [r for r in rows if team in r["teams"]]
        return page(rows, request)

    def user(self, username: str) -> dict[str, Any]:
        rows = self._rows("users", "users", "username", PageRequest(limit=1), username=username)
        if not rows:
            raise not_found("user", username)
        return self._user(rows[0])

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
        rows = self._rows("custom_fields", "fields", "position", request, entity=entity)
        return page([self._field(r) for r in rows], request)

    def custom_field(self, entity: str, code: str) -> dict[str, Any]:
        rows = self._rows("custom_fields", "fields", "position", PageRequest(limit=1), entity=entity, code=code)
        if not rows:
            raise not_found("custom field", code)
        return self._field(rows[0])

    def api_keys(self, request: PageRequest) -> dict[str, Any]:
        rows = self._rows("api_keys", "keys", "name", request)
        return page([{"name": r["name"], "role": r["role"], "revoked": r["revoked"]} for r in rows], request)

    def api_key_role(self, key_hash: str) -> tuple[str, str] | None:
        """The (name, role) of a live key with this hash."""
        t = self.catalog.table("api_keys", "keys")
        stmt = select(t.c.name, t.c.role).where(t.c.key_hash == key_hash, t.c.revoked.is_(False))
        with self.catalog.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return (row[0], row[1]) if row else None
