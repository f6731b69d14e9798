"""The customer portal in the demo: a fresh portal token for a contact of the customer with the most
to show."""

from __future__ import annotations

import json

from sqlalchemy import case, literal, select

from commands.portal import IssuePortalToken, issue_portal_token
from services.api.deps import hash_key
from services.api.portal import new_token
from services.bootstrap.container import Container
from services.cli.demo.context import ACTOR
from services.workers.ports import Request


def portal_invite(container: Container) -> tuple[str, str, str] | None:
    """A fresh portal token for a contact of the customer the portal shows most of: open items,
    issued documents, payments and public requests (each counts once; a balance confirmation
    waiting for an answer, then a delivery note, then a quote waiting for an answer break ties),
    else of any partner with an active contact: (partner code, contact name, token). A token is
    shown once, so every run issues a new one."""
    table = container.catalog.table
    docs = table("documents", "documents")
    items = table("receivables", "items")
    paid = table("receivables", "payments")
    requests = table("requests", "requests")
    partners = table("partner_directory", "partners")
    shown = (
        partners.c.id.in_(select(items.c.partner_id).where(items.c.status == "open")),
        partners.c.id.in_(select(docs.c.partner_id).where(docs.c.status.notin_(("draft", "cancelled")))),
        partners.c.id.in_(select(paid.c.partner_id)),
        partners.c.id.in_(select(requests.c.partner_id).where(requests.c.confidentiality == "public")),
    )
    score = sum((case((has, 1), else_=0) for has in shown), literal(0))
    confirmations = table("balance_confirmations", "confirmations")
    to_answer = partners.c.id.in_(select(confirmations.c.partner_id).where(confirmations.c.status == "pending"))
    delivered = partners.c.id.in_(
        select(docs.c.partner_id).where(docs.c.type == "delivery", docs.c.number.is_not(None))
    )
    quoted = partners.c.id.in_(select(docs.c.partner_id).where(docs.c.type == "quote", docs.c.status == "sent"))
    with container.engine.connect() as conn:
        rows = conn.execute(
            select(partners.c.id, partners.c.code, partners.c.contacts)
            .where(partners.c.status == "active")
            .order_by(score.desc(), to_answer.desc(), delivered.desc(), quoted.desc(), partners.c.code)
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
