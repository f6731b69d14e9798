"""A collection scheme of three levels, and the steps of a collection story on the in-memory store:
partners with a billing contact, invoices, credit notes and payments, and what the cases and runs
recorded."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from aggregates.account import ItemKind, ReceivableBooked
from aggregates.collection_case import CollectionCase
from aggregates.collection_run import CollectionRun, CollectionRunCompleted
from commands.collection import DefineScheme, define_scheme
from commands.context import Result
from commands.documents import DraftDocument, IssueDocument, LineIn, draft_document, issue_document
from commands.messages import CreateTemplate, create_template
from commands.partners import AddContact, RegisterPartner, add_contact, register_partner
from commands.payments import AllocationIn, ReceivePayment, receive_payment
from processes.collection import collection_process
from tests.gwt_commands import Flow

D = Decimal
DUE = date(2026, 1, 15)

EMAIL = {"type": "email", "template": "R1"}
L1 = {"seq": 1, "name": "L1", "days_after_due": 7, "actions": [EMAIL]}
L2 = {
    "seq": 2,
    "name": "L2",
    "days_after_due": 21,
    "actions": [{"type": "fee", "amount": "40.00"}, {"type": "sms", "template": "S2"}],
}
L3 = {
    "seq": 3,
    "name": "L3",
    "days_after_due": 45,
    "actions": [
        {"type": "interest", "annual_rate": "10.00"},
        {"type": "block_sales"},
        {"type": "task", "title": "Call customer", "assignee": "sales_rep", "due_in_days": 2},
    ],
}
# One level that charges and blocks at once, for tests whose subject is not the escalation.
STRICT = [{**L1, "actions": [EMAIL, {"type": "fee", "amount": "40.00"}, {"type": "block_sales"}]}]
TEMPLATES = {"R1": "email", "S2": "sms"}


class Runs(Protocol):
    """A flow (the command's events as history) or a container: the helpers below serve both."""

    def execute(self, handler: Any, command: Any) -> Result: ...


def scheme(code: str = "STD", **overrides: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": f"{code} scheme",
        "is_default": True,
        "tolerance": "5.00",
        "min_days_between_actions": 7,
        "sequential": True,
        "auto_unblock": True,
        "promise_grace_days": 2,
        "levels": [L1, L2, L3],
        **overrides,
    }


def on(day: int, month: int = 1) -> date:
    return date(2026, month, day)


def collection(with_scheme: bool = True, **overrides: Any) -> Flow:
    """A flow with the collection process, the templates and the scheme (``levels=`` etc. change it)."""
    flow = Flow(processes=[collection_process])
    for command in templates():
        flow.given_command(create_template, command)
    if with_scheme:
        define(flow, **overrides)
    return flow


def templates() -> list[CreateTemplate]:
    """The templates the scheme's messages name."""
    body = "{{ partner.name }}: {{ total_open }} {{ currency }} is overdue."
    return [
        CreateTemplate(code=template, channel=channel, purpose="collection", subject="Overdue", body=body)
        for template, channel in TEMPLATES.items()
    ]


def define(to: Runs, code: str = "STD", **overrides: Any) -> None:
    to.execute(define_scheme, DefineScheme.model_validate(scheme(code, **overrides)))


def register(to: Runs, code: str, **fields: Any) -> UUID:
    """A partner whose billing contact has an e-mail address and a mobile number."""
    result = to.execute(register_partner, RegisterPartner(name=f"{code} Ltd", code=code, **fields))
    assert result.id is not None
    contact = AddContact(
        partner=code,
        name="Accounts",
        email=f"ap@{code.lower()}.example",
        mobile="+3531234567",
        responsibilities=["billing"],
    )
    to.execute(add_contact, contact)
    return result.id


def invoice(to: Runs, partner: str, amount: str, due: date = DUE, **fields: Any) -> UUID:
    lines = [LineIn(product="SVC", quantity=D("1"), unit_price=D(amount))]
    command = DraftDocument(type="invoice", partner=partner, due_date=due, lines=lines, **fields)
    result = to.execute(draft_document, command)
    assert result.id is not None
    to.execute(issue_document, IssueDocument(document=str(result.id)))
    return result.id


def credit_note(partner: str, applies_to: UUID, amount: str) -> DraftDocument:
    lines = [LineIn(product="SVC", quantity=D("1"), unit_price=D(amount))]
    return DraftDocument(type="credit_note", partner=partner, applies_to=str(applies_to), lines=lines)


def payment(partner: str, amount: str, allocations: list[tuple[UUID, str]] | None = None) -> ReceivePayment:
    chosen = [AllocationIn(document=str(ref), amount=D(a)) for ref, a in allocations] if allocations else None
    return ReceivePayment(partner=partner, amount=D(amount), allocations=chosen)


def pay(to: Runs, partner: str, amount: str, allocations: list[tuple[UUID, str]] | None = None) -> None:
    to.execute(receive_payment, payment(partner, amount, allocations))


def case_of(flow: Flow, document: UUID) -> CollectionCase | None:
    case_id = CollectionCase.id_for(document)
    return flow.load(CollectionCase, case_id) if flow.store.existing([case_id]) else None


def level_of(flow: Flow, document: UUID) -> int:
    case = case_of(flow, document)
    return case.level if case else 0


def charges(flow: Flow, partner: UUID, kind: ItemKind) -> list[tuple[Decimal, date, str]]:
    """The partner's charges of ``kind`` as (amount, due date, currency)."""
    booked = [e.item for e in flow.events(ReceivableBooked) if e.partner == partner and e.item.kind is kind]
    return [(i.amount, i.due_date, i.currency) for i in booked]


def run_of(flow: Flow, day: date) -> CollectionRunCompleted:
    """What the run of ``day`` recorded when it completed."""
    (completed,) = [e for e in flow.store.stream(CollectionRun.id_for(day)) if isinstance(e, CollectionRunCompleted)]
    return completed


def skipped(flow: Flow, day: date) -> dict[UUID, str]:
    return {s.document: s.reason for s in run_of(flow, day).skipped}
