"""/v1/balance-confirmations over HTTP: the open items as of a past date (from the dated
movements), a series posted again sends nothing new, a clerk and the portal answer once."""

from __future__ import annotations

from typing import Any

from tests.api.helpers import assert_problem, create_partner, error_locs
from tests.api.sales_helpers import invoice_of, pay


def test_confirmations_list_the_items_open_then_and_are_answered_once(sqlite_client: Any) -> None:
    client = sqlite_client
    p = create_partner(client, name="Confirming Customer", code="CONF", email="ap@conf.example")
    inv = invoice_of(client, p["id"], "1230.00", issue_date="2025-12-10", due_date="2026-01-09")
    pay(client, p["id"], "500.00", date="2026-01-05")

    def series(as_of: str) -> dict[str, Any]:
        response = client.post("/v1/balance-confirmations", json={"as_of": as_of, "partners": ["CONF"]})
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def listed(**params: str) -> list[dict[str, Any]]:
        return client.get("/v1/balance-confirmations", params=params).json()["items"]  # type: ignore[no-any-return]

    december = series("2025-12-31")
    assert (december["as_of"], december["sent"], december["completed"]) == ("2025-12-31", 1, True)
    series("2026-01-10")
    (before,) = listed(as_of="2025-12-31")
    (after,) = listed(as_of="2026-01-10")
    item = {"item": inv["id"], "kind": "invoice", "document": inv["id"], "number": inv["number"]}
    assert (before["number"], before["total"], before["status"], before["items"]) == (
        "BC2601-0001",
        "1230.00",
        "pending",
        [{**item, "due_date": "2026-01-09", "amount": "1230.00", "open_amount": "1230.00"}],
    )
    assert (after["number"], after["total"], after["items"][0]["open_amount"]) == ("BC2601-0002", "730.00", "730.00")
    message = client.get(f"/v1/messages/{before['message']}").json()
    assert (message["channel"], message["to"], message["template"]) == ("email", "ap@conf.example", "BC-EMAIL-EN")

    # the same request again (a crash, a double click) sends nobody a second confirmation
    assert series("2025-12-31") == december
    assert len(listed()) == 2

    reply = client.post(f"/v1/balance-confirmations/{before['id']}/reply", json={"status": "confirmed", "comment": ""})
    assert reply.status_code == 200, reply.text
    assert (reply.json()["status"], reply.json()["answered_on"]) == ("confirmed", "2026-01-15")
    again = client.post(f"/v1/balance-confirmations/{before['id']}/reply", json={"status": "disputed", "comment": "x"})
    assert_problem(again, 409, "already_answered")
    assert [c["id"] for c in listed(status="confirmed")] == [before["id"]]
    assert [c["id"] for c in listed(status="pending")] == [after["id"]]

    pdf = client.get(f"/v1/balance-confirmations/{before['id']}/pdf")
    assert (pdf.status_code, pdf.headers["content-type"], pdf.content[:5]) == (200, "application/pdf", b"%PDF-")

    bad = client.post("/v1/balance-confirmations", json={"as_of": "2026-01-16", "groups": ["NOPE"]})
    assert error_locs(assert_problem(bad, 422)) == [["body", "as_of"]]
    bad = client.post("/v1/balance-confirmations", json={"as_of": "2026-01-15", "groups": ["NOPE"]})
    assert error_locs(assert_problem(bad, 422)) == [["body", "groups", 0]]
