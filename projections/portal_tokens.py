"""Portal tokens by hash, for authentication, and by partner, for the list clerks revoke from."""

from __future__ import annotations

from sqlalchemy import Column, Date, Index, MetaData, String, Table

from aggregates.portal_token import PortalTokenIssued, PortalTokenRevoked
from projections.catalog import Projection, Rows


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    tokens = Table(
        f"{prefix}tokens",
        meta,
        Column("id", String(36), primary_key=True),
        Column("token_hash", String(64), nullable=False),
        Column("partner_id", String(36), nullable=False),
        Column("contact_id", String(36), nullable=False),
        Column("issued_on", Date, nullable=False),
        Column("revoked_on", Date),
    )
    Index(f"{prefix}ix_hash", tokens.c.token_hash, unique=True)
    Index(f"{prefix}ix_partner", tokens.c.partner_id)
    return {"tokens": tokens}


portal_tokens = Projection("portal_tokens", define)


@portal_tokens.on(PortalTokenIssued)
def issued(e: PortalTokenIssued, rows: Rows) -> None:
    rows.insert(
        "tokens",
        id=str(e.originator_id),
        token_hash=e.token_hash,
        partner_id=str(e.partner),
        contact_id=str(e.contact),
        issued_on=e.on,
        revoked_on=None,
    )


@portal_tokens.on(PortalTokenRevoked)
def revoked(e: PortalTokenRevoked, rows: Rows) -> None:
    rows.update("tokens", {"id": str(e.originator_id)}, revoked_on=e.on)
