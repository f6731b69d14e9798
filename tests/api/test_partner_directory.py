"""GET /v1/partners (filters, sort, cursor pagination) and GET /v1/partners/export.csv."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.api.helpers import assert_problem, create_groups, create_partner, create_users, error_locs


def names(client: Any, query: str = "") -> list[str]:
    response = client.get(f"/v1/partners{query}")
    assert response.status_code == 200, response.text
    return [p["name"] for p in response.json()["items"]]


def seed(client: Any) -> dict[str, dict[str, Any]]:
    """Five partners with distinct roles, groups, tags, reps and a custom field."""
    create_users(client, "anna", "bob")
    create_groups(client, "G-RETAIL", "G-WHOLESALE")
    client.post(
        "/v1/custom-fields", json={"entity": "partner", "code": "segment", "label": "Segment", "type": "string"}
    )
    client.post(
        "/v1/custom-fields",
        json={
            "entity": "partner",
            "code": "regions",
            "label": "Regions",
            "type": "multiselect",
            "options": ["n", "s", "e"],
        },
    )
    made = {
        "bravo": create_partner(
            client,
            name="Bravo Foods",
            code="BRAVO",
            roles=["customer"],
            group="G-RETAIL",
            tags=["Retail", "North"],
            sales_reps=["anna"],
            email="sales@bravo.example",
            credit_limit="1000",
            custom_fields={"segment": "smb", "regions": ["n", "s"]},
        ),
        "alpha": create_partner(
            client,
            name="alpha Trading",
            code="ALPHA",
            roles=["vendor"],
            group="G-WHOLESALE",
            tags=["Wholesale"],
            sales_reps=["bob"],
            tax_id="PL5550001111",
            custom_fields={"segment": "enterprise", "regions": ["e"]},
        ),
        "charlie": create_partner(
            client,
            name="Charlie & Sons",
            code="CHARLIE",
            roles=["prospect", "customer"],
            group="G-RETAIL",
            tags=["Retail"],
            sales_reps=["anna", "bob"],
            credit_limit="500",
        ),
        "delta": create_partner(client, name="Delta 100% Ltd", code="DELTA", roles=["employee"], kind="person"),
        "echo": create_partner(client, name="Echo_Works", code="ECHO", roles=["customer"], credit_check=False),
    }
    client.post("/v1/partners/DELTA/contacts", json={"name": "Zygmunt Zielinski"})
    client.post("/v1/partners/CHARLIE/credit-hold", json={"reason": "fraud check"})
    return made


@pytest.mark.postgres
def test_default_sort_is_by_name_case_insensitive(client: Any) -> None:
    seed(client)
    assert names(client) == ["alpha Trading", "Bravo Foods", "Charlie & Sons", "Delta 100% Ltd", "Echo_Works"]
    assert names(client, "?sort=name") == names(client)


def test_sort_newest_first(client: Any) -> None:
    seed(client)
    assert names(client, "?sort=-created_on") == [
        "Echo_Works",
        "Delta 100% Ltd",
        "Charlie & Sons",
        "alpha Trading",
        "Bravo Foods",
    ]
    assert_problem(client.get("/v1/partners?sort=balance"), 422, "validation_error")


@pytest.mark.postgres
def test_q_searches_name_code_email_tax_id_and_contact_names(client: Any) -> None:
    seed(client)
    assert names(client, "?q=bravo") == ["Bravo Foods"]
    assert names(client, "?q=ALPHA") == ["alpha Trading"]
    assert names(client, "?q=sales@bravo") == ["Bravo Foods"]
    assert names(client, "?q=PL5550001111") == ["alpha Trading"]
    assert names(client, "?q=zielinski") == ["Delta 100% Ltd"]
    assert names(client, "?q=charlie sons") == ["Charlie & Sons"]
    assert names(client, "?q=charlie nobody") == []
    # LIKE wildcards in the query are literal characters.
    assert names(client, "?q=100%25") == ["Delta 100% Ltd"]
    assert names(client, "?q=o_w") == ["Echo_Works"]
    assert names(client, "?q=%25") == ["Delta 100% Ltd"]


def test_filters_by_role_group_tag_and_sales_rep(client: Any) -> None:
    seed(client)
    assert names(client, "?role=customer") == ["Bravo Foods", "Charlie & Sons", "Echo_Works"]
    assert names(client, "?role=vendor") == ["alpha Trading"]
    assert names(client, "?group=G-RETAIL") == ["Bravo Foods", "Charlie & Sons"]
    assert names(client, "?group=g-wholesale") == ["alpha Trading"]
    assert names(client, "?tag=Retail") == ["Bravo Foods", "Charlie & Sons"]
    assert names(client, "?tag=North") == ["Bravo Foods"]
    assert names(client, "?sales_rep=bob") == ["alpha Trading", "Charlie & Sons"]
    assert names(client, "?sales_rep=anna&tag=North") == ["Bravo Foods"]
    assert names(client, "?role=customer&group=G-RETAIL&sales_rep=bob") == ["Charlie & Sons"]
    assert names(client, "?kind=person") == ["Delta 100% Ltd"]


def test_a_group_reference_is_upper_cased_like_group_codes(client: Any) -> None:
    client.post("/v1/partner-groups", json={"code": "g-retail", "name": "Retail", "credit_watch_percent": "50"})
    create_groups(client, "g-other")
    p = create_partner(client, name="Lower", group=" g-retail ", credit_limit="100")
    assert p["group"] == "G-RETAIL"
    assert names(client, "?group=g-retail") == ["Lower"]
    assert names(client, "?group=G-RETAIL") == ["Lower"]
    patched = client.patch(f"/v1/partners/{p['id']}", json={"group": "g-other"}).json()
    assert patched["group"] == "G-OTHER"
    assert names(client, "?group=G-OTHER") == ["Lower"]


def test_filter_by_credit_status(client: Any) -> None:
    seed(client)
    assert names(client, "?credit_status=stop") == ["Charlie & Sons"]
    assert names(client, "?credit_status=ok") == ["Bravo Foods"]
    assert names(client, "?credit_status=no_check") == ["alpha Trading", "Delta 100% Ltd", "Echo_Works"]
    assert names(client, "?credit_status=hold") == []
    for p in client.get("/v1/partners?credit_status=no_check").json()["items"]:
        assert p["credit_status"] == "no_check"


@pytest.mark.postgres
def test_filter_by_custom_fields(client: Any) -> None:
    seed(client)
    assert names(client, "?cf.segment=smb") == ["Bravo Foods"]
    assert names(client, "?cf.segment=enterprise") == ["alpha Trading"]
    assert names(client, "?cf.segment=none") == []
    # A multiselect matches any of its values.
    assert names(client, "?cf.regions=s") == ["Bravo Foods"]
    assert names(client, "?cf.regions=n") == ["Bravo Foods"]
    assert names(client, "?cf.regions=e") == ["alpha Trading"]
    assert names(client, "?cf.regions=e&cf.segment=smb") == []


@pytest.mark.postgres
def test_filter_by_a_boolean_custom_field(client: Any) -> None:
    client.post("/v1/custom-fields", json={"entity": "partner", "code": "vip", "label": "VIP", "type": "boolean"})
    create_partner(client, name="Yes", custom_fields={"vip": True})
    create_partner(client, name="No", custom_fields={"vip": False})
    assert names(client, "?cf.vip=true") == ["Yes"]
    assert names(client, "?cf.vip=false") == ["No"]


def test_merged_partners_are_not_listed(client: Any) -> None:
    seed(client)
    client.post("/v1/partners/BRAVO/merge", json={"absorb": ["ECHO"]})
    assert names(client) == ["alpha Trading", "Bravo Foods", "Charlie & Sons", "Delta 100% Ltd"]
    assert names(client, "?q=echo") == []


@pytest.mark.postgres
def test_cursor_pagination_walks_every_partner_once(client: Any) -> None:
    for i in range(7):
        create_partner(client, name=f"Partner {i:02d}")
    seen: list[str] = []
    pages = 0
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/v1/partners", params=params).json()
        pages += 1
        assert len(body["items"]) <= 3
        seen += [p["name"] for p in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [f"Partner {i:02d}" for i in range(7)]
    exact = client.get("/v1/partners?limit=7").json()
    assert len(exact["items"]) == 7
    assert exact["next_cursor"] is None


def test_paging_limits_and_bad_cursors(sqlite_client: Any) -> None:
    create_partner(sqlite_client, name="One")
    assert len(sqlite_client.get("/v1/partners?limit=500").json()["items"]) == 1
    for query, loc in (
        ("?limit=501", ["query", "limit"]),
        ("?limit=0", ["query", "limit"]),
        ("?limit=-3", ["query", "limit"]),
        ("?limit=many", ["query", "limit"]),
        ("?cursor=not-a-cursor", ["query", "cursor"]),
    ):
        body = assert_problem(sqlite_client.get(f"/v1/partners{query}"), 422, "validation_error")
        assert error_locs(body) == [loc], query


def test_partners_list_default_limit_is_50(sqlite_client: Any) -> None:
    for i in range(51):
        last = sqlite_client.post("/v1/partners", json={"name": f"P{i:03d}"}, headers={"Prefer": "respond-async"})
    body = sqlite_client.get("/v1/partners", headers={"X-Min-Position": last.headers["X-Position"]}).json()
    assert len(body["items"]) == 50
    assert body["next_cursor"] is not None
    rest = sqlite_client.get(f"/v1/partners?cursor={body['next_cursor']}").json()
    assert [p["name"] for p in rest["items"]] == ["P050"]
    assert rest["next_cursor"] is None


def read_csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="partners.csv"'
    return list(csv.DictReader(io.StringIO(response.text)))


def test_export_csv_has_every_column_and_honours_the_filters(client: Any) -> None:
    made = seed(client)
    rows = read_csv(client.get("/v1/partners/export.csv?group=G-RETAIL"))
    assert rows == [
        {
            "id": made["bravo"]["id"],
            "code": "BRAVO",
            "name": "Bravo Foods",
            "kind": "organization",
            "roles": "customer",
            "group": "G-RETAIL",
            "tags": "Retail North",
            "email": "sales@bravo.example",
            "phone": "",
            "tax_id": "",
            "sales_reps": "anna",
            "credit_limit": "1000.00",
            "balance": "0.00",
            "credit_status": "ok",
            "created_on": "2026-01-15",
        },
        {
            "id": made["charlie"]["id"],
            "code": "CHARLIE",
            "name": "Charlie & Sons",
            "kind": "organization",
            "roles": "prospect customer",
            "group": "G-RETAIL",
            "tags": "Retail",
            "email": "",
            "phone": "",
            "tax_id": "",
            "sales_reps": "anna bob",
            "credit_limit": "500.00",
            "balance": "0.00",
            "credit_status": "stop",
            "created_on": "2026-01-15",
        },
    ]
    everyone = read_csv(client.get("/v1/partners/export.csv?sort=-created_on"))
    assert [r["code"] for r in everyone] == ["ECHO", "DELTA", "CHARLIE", "ALPHA", "BRAVO"]
    assert read_csv(client.get("/v1/partners/export.csv?q=nothing-matches")) == []


def test_export_csv_neutralises_formulas(client: Any) -> None:
    create_partner(client, name='=HYPERLINK("http://evil.example","Click")', code="EVIL1", phone="+48 600 000 000")
    create_partner(client, name="@SUM(A1:A2)", code="EVIL2", tags=["-2+3"])
    create_partner(client, name="Plain, with comma", code="PLAIN")
    response = client.get("/v1/partners/export.csv?sort=code")
    rows = read_csv(response)
    assert [(r["code"], r["name"]) for r in rows] == [
        ("EVIL1", '\'=HYPERLINK("http://evil.example","Click")'),
        ("EVIL2", "'@SUM(A1:A2)"),
        ("PLAIN", "Plain, with comma"),
    ]
    assert rows[0]["phone"] == "'+48 600 000 000"
    assert rows[1]["tags"] == "'-2+3"
    # The raw text quotes the cell (it holds quotes and commas) and starts it with an apostrophe.
    assert '"\'=HYPERLINK(""http://evil.example"",""Click"")"' in response.text
    assert '"Plain, with comma"' in response.text


def test_export_csv_bad_filters_are_422(sqlite_client: Any) -> None:
    assert_problem(sqlite_client.get("/v1/partners/export.csv?sort=nope"), 422, "validation_error")
