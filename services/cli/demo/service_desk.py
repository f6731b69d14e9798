"""The service desk: request types and routing rules, then, over the walk's last three weeks,
requests that end in every state: open and overdue, escalated to the supervisor, in progress,
closed with a resolution, final, confidential, one threaded reply and one request opened by
e-mail (data/requests.toml). Their own generator keeps the sales figures as they are."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any
from uuid import uuid4

from aggregates.request import Confidentiality, Priority, RequestStatus, Visibility
from commands.inbound_email import ReceiveEmail, receive_email
from commands.request_types import AddRoutingRule, DefineRequestType, add_routing_rule, define_request_type
from commands.requests import (
    AssignRequest,
    ChangeRequestStatus,
    CommentOnRequest,
    OpenRequest,
    assign_request,
    change_request_status,
    comment_on_request,
    open_request,
)
from queries.pages import PageRequest
from queries.requests import RequestQueries
from services.cli.demo.context import SEED, SUPERVISOR
from services.cli.demo.market import Customer, LateChapter
from services.cli.demo.reference import load

REQUESTS_SEED = SEED + 730
REQUEST_WINDOW = 21  # the requests are opened over the walk's last three weeks
MAIL_GATEWAY = "mail-gateway"  # the actor of the mails the demo receives
REQUEST_STATUSES = ("open", "in_progress", "closed", "final")
REQUESTS = load("requests")


@dataclass(frozen=True)
class RequestScenario:
    """A request opened ``opens_after`` days into the window, then ``steps``: (days later, step)."""

    type: str
    subject: str
    description: str
    opens_after: int
    priority: str = "medium"
    confidentiality: str = "public"
    by_email: bool = False
    steps: tuple[tuple[int, tuple[str, str]], ...] = ()


REQUEST_SCENARIOS = tuple(
    RequestScenario(
        **{key: value for key, value in entry.items() if key != "steps"},
        steps=tuple((after, (what, text)) for after, what, text in entry.get("steps", [])),
    )
    for entry in REQUESTS["scenario"]
)


class ServiceDesk(LateChapter):
    def plan(self) -> None:
        """Defines the request types and routing rules, and puts the scenarios on the agenda."""
        for request_type in REQUESTS["type"]:
            self.demo.run(define_request_type, DefineRequestType.model_validate(request_type), SUPERVISOR)
        for rule in REQUESTS["routing_rule"]:
            self.demo.run(add_routing_rule, AddRoutingRule.model_validate(rule), SUPERVISOR)
        rng = random.Random(REQUESTS_SEED)
        customers = [c for c in self.customers if c.buyer and not c.held and c.plan.kind != "person"]
        if not customers:
            return
        first = self.first_day(REQUEST_WINDOW)
        for scenario in REQUEST_SCENARIOS:
            customer = rng.choice(customers)
            self.agenda.at(
                first + timedelta(days=scenario.opens_after), partial(self.open_scenario, scenario, customer)
            )

    def open_scenario(self, scenario: RequestScenario, customer: Customer, _day: date) -> None:
        partner = self.demo.get(customer.ref)
        contact = next((c for c in partner.contacts.values() if c.active and c.email), None)
        sender = (
            {"from": contact.email, "known_sender": {"partner": partner.id, "contact": contact.id}} if contact else None
        )
        if scenario.by_email:
            if sender is None:
                return
            mail = {"subject": scenario.subject, "body": scenario.description, "message_id": f"<demo-{uuid4()}@mail>"}
            opened = self.demo.run(receive_email, ReceiveEmail.model_validate({**sender, **mail}), MAIL_GATEWAY)
        else:
            command = OpenRequest(
                type=scenario.type,
                partner=customer.ref,
                contact=contact.id if contact else None,
                subject=scenario.subject,
                description=scenario.description,
                priority=Priority(scenario.priority),
                confidentiality=Confidentiality(scenario.confidentiality),
            )
            opened = self.demo.run(open_request, command, customer.rep)
        for after, step in scenario.steps:
            self.agenda.later(after, partial(self.step, str(opened.id), step, sender))

    def step(self, request: str, step: tuple[str, str], sender: dict[str, Any] | None, _day: date) -> None:
        """One later step of a scenario: ``(status, resolution)``, ``(comment|internal, text)``,
        ``(assign, user)`` or ``(reply, text)`` (the customer answers by e-mail)."""
        kind, text = step
        if kind in REQUEST_STATUSES:
            change = ChangeRequestStatus(request=request, status=RequestStatus(kind), resolution=text or None)
            self.demo.run(change_request_status, change, SUPERVISOR)
        elif kind in ("comment", "internal"):
            visibility = Visibility.PUBLIC if kind == "comment" else Visibility.INTERNAL
            comment = CommentOnRequest(request=request, text=text, visibility=visibility)
            self.demo.run(comment_on_request, comment, "anna")
        elif kind == "assign":
            self.demo.run(assign_request, AssignRequest(request=request, to=text), SUPERVISOR)
        elif sender is not None:
            number = self.demo.get(request).number
            mail = {"subject": f"Re: [{number}] your request", "body": text, "message_id": f"<demo-{uuid4()}@mail>"}
            self.demo.run(receive_email, ReceiveEmail.model_validate({**sender, **mail}), MAIL_GATEWAY)

    def summary(self) -> str:
        queries = RequestQueries(self.demo.container.catalog)
        now = self.demo.container.clock.now()
        rows = queries.search(PageRequest(limit=500), now)["items"]
        by_status = {s: sum(1 for r in rows if r["status"] == s) for s in REQUEST_STATUSES}
        overdue = sum(1 for r in rows if r["due_state"] == "overdue" and r["status"] in ("open", "in_progress"))
        escalated = sum(1 for r in rows if r["escalated"])
        states = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in by_status.items())
        return f"requests: {len(rows)} ({states}; {overdue} overdue, {escalated} escalated)"
