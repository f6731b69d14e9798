"""API keys by hash, for authentication, and by name, for the admin list."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, MetaData, String, Table

from aggregates.api_key import ApiKeyIssued, ApiKeyReissued, ApiKeyRevoked
from projections.catalog import Projection, Rows


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    keys = Table(
        f"{prefix}keys",
        meta,
        Column("name", String(80), primary_key=True),
        Column("id", String(36), nullable=False),
        Column("role", String(20), nullable=False),
        Column("key_hash", String(64), nullable=False),
        Column("revoked", Boolean, nullable=False),
    )
    Index(f"{prefix}ix_hash", keys.c.key_hash)
    return {"keys": keys}


api_keys = Projection("api_keys", define)


@api_keys.on(ApiKeyIssued)
def issued(e: ApiKeyIssued, rows: Rows) -> None:
    rows.insert("keys", name=e.name, id=str(e.originator_id), role=e.role.value, key_hash=e.key_hash, revoked=False)


@api_keys.on(ApiKeyReissued)
def reissued(e: ApiKeyReissued, rows: Rows) -> None:
    rows.update("keys", {"id": str(e.originator_id)}, role=e.role.value, key_hash=e.key_hash, revoked=False)


@api_keys.on(ApiKeyRevoked)
def revoked(e: ApiKeyRevoked, rows: Rows) -> None:
    rows.update("keys", {"id": str(e.originator_id)}, revoked=True)
