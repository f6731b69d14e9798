"""The partner's named business facts through the API: a prospect's promotion to customer, the
re-parenting of a merge, portal access granted and revoked, and the default addresses; in the
partner's representation, its timeline and the audit log. An old stream, with the generic events
these facts replace, reads as it did."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from eventsourcing.persistence import StoredEvent

from aggregates.base import DomainEvent, EventMeta
from aggregates.partner_addresses import Address, AddressAdded
from aggregates.partner_contacts import Contact, ContactAdded, ContactChanged
from aggregates.partner_details import PartnerDetails, PartnerDetailsChanged, Role
from tests.api.helpers import create_partner, get_partner
from tests.api.sales_helpers import act, draft, issued


def timeline(client: Any, partner: str, **params: Any) -> list[tuple[str, str, str | None]]:
    response = client.get(f"/v1/partners/{partner}/timeline", params=params)
    assert response.status_code == 200, response.text
    return [(e["kind"], e["summary"], e["ref"]) for e in response.json()["items"]]


def audit(client: Any, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/audit/events", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


# -- promotion to customer -------------------------------------------------------------------------


def test_accepting_a_quote_makes_the_prospect_a_customer_named_by_the_quote(client: Any) -> None:
    p = create_partner(client, name="Lead", code="LEAD", roles=["prospect"])
    quote = issued(client, p["id"], "quote")
    assert timeline(client, "LEAD", kind="master_data") == [("master_data", "Partner LEAD registered: Lead", "LEAD")]
    act(client, quote["number"], "accept", {"date": "2026-01-15"})

    assert get_partner(client, "LEAD")["roles"] == ["prospect", "customer"]
    assert timeline(client, "LEAD", kind="master_data")[1:] == [
        ("master_data", f"Became a customer — quote {quote['number']}", quote["id"])
    ]
    assert quote["number"] == "QT2601-0001"
    (accepted,) = audit(client, type="QuoteAccepted")
    (promoted,) = audit(client, type="PartnerPromotedToCustomer")
    assert promoted["stream"] == p["id"]
    assert promoted["data"] == {
        "document": quote["id"],
        "document_type": "quote",
        "number": "QT2601-0001",
        "roles": ["prospect", "customer"],
    }
    assert promoted["causation"] == f"position:{accepted['position']}"
    assert promoted["actor"] == "process:sales"
    assert audit(client, stream=p["id"], type="PartnerDetailsChanged") == []


def test_an_order_or_an_invoice_makes_a_prospect_a_customer_once(sqlite_client: Any) -> None:
    client = sqlite_client
    by_order = create_partner(client, name="P1", code="P1", roles=["prospect"])
    by_invoice = create_partner(client, name="P2", code="P2", roles=["prospect"])
    order = issued(client, by_order["id"], "order")
    invoice = issued(client, by_invoice["id"], "invoice")
    issued(client, by_order["id"], "invoice")  # a customer already: no second promotion
    assert (order["number"], invoice["number"]) == ("SO2601-0001", "IN2601-0001")

    promoted = [e for e in timeline(client, "P1") if e[1].startswith("Became")]
    assert promoted == [("master_data", "Became a customer — order SO2601-0001", order["id"])]
    promoted = [e for e in timeline(client, "P2") if e[1].startswith("Became")]
    assert promoted == [("master_data", "Became a customer — invoice IN2601-0001", invoice["id"])]
    assert len(audit(client, type="PartnerPromotedToCustomer")) == 2


def test_a_sent_quote_or_a_draft_promotes_nobody(sqlite_client: Any) -> None:
    client = sqlite_client
    p = create_partner(client, name="Lead", code="LEAD", roles=["prospect"])
    issued(client, p["id"], "quote")
    draft(client, p["id"], "invoice")
    assert get_partner(client, "LEAD")["roles"] == ["prospect"]
    assert audit(client, type="PartnerPromotedToCustomer") == []


# -- re-parenting on merge -------------------------------------------------------------------------


def test_a_merge_reassigns_the_absorbed_partners_children(sqlite_client: Any) -> None:
    client = sqlite_client
    keep = create_partner(client, name="Keep", code="KEEP")
    create_partner(client, name="Gone", code="GONE")
    child = create_partner(client, name="Sub", code="SUB", parent="GONE")
    assert client.post("/v1/partners/KEEP/merge", json={"absorb": ["GONE"]}).status_code == 200

    assert get_partner(client, "SUB")["parent"] == keep["id"]
    assert timeline(client, "SUB", kind="merge") == [
        ("merge", "Parent GONE merged into KEEP, the new parent", keep["id"])
    ]
    (reassigned,) = audit(client, stream=child["id"], type="ParentReassigned")
    (absorbed,) = audit(client, type="PartnerAbsorbed")
    assert (reassigned["data"]["parent"], reassigned["data"]["absorbed_code"]) == (keep["id"], "GONE")
    assert reassigned["correlation"] == absorbed["correlation"]
    assert audit(client, stream=child["id"], type="PartnerDetailsChanged") == []


# -- portal access ---------------------------------------------------------------------------------


def test_portal_access_is_granted_and_revoked_as_facts_of_their_own(client: Any) -> None:
    create_partner(client, name="Acme", code="ACME")
    eva = client.post("/v1/partners/ACME/contacts", json={"name": "Eva", "portal_access": True}).json()
    assert eva["portal_access"] is True
    path = f"/v1/partners/ACME/contacts/{eva['id']}"

    revoked = client.patch(path, json={"portal_access": False, "title": "CFO"})
    assert revoked.status_code == 200, revoked.text
    assert (revoked.json()["portal_access"], revoked.json()["title"]) == (False, "CFO")
    assert client.patch(path, json={"portal_access": True}).json()["portal_access"] is True
    (shown,) = get_partner(client, "ACME")["contacts"]
    assert (shown["title"], shown["portal_access"]) == ("CFO", True)

    assert timeline(client, "ACME", kind="master_data")[1:] == [
        ("master_data", "Contact added: Eva", eva["id"]),
        ("master_data", "Portal access granted", eva["id"]),
        ("master_data", "Contact changed: Eva", eva["id"]),
        ("master_data", "Portal access revoked", eva["id"]),
        ("master_data", "Portal access granted", eva["id"]),
    ]
    partner_id = get_partner(client, "ACME")["id"]
    assert [e["type"] for e in audit(client, stream=partner_id)] == [
        "PartnerRegistered",
        "ContactAdded",
        "PortalAccessGranted",
        "ContactChanged",
        "PortalAccessRevoked",
        "PortalAccessGranted",
    ]
    (added,) = audit(client, stream=partner_id, type="ContactAdded")
    assert added["data"]["contact"]["portal_access"] is False


# -- default addresses -----------------------------------------------------------------------------


def test_the_directory_shows_the_defaults_the_events_carry(sqlite_client: Any) -> None:
    client = sqlite_client
    p = create_partner(client, name="Addr", code="ADDR")
    first = client.post("/v1/partners/ADDR/addresses", json={"usage": ["billing"], "is_default": True}).json()
    second = client.post("/v1/partners/ADDR/addresses", json={"usage": ["billing", "tax"], "is_default": True}).json()
    assert {a["id"]: a["is_default"] for a in get_partner(client, "ADDR")["addresses"]} == {
        first["id"]: False,
        second["id"]: True,
    }
    (event,) = [e for e in audit(client, stream=p["id"], type="AddressAdded") if e["version"] == 3]
    assert event["data"]["defaults"] == [second["id"]]
    assert event["topic"] == "counterparty.partner.AddressAdded.v1"


# -- an old stream ---------------------------------------------------------------------------------


@pytest.mark.postgres
def test_an_old_stream_of_generic_events_reads_as_before(container: Any, client: Any) -> None:
    """What the log holds from before the named facts: address events without ``defaults``
    (stored by version 1), a promotion as a change of roles, portal access in a contact change."""
    store = container.store
    p = create_partner(client, name="Old", code="OLD", roles=["prospect"])
    pid = UUID(p["id"])
    hq = Address(id=uuid4(), usage=("billing",), label="HQ", city="Graz", is_default=True)
    branch = Address(id=uuid4(), usage=("billing",), label="Branch", city="Linz", is_default=True)
    at = "2026-01-15T09:00:00+00:00"
    store.app.recorder.insert_events(
        [
            StoredEvent(
                originator_id=pid,
                originator_version=version,
                topic=AddressAdded.TOPIC,
                state=orjson.dumps({"timestamp": at, "meta": None, "address": a.model_dump(mode="json")}),
            )
            for version, a in ((2, hq), (3, branch))
        ]
    )
    eva = Contact(id=uuid4(), name="Eva")
    meta = EventMeta(business_date=date(2026, 1, 15), actor="admin")
    stamp: dict[str, Any] = {"originator_id": pid, "timestamp": datetime(2026, 1, 15, 9, tzinfo=UTC), "meta": meta}
    old: list[DomainEvent] = [
        PartnerDetailsChanged(
            originator_version=4,
            fields=("roles",),
            details=PartnerDetails(name="Old", roles=(Role.PROSPECT, Role.CUSTOMER)),
            **stamp,
        ),
        ContactAdded(originator_version=5, contact=eva, **stamp),
        ContactChanged(originator_version=6, contact=eva.model_copy(update={"portal_access": True}), **stamp),
    ]
    store.save(old)
    container.runner.drain()

    shown = get_partner(client, "OLD")
    assert shown["roles"] == ["prospect", "customer"]
    assert [(a["label"], a["is_default"]) for a in shown["addresses"]] == [("HQ", False), ("Branch", True)]
    assert [(c["name"], c["portal_access"]) for c in shown["contacts"]] == [("Eva", True)]
    assert [s for _, s, _ in timeline(client, "OLD")] == [
        "Partner OLD registered: Old",
        "Address added: HQ, Graz",
        "Address added: Branch, Linz",
        "Changed roles",
        "Contact added: Eva",
        "Contact changed: Eva",
    ]

    # The aggregate replays the same: new commands build on it.
    response = client.patch(f"/v1/partners/OLD/contacts/{eva.id}", json={"portal_access": False})
    assert response.json()["portal_access"] is False
    hq_again = client.patch(f"/v1/partners/OLD/addresses/{hq.id}", json={"is_default": True}).json()
    assert hq_again["is_default"] is True
    shown = get_partner(client, "OLD")
    assert [(a["label"], a["is_default"]) for a in shown["addresses"]] == [("HQ", True), ("Branch", False)]
    assert shown["version"] == 8
    issued(client, p["id"], "order")
    assert audit(client, type="PartnerPromotedToCustomer") == []
    assert timeline(client, "OLD", kind="master_data")[-2:] == [
        ("master_data", "Portal access revoked", str(eva.id)),
        ("master_data", "Address changed: HQ, Graz", str(hq.id)),
    ]
