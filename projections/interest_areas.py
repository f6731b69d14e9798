"""Interest areas and every contact's subscription to them (subscribed or opted out, dated)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, Index, Integer, MetaData, String, Table, Text

from aggregates.interest_area import ContactResubscribed, ContactSubscribed, ContactUnsubscribed, InterestAreaCreated
from aggregates.partner_merge import PartnerAbsorbed
from projections.catalog import Projection, Rows


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    areas = Table(
        f"{prefix}areas",
        meta,
        Column("code", String(80), primary_key=True),
        Column("id", String(36), nullable=False),
        Column("name", Text, nullable=False),
        Column("self_service", Boolean, nullable=False),
        Column("created_on", Date, nullable=False),
        Column("version", Integer, nullable=False),
    )
    subscriptions = Table(
        f"{prefix}subscriptions",
        meta,
        Column("area", String(80), primary_key=True),
        Column("contact_id", String(36), primary_key=True),
        Column("id", String(36), nullable=False),
        Column("partner_id", String(36), nullable=False),
        Column("status", String(12), nullable=False),
        Column("subscribed_on", Date, nullable=False),
        Column("opted_out_on", Date),
        Column("version", Integer, nullable=False),
        # The order subscribers are listed in: when they (first) subscribed.
        Column("position", BigInteger, nullable=False),
    )
    Index(f"{prefix}ix_area", subscriptions.c.area, subscriptions.c.status, subscriptions.c.position)
    Index(f"{prefix}ix_id", subscriptions.c.id)
    Index(f"{prefix}ix_contact", subscriptions.c.contact_id)
    Index(f"{prefix}ix_partner", subscriptions.c.partner_id)
    return {"areas": areas, "subscriptions": subscriptions}


interest_areas = Projection("interest_areas", define)


@interest_areas.on(InterestAreaCreated)
def area_created(e: InterestAreaCreated, rows: Rows) -> None:
    rows.insert(
        "areas",
        code=e.code,
        id=str(e.originator_id),
        name=e.name,
        self_service=e.self_service,
        created_on=e.on,
        version=e.originator_version,
    )


@interest_areas.on(ContactSubscribed)
def subscribed(e: ContactSubscribed, rows: Rows) -> None:
    rows.insert(
        "subscriptions",
        area=e.area,
        contact_id=str(e.contact),
        id=str(e.originator_id),
        partner_id=str(e.partner),
        status="subscribed",
        subscribed_on=e.on,
        opted_out_on=None,
        version=e.originator_version,
        position=rows.position,
    )


def _changed(rows: Rows, e: ContactResubscribed | ContactUnsubscribed, **values: object) -> None:
    rows.update(
        "subscriptions", {"id": str(e.originator_id)}, partner_id=str(e.partner), version=e.originator_version, **values
    )


@interest_areas.on(ContactResubscribed)
def resubscribed(e: ContactResubscribed, rows: Rows) -> None:
    _changed(rows, e, status="subscribed", subscribed_on=e.on, opted_out_on=None)


@interest_areas.on(ContactUnsubscribed)
def unsubscribed(e: ContactUnsubscribed, rows: Rows) -> None:
    _changed(rows, e, status="opted_out", opted_out_on=e.on)


@interest_areas.on(PartnerAbsorbed)
def absorbed(e: PartnerAbsorbed, rows: Rows) -> None:
    # The absorbed partner's contacts, and with them their subscriptions, move to the survivor.
    rows.update("subscriptions", {"partner_id": str(e.absorbed)}, partner_id=str(e.originator_id))
