"""The customer portal in the demo: a fresh portal token for a contact of one of its customers."""

from __future__ import annotations

import json

from sqlalchemy import select

from commands.portal import IssuePortalToken, issue_portal_token
from services.api.deps import hash_key
from services.api.portal import new_token
from services.bootstrap.container import Container
from services.cli.demo.context import ACTOR
from services.workers.ports import Request


def portal_invite(container: Container) -> tuple[str, str, str] | None:
    """A fresh portal token for a contact of a customer with a quote waiting for an answer (else
    of any partner with an active contact), so the demo can show the customer portal: (partner
    code, contact name, token). A token is shown once, so every run issues a new one."""
    docs = container.catalog.table("documents", "documents")
    partners = container.catalog.table("partner_directory", "partners")
    quoted = select(docs.c.partner_id).where(docs.c.type == "quote", docs.c.status == "sent")
    with container.engine.connect() as conn:
        rows = conn.execute(
            select(partners.c.id, partners.c.code, partners.c.contacts)
            .where(partners.c.status == "active")
            .order_by(partners.c.id.in_(quoted).desc(), partners.c.code)
        ).all()
    for partner_id, code, contacts in rows:
        contact = next((c for c in json.loads(contacts).values() if c["active"]), None)
        if contact is not None:
            token = new_token()
            command = IssuePortalToken(partner=partner_id, contact=contact["id"], token_hash=hash_key(token))
            container.execute(issue_portal_token, command, Request(actor=ACTOR))
            container.runner.drain()
            return code, contact["name"], token
    return None
