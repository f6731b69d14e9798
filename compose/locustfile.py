"""Load against a deployment with Locust (not a dependency of Counterparty; docs/performance.md).

The same four operations as the ``http`` group of ``counterparty bench``: register a partner,
draft and issue an invoice, receive a payment, read a partner's profile. Every write records real
events in the target's log, so point it at a staging deployment, never at production data.

    pip install locust
    CPTY_API_KEY=<an admin or clerk key> locust -f compose/locustfile.py --host http://127.0.0.1:8001

Without ``--headless`` Locust serves its web UI on http://127.0.0.1:8089; for a bounded run:

    CPTY_API_KEY=... locust -f compose/locustfile.py --host http://127.0.0.1:8001 \\
        --headless --users 32 --spawn-rate 8 --run-time 2m --csv counterparty-load
"""

from __future__ import annotations

import os
import random
import uuid

from locust import HttpUser, between, task

INVOICE_TOTAL = "119.00"  # one line of 2 × 50.00 plus 19 % tax: a payment settles one invoice


class Clerk(HttpUser):
    """A client that keeps its connection alive and works on the partners it registered itself,
    so that users do not contend for one partner's streams (as separate shops would not)."""

    # No think time by default: like the bench, each user sends its next request at once.
    # CPTY_LOAD_WAIT=0.5,2 gives each user a pause of 0.5 to 2 s between requests.
    wait_time = between(*(float(x) for x in os.environ.get("CPTY_LOAD_WAIT", "0,0").split(",")))

    def on_start(self) -> None:
        key = os.environ.get("CPTY_API_KEY")
        if not key:
            raise RuntimeError("set CPTY_API_KEY to an admin or clerk API key of the deployment")
        self.client.headers["Authorization"] = f"Bearer {key}"
        self.partners: list[str] = []
        self.invoiced: list[str] = []
        self.register_partner()

    @task(4)
    def register_partner(self) -> None:
        tag = uuid.uuid4().hex[:12]
        body = {"name": f"Load Partner {tag}", "email": f"load-{tag}@example.com", "tags": ["load"]}
        with self.client.post("/v1/partners", json=body, name="POST /v1/partners", catch_response=True) as answer:
            if answer.status_code != 201:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")
                return
            self.partners.append(answer.json()["id"])

    @task(3)
    def invoice(self) -> None:
        if not self.partners:
            return
        partner = random.choice(self.partners)
        line = {"product": "LOAD-1", "quantity": "2", "unit_price": "50.00", "tax_rate": "19"}
        body = {"type": "invoice", "partner": partner, "lines": [line]}
        with self.client.post("/v1/documents", json=body, name="POST /v1/documents", catch_response=True) as draft:
            if draft.status_code != 201:
                draft.failure(f"{draft.status_code}: {draft.text[:200]}")
                return
            document = draft.json()["id"]
        issued = self.client.post(f"/v1/documents/{document}/issue", name="POST /v1/documents/{id}/issue")
        if issued.status_code == 200:
            self.invoiced.append(partner)

    @task(2)
    def payment(self) -> None:
        if not self.invoiced:
            return
        partner = self.invoiced.pop(0)
        self.client.post("/v1/payments", json={"partner": partner, "amount": INVOICE_TOTAL}, name="POST /v1/payments")

    @task(6)
    def profile(self) -> None:
        if self.partners:
            self.client.get(
                f"/v1/partners/{random.choice(self.partners)}/profile", name="GET /v1/partners/{id}/profile"
            )
