"""/v1/audit/events, /v1/audit/streams/{id} and GET /v1/partners/{p}?as_of=."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.api.helpers import assert_problem, create_partner


def events(client: Any, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/audit/events", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_events_describe_the_log(client: Any) -> None:
    p = create_partner(client, name="Logged", code="LOG")
    items = events(client)["items"]
    assert [(e["position"], e["type"], e["stream_type"], e["version"]) for e in items] == [
        (1, "PartnerRegistered", "partner", 1),
        (2, "CodeClaimed", "code", 1),
    ]
    first = items[0]
    assert first["stream"] == p["id"]
    assert first["actor"] == "admin"
    assert first["business_date"] == "2026-01-15"
    assert first["topic"] == "counterparty.partner.PartnerRegistered.v1"
    assert first["recorded_at"].endswith("Z")
    assert first["data"]["code"] == "LOG"
    assert first["data"]["details"]["name"] == "Logged"
    assert first["data"]["details"]["credit_limit"] == "0.00"
    assert items[1]["correlation"] == first["correlation"]
    assert events(client)["next_after"] is None


@pytest.mark.postgres
def test_events_page_with_after_and_next_after(client: Any) -> None:
    for i in range(4):
        create_partner(client, name=f"P{i}", code=f"P{i}")  # two events each
    first = events(client, limit=3)
    assert [e["position"] for e in first["items"]] == [1, 2, 3]
    assert first["next_after"] == 3
    second = events(client, limit=3, after=first["next_after"])
    assert [e["position"] for e in second["items"]] == [4, 5, 6]
    third = events(client, limit=3, after=second["next_after"])
    assert [e["position"] for e in third["items"]] == [7, 8]
    assert third["next_after"] is None
    assert events(client, after=8) == {"items": [], "next_after": None}


@pytest.mark.postgres
def test_events_filter_by_stream_type_and_business_date(client: Any) -> None:
    a = create_partner(client, name="A", code="A")
    client.post("/v1/clock/ticks", json={"to": "2026-01-16T12:00:00Z"})
    create_partner(client, name="B", code="B")
    client.patch("/v1/partners/A", json={"phone": "1"})
    client.post("/v1/clock/ticks", json={"to": "2026-01-17T12:00:00Z"})
    client.post("/v1/partners/A/notes", json={"text": "hi"})

    stream = events(client, stream=a["id"])["items"]
    assert [(e["type"], e["version"], e["business_date"]) for e in stream] == [
        ("PartnerRegistered", 1, "2026-01-15"),
        ("PartnerDetailsChanged", 2, "2026-01-16"),
        ("NoteAdded", 3, "2026-01-17"),
    ]
    registered = events(client, type="PartnerRegistered")["items"]
    assert [e["data"]["code"] for e in registered] == ["A", "B"]
    by_topic = events(client, type="counterparty.partner.PartnerRegistered.v1")["items"]
    assert by_topic == registered
    on_16 = events(client, **{"from": "2026-01-16", "to": "2026-01-16"})["items"]
    # The day's jobs add events of their own; the partner events and the day start are these.
    watched = {"DayStarted", "PartnerRegistered", "CodeClaimed", "PartnerDetailsChanged"}
    assert [e["type"] for e in on_16 if e["type"] in watched] == [
        "DayStarted",
        "PartnerRegistered",
        "CodeClaimed",
        "PartnerDetailsChanged",
    ]
    assert [e["data"]["code"] for e in on_16 if e["type"] == "PartnerRegistered"] == ["B"]
    assert {e["business_date"] for e in on_16} == {"2026-01-16"}
    from_17 = events(client, **{"from": "2026-01-17"})["items"]
    assert {e["business_date"] for e in from_17} == {"2026-01-17"}
    assert "NoteAdded" in [e["type"] for e in from_17]
    partner_types = events(client, stream=a["id"], type="NoteAdded")["items"]
    assert [e["version"] for e in partner_types] == [3]


def test_events_validation(sqlite_client: Any) -> None:
    for query in ("limit=0", "limit=1001", "after=-1", "after=x", "from=yesterday"):
        assert_problem(sqlite_client.get(f"/v1/audit/events?{query}"), 422, "validation_error")


def test_stream_replayed_to_a_version(client: Any) -> None:
    p = create_partner(client, name="Old name", code="REPLAY")
    client.patch("/v1/partners/REPLAY", json={"name": "New name"})
    client.post("/v1/partners/REPLAY/credit-hold", json={"reason": "late"})
    full = client.get(f"/v1/audit/streams/{p['id']}").json()
    assert full["stream"] == p["id"]
    assert full["stream_type"] == "partner"
    assert full["version"] == 3
    assert [e["type"] for e in full["events"]] == ["PartnerRegistered", "PartnerDetailsChanged", "CreditHoldPlaced"]
    assert [e["position"] for e in full["events"]] == sorted(e["position"] for e in full["events"])
    assert full["state"]["details"]["name"] == "New name"
    assert full["state"]["manual_hold"] == "late"
    assert full["state"]["code"] == "REPLAY"

    v1 = client.get(f"/v1/audit/streams/{p['id']}?version=1").json()
    assert v1["version"] == 1
    assert len(v1["events"]) == 1
    assert v1["state"]["details"]["name"] == "Old name"
    assert v1["state"]["manual_hold"] is None
    v2 = client.get(f"/v1/audit/streams/{p['id']}", params={"version": 2}).json()
    assert v2["state"]["details"]["name"] == "New name"
    assert v2["state"]["manual_hold"] is None


@pytest.mark.postgres
def test_stream_and_partner_as_of_a_moment_between_two_changes(client: Any) -> None:
    p = create_partner(client, name="Before", code="ASOF")
    time.sleep(0.05)
    client.patch("/v1/partners/ASOF", json={"name": "After", "tags": ["x"]})
    recorded = [e["recorded_at"] for e in client.get(f"/v1/audit/streams/{p['id']}").json()["events"]]
    first, second = (datetime.fromisoformat(r.replace("Z", "+00:00")) for r in recorded)
    assert second > first
    between = (first + (second - first) / 2).isoformat().replace("+00:00", "Z")

    then = client.get("/v1/partners/ASOF", params={"as_of": between})
    assert then.status_code == 200
    old = then.json()
    assert old["id"] == p["id"]
    assert old["name"] == "Before"
    assert old["tags"] == []
    assert old["version"] == 1
    assert old["code"] == "ASOF"
    assert old["credit_limit"] == "0.00"
    assert client.get("/v1/partners/ASOF").json()["name"] == "After"
    now = client.get("/v1/partners/ASOF", params={"as_of": recorded[1]}).json()
    assert now["name"] == "After"
    assert now["version"] == 2

    stream = client.get(f"/v1/audit/streams/{p['id']}", params={"as_of": between}).json()
    assert stream["version"] == 1
    assert stream["state"]["details"]["name"] == "Before"

    before_anything = (first - timedelta(seconds=5)).isoformat().replace("+00:00", "Z")
    assert_problem(client.get("/v1/partners/ASOF", params={"as_of": before_anything}), 404, "not_found")
    assert_problem(client.get("/v1/partners/ASOF", params={"as_of": "last tuesday"}), 422, "validation_error")


def test_as_of_shows_contacts_as_they_were(client: Any) -> None:
    p = create_partner(client, name="Contacts", code="CT")
    client.post("/v1/partners/CT/contacts", json={"name": "Early"})
    time.sleep(0.05)
    middle = client.get(f"/v1/audit/streams/{p['id']}").json()["events"][-1]["recorded_at"]
    time.sleep(0.05)
    client.post("/v1/partners/CT/contacts", json={"name": "Late"})
    then = client.get("/v1/partners/CT", params={"as_of": middle}).json()
    assert [c["name"] for c in then["contacts"]] == ["Early"]
    assert [c["name"] for c in client.get("/v1/partners/CT").json()["contacts"]] == ["Early", "Late"]


def test_unknown_streams_are_404(sqlite_client: Any) -> None:
    assert_problem(sqlite_client.get("/v1/audit/streams/not-a-uuid"), 404, "not_found")
    assert_problem(sqlite_client.get("/v1/audit/streams/3f1b7c4e-0000-4000-8000-000000000000"), 404, "not_found")
