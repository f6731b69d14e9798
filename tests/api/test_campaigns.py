"""/v1/campaigns: planning and validation, costs, target selection (every criterion and its exact
boundaries), launch once through a mailing, the partner timeline, and effectiveness with credit
notes and the mailing's delivery."""

from __future__ import annotations

import time
from typing import Any

import pytest

from aggregates.mailing import MailingTargets
from queries.mailings import MailingQueries
from queries.pages import encode_cursor
from tests.api.helpers import assert_problem, create_partner, error_locs, role_headers
from tests.api.sales_helpers import act, draft, issued, line
from tests.api.test_mailings import container_html, link
from tests.api.test_messages import container_of, send_all

SPRING = {
    "code": "SPRING26",
    "name": "Spring offer",
    "start_date": "2026-03-01",
    "end_date": "2026-04-30",
    "cost": "1000.00",
    "channel": "email",
}
TEMPLATE = {
    "code": "SPRING",
    "channel": "email",
    "purpose": "campaign",
    "subject": "Spring offer for {{ partner.name }}",
    "body": "Hello {{ contact.name }},\nspring prices are in.\n",
}
NO_TARGET = {
    "groups": [],
    "tags": [],
    "interest_areas": [],
    "last_sale_before": None,
    "last_sale_after": None,
    "min_revenue": None,
    "revenue_from": None,
    "revenue_to": None,
    "products": [],
}


def plan(client: Any, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/campaigns", json={**SPRING, **fields})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def preview(client: Any, code: str = "SPRING26", **params: Any) -> dict[str, Any]:
    response = client.post(f"/v1/campaigns/{code}/preview", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def target_names(client: Any, **target: Any) -> list[str]:
    """The names the campaign's target list holds once its target is ``target``."""
    response = client.patch("/v1/campaigns/SPRING26", json={"target": target})
    assert response.status_code == 200, response.text
    return [item["name"] for item in preview(client, limit=500)["items"]]


def effectiveness(client: Any, code: str = "SPRING26") -> dict[str, Any]:
    response = client.get(f"/v1/campaigns/{code}/effectiveness")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


# -- planning ------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_campaign_is_planned_read_listed_changed_and_costed(client: Any) -> None:
    client.post("/v1/partner-groups", json={"code": "G-RETAIL", "name": "Retail"})
    client.post(
        "/v1/templates",
        json={"code": "SPRING", "channel": "email", "purpose": "campaign", "subject": "Spring", "body": "Hello"},
    )
    target = {"groups": ["g-retail"], "tags": ["vip", "vip"], "min_revenue": 500, "revenue_from": "2025-01-01"}
    created = plan(client, template="SPRING", target=target)
    assert {k: v for k, v in created.items() if k != "id"} == {
        **SPRING,
        "template": "SPRING",
        "target": {
            **NO_TARGET,
            "groups": ["G-RETAIL"],
            "tags": ["vip"],
            "min_revenue": "500.00",
            "revenue_from": "2025-01-01",
        },
        "costs": [],
        "total_cost": "1000.00",
        "status": "planned",
        "planned_on": "2026-01-15",
        "launched_on": None,
        "mailing": None,
        "targeted": 0,
        "version": 1,
    }
    assert client.get("/v1/campaigns/SPRING26").json() == created
    assert client.get("/v1/campaigns").json() == {"items": [created], "next_cursor": None}
    assert client.get("/v1/campaigns", params={"status": "launched"}).json()["items"] == []

    response = client.post("/v1/campaigns/SPRING26/costs", json={"amount": "250.50", "description": "Printing"})
    assert response.status_code == 201, response.text
    response = client.post("/v1/campaigns/SPRING26/costs", json={"amount": 49.5})
    costed = response.json()
    assert costed["costs"] == [
        {"date": "2026-01-15", "amount": "250.50", "description": "Printing"},
        {"date": "2026-01-15", "amount": "49.50", "description": ""},
    ]
    assert (costed["cost"], costed["total_cost"], costed["version"]) == ("1000.00", "1300.00", 3)

    response = client.patch(
        "/v1/campaigns/SPRING26",
        json={"name": "Spring sale", "end_date": None, "template": None},
        headers={"If-Match": "3"},
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["name"], changed["end_date"], changed["template"], changed["version"]) == (
        "Spring sale",
        None,
        None,
        4,
    )
    assert changed["target"] == created["target"]
    assert_problem(client.patch("/v1/campaigns/SPRING26", json={"name": "x"}, headers={"If-Match": "3"}), 412)


def test_start_date_defaults_to_today_and_cost_to_zero(client: Any) -> None:
    response = client.post("/v1/campaigns", json={"code": "NOW", "name": "Right now"})
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["start_date"], created["end_date"], created["cost"], created["channel"], created["target"]) == (
        "2026-01-15",
        None,
        "0.00",
        "email",
        NO_TARGET,
    )


def test_invalid_plans_are_refused(client: Any) -> None:
    body = assert_problem(client.post("/v1/campaigns", json={**SPRING, "end_date": "2026-02-28"}), 422)
    assert error_locs(body) == [["body", "end_date"]]
    body = assert_problem(client.post("/v1/campaigns", json={**SPRING, "cost": "-1.00"}), 422)
    assert error_locs(body) == [["body", "cost"]]
    body = assert_problem(client.post("/v1/campaigns", json={**SPRING, "template": "NOPE"}), 422)
    assert error_locs(body) == [["body", "template"]]
    client.post("/v1/templates", json={"code": "TXT", "channel": "sms", "purpose": "campaign", "body": "Hi"})
    body = assert_problem(client.post("/v1/campaigns", json={**SPRING, "template": "TXT"}), 422)
    assert error_locs(body) == [["body", "template"]]
    body = assert_problem(client.post("/v1/campaigns", json={**SPRING, "target": {"groups": ["G-NONE"]}}), 422)
    assert error_locs(body) == [["body", "target", "groups", 0]]
    target = {"revenue_from": "2026-01-10", "revenue_to": "2026-01-09"}
    body = assert_problem(client.post("/v1/campaigns", json={**SPRING, "target": target}), 422)
    assert error_locs(body) == [["body", "target", "revenue_to"]]
    body = assert_problem(client.post("/v1/campaigns", json={**SPRING, "target": {"segment": "x"}}), 422)
    assert error_locs(body) == [["body", "target", "segment"]]
    assert client.get("/v1/campaigns").json()["items"] == []

    plan(client)
    assert_problem(client.post("/v1/campaigns", json=SPRING), 409, "campaign_exists")
    body = assert_problem(client.post("/v1/campaigns/SPRING26/costs", json={"amount": "0"}), 422)
    assert error_locs(body) == [["body", "amount"]]
    body = assert_problem(client.patch("/v1/campaigns/SPRING26", json={"start_date": "2026-05-01"}), 422)
    assert error_locs(body) == [["body", "end_date"]]
    body = assert_problem(client.patch("/v1/campaigns/SPRING26", json={"name": None}), 422)
    assert error_locs(body) == [["body", "name"]]
    for response in (
        client.get("/v1/campaigns/NOPE"),
        client.post("/v1/campaigns/NOPE/costs", json={"amount": "1"}),
        client.post("/v1/campaigns/NOPE/preview"),
        client.post("/v1/campaigns/NOPE/launch"),
        client.get("/v1/campaigns/NOPE/effectiveness"),
    ):
        assert_problem(response, 404, "not_found")


# -- target selection ----------------------------------------------------------------------------


def sales_world(client: Any) -> dict[str, dict[str, Any]]:
    """Alpha bought P1 for 100.00 on Jan 10; Beta bought P2 for 300.00 on Jan 5 and returned it
    all on Jan 6; Gamma never bought; Delta bought P3 for 50.00 on Dec 1 and was merged into
    Epsilon; Zeta bought P1 and P4 on Jan 12 (190.00)."""
    client.post("/v1/partner-groups", json={"code": "G1", "name": "Group one"})
    client.post("/v1/partner-groups", json={"code": "G2", "name": "Group two"})
    world = {
        "Alpha": create_partner(client, name="Alpha", group="G1", tags=["vip", "north"]),
        "Beta": create_partner(client, name="Beta", group="G2", tags=["north"]),
        "Gamma": create_partner(client, name="Gamma", tags=["vip"]),
        "Delta": create_partner(client, name="Delta", group="G1", tags=["vip"]),
        "Epsilon": create_partner(client, name="Epsilon"),
        "Zeta": create_partner(client, name="Zeta", group="G2"),
    }
    ids = {name: p["id"] for name, p in world.items()}
    issued(client, ids["Alpha"], "invoice", [line("P1", "1", "100.00")], issue_date="2026-01-10")
    invoice = issued(client, ids["Beta"], "invoice", [line("P2", "3", "100.00")], issue_date="2026-01-05")
    issued(
        client,
        ids["Beta"],
        "credit_note",
        [line("P2", "3", "100.00")],
        issue_date="2026-01-06",
        applies_to=invoice["id"],
    )
    issued(client, ids["Delta"], "invoice", [line("P3", "1", "50.00")], issue_date="2025-12-01")
    issued(
        client, ids["Zeta"], "invoice", [line("P1", "1", "90.00"), line("P4", "2", "50.00")], issue_date="2026-01-12"
    )
    # neither a draft nor a cancelled invoice is a sale
    draft(client, ids["Gamma"], "invoice", [line("P1", "1", "999.00")])
    cancelled = issued(client, ids["Gamma"], "invoice", [line("P1", "1", "999.00")])
    act(client, cancelled["id"], "cancel", {"reason": "wrong partner"})
    response = client.post(f"/v1/partners/{ids['Epsilon']}/merge", json={"absorb": [ids["Delta"]]})
    assert response.status_code == 200, response.text
    assert client.post("/v1/templates", json=TEMPLATE).status_code == 201
    plan(client, template="SPRING")
    return world


def test_every_active_partner_is_a_target_without_criteria_and_merged_ones_never(client: Any) -> None:
    world = sales_world(client)
    listed = preview(client)
    assert listed["total"] == 5
    assert [(i["name"], i["last_sale"], i["revenue"]) for i in listed["items"]] == [
        ("Alpha", "2026-01-10", "100.00"),
        ("Beta", "2026-01-05", "0.00"),
        ("Epsilon", "2025-12-01", "50.00"),  # Delta's sale counts for its survivor
        ("Gamma", None, "0.00"),
        ("Zeta", "2026-01-12", "190.00"),
    ]
    assert listed["items"][0] == {
        "partner": world["Alpha"]["id"],
        "code": world["Alpha"]["code"],
        "name": "Alpha",
        "group": "G1",
        "matched": [],
        "tags": [],
        "interest_areas": [],
        "products": [],
        "last_sale": "2026-01-10",
        "revenue": "100.00",
    }
    first = preview(client, limit=2)
    assert [i["name"] for i in first["items"]] == ["Alpha", "Beta"]
    second = preview(client, limit=2, cursor=first["next_cursor"])
    assert ([i["name"] for i in second["items"]], second["total"]) == (["Epsilon", "Gamma"], 5)
    third = preview(client, limit=2, cursor=second["next_cursor"])
    assert ([i["name"] for i in third["items"]], third["next_cursor"]) == (["Zeta"], None)
    beyond = preview(client, limit=2, cursor=encode_cursor(["zzzz", "zzzz"]))  # after every name
    assert (beyond["items"], beyond["total"]) == ([], 5)


@pytest.mark.postgres
def test_last_sale_before_and_after_are_strict_and_need_a_sale(client: Any) -> None:
    sales_world(client)
    # Alpha's last sale is on the day itself: not before it; Gamma has none
    assert target_names(client, last_sale_before="2026-01-10") == ["Beta", "Epsilon"]
    assert target_names(client, last_sale_before="2026-01-11") == ["Alpha", "Beta", "Epsilon"]
    assert target_names(client, last_sale_after="2026-01-05") == ["Alpha", "Zeta"]
    assert target_names(client, last_sale_after="2026-01-04") == ["Alpha", "Beta", "Zeta"]
    # the credit note of Jan 6 is not a sale: Beta's last sale stays Jan 5
    assert target_names(client, last_sale_after="2026-01-05", last_sale_before="2026-01-11") == ["Alpha"]
    assert target_names(client, last_sale_before="2025-12-01") == []
    assert target_names(client, last_sale_before="2025-12-02") == ["Epsilon"]


@pytest.mark.postgres
def test_revenue_is_net_of_credit_notes_with_inclusive_bounds(client: Any) -> None:
    sales_world(client)
    # Alpha's 100.00 on exactly Jan 10, and exactly the minimum
    january_10 = {"revenue_from": "2026-01-10", "revenue_to": "2026-01-10"}
    assert target_names(client, min_revenue="100.00", **january_10) == ["Alpha"]
    assert target_names(client, min_revenue="100.01", **january_10) == []
    # Beta's invoice and its credit note cancel out; Gamma's draft and cancelled invoice are nothing
    assert target_names(client, min_revenue="0.01") == ["Alpha", "Epsilon", "Zeta"]
    assert target_names(client, min_revenue="0") == ["Alpha", "Beta", "Epsilon", "Gamma", "Zeta"]
    # from Jan 6 only Beta's credit note is in the period
    response = client.patch("/v1/campaigns/SPRING26", json={"target": {"revenue_from": "2026-01-06"}})
    assert response.status_code == 200
    revenue = {i["name"]: i["revenue"] for i in preview(client)["items"]}
    assert revenue == {"Alpha": "100.00", "Beta": "-300.00", "Epsilon": "0.00", "Gamma": "0.00", "Zeta": "190.00"}
    assert target_names(client, min_revenue="-300.00", revenue_from="2026-01-06") == [
        "Alpha",
        "Beta",
        "Epsilon",
        "Gamma",
        "Zeta",
    ]
    assert target_names(client, min_revenue="150", revenue_to="2026-01-11") == []
    assert target_names(client, min_revenue="150", revenue_to="2026-01-12") == ["Zeta"]


@pytest.mark.postgres
def test_products_any_of_bought_in_the_period_and_not_credited(client: Any) -> None:
    sales_world(client)
    assert target_names(client, products=["P1", "P2"]) == ["Alpha", "Zeta"]  # Beta returned all its P2
    assert target_names(client, products=["P3"]) == ["Epsilon"]  # bought by Delta before the merge
    assert target_names(client, products=["P1"], revenue_from="2026-01-11") == ["Zeta"]
    assert target_names(client, products=["P9"]) == []
    target_names(client, products=["P4", "P1", "P9"])
    zeta = preview(client)["items"][1]
    assert (zeta["name"], zeta["products"], zeta["matched"]) == ("Zeta", ["P1", "P4"], ["products"])


@pytest.mark.postgres
def test_groups_and_tags_are_any_of_and_criteria_are_anded(client: Any) -> None:
    sales_world(client)
    # Delta is merged away; Epsilon, without a group of its own, took Delta's
    assert target_names(client, groups=["G1"]) == ["Alpha", "Epsilon"]
    assert target_names(client, groups=["G1", "G2"]) == ["Alpha", "Beta", "Epsilon", "Zeta"]
    assert target_names(client, tags=["vip"]) == ["Alpha", "Epsilon", "Gamma"]  # Epsilon took Delta's tags
    assert target_names(client, tags=["vip", "north"]) == ["Alpha", "Beta", "Epsilon", "Gamma"]
    assert target_names(client, tags=["vip"], groups=["G2"]) == []
    assert target_names(client, tags=["north"], groups=["G1", "G2"], min_revenue="1") == ["Alpha"]
    alpha = preview(client)["items"][0]
    assert (alpha["tags"], alpha["group"], alpha["matched"], alpha["revenue"]) == (
        ["north"],
        "G1",
        ["groups", "tags", "min_revenue"],
        "100.00",
    )


# -- launch and effectiveness --------------------------------------------------------------------


def test_a_campaign_launches_once_and_shows_in_the_timelines(client: Any) -> None:
    world = sales_world(client)
    target_names(client, tags=["vip"])
    response = client.post("/v1/campaigns/SPRING26/launch")
    assert response.status_code == 200, response.text
    launched = response.json()
    assert (launched["status"], launched["launched_on"], launched["targeted"]) == ("launched", "2026-01-15", 3)
    assert_problem(client.post("/v1/campaigns/SPRING26/launch"), 409, "campaign_launched")
    assert_problem(client.patch("/v1/campaigns/SPRING26", json={"target": {}}), 409, "campaign_launched")
    response = client.patch("/v1/campaigns/SPRING26", json={"name": "Spring offer (sent)"})
    assert response.status_code == 200, response.text
    timeline = client.get(f"/v1/partners/{world['Gamma']['id']}/timeline", params={"kind": "campaign"}).json()
    assert [(e["kind"], e["summary"], e["ref"]) for e in timeline["items"]] == [
        ("campaign", "Targeted by campaign SPRING26 (Spring offer), launched", "SPRING26")
    ]
    beta = client.get(f"/v1/partners/{world['Beta']['id']}/timeline", params={"kind": "campaign"}).json()
    assert beta["items"] == []
    assert effectiveness(client)["targeted"] == 3


def test_a_campaign_selecting_nobody_does_not_launch(client: Any) -> None:
    sales_world(client)
    target_names(client, products=["P9"])
    assert_problem(client.post("/v1/campaigns/SPRING26/launch"), 409, "campaign_no_targets")
    assert client.get("/v1/campaigns/SPRING26").json()["status"] == "planned"


@pytest.mark.postgres
def test_effectiveness_counts_the_documents_naming_the_campaign(client: Any) -> None:
    world = sales_world(client)
    ids = {name: p["id"] for name, p in world.items()}
    target_names(client, tags=["vip"])  # Alpha, Epsilon, Gamma
    response = client.post("/v1/campaigns/SPRING26/launch")
    assert response.status_code == 200, response.text
    client.post("/v1/campaigns/SPRING26/costs", json={"amount": "250.50", "description": "Printing"})
    spring = {"campaign": "SPRING26"}
    # Gamma: 2 × 100.00 at cost 60.00 and 50.00 at cost 10.00; then credits one of the 100.00
    issued(
        client,
        ids["Gamma"],
        "invoice",
        [line("P1", "2", "100.00", unit_cost="60.00", tax_rate="23"), line("P2", "1", "50.00", unit_cost="10.00")],
        **spring,
    )
    issued(client, ids["Gamma"], "credit_note", [line("P1", "1", "100.00", unit_cost="60.00")], **spring)
    # Beta (not targeted) orders; Alpha's draft and a cancelled invoice count for nothing
    issued(client, ids["Beta"], "order", [line("P1", "1", "10.00")], **spring)
    draft(client, ids["Alpha"], "invoice", [line("P1", "1", "999.00")], **spring)
    cancelled = issued(client, ids["Alpha"], "invoice", [line("P1", "1", "999.00")], **spring)
    act(client, cancelled["id"], "cancel", {"reason": "typo"})
    issued(client, ids["Alpha"], "invoice", [line("P1", "1", "999.00")])  # names no campaign

    figures = effectiveness(client)
    # revenue 200 + 50 − 100 = 150.00; cost of goods 120 + 10 − 60 = 70.00; margin 80.00;
    # campaign cost 1,250.50; ROI (80 − 1,250.50) / 1,250.50 = −93.6026 %
    assert figures == {
        "campaign": "SPRING26",
        "documents": 2,
        "invoices": 1,
        "credit_notes": 1,
        "revenue": "150.00",
        "cost_of_goods": "70.00",
        "margin": "80.00",
        "campaign_cost": "1250.50",
        "roi_percent": "-93.60",
        "targeted": 3,
        "messages": 0,
        "sent": 0,
        "read": 0,
        "ordering_partners": 2,
        "converted_partners": 1,
        "conversion_percent": "33.33",
    }


def test_roi_is_null_without_a_cost_and_a_merged_buyer_counts_for_its_survivor(client: Any) -> None:
    a = create_partner(client, name="Old Buyer")
    b = create_partner(client, name="New Buyer")
    assert client.post("/v1/templates", json=TEMPLATE).status_code == 201
    plan(client, code="FREE", cost="0", template="SPRING")
    response = client.patch("/v1/campaigns/FREE", json={"target": {}})
    assert response.status_code == 200
    assert client.post("/v1/campaigns/FREE/launch").json()["targeted"] == 2
    issued(client, a["id"], "invoice", [line("P1", "1", "80.00", unit_cost="20.00")], campaign="FREE")
    issued(client, b["id"], "invoice", [line("P1", "1", "20.00", unit_cost="5.00")], campaign="FREE")
    assert client.post(f"/v1/partners/{b['id']}/merge", json={"absorb": [a["id"]]}).status_code == 200
    figures = effectiveness(client, "FREE")
    assert {k: figures[k] for k in ("revenue", "margin", "campaign_cost", "roi_percent")} == {
        "revenue": "100.00",
        "margin": "75.00",
        "campaign_cost": "0.00",
        "roi_percent": None,
    }
    assert (figures["ordering_partners"], figures["converted_partners"], figures["conversion_percent"]) == (
        1,
        1,
        "50.00",
    )
    unlaunched = plan(client, code="LATER")
    assert effectiveness(client, unlaunched["code"])["conversion_percent"] is None


def test_an_analyst_previews_and_reads_but_does_not_launch(client: Any) -> None:
    create_partner(client, name="Alpha")
    plan(client)
    analyst = role_headers(client, "analyst")
    assert client.post("/v1/campaigns/SPRING26/preview", headers=analyst).json()["total"] == 1
    assert client.get("/v1/campaigns/SPRING26/effectiveness", headers=analyst).status_code == 200
    assert_problem(client.post("/v1/campaigns/SPRING26/launch", headers=analyst), 403, "forbidden")
    assert_problem(client.post("/v1/campaigns/SPRING26/costs", json={"amount": "1"}, headers=analyst), 403)


# -- launch through a mailing ------------------------------------------------------------------------


def contact(client: Any, partner: str, name: str, **fields: Any) -> str:
    response = client.post(f"/v1/partners/{partner}/contacts", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return response.json()["id"]  # type: ignore[no-any-return]


def test_a_launch_mails_only_the_subscribers_and_effectiveness_follows_delivery(client: Any) -> None:
    """Consent: Alpha and Beta have contacts subscribed to NEWS, Gamma has none. The campaign for
    NEWS subscribers mails Ann and Bob only: never Bea (Beta's contact who never subscribed), nor
    Ben (subscribed, but opted out of every mailing), nor Bo (who left NEWS); Abe has no e-mail."""
    create_partner(client, name="Alpha", code="A")
    create_partner(client, name="Beta", code="B", tags=["vip"])
    create_partner(client, name="Gamma", code="C")
    ann = contact(client, "A", "Ann", email="ann@alpha.test")
    abe = contact(client, "A", "Abe")
    bob = contact(client, "B", "Bob", email="bob@beta.test")
    bea = contact(client, "B", "Bea", email="bea@beta.test")
    ben = contact(client, "B", "Ben", email="ben@beta.test")
    bo = contact(client, "B", "Bo", email="bo@beta.test")
    cy = contact(client, "C", "Cy", email="cy@gamma.test")
    assert client.post("/v1/interest-areas", json={"code": "NEWS", "name": "Newsletter"}).status_code == 201
    for subscriber in (ann, abe, bob, ben, bo):
        response = client.post("/v1/interest-areas/NEWS/subscriptions", json={"contact": subscriber})
        assert response.status_code == 201, response.text
    assert client.post(f"/v1/partners/B/contacts/{ben}/opt-out").status_code == 200
    assert client.delete(f"/v1/interest-areas/NEWS/subscriptions/{bo}").status_code == 200
    assert client.post("/v1/templates", json=TEMPLATE).status_code == 201
    body = assert_problem(client.post("/v1/campaigns", json={**SPRING, "target": {"interest_areas": ["NOPE"]}}), 422)
    assert error_locs(body) == [["body", "target", "interest_areas", 0]]
    plan(client, template="SPRING", target={"interest_areas": ["NEWS"]})

    listed = preview(client)
    assert [(i["code"], i["interest_areas"], i["matched"]) for i in listed["items"]] == [
        ("A", ["NEWS"], ["interest_areas"]),
        ("B", ["NEWS"], ["interest_areas"]),
    ]
    response = client.post("/v1/campaigns/SPRING26/launch")
    assert response.status_code == 200, response.text
    launched = response.json()
    assert (launched["status"], launched["targeted"]) == ("launched", 2)
    mailing = client.get(f"/v1/mailings/{launched['mailing']}").json()
    assert (mailing["campaign"], mailing["template"], mailing["recipients"], mailing["sent"]) == (
        "SPRING26",
        "SPRING",
        2,
        2,
    )
    assert sorted((s["contact"], s["reason"]) for s in mailing["skipped"]) == sorted(
        [(abe, "no_email"), (ben, "opted_out"), (bo, "opted_out")]
    )
    # The mailing names the campaign's target list (recorded in batches), it does not copy it.
    assert (mailing["targets"]["partners"], mailing["targets"]["campaign_targets"]) == ([], "SPRING26")
    assert mailing["targets"]["subscribers_of"] == ["NEWS"]
    # A preparation resumed after a crash makes the same plan from the recorded list.
    resumed = MailingQueries(container_of(client).catalog).candidates(
        MailingTargets(campaign_targets="SPRING26", subscribers_of=("NEWS",))
    )
    assert sorted(str(c.contact) for c in resumed if c.reason is None) == sorted([ann, bob])
    assert_problem(client.post("/v1/campaigns/SPRING26/launch"), 409, "campaign_launched")
    assert len(client.get("/v1/mailings", params={"campaign": "SPRING26"}).json()["items"]) == 1

    figures = effectiveness(client)
    assert (figures["messages"], figures["sent"], figures["read"]) == (2, 0, 0)
    send_all(client)
    sent = client.get("/v1/messages", params={"campaign": "SPRING26"}).json()["items"]
    assert sorted(m["to"] for m in sent) == ["ann@alpha.test", "bob@beta.test"]
    assert {m["contact"] for m in sent} == {ann, bob}
    assert not {bea, ben, bo, cy} & {m["contact"] for m in sent}
    bob_message = next(m for m in sent if m["contact"] == bob)
    pixel = client.get(link(container_html(client, bob_message["id"]), "t"), headers={"Authorization": ""})
    assert pixel.status_code == 200
    issued(client, "B", "order", [line("P1", "1", "10.00")], campaign="SPRING26")
    figures = effectiveness(client)
    assert {k: figures[k] for k in ("targeted", "messages", "sent", "read", "ordering_partners")} == {
        "targeted": 2,
        "messages": 2,
        "sent": 2,
        "read": 1,
        "ordering_partners": 1,
    }
    assert (figures["converted_partners"], figures["conversion_percent"]) == (1, "50.00")


def test_a_launch_whose_template_fails_for_a_recipient_records_nothing(client: Any) -> None:
    create_partner(client, name="Alpha", code="A")
    contact(client, "A", "Ann", email="ann@alpha.test")
    broken = {**TEMPLATE, "code": "BROKEN", "body": "Hello {{ contact.nickname }}"}
    assert client.post("/v1/templates", json=broken).status_code == 201
    plan(client, template="BROKEN")
    before = client.get("/v1/audit/events", params={"limit": 1000}).json()["items"]
    assert_problem(client.post("/v1/campaigns/SPRING26/launch"), 409, "template_render_failed")
    assert client.get("/v1/audit/events", params={"limit": 1000}).json()["items"] == before
    campaign = client.get("/v1/campaigns/SPRING26").json()
    assert (campaign["status"], campaign["mailing"], campaign["targeted"]) == ("planned", None, 0)
    assert client.get("/v1/mailings", params={"campaign": "SPRING26"}).json()["items"] == []


def test_a_campaign_without_a_template_sends_the_default_one(client: Any) -> None:
    create_partner(client, name="Alpha", code="A")
    contact(client, "A", "Ann", email="ann@alpha.test")
    plan(client)
    assert_problem(client.post("/v1/campaigns/SPRING26/launch"), 409, "template_missing")
    assert client.post("/v1/templates", json={**TEMPLATE, "is_default": True}).status_code == 201
    launched = client.post("/v1/campaigns/SPRING26/launch").json()
    assert client.get(f"/v1/mailings/{launched['mailing']}").json()["template"] == "SPRING"
    plan(client, code="SMS26", channel="sms")
    assert_problem(client.post("/v1/campaigns/SMS26/launch"), 409, "campaign_channel_unsupported")


def test_an_async_launch_queues_the_mailing_in_the_background(client: Any) -> None:
    create_partner(client, name="Alpha", code="A")
    contact(client, "A", "Ann", email="ann@alpha.test")
    assert client.post("/v1/templates", json=TEMPLATE).status_code == 201
    plan(client, template="SPRING")
    response = client.post("/v1/campaigns/SPRING26/launch", headers={"Prefer": "respond-async"})
    assert response.status_code == 202, response.text
    mailing = client.get("/v1/campaigns/SPRING26", headers={"X-Min-Position": response.headers["X-Position"]}).json()[
        "mailing"
    ]
    for _ in range(100):
        if client.get(f"/v1/mailings/{mailing}").json()["status"] != "preparing":
            break
        time.sleep(0.05)
    assert client.get(f"/v1/mailings/{mailing}").json()["sent"] == 1
