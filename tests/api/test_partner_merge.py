"""POST /v1/partners/{partner}/merge: the merge rules of API.md, tombstones, refusals."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import assert_problem, create_groups, create_partner, create_users, error_locs, get_partner


@pytest.mark.postgres
def test_merge_fills_blanks_unites_and_moves(client: Any) -> None:
    create_users(client, "anna", "bob")
    create_groups(client, "G-RETAIL")
    survivor = create_partner(
        client,
        name="Acme Ltd",
        code="ACME",
        roles=["prospect"],
        group=None,
        tags=["Retail", "North"],
        sales_reps=["anna"],
        email="office@acme.example",
        phone=None,
        tax_id=None,
        notes_public="Survivor public",
        notes_private="",
        credit_limit="1000",
    )
    absorbed = create_partner(
        client,
        name="ACME Limited",
        code="ACME-OLD",
        roles=["customer", "vendor"],
        group="G-RETAIL",
        tags=["North", "South"],
        sales_reps=["bob", "anna"],
        email="old@acme.example",
        phone="555-0100",
        tax_id="PL999",
        notes_public="Absorbed public",
        notes_private="Absorbed private",
        credit_limit="5000",
    )
    contact = client.post("/v1/partners/ACME-OLD/contacts", json={"name": "Old Contact"}).json()
    address = client.post(
        "/v1/partners/ACME-OLD/addresses", json={"city": "Sopot", "usage": ["billing"], "is_default": True}
    ).json()
    own = client.post("/v1/partners/ACME/addresses", json={"city": "Gdansk", "usage": ["billing"], "is_default": True})

    response = client.post("/v1/partners/acme/merge", json={"absorb": ["acme-old"]})
    assert response.status_code == 200
    assert "X-Position" in response.headers
    merged = response.json()
    assert merged["id"] == survivor["id"]
    assert merged["code"] == "ACME"
    assert merged["status"] == "active"
    assert merged["name"] == "Acme Ltd"
    assert merged["email"] == "office@acme.example"
    assert merged["phone"] == "555-0100"
    assert merged["tax_id"] == "PL999"
    assert merged["group"] == "G-RETAIL"
    assert merged["roles"] == ["prospect", "customer", "vendor"]
    assert merged["tags"] == ["Retail", "North", "South"]
    assert merged["sales_reps"] == ["anna", "bob"]
    assert merged["notes_public"] == "Survivor public\nAbsorbed public"
    assert merged["notes_private"] == "Absorbed private"
    assert merged["credit_limit"] == "1000.00"
    assert [c["id"] for c in merged["contacts"]] == [contact["id"]]
    addresses = {a["id"]: (a["city"], a["is_default"]) for a in merged["addresses"]}
    # The absorbed addresses move over, but the survivor's defaults stay the defaults.
    assert addresses == {own.json()["id"]: ("Gdansk", True), address["id"]: ("Sopot", False)}
    assert get_partner(client, survivor["id"]) == merged

    tombstone_row = client.get(f"/v1/audit/streams/{absorbed['id']}").json()
    assert tombstone_row["state"]["status"] == "merged"
    assert tombstone_row["state"]["merged_into"] == survivor["id"]
    # The directory lists the survivor only.
    assert [p["code"] for p in client.get("/v1/partners").json()["items"]] == ["ACME"]


def test_the_absorbed_id_or_code_answers_the_survivor(client: Any) -> None:
    survivor = create_partner(client, name="Keep", code="KEEP")
    gone = create_partner(client, name="Gone", code="GONE")
    client.post("/v1/partners/KEEP/merge", json={"absorb": [gone["id"]]})
    by_id = get_partner(client, gone["id"])
    by_code = get_partner(client, "gone")
    assert by_id["id"] == by_code["id"] == survivor["id"]
    assert by_id["code"] == "KEEP"
    # Commands addressed to the absorbed partner act on the survivor.
    changed = client.patch("/v1/partners/GONE", json={"website": "https://keep.example"}).json()
    assert changed["id"] == survivor["id"]
    assert get_partner(client, "KEEP")["website"] == "https://keep.example"


def test_the_survivor_keeps_its_group(client: Any) -> None:
    create_groups(client, "G-A", "G-B")
    create_partner(client, name="A", code="A", group="G-A")
    create_partner(client, name="B", code="B", group="G-B")
    assert client.post("/v1/partners/A/merge", json={"absorb": ["B"]}).json()["group"] == "G-A"


def test_absorbing_three_at_once_and_chained_merges(client: Any) -> None:
    create_partner(client, name="Main", code="MAIN", tags=["a"])
    for i in (1, 2, 3):
        create_partner(client, name=f"Dup {i}", code=f"DUP{i}", tags=[f"t{i}"])
    merged = client.post("/v1/partners/MAIN/merge", json={"absorb": ["DUP1", "DUP2", "DUP3"]}).json()
    assert merged["tags"] == ["a", "t1", "t2", "t3"]
    assert [p["code"] for p in client.get("/v1/partners").json()["items"]] == ["MAIN"]
    # A partner that absorbed others is absorbed itself: their references follow to the end.
    top = create_partner(client, name="Top", code="TOP")
    client.post("/v1/partners/TOP/merge", json={"absorb": ["MAIN"]})
    for ref in ("MAIN", "DUP1", "DUP2", "DUP3"):
        assert get_partner(client, ref)["id"] == top["id"]


def test_more_than_three_absorbed_is_422_and_nothing_changes(sqlite_client: Any) -> None:
    create_partner(sqlite_client, name="Main", code="MAIN")
    for i in range(1, 5):
        create_partner(sqlite_client, name=f"Dup {i}", code=f"DUP{i}")
    response = sqlite_client.post("/v1/partners/MAIN/merge", json={"absorb": ["DUP1", "DUP2", "DUP3", "DUP4"]})
    assert error_locs(assert_problem(response, 422, "validation_error")) == [["body", "absorb"]]
    assert len(sqlite_client.get("/v1/partners").json()["items"]) == 5
    empty = sqlite_client.post("/v1/partners/MAIN/merge", json={"absorb": []})
    assert_problem(empty, 422, "validation_error")
    assert get_partner(sqlite_client, "MAIN")["version"] == 1


def test_merge_into_itself_is_409_merge_self(client: Any) -> None:
    p = create_partner(client, name="Self", code="SELF")
    assert_problem(client.post("/v1/partners/SELF/merge", json={"absorb": ["self"]}), 409, "merge_self")
    assert_problem(client.post("/v1/partners/SELF/merge", json={"absorb": [p["id"]]}), 409, "merge_self")
    # An absorbed partner's reference leads to the survivor: absorbing it again is absorbing oneself.
    create_partner(client, name="Other", code="OTHER")
    client.post("/v1/partners/SELF/merge", json={"absorb": ["OTHER"]})
    assert_problem(client.post("/v1/partners/SELF/merge", json={"absorb": ["OTHER"]}), 409, "merge_self")
    assert get_partner(client, "SELF")["status"] == "active"


def test_merge_with_parent_or_child_is_409_merge_related(client: Any) -> None:
    create_partner(client, name="Parent", code="PAR")
    create_partner(client, name="Child", code="KID", parent="PAR")
    assert_problem(client.post("/v1/partners/PAR/merge", json={"absorb": ["KID"]}), 409, "merge_related")
    assert_problem(client.post("/v1/partners/KID/merge", json={"absorb": ["PAR"]}), 409, "merge_related")
    assert get_partner(client, "KID")["status"] == "active"
    assert get_partner(client, "PAR")["version"] == 2  # registered, child attached


def test_merge_moves_the_absorbed_partners_children(client: Any) -> None:
    survivor = create_partner(client, name="New Holding", code="NEWH")
    create_partner(client, name="Old Holding", code="OLDH")
    create_partner(client, name="Sub", code="SUB", parent="OLDH")
    client.post("/v1/partners/NEWH/merge", json={"absorb": ["OLDH"]})
    assert get_partner(client, "SUB")["parent"] == survivor["id"]


def test_an_unknown_absorbed_partner_is_422_and_an_unknown_survivor_404(client: Any) -> None:
    create_partner(client, name="Main", code="MAIN")
    create_partner(client, name="Other", code="OTHER")
    refused = assert_problem(client.post("/v1/partners/MAIN/merge", json={"absorb": ["OTHER", "NOPE"]}), 422)
    assert error_locs(refused) == [["body", "absorb", 1]]
    assert get_partner(client, "OTHER")["status"] == "active"
    assert_problem(client.post("/v1/partners/NOPE/merge", json={"absorb": ["MAIN"]}), 404, "not_found")


def test_a_merged_away_code_stays_taken(client: Any) -> None:
    create_partner(client, name="Keep", code="KEEP")
    create_partner(client, name="Gone", code="OLD-1")
    client.post("/v1/partners/KEEP/merge", json={"absorb": ["OLD-1"]})
    response = client.post("/v1/partners", json={"name": "Reuse", "code": " old-1 "})
    assert assert_problem(response, 409, "code_taken")["detail"] == "customer code already used"
    assert [p["code"] for p in client.get("/v1/partners").json()["items"]] == ["KEEP"]


def test_merge_is_on_both_timelines_of_the_survivor(client: Any) -> None:
    create_partner(client, name="Keep", code="KEEP")
    create_partner(client, name="Gone", code="GONE")
    client.post("/v1/partners/GONE/notes", json={"text": "before the merge", "visibility": "private"})
    client.post("/v1/partners/KEEP/merge", json={"absorb": ["GONE"]})
    summaries = [i["summary"] for i in client.get("/v1/partners/KEEP/timeline").json()["items"]]
    # The survivor's timeline includes the absorbed partner's history.
    assert summaries == [
        "Partner KEEP registered: Keep",
        "Partner GONE registered: Gone",
        "Private note: before the merge",
        "Absorbed partner GONE",
        "Merged into another partner",
    ]
