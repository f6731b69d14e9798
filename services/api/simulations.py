"""/v1/simulations: what the daily jobs would do from today to a date, on a copy of the books."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from aggregates.template import Channel
from commands.types import Money, Ref, Strict
from queries.formats import money
from services.api.deps import Cont, Principal, require
from services.bootstrap.simulation import Outcome, Payment, simulate

router = APIRouter(prefix="/v1/simulations", tags=["simulation"])

Simulator = Annotated[Principal, Depends(require("admin", "clerk", "analyst"))]
MAX_PAYMENTS = 1000


class PaymentIn(Strict):
    partner: Ref = Field(description="the partner's id or code")
    amount: Money = Field(description="more than 0")
    date: date


class SimulationCreate(Strict):
    until: date = Field(description="the last day walked: from today to at most 366 days ahead")
    payments: Annotated[list[PaymentIn], Field(max_length=MAX_PAYMENTS)] = []


class MessageOut(BaseModel):
    date: date
    partner: UUID
    channel: Channel
    template: str | None
    to: str
    subject: str
    documents: list[UUID]


class ChargeOut(BaseModel):
    date: date
    partner: UUID
    kind: Literal["fee", "interest"]
    amount: str


class BlockOut(BaseModel):
    date: date
    partner: UUID


class LevelOut(BaseModel):
    date: date
    document: UUID
    number: str | None
    level: int


class InvoiceOut(BaseModel):
    date: date
    partner: UUID
    template: UUID
    document: UUID
    number: str | None
    total: str


class BalanceOut(BaseModel):
    partner: UUID
    balance: str


class SimulationPublic(BaseModel):
    from_: date = Field(alias="from")
    until: date
    messages: list[MessageOut]
    charges: list[ChargeOut]
    blocks: list[BlockOut]
    levels: list[LevelOut]
    invoices: list[InvoiceOut]
    balances: list[BalanceOut]


def public(out: Outcome) -> dict[str, Any]:
    """The outcome as the API shows it: money with two decimals, documents with their numbers."""
    return {
        "from": out.start,
        "until": out.until,
        "messages": out.messages,
        "charges": [{**c, "amount": money(c["amount"])} for c in out.charges],
        "blocks": out.blocks,
        "levels": [{**lv, "number": out.numbers.get(lv["document"])} for lv in out.levels],
        "invoices": [{**i, "number": out.numbers.get(i["document"]), "total": money(i["total"])} for i in out.invoices],
        "balances": [{**b, "balance": money(b["balance"])} for b in out.balances],
    }


@router.post(
    "",
    response_model=SimulationPublic,
    response_model_by_alias=True,
    summary="What-if: walk a private copy of the books to a date (nothing is recorded or sent)",
)
def create_simulation(body: SimulationCreate, _who: Simulator, c: Cont) -> dict[str, Any]:
    """Walks a private copy of the books from today to `until` (at most 366 days ahead), running
    each day's collection run and recurring invoices and booking the hypothetical payments on
    their dates, and answers the messages, fees and interest, blocks, levels and invoices that
    would come of it, with the balances at `until`. Nothing is recorded, queued or sent."""
    payments = [Payment(p.partner, p.amount, p.date) for p in body.payments]
    return public(simulate(c, body.until, payments))
