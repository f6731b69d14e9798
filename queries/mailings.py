"""Mailing queries: the plan (who a mailing's targets reach, and who is skipped why), one mailing
with its progress, its recipients, and the lookups behind the links, bounces and the preparer."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args
from uuid import UUID

from sqlalchemy import case, func, or_, select
from sqlalchemy.engine import Connection

from aggregates.errors import Invalid, not_found
from aggregates.mailing import MailingTargets, SkipReason
from aggregates.partner_details import normalise_code
from aggregates.personal import ERASED
from commands.mailings import Candidate, MailingSpec
from projections.catalog import Catalog
from queries.batches import stalled
from queries.formats import utc
from queries.pages import Keyset, PageRequest

# Ids per IN (...) list: well below SQLite's limit of bound parameters.
CHUNK = 5_000
RecipientStatus = Literal["queued", "sent", "read", "unsubscribed", "error"]
STATUSES: tuple[str, ...] = get_args(RecipientStatus)
MailingStatus = Literal["preparing", "sending", "done"]


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass
class Reach:
    """How the targets reach one contact."""

    row: Any
    through_partner: bool = False
    areas: set[str] | None = None
    left_areas: bool = False


@dataclass(frozen=True)
class RecipientLinkRow:
    mailing: UUID
    contact: UUID
    partner: UUID
    message: UUID | None
    areas: list[str]
    delivery: str
    unsubscribed: bool


class MailingQueries:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def _table(self, name: str, projection: str = "mailings") -> Any:
        return self.catalog.table(projection, name)

    # -- references --------------------------------------------------------------------------------

    def contact_partner(self, contact: UUID) -> str | None:
        """The partner a contact belongs to now (after a merge, the survivor)."""
        c = self._table("contacts")
        with self.catalog.engine.connect() as conn:
            return conn.execute(select(c.c.partner_id).where(c.c.contact_id == str(contact))).scalar()  # type: ignore[no-any-return]

    def _survivors(self, conn: Connection, ids: Sequence[str]) -> dict[str, str]:
        """Each known partner id and the active partner it is now (itself, or who absorbed it)."""
        p = self._table("partners", "partner_directory")
        found: dict[str, str] = {}
        for chunk in chunks(list(ids)):
            for pid, merged_into in conn.execute(select(p.c.id, p.c.merged_into).where(p.c.id.in_(chunk))):
                found[pid] = merged_into or pid
        # A merge chain (A into B, B into C) points every absorbed partner at the last survivor.
        for _ in range(10):
            pending = {s for s in found.values() if s not in found}
            if not pending:
                break
            for pid, merged_into in conn.execute(select(p.c.id, p.c.merged_into).where(p.c.id.in_(list(pending)))):
                found[pid] = merged_into or pid
            found = {k: found.get(v, v) for k, v in found.items()}
        return {k: found.get(v, v) for k, v in found.items()}

    def _partner_ids(self, conn: Connection, refs: list[str]) -> list[UUID]:
        p = self._table("partners", "partner_directory")
        by_id: dict[int, str] = {}
        by_code: dict[int, str] = {}
        for i, ref in enumerate(refs):
            try:
                by_id[i] = str(UUID(ref))
            except ValueError:
                by_code[i] = normalise_code(ref)
        codes: dict[str, str] = {}
        for chunk in chunks(sorted(set(by_code.values()))):
            codes.update(conn.execute(select(p.c.code, p.c.id).where(p.c.code.in_(chunk))).all())  # type: ignore[arg-type]
        ids = {i: codes.get(code) for i, code in by_code.items()} | dict(by_id.items())
        survivors = self._survivors(conn, [v for v in ids.values() if v])
        resolved = []
        for i in range(len(refs)):
            survivor = survivors.get(ids[i] or "")
            if survivor is None:
                raise Invalid(["body", "partners", i], f"unknown partner {refs[i]}")
            resolved.append(UUID(survivor))
        return list(dict.fromkeys(resolved))

    def _document_ids(self, conn: Connection, refs: list[str]) -> list[UUID]:
        d = self._table("documents", "documents")
        resolved = []
        for i, ref in enumerate(refs):
            try:
                condition = d.c.id == str(UUID(ref))
            except ValueError:
                condition = d.c.number == ref
            found = conn.execute(select(d.c.id).where(condition)).scalar()
            if found is None:
                raise Invalid(["body", "documents", i], f"unknown document {ref}")
            resolved.append(UUID(found))
        return list(dict.fromkeys(resolved))

    def targets(self, spec: MailingSpec) -> MailingTargets:
        with self.catalog.engine.connect() as conn:
            partners = self._partner_ids(conn, spec.partners)
            documents = self._document_ids(conn, spec.documents)
        return MailingTargets(
            interest_areas=tuple(dict.fromkeys(spec.interest_areas)),
            groups=tuple(dict.fromkeys(spec.groups)),
            tags=tuple(dict.fromkeys(spec.tags)),
            partners=tuple(partners),
            documents=tuple(documents),
        )

    # -- the plan ----------------------------------------------------------------------------------

    def candidates(self, targets: MailingTargets) -> list[Candidate]:
        """Every contact the targets reach, once, in ``Candidate.key`` order, with why it is
        skipped: ``inactive`` (the contact is), ``no_email``, ``opted_out`` (of every mailing, or
        of the targeted areas it was reached through only), ``duplicate`` (an earlier recipient in
        the plan has the same address, compared case-insensitively)."""
        c = self._table("contacts")
        reach: dict[str, Reach] = {}
        with self.catalog.engine.connect() as conn:
            if targets.groups or targets.tags:
                for row in conn.execute(select(c).where(self._through_partners(targets))):
                    reach[row.contact_id] = Reach(row, through_partner=True)
            for chunk in chunks(self._explicit_partners(conn, targets)):
                for row in conn.execute(select(c).where(c.c.partner_id.in_(chunk))):
                    reach[row.contact_id] = Reach(row, through_partner=True)
            if targets.interest_areas:
                s = self._table("subscriptions", "interest_areas")
                stmt = (
                    select(c, s.c.area, s.c.status)
                    .join(s, s.c.contact_id == c.c.contact_id)
                    .where(s.c.area.in_(targets.interest_areas))
                )
                for row in conn.execute(stmt):
                    found = reach.setdefault(row.contact_id, Reach(row))
                    if row.status == "subscribed":
                        found.areas = (found.areas or set()) | {row.area}
                    else:
                        found.left_areas = True
            if targets.subscribers_of:
                reach = self._consenting(conn, reach, targets.subscribers_of)
        ordered = sorted(reach.values(), key=lambda r: (r.row.partner_id, r.row.contact_id))
        seen: set[str] = set()
        plan = []
        for r in ordered:
            row = r.row
            email = (row.email or "").strip()
            if not row.active:
                reason: SkipReason | None = SkipReason.INACTIVE
            elif not email or email == ERASED:  # an erased contact has no address any more
                reason = SkipReason.NO_EMAIL
            elif row.opted_out_on is not None or not (r.through_partner or r.areas):
                reason = SkipReason.OPTED_OUT
            elif email.lower() in seen:
                reason = SkipReason.DUPLICATE
            else:
                reason = None
                seen.add(email.lower())
            plan.append(
                Candidate(
                    contact=UUID(row.contact_id),
                    partner=UUID(row.partner_id),
                    email=email or None,
                    areas=tuple(sorted(r.areas or ())),
                    reason=reason,
                )
            )
        return plan

    def _consenting(self, conn: Connection, reach: dict[str, Reach], areas: tuple[str, ...]) -> dict[str, Reach]:
        """Consent: of the contacts reached, those subscribed to one of ``areas``, reached
        through those subscriptions only (their link leaves those areas); one that left them
        all stays in the plan, skipped as opted out; one that never subscribed is not mailed."""
        s = self._table("subscriptions", "interest_areas")
        subscribed: dict[str, set[str]] = {}
        left: set[str] = set()
        for chunk in chunks(list(reach)):
            stmt = select(s.c.contact_id, s.c.area, s.c.status).where(s.c.area.in_(areas), s.c.contact_id.in_(chunk))
            for contact_id, area, status in conn.execute(stmt):
                if status == "subscribed":
                    subscribed.setdefault(contact_id, set()).add(area)
                else:
                    left.add(contact_id)
        return {
            contact_id: Reach(r.row, areas=subscribed.get(contact_id), left_areas=contact_id in left)
            for contact_id, r in reach.items()
            if contact_id in subscribed or contact_id in left
        }

    def _through_partners(self, targets: MailingTargets) -> Any:
        """Contacts of the active partners in the groups or with the tags."""
        c = self._table("contacts")
        p = self._table("partners", "partner_directory")
        tags = self._table("tags", "partner_directory")
        conditions = []
        if targets.groups:
            conditions.append(p.c.group_code.in_(targets.groups))
        if targets.tags:
            conditions.append(p.c.id.in_(select(tags.c.partner_id).where(tags.c.tag.in_(targets.tags))))
        partners = select(p.c.id).where(p.c.status == "active", or_(*conditions))
        return c.c.partner_id.in_(partners)

    def _explicit_partners(self, conn: Connection, targets: MailingTargets) -> list[str]:
        """The named partners, those on the campaign's target list and the partners of the named
        documents, as they are now."""
        ids = [str(p) for p in targets.partners]
        if targets.campaign_targets:
            t = self._table("targets", "campaigns")
            stmt = select(t.c.partner_id).where(t.c.campaign == targets.campaign_targets)
            ids += [pid for (pid,) in conn.execute(stmt)]
        if targets.documents:
            d = self._table("documents", "documents")
            for chunk in chunks([str(x) for x in targets.documents]):
                ids += [pid for (pid,) in conn.execute(select(d.c.partner_id).where(d.c.id.in_(chunk)))]
        return sorted(set(self._survivors(conn, list(dict.fromkeys(ids))).values()))

    # -- mailings ----------------------------------------------------------------------------------

    def _status_expr(self) -> Any:
        r = self._table("recipients")
        return case(
            (r.c.delivery == "error", "error"),
            (r.c.unsubscribed.is_(True), "unsubscribed"),
            else_=r.c.delivery,
        )

    def _row(self, conn: Connection, mailing_id: str) -> dict[str, Any]:
        m = self._table("mailings")
        try:
            key = str(UUID(mailing_id))
        except ValueError:
            raise not_found("mailing", mailing_id) from None
        row = conn.execute(select(m).where(m.c.id == key)).mappings().first()
        if row is None:
            raise not_found("mailing", mailing_id)
        return dict(row)

    def _summary(self, conn: Connection, row: dict[str, Any]) -> dict[str, Any]:
        r = self._table("recipients")
        status = self._status_expr()
        counts = dict.fromkeys(STATUSES, 0)
        stmt = select(status, func.count()).where(r.c.mailing_id == row["id"]).group_by(status)
        counts.update({s: int(n) for s, n in conn.execute(stmt).all()})
        state: MailingStatus
        if not row["prepared"]:
            state = "preparing"
        else:
            state = "sending" if counts["queued"] else "done"
        return {
            "id": row["id"],
            "template": row["template"],
            "campaign": row["campaign"],
            "targets": json.loads(row["targets"]),
            "status": state,
            "recipients": row["recipients"],
            "sent": row["queued"],
            "skipped_count": row["skipped"],
            "counts": counts,
            "started_at": utc(row["started_at"]),
            "prepared_at": utc(row["prepared_at"]),
            "version": row["version"],
        }

    def get(self, mailing_id: str) -> dict[str, Any]:
        s = self._table("skipped")
        with self.catalog.engine.connect() as conn:
            row = self._row(conn, mailing_id)
            summary = self._summary(conn, row)
            stmt = select(s.c.contact_id, s.c.reason).where(s.c.mailing_id == row["id"]).order_by(s.c.seq)
            skipped = [{"contact": contact, "reason": reason} for contact, reason in conn.execute(stmt)]
        return {**summary, "skipped": skipped}

    def mailings(self, request: PageRequest, campaign: str | None = None) -> dict[str, Any]:
        m = self._table("mailings")
        stmt = select(m)
        if campaign:
            stmt = stmt.where(m.c.campaign == campaign)
        keys = Keyset(m.c.created_position.desc(), m.c.id)
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(keys.select(stmt, request)).mappings().all()
            return keys.page(rows, request, lambda r: self._summary(conn, dict(r)))

    def recipients(self, mailing_id: str, request: PageRequest, status: str | None = None) -> dict[str, Any]:
        r = self._table("recipients")
        expr = self._status_expr()
        with self.catalog.engine.connect() as conn:
            row = self._row(conn, mailing_id)
            stmt = select(r.c.contact_id, r.c.email, expr.label("status")).where(r.c.mailing_id == row["id"])
            if status:
                wanted = status.split(",")
                unknown = set(wanted) - set(STATUSES)
                if unknown:
                    raise Invalid(["query", "status"], f"status is one of {', '.join(STATUSES)}")
                stmt = stmt.where(expr.in_(wanted))
            keys = Keyset(r.c.seq, r.c.contact_id)
            rows = conn.execute(keys.select(stmt, request)).mappings().all()
        return keys.page(
            rows, request, lambda x: {"contact": x["contact_id"], "email": x["email"], "status": x["status"]}
        )

    # -- links, bounces, the preparer --------------------------------------------------------------

    def _link(self, column: str, digest: str) -> RecipientLinkRow | None:
        r = self._table("recipients")
        with self.catalog.engine.connect() as conn:
            row = conn.execute(select(r).where(r.c[column] == digest)).mappings().first()
        if row is None:
            return None
        return RecipientLinkRow(
            mailing=UUID(row["mailing_id"]),
            contact=UUID(row["contact_id"]),
            partner=UUID(row["partner_id"]),
            message=UUID(row["message_id"]) if row["message_id"] else None,
            areas=json.loads(row["areas"]),
            delivery=row["delivery"],
            unsubscribed=bool(row["unsubscribed"]),
        )

    def by_unsubscribe_token(self, digest: str) -> RecipientLinkRow | None:
        return self._link("unsubscribe_hash", digest)

    def by_pixel_token(self, digest: str) -> RecipientLinkRow | None:
        return self._link("pixel_hash", digest)

    def delivered_to(self, emails: Sequence[str]) -> list[UUID]:
        """The latest delivered mailing message to each address (a bounce that quotes only the
        failed address, not the Message-ID)."""
        r = self._table("recipients")
        found = []
        with self.catalog.engine.connect() as conn:
            for email in emails:
                stmt = (
                    select(r.c.message_id)
                    .where(
                        func.lower(r.c.email) == email.lower(),
                        r.c.delivery.in_(("sent", "read")),
                        r.c.message_id.is_not(None),
                    )
                    .order_by(r.c.seq.desc())
                    .limit(1)
                )
                message = conn.execute(stmt).scalar()
                if message:
                    found.append(UUID(message))
        return found

    def stalled(self, progressed_before: datetime, limit: int = 10) -> list[UUID]:
        """Mailings whose preparation has not moved since ``progressed_before`` (wall clock):
        the process preparing them stopped."""
        m = self._table("mailings")
        return stalled(self.catalog.engine, m, m.c.prepared, m.c.created_position, progressed_before, limit)
